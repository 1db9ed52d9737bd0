"""An index on the response deadline, so the overdue-first order reads a page without sorting every row

Revision ID: 5b0c7d1e9a24
Revises: 48212f08df2e
Create Date: 2026-11-22 00:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b0c7d1e9a24"
down_revision: str | None = "48212f08df2e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_recommendation_due", "recommendation", ["response_due_on", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_recommendation_due", table_name="recommendation")
