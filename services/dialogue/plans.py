"""Joint action plans: items owned by both sides, with progress reports from either."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from services.common.db import AsyncSession, today_kz
from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import Unprocessable, field_error
from services.contracts import dialogue as d
from services.contracts.auth import Actor, Role
from services.contracts.orgs import Names, OrgKind
from services.dialogue.db import get_by_id
from services.dialogue.errors import InvalidReference, NotYourBody, PlanNotFound, StateConflict
from services.dialogue.models import ActionPlan, DialogueSession, PlanItem, PlanReport, Recommendation
from services.dialogue.orgs_client import OrgsClient
from services.dialogue.outbox import emit


async def get_plan(session: AsyncSession, plan_id: int) -> ActionPlan:
    plan = await get_by_id(session, ActionPlan, plan_id)
    if plan is None:
        raise PlanNotFound(f"No action plan with id {plan_id}.")
    return plan


async def get_item(session: AsyncSession, plan: ActionPlan, item_id: int) -> PlanItem:
    item = await get_by_id(session, PlanItem, item_id)
    if item is None or item.plan_id != plan.id:
        raise PlanNotFound(f"Action plan {plan.id} has no item {item_id}.")
    return item


async def plan_reads(session: AsyncSession, plans: Sequence[ActionPlan], language: str) -> list[d.PlanRead]:
    ids = [p.id for p in plans]
    items: dict[int, list[PlanItem]] = defaultdict(list)
    reports: dict[int, list[PlanReport]] = defaultdict(list)
    if ids:
        for item in (await session.exec(select(PlanItem).where(col(PlanItem.plan_id).in_(ids))
                                        .order_by(col(PlanItem.id)))).scalars():
            items[item.plan_id].append(item)
        item_ids = [i.id for group in items.values() for i in group]
        if item_ids:
            for r in (await session.exec(select(PlanReport).where(col(PlanReport.item_id).in_(item_ids))
                                         .order_by(col(PlanReport.id)))).scalars():
                reports[r.item_id].append(r)
    today = today_kz()
    out = []
    for p in plans:
        names = Names(ru=p.title_ru, kk=p.title_kk, en=p.title_en)
        out.append(d.PlanRead(
            id=p.id or 0, title=names, name=getattr(names, language, None) or names.ru,
            session_ids=list(p.session_ids or []), owner_ids=list(p.owner_ids or []), starts_on=p.starts_on,
            ends_on=p.ends_on, version=p.version, created_at=p.created_at,
            items=[item_read(i, reports.get(i.id or 0, []), today) for i in items.get(p.id or 0, [])],
        ))
    return out


def item_read(i: PlanItem, reports: Sequence[PlanReport], today: date) -> d.PlanItemRead:
    return d.PlanItemRead(
        id=i.id or 0, plan_id=i.plan_id, title=i.title, description=i.description,
        format=d.CollaborationFormat(i.format), state_owner_ids=list(i.state_owner_ids or []),
        civil_owner_ids=list(i.civil_owner_ids or []), due_on=i.due_on, status=d.PlanItemStatus(i.status),
        is_overdue=i.due_on is not None and i.due_on < today and i.status in ("planned", "in_progress"),
        recommendation_id=i.recommendation_id, version=i.version,
        reports=[d.PlanReportRead(id=r.id or 0, item_id=r.item_id, org_id=r.org_id, side=d.Side(r.side),
                                  percent=r.percent, note=r.note, evidence_urls=list(r.evidence_urls or []),
                                  reported_by=r.reported_by, reported_at=r.reported_at) for r in reports],
    )


async def create_plan(session: AsyncSession, orgs: OrgsClient, data: d.PlanCreate) -> ActionPlan:
    for sid in data.session_ids:
        if await get_by_id(session, DialogueSession, sid) is None:
            raise InvalidReference(errors=[field_error("session_ids", f"session {sid} does not exist")])
    if data.owner_ids:
        _found, missing = await orgs.orgs(data.owner_ids)
        if missing:
            raise InvalidReference(errors=[field_error("owner_ids", f"organization {i} does not exist")
                                           for i in missing])
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise Unprocessable(errors=[field_error("ends_on", "cannot be before starts_on")])
    plan = ActionPlan(title_ru=data.title.ru, title_kk=data.title.kk, title_en=data.title.en,
                      session_ids=list(dict.fromkeys(data.session_ids)), owner_ids=list(dict.fromkeys(data.owner_ids)),
                      starts_on=data.starts_on, ends_on=data.ends_on)
    session.add(plan)
    await session.flush()
    return plan


async def add_item(session: AsyncSession, orgs: OrgsClient, plan: ActionPlan, data: d.PlanItemCreate) -> PlanItem:
    """Both sides own every item: state bodies on one side, civil society on the other."""
    found, missing = await orgs.orgs([*data.state_owner_ids, *data.civil_owner_ids])
    errors = [field_error("owners", f"organization {i} does not exist") for i in missing]
    errors += [field_error("state_owner_ids", f"«{found[i].names.ru}» is not a state body")
               for i in data.state_owner_ids if i in found and found[i].kind != OrgKind.state_body]
    errors += [field_error("civil_owner_ids", f"«{found[i].names.ru}» is a state body")
               for i in data.civil_owner_ids if i in found and found[i].kind == OrgKind.state_body]
    if data.recommendation_id is not None and await get_by_id(session, Recommendation, data.recommendation_id) is None:
        errors.append(field_error("recommendation_id", "no such recommendation"))
    if errors:
        raise InvalidReference(errors=errors)
    item = PlanItem(plan_id=plan.id or 0, title=data.title, description=data.description, format=data.format.value,
                    state_owner_ids=list(dict.fromkeys(data.state_owner_ids)),
                    civil_owner_ids=list(dict.fromkeys(data.civil_owner_ids)), due_on=data.due_on,
                    recommendation_id=data.recommendation_id)
    session.add(item)
    await session.flush()
    return item


async def update_item(session: AsyncSession, item: PlanItem, data: d.PlanItemUpdate) -> PlanItem:
    fields = data.model_dump(exclude_unset=True)
    for key in ("title", "format", "status"):
        if key in fields and fields[key] is None:
            raise Unprocessable(errors=[field_error(key, "cannot be removed")])
    if item.status in ("done", "cancelled") and fields.get("status", item.status) == item.status and fields:
        raise StateConflict(f"A {item.status} item is part of the record; reopen it by changing its status first.")
    for key, value in fields.items():
        setattr(item, key, value.value if hasattr(value, "value") else value)
    await session.flush()
    if "status" in fields:
        emit(session, "action_plan.item_changed", f"action-plan/{item.plan_id}",
             {"plan_id": item.plan_id, "item_id": item.id, "status": item.status})
    return item


async def report(session: AsyncSession, item: PlanItem, data: d.PlanReportCreate, actor: Actor) -> PlanReport:
    if data.org_id in (item.state_owner_ids or []):
        side = d.Side.state
    elif data.org_id in (item.civil_owner_ids or []):
        side = d.Side.civil_society
    else:
        raise InvalidReference(errors=[field_error("org_id", "this organization does not own the item")])
    editor = actor.has(Role.admin, Role.coordinator)
    if not editor and not (actor.has(Role.representative, Role.member) and data.org_id in actor.org_ids):
        raise NotYourBody("Only the item's owners (or a coordinator) report on it.")
    if item.status == "cancelled":
        raise StateConflict("The item is cancelled.")
    r = PlanReport(item_id=item.id or 0, org_id=data.org_id, side=side.value, percent=data.percent, note=data.note,
                   evidence_urls=[str(u) for u in data.evidence_urls], reported_by=actor.account_id)
    session.add(r)
    if item.status == "planned":
        item.status = "in_progress"
    await session.flush()
    emit(session, "action_plan.reported", f"action-plan/{item.plan_id}",
         {"plan_id": item.plan_id, "item_id": item.id, "org_id": data.org_id, "side": side.value})
    return r


async def list_plans(session: AsyncSession, *, session_id: int | None, owner_id: int | None, limit: int,
                     cursor: str | None) -> tuple[list[ActionPlan], str | None]:
    last_id: int | None = None
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        last_id = int(last)
    # Session and owner lists are JSON on the plan: read newest first in bounded batches and keep the
    # matching ones until the page is full, rather than loading every plan at once.
    rows: list[ActionPlan] = []
    while len(rows) <= limit:
        query = select(ActionPlan).order_by(col(ActionPlan.id).desc()).limit(200)
        if last_id is not None:
            query = query.where(col(ActionPlan.id) < last_id)
        batch = list((await session.exec(query)).scalars())
        if not batch:
            break
        last_id = batch[-1].id
        rows += [p for p in batch if (session_id is None or session_id in (p.session_ids or []))
                 and (owner_id is None or owner_id in (p.owner_ids or []))]
    page = rows[:limit]
    return page, encode_cursor([page[-1].id]) if len(rows) > limit else None
