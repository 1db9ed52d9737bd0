"""Tables of the dialogue service: sessions and their parts, protocols, recommendations, plans, outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.db import UTCDateTime, Versioned, utcnow
from services.dialogue.db import DialogueBase


class DialogueSession(Versioned, DialogueBase, table=True):
    """A round table, dialogue platform, council meeting, forum, breakout or plenary."""

    __tablename__ = "dialogue_session"
    __table_args__ = (Index("ix_dialogue_session_starts", "starts_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30, index=True)
    format: str = Field(max_length=10)
    title_ru: str = Field(max_length=500)
    title_kk: str | None = Field(default=None, max_length=500)
    title_en: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    venue: str | None = Field(default=None, max_length=500)
    online_url: str | None = Field(default=None, max_length=2000)
    region_code: str | None = Field(default=None, max_length=9, index=True)
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    organizer_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    parent_id: int | None = Field(default=None, foreign_key="dialogue_session.id", index=True)
    status: str = Field(default="draft", max_length=20, index=True)
    current_agenda_item_id: int | None = None
    head_counts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    search_text: str = Field(default="", sa_type=Text)
    # iCalendar SEQUENCE: raised with every change a calendar shows (time, place, title, status), in the same
    # transaction, so a subscribed calendar updates the event instead of adding another.
    calendar_sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class SessionOrganizer(DialogueBase, table=True):
    """Organizers as rows, so «sessions organized by this body» is an indexed lookup."""

    __tablename__ = "session_organizer"

    session_id: int = Field(sa_column=Column(Integer, ForeignKey("dialogue_session.id", ondelete="CASCADE"),
                                             primary_key=True))
    org_id: int = Field(sa_column=Column(Integer, primary_key=True, index=True))


class AgendaItem(Versioned, DialogueBase, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = (Index("ix_agenda_item_session_position", "session_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dialogue_session.id", index=True)
    position: int
    title: str = Field(max_length=500)
    planned_minutes: int | None = None
    speakers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    heard: str | None = Field(default=None, sa_type=Text)
    decided: str | None = Field(default=None, sa_type=Text)
    version: int = Field(default=1)


class Participant(Versioned, DialogueBase, table=True):
    __table_args__ = (UniqueConstraint("session_id", "person_id", name="uq_participant_session_person"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dialogue_session.id", index=True)
    person_id: int | None = Field(default=None, index=True)
    name: str = Field(max_length=300)
    org_id: int | None = Field(default=None, index=True)
    org_name: str | None = Field(default=None, max_length=500)
    sector: str = Field(max_length=20)
    role: str = Field(max_length=20)
    search_text: str = Field(default="", sa_type=Text)
    registered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class Protocol(Versioned, DialogueBase, table=True):
    """One version of a session's protocol. Published versions never change; a correction is a new row."""

    __table_args__ = (UniqueConstraint("session_id", "number_version", name="uq_protocol_session_version"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="dialogue_session.id", index=True)
    number_version: int = Field(default=1)
    status: str = Field(default="draft", max_length=20)
    number: str | None = Field(default=None, max_length=50)
    held_on: date | None = None
    place: str | None = Field(default=None, max_length=500)
    chair: str | None = Field(default=None, max_length=500)
    secretary: str | None = Field(default=None, max_length=500)
    attendees: str | None = Field(default=None, sa_type=Text)
    attendance: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    correction_reason: str | None = Field(default=None, sa_type=Text)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class Recommendation(Versioned, DialogueBase, table=True):
    __table_args__ = (
        Index("ix_recommendation_status_due", "status", "response_due_on", "id"),
        # The deadline order of every list (services.dialogue.recommendations._by_deadline) walks this one.
        Index("ix_recommendation_due", "response_due_on", "id"),
        Index("ix_recommendation_created", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str | None = Field(default=None, max_length=500)
    text: str = Field(sa_type=Text)
    status: str = Field(default="draft", max_length=20)
    session_id: int | None = Field(default=None, foreign_key="dialogue_session.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    region_code: str | None = Field(default=None, max_length=9, index=True)
    response_due_on: date | None = None
    progress_percent: int | None = None
    adopted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_noted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_from_id: int | None = Field(default=None, foreign_key="recommendation.id", index=True)
    escalation_reason: str | None = Field(default=None, sa_type=Text)
    search_text: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class RecommendationAddressee(DialogueBase, table=True):
    __tablename__ = "recommendation_addressee"

    recommendation_id: int = Field(sa_column=Column(Integer, ForeignKey("recommendation.id", ondelete="CASCADE"),
                                                    primary_key=True))
    org_id: int = Field(sa_column=Column(Integer, primary_key=True, index=True))
    decision: str | None = Field(default=None, max_length=30)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecommendationTopic(DialogueBase, table=True):
    __tablename__ = "recommendation_topic"

    recommendation_id: int = Field(sa_column=Column(Integer, ForeignKey("recommendation.id", ondelete="CASCADE"),
                                                    primary_key=True))
    topic: str = Field(sa_column=Column(String(80), primary_key=True, index=True))


class RecommendationResponse(DialogueBase, table=True):
    __tablename__ = "recommendation_response"

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    org_id: int
    decision: str = Field(max_length=30)
    reasons: str = Field(sa_type=Text)
    answered_by: int | None = None
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgressReport(DialogueBase, table=True):
    __tablename__ = "progress_report"

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    org_id: int
    percent: int
    note: str = Field(sa_type=Text)
    evidence_urls: list[str] = Field(default_factory=list, sa_type=JSON)
    reported_by: int | None = None
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StatusHistory(DialogueBase, table=True):
    __tablename__ = "recommendation_status_history"

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    status: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_type=Text)
    changed_by: int | None = None
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionPlan(Versioned, DialogueBase, table=True):
    __tablename__ = "action_plan"

    id: int | None = Field(default=None, primary_key=True)
    title_ru: str = Field(max_length=500)
    title_kk: str | None = Field(default=None, max_length=500)
    title_en: str | None = Field(default=None, max_length=500)
    session_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    owner_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    starts_on: date | None = None
    ends_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class PlanItem(Versioned, DialogueBase, table=True):
    __tablename__ = "action_plan_item"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True)
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    format: str = Field(max_length=30)
    state_owner_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    civil_owner_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    due_on: date | None = None
    status: str = Field(default="planned", max_length=20)
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    version: int = Field(default=1)


class PlanReport(DialogueBase, table=True):
    __tablename__ = "action_plan_report"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="action_plan_item.id", index=True)
    org_id: int
    side: str = Field(max_length=20)
    percent: int | None = None
    note: str = Field(sa_type=Text)
    evidence_urls: list[str] = Field(default_factory=list, sa_type=JSON)
    reported_by: int | None = None
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxEvent(DialogueBase, table=True):
    """Written in the same transaction as the change it reports; delivered later by a worker."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "delivered_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=60, index=True)
    subject: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    # A worker's lease (services.dialogue.leases): several workers never fan the same event out twice.
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- what leaves the system: webhooks and e-mail (issue 6) -----------------------------------------

class WebhookSubscription(Versioned, DialogueBase, table=True):
    """An API client's endpoint for some event types. The secret signs every delivery (Standard Webhooks)."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_type=JSON)
    secret: str = Field(max_length=100)
    description: str | None = Field(default=None, max_length=500)
    owner_org_id: int | None = Field(default=None, index=True)
    owner_api_key_id: int | None = Field(default=None, index=True)
    created_by: int | None = None
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class WebhookDelivery(DialogueBase, table=True):
    """One event for one subscription: retried with backoff, dead after too many failures, replayable."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_subscription_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: int = Field(foreign_key="outbox_event.id", index=True)
    event_type: str = Field(max_length=60)
    message_id: str = Field(max_length=100)  # the `webhook-id` header: the same on every attempt and replay
    status: str = Field(default="pending", max_length=20)  # pending, succeeded, dead, cancelled
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    attempt_log: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(DialogueBase, table=True):
    """One notice for one recipient (an organization's public contact or a registry person).

    The unique key (notice × recipient) is what makes a notice go out once, however often the event is
    fanned out. No address is stored: it is read from the registry when the mail is sent.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("notice_key", "recipient_kind", "recipient_id", name="uq_notification_notice_recipient"),
        Index("ix_notification_due", "status", "send_after", "id"),
        Index("ix_notification_recipient", "recipient_kind", "recipient_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_key: str = Field(max_length=150)
    kind: str = Field(max_length=40)
    event_id: int | None = Field(default=None, index=True)
    recipient_kind: str = Field(max_length=10)  # org | person
    recipient_id: int
    delivery: str = Field(default="immediate", max_length=10)  # immediate | digest
    subject: str = Field(max_length=500)
    body: str = Field(sa_type=Text)
    calendar: str | None = Field(default=None, sa_type=Text)  # an .ics attached to invitations and changes
    status: str = Field(default="pending", max_length=20)  # pending, sent, failed, skipped
    attempts: int = Field(default=0)
    send_after: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationPreference(DialogueBase, table=True):
    """Immediate mail or a daily digest, per organization or person (absent: immediate)."""

    __tablename__ = "notification_preference"

    recipient_kind: str = Field(sa_column=Column(String(10), primary_key=True))
    recipient_id: int = Field(sa_column=Column(Integer, primary_key=True))
    delivery: str = Field(default="immediate", max_length=10)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = None
