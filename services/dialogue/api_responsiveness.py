"""Route of the portal's figures: each state body's responsiveness and the totals, over every recommendation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field

from services.common.db import MAX_ID
from services.contracts import dialogue as d
from services.dialogue import responsiveness
from services.dialogue.deps import SessionDep

router = APIRouter(prefix="/v1", tags=["recommendations"])

OrgId = Annotated[int, Field(ge=1, le=MAX_ID)]


@router.get("/responsiveness", response_model=d.ResponsivenessReport,
            summary="How state bodies answer: per body and in total, counted over every recommendation sent")
async def read_responsiveness(
    request: Request, db: SessionDep,
    limit: Annotated[int, Query(ge=0, le=200, description="How many bodies, most overdue first")] = 10,
    org_id: Annotated[list[OrgId], Query(max_length=50, description="Only these bodies; `limit` is then ignored")]
    = [],  # noqa: B006 - FastAPI reads list defaults per request
) -> d.ResponsivenessReport:
    cache: responsiveness.ResponsivenessCache = request.app.state.responsiveness
    report = await cache.report(db, request.app.state.sessionmaker)
    return responsiveness.top(report, limit=limit, org_ids=org_id)
