"""The registry's pages: organizations with search-as-you-type, an organization's page, council checks."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.contracts import orgs as o
from services.contracts.orgs import OrgKind
from services.gateway import labels
from services.gateway.deps import PageDep
from services.gateway.errors import PageNotFound
from services.gateway.pages.common import choice, cursor, kato, orgs_by_id, region_names, text, top_regions
from services.gateway.responsiveness import Responsiveness, responsiveness
from services.gateway.upstream import UpstreamProblem

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_SIZE = 25


@dataclass(frozen=True)
class OrgFilters:
    q: str | None
    kind: str | None
    level: str | None
    region: str | None


@dataclass(frozen=True)
class CouncilFilters:
    region: str | None
    problems: bool


@router.get("/orgs")
async def orgs_list(
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    level: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(max_length=9)] = None,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None,
) -> Response:
    filters = OrgFilters(q=text(q), kind=choice(kind, labels.ORG_KIND), level=choice(level, labels.ORG_LEVEL),
                         region=kato(region))
    result, regions = await asyncio.gather(
        page.soft(page.orgs.list_orgs(q=filters.q, kind=[filters.kind] if filters.kind else None,
                                      level=filters.level, region=filters.region, limit=PAGE_SIZE,
                                      cursor=cursor(cursor_)), None),
        top_regions(page),
    )
    names = await region_names(page) if result else {}
    export_query = urlencode({k: v for k, v in asdict(filters).items() if v})
    return page.render("orgs.html", {"result": result, "filters": filters, "regions": regions,
                                     "region_names": names, "export_query": export_query},
                       status_code=200 if result is not None else 503, public=True)


@router.get("/orgs/{org_id}")
async def org_page(page: PageDep, org_id: Id) -> Response:
    try:
        members = await page.soft(page.orgs.org_members(org_id), None)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise
    if members is None:
        return page.render("org.html", {"members": None}, status_code=503)
    org = members.org
    is_council = org.kind == OrgKind.public_council
    related_ids = [i for i in (org.parent_id, org.attached_to_id) if i]
    related, councils, sessions, recs, check, regions = await asyncio.gather(
        orgs_by_id(page, related_ids),
        page.soft(page.orgs.list_orgs(kind=["public_council"], attached_to_id=org.id, limit=50), None)
        if org.kind == OrgKind.state_body else _none(),
        page.soft(page.dialogue.list_sessions(organizer_id=org.id, limit=50), None),
        page.soft(page.dialogue.all_recommendations(addressee_id=org.id, max_pages=5), None),
        page.soft(_composition(page, org.id), None) if is_council else _none(),
        region_names(page),
    )
    row: Responsiveness | None = None
    if recs is not None:
        row = responsiveness(recs).get(org.id) or Responsiveness(org.id)
    finding_orgs: dict[int, Any] = {}
    if check is not None:
        finding_orgs = await orgs_by_id(page, {i for f in check.findings for i in f.org_ids})
    return page.render("org.html", {
        "members": members, "org": org, "related": related, "councils": councils.items if councils else [],
        "sessions": sessions.items if sessions else None, "recommendations": recs, "row": row, "check": check,
        "finding_names": {i: x.name for i, x in finding_orgs.items()}, "regions": regions,
    }, public=True)


async def _composition(page: Any, org_id: int) -> o.CompositionCheck:
    result: o.CompositionCheck = await page.orgs.composition(org_id)
    return result


async def _none() -> None:
    return None


@router.get("/councils")
async def councils(page: PageDep, region: Annotated[str | None, Query(max_length=9)] = None,
                   problems: Annotated[str | None, Query(max_length=5)] = None,
                   cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None) -> Response:
    filters = CouncilFilters(region=kato(region), problems=problems == "1")
    result, regions = await asyncio.gather(
        page.soft(page.orgs.composition_checks(region=filters.region, with_findings_only=filters.problems,
                                               limit=50, cursor=cursor(cursor_)), None),
        top_regions(page),
    )
    ids = {i for c in (result.items if result else []) for f in c.findings for i in f.org_ids}
    names = {i: x.name for i, x in (await orgs_by_id(page, ids)).items()}
    return page.render("councils.html", {"result": result, "filters": filters, "regions": regions,
                                         "finding_names": names},
                       status_code=200 if result is not None else 503, public=True)
