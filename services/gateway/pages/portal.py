"""The public portal: what happened at the sessions, and what became of each recommendation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.contracts import dialogue as d
from services.gateway import labels
from services.gateway.deps import PageDep
from services.gateway.errors import PageNotFound
from services.gateway.i18n import ALMATY
from services.gateway.pages.common import (
    choice,
    choices,
    cursor,
    kato,
    orgs_by_id,
    positive_int,
    region_names,
    state_bodies,
    text,
)
from services.gateway.pages.common import top_regions as load_top_regions
from services.gateway.responsiveness import Responsiveness, ranked
from services.gateway.upstream import UpstreamProblem

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
ANSWERED = ["answered", "in_progress", "implemented", "not_implemented"]
PUBLIC_SESSION_STATUSES = ("scheduled", "in_progress", "concluded", "cancelled")
PAGE_SIZE = 20


@dataclass(frozen=True)
class SessionFilters:
    q: str | None
    kind: str | None
    status: str | None
    region: str | None
    year: int | None


@dataclass(frozen=True)
class RecommendationFilters:
    q: str | None
    status: list[str]
    addressee: int | None
    region: str | None
    overdue: bool


async def _not_found_is_none(awaitable: Any) -> Any:
    try:
        return await awaitable
    except UpstreamProblem as exc:
        if exc.status == 404:
            return None
        raise


# --- home ----------------------------------------------------------------------------------------

@router.get("/")
async def home(page: PageDep) -> Response:
    # The figures are counted by the dialogue service over every recommendation; only five of the overdue
    # ones are read, oldest deadline first.
    sessions, answered, figures, overdue = await asyncio.gather(
        page.soft(page.dialogue.list_sessions(limit=30), None),
        page.soft(page.dialogue.list_recommendations(status=ANSWERED, order="recent", limit=5), None),
        page.soft(page.dialogue.responsiveness(limit=10), None),
        page.soft(page.dialogue.list_recommendations(overdue=True, order="deadline", limit=5), None),
    )
    latest = [s for s in sessions.items if s.parent_id is None][:5] if sessions else None
    table = ranked({b.org_id: Responsiveness(**b.model_dump()) for b in figures.bodies}) if figures else None
    longest_overdue = overdue.items if overdue else []
    ids = {o for s in latest or [] for o in s.organizer_ids}
    ids |= {a.org_id for r in [*(answered.items if answered else []), *longest_overdue] for a in r.addressees}
    ids |= {row.org_id for row in table or []}
    orgs = await orgs_by_id(page, ids)
    return page.render("home.html", {
        "sessions": latest, "answered": answered.items if answered else None, "table": table,
        "sent_count": figures.sent if figures else None,
        "overdue_count": figures.overdue if figures else None, "longest_overdue": longest_overdue,
        "orgs": orgs,
    }, public=True)


# --- sessions ------------------------------------------------------------------------------------

@router.get("/sessions")
async def sessions_list(
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=9)] = None,
    year: Annotated[str | None, Query(max_length=4)] = None,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None,
) -> Response:
    filters = SessionFilters(q=text(q), kind=choice(kind, labels.SESSION_KIND), region=kato(region),
                             status=choice(status, PUBLIC_SESSION_STATUSES), year=positive_int(year))
    starts_from = starts_before = None
    if filters.year and 2000 <= filters.year <= 2100:
        starts_from = datetime.combine(datetime(filters.year, 1, 1), time(), ALMATY).isoformat()
        starts_before = datetime.combine(datetime(filters.year + 1, 1, 1), time(), ALMATY).isoformat()
    result, regions = await asyncio.gather(
        page.soft(page.dialogue.list_sessions(
            q=filters.q, kind=[filters.kind] if filters.kind else None,
            status=[filters.status] if filters.status else None, region=filters.region,
            starts_from=starts_from, starts_before=starts_before, limit=PAGE_SIZE, cursor=cursor(cursor_)), None),
        load_top_regions(page),
    )
    orgs = await orgs_by_id(page, {o for s in (result.items if result else []) for o in s.organizer_ids})
    return page.render("sessions.html", {
        "result": result, "filters": filters, "regions": regions, "orgs": orgs,
        "region_names": await region_names(page) if result else {},
    }, status_code=200 if result is not None else 503, public=True)


@router.get("/sessions/{session_id}")
async def session_page(page: PageDep, session_id: Id, protocol: Annotated[str | None, Query()] = None) -> Response:
    session = await page.soft(_not_found_is_none(page.dialogue.session(session_id)), False)
    if session is None:
        raise PageNotFound()
    if session is False:
        return page.render("session.html", {"session": None}, status_code=503)
    assert isinstance(session, d.SessionRead)
    agenda, attendance, versions, recs, children, parent = await asyncio.gather(
        page.soft(page.dialogue.agenda(session_id), None),
        page.soft(page.dialogue.attendance(session_id), None),
        page.soft(page.dialogue.protocol_versions(session_id), None),
        page.soft(page.dialogue.list_recommendations(session_id=session_id, order="recent", limit=200), None),
        page.soft(page.dialogue.list_sessions(parent_id=session_id, limit=100), None) if session.child_ids
        else _none(),
        page.soft(_not_found_is_none(page.dialogue.session(session.parent_id)), None) if session.parent_id
        else _none(),
    )
    if versions is not None:  # the portal shows the official record only, also to a signed-in editor
        versions = [v for v in versions if v.status == d.ProtocolStatus.published]
    wanted_version = positive_int(protocol)
    shown = None
    if versions:
        shown = next((v for v in versions if v.version == wanted_version), None) or versions[-1]
    org_ids = set(session.organizer_ids)
    person_ids: set[int] = set()
    for item in agenda or []:
        for speaker in item.speakers:
            if speaker.org_id:
                org_ids.add(speaker.org_id)
            if speaker.person_id:
                person_ids.add(speaker.person_id)
    for rec in recs.items if recs else []:
        org_ids |= {a.org_id for a in rec.addressees}
    orgs, people, regions = await asyncio.gather(
        orgs_by_id(page, org_ids),
        page.soft(page.orgs.people_by_id(person_ids), {}) if person_ids else _empty(),
        region_names(page),
    )
    return page.render("session.html", {
        "session": session, "agenda": agenda, "attendance": attendance, "versions": versions, "protocol": shown,
        "recommendations": recs.items if recs else None, "children": children.items if children else [],
        "parent": parent, "orgs": orgs, "people": people, "regions": regions,
    }, public=True)


async def _none() -> None:
    return None


async def _empty() -> dict[int, Any]:
    return {}


# --- recommendations -----------------------------------------------------------------------------

@router.get("/recommendations")
async def recommendations_list(
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[list[str], Query(max_length=40)] = [],  # noqa: B006 - FastAPI reads it per request
    addressee: Annotated[str | None, Query(max_length=12)] = None,
    region: Annotated[str | None, Query(max_length=9)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None,
) -> Response:
    filters = RecommendationFilters(q=text(q), status=choices(status, labels.PUBLIC_RECOMMENDATION_STATUSES),
                                    addressee=positive_int(addressee), region=kato(region), overdue=overdue == "1")
    result, regions, bodies = await asyncio.gather(
        page.soft(page.dialogue.list_recommendations(
            q=filters.q, status=filters.status, addressee_id=filters.addressee, region=filters.region,
            overdue=True if filters.overdue else None, order="deadline", limit=PAGE_SIZE,
            cursor=cursor(cursor_)), None),
        load_top_regions(page),
        state_bodies(page),
    )
    org_ids = {a.org_id for r in (result.items if result else []) for a in r.addressees}
    orgs = await orgs_by_id(page, org_ids)
    return page.render("recommendations.html", {
        "result": result, "filters": filters, "regions": regions, "orgs": orgs,
        "bodies": bodies,
    }, status_code=200 if result is not None else 503, public=True)


@router.get("/recommendations/{recommendation_id}")
async def recommendation_page(page: PageDep, recommendation_id: Id) -> Response:
    rec = await page.soft(_not_found_is_none(page.dialogue.recommendation(recommendation_id)), False)
    if rec is None:
        raise PageNotFound()
    if rec is False:
        return page.render("recommendation.html", {"rec": None}, status_code=503)
    assert isinstance(rec, d.RecommendationDetail)
    chain_ids = await page.soft(page.dialogue.chain(recommendation_id), [recommendation_id])
    linked_ids = [i for i in chain_ids if i != rec.id] + list(rec.escalated_to_ids)
    linked_list = await asyncio.gather(*(page.soft(_not_found_is_none(page.dialogue.recommendation(i)), None)
                                         for i in linked_ids))
    linked = {i: r for i, r in zip(linked_ids, linked_list, strict=True) if r is not None}
    session = None
    if rec.session_id:
        session = await page.soft(_not_found_is_none(page.dialogue.session(rec.session_id)), None)
    org_ids = {a.org_id for a in rec.addressees} | {r.org_id for r in rec.responses} | {p.org_id for p in rec.progress}
    for other in linked.values():
        org_ids |= {a.org_id for a in other.addressees}
    orgs, regions = await asyncio.gather(orgs_by_id(page, org_ids), region_names(page))
    late = {a.org_id for a in rec.addressees if a.answered_at and rec.response_due_on
            and a.answered_at.astimezone(ALMATY).date() > rec.response_due_on}
    return page.render("recommendation.html", {
        "rec": rec, "chain": chain_ids, "linked": linked, "session": session, "orgs": orgs, "regions": regions,
        "late": late,
    }, public=True)
