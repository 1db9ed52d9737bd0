"""HTTP routes of the dialogue service (`/v1/...`): thin — parse, depend, call the rules, return a contract."""


from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime

from services.common.db import MAX_ID, today_kz
from services.common.http import Idempotency, check_if_match, set_etag
from services.common.openapi import problems
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.contracts import dialogue as d
from services.dialogue import outbox, plans, recommendations, sessions
from services.dialogue.deps import (
    ActorDep,
    AdminDep,
    DialogueSessionDep,
    EditorDep,
    IdempotencyDep,
    LanguageDep,
    MaybeActorDep,
    OrgsDep,
    PlanDep,
    RecommendationDep,
    SessionDep,
    SettingsDep,
    is_editor,
)
from services.dialogue.errors import ProtocolNotFound
from services.dialogue.models import DialogueSession

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=2000)]
Region = Annotated[str | None, Query(pattern=r"^\d{9}$")]

router = APIRouter(prefix="/v1")


async def created(idem: Idempotency, response: Response, body: Any, location: str) -> Any:
    await idem.remember(201, body, location)
    response.headers["Location"] = location
    return body


# --- sessions ----------------------------------------------------------------------------------

async def _one_session(db: SessionDep, s: DialogueSession, language: str, response: Response) -> d.SessionRead:
    (read,) = await sessions.session_reads(db, [s], language)
    set_etag(response, s.id, s.version)
    return read


@router.get("/sessions", response_model=d.SessionPage, tags=["sessions"])
async def list_sessions(
    db: SessionDep, actor: MaybeActorDep, language: LanguageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status_: Annotated[list[d.SessionStatus], Query(alias="status")] = [],  # noqa: B006
    kind: Annotated[list[d.SessionKind], Query()] = [],  # noqa: B006
    region: Region = None, organizer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    starts_from: AwareDatetime | None = None, starts_before: AwareDatetime | None = None,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> d.SessionPage:
    filters = sessions.SessionFilters(q=q, status=status_, kind=kind, region=region, organizer_id=organizer_id,
                                      parent_id=parent_id, starts_from=starts_from, starts_before=starts_before,
                                      include_drafts=is_editor(actor))
    rows, next_cursor = await sessions.list_sessions(db, filters, limit=limit, cursor=cursor)
    return d.SessionPage(items=await sessions.session_reads(db, rows, language), next_cursor=next_cursor)


@router.post("/sessions", response_model=d.SessionRead, status_code=status.HTTP_201_CREATED, tags=["sessions"])
async def create_session(body: d.SessionCreate, db: SessionDep, orgs: OrgsDep, _: EditorDep, idem: IdempotencyDep,
                         language: LanguageDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    s = await sessions.create_session(db, orgs, body)
    return await created(idem, response, await _one_session(db, s, language, response), f"/v1/sessions/{s.id}")


@router.get("/sessions/{session_id}", response_model=d.SessionRead, tags=["sessions"])
async def read_session(s: DialogueSessionDep, db: SessionDep, language: LanguageDep,
                       response: Response) -> d.SessionRead:
    return await _one_session(db, s, language, response)


@router.patch("/sessions/{session_id}", response_model=d.SessionRead, tags=["sessions"])
async def update_session(_: EditorDep, s: DialogueSessionDep, body: d.SessionUpdate, request: Request,
                         db: SessionDep, orgs: OrgsDep, language: LanguageDep, response: Response) -> d.SessionRead:
    check_if_match(request, s.id, s.version)
    await sessions.update_session(db, orgs, s, body)
    return await _one_session(db, s, language, response)


@router.post("/sessions/{session_id}/transitions", response_model=d.SessionRead, tags=["sessions"],
             summary="Move a session through draft → scheduled → in progress → concluded (or cancelled)")
async def transition_session(_: EditorDep, s: DialogueSessionDep, body: d.SessionTransition, db: SessionDep,
                             language: LanguageDep, response: Response) -> d.SessionRead:
    await sessions.transition_session(db, s, body.status, body.reason)
    return await _one_session(db, s, language, response)


@router.get("/sessions/{session_id}/attendance", response_model=d.Attendance, tags=["participants"])
async def read_attendance(s: DialogueSessionDep, db: SessionDep) -> d.Attendance:
    return await sessions.attendance(db, s)


@router.put("/sessions/{session_id}/head-counts", response_model=d.Attendance, tags=["participants"],
            summary="Record attendance as numbers by sector when names are not kept")
async def put_head_counts(_: EditorDep, s: DialogueSessionDep, body: list[d.HeadCount], db: SessionDep) -> d.Attendance:
    await sessions.set_head_counts(db, s, body)
    return await sessions.attendance(db, s)


@router.get("/sessions/{session_id}/live", response_model=d.LiveState, tags=["sessions"],
            summary="A small fingerprint of what a live console shows, for consoles to poll cheaply",
            description="Each part's token changes whenever anything in that part changes (the session itself, "
                        "its agenda, participants and check-ins, its recommendations); `fingerprint` joins them. "
                        "Read in one statement beside the session's row; never cached.")
async def read_live_state(s: DialogueSessionDep, db: SessionDep, response: Response) -> d.LiveState:
    response.headers["Cache-Control"] = "no-store"
    return await sessions.live_state(db, s)


# --- agenda ------------------------------------------------------------------------------------

@router.get("/sessions/{session_id}/agenda", response_model=list[d.AgendaItemRead], tags=["agenda"])
async def read_agenda(s: DialogueSessionDep, db: SessionDep) -> list[d.AgendaItemRead]:
    return [sessions.agenda_read(i, s.current_agenda_item_id) for i in await sessions.agenda_of(db, s.id or 0)]


@router.post("/sessions/{session_id}/agenda", response_model=d.AgendaItemRead, status_code=201, tags=["agenda"])
async def add_agenda_item(_: EditorDep, s: DialogueSessionDep, body: d.AgendaItemCreate, db: SessionDep,
                          orgs: OrgsDep, idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    item = await sessions.add_agenda_item(db, orgs, s, body)
    set_etag(response, item.id, item.version)
    return await created(idem, response, sessions.agenda_read(item, s.current_agenda_item_id),
                         f"/v1/sessions/{s.id}/agenda/{item.id}")


@router.patch("/sessions/{session_id}/agenda/{item_id}", response_model=d.AgendaItemRead, tags=["agenda"],
              summary="Edit an item, or record what was heard and decided on it")
async def update_agenda_item(_: EditorDep, s: DialogueSessionDep, item_id: int, body: d.AgendaItemUpdate,
                             request: Request, db: SessionDep, orgs: OrgsDep, response: Response) -> d.AgendaItemRead:
    item = await sessions.get_agenda_item(db, s, item_id)
    check_if_match(request, item.id, item.version)
    await sessions.update_agenda_item(db, orgs, s, item, body)
    set_etag(response, item.id, item.version)
    return sessions.agenda_read(item, s.current_agenda_item_id)


@router.delete("/sessions/{session_id}/agenda/{item_id}", status_code=204, tags=["agenda"])
async def remove_agenda_item(_: EditorDep, s: DialogueSessionDep, item_id: int, request: Request,
                             db: SessionDep) -> Response:
    item = await sessions.get_agenda_item(db, s, item_id)
    check_if_match(request, item.id, item.version)
    await sessions.remove_agenda_item(db, s, item)
    return Response(status_code=204)


@router.put("/sessions/{session_id}/agenda/order", response_model=list[d.AgendaItemRead], tags=["agenda"])
async def reorder_agenda(_: EditorDep, s: DialogueSessionDep, body: d.AgendaOrder,
                         db: SessionDep) -> list[d.AgendaItemRead]:
    items = await sessions.reorder_agenda(db, s, body.item_ids)
    return [sessions.agenda_read(i, s.current_agenda_item_id) for i in items]


@router.put("/sessions/{session_id}/agenda/current", response_model=d.SessionRead, tags=["agenda"],
            summary="Set the item under discussion now (live console)")
async def set_current_item(_: EditorDep, s: DialogueSessionDep, body: d.CurrentItem, db: SessionDep,
                           language: LanguageDep, response: Response) -> d.SessionRead:
    await sessions.set_current_item(db, s, body.item_id)
    return await _one_session(db, s, language, response)


# --- participants --------------------------------------------------------------------------------

@router.get("/sessions/{session_id}/participants", response_model=d.ParticipantPage, tags=["participants"],
            summary="Participants (signed-in users only); q= searches names for check-in")
async def list_participants(_: ActorDep, s: DialogueSessionDep, db: SessionDep,
                            q: Annotated[str | None, Query(max_length=200)] = None,
                            limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> d.ParticipantPage:
    rows, next_cursor = await sessions.list_participants(db, s, q=q, limit=limit, cursor=cursor)
    return d.ParticipantPage(items=[sessions.participant_read(p) for p in rows], next_cursor=next_cursor)


@router.post("/sessions/{session_id}/participants", response_model=d.ParticipantRead, status_code=201,
             tags=["participants"])
async def add_participant(_: EditorDep, s: DialogueSessionDep, body: d.ParticipantCreate, db: SessionDep,
                          orgs: OrgsDep, idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    p = await sessions.add_participant(db, orgs, s, body)
    set_etag(response, p.id, p.version)
    return await created(idem, response, sessions.participant_read(p), f"/v1/sessions/{s.id}/participants/{p.id}")


@router.patch("/sessions/{session_id}/participants/{participant_id}", response_model=d.ParticipantRead,
              tags=["participants"], summary="Change sector or role, or check in (checked_in: true)")
async def update_participant(_: EditorDep, s: DialogueSessionDep, participant_id: int,
                             body: d.ParticipantUpdate, request: Request, db: SessionDep,
                             response: Response) -> d.ParticipantRead:
    p = await sessions.get_participant(db, s, participant_id)
    check_if_match(request, p.id, p.version)
    await sessions.update_participant(db, s, p, body)
    set_etag(response, p.id, p.version)
    return sessions.participant_read(p)


@router.post("/sessions/{session_id}/participants/{participant_id}/check-in", response_model=d.ParticipantRead,
             tags=["participants"], summary="Check a participant in (idempotent; no If-Match needed)")
async def check_in(_: EditorDep, s: DialogueSessionDep, participant_id: int, db: SessionDep) -> d.ParticipantRead:
    p = await sessions.get_participant(db, s, participant_id)
    await sessions.update_participant(db, s, p, d.ParticipantUpdate(checked_in=True))
    return sessions.participant_read(p)


@router.delete("/sessions/{session_id}/participants/{participant_id}", status_code=204, tags=["participants"])
async def remove_participant(_: EditorDep, s: DialogueSessionDep, participant_id: int, request: Request,
                             db: SessionDep) -> Response:
    p = await sessions.get_participant(db, s, participant_id)
    check_if_match(request, p.id, p.version)
    await sessions.remove_participant(db, s, p)
    return Response(status_code=204)


# --- protocol ----------------------------------------------------------------------------------

def _protocol_response(p: Any, response: Response) -> d.ProtocolRead:
    set_etag(response, f"protocol-{p.id}", p.version)
    return sessions.protocol_read(p)


@router.get("/sessions/{session_id}/protocol", response_model=d.ProtocolRead, tags=["protocol"],
            summary="The current protocol: the newest published version (editors also see a newer draft)")
async def read_protocol(s: DialogueSessionDep, db: SessionDep, actor: MaybeActorDep,
                        response: Response) -> d.ProtocolRead:
    versions = await sessions.protocol_versions(db, s.id or 0)
    return _protocol_response(sessions.current_protocol(versions, include_draft=is_editor(actor)), response)


@router.post("/sessions/{session_id}/protocol", response_model=d.ProtocolRead, status_code=201, tags=["protocol"],
             summary="Start the protocol (version 1), pre-filled from the agenda and attendance")
async def start_protocol(_: EditorDep, s: DialogueSessionDep, body: d.ProtocolFields, db: SessionDep,
                         idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    p = await sessions.start_protocol(db, s, body)
    return await created(idem, response, _protocol_response(p, response), f"/v1/sessions/{s.id}/protocol")


@router.patch("/sessions/{session_id}/protocol", response_model=d.ProtocolRead, tags=["protocol"],
              summary="Edit the draft (a published protocol is immutable: 409)")
async def edit_protocol(_: EditorDep, s: DialogueSessionDep, body: d.ProtocolFields, request: Request,
                        db: SessionDep, response: Response) -> d.ProtocolRead:
    p = sessions.current_protocol(await sessions.protocol_versions(db, s.id or 0), include_draft=True)
    if p.status == "draft":
        check_if_match(request, f"protocol-{p.id}", p.version)
    await sessions.edit_protocol(db, p, body)
    return _protocol_response(p, response)


@router.post("/sessions/{session_id}/protocol/publish", response_model=d.ProtocolRead, tags=["protocol"],
             summary="Publish the draft: it freezes, and the session's adopted recommendations are sent")
async def publish_protocol(actor: EditorDep, s: DialogueSessionDep, db: SessionDep, settings: SettingsDep,
                           response: Response, send_recommendations: bool = True) -> d.ProtocolRead:
    p = sessions.current_protocol(await sessions.protocol_versions(db, s.id or 0), include_draft=True)
    await sessions.publish_protocol(db, s, p)
    if send_recommendations:
        await recommendations.send_adopted_of_session(db, s.id or 0, actor, response_days=settings.response_days)
    return _protocol_response(p, response)


@router.post("/sessions/{session_id}/protocol/corrections", response_model=d.ProtocolRead, status_code=201,
             tags=["protocol"], summary="Correct a published protocol: a new draft version; the old one stays")
async def correct_protocol(_: EditorDep, s: DialogueSessionDep, body: d.ProtocolCorrection, db: SessionDep,
                           response: Response) -> d.ProtocolRead:
    p = await sessions.correct_protocol(db, s, body.reason)
    response.headers["Location"] = f"/v1/sessions/{s.id}/protocol/versions/{p.number_version}"
    return _protocol_response(p, response)


@router.get("/sessions/{session_id}/protocol/versions", response_model=list[d.ProtocolRead], tags=["protocol"])
async def protocol_versions(s: DialogueSessionDep, db: SessionDep, actor: MaybeActorDep) -> list[d.ProtocolRead]:
    versions = await sessions.protocol_versions(db, s.id or 0)
    return [sessions.protocol_read(p) for p in versions if p.status == "published" or is_editor(actor)]


@router.get("/sessions/{session_id}/protocol/versions/{version}", response_model=d.ProtocolRead, tags=["protocol"])
async def protocol_version(s: DialogueSessionDep, version: int, db: SessionDep, actor: MaybeActorDep,
                           response: Response) -> d.ProtocolRead:
    for p in await sessions.protocol_versions(db, s.id or 0):
        if p.number_version == version and (p.status == "published" or is_editor(actor)):
            return _protocol_response(p, response)
    raise ProtocolNotFound(f"Session {s.id} has no protocol version {version}.")


# --- recommendations ---------------------------------------------------------------------------

async def _one_rec(db: SessionDep, rec: Any, response: Response) -> d.RecommendationDetail:
    set_etag(response, rec.id, rec.version)
    return await recommendations.recommendation_detail(db, rec)


@router.get("/recommendations", response_model=d.RecommendationPage, tags=["recommendations"],
            summary="Recommendations; order=deadline puts the overdue first")
async def list_recommendations(
    db: SessionDep, actor: MaybeActorDep,
    status_: Annotated[list[d.RecommendationStatus], Query(alias="status")] = [],  # noqa: B006
    addressee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, region: Region = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    session_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    due_from: Annotated[date | None, Query(description="Response deadline on or after this day")] = None,
    due_before: Annotated[date | None, Query(description="Response deadline on or before this day")] = None,
    order: Annotated[str, Query(pattern="^(deadline|recent)$")] = "deadline",
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> d.RecommendationPage:
    filters = recommendations.RecommendationFilters(
        status=status_, addressee_id=addressee_id, region=region, topic=topic, session_id=session_id,
        overdue=overdue, q=q, due_from=due_from, due_before=due_before, include_drafts=is_editor(actor))
    rows, next_cursor = await recommendations.list_recommendations(db, filters, order=order, limit=limit,
                                                                   cursor=cursor)
    return d.RecommendationPage(items=await recommendations.recommendation_reads(db, rows), next_cursor=next_cursor)


@router.post("/recommendations", response_model=d.RecommendationDetail, status_code=201, tags=["recommendations"],
             summary="Record a recommendation (addressees are confirmed with the registry in one call)")
async def create_recommendation(body: d.RecommendationCreate, db: SessionDep, orgs: OrgsDep, actor: EditorDep,
                                idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    rec = await recommendations.create_recommendation(db, orgs, body, actor)
    return await created(idem, response, await _one_rec(db, rec, response), f"/v1/recommendations/{rec.id}")


@router.get("/recommendations/{recommendation_id}", response_model=d.RecommendationDetail, tags=["recommendations"])
async def read_recommendation(rec: RecommendationDep, db: SessionDep, response: Response) -> d.RecommendationDetail:
    return await _one_rec(db, rec, response)


@router.get("/recommendations/{recommendation_id}/chain", response_model=list[int], tags=["recommendations"],
            summary="The escalation chain from the origin to this recommendation")
async def recommendation_chain(rec: RecommendationDep, db: SessionDep) -> list[int]:
    return await recommendations.escalation_chain(db, rec)


@router.patch("/recommendations/{recommendation_id}", response_model=d.RecommendationDetail,
              tags=["recommendations"])
async def update_recommendation(_: EditorDep, rec: RecommendationDep, body: d.RecommendationUpdate,
                                request: Request, db: SessionDep, orgs: OrgsDep,
                                response: Response) -> d.RecommendationDetail:
    check_if_match(request, rec.id, rec.version)
    await recommendations.update_recommendation(db, orgs, rec, body)
    return await _one_rec(db, rec, response)


@router.post("/recommendations/{recommendation_id}/transitions", response_model=d.RecommendationDetail,
             tags=["recommendations"], summary="Adopt, send, or close a recommendation; illegal steps are 409")
async def transition_recommendation(actor: EditorDep, rec: RecommendationDep,
                                    body: d.RecommendationTransition, db: SessionDep, settings: SettingsDep,
                                    response: Response) -> d.RecommendationDetail:
    await recommendations.transition(db, rec, body.status, body.note, actor, response_days=settings.response_days)
    return await _one_rec(db, rec, response)


@router.post("/recommendations/{recommendation_id}/responses", response_model=d.ResponseRead, status_code=201,
             tags=["recommendations"], summary="A state body's answer (its representatives only)",
             responses=problems(403))
async def answer_recommendation(actor: ActorDep, rec: RecommendationDep, body: d.ResponseCreate,
                                db: SessionDep, idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    r = await recommendations.answer(db, rec, body, actor)
    read = d.ResponseRead(id=r.id or 0, recommendation_id=r.recommendation_id, org_id=r.org_id,
                          decision=d.Decision(r.decision), reasons=r.reasons, answered_by=r.answered_by,
                          answered_at=r.answered_at)
    return await created(idem, response, read, f"/v1/recommendations/{rec.id}")


@router.post("/recommendations/{recommendation_id}/progress", response_model=d.ProgressRead, status_code=201,
             tags=["recommendations"], summary="A progress report with evidence (the addressee's representatives)",
             responses=problems(403))
async def report_progress(actor: ActorDep, rec: RecommendationDep, body: d.ProgressCreate, db: SessionDep,
                          idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    r = await recommendations.report_progress(db, rec, body, actor)
    read = d.ProgressRead(id=r.id or 0, recommendation_id=r.recommendation_id, org_id=r.org_id, percent=r.percent,
                          note=r.note, evidence_urls=list(r.evidence_urls), reported_by=r.reported_by,
                          reported_at=r.reported_at)
    return await created(idem, response, read, f"/v1/recommendations/{rec.id}")


@router.post("/recommendations/{recommendation_id}/escalations", response_model=d.RecommendationDetail,
             status_code=201, tags=["recommendations"],
             summary="Escalate to republican-level bodies: a new recommendation chained to this one")
async def escalate(actor: EditorDep, rec: RecommendationDep, body: d.Escalation, db: SessionDep,
                   orgs: OrgsDep, settings: SettingsDep, idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    new = await recommendations.escalate(db, orgs, rec, body, actor, response_days=settings.response_days)
    return await created(idem, response, await _one_rec(db, new, response), f"/v1/recommendations/{new.id}")


# --- joint action plans ------------------------------------------------------------------------

async def _one_plan(db: SessionDep, plan: Any, language: str, response: Response) -> d.PlanRead:
    set_etag(response, plan.id, plan.version)
    (read,) = await plans.plan_reads(db, [plan], language)
    return read


@router.get("/action-plans", response_model=d.PlanPage, tags=["action plans"])
async def list_plans(db: SessionDep, language: LanguageDep,
                     session_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                     owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, limit: Limit = DEFAULT_LIMIT,
                     cursor: Cursor = None) -> d.PlanPage:
    rows, next_cursor = await plans.list_plans(db, session_id=session_id, owner_id=owner_id, limit=limit,
                                               cursor=cursor)
    return d.PlanPage(items=await plans.plan_reads(db, rows, language), next_cursor=next_cursor)


@router.post("/action-plans", response_model=d.PlanRead, status_code=201, tags=["action plans"])
async def create_plan(body: d.PlanCreate, db: SessionDep, orgs: OrgsDep, _: EditorDep, idem: IdempotencyDep,
                      language: LanguageDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    plan = await plans.create_plan(db, orgs, body)
    return await created(idem, response, await _one_plan(db, plan, language, response), f"/v1/action-plans/{plan.id}")


@router.get("/action-plans/{plan_id}", response_model=d.PlanRead, tags=["action plans"])
async def read_plan(plan: PlanDep, db: SessionDep, language: LanguageDep, response: Response) -> d.PlanRead:
    return await _one_plan(db, plan, language, response)


@router.post("/action-plans/{plan_id}/items", response_model=d.PlanItemRead, status_code=201,
             tags=["action plans"])
async def add_plan_item(_: EditorDep, plan: PlanDep, body: d.PlanItemCreate, db: SessionDep, orgs: OrgsDep,
                        idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    item = await plans.add_item(db, orgs, plan, body)
    set_etag(response, item.id, item.version)
    return await created(idem, response, plans.item_read(item, [], today_kz()),
                         f"/v1/action-plans/{plan.id}/items/{item.id}")


@router.patch("/action-plans/{plan_id}/items/{item_id}", response_model=d.PlanItemRead, tags=["action plans"])
async def update_plan_item(_: EditorDep, plan: PlanDep, item_id: int, body: d.PlanItemUpdate, request: Request,
                           db: SessionDep, language: LanguageDep, response: Response) -> d.PlanItemRead:
    item = await plans.get_item(db, plan, item_id)
    check_if_match(request, item.id, item.version)
    await plans.update_item(db, item, body)
    set_etag(response, item.id, item.version)
    (read,) = await plans.plan_reads(db, [plan], language)
    return next(i for i in read.items if i.id == item.id)


@router.post("/action-plans/{plan_id}/items/{item_id}/reports", response_model=d.PlanReportRead, status_code=201,
             tags=["action plans"], summary="A progress report from either side", responses=problems(403))
async def report_plan_item(actor: ActorDep, plan: PlanDep, item_id: int, body: d.PlanReportCreate,
                           db: SessionDep, idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    item = await plans.get_item(db, plan, item_id)
    r = await plans.report(db, item, body, actor)
    read = d.PlanReportRead(id=r.id or 0, item_id=r.item_id, org_id=r.org_id, side=d.Side(r.side),
                            percent=r.percent, note=r.note, evidence_urls=list(r.evidence_urls),
                            reported_by=r.reported_by, reported_at=r.reported_at)
    return await created(idem, response, read, f"/v1/action-plans/{plan.id}/items/{item.id}")


# --- outbox ------------------------------------------------------------------------------------

@router.get("/events", response_model=d.EventPage, tags=["events"],
            summary="The outbox (admins and services): events in the order they happened")
async def list_events(db: SessionDep, _: AdminDep, type: Annotated[str | None, Query(max_length=60)] = None,
                      subject: Annotated[str | None, Query(max_length=100)] = None, pending: bool | None = None,
                      limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> d.EventPage:
    rows, next_cursor = await outbox.list_events(db, type_=type, subject=subject, pending=pending, limit=limit,
                                                 cursor=cursor)
    return d.EventPage(items=[outbox.event_read(e) for e in rows], next_cursor=next_cursor)
