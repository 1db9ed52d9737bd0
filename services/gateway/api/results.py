"""Reads of the results (scope `read`): public sessions, their agenda and attendance, protocols, recommendations."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from services.contracts import dialogue as d
from services.gateway.api.auth import ReadKey
from services.gateway.api.deps import DEFAULT_PAGE, TEXT_PATTERN, ApiDep, Cursor, Id, Kato, Limit, OptionalId, Search
from services.gateway.api.errors import problems
from services.gateway.api.models import (
    PublicRecommendationStatus,
    PublicSessionStatus,
    RecommendationFull,
    RecommendationOrder,
    SessionDetail,
)

router = APIRouter(prefix="/v1")


# --- sessions ------------------------------------------------------------------------------------

@router.get("/sessions", response_model=d.SessionPage, tags=["sessions"], responses=problems(),
            summary="Public sessions (never drafts), newest first")
async def list_sessions(
    api: ApiDep, _: ReadKey, q: Search = None,
    status: Annotated[list[PublicSessionStatus], Query()] = [],  # noqa: B006
    kind: Annotated[list[d.SessionKind], Query()] = [],  # noqa: B006
    region: Kato = None, organizer_id: OptionalId = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Breakouts of this forum")] = None,
    starts_from: AwareDatetime | None = None, starts_before: AwareDatetime | None = None,
    limit: Limit = DEFAULT_PAGE, cursor: Cursor = None,
) -> d.SessionPage:
    return await api.get(api.dialogue, "/v1/sessions", d.SessionPage, params={
        # Without a status filter the service, asked as the public, leaves drafts out itself.
        "q": q, "status": [s.value for s in status], "kind": [k.value for k in kind], "region": region,
        "organizer_id": organizer_id, "parent_id": parent_id,
        "starts_from": starts_from.isoformat() if starts_from else None,
        "starts_before": starts_before.isoformat() if starts_before else None, "limit": limit, "cursor": cursor})


@router.get("/sessions/{session_id}", response_model=SessionDetail, tags=["sessions"], responses=problems(404),
            summary="One public session with its agenda and its attendance by sector (ETag: the session's version)")
async def read_session(api: ApiDep, _: ReadKey, session_id: Id, response: Response) -> SessionDetail:
    session = await api.get(api.dialogue, f"/v1/sessions/{session_id}", d.SessionRead, response)
    agenda, attendance = await asyncio.gather(
        api.get_list(api.dialogue, f"/v1/sessions/{session_id}/agenda", d.AgendaItemRead),
        api.get(api.dialogue, f"/v1/sessions/{session_id}/attendance", d.Attendance))
    return SessionDetail(session=session, agenda=agenda, attendance=attendance)


@router.get("/sessions/{session_id}/protocol", response_model=d.ProtocolRead, tags=["protocols"],
            responses=problems(404), summary="The session's protocol: its newest published version")
async def read_protocol(api: ApiDep, _: ReadKey, session_id: Id, response: Response) -> d.ProtocolRead:
    return await api.get(api.dialogue, f"/v1/sessions/{session_id}/protocol", d.ProtocolRead, response)


@router.get("/sessions/{session_id}/protocol/versions", response_model=list[d.ProtocolRead], tags=["protocols"],
            responses=problems(404), summary="Every published version of the protocol (corrections are new versions)")
async def protocol_versions(api: ApiDep, _: ReadKey, session_id: Id) -> list[d.ProtocolRead]:
    return await api.get_list(api.dialogue, f"/v1/sessions/{session_id}/protocol/versions", d.ProtocolRead)


# --- recommendations -----------------------------------------------------------------------------

@router.get("/recommendations", response_model=d.RecommendationPage, tags=["recommendations"],
            responses=problems(), summary="Recommendations; by default the overdue first, then by response deadline")
async def list_recommendations(
    api: ApiDep, _: ReadKey,
    status: Annotated[list[PublicRecommendationStatus], Query()] = [],  # noqa: B006
    addressee_id: Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                              description="Addressed to this state body")] = None,
    region: Kato = None, topic: Annotated[str | None, Query(max_length=80, pattern=TEXT_PATTERN)] = None,
    session_id: OptionalId = None,
    overdue: Annotated[bool | None, Query(description="Only the overdue (true) or only the others (false)")] = None,
    q: Search = None, order: RecommendationOrder = RecommendationOrder.deadline,
    limit: Limit = DEFAULT_PAGE, cursor: Cursor = None,
) -> d.RecommendationPage:
    return await api.get(api.dialogue, "/v1/recommendations", d.RecommendationPage, params={
        "status": [s.value for s in status], "addressee_id": addressee_id, "region": region, "topic": topic,
        "session_id": session_id, "overdue": overdue, "q": q, "order": order.value, "limit": limit,
        "cursor": cursor})


@router.get("/recommendations/{recommendation_id}", response_model=RecommendationFull, tags=["recommendations"],
            responses=problems(404),
            summary="One recommendation: answers with reasons, progress with evidence, history, escalation chain")
async def read_recommendation(api: ApiDep, _: ReadKey, recommendation_id: Id,
                              response: Response) -> RecommendationFull:
    detail, chain = await asyncio.gather(
        api.get(api.dialogue, f"/v1/recommendations/{recommendation_id}", d.RecommendationDetail, response),
        api.dialogue.get_ids(f"/v1/recommendations/{recommendation_id}/chain", api.public))
    return RecommendationFull(**detail.model_dump(), escalation_chain=chain)
