"""What leaves the system (issue 6): webhook subscriptions and deliveries, e-mail notices and preferences,
worker leases on the outbox, and the calendar SEQUENCE of each session.

Revision ID: 48212f08df2e
Revises: 3dee3f0ea9a1
Create Date: 2026-11-21 22:09:12.509210+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import services.common.db

revision: str = '48212f08df2e'
down_revision: str | None = '3dee3f0ea9a1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_key', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('recipient_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('calendar', sa.Text(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_after', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('claimed_until', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('notice_key', 'recipient_kind', 'recipient_id', name='uq_notification_notice_recipient')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['status', 'send_after', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_notification_recipient', ['recipient_kind', 'recipient_id'], unique=False)

    op.create_table('notification_preference',
    sa.Column('recipient_kind', sa.String(length=10), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('updated_at', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('recipient_kind', 'recipient_id', name=op.f('pk_notification_preference'))
    )
    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=True),
    sa.Column('owner_api_key_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription'))
    )
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_subscription_owner_api_key_id'), ['owner_api_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_subscription_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('attempt_log', sa.JSON(), nullable=False),
    sa.Column('delivered_at', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('claimed_until', services.common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', services.common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_event.id'], name=op.f('fk_webhook_delivery_event_id_outbox_event')),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('subscription_id', 'event_id', name='uq_webhook_delivery_subscription_event')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_delivery_due', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_subscription_id'), ['subscription_id'], unique=False)

    # Existing sessions start at SEQUENCE 0; every later change raises it.
    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', services.common.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')

    with op.batch_alter_table('dialogue_session', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_event_id'))
        batch_op.drop_index('ix_webhook_delivery_due')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_subscription_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_subscription_owner_api_key_id'))

    op.drop_table('webhook_subscription')
    op.drop_table('notification_preference')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient')
        batch_op.drop_index(batch_op.f('ix_notification_event_id'))
        batch_op.drop_index('ix_notification_due')

    op.drop_table('notification')
