"""Writes of a state body's system (scope `answer`): answer a recommendation, report progress — for its own body only.

The gateway does not judge whether the key's organization may answer: it asks the dialogue service as a
representative of that organization and nothing else, and the service's own rule refuses another body's
recommendation (403, nothing written).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.contracts import dialogue as d
from services.gateway.api.auth import AnswerKey
from services.gateway.api.deps import ApiDep, Id, IdempotencyKey
from services.gateway.api.errors import problems

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/recommendations/{recommendation_id}/responses", response_model=d.ResponseRead,
             status_code=status.HTTP_201_CREATED, responses=problems(400, 404, 409),
             summary="Answer a recommendation addressed to the key's organization (`org_id` must be that body)")
async def answer_recommendation(api: ApiDep, key: AnswerKey, recommendation_id: Id, body: d.ResponseCreate,
                                response: Response, idempotency_key: IdempotencyKey = None) -> d.ResponseRead:
    read = await api.post(api.dialogue, f"/v1/recommendations/{recommendation_id}/responses", d.ResponseRead,
                          body.model_dump(mode="json"), api.representative(key), response,
                          idempotency_key=idempotency_key, key=key)
    response.headers["Location"] = f"/api/v1/recommendations/{recommendation_id}"
    return read


@router.post("/recommendations/{recommendation_id}/progress", response_model=d.ProgressRead,
             status_code=status.HTTP_201_CREATED, responses=problems(400, 404, 409),
             summary="Report progress on a recommendation the key's organization accepted, with evidence")
async def report_progress(api: ApiDep, key: AnswerKey, recommendation_id: Id, body: d.ProgressCreate,
                          response: Response, idempotency_key: IdempotencyKey = None) -> d.ProgressRead:
    read = await api.post(api.dialogue, f"/v1/recommendations/{recommendation_id}/progress", d.ProgressRead,
                          body.model_dump(mode="json"), api.representative(key), response,
                          idempotency_key=idempotency_key, key=key)
    response.headers["Location"] = f"/api/v1/recommendations/{recommendation_id}"
    return read
