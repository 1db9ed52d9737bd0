"""HTTP routes of the registry (`/v1/...`): thin — parse, depend, call the service, return a contract."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.common.db import MAX_ID
from services.common.http import check_if_match, set_etag
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.common.problems import Unprocessable, field_error
from services.contracts import orgs as c
from services.contracts.auth import Role
from services.orgs import service
from services.orgs.deps import (
    EditorDep,
    IdempotencyDep,
    LanguageDep,
    MaybeActorDep,
    MembershipDep,
    OrgDep,
    PersonDep,
    SessionDep,
    SettingsDep,
)
from services.orgs.models import Organization

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")]
MAX_BATCH = 500

router = APIRouter(prefix="/v1")


def parse_ids(raw: str, field: str = "ids") -> list[int]:
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise Unprocessable(errors=[field_error(field, "comma-separated integers expected")]) from exc
    if not ids or len(ids) > MAX_BATCH or any(not 0 < i <= MAX_ID for i in ids):
        raise Unprocessable(errors=[field_error(field, f"1 to {MAX_BATCH} positive ids expected")])
    return ids


# --- regions -----------------------------------------------------------------------------------

@router.get("/regions", response_model=c.RegionPage, tags=["regions"])
async def list_regions(
    session: SessionDep, language: LanguageDep, response: Response,
    parent_code: Annotated[str | None, Query(max_length=9)] = None,
    top_level: bool = False, limit: Limit = MAX_LIMIT, cursor: Cursor = None,
) -> c.RegionPage:
    regions, next_cursor = await service.list_regions(session, parent_code=parent_code, top_level=top_level,
                                                      limit=limit, cursor=cursor)
    response.headers["Vary"] = "Accept-Language"
    return c.RegionPage(items=[service.region_read(r, language) for r in regions], next_cursor=next_cursor)


@router.get("/regions/{code}", response_model=c.RegionRead, tags=["regions"])
async def read_region(code: str, session: SessionDep, language: LanguageDep) -> c.RegionRead:
    return service.region_read(await service.get_region(session, code), language)


@router.post("/regions", response_model=c.RegionRead, status_code=status.HTTP_201_CREATED, tags=["regions"])
async def create_region(body: c.RegionCreate, session: SessionDep, _: EditorDep, idem: IdempotencyDep,
                        language: LanguageDep, response: Response) -> Response | c.RegionRead:
    if (replay := await idem.replay()) is not None:
        return replay
    read = service.region_read(await service.create_region(session, body), language)
    location = f"/v1/regions/{read.code}"
    await idem.remember(201, read, location)
    response.headers["Location"] = location
    return read


# --- organizations -----------------------------------------------------------------------------

async def _one_org(session: SessionDep, org: Organization, language: str, response: Response) -> c.OrgRead:
    (read,) = await service.org_reads(session, [org], language)
    set_etag(response, org.id, org.version)
    response.headers["Vary"] = "Accept-Language"
    return read


@router.get("/orgs", response_model=c.OrgPage, tags=["organizations"])
async def list_orgs(
    session: SessionDep, language: LanguageDep, response: Response,
    q: Annotated[str | None, Query(max_length=200,
                                   description="Search names in kk/ru/en, short and other names")] = None,
    kind: Annotated[list[c.OrgKind], Query()] = [],  # noqa: B006 - FastAPI reads list defaults per request
    level: c.OrgLevel | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{9}$", description="KATO code; includes sub-regions")] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    attached_to_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    include_archived: bool = False,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> c.OrgPage:
    filters = service.OrgFilters(q=q, kind=kind, level=level, region=region, parent_id=parent_id,
                                 attached_to_id=attached_to_id, topic=topic, include_archived=include_archived)
    orgs, next_cursor = await service.list_orgs(session, filters, limit=limit, cursor=cursor)
    response.headers["Vary"] = "Accept-Language"
    return c.OrgPage(items=await service.org_reads(session, orgs, language), next_cursor=next_cursor)


@router.get("/orgs/batch", response_model=c.OrgBatch, tags=["organizations"],
            summary="Read many organizations by id in one call (for other services)")
async def batch_orgs(session: SessionDep, language: LanguageDep,
                     ids: Annotated[str, Query(max_length=4000,
                                               description="Comma-separated ids, at most 500")]) -> c.OrgBatch:
    orgs, missing = await service.batch_orgs(session, parse_ids(ids))
    return c.OrgBatch(items=await service.org_reads(session, orgs, language), missing=missing)


@router.post("/orgs", response_model=c.OrgRead, status_code=status.HTTP_201_CREATED, tags=["organizations"])
async def create_org(body: c.OrgCreate, session: SessionDep, _: EditorDep, idem: IdempotencyDep,
                     language: LanguageDep, response: Response) -> Response | c.OrgRead:
    if (replay := await idem.replay()) is not None:
        return replay
    org, _topics = await service.create_org(session, body)
    read = await _one_org(session, org, language, response)
    location = f"/v1/orgs/{org.id}"
    await idem.remember(201, read, location)
    response.headers["Location"] = location
    return read


@router.get("/orgs/{org_id}", response_model=c.OrgRead, tags=["organizations"])
async def read_org(org: OrgDep, session: SessionDep, language: LanguageDep, response: Response) -> c.OrgRead:
    return await _one_org(session, org, language, response)


@router.patch("/orgs/{org_id}", response_model=c.OrgRead, tags=["organizations"])
async def update_org(_: EditorDep, org: OrgDep, body: c.OrgUpdate, request: Request, session: SessionDep,
                     language: LanguageDep, response: Response) -> c.OrgRead:
    check_if_match(request, org.id, org.version)
    await service.update_org(session, org, body)
    return await _one_org(session, org, language, response)


@router.delete("/orgs/{org_id}", response_model=c.OrgRead, tags=["organizations"],
               summary="Archive an organization (others reference it, so it is never erased)")
async def archive_org(_: EditorDep, org: OrgDep, request: Request, session: SessionDep, language: LanguageDep,
                      response: Response) -> c.OrgRead:
    check_if_match(request, org.id, org.version)
    await service.archive_org(session, org)
    return await _one_org(session, org, language, response)


@router.get("/orgs/{org_id}/members", response_model=c.OrgMembers, tags=["organizations"],
            summary="An organization's page data: members now and before, and its sub-organizations")
async def org_members(org: OrgDep, session: SessionDep, language: LanguageDep) -> c.OrgMembers:
    current, former, children = await service.org_members(session, org)
    (read,) = await service.org_reads(session, [org], language)
    return c.OrgMembers(org=read, current=await service.membership_reads(session, current, language),
                        former=await service.membership_reads(session, former, language),
                        children=await service.org_reads(session, children, language))


@router.get("/orgs/{org_id}/composition", response_model=c.CompositionCheck, tags=["public councils"],
            summary="Check a public council's composition against the law")
async def council_composition(org: OrgDep, session: SessionDep, settings: SettingsDep,
                              language: LanguageDep) -> c.CompositionCheck:
    service.ensure_council(org)
    (check,) = await service.composition_checks(session, [org], settings, language)
    return check


@router.get("/composition-checks", response_model=c.CompositionCheckPage, tags=["public councils"],
            summary="Composition findings for every public council")
async def composition_checks(
    session: SessionDep, settings: SettingsDep, language: LanguageDep,
    region: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    with_findings_only: bool = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> c.CompositionCheckPage:
    filters = service.OrgFilters(kind=[c.OrgKind.public_council], region=region)
    councils, next_cursor = await service.list_orgs(session, filters, limit=limit, cursor=cursor)
    checks = await service.composition_checks(session, councils, settings, language)
    if with_findings_only:
        checks = [x for x in checks if x.findings]
    return c.CompositionCheckPage(items=checks, next_cursor=next_cursor)


# --- people ------------------------------------------------------------------------------------

def _sees_contacts(actor: MaybeActorDep) -> bool:
    """Coordinators and admins; and a calling service that names itself (the dialogue worker mailing invitations):
    only holders of the shared signing key mint the `service` role, and no account can hold it."""
    if actor is None:
        return False
    return actor.has(Role.admin, Role.coordinator) or (actor.has(Role.service) and actor.service is not None)


@router.get("/people", response_model=c.PersonPage, tags=["people"])
async def list_people(
    session: SessionDep, actor: MaybeActorDep, response: Response,
    q: Annotated[str | None, Query(max_length=200)] = None,
    org_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    include_archived: bool = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> c.PersonPage:
    people, next_cursor = await service.list_people(session, q=q, org_id=org_id, include_archived=include_archived,
                                                    limit=limit, cursor=cursor)
    contacts = _sees_contacts(actor)
    response.headers["Vary"] = "Authorization"
    return c.PersonPage(items=[service.person_read(p, with_contacts=contacts) for p in people],
                        next_cursor=next_cursor)


@router.get("/people/batch", response_model=c.PersonBatch, tags=["people"])
async def batch_people(session: SessionDep, actor: MaybeActorDep, response: Response,
                       ids: Annotated[str, Query(max_length=4000)]) -> c.PersonBatch:
    people, missing = await service.batch_people(session, parse_ids(ids))
    contacts = _sees_contacts(actor)
    response.headers["Vary"] = "Authorization"
    return c.PersonBatch(items=[service.person_read(p, with_contacts=contacts) for p in people], missing=missing)


@router.post("/people", response_model=c.PersonRead, status_code=status.HTTP_201_CREATED, tags=["people"])
async def create_person(body: c.PersonCreate, session: SessionDep, _: EditorDep, idem: IdempotencyDep,
                        response: Response) -> Response | c.PersonRead:
    if (replay := await idem.replay()) is not None:
        return replay
    person = await service.create_person(session, body)
    read = service.person_read(person, with_contacts=True)
    location = f"/v1/people/{person.id}"
    await idem.remember(201, read, location)
    set_etag(response, person.id, person.version)
    response.headers["Location"] = location
    return read


@router.get("/people/{person_id}", response_model=c.PersonRead, tags=["people"],
            summary="A person; contacts only for coordinators and admins")
async def read_person(person: PersonDep, actor: MaybeActorDep, response: Response) -> c.PersonRead:
    set_etag(response, person.id, person.version)
    response.headers["Vary"] = "Authorization"
    return service.person_read(person, with_contacts=_sees_contacts(actor))


@router.patch("/people/{person_id}", response_model=c.PersonRead, tags=["people"])
async def update_person(_: EditorDep, person: PersonDep, body: c.PersonUpdate, request: Request,
                        session: SessionDep, response: Response) -> c.PersonRead:
    check_if_match(request, person.id, person.version)
    await service.update_person(session, person, body)
    set_etag(response, person.id, person.version)
    return service.person_read(person, with_contacts=True)


@router.delete("/people/{person_id}", response_model=c.PersonRead, tags=["people"],
               summary="Archive a person (memberships and sessions reference them)")
async def archive_person(_: EditorDep, person: PersonDep, request: Request, session: SessionDep,
                         response: Response) -> c.PersonRead:
    check_if_match(request, person.id, person.version)
    await service.archive_person(session, person)
    set_etag(response, person.id, person.version)
    return service.person_read(person, with_contacts=True)


# --- memberships -------------------------------------------------------------------------------

@router.get("/memberships", response_model=c.MembershipPage, tags=["memberships"])
async def list_memberships(
    session: SessionDep, language: LanguageDep,
    person_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    org_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    role: c.MembershipRole | None = None, current: bool | None = None,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> c.MembershipPage:
    rows, next_cursor = await service.list_memberships(session, person_id=person_id, org_id=org_id, role=role,
                                                       current=current, limit=limit, cursor=cursor)
    return c.MembershipPage(items=await service.membership_reads(session, rows, language), next_cursor=next_cursor)


@router.post("/memberships", response_model=c.MembershipRead, status_code=status.HTTP_201_CREATED,
             tags=["memberships"])
async def create_membership(body: c.MembershipCreate, session: SessionDep, _: EditorDep, idem: IdempotencyDep,
                            language: LanguageDep, response: Response) -> Response | c.MembershipRead:
    if (replay := await idem.replay()) is not None:
        return replay
    membership = await service.create_membership(session, body)
    (read,) = await service.membership_reads(session, [membership], language)
    location = f"/v1/memberships/{membership.id}"
    await idem.remember(201, read, location)
    set_etag(response, membership.id, membership.version)
    response.headers["Location"] = location
    return read


@router.get("/memberships/{membership_id}", response_model=c.MembershipRead, tags=["memberships"])
async def read_membership(membership: MembershipDep, session: SessionDep, language: LanguageDep,
                          response: Response) -> c.MembershipRead:
    set_etag(response, membership.id, membership.version)
    (read,) = await service.membership_reads(session, [membership], language)
    return read


@router.patch("/memberships/{membership_id}", response_model=c.MembershipRead, tags=["memberships"])
async def update_membership(_: EditorDep, membership: MembershipDep, body: c.MembershipUpdate,
                            request: Request, session: SessionDep, language: LanguageDep,
                            response: Response) -> c.MembershipRead:
    check_if_match(request, membership.id, membership.version)
    await service.update_membership(session, membership, body)
    set_etag(response, membership.id, membership.version)
    (read,) = await service.membership_reads(session, [membership], language)
    return read


@router.delete("/memberships/{membership_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["memberships"],
               summary="Delete a membership entered by mistake (to end one, PATCH its end_on)")
async def delete_membership(_: EditorDep, membership: MembershipDep, request: Request,
                            session: SessionDep) -> Response:
    check_if_match(request, membership.id, membership.version)
    await service.delete_membership(session, membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
