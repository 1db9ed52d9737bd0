"""HTTP routes of bulk exchange: CSV import of organizations; CSV, XLSX and Popolo JSON exports."""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.datastructures import UploadFile
from starlette.types import Message

from services.common.db import MAX_ID, AsyncSession
from services.common.http import Idempotency
from services.common.problems import ProblemError, Unprocessable, field_error
from services.contracts import orgs as c
from services.orgs import exchange, service
from services.orgs.db import idempotency
from services.orgs.deps import EditorDep, LanguageDep, SessionDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["exchange"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream"}


class ContentTooLarge(ProblemError):
    status = 413
    title = "Content too large"
    slug = "content-too-large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """Streamed exports outlive the request's session, so they open their own."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]


def export_filters(
    q: Annotated[str | None, Query(max_length=200, description="Search names, short and other names")] = None,
    kind: Annotated[list[c.OrgKind], Query()] = [],  # noqa: B006 - FastAPI reads list defaults per request
    level: c.OrgLevel | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{9}$", description="KATO code; includes sub-regions")] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    attached_to_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    topic: Annotated[str | None, Query(max_length=80)] = None,
    include_archived: bool = False,
) -> service.OrgFilters:
    """The filters of GET /v1/orgs, so an export holds exactly what the list shows."""
    return service.OrgFilters(q=q, kind=kind, level=level, region=region, parent_id=parent_id,
                              attached_to_id=attached_to_id, topic=topic, include_archived=include_archived)


FiltersDep = Annotated[service.OrgFilters, Depends(export_filters)]


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes (declared or not)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ContentTooLarge(f"The file is larger than {limit} bytes; split it into several imports.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ContentTooLarge(f"The file is larger than {limit} bytes; split it into several imports.")
    return bytes(body)


async def csv_payload(request: Request, body: bytes) -> bytes:
    """The CSV itself: the body as sent, or the `file` field of a multipart upload."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in CSV_TYPES:
        return body
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType("Send the table as text/csv, or as multipart/form-data with a field named file.")
    sent = False

    async def replay() -> Message:  # the body was already read (and measured) above
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async with Request(request.scope, replay).form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Unprocessable("The multipart upload needs a file field named file.",
                                errors=[field_error("file", "missing")])
        return await upload.read()


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}},
            },
        },
    },
}


@router.post(
    "/orgs/import", response_model=c.ImportReport, openapi_extra=CSV_BODY,
    summary="Import organizations from CSV: every row checked, then all written or none",
    description="Columns as in GET /v1/orgs/export.csv, in any order; `id` empty creates, a number updates. "
                "`parent`/`attached_to` name an organization by id or BIN (also a BIN of another row of the "
                "file). With bad rows a dry run answers 200 and a commit 422, both listing every bad line.",
    responses={400: {"description": "The multipart upload is malformed"},
               413: {"description": "The file is too large"},
               415: {"description": "Neither text/csv nor multipart/form-data"},
               422: {"description": "Some rows are invalid"}},
)
async def import_orgs(
    request: Request, session: SessionDep, settings: SettingsDep, _: EditorDep,
    dry_run: Annotated[bool, Query(description="Only check the file and report")] = False,
) -> Response | c.ImportReport:
    body = await read_limited(request, settings.import_max_bytes)
    payload = await csv_payload(request, body)
    if dry_run:
        return await exchange.import_orgs(session, payload, dry_run=True)
    idem = Idempotency(idempotency, session, request, payload)
    if (replay := await idem.replay()) is not None:
        return replay
    report = await exchange.import_orgs(session, payload, dry_run=False)
    await idem.remember(200, report)
    return report


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/orgs/export.csv", response_class=StreamingResponse,
            summary="Organizations as CSV (UTF-8 with BOM, safe to open in a spreadsheet)",
            responses={200: {"content": {"text/csv": {}}}})
async def export_csv(sessionmaker: SessionmakerDep, filters: FiltersDep) -> StreamingResponse:
    return StreamingResponse(exchange.csv_stream(sessionmaker, filters), media_type="text/csv; charset=utf-8",
                             headers=_attachment(f"organizations-{date.today().isoformat()}.csv"))


@router.get("/orgs/export.xlsx", response_class=StreamingResponse, summary="Organizations as an XLSX workbook",
            responses={200: {"content": {XLSX: {}}}})
async def export_xlsx(sessionmaker: SessionmakerDep, filters: FiltersDep) -> StreamingResponse:
    file = await exchange.write_xlsx(sessionmaker, filters)
    headers = {**_attachment(f"organizations-{date.today().isoformat()}.xlsx"),
               "Content-Length": str(os.fstat(file.fileno()).st_size)}
    return StreamingResponse(exchange.file_chunks(file), media_type=XLSX, headers=headers)


@router.get("/exports/popolo.json", response_class=StreamingResponse,
            summary="Organizations, persons and memberships as Popolo JSON (no personal contacts)",
            responses={200: {"content": {"application/json": {}}}})
async def export_popolo(sessionmaker: SessionmakerDep, language: LanguageDep,
                        include_archived: bool = False) -> StreamingResponse:
    stream = exchange.popolo_stream(sessionmaker, language=language, include_archived=include_archived)
    return StreamingResponse(stream, media_type="application/json",
                             headers={"Content-Language": language, "Vary": "Accept-Language"})
