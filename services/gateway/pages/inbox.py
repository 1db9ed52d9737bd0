"""A state body's inbox: the recommendations addressed to the representative's organizations, where the body
answers them (accepted, partially accepted, rejected — always with reasons) and reports progress with evidence.

The dialogue service decides who may answer for which body; a refusal (403) is shown as such and writes nothing.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from services.contracts import dialogue as d
from services.contracts.auth import Role
from services.gateway import forms, labels
from services.gateway.deps import Page, PageDep, verify_csrf
from services.gateway.errors import AccessDenied, PageNotFound
from services.gateway.i18n import N_
from services.gateway.i18n import gettext as _
from services.gateway.pages.board import today
from services.gateway.pages.common import cursor, orgs_by_id, positive_int
from services.gateway.upstream import UpstreamProblem
from services.gateway.web import is_htmx

router = APIRouter(dependencies=[Depends(verify_csrf)])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
INBOX = "/workspace/inbox"
OPEN = ["sent", "answered", "in_progress"]
CLOSED = ["implemented", "not_implemented"]
PAGE_SIZE = 25
ANSWERING = ("accepted", "partially_accepted")  # the decisions after which progress is reported

# The dialogue service's words for refusals a representative can meet, in the page's language.
ANSWER_MESSAGES: dict[str, forms.Message] = {
    "This body has already answered": (None, N_("Your body has already answered this recommendation; report "
                                                "progress instead.")),
    "Only a sent recommendation is answered": (None, N_("Only a recommendation that has been sent and not yet "
                                                        "answered can be answered.")),
    "this body is not an addressee": ("org_id", N_("This recommendation is not addressed to this body.")),
}
PROGRESS_MESSAGES: dict[str, forms.Message] = {
    "Progress is reported after the answer": (None, N_("Progress is reported after your body has answered.")),
    "This body rejected the recommendation": (None, N_("Your body rejected this recommendation: there is no "
                                                       "progress to report.")),
    "this body is not an addressee": ("org_id", N_("This recommendation is not addressed to this body.")),
}
NOT_YOURS = N_("This recommendation is not addressed to your organization: you cannot answer it or report on it. "
               "Nothing was saved.")


def _mine(rec: d.RecommendationRead, org_ids: list[int]) -> list[d.AddresseeState]:
    return [a for a in rec.addressees if a.org_id in org_ids]


def _awaits_answer(rec: d.RecommendationRead, org_ids: list[int]) -> bool:
    return rec.status == "sent" and any(a.decision is None for a in _mine(rec, org_ids))


def _overdue_for(rec: d.RecommendationRead, org_ids: list[int], day: date) -> bool:
    return (_awaits_answer(rec, org_ids) and rec.response_due_on is not None and rec.response_due_on < day)


# --- the list ------------------------------------------------------------------------------------

@router.get(INBOX)
async def inbox(page: PageDep, request: Request,
                org: Annotated[str | None, Query(max_length=12)] = None,
                show: Annotated[str | None, Query(max_length=10)] = None,
                cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None) -> Response:
    account = page.require(Role.representative)
    chosen = positive_int(org)
    if chosen not in account.org_ids:
        chosen = None
    closed = show == "closed"
    org_ids = [chosen] if chosen else list(account.org_ids)
    day = today()
    result: list[d.RecommendationRead] | None = None
    next_cursor = None
    if closed:
        # Closed ones are many over the years: one body at a time, page by page.
        body = chosen or (org_ids[0] if org_ids else None)
        page_ = await page.soft(page.dialogue.list_recommendations(
            status=CLOSED, addressee_id=body, order="recent", limit=PAGE_SIZE, cursor=cursor(cursor_)), None) \
            if body else None
        if page_ is not None:
            result, next_cursor = list(page_.items), page_.next_cursor
        elif body is None:
            result = []
    else:
        found = await asyncio.gather(*(page.soft(page.dialogue.all_recommendations(
            status=OPEN, addressee_id=o, max_pages=5), None) for o in org_ids))
        if all(f is not None for f in found):
            merged = {r.id: r for f in found for r in f or []}
            result = sorted(merged.values(), key=lambda r: (
                not _awaits_answer(r, org_ids), not _overdue_for(r, org_ids, day),
                r.response_due_on or date.max, r.id))
    orgs = await orgs_by_id(page, {*account.org_ids, *(a.org_id for r in result or [] for a in r.addressees)})
    return page.render("workspace/inbox.html", {
        "result": result, "closed": closed, "chosen": chosen, "my_orgs": account.org_ids, "orgs": orgs,
        "today": day, "awaits": lambda r: _awaits_answer(r, org_ids),
        "overdue_for": lambda r: _overdue_for(r, org_ids, day),
        "more_url": _url(chosen, closed, next_cursor) if next_cursor else None,
        "notices": [] if is_htmx(request) else forms.take_flashes(request),
    }, status_code=200 if result is not None else 503)


def _url(org: int | None, closed: bool, next_cursor: str | None = None) -> str:
    params = [("org", str(org) if org else None), ("show", "closed" if closed else None), ("cursor", next_cursor)]
    query = urlencode([(k, v) for k, v in params if v])
    return INBOX + (f"?{query}" if query else "")


# --- one recommendation: answer and progress -----------------------------------------------------

async def _item_page(page: Page, rec_id: int, *, answer_form: forms.Form | None = None,
                     progress_form: forms.Form | None = None, status_code: int = 200) -> Response:
    account = page.require(Role.representative)
    try:
        rec = await page.dialogue.recommendation(rec_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise
    mine = _mine(rec, list(account.org_ids))
    if not mine:
        raise AccessDenied(_(NOT_YOURS))
    session = None
    if rec.session_id:
        session = await page.soft(_session(page, rec.session_id), None)
    orgs = await orgs_by_id(page, {a.org_id for a in rec.addressees})
    return page.render("workspace/inbox_item.html", {
        "rec": rec, "mine": mine, "my_ids": [a.org_id for a in mine], "orgs": orgs, "session": session,
        "today": today(), "decisions": labels.DECISION, "answering": ANSWERING,
        "answer_form": answer_form or forms.Form({"idempotency_key": forms.new_idempotency_key()}),
        "progress_form": progress_form or forms.Form({"idempotency_key": forms.new_idempotency_key()}),
        "notices": [] if is_htmx(page.request) else forms.take_flashes(page.request),
    }, status_code=status_code)


async def _session(page: Page, session_id: int) -> Any:
    try:
        return await page.dialogue.session(session_id)
    except UpstreamProblem:
        return None


@router.get(INBOX + "/{rec_id}")
async def inbox_item(page: PageDep, rec_id: Id) -> Response:
    return await _item_page(page, rec_id)


def _refused(exc: UpstreamProblem) -> None:
    """Not a form error: the page is gone (404) or the account may not speak for this body (403)."""
    if exc.status == 404:
        raise PageNotFound() from exc
    if exc.status == 403:
        raise AccessDenied(_(NOT_YOURS)) from exc


@router.post(INBOX + "/{rec_id}/answer")
async def answer(page: PageDep, request: Request, rec_id: Id) -> Response:
    page.require(Role.representative)
    form = await forms.Form.read(request)
    body = {"org_id": form.id("org_id"), "decision": form.text("decision"), "reasons": form.get("reasons")}
    try:
        await page.dialogue.answer_recommendation(rec_id, body, forms.idempotency_key(form))
    except UpstreamProblem as exc:
        _refused(exc)
        form.add_problem(exc, fields={"org_id": "org_id", "decision": "decision", "reasons": "reasons"},
                         messages=ANSWER_MESSAGES)
        return await _item_page(page, rec_id, answer_form=form, status_code=form.status)
    forms.flash(request, _("The answer to recommendation No. %(id)s is recorded and published.", id=rec_id))
    return forms.see_other(f"{INBOX}/{rec_id}")


@router.post(INBOX + "/{rec_id}/progress")
async def progress(page: PageDep, request: Request, rec_id: Id) -> Response:
    page.require(Role.representative)
    form = await forms.Form.read(request)
    note = form.text("note")
    if note is None:
        form.add_error("note", _("Describe what has been done."))
    urls = [line.strip() for line in str(form.get("evidence_urls")).splitlines() if line.strip()]
    if form.ok:
        body = {"org_id": form.id("org_id"), "percent": form.text("percent"), "note": note, "evidence_urls": urls}
        try:
            await page.dialogue.report_progress(rec_id, body, forms.idempotency_key(form))
        except UpstreamProblem as exc:
            _refused(exc)
            form.add_problem(exc, fields={"org_id": "org_id", "percent": "percent", "note": "note",
                                          "evidence_urls": "evidence_urls"}, messages=PROGRESS_MESSAGES)
    if not form.ok:
        return await _item_page(page, rec_id, progress_form=form, status_code=form.status)
    forms.flash(request, _("The progress report on recommendation No. %(id)s is recorded and published.", id=rec_id))
    return forms.see_other(f"{INBOX}/{rec_id}")
