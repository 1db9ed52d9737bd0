"""Wire models of what leaves the dialogue service: webhook subscriptions and deliveries, notification preferences."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.identifiers import MAX_RECORD_ID


class EventType(StrEnum):
    """The outbox events an API client can subscribe to (the `type` of every webhook)."""

    session_scheduled = "session.scheduled"
    session_changed = "session.changed"
    session_started = "session.started"
    session_concluded = "session.concluded"
    session_cancelled = "session.cancelled"
    protocol_published = "protocol.published"
    recommendation_sent = "recommendation.sent"
    recommendation_answered = "recommendation.answered"
    recommendation_progress = "recommendation.progress"
    recommendation_closed = "recommendation.closed"
    recommendation_escalated = "recommendation.escalated"
    recommendation_overdue = "recommendation.overdue"
    action_plan_item_changed = "action_plan.item_changed"
    action_plan_reported = "action_plan.reported"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    url: AnyHttpUrl = Field(description="Where deliveries are POSTed; private and loopback addresses are refused")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    owner_org_id: int | None = Field(None, ge=1, le=MAX_RECORD_ID,
                                     description="The organization of the API key that owns it")
    owner_api_key_id: int | None = Field(None, ge=1, le=MAX_RECORD_ID, description="The API key that owns it")


class WebhookRead(BaseModel):
    id: int
    url: str
    event_types: list[EventType]
    description: str | None
    owner_org_id: int | None
    owner_api_key_id: int | None
    is_active: bool
    created_at: datetime
    deleted_at: datetime | None
    version: int


class WebhookCreated(WebhookRead):
    secret: str = Field(description="`whsec_…`: verifies the signatures. Shown once, here; keep it safe")


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None = None


class DeliveryStatus(StrEnum):
    pending = "pending"        # waiting for its (next) attempt
    succeeded = "succeeded"
    dead = "dead"              # gave up after the configured attempts; an admin may replay it
    cancelled = "cancelled"    # its subscription was deleted before it went out


class DeliveryAttempt(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    message_id: str = Field(description="The `webhook-id` header, the same on every attempt and replay")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    log: list[DeliveryAttempt]
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = None


class RecipientKind(StrEnum):
    org = "org"        # an organization's public contact e-mail
    person = "person"  # a registry person's private e-mail


class Delivery(StrEnum):
    immediate = "immediate"
    digest = "digest"


class PreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery: Delivery


class PreferenceRead(BaseModel):
    recipient_kind: RecipientKind
    recipient_id: int
    delivery: Delivery
    updated_at: datetime | None


class NotificationRead(BaseModel):
    """A notice as the log shows it: who (by registry id, never by address), what, and whether it went out."""

    id: int
    kind: str
    notice_key: str
    recipient_kind: RecipientKind
    recipient_id: int
    delivery: Delivery
    subject: str
    status: str
    attempts: int
    send_after: datetime
    sent_at: datetime | None
    last_error: str | None
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: str | None = None


def webhook_envelope(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The body of every webhook, as Standard Webhooks suggests: type, timestamp and data."""
    return {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data}
