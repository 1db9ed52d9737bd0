"""Wire models of the dialogue service: sessions, agenda, participants, protocols, recommendations, plans."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.contracts.orgs import Names, Sector

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class Strict(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


# --- sessions ----------------------------------------------------------------------------------

class SessionKind(StrEnum):
    round_table = "round_table"
    dialogue_platform = "dialogue_platform"
    council_meeting = "council_meeting"
    coordination_council = "coordination_council"
    public_hearing = "public_hearing"
    working_group = "working_group"
    civic_forum = "civic_forum"
    breakout = "breakout"
    plenary = "plenary"


class SessionFormat(StrEnum):
    offline = "offline"
    online = "online"
    hybrid = "hybrid"


class SessionStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    in_progress = "in_progress"
    concluded = "concluded"
    cancelled = "cancelled"


class SessionCreate(Strict):
    kind: SessionKind
    format: SessionFormat = SessionFormat.offline
    title: Names
    description: LongText | None = None
    venue: Title | None = Field(None, description="Where it is held (offline and hybrid)")
    online_url: AnyHttpUrl | None = Field(None, description="Link to join (online and hybrid)")
    region_code: str | None = Field(None, pattern=r"^\d{9}$")
    topics: list[Topic] = Field(default_factory=list, max_length=30)
    organizer_ids: list[int] = Field(default_factory=list, max_length=50)
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    parent_id: int | None = Field(None, description="The forum a breakout or plenary belongs to")

    @model_validator(mode="after")
    def _consistent(self) -> SessionCreate:
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("ends_at cannot be before starts_at")
        if self.format in (SessionFormat.online, SessionFormat.hybrid) and self.online_url is None:
            raise ValueError("an online or hybrid session needs online_url")
        if self.format in (SessionFormat.offline, SessionFormat.hybrid) and not self.venue:
            raise ValueError("an offline or hybrid session needs a venue")
        return self


class SessionUpdate(Strict):
    kind: SessionKind | None = None
    format: SessionFormat | None = None
    title: Names | None = None
    description: LongText | None = None
    venue: Title | None = None
    online_url: AnyHttpUrl | None = None
    region_code: str | None = Field(None, pattern=r"^\d{9}$")
    topics: list[Topic] | None = Field(None, max_length=30)
    organizer_ids: list[int] | None = Field(None, max_length=50)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    parent_id: int | None = None


class SessionTransition(Strict):
    status: SessionStatus
    reason: LongText | None = None


class SectorCounts(BaseModel):
    state: int = 0
    civil_society: int = 0
    expert: int = 0
    business: int = 0
    media: int = 0
    international: int = 0
    total: int = 0


class SessionRead(BaseModel):
    id: int
    kind: SessionKind
    format: SessionFormat
    title: Names
    name: str
    description: str | None
    venue: str | None
    online_url: str | None
    region_code: str | None
    topics: list[str]
    organizer_ids: list[int]
    starts_at: datetime
    ends_at: datetime | None
    parent_id: int | None
    child_ids: list[int]
    status: SessionStatus
    current_agenda_item_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class SessionPage(BaseModel):
    items: list[SessionRead]
    next_cursor: str | None = None


class Attendance(BaseModel):
    """Participation by sector: registered and checked in, for the session and over its breakouts."""

    session_id: int
    registered: SectorCounts
    attended: SectorCounts
    attended_with_breakouts: SectorCounts


class LiveState(BaseModel):
    """What a live console shows, summed up in a few tokens: a part's token changes whenever anything in it does.

    Consoles poll this every second or two and fetch the full records only when a token moved.
    """

    session_id: int
    status: SessionStatus
    current_agenda_item_id: int | None
    session: str = Field(description="Changes with the session itself: status, item under discussion, head counts")
    agenda: str = Field(description="Changes when an agenda item is added, removed, reordered or recorded on")
    participants: str = Field(description="Changes when a participant is registered, checked in, changed or removed")
    recommendations: str = Field(description="Changes when a recommendation of the session is recorded or moves on")
    fingerprint: str = Field(description="All parts in one: the same fingerprint means nothing shown has changed")


# --- agenda ------------------------------------------------------------------------------------

class Speaker(Strict):
    person_id: int | None = None
    org_id: int | None = None
    name: Title | None = Field(None, description="For a speaker not in the registry")
    affiliation: Title | None = None

    @model_validator(mode="after")
    def _who(self) -> Speaker:
        if self.person_id is None and not self.name:
            raise ValueError("a speaker needs person_id or name")
        return self


class AgendaItemCreate(Strict):
    title: Title
    planned_minutes: int | None = Field(None, ge=1, le=24 * 60)
    speakers: list[Speaker] = Field(default_factory=list, max_length=50)
    position: int | None = Field(None, ge=1, description="Insert at this place (1 = first); default last")


class AgendaItemUpdate(Strict):
    title: Title | None = None
    planned_minutes: int | None = Field(None, ge=1, le=24 * 60)
    speakers: list[Speaker] | None = Field(None, max_length=50)
    heard: LongText | None = Field(None, description="What was heard (СЛУШАЛИ / ВЫСТУПИЛИ)")
    decided: LongText | None = Field(None, description="What was decided (РЕШИЛИ)")


class AgendaItemRead(BaseModel):
    id: int
    session_id: int
    position: int
    title: str
    planned_minutes: int | None
    speakers: list[Speaker]
    heard: str | None
    decided: str | None
    is_current: bool
    version: int


class AgendaOrder(Strict):
    item_ids: list[int] = Field(description="Every item of the agenda, in the new order")


class CurrentItem(Strict):
    item_id: int | None


# --- participants ------------------------------------------------------------------------------

class ParticipantRole(StrEnum):
    chair = "chair"
    moderator = "moderator"
    speaker = "speaker"
    participant = "participant"
    observer = "observer"
    secretary = "secretary"


class ParticipantCreate(Strict):
    person_id: int | None = None
    name: Title | None = Field(None, description="A walk-in not in the registry")
    org_id: int | None = None
    org_name: Title | None = None
    sector: Sector
    role: ParticipantRole = ParticipantRole.participant
    checked_in: bool = False

    @model_validator(mode="after")
    def _who(self) -> ParticipantCreate:
        if self.person_id is None and not self.name:
            raise ValueError("a participant needs person_id (registry) or name (walk-in)")
        return self


class ParticipantUpdate(Strict):
    sector: Sector | None = None
    role: ParticipantRole | None = None
    checked_in: bool | None = None


class ParticipantRead(BaseModel):
    id: int
    session_id: int
    person_id: int | None
    name: str
    org_id: int | None
    org_name: str | None
    sector: Sector
    role: ParticipantRole
    registered_at: datetime
    checked_in_at: datetime | None
    version: int


class ParticipantPage(BaseModel):
    items: list[ParticipantRead]
    next_cursor: str | None = None


class HeadCount(Strict):
    """Participation recorded as numbers when names are not kept (e.g. «35 representatives of state bodies»)."""

    sector: Sector
    count: int = Field(ge=0, le=100000)


# --- protocols ---------------------------------------------------------------------------------

class ProtocolStatus(StrEnum):
    draft = "draft"
    published = "published"


class ProtocolItem(Strict):
    title: Title
    heard: LongText | None = None
    decided: LongText | None = None


class ProtocolFields(Strict):
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    held_on: date | None = None
    place: Title | None = None
    chair: Title | None = None
    secretary: Title | None = None
    attendees: LongText | None = Field(None, description="Who attended, as the protocol states it")
    items: list[ProtocolItem] | None = None


class ProtocolRead(BaseModel):
    id: int
    session_id: int
    version: int = Field(description="1 for the original, 2 for the first correction, …")
    status: ProtocolStatus
    number: str | None
    held_on: date | None
    place: str | None
    chair: str | None
    secretary: str | None
    attendees: str | None
    attendance: SectorCounts
    items: list[ProtocolItem]
    correction_reason: str | None
    published_at: datetime | None
    supersedes_version: int | None
    etag_version: int


class ProtocolCorrection(Strict):
    reason: LongText


# --- recommendations ---------------------------------------------------------------------------

class RecommendationStatus(StrEnum):
    draft = "draft"
    adopted = "adopted"
    sent = "sent"
    answered = "answered"
    in_progress = "in_progress"
    implemented = "implemented"
    not_implemented = "not_implemented"


class Decision(StrEnum):
    accepted = "accepted"
    partially_accepted = "partially_accepted"
    rejected = "rejected"


class RecommendationCreate(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    title: Title | None = None
    addressee_ids: list[int] = Field(min_length=1, max_length=50, description="State bodies it is addressed to")
    session_id: int | None = None
    agenda_item_id: int | None = None
    response_due_on: date | None = Field(None, description="Default: the date it is sent plus the configured days")
    topics: list[Topic] = Field(default_factory=list, max_length=30)
    region_code: str | None = Field(None, pattern=r"^\d{9}$")


class RecommendationUpdate(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)] | None = None
    title: Title | None = None
    addressee_ids: list[int] | None = Field(None, min_length=1, max_length=50)
    response_due_on: date | None = None
    topics: list[Topic] | None = Field(None, max_length=30)


class RecommendationTransition(Strict):
    status: RecommendationStatus
    note: LongText | None = None


class ResponseCreate(Strict):
    org_id: int = Field(description="The addressee body answering")
    decision: Decision
    reasons: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]


class ResponseRead(BaseModel):
    id: int
    recommendation_id: int
    org_id: int
    decision: Decision
    reasons: str
    answered_by: int | None
    answered_at: datetime


class ProgressCreate(Strict):
    org_id: int
    percent: int = Field(ge=0, le=100)
    note: LongText
    evidence_urls: list[AnyHttpUrl] = Field(default_factory=list, max_length=20)


class ProgressRead(BaseModel):
    id: int
    recommendation_id: int
    org_id: int
    percent: int
    note: str
    evidence_urls: list[str]
    reported_by: int | None
    reported_at: datetime


class Escalation(Strict):
    addressee_ids: list[int] = Field(min_length=1, max_length=10, description="Republican-level state bodies")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    response_due_on: date | None = None


class AddresseeState(BaseModel):
    org_id: int
    decision: Decision | None
    answered_at: datetime | None


class RecommendationRead(BaseModel):
    id: int
    title: str | None
    text: str
    status: RecommendationStatus
    session_id: int | None
    agenda_item_id: int | None
    addressees: list[AddresseeState]
    topics: list[str]
    region_code: str | None
    response_due_on: date | None
    is_overdue: bool
    progress_percent: int | None
    adopted_at: datetime | None
    sent_at: datetime | None
    closed_at: datetime | None
    escalated_from_id: int | None
    escalated_to_ids: list[int]
    escalation_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class RecommendationDetail(RecommendationRead):
    responses: list[ResponseRead]
    progress: list[ProgressRead]
    history: list[StatusChange]


class StatusChange(BaseModel):
    status: RecommendationStatus
    note: str | None
    changed_by: int | None
    changed_at: datetime


class RecommendationPage(BaseModel):
    items: list[RecommendationRead]
    next_cursor: str | None = None


class BodyResponsiveness(BaseModel):
    """How one state body answers what is sent to it: answered by the deadline (a date in Kazakhstan) or
    after it, still awaited before it, or overdue."""

    org_id: int
    sent: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    awaiting: int = 0
    overdue: int = 0


class ResponsivenessReport(BaseModel):
    """Counted over every recommendation sent, in the database (never from one page of a list)."""

    computed_at: datetime
    sent: int = Field(description="Recommendations sent to state bodies (each once, whatever its addressees)")
    overdue: int = Field(description="Recommendations overdue today")
    bodies: list[BodyResponsiveness] = Field(description="Most overdue first, then the most asked")


# --- joint action plans ------------------------------------------------------------------------

class CollaborationFormat(StrEnum):
    joint_meeting = "joint_meeting"
    working_group = "working_group"
    monitoring = "monitoring"
    expert_support = "expert_support"
    information_work = "information_work"


class PlanItemStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class Side(StrEnum):
    state = "state"
    civil_society = "civil_society"


class PlanCreate(Strict):
    title: Names
    session_ids: list[int] = Field(default_factory=list, max_length=20, description="Sessions that agreed it")
    owner_ids: list[int] = Field(default_factory=list, max_length=20)
    starts_on: date | None = None
    ends_on: date | None = None


class PlanItemCreate(Strict):
    title: Title
    description: LongText | None = None
    format: CollaborationFormat
    state_owner_ids: list[int] = Field(min_length=1, max_length=20)
    civil_owner_ids: list[int] = Field(min_length=1, max_length=20)
    due_on: date | None = None
    recommendation_id: int | None = None


class PlanItemUpdate(Strict):
    title: Title | None = None
    description: LongText | None = None
    format: CollaborationFormat | None = None
    due_on: date | None = None
    status: PlanItemStatus | None = None


class PlanReportCreate(Strict):
    org_id: int
    percent: int | None = Field(None, ge=0, le=100)
    note: LongText
    evidence_urls: list[AnyHttpUrl] = Field(default_factory=list, max_length=20)


class PlanReportRead(BaseModel):
    id: int
    item_id: int
    org_id: int
    side: Side
    percent: int | None
    note: str
    evidence_urls: list[str]
    reported_by: int | None
    reported_at: datetime


class PlanItemRead(BaseModel):
    id: int
    plan_id: int
    title: str
    description: str | None
    format: CollaborationFormat
    state_owner_ids: list[int]
    civil_owner_ids: list[int]
    due_on: date | None
    status: PlanItemStatus
    is_overdue: bool
    recommendation_id: int | None
    reports: list[PlanReportRead]
    version: int


class PlanRead(BaseModel):
    id: int
    title: Names
    name: str
    session_ids: list[int]
    owner_ids: list[int]
    starts_on: date | None
    ends_on: date | None
    items: list[PlanItemRead]
    version: int
    created_at: datetime


class PlanPage(BaseModel):
    items: list[PlanRead]
    next_cursor: str | None = None


# --- outbox ------------------------------------------------------------------------------------

class EventRead(BaseModel):
    id: int
    type: str
    subject: str
    payload: dict[str, object]
    occurred_at: datetime
    delivered_at: datetime | None


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None = None


RecommendationDetail.model_rebuild()
