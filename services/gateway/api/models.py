"""The few shapes the public API composes from the services' contracts (everything else is a contract as it is)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from services.contracts import dialogue as d
from services.contracts.outbound import EventType


class PublicSessionStatus(StrEnum):
    """Drafts are never public."""

    scheduled = "scheduled"
    in_progress = "in_progress"
    concluded = "concluded"
    cancelled = "cancelled"


class PublicRecommendationStatus(StrEnum):
    """Drafts are never public."""

    adopted = "adopted"
    sent = "sent"
    answered = "answered"
    in_progress = "in_progress"
    implemented = "implemented"
    not_implemented = "not_implemented"


class RecommendationOrder(StrEnum):
    deadline = "deadline"  # the overdue first, then by response deadline
    recent = "recent"      # the newest first


class SessionDetail(BaseModel):
    """A session with its agenda and its attendance by sector."""

    session: d.SessionRead
    agenda: list[d.AgendaItemRead]
    attendance: d.Attendance


class RecommendationFull(d.RecommendationDetail):
    """A recommendation with its answers, progress reports, history and escalation chain."""

    escalation_chain: list[int] = Field(description="Ids from the origin down to this recommendation")


class WebhookSubscribe(BaseModel):
    """A webhook subscription for the key's organization (the owner is set from the key)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    url: AnyHttpUrl = Field(description="Where deliveries are POSTed; private and loopback addresses are refused")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
