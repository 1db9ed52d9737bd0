"""Routes for what is downloaded: protocol documents (DOCX, PDF) and calendars (iCalendar)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.common.db import MAX_ID
from services.dialogue import calendars, documents
from services.dialogue.deps import (
    DialogueSessionDep,
    LanguageDep,
    MaybeActorDep,
    OrgsDep,
    SessionDep,
    SettingsDep,
    is_editor,
)

router = APIRouter(prefix="/v1")

Lang = Annotated[str | None, Query(pattern="^(ru|kk)$", description="Document language; default Accept-Language")]
Version = Annotated[int | None, Query(ge=1, le=MAX_ID, description="A protocol version (drafts: editors only)")]
PastDays = Annotated[int, Query(ge=0, le=3650, description="How far back the feed reaches")]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ICS = "text/calendar; charset=utf-8"


def _download(body: bytes, media_type: str, name: str, *, private: bool) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store" if private else "public, max-age=300",
        "Vary": "Authorization, Accept-Language",
    })


@router.get("/sessions/{session_id}/protocol.docx", tags=["protocol"], response_class=Response,
            responses={200: {"content": {DOCX: {}}}},
            summary="The protocol as an editable Word document (the layout is the admin's template)")
async def protocol_docx(s: DialogueSessionDep, db: SessionDep, orgs: OrgsDep, actor: MaybeActorDep,
                        settings: SettingsDep, accepted: LanguageDep, lang: Lang = None,
                        version: Version = None) -> Response:
    language = documents.pick_language(lang, accepted)
    p = await documents.pick_protocol(db, s, version, editor=is_editor(actor))
    context = await documents.protocol_context(db, orgs, s, p, language)
    body = await asyncio.to_thread(documents.render_docx, settings.protocol_docx_template, context)
    return _download(body, DOCX, documents.file_name(s, p, language, "docx"), private=p.status != "published")


@router.get("/sessions/{session_id}/protocol.pdf", tags=["protocol"], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}},
            summary="The protocol as an archival PDF (fonts embedded; Kazakh or Russian)")
async def protocol_pdf(s: DialogueSessionDep, db: SessionDep, orgs: OrgsDep, actor: MaybeActorDep,
                       accepted: LanguageDep, lang: Lang = None, version: Version = None) -> Response:
    language = documents.pick_language(lang, accepted)
    p = await documents.pick_protocol(db, s, version, editor=is_editor(actor))
    context = await documents.protocol_context(db, orgs, s, p, language)
    body = await asyncio.to_thread(documents.render_pdf, context)
    return _download(body, "application/pdf", documents.file_name(s, p, language, "pdf"),
                     private=p.status != "published")


def _ics(request: Request, body: bytes, name: str) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "Vary": "Accept-Language",
               "Content-Disposition": f'inline; filename="{name}"'}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ICS, headers=headers)


@router.get("/sessions/{session_id}.ics", tags=["calendars"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}}, summary="One session as an iCalendar event")
async def session_ics(s: DialogueSessionDep, request: Request, settings: SettingsDep, accepted: LanguageDep,
                      lang: Lang = None) -> Response:
    language = documents.pick_language(lang, accepted)
    body = calendars.calendar([s], language, settings.public_url, calendars.CAPTION[language], f"session-{s.id}")
    return _ics(request, body, f"session-{s.id}.ics")


@router.get("/calendars/orgs/{org_id}.ics", tags=["calendars"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}},
            summary="Subscribable feed: the sessions an organization organizes (no drafts)")
async def organizer_calendar(org_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request, db: SessionDep,
                             settings: SettingsDep, accepted: LanguageDep, lang: Lang = None,
                             past_days: PastDays = 365) -> Response:
    language = documents.pick_language(lang, accepted)
    rows = await calendars.organizer_feed(db, org_id, past_days)
    body = calendars.calendar(rows, language, settings.public_url, calendars.CAPTION[language],
                              f"feed-org-{org_id}")
    return _ics(request, body, f"org-{org_id}.ics")


@router.get("/calendars/regions/{kato}.ics", tags=["calendars"], response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}},
            summary="Subscribable feed: the sessions held in a region and its districts (no drafts)")
async def region_calendar(kato: Annotated[str, Path(pattern=r"^\d{9}$")], request: Request, db: SessionDep,
                          settings: SettingsDep, accepted: LanguageDep, lang: Lang = None,
                          past_days: PastDays = 365) -> Response:
    language = documents.pick_language(lang, accepted)
    rows = await calendars.region_feed(db, kato, past_days)
    body = calendars.calendar(rows, language, settings.public_url, calendars.CAPTION[language],
                              f"feed-region-{kato}")
    return _ics(request, body, f"region-{kato}.ics")
