"""Business rules of the registry. Functions flush but never commit: the session dependency does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from services.common.db import AsyncSession, get_by_id, kato_condition, today_kz, utcnow
from services.common.pagination import after, decode_cursor, encode_cursor
from services.common.problems import field_error
from services.common.text import fold, like_escape, search_document
from services.contracts import orgs as c
from services.orgs import search
from services.orgs.errors import (
    DuplicateBin,
    DuplicateRecord,
    InvalidReference,
    MembershipNotFound,
    NotACouncil,
    OrgNotFound,
    PersonNotFound,
    RegionNotFound,
)
from services.orgs.models import Membership, Organization, OrgTopic, Person, Region
from services.orgs.settings import OrgsSettings

_Row = TypeVar("_Row", Organization, Person, Membership)


async def by_ids(session: AsyncSession, model: type[_Row], ids: Iterable[int | None]) -> dict[int, _Row]:
    """Rows of `model` by id, in one query whatever the number of ids."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = (await session.exec(select(model).where(col(model.id).in_(wanted)))).scalars()
    return {row.id: row for row in rows if row.id is not None}


async def batch(session: AsyncSession, model: type[_Row], ids: Sequence[int]) -> tuple[list[_Row], list[int]]:
    """Rows in the order asked for, and the ids that name nothing."""
    wanted = list(dict.fromkeys(ids))
    found = await by_ids(session, model, wanted)
    return [found[i] for i in wanted if i in found], [i for i in wanted if i not in found]


# ---------------------------------------------------------------------------------------------
# Presentation: table rows → contracts


def pick(names: c.Names, language: str) -> str:
    return getattr(names, language, None) or names.ru


def region_read(region: Region, language: str) -> c.RegionRead:
    names = c.Names(ru=region.name_ru, kk=region.name_kk, en=region.name_en)
    return c.RegionRead(code=region.code, parent_code=region.parent_code, kind=region.kind, names=names,
                        name=pick(names, language))


def org_names(org: Organization) -> c.Names:
    return c.Names(ru=org.name_ru, kk=org.name_kk, en=org.name_en)


def org_is_active(org: Organization, today: date | None = None) -> bool:
    today = today or today_kz()
    return not org.is_archived and (org.dissolved_on is None or org.dissolved_on > today)


def org_read(org: Organization, topics: Sequence[str], language: str) -> c.OrgRead:
    names = org_names(org)
    return c.OrgRead.model_construct(
        id=org.id or 0, kind=c.OrgKind(org.kind), level=c.OrgLevel(org.level), region_code=org.region_code,
        parent_id=org.parent_id, attached_to_id=org.attached_to_id, names=names, name=pick(names, language),
        short_name=org.short_name, other_names=list(org.other_names or []), bin=org.bin, topics=list(topics),
        contacts=c.OrgContactsRead.model_construct(website=org.website, email=org.email, phone=org.phone,
                                                   address=org.address),
        founded_on=org.founded_on, dissolved_on=org.dissolved_on, term_ends_on=org.term_ends_on,
        is_archived=org.is_archived, is_active=org_is_active(org), version=org.version,
        created_at=org.created_at, updated_at=org.updated_at,
    )


async def topics_of(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(org_ids)
    out: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.exec(select(col(OrgTopic.org_id), col(OrgTopic.label)).where(col(OrgTopic.org_id).in_(ids)))
    for org_id, label in rows:
        out[org_id].append(label)
    for labels in out.values():  # sorted here, not in SQL: collations differ between the databases
        labels.sort(key=fold)
    return out


async def org_reads(session: AsyncSession, orgs: Sequence[Organization], language: str) -> list[c.OrgRead]:
    topics = await topics_of(session, (o.id for o in orgs if o.id is not None))
    return [org_read(o, topics.get(o.id or 0, []), language) for o in orgs]


def person_full_name(person: Person) -> str:
    return " ".join(p for p in (person.family_name, person.given_name, person.patronymic) if p)


def person_read(person: Person, *, with_contacts: bool) -> c.PersonRead:
    contacts = (
        c.PersonContactsRead.model_construct(email=person.email, phone=person.phone, iin=person.iin)
        if with_contacts else None
    )
    return c.PersonRead.model_construct(
        id=person.id or 0, family_name=person.family_name, given_name=person.given_name,
        patronymic=person.patronymic, name_kk=person.name_kk, name_en=person.name_en,
        honorific=person.honorific, position=person.position, full_name=person_full_name(person),
        is_archived=person.is_archived, version=person.version, contacts=contacts,
        created_at=person.created_at, updated_at=person.updated_at,
    )


def membership_is_current(m: Membership, today: date | None = None) -> bool:
    today = today or today_kz()
    return (m.start_on is None or m.start_on <= today) and (m.end_on is None or m.end_on >= today)


async def membership_reads(
    session: AsyncSession, memberships: Sequence[Membership], language: str
) -> list[c.MembershipRead]:
    """Names of people and organizations for a page of memberships, in two queries whatever its size."""
    person_ids = {m.person_id for m in memberships}
    org_ids = {m.org_id for m in memberships} | {m.on_behalf_of_id for m in memberships if m.on_behalf_of_id}
    people = await by_ids(session, Person, person_ids)
    orgs = await by_ids(session, Organization, org_ids)
    today = today_kz()
    out = []
    for m in memberships:
        org = orgs[m.org_id]
        behalf = orgs.get(m.on_behalf_of_id) if m.on_behalf_of_id else None
        out.append(c.MembershipRead.model_construct(
            id=m.id or 0, person_id=m.person_id, org_id=m.org_id, role=c.MembershipRole(m.role), title=m.title,
            on_behalf_of_id=m.on_behalf_of_id, start_on=m.start_on, end_on=m.end_on,
            is_current=membership_is_current(m, today), version=m.version,
            person_name=person_full_name(people[m.person_id]), org_name=pick(org_names(org), language),
            on_behalf_of_name=pick(org_names(behalf), language) if behalf else None,
        ))
    return out


# ---------------------------------------------------------------------------------------------
# Search: a folded document per record, ranked matches, the same on every database


def search_condition(document: Any, q: str) -> tuple[ColumnElement[bool], ColumnElement[int]] | None:
    """Every word of `q` must occur in the document (inside words too); rank best matches first.

    Rank 0: a whole name equals the query; 1: a name starts with it; 2: a word starts with it;
    3: the phrase occurs inside a word; 4: the words occur apart.
    """
    phrase = fold(q)
    if not phrase:
        return None
    words = phrase.split()
    esc = like_escape(phrase)
    condition = and_(*(document.like(f"%{like_escape(w)}%", escape="\\") for w in words))
    rank = case(
        # A document ends with "| <last name> " (no closing bar), so a whole-name match may end it.
        (or_(document.like(f"%| {esc} |%", escape="\\"), document.like(f"%| {esc} ", escape="\\")), 0),
        (document.like(f"%| {esc}%", escape="\\"), 1),
        (document.like(f"% {esc}%", escape="\\"), 2),
        (document.like(f"%{esc}%", escape="\\"), 3),
        else_=4,
    )
    return condition, rank


def org_document(org: Organization) -> str:
    # Unbounded: every name in three languages plus up to 20 other names (the column is TEXT).
    return search_document([org.name_ru, org.name_kk, org.name_en, org.short_name, *(org.other_names or []),
                            org.bin])


def refresh_org_search(org: Organization) -> None:
    org.search_text = org_document(org)
    org.sort_name = fold(org.name_ru)[:500]


def refresh_person_search(person: Person) -> None:
    full = person_full_name(person)
    person.search_text = search_document([full, f"{person.given_name} {person.family_name}", person.name_kk,
                                          person.name_en, person.position])
    person.sort_name = fold(full)[:500]


# ---------------------------------------------------------------------------------------------
# Regions


async def get_region(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise RegionNotFound(f"No region with KATO code {code}.")
    return region


async def list_regions(
    session: AsyncSession, *, parent_code: str | None, top_level: bool, limit: int, cursor: str | None
) -> tuple[list[Region], str | None]:
    query = select(Region)
    if parent_code:
        query = query.where(col(Region.parent_code) == parent_code)
    elif top_level:
        query = query.where(col(Region.parent_code).is_(None))
    if cursor:
        (last,) = decode_cursor(cursor, 1, [str])
        query = query.where(col(Region.code) > last)
    rows = list((await session.exec(query.order_by(col(Region.code)).limit(limit + 1))).scalars())
    next_cursor = encode_cursor([rows[limit - 1].code]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def create_region(session: AsyncSession, data: c.RegionCreate) -> Region:
    if await session.get(Region, data.code) is not None:
        raise DuplicateRecord(f"Region {data.code} already exists.", errors=[field_error("code", "already exists")])
    if data.parent_code is None:
        raise InvalidReference("The 20 top-level regions come with the system; new regions need a parent.",
                               errors=[field_error("parent_code", "required")])
    parent = await session.get(Region, data.parent_code)
    if parent is None:
        raise InvalidReference(errors=[field_error("parent_code", "no such region")])
    region = Region(code=data.code, parent_code=data.parent_code, kind="district", name_ru=data.names.ru,
                    name_kk=data.names.kk, name_en=data.names.en)
    session.add(region)
    await session.flush()
    return region


# ---------------------------------------------------------------------------------------------
# Organizations


async def get_org(session: AsyncSession, org_id: int) -> Organization:
    org = await get_by_id(session, Organization, org_id)
    if org is None:
        raise OrgNotFound(f"No organization with id {org_id}.")
    return org


async def _check_org_references(session: AsyncSession, org: Organization, *, parent_set: bool = True) -> None:
    """`parent_set`: the parent is being chosen now. An archived parent refuses new children, but the
    children it already has stay editable."""
    errors = []
    if org.region_code and await session.get(Region, org.region_code) is None:
        errors.append(field_error("region_code", "no such region"))
    if org.parent_id is not None:
        parent = await get_by_id(session, Organization, org.parent_id)
        if parent is None:
            errors.append(field_error("parent_id", "no such organization"))
        elif parent.is_archived and parent_set:
            errors.append(field_error("parent_id", "the parent organization is archived"))
        elif org.id is not None and await _is_descendant(session, parent, org.id):
            errors.append(field_error("parent_id", "an organization cannot be its own ancestor"))
    if org.attached_to_id is not None:
        if org.kind != c.OrgKind.public_council:
            errors.append(field_error("attached_to_id", "only a public council is attached to a state body"))
        else:
            body = await get_by_id(session, Organization, org.attached_to_id)
            if body is None:
                errors.append(field_error("attached_to_id", "no such organization"))
            elif body.kind != c.OrgKind.state_body:
                errors.append(field_error("attached_to_id", "a public council is attached to a state body"))
    if org.dissolved_on and org.founded_on and org.dissolved_on < org.founded_on:
        errors.append(field_error("dissolved_on", "cannot be before founded_on"))
    if errors:
        raise InvalidReference(errors=errors)


async def _is_descendant(session: AsyncSession, candidate: Organization, ancestor_id: int) -> bool:
    node: Organization | None = candidate
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if node.id == ancestor_id:
            return True
        seen.add(node.id or 0)
        node = await session.get(Organization, node.parent_id) if node.parent_id else None
    return False


async def _check_bin_free(session: AsyncSession, bin_value: str | None, own_id: int | None) -> None:
    if not bin_value:
        return
    existing = (await session.exec(select(col(Organization.id)).where(col(Organization.bin) == bin_value))).first()
    if existing is not None and existing[0] != own_id:
        raise DuplicateBin(f"BIN {bin_value} belongs to organization {existing[0]}.",
                           errors=[field_error("bin", "already registered")], existing_id=existing[0])


def topic_key(label: str) -> str:
    """The folded form a topic is matched by; folding can lengthen text (ﬃ → ffi), the column holds 80."""
    return fold(label)[:80]


def unique_topics(labels: Iterable[str]) -> dict[str, str]:
    """One topic per folded key, the first label given wins."""
    seen: dict[str, str] = {}
    for label in labels:
        key = topic_key(label)
        if key and key not in seen:
            seen[key] = label.strip()
    return seen


async def _set_topics(session: AsyncSession, org: Organization, labels: Sequence[str]) -> None:
    assert org.id is not None
    for row in (await session.exec(select(OrgTopic).where(col(OrgTopic.org_id) == org.id))).scalars():
        await session.delete(row)
    await session.flush()
    session.add_all(OrgTopic(org_id=org.id, topic=key, label=label) for key, label in unique_topics(labels).items())


def _apply_org_fields(org: Organization, fields: dict[str, Any]) -> None:
    # Names and contacts are merged key by key: a PATCH of names.ru keeps the Kazakh and English names
    # (an update dumps with exclude_unset, so only the keys sent are present; null removes one).
    names = fields.pop("names", None)
    if names is not None:
        for language in ("ru", "kk", "en"):
            if language in names:
                setattr(org, f"name_{language}", names[language])
    contacts = fields.pop("contacts", None)
    if contacts is not None:
        for key in ("website", "email", "phone", "address"):
            if key in contacts:
                setattr(org, key, contacts[key])
    for key, value in fields.items():
        setattr(org, key, value.value if hasattr(value, "value") else value)


async def _flush_unique(session: AsyncSession) -> None:
    """Flush; a unique key taken meanwhile by a concurrent request is a 409 naming the field, as the checks give.

    The checks before the flush catch duplicates already committed; two requests racing past them both
    reach the database, and its unique constraint decides. PostgreSQL names the constraint
    (uq_organization_bin), SQLite the column (organization.bin).
    """
    try:
        await session.flush()
    except IntegrityError as exc:
        reason = str(exc.orig)
        if "uq_organization_bin" in reason or "organization.bin" in reason:
            raise DuplicateBin("Another organization has this BIN.",
                               errors=[field_error("bin", "already registered")]) from exc
        if "uq_person_iin" in reason or "person.iin" in reason:
            raise DuplicateRecord("Another person has this IIN.",
                                  errors=[field_error("contacts.iin", "already registered")]) from exc
        raise DuplicateRecord("The change conflicts with an existing record.") from exc


async def create_org(session: AsyncSession, data: c.OrgCreate) -> tuple[Organization, list[str]]:
    fields = data.model_dump(exclude={"topics"})
    org = Organization(name_ru=data.names.ru, kind=data.kind, level=data.level)
    _apply_org_fields(org, fields)
    await _check_org_references(session, org)
    await _check_bin_free(session, org.bin, None)
    refresh_org_search(org)
    session.add(org)
    await _flush_unique(session)
    await _set_topics(session, org, data.topics)
    await session.flush()
    return org, sorted(dict.fromkeys(t.strip() for t in data.topics))


async def update_org(session: AsyncSession, org: Organization, data: c.OrgUpdate) -> Organization:
    fields = data.model_dump(exclude_unset=True, exclude={"topics"})
    for required in ("kind", "level", "names"):
        if required in fields and fields[required] is None:
            raise InvalidReference(errors=[field_error(required, "cannot be removed")])
    with session.no_autoflush:  # one UPDATE, one version step, however many checks query first
        parent_set = "parent_id" in fields
        _apply_org_fields(org, fields)
        await _check_org_references(session, org, parent_set=parent_set)
        await _check_bin_free(session, org.bin, org.id)
        refresh_org_search(org)
        org.updated_at = utcnow()
    await _flush_unique(session)
    if data.topics is not None:
        await _set_topics(session, org, data.topics)
        await session.flush()
    return org


async def archive_org(session: AsyncSession, org: Organization) -> Organization:
    """Organizations are referenced by sessions and recommendations: deleting archives them."""
    if not org.is_archived:
        org.is_archived = True
        org.archived_at = org.updated_at = utcnow()
        await session.flush()
    return org


class OrgFilters:
    def __init__(self, *, q: str | None = None, kind: Sequence[c.OrgKind] = (), level: c.OrgLevel | None = None,
                 region: str | None = None, parent_id: int | None = None, attached_to_id: int | None = None,
                 topic: str | None = None, include_archived: bool = False) -> None:
        self.q, self.kind, self.level, self.region = q, kind, level, region
        self.parent_id, self.attached_to_id, self.topic = parent_id, attached_to_id, topic
        self.include_archived = include_archived


async def list_orgs(
    session: AsyncSession, filters: OrgFilters, *, limit: int, cursor: str | None
) -> tuple[list[Organization], str | None]:
    query = select(Organization)
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_archived:
        conditions.append(col(Organization.is_archived).is_(False))
    if filters.kind:
        conditions.append(col(Organization.kind).in_([k.value for k in filters.kind]))
    if filters.level:
        conditions.append(col(Organization.level) == filters.level.value)
    if filters.region:
        conditions.append(kato_condition(col(Organization.region_code), filters.region))
    if filters.parent_id is not None:
        conditions.append(col(Organization.parent_id) == filters.parent_id)
    if filters.attached_to_id is not None:
        conditions.append(col(Organization.attached_to_id) == filters.attached_to_id)
    if filters.topic:
        conditions.append(col(Organization.id).in_(
            select(col(OrgTopic.org_id)).where(col(OrgTopic.topic) == topic_key(filters.topic))))
    searched = search.parse(filters.q)
    if searched is not None:  # search as you type: services/orgs/search.py
        return await search.search_orgs(session, searched, conditions, limit=limit, cursor=cursor)
    order: list[Any] = [col(Organization.sort_name), col(Organization.id)]
    if cursor:
        conditions.append(after(order, decode_cursor(cursor, len(order), [str, int])))
    query = query.where(*conditions).order_by(*order).limit(limit + 1)
    orgs = list((await session.exec(query)).scalars())
    next_cursor = None
    if len(orgs) > limit:
        last = orgs[limit - 1]
        next_cursor = encode_cursor([last.sort_name, last.id])
    return orgs[:limit], next_cursor


async def batch_orgs(session: AsyncSession, ids: Sequence[int]) -> tuple[list[Organization], list[int]]:
    return await batch(session, Organization, ids)


async def org_members(
    session: AsyncSession, org: Organization,
) -> tuple[list[Membership], list[Membership], list[Organization]]:
    memberships = list((await session.exec(
        select(Membership).where(col(Membership.org_id) == org.id)
        .order_by(col(Membership.end_on).desc().nulls_first(), col(Membership.start_on), col(Membership.id))
    )).scalars())
    today = today_kz()
    current = [m for m in memberships if membership_is_current(m, today)]
    former = [m for m in memberships if not membership_is_current(m, today) and (m.end_on and m.end_on < today)]
    children = list((await session.exec(
        select(Organization).where(col(Organization.parent_id) == org.id, col(Organization.is_archived).is_(False))
        .order_by(col(Organization.sort_name), col(Organization.id)).limit(500)
    )).scalars())
    return current, former, children


# ---------------------------------------------------------------------------------------------
# Public-council composition (Law of RK "On public councils", art. 9 and 13)

_ROLE_ORDER = {role: i for i, role in enumerate(c.MembershipRole)}


async def composition_checks(
    session: AsyncSession, councils: Sequence[Organization], settings: OrgsSettings, language: str,
    today: date | None = None,
) -> list[c.CompositionCheck]:
    """Findings for a page of councils, with all their memberships loaded in two queries."""
    today = today or today_kz()
    ids = [x.id for x in councils]
    memberships: dict[int, list[Membership]] = defaultdict(list)
    rows: Iterable[Membership] = (
        (await session.exec(select(Membership).where(col(Membership.org_id).in_(ids)))).scalars() if ids else [])
    for m in rows:
        if membership_is_current(m, today):
            memberships[m.org_id].append(m)
    behalf_ids = {m.on_behalf_of_id for ms in memberships.values() for m in ms if m.on_behalf_of_id}
    behalf = await by_ids(session, Organization, behalf_ids)
    return [_check_council(x, memberships.get(x.id or 0, []), behalf, settings, language, today) for x in councils]


def _check_council(
    council: Organization, members: list[Membership], behalf: dict[int, Organization],
    settings: OrgsSettings, language: str, today: date,
) -> c.CompositionCheck:
    findings: list[c.CompositionFinding] = []
    republican = council.level == c.OrgLevel.republican
    low, high = settings.council_size_republican if republican else settings.council_size_local
    person_ids = {m.person_id for m in members}
    size = len(person_ids)

    def is_state(m: Membership) -> bool:
        org = behalf.get(m.on_behalf_of_id) if m.on_behalf_of_id is not None else None
        return org is not None and org.kind == c.OrgKind.state_body

    state_people = {m.person_id for m in members if is_state(m)}
    civil_people = person_ids - state_people
    if size < low:
        findings.append(c.CompositionFinding(code="size_below_minimum", severity=c.FindingSeverity.violation,
                        message=f"{size} members; the law requires at least {low}."))
    if size > high:
        findings.append(c.CompositionFinding(code="size_above_maximum", severity=c.FindingSeverity.violation,
                        message=f"{size} members; the law allows at most {high}."))
    if size and len(civil_people) < settings.council_civil_share * size - 1e-9:
        findings.append(c.CompositionFinding(
            code="civil_society_share_too_low", severity=c.FindingSeverity.violation,
            message=f"{len(civil_people)} of {size} members represent civil society; "
                    f"at least {settings.council_civil_share:.0%} must.",
            person_ids=sorted(state_people)))
    by_ngo: dict[int, set[int]] = defaultdict(set)
    for m in members:
        org = behalf.get(m.on_behalf_of_id) if m.on_behalf_of_id is not None else None
        if org is not None and org.kind != c.OrgKind.state_body and org.id is not None:
            by_ngo[org.id].add(m.person_id)
    for org_id, people in sorted(by_ngo.items()):
        if len(people) > 1:
            findings.append(c.CompositionFinding(
                code="several_members_from_one_ngo", severity=c.FindingSeverity.violation,
                message=f"{len(people)} members represent «{pick(org_names(behalf[org_id]), language)}»; "
                        "one organization may have only one.",
                org_ids=[org_id], person_ids=sorted(people)))
    chairs = [m for m in members if m.role == c.MembershipRole.chair]
    if not chairs:
        findings.append(c.CompositionFinding(code="no_chair", severity=c.FindingSeverity.warning,
                                             message="The council has no chair."))
    for m in chairs:
        if is_state(m):
            findings.append(c.CompositionFinding(
                code="chair_from_state_body", severity=c.FindingSeverity.violation,
                message="The chair must be elected from members who are not in public service.",
                person_ids=[m.person_id]))
    if council.term_ends_on is None:
        findings.append(c.CompositionFinding(code="term_unknown", severity=c.FindingSeverity.warning,
                                             message="The end of the current composition's term is not recorded."))
    elif council.term_ends_on < today:
        findings.append(c.CompositionFinding(
            code="term_expired", severity=c.FindingSeverity.violation,
            message=f"The composition's term ended on {council.term_ends_on.isoformat()}."))
    elif council.term_ends_on - today <= timedelta(days=settings.council_renewal_days):
        findings.append(c.CompositionFinding(
            code="renewal_due", severity=c.FindingSeverity.warning,
            message=f"The term ends on {council.term_ends_on.isoformat()}: forming the new composition "
                    "starts two months before."))
    if council.attached_to_id is None:
        findings.append(c.CompositionFinding(code="not_attached", severity=c.FindingSeverity.warning,
                                             message="The council is not attached to a state body."))
    return c.CompositionCheck(
        council_id=council.id or 0, council_name=pick(org_names(council), language), member_count=size,
        civil_society_count=len(civil_people), state_count=len(state_people), size_range=(low, high),
        term_ends_on=council.term_ends_on, findings=findings)


def ensure_council(org: Organization) -> None:
    if org.kind != c.OrgKind.public_council:
        raise NotACouncil(f"Organization {org.id} is a {org.kind}, not a public council.")


# ---------------------------------------------------------------------------------------------
# People


async def get_person(session: AsyncSession, person_id: int) -> Person:
    person = await get_by_id(session, Person, person_id)
    if person is None:
        raise PersonNotFound(f"No person with id {person_id}.")
    return person


def _apply_person_fields(person: Person, fields: dict[str, Any]) -> None:
    contacts = fields.pop("contacts", None)
    if contacts is not None:  # merged key by key, as for organizations
        for key in ("email", "phone", "iin"):
            if key in contacts:
                setattr(person, key, contacts[key])
    for key, value in fields.items():
        setattr(person, key, value)


async def _check_iin_free(session: AsyncSession, person: Person) -> None:
    if not person.iin:
        return
    existing = (await session.exec(select(col(Person.id)).where(col(Person.iin) == person.iin))).first()
    if existing is not None and existing[0] != person.id:
        # The message names neither the IIN nor the other person: both are personal data.
        raise DuplicateRecord("Another person has this IIN.",
                              errors=[field_error("contacts.iin", "already registered")])


async def create_person(session: AsyncSession, data: c.PersonCreate) -> Person:
    person = Person(family_name=data.family_name, given_name=data.given_name)
    _apply_person_fields(person, data.model_dump())
    await _check_iin_free(session, person)
    refresh_person_search(person)
    session.add(person)
    await _flush_unique(session)
    return person


async def update_person(session: AsyncSession, person: Person, data: c.PersonUpdate) -> Person:
    fields = data.model_dump(exclude_unset=True)
    for required in ("family_name", "given_name"):
        if required in fields and fields[required] is None:
            raise InvalidReference(errors=[field_error(required, "cannot be removed")])
    with session.no_autoflush:
        _apply_person_fields(person, fields)
        await _check_iin_free(session, person)
        refresh_person_search(person)
        person.updated_at = utcnow()
    await _flush_unique(session)
    return person


async def archive_person(session: AsyncSession, person: Person) -> Person:
    if not person.is_archived:
        person.is_archived = True
        person.updated_at = utcnow()
        await session.flush()
    return person


async def list_people(
    session: AsyncSession, *, q: str | None, org_id: int | None, include_archived: bool, limit: int,
    cursor: str | None,
) -> tuple[list[Person], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if not include_archived:
        conditions.append(col(Person.is_archived).is_(False))
    if org_id is not None:
        conditions.append(col(Person.id).in_(select(col(Membership.person_id)).where(col(Membership.org_id) == org_id)))
    order: list[Any] = [col(Person.sort_name), col(Person.id)]
    searched = search_condition(col(Person.search_text), q) if q else None
    if searched is not None:
        conditions.append(searched[0])
        order = [searched[1], *order]
    if cursor:
        key_types = [int, str, int] if searched is not None else [str, int]
        conditions.append(after(order, decode_cursor(cursor, len(order), key_types)))
    query = select(Person).where(*conditions).order_by(*order).limit(limit + 1)
    if searched is not None:
        rows = (await session.exec(query.add_columns(searched[1]))).all()
        people, ranks = [r[0] for r in rows], [r[1] for r in rows]
    else:
        people, ranks = list((await session.exec(query)).scalars()), []
    next_cursor = None
    if len(people) > limit:
        last = people[limit - 1]
        key = [last.sort_name, last.id]
        next_cursor = encode_cursor([ranks[limit - 1], *key] if ranks else key)
    return people[:limit], next_cursor


async def batch_people(session: AsyncSession, ids: Sequence[int]) -> tuple[list[Person], list[int]]:
    return await batch(session, Person, ids)


# ---------------------------------------------------------------------------------------------
# Memberships


async def get_membership(session: AsyncSession, membership_id: int) -> Membership:
    membership = await get_by_id(session, Membership, membership_id)
    if membership is None:
        raise MembershipNotFound(f"No membership with id {membership_id}.")
    return membership


async def _check_membership(session: AsyncSession, m: Membership, *, new: bool) -> None:
    """`new`: a membership being created. An archived person or organization takes no new roles, but the
    roles they had can still be corrected and ended."""
    errors = []
    person = await get_by_id(session, Person, m.person_id)
    if person is None:
        errors.append(field_error("person_id", "no such person"))
    elif person.is_archived and new:
        errors.append(field_error("person_id", "the person is archived"))
    org = await get_by_id(session, Organization, m.org_id)
    if org is None:
        errors.append(field_error("org_id", "no such organization"))
    elif org.is_archived and new:
        errors.append(field_error("org_id", "the organization is archived"))
    if m.on_behalf_of_id is not None:
        behalf = await get_by_id(session, Organization, m.on_behalf_of_id)
        if behalf is None:
            errors.append(field_error("on_behalf_of_id", "no such organization"))
        elif m.on_behalf_of_id == m.org_id:
            errors.append(field_error("on_behalf_of_id", "a member represents another organization"))
    if m.start_on and m.end_on and m.end_on < m.start_on:
        errors.append(field_error("end_on", "cannot be before start_on"))
    if errors:
        raise InvalidReference(errors=errors)


async def create_membership(session: AsyncSession, data: c.MembershipCreate) -> Membership:
    membership = Membership(**{**data.model_dump(), "role": data.role.value})
    await _check_membership(session, membership, new=True)
    session.add(membership)
    await _flush_unique(session)
    return membership


async def update_membership(session: AsyncSession, membership: Membership, data: c.MembershipUpdate) -> Membership:
    fields = data.model_dump(exclude_unset=True)
    if "role" in fields and fields["role"] is None:
        raise InvalidReference(errors=[field_error("role", "cannot be removed")])
    with session.no_autoflush:
        for key, value in fields.items():
            setattr(membership, key, value.value if hasattr(value, "value") else value)
        await _check_membership(session, membership, new=False)
        membership.updated_at = utcnow()
    await _flush_unique(session)
    return membership


async def delete_membership(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


async def list_memberships(
    session: AsyncSession, *, person_id: int | None, org_id: int | None, role: c.MembershipRole | None,
    current: bool | None, limit: int, cursor: str | None,
) -> tuple[list[Membership], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if person_id is not None:
        conditions.append(col(Membership.person_id) == person_id)
    if org_id is not None:
        conditions.append(col(Membership.org_id) == org_id)
    if role is not None:
        conditions.append(col(Membership.role) == role.value)
    if current is not None:
        today = today_kz()
        is_current = and_(
            or_(col(Membership.start_on).is_(None), col(Membership.start_on) <= today),
            or_(col(Membership.end_on).is_(None), col(Membership.end_on) >= today),
        )
        conditions.append(is_current if current else ~is_current)
    if cursor:
        (last,) = decode_cursor(cursor, 1, [int])
        conditions.append(col(Membership.id) > last)
    rows = list((await session.exec(
        select(Membership).where(*conditions).order_by(col(Membership.id)).limit(limit + 1))).scalars())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def count(session: AsyncSession, model: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(model))).one()[0])
