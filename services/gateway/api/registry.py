"""Reads of the registry (scope `read`): regions, organizations, their members, public councils' composition."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from services.common.db import MAX_ID
from services.contracts import orgs as o
from services.gateway.api.auth import ReadKey
from services.gateway.api.deps import (
    DEFAULT_PAGE,
    TEXT_PATTERN,
    ApiDep,
    Cursor,
    Id,
    Kato,
    Limit,
    Search,
)
from services.gateway.api.errors import problems
from services.gateway.upstream import Params

router = APIRouter(prefix="/v1")


@router.get("/regions", response_model=o.RegionPage, tags=["registry"], responses=problems(),
            summary="KATO regions (top level, or the children of one)")
async def list_regions(
    api: ApiDep, _: ReadKey,
    parent_code: Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="Children of this region")] = None,
    top_level: bool = False, limit: Limit = 200, cursor: Cursor = None,
) -> o.RegionPage:
    return await api.get(api.orgs, "/v1/regions", o.RegionPage, params={
        "parent_code": parent_code, "top_level": top_level or None, "limit": limit, "cursor": cursor})


@router.get("/regions/{code}", response_model=o.RegionRead, tags=["registry"], responses=problems(404),
            summary="One KATO region")
async def read_region(api: ApiDep, _: ReadKey,
                      code: Annotated[str, Path(pattern=r"^[0-9]{9}$", description="KATO code")]) -> o.RegionRead:
    return await api.get(api.orgs, f"/v1/regions/{code}", o.RegionRead)


def org_filters(
    q: Search = None,
    kind: Annotated[list[o.OrgKind], Query(description="One or more kinds")] = [],  # noqa: B006
    level: o.OrgLevel | None = None, region: Kato = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Sub-organizations of this one")] = None,
    attached_to_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                description="Public councils attached to this state body")] = None,
    topic: Annotated[str | None, Query(max_length=80, pattern=TEXT_PATTERN)] = None,
    include_archived: bool = False,
) -> Params:
    """The registry's filters of organizations, as the list and the exports take them."""
    return {"q": q, "kind": [k.value for k in kind], "level": level.value if level else None, "region": region,
            "parent_id": parent_id, "attached_to_id": attached_to_id, "topic": topic,
            "include_archived": include_archived or None}


OrgFiltersDep = Annotated[Params, Depends(org_filters)]


@router.get("/organizations", response_model=o.OrgPage, tags=["registry"], responses=problems(),
            summary="Organizations: state bodies, public councils, NGOs, … with the registry's filters and search")
async def list_organizations(api: ApiDep, _: ReadKey, filters: OrgFiltersDep, limit: Limit = DEFAULT_PAGE,
                             cursor: Cursor = None) -> o.OrgPage:
    return await api.get(api.orgs, "/v1/orgs", o.OrgPage, params={**filters, "limit": limit, "cursor": cursor})


@router.get("/organizations/{org_id}", response_model=o.OrgRead, tags=["registry"], responses=problems(404),
            summary="One organization (ETag: its version)")
async def read_organization(api: ApiDep, _: ReadKey, org_id: Id, response: Response) -> o.OrgRead:
    return await api.get(api.orgs, f"/v1/orgs/{org_id}", o.OrgRead, response)


@router.get("/organizations/{org_id}/members", response_model=o.OrgMembers, tags=["registry"],
            responses=problems(404),
            summary="Members now and before, and sub-organizations (never anyone's personal contacts)")
async def organization_members(api: ApiDep, _: ReadKey, org_id: Id) -> o.OrgMembers:
    return await api.get(api.orgs, f"/v1/orgs/{org_id}/members", o.OrgMembers)


@router.get("/organizations/{org_id}/composition", response_model=o.CompositionCheck, tags=["public councils"],
            responses=problems(404), summary="A public council's composition checked against the law")
async def council_composition(api: ApiDep, _: ReadKey, org_id: Id) -> o.CompositionCheck:
    return await api.get(api.orgs, f"/v1/orgs/{org_id}/composition", o.CompositionCheck)


@router.get("/public-councils/composition", response_model=o.CompositionCheckPage, tags=["public councils"],
            responses=problems(), summary="Every public council's composition check")
async def composition_checks(api: ApiDep, _: ReadKey, region: Kato = None, with_findings_only: bool = False,
                             limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> o.CompositionCheckPage:
    return await api.get(api.orgs, "/v1/composition-checks", o.CompositionCheckPage, params={
        "region": region, "with_findings_only": with_findings_only or None, "limit": limit, "cursor": cursor})
