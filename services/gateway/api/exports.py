"""Open data through the API (scope `read`): the registry's exports relayed as they stream (no personal contacts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.gateway.api.auth import ReadKey
from services.gateway.api.deps import Api, ApiDep
from services.gateway.api.errors import problems
from services.gateway.api.registry import OrgFiltersDep
from services.gateway.upstream import Params

router = APIRouter(prefix="/v1/exports", tags=["open data"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _relay(api: Api, path: str, params: Params, filename: str) -> StreamingResponse:
    """The registry's export, streamed through; an outage before the first byte is a 503 problem."""
    stack = AsyncExitStack()
    upstream = await stack.enter_async_context(api.orgs.stream(path, api.public, params=params))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await stack.aclose()

    stem, _, extension = filename.rpartition(".")
    headers = {"Content-Disposition": f'attachment; filename="ashyq-{stem}-{date.today().isoformat()}.{extension}"'}
    # The background task closes the upstream stream even when the client leaves before the end.
    return StreamingResponse(body(), media_type=upstream.headers.get("content-type"), headers=headers,
                             background=BackgroundTask(stack.aclose))


@router.get("/organizations.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **problems()},
            summary="Organizations as CSV (UTF-8 with BOM, injection-safe), with the list's filters")
async def organizations_csv(api: ApiDep, _: ReadKey, filters: OrgFiltersDep) -> StreamingResponse:
    return await _relay(api, "/v1/orgs/export.csv", filters, "organizations.csv")


@router.get("/organizations.xlsx", response_class=StreamingResponse,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}, **problems()},
            summary="Organizations as an XLSX workbook, with the list's filters")
async def organizations_xlsx(api: ApiDep, _: ReadKey, filters: OrgFiltersDep) -> StreamingResponse:
    return await _relay(api, "/v1/orgs/export.xlsx", filters, "organizations.xlsx")


@router.get("/popolo.json", response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}, **problems()},
            summary="Organizations, persons and memberships as Popolo JSON (no personal contacts)")
async def popolo(api: ApiDep, _: ReadKey, include_archived: bool = False) -> StreamingResponse:
    return await _relay(api, "/v1/exports/popolo.json", {"include_archived": include_archived or None},
                        "popolo.json")
