"""The protocol editor (coordinators and admins): start a session's protocol (the service pre-fills it), edit the
draft, publish it after a confirmation, and issue corrections (new versions; published ones never change). Also the
protocol's PDF and DOCX at the portal's addresses, relayed from the dialogue service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.contracts import dialogue as d
from services.contracts.auth import Role
from services.gateway.deps import Page, PageDep, verify_csrf
from services.gateway.forms import STATUS_MESSAGES, Form, Message, idempotency_key, new_idempotency_key, see_other
from services.gateway.i18n import N_, gettext
from services.gateway.pages.common import positive_int
from services.gateway.pages.planner import session_or_404

router = APIRouter(dependencies=[Depends(verify_csrf)])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_ITEMS = 200  # rows of the items table a form may carry

DONE = {
    "started": N_("The protocol was started from the agenda and the attendance. Check it, complete it and save."),
    "saved": N_("The draft was saved."),
    "row_added": N_("An empty item was added at the end."),
    "published": N_("The protocol is published. It can no longer be changed; a correction makes a new version."),
    "corrected": N_("A correction was started as a new draft version. The published version stays as it is."),
}

FIELDS = {"number": "number", "held_on": "held_on", "place": "place", "chair": "chair", "secretary": "secretary",
          "attendees": "attendees", "items": "items", "reason": "reason"}
MESSAGES: dict[str, Message] = {
    "required to publish": (None, N_("Required to publish.")),
    "at least one item": ("items", N_("A protocol needs at least one item to be published.")),
    "The protocol is not complete": (None, N_("The protocol is not complete: fill in the marked fields and save the "
                                              "draft, then publish it.")),
    "Publish the protocol once the session has concluded": (
        None, N_("The protocol can be published once the session has been concluded (see the planner).")),
    "This version is already published": (None, N_("This version is already published.")),
    "Published protocols are immutable": (
        None, N_("A published protocol cannot be changed; issue a correction instead.")),
    "The protocol already exists": (None, N_("The protocol has already been started.")),
    "A draft session has no protocol": (
        None, N_("A protocol can be started once the session is scheduled; schedule it in the planner first.")),
    "A cancelled session has no protocol": (None, N_("A cancelled session has no protocol.")),
    "Corrections are made to a published protocol": (
        None, N_("A correction is made to a published protocol; edit the current draft instead.")),
    "This session has no published protocol yet": (None, N_("The protocol has not been started yet.")),
}


@dataclass
class EditorForms:
    edit: Form | None = None
    start: Form | None = None
    publish: Form | None = None
    correction: Form | None = None
    done: str | None = None


def protocol_values(p: d.ProtocolRead) -> dict[str, Any]:
    values: dict[str, Any] = {
        "number": p.number or "", "held_on": p.held_on.isoformat() if p.held_on else "", "place": p.place or "",
        "chair": p.chair or "", "secretary": p.secretary or "", "attendees": p.attendees or "",
        "protocol_id": str(p.id), "etag_version": str(p.etag_version), "item_count": str(len(p.items) + 1),
    }
    for row, item in enumerate(p.items):
        values.update({f"item-{row}-title": item.title, f"item-{row}-heard": item.heard or "",
                       f"item-{row}-decided": item.decided or ""})
    return values


def item_count(form: Form) -> int:
    return min(positive_int(form.text("item_count")) or 1, MAX_ITEMS)


def item_rows(form: Form) -> list[dict[str, Any]]:
    """The items table as the template shows it: one row per posted (or saved) item, and the blank ones."""
    return [{"index": row, "title": form.get(f"item-{row}-title"), "heard": form.get(f"item-{row}-heard"),
             "decided": form.get(f"item-{row}-decided"), "remove": form.checked(f"item-{row}-remove")}
            for row in range(item_count(form))]


def protocol_body(form: Form) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The form as ProtocolFields JSON, and where each item's problems belong (the rows left out shift the indexes);
    None when a date cannot be read."""
    fields = dict(FIELDS)
    held_on = form.date("held_on")
    items: list[dict[str, Any]] = []
    for row in range(item_count(form)):
        title, heard, decided = (form.text(f"item-{row}-{part}") for part in ("title", "heard", "decided"))
        if form.checked(f"item-{row}-remove") or not (title or heard or decided):
            continue
        index = len(items)
        items.append({"title": title or "", "heard": heard, "decided": decided})
        fields.update({f"items.{index}": f"item-{row}-title", f"items.{index}.title": f"item-{row}-title",
                       f"items.{index}.heard": f"item-{row}-heard", f"items.{index}.decided": f"item-{row}-decided"})
    if not form.ok:
        return None, fields
    body = {"number": form.text("number"), "held_on": held_on.isoformat() if held_on else None,
            "place": form.text("place"), "chair": form.text("chair"), "secretary": form.text("secretary"),
            "attendees": form.text("attendees"), "items": items}
    return body, fields


async def render_editor(page: Page, session_id: int, forms: EditorForms | None = None, *,
                        status: int = 200) -> Response:
    forms = forms or EditorForms()
    session = await session_or_404(page, session_id)
    versions = await page.dialogue.protocol_versions(session_id)
    current = versions[-1] if versions else None
    draft = current if current is not None and current.status == d.ProtocolStatus.draft else None
    edit = forms.edit or (Form(protocol_values(draft)) if draft else None)
    done = gettext(DONE[forms.done]) if forms.done in DONE else None
    # A refusal of a form the page no longer offers (the protocol moved on meanwhile) is said at the top.
    shown = {"start": current is None, "edit": draft is not None, "publish": draft is not None,
             "correction": current is not None and draft is None}
    refused: list[str] = []
    for name, posted in (("start", forms.start), ("edit", forms.edit), ("publish", forms.publish),
                         ("correction", forms.correction)):
        if posted is not None and not shown[name]:
            refused += posted.general + [m for messages in posted.field_errors.values() for m in messages]
    return page.render("workspace/protocol_edit.html", {
        "session": session, "versions": versions, "current": current, "draft": draft,
        "published": [v for v in versions if v.status == d.ProtocolStatus.published],
        "form": edit, "rows": item_rows(edit) if edit else [],
        "start": forms.start or Form({"idempotency_key": new_idempotency_key()}),
        "publish": forms.publish or Form(), "correction": forms.correction or Form(), "done": done,
        "refused": refused,
    }, status_code=status)


@router.get("/workspace/sessions/{session_id}/protocol")
async def protocol_page(page: PageDep, session_id: Id, done: Annotated[str | None, Query(max_length=40)] = None,
                        ) -> Response:
    page.require(Role.coordinator)
    return await render_editor(page, session_id, EditorForms(done=done))


@router.post("/workspace/sessions/{session_id}/protocol/start")
async def start_protocol(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    body = {"number": form.text("number"), "chair": form.text("chair"), "secretary": form.text("secretary")}
    started = await form.attempt(page.dialogue.start_protocol(session_id, body, idempotency_key(form)),
                                 fields=FIELDS, messages=MESSAGES)
    if started is None:
        return await render_editor(page, session_id, EditorForms(start=form), status=form.status)
    return see_other(f"/workspace/sessions/{session_id}/protocol?done=started")


@router.post("/workspace/sessions/{session_id}/protocol")
async def save_protocol(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    if (form.text("action") or "save") == "add_row":
        form.values["item_count"] = str(min(item_count(form) + 1, MAX_ITEMS))
        return await render_editor(page, session_id, EditorForms(edit=form))
    body, fields = protocol_body(form)
    protocol_id, etag_version = positive_int(form.text("protocol_id")), positive_int(form.text("etag_version"))
    if body is None:
        return await render_editor(page, session_id, EditorForms(edit=form), status=form.status)
    if protocol_id is None or etag_version is None:
        form.add_general(gettext(STATUS_MESSAGES[412]), status=412)
        return await render_editor(page, session_id, EditorForms(edit=form), status=412)
    saved = await form.attempt(page.dialogue.edit_protocol(session_id, protocol_id, etag_version, body),
                               fields=fields, messages=MESSAGES)
    if saved is not None:
        return see_other(f"/workspace/sessions/{session_id}/protocol?done=saved")
    if form.status == 412:
        # Someone saved first: show what is saved now; what this user typed is still in their browser's history.
        versions = await page.dialogue.protocol_versions(session_id)
        fresh = Form(protocol_values(versions[-1])) if versions and versions[-1].status == "draft" else None
        if fresh is not None:
            fresh.add_general(gettext(STATUS_MESSAGES[412]), status=412)
            return await render_editor(page, session_id, EditorForms(edit=fresh), status=412)
    return await render_editor(page, session_id, EditorForms(edit=form), status=form.status)


@router.post("/workspace/sessions/{session_id}/protocol/publish")
async def publish_protocol(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    publish = await Form.read(page.request)
    if not publish.checked("confirm"):
        publish.add_error("confirm", gettext("Tick the box to confirm that the protocol is final."))
        return await render_editor(page, session_id, EditorForms(publish=publish), status=422)
    published = await publish.attempt(page.dialogue.publish_protocol(session_id), fields=FIELDS, messages=MESSAGES)
    if published is not None:
        return see_other(f"/workspace/sessions/{session_id}/protocol?done=published")
    # What is missing is marked on the draft's own fields, where it is fixed.
    versions = await page.dialogue.protocol_versions(session_id)
    edit = None
    if versions and versions[-1].status == d.ProtocolStatus.draft:
        edit = Form(protocol_values(versions[-1]))
        edit.general, edit.field_errors, edit.status = publish.general, publish.field_errors, publish.status
        edit.title = gettext("Not published")
        publish = Form()
    return await render_editor(page, session_id, EditorForms(edit=edit, publish=publish), status=edit.status
                               if edit else publish.status)


@router.post("/workspace/sessions/{session_id}/protocol/corrections")
async def correct_protocol(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    reason = form.text("reason")
    if reason is None:  # the record of why a published protocol changed: the portal shows it with the version
        form.add_error("reason", gettext("Say why the protocol is corrected."))
        return await render_editor(page, session_id, EditorForms(correction=form), status=422)
    corrected = await form.attempt(page.dialogue.correct_protocol(session_id, reason), fields=FIELDS,
                                   messages=MESSAGES)
    if corrected is None:
        return await render_editor(page, session_id, EditorForms(correction=form), status=form.status)
    return see_other(f"/workspace/sessions/{session_id}/protocol?done=corrected")


# --- the protocol's documents at the portal's addresses -------------------------------------------------

async def _document(page: Page, session_id: int, extension: str, version: str | None) -> Response:
    upstream = await page.dialogue.protocol_document(session_id, extension, positive_int(version))
    headers = {name: upstream.headers[name] for name in ("content-disposition", "cache-control", "content-language")
               if name in upstream.headers}
    return Response(upstream.content, media_type=upstream.headers.get("content-type"), headers=headers)


@router.get("/sessions/{session_id}/protocol.pdf")
async def protocol_pdf(page: PageDep, session_id: Id,
                       version: Annotated[str | None, Query(max_length=6)] = None) -> Response:
    """The archival PDF: public once published; a draft (marked as such) only for coordinators."""
    return await _document(page, session_id, "pdf", version)


@router.get("/sessions/{session_id}/protocol.docx")
async def protocol_docx(page: PageDep, session_id: Id,
                        version: Annotated[str | None, Query(max_length=6)] = None) -> Response:
    return await _document(page, session_id, "docx", version)
