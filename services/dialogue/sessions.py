"""Business rules for sessions, their agenda, participants, attendance and protocol.

Functions flush but never commit: the request's session dependency commits once, so a change and
its outbox event land together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, literal_column, select, tuple_, union_all
from sqlmodel import col

from services.common.db import KAZAKHSTAN, AsyncSession, kato_condition, utcnow
from services.common.pagination import cursor_datetime, decode_cursor, encode_cursor
from services.common.problems import Unprocessable, field_error, validation_errors
from services.common.text import fold, like_escape, search_document
from services.contracts import dialogue as d
from services.contracts.orgs import Names, OrgKind, Sector
from services.dialogue.db import get_by_id
from services.dialogue.errors import (
    AgendaItemNotFound,
    IllegalTransition,
    InvalidReference,
    ParticipantNotFound,
    ProtocolFrozen,
    ProtocolNotFound,
    SessionNotFound,
    StateConflict,
)
from services.dialogue.models import (
    AgendaItem,
    DialogueSession,
    Participant,
    Protocol,
    Recommendation,
    SessionOrganizer,
)
from services.dialogue.orgs_client import OrgsClient
from services.dialogue.outbox import emit

SESSION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("scheduled", "cancelled"),
    "scheduled": ("in_progress", "cancelled", "draft"),
    "in_progress": ("concluded",),
    "concluded": (),
    "cancelled": (),
}
CHILD_KINDS = {d.SessionKind.breakout, d.SessionKind.plenary}


def pick(names: Names, language: str) -> str:
    return getattr(names, language, None) or names.ru


# --- sessions ----------------------------------------------------------------------------------

def session_names(s: DialogueSession) -> Names:
    return Names(ru=s.title_ru, kk=s.title_kk, en=s.title_en)


def session_read(s: DialogueSession, child_ids: Sequence[int], language: str) -> d.SessionRead:
    names = session_names(s)
    return d.SessionRead(
        id=s.id or 0, kind=d.SessionKind(s.kind), format=d.SessionFormat(s.format), title=names,
        name=pick(names, language), description=s.description, venue=s.venue, online_url=s.online_url,
        region_code=s.region_code, topics=list(s.topics or []), organizer_ids=list(s.organizer_ids or []),
        starts_at=s.starts_at, ends_at=s.ends_at, parent_id=s.parent_id, child_ids=list(child_ids),
        status=d.SessionStatus(s.status), current_agenda_item_id=s.current_agenda_item_id, version=s.version,
        created_at=s.created_at, updated_at=s.updated_at,
    )


async def children_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if ids:
        rows = await session.exec(
            select(col(DialogueSession.id), col(DialogueSession.parent_id))
            .where(col(DialogueSession.parent_id).in_(ids))
            .order_by(col(DialogueSession.starts_at), col(DialogueSession.id))
        )
        for child_id, parent_id in rows:
            if child_id is not None and parent_id is not None:  # always, by the query; the columns are optional
                out[parent_id].append(child_id)
    return out


async def session_reads(session: AsyncSession, rows: Sequence[DialogueSession], language: str) -> list[d.SessionRead]:
    children = await children_of(session, [r.id for r in rows if r.id is not None])
    return [session_read(r, children.get(r.id or 0, []), language) for r in rows]


async def get_session(session: AsyncSession, session_id: int, *, include_drafts: bool = True) -> DialogueSession:
    row = await get_by_id(session, DialogueSession, session_id)
    if row is None or (not include_drafts and row.status == "draft"):
        raise SessionNotFound(f"No session with id {session_id}.")
    return row


async def _check_orgs_exist(orgs: OrgsClient, ids: Sequence[int], field: str) -> None:
    if not ids:
        return
    found, missing = await orgs.orgs(ids)
    errors = [field_error(field, f"organization {i} does not exist") for i in missing]
    errors += [field_error(field, f"organization {i} is archived or dissolved") for i, o in found.items()
               if not o.is_active]
    if errors:
        raise InvalidReference(errors=errors)


def _refresh_search(s: DialogueSession) -> None:
    s.search_text = search_document([s.title_ru, s.title_kk, s.title_en, s.venue, *(s.topics or [])])


async def _set_organizers(session: AsyncSession, s: DialogueSession, org_ids: Sequence[int]) -> None:
    assert s.id is not None
    for row in (await session.exec(select(SessionOrganizer).where(col(SessionOrganizer.session_id) == s.id))).scalars():
        await session.delete(row)
    await session.flush()
    s.organizer_ids = list(dict.fromkeys(org_ids))
    session.add_all(SessionOrganizer(session_id=s.id, org_id=o) for o in s.organizer_ids)


async def _check_parent(session: AsyncSession, kind: str, parent_id: int | None, own_id: int | None) -> None:
    if parent_id is None:
        if kind in CHILD_KINDS:
            raise InvalidReference(errors=[field_error("parent_id", "a breakout or plenary belongs to a forum")])
        return
    parent = await get_by_id(session, DialogueSession, parent_id)
    if parent is None:
        raise InvalidReference(errors=[field_error("parent_id", "no such session")])
    if parent_id == own_id or parent.parent_id is not None:
        raise InvalidReference(errors=[field_error("parent_id", "sessions nest one level deep: forum → breakouts")])
    breakouts = select(col(DialogueSession.id)).where(col(DialogueSession.parent_id) == own_id).limit(1)
    if own_id is not None and (await session.exec(breakouts)).first() is not None:
        raise InvalidReference(errors=[field_error("parent_id", "this session has breakouts of its own; "
                                                                "sessions nest one level deep: forum → breakouts")])
    if kind not in CHILD_KINDS:
        raise InvalidReference(errors=[field_error("kind", "only a breakout or a plenary has a parent session")])


def _calendar_fields(s: DialogueSession) -> tuple[Any, ...]:
    """What a calendar entry shows: a change to any of it raises the entry's SEQUENCE (status is raised apart)."""
    return (s.title_ru, s.title_kk, s.title_en, s.starts_at, s.ends_at, s.venue, s.online_url, s.format,
            s.description)


def _apply(s: DialogueSession, fields: dict[str, Any]) -> None:
    title = fields.pop("title", None)
    if title is not None:
        s.title_ru, s.title_kk, s.title_en = title["ru"], title.get("kk"), title.get("en")
    for key, value in fields.items():
        if key == "organizer_ids":
            continue
        if key == "online_url" and value is not None:
            value = str(value)
        setattr(s, key, value.value if hasattr(value, "value") else value)


async def create_session(session: AsyncSession, orgs: OrgsClient, data: d.SessionCreate) -> DialogueSession:
    await _check_parent(session, data.kind, data.parent_id, None)
    await _check_orgs_exist(orgs, data.organizer_ids, "organizer_ids")
    s = DialogueSession(kind=data.kind.value, format=data.format.value, title_ru=data.title.ru,
                        starts_at=data.starts_at)
    _apply(s, data.model_dump())
    _refresh_search(s)
    session.add(s)
    await session.flush()
    await _set_organizers(session, s, data.organizer_ids)
    await session.flush()
    return s


async def update_session(session: AsyncSession, orgs: OrgsClient, s: DialogueSession,
                         data: d.SessionUpdate) -> DialogueSession:
    if s.status in ("concluded", "cancelled"):
        raise StateConflict(f"A {s.status} session cannot be changed.")
    fields = data.model_dump(exclude_unset=True)
    for required in ("kind", "format", "title", "starts_at"):
        if required in fields and fields[required] is None:
            raise Unprocessable(errors=[field_error(required, "cannot be removed")])
    if "organizer_ids" in fields and fields["organizer_ids"] is not None:
        await _check_orgs_exist(orgs, fields["organizer_ids"], "organizer_ids")
    shown_before = _calendar_fields(s)
    with session.no_autoflush:
        _apply(s, dict(fields))
        await _check_parent(session, s.kind, s.parent_id, s.id)
        try:
            d.SessionCreate.model_validate({
                "kind": s.kind, "format": s.format, "title": session_names(s).model_dump(), "venue": s.venue,
                "online_url": s.online_url, "starts_at": s.starts_at, "ends_at": s.ends_at,
                "parent_id": s.parent_id,
            })
        except ValidationError as exc:
            # The model's own words ("ends_at cannot be before starts_at"), not pydantic's trailing help link.
            raise Unprocessable("The session would become inconsistent.",
                                errors=validation_errors(exc.errors())) from exc
        _refresh_search(s)
        s.updated_at = utcnow()
        if _calendar_fields(s) != shown_before:
            s.calendar_sequence += 1
    if fields.get("organizer_ids") is not None:
        await _set_organizers(session, s, fields["organizer_ids"])
    await session.flush()
    if s.status in ("scheduled", "in_progress"):
        emit(session, "session.changed", f"session/{s.id}", {"session_id": s.id, "changed": sorted(fields)})
    return s


async def transition_session(session: AsyncSession, s: DialogueSession, wanted: d.SessionStatus,
                             reason: str | None) -> DialogueSession:
    allowed = SESSION_TRANSITIONS[s.status]
    if wanted.value not in allowed:
        raise IllegalTransition(s.status, wanted.value, allowed)
    if wanted == d.SessionStatus.scheduled:
        count = (await session.exec(select(func.count()).select_from(AgendaItem)
                                    .where(col(AgendaItem.session_id) == s.id))).one()[0]
        if s.kind not in CHILD_KINDS and count == 0 and s.kind != d.SessionKind.civic_forum:
            raise StateConflict("Add at least one agenda item before scheduling the session.")
    previous = s.status
    s.status = wanted.value
    s.updated_at = utcnow()
    s.calendar_sequence += 1  # a status change (scheduled, cancelled, …) is an update of the calendar entry
    if wanted == d.SessionStatus.in_progress and s.current_agenda_item_id is None:
        first = (await session.exec(select(col(AgendaItem.id)).where(col(AgendaItem.session_id) == s.id)
                                    .order_by(col(AgendaItem.position)).limit(1))).first()
        s.current_agenda_item_id = first[0] if first else None
    if wanted == d.SessionStatus.concluded:
        s.current_agenda_item_id = None
    await session.flush()
    event = {"scheduled": "session.scheduled", "cancelled": "session.cancelled", "in_progress": "session.started",
             "concluded": "session.concluded", "draft": "session.changed"}[wanted.value]
    emit(session, event, f"session/{s.id}", {"session_id": s.id, "from": previous, "to": wanted.value,
                                             "reason": reason})
    return s


class SessionFilters:
    def __init__(self, *, q: str | None = None, status: Sequence[d.SessionStatus] = (),
                 kind: Sequence[d.SessionKind] = (), region: str | None = None, organizer_id: int | None = None,
                 parent_id: int | None = None, starts_from: datetime | None = None,
                 starts_before: datetime | None = None, include_drafts: bool = False) -> None:
        self.q, self.status, self.kind, self.region = q, status, kind, region
        self.organizer_id, self.parent_id = organizer_id, parent_id
        self.starts_from, self.starts_before, self.include_drafts = starts_from, starts_before, include_drafts


async def list_sessions(session: AsyncSession, f: SessionFilters, *, limit: int,
                        cursor: str | None) -> tuple[list[DialogueSession], str | None]:
    """Newest first (by start), keyset-paged."""
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(col(DialogueSession.status).in_([x.value for x in f.status]))
    if not f.include_drafts:
        conditions.append(col(DialogueSession.status) != "draft")
    if f.kind:
        conditions.append(col(DialogueSession.kind).in_([x.value for x in f.kind]))
    if f.region:
        conditions.append(kato_condition(col(DialogueSession.region_code), f.region))
    if f.organizer_id is not None:
        conditions.append(col(DialogueSession.id).in_(
            select(col(SessionOrganizer.session_id)).where(col(SessionOrganizer.org_id) == f.organizer_id)))
    if f.parent_id is not None:
        conditions.append(col(DialogueSession.parent_id) == f.parent_id)
    if f.starts_from is not None:
        conditions.append(col(DialogueSession.starts_at) >= f.starts_from)
    if f.starts_before is not None:
        conditions.append(col(DialogueSession.starts_at) < f.starts_before)
    if f.q:
        for word in fold(f.q).split():
            conditions.append(col(DialogueSession.search_text).like(f"%{like_escape(word)}%", escape="\\"))
    if cursor:
        starts, last_id = decode_cursor(cursor, 2, (str, int))
        conditions.append(tuple_(col(DialogueSession.starts_at), col(DialogueSession.id))
                          < tuple_(cursor_datetime(starts), int(last_id)))
    rows = list((await session.exec(
        select(DialogueSession).where(*conditions)
        .order_by(col(DialogueSession.starts_at).desc(), col(DialogueSession.id).desc())
        .limit(limit + 1))).scalars())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.starts_at.isoformat(), last.id])
    return rows[:limit], next_cursor


# --- agenda ------------------------------------------------------------------------------------

def _editable_agenda(s: DialogueSession) -> None:
    if s.status in ("concluded", "cancelled"):
        raise StateConflict(f"The agenda of a {s.status} session cannot be changed.")


async def agenda_of(session: AsyncSession, session_id: int) -> list[AgendaItem]:
    return list((await session.exec(select(AgendaItem).where(col(AgendaItem.session_id) == session_id)
                                    .order_by(col(AgendaItem.position), col(AgendaItem.id)))).scalars())


def agenda_read(item: AgendaItem, current_id: int | None) -> d.AgendaItemRead:
    return d.AgendaItemRead(
        id=item.id or 0, session_id=item.session_id, position=item.position, title=item.title,
        planned_minutes=item.planned_minutes, speakers=[d.Speaker.model_validate(x) for x in item.speakers or []],
        heard=item.heard, decided=item.decided, is_current=item.id == current_id, version=item.version,
    )


async def _speakers(orgs: OrgsClient, speakers: Sequence[d.Speaker]) -> list[dict[str, Any]]:
    """Registry speakers are resolved once, so the agenda reads without the registry later."""
    people, missing_people = await orgs.people([x.person_id for x in speakers if x.person_id])
    found_orgs, missing_orgs = await orgs.orgs([x.org_id for x in speakers if x.org_id])
    errors = [field_error("speakers", f"person {i} does not exist") for i in missing_people]
    errors += [field_error("speakers", f"organization {i} does not exist") for i in missing_orgs]
    if errors:
        raise InvalidReference(errors=errors)
    out = []
    for x in speakers:
        entry = x.model_dump(exclude_none=True)
        if x.person_id and not x.name:
            entry["name"] = people[x.person_id].full_name
        if x.org_id and not x.affiliation:
            entry["affiliation"] = found_orgs[x.org_id].names.ru
        out.append(entry)
    return out


async def _renumber(session: AsyncSession, items: Sequence[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
    await session.flush()


async def add_agenda_item(session: AsyncSession, orgs: OrgsClient, s: DialogueSession,
                          data: d.AgendaItemCreate) -> AgendaItem:
    _editable_agenda(s)
    items = await agenda_of(session, s.id or 0)
    item = AgendaItem(session_id=s.id or 0, position=len(items) + 1, title=data.title,
                      planned_minutes=data.planned_minutes, speakers=await _speakers(orgs, data.speakers))
    session.add(item)
    at = min(data.position or len(items) + 1, len(items) + 1)
    items.insert(at - 1, item)
    await _renumber(session, items)
    return item


async def get_agenda_item(session: AsyncSession, s: DialogueSession, item_id: int) -> AgendaItem:
    item = await get_by_id(session, AgendaItem, item_id)
    if item is None or item.session_id != s.id:
        raise AgendaItemNotFound(f"Session {s.id} has no agenda item {item_id}.")
    return item


async def update_agenda_item(session: AsyncSession, orgs: OrgsClient, s: DialogueSession, item: AgendaItem,
                             data: d.AgendaItemUpdate) -> AgendaItem:
    fields = data.model_dump(exclude_unset=True)
    structural = {"title", "planned_minutes", "speakers"} & fields.keys()
    if structural:
        _editable_agenda(s)
    elif s.status == "cancelled":
        raise StateConflict("A cancelled session records nothing.")
    if "title" in fields and fields["title"] is None:
        raise Unprocessable(errors=[field_error("title", "cannot be removed")])
    if data.speakers is not None:
        fields["speakers"] = await _speakers(orgs, data.speakers)
    for key, value in fields.items():
        setattr(item, key, value)
    await session.flush()
    return item


async def remove_agenda_item(session: AsyncSession, s: DialogueSession, item: AgendaItem) -> None:
    _editable_agenda(s)
    referenced = (await session.exec(select(col(Recommendation.id)).where(col(Recommendation.agenda_item_id) == item.id)
                                     .order_by(col(Recommendation.id)).limit(1))).first()
    if referenced is not None:
        raise StateConflict(f"Recommendation {referenced[0]} was recorded on this agenda item; the item stays.",
                            recommendation_id=referenced[0])
    if s.current_agenda_item_id == item.id:
        s.current_agenda_item_id = None
    await session.delete(item)
    await session.flush()
    await _renumber(session, await agenda_of(session, s.id or 0))


async def reorder_agenda(session: AsyncSession, s: DialogueSession, order: Sequence[int]) -> list[AgendaItem]:
    _editable_agenda(s)
    items = await agenda_of(session, s.id or 0)
    by_id = {i.id: i for i in items if i.id is not None}
    if sorted(order) != sorted(by_id) or len(set(order)) != len(order):
        raise Unprocessable("Send every agenda item id exactly once.",
                            errors=[field_error("item_ids", f"expected a permutation of {sorted(by_id)}")])
    reordered = [by_id[i] for i in order]
    await _renumber(session, reordered)
    return reordered


async def set_current_item(session: AsyncSession, s: DialogueSession, item_id: int | None) -> DialogueSession:
    if s.status != "in_progress":
        raise StateConflict("Only a session in progress has an item under discussion.")
    if item_id is not None:
        await get_agenda_item(session, s, item_id)
    s.current_agenda_item_id = item_id
    s.updated_at = utcnow()
    await session.flush()
    return s


# --- participants and attendance -----------------------------------------------------------------

def participant_read(p: Participant) -> d.ParticipantRead:
    return d.ParticipantRead(
        id=p.id or 0, session_id=p.session_id, person_id=p.person_id, name=p.name, org_id=p.org_id,
        org_name=p.org_name, sector=Sector(p.sector), role=d.ParticipantRole(p.role), registered_at=p.registered_at,
        checked_in_at=p.checked_in_at, version=p.version,
    )


async def add_participant(session: AsyncSession, orgs: OrgsClient, s: DialogueSession,
                          data: d.ParticipantCreate) -> Participant:
    if s.status in ("concluded", "cancelled"):
        raise StateConflict(f"Participants cannot be registered for a {s.status} session.")
    name, org_name = data.name, data.org_name
    if data.person_id is not None:
        people, missing = await orgs.people([data.person_id])
        if missing:
            raise InvalidReference(errors=[field_error("person_id", "no such person in the registry")])
        name = name or people[data.person_id].full_name
        exists = (await session.exec(select(col(Participant.id)).where(
            col(Participant.session_id) == s.id, col(Participant.person_id) == data.person_id))).first()
        if exists is not None:
            raise StateConflict(f"This person is already registered (participant {exists[0]}).",
                                existing_id=exists[0])
    if data.org_id is not None:
        found, missing = await orgs.orgs([data.org_id])
        if missing:
            raise InvalidReference(errors=[field_error("org_id", "no such organization")])
        org = found[data.org_id]
        org_name = org_name or org.names.ru
    p = Participant(session_id=s.id or 0, person_id=data.person_id, name=name or "", org_id=data.org_id,
                    org_name=org_name, sector=data.sector.value, role=data.role.value,
                    checked_in_at=utcnow() if data.checked_in else None,
                    search_text=search_document([name, org_name]))
    session.add(p)
    await session.flush()
    if p.person_id is not None and s.status == "scheduled":
        # A registry person registered for a scheduled session gets the invitation (the worker mails it).
        emit(session, "session.participant_added", f"session/{s.id}",
             {"session_id": s.id, "participant_id": p.id, "person_id": p.person_id})
    return p


async def get_participant(session: AsyncSession, s: DialogueSession, participant_id: int) -> Participant:
    p = await get_by_id(session, Participant, participant_id)
    if p is None or p.session_id != s.id:
        raise ParticipantNotFound(f"Session {s.id} has no participant {participant_id}.")
    return p


async def update_participant(session: AsyncSession, s: DialogueSession, p: Participant,
                             data: d.ParticipantUpdate) -> Participant:
    fields = data.model_dump(exclude_unset=True)
    if "checked_in" in fields:
        if s.status not in ("scheduled", "in_progress"):
            raise StateConflict("Check-in happens while a session is scheduled or in progress.")
        checked = fields.pop("checked_in")
        if checked and p.checked_in_at is None:
            p.checked_in_at = utcnow()
        elif checked is False:
            p.checked_in_at = None
    for key, value in fields.items():
        if value is None:
            raise Unprocessable(errors=[field_error(key, "cannot be removed")])
        setattr(p, key, value.value)
    await session.flush()
    return p


async def remove_participant(session: AsyncSession, s: DialogueSession, p: Participant) -> None:
    if s.status in ("concluded", "cancelled"):
        raise StateConflict(f"The participants of a {s.status} session are part of its record.")
    await session.delete(p)
    await session.flush()


async def list_participants(session: AsyncSession, s: DialogueSession, *, q: str | None, limit: int,
                            cursor: str | None) -> tuple[list[Participant], str | None]:
    conditions: list[ColumnElement[bool]] = [col(Participant.session_id) == s.id]
    if q:  # check-in by name: folded in Python on write, so Kazakh letters match whatever the case
        for word in fold(q).split():
            conditions.append(col(Participant.search_text).like(f"%{like_escape(word)}%", escape="\\"))
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        conditions.append(col(Participant.id) > int(last))
    rows = list((await session.exec(select(Participant).where(*conditions).order_by(col(Participant.id))
                                    .limit(limit + 1))).scalars())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _counts(pairs: Sequence[tuple[str, int]]) -> d.SectorCounts:
    out = d.SectorCounts()
    for sector, n in pairs:
        setattr(out, sector, getattr(out, sector) + n)
        out.total += n
    return out


async def attendance(session: AsyncSession, s: DialogueSession) -> d.Attendance:
    """Registered and attended by sector, for the session and summed over its breakouts."""
    tree = [s.id or 0, *(await children_of(session, [s.id or 0])).get(s.id or 0, [])]
    rows = (await session.exec(
        select(col(Participant.session_id), col(Participant.sector), col(Participant.checked_in_at).is_not(None),
               func.count())
        .where(col(Participant.session_id).in_(tree))
        .group_by(col(Participant.session_id), col(Participant.sector), col(Participant.checked_in_at).is_not(None))
    )).all()
    heads = {r.id or 0: r.head_counts or {} for r in (await session.exec(
        select(DialogueSession).where(col(DialogueSession.id).in_(tree)))).scalars()}
    # A head count is the sector's total as the organizers reported it («35 representatives of state
    # bodies»); named participants checked in are part of it, so a sector counts the larger of the two.
    attended: dict[int, dict[str, int]] = {sid: dict(counts) for sid, counts in heads.items()}
    checked: dict[tuple[int, str], int] = defaultdict(int)
    for sid, sector, came, n in rows:
        if came:
            checked[(sid, sector)] += n
    for (sid, sector), n in checked.items():
        per_session = attended.setdefault(sid, {})
        per_session[sector] = max(per_session.get(sector, 0), n)
    registered = [(sector, n) for sid, sector, _, n in rows if sid == s.id]
    attended_own = list(attended.get(s.id or 0, {}).items())
    attended_all = [pair for counts in attended.values() for pair in counts.items()]
    return d.Attendance(session_id=s.id or 0, registered=_counts(registered), attended=_counts(attended_own),
                        attended_with_breakouts=_counts(attended_all))


async def set_head_counts(session: AsyncSession, s: DialogueSession, counts: Sequence[d.HeadCount]) -> None:
    if s.status == "cancelled":
        raise StateConflict("A cancelled session records no attendance.")
    merged: dict[str, int] = {}
    for c in counts:
        if c.sector.value in merged:
            raise Unprocessable(errors=[field_error("sector", f"{c.sector.value} given twice")])
        merged[c.sector.value] = c.count
    s.head_counts = merged
    s.updated_at = utcnow()
    await session.flush()


# --- live console ------------------------------------------------------------------------------

async def live_state(session: AsyncSession, s: DialogueSession) -> d.LiveState:
    """What a live console shows, as a few tokens, in one statement beside the session's own row.

    Per part: how many rows, the sum of their versions and the highest id. Every edit raises a row's
    version (optimistic locking), every addition brings a higher id, every removal lowers the count, so
    a token changes whenever anything in its part does — and reading it touches only indexed columns.
    """
    def part(name: str, model: Any, owner: Any) -> Any:
        return (select(literal_column(f"'{name}'").label("part"), func.count().label("n"),
                       func.coalesce(func.sum(model.version), 0).label("versions"),
                       func.coalesce(func.max(model.id), 0).label("top"))
                .where(owner == s.id))

    statement = union_all(part("agenda", AgendaItem, col(AgendaItem.session_id)),
                          part("participants", Participant, col(Participant.session_id)),
                          part("recommendations", Recommendation, col(Recommendation.session_id)))
    tokens = {name: f"{n}-{versions}-{top}" for name, n, versions, top in (await session.exec(statement)).all()}
    own = str(s.version)
    return d.LiveState(
        session_id=s.id or 0, status=d.SessionStatus(s.status), current_agenda_item_id=s.current_agenda_item_id,
        session=own, agenda=tokens["agenda"], participants=tokens["participants"],
        recommendations=tokens["recommendations"],
        fingerprint=".".join((own, tokens["agenda"], tokens["participants"], tokens["recommendations"])),
    )


# --- protocol ----------------------------------------------------------------------------------

async def protocol_versions(session: AsyncSession, session_id: int) -> list[Protocol]:
    return list((await session.exec(select(Protocol).where(col(Protocol.session_id) == session_id)
                                    .order_by(col(Protocol.number_version)))).scalars())


def protocol_read(p: Protocol) -> d.ProtocolRead:
    return d.ProtocolRead(
        id=p.id or 0, session_id=p.session_id, version=p.number_version, status=d.ProtocolStatus(p.status),
        number=p.number, held_on=p.held_on, place=p.place, chair=p.chair, secretary=p.secretary,
        attendees=p.attendees, attendance=d.SectorCounts(**(p.attendance or {})),
        items=[d.ProtocolItem.model_validate(i) for i in p.items or []], correction_reason=p.correction_reason,
        published_at=p.published_at, supersedes_version=p.number_version - 1 if p.number_version > 1 else None,
        etag_version=p.version,
    )


def current_protocol(versions: Sequence[Protocol], *, include_draft: bool) -> Protocol:
    """The newest version the caller may see: a draft only for editors, else the newest published."""
    for p in reversed(versions):
        if p.status == "published" or include_draft:
            return p
    raise ProtocolNotFound("This session has no published protocol yet.")


async def start_protocol(session: AsyncSession, s: DialogueSession, data: d.ProtocolFields) -> Protocol:
    """Version 1, pre-filled from the session: place, agenda with heard/decided, attendance by sector."""
    if await protocol_versions(session, s.id or 0):
        raise StateConflict("The protocol already exists; edit its draft or publish a correction.")
    if s.status in ("draft", "cancelled"):
        raise StateConflict(f"A {s.status} session has no protocol.")
    items = await agenda_of(session, s.id or 0)
    counts = await attendance(session, s)
    p = Protocol(
        session_id=s.id or 0, number=data.number, held_on=data.held_on or s.starts_at.astimezone(KAZAKHSTAN).date(),
        place=data.place or s.venue or s.online_url, chair=data.chair, secretary=data.secretary,
        attendees=data.attendees,
        attendance=counts.attended_with_breakouts.model_dump(),
        items=[x.model_dump() for x in data.items] if data.items is not None else
        [{"title": i.title, "heard": i.heard, "decided": i.decided} for i in items],
    )
    session.add(p)
    await session.flush()
    return p


async def edit_protocol(session: AsyncSession, p: Protocol, data: d.ProtocolFields) -> Protocol:
    if p.status == "published":
        raise ProtocolFrozen("Published protocols are immutable; create a correction (a new version).")
    fields = data.model_dump(exclude_unset=True)
    if "items" in fields:
        fields["items"] = [x.model_dump() for x in data.items or []]
    for key, value in fields.items():
        setattr(p, key, value)
    await session.flush()
    return p


async def publish_protocol(session: AsyncSession, s: DialogueSession, p: Protocol) -> Protocol:
    if p.status == "published":
        raise ProtocolFrozen("This version is already published.")
    if s.status != "concluded":
        raise StateConflict("Publish the protocol once the session has concluded.")
    missing = [name for name, value in (("number", p.number), ("held_on", p.held_on), ("chair", p.chair))
               if not value]
    if missing or not p.items:
        raise Unprocessable("The protocol is not complete.",
                            errors=[field_error(m, "required to publish") for m in missing]
                            + ([field_error("items", "at least one item")] if not p.items else []))
    p.status = "published"
    p.published_at = utcnow()
    await session.flush()
    emit(session, "protocol.published", f"session/{s.id}",
         {"session_id": s.id, "protocol_id": p.id, "version": p.number_version, "number": p.number})
    return p


async def correct_protocol(session: AsyncSession, s: DialogueSession, reason: str) -> Protocol:
    versions = await protocol_versions(session, s.id or 0)
    if not versions or versions[-1].status != "published":
        raise StateConflict("Corrections are made to a published protocol; edit the current draft instead.")
    last = versions[-1]
    p = Protocol(session_id=last.session_id, number_version=last.number_version + 1, number=last.number,
                 held_on=last.held_on, place=last.place, chair=last.chair, secretary=last.secretary,
                 attendees=last.attendees, attendance=dict(last.attendance or {}),
                 items=[dict(i) for i in last.items or []], correction_reason=reason)
    session.add(p)
    await session.flush()
    return p


def sector_of_org_kind(kind: OrgKind) -> Sector:
    return {
        OrgKind.state_body: Sector.state, OrgKind.research_education: Sector.expert, OrgKind.media: Sector.media,
        OrgKind.business: Sector.business, OrgKind.international: Sector.international,
    }.get(kind, Sector.civil_society)
