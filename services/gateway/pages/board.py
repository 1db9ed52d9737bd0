"""The coordinators' recommendations board: every recommendation by status, addressee, session and deadline,
overdue first, and the steps a coordinator takes on one (adopt, send, close with a reason, escalate)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.contracts import dialogue as d
from services.contracts.auth import Role
from services.contracts.orgs import OrgRead
from services.gateway import forms, labels
from services.gateway.deps import Page, PageDep, verify_csrf
from services.gateway.errors import PageNotFound
from services.gateway.i18n import ALMATY, N_
from services.gateway.i18n import gettext as _
from services.gateway.pages.common import choice, cursor, orgs_by_id, positive_int, text
from services.gateway.pages.signin import safe_next
from services.gateway.upstream import UpstreamProblem
from services.gateway.web import is_htmx

router = APIRouter(dependencies=[Depends(verify_csrf)])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_SIZE = 25
BOARD = "/workspace/recommendations"
OPEN = ["sent", "answered", "in_progress"]
# "open" stands for the three statuses in which a recommendation still waits for something.
STATUS_CHOICES = ("open", *labels.RECOMMENDATION_STATUS)
# The steps a coordinator may take by hand from each status: the buttons offered. The dialogue service decides
# (a step it refuses comes back as a message); `sent → answered` and the first progress report are automatic.
STEPS: dict[str, tuple[str, ...]] = {
    "draft": ("adopted",),
    "adopted": ("sent", "draft"),
    "answered": ("in_progress", "not_implemented"),
    "in_progress": ("implemented", "not_implemented"),
}
STEP_LABELS = {
    "adopted": N_("Adopt"),
    "sent": N_("Send to the addressees"),
    "draft": N_("Return to draft"),
    "in_progress": N_("Mark as being implemented"),
    "implemented": N_("Close as implemented"),
    "not_implemented": N_("Close as not implemented"),
}
STEP_DONE = {
    "adopted": N_("Recommendation No. %(id)s is adopted."),
    "sent": N_("Recommendation No. %(id)s is sent to its addressees."),
    "draft": N_("Recommendation No. %(id)s is a draft again."),
    "in_progress": N_("Recommendation No. %(id)s is marked as being implemented."),
    "implemented": N_("Recommendation No. %(id)s is closed as implemented."),
    "not_implemented": N_("Recommendation No. %(id)s is closed as not implemented."),
}
# Closing needs a reason (the service refuses it without one).
NEEDS_REASON = ("implemented", "not_implemented")
NOT_ESCALATED = ("draft", "adopted")  # sent first, then escalated
_FIELD = re.compile(r"^[a-z_]{1,30}$")


def today() -> date:
    return datetime.now(ALMATY).date()


def day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- the organization picker (shared with the admin pages) -----------------------------------------

@dataclass
class Picker:
    """A select of organizations narrowed by a search box: works as a plain form field without JavaScript
    (the search is sent with the form), and with htmx the options follow the typing."""

    name: str  # the form field: `name` holds the chosen ids, `{name}_q` the search
    choices: list[OrgRead]
    selected: list[int]
    q: str | None = None
    kinds: list[str] = field(default_factory=list)
    level: str | None = None
    multiple: bool = False

    @property
    def url(self) -> str:
        params: list[tuple[str, str]] = [("field", self.name), *(("kind", k) for k in self.kinds)]
        if self.level:
            params.append(("level", self.level))
        if self.multiple:
            params.append(("multiple", "1"))
        return "/workspace/org-picker?" + urlencode(params)


async def org_picker(page: Page, name: str, *, q: str | None, selected: list[int], kinds: list[str] | None = None,
                     level: str | None = None, multiple: bool = False, limit: int = 50) -> Picker:
    """The chosen organizations first (so they stay chosen), then up to `limit` found by `q`."""
    found, chosen = await asyncio.gather(
        page.soft(page.orgs.list_orgs(q=q, kind=kinds, level=level, limit=limit), None),
        orgs_by_id(page, selected),
    )
    first = sorted(chosen.values(), key=lambda o: o.name.casefold())
    rest = sorted((o for o in (found.items if found else []) if o.id not in chosen and o.is_active),
                  key=lambda o: o.name.casefold())
    return Picker(name=name, choices=[*first, *rest], selected=selected, q=q, kinds=list(kinds or []), level=level,
                  multiple=multiple)


@router.get("/workspace/org-picker")
async def org_picker_options(page: PageDep, request: Request,
                             field_: Annotated[str, Query(alias="field", max_length=30)],
                             kind: Annotated[list[str], Query(max_length=40)] = [],  # noqa: B006
                             level: Annotated[str | None, Query(max_length=40)] = None,
                             multiple: Annotated[str | None, Query(max_length=1)] = None) -> Response:
    """The select of a picker, for htmx as its search box changes."""
    page.require()
    if not _FIELD.match(field_):
        raise PageNotFound()
    picker = await org_picker(page, field_, q=text(request.query_params.get(f"{field_}_q")),
                              selected=forms.ids(request.query_params.getlist(field_)),
                              kinds=[k for k in kind if k in labels.ORG_KIND],
                              level=choice(level, labels.ORG_LEVEL), multiple=multiple == "1")
    return page.render("workspace/org_picker.html", {"picker": picker})


# --- the board -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFilters:
    q: str | None = None
    status: str | None = None
    addressee: int | None = None
    addressee_q: str | None = None
    session: int | None = None
    due_from: date | None = None
    due_before: date | None = None
    overdue: bool = False

    @property
    def statuses(self) -> list[str]:
        if self.status == "open":
            return list(OPEN)
        return [self.status] if self.status else []

    def query(self) -> list[tuple[str, str]]:
        """The filters as they appear in the address: only those set."""
        pairs = [("q", self.q), ("status", self.status), ("addressee", self.addressee),
                 ("addressee_q", self.addressee_q), ("session", self.session),
                 ("due_from", self.due_from.isoformat() if self.due_from else None),
                 ("due_before", self.due_before.isoformat() if self.due_before else None),
                 ("overdue", "1" if self.overdue else None)]
        return [(k, str(v)) for k, v in pairs if v]

    def url(self, cursor: str | None = None) -> str:
        query = self.query() + ([("cursor", cursor)] if cursor else [])
        return BOARD + ("?" + urlencode(query) if query else "")


@router.get(BOARD)
async def board(
    page: PageDep, request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    addressee: Annotated[str | None, Query(max_length=12)] = None,
    addressee_q: Annotated[str | None, Query(max_length=200)] = None,
    session: Annotated[str | None, Query(max_length=12)] = None,
    due_from: Annotated[str | None, Query(max_length=10)] = None,
    due_before: Annotated[str | None, Query(max_length=10)] = None,
    overdue: Annotated[str | None, Query(max_length=5)] = None,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None,
) -> Response:
    page.require(Role.coordinator)
    filters = BoardFilters(q=text(q), status=choice(status, STATUS_CHOICES), addressee=positive_int(addressee),
                           addressee_q=text(addressee_q), session=positive_int(session), due_from=day(due_from),
                           due_before=day(due_before), overdue=overdue == "1")
    next_page = cursor(cursor_)
    sent = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "cursor")]
    if not is_htmx(request) and sorted(sent) != sorted(filters.query()):
        # Empty or unreadable filters are left out of the address (a plain form sends every field).
        return RedirectResponse(filters.url(next_page), status_code=303)
    result, sessions, picker = await asyncio.gather(
        page.soft(page.dialogue.board_recommendations(
            status=filters.statuses, addressee_id=filters.addressee, session_id=filters.session,
            overdue=True if filters.overdue else None, due_from=filters.due_from, due_before=filters.due_before,
            q=filters.q, limit=PAGE_SIZE, cursor=next_page), None),
        _session_choices(page, filters.session),
        org_picker(page, "addressee", q=filters.addressee_q,
                   selected=[filters.addressee] if filters.addressee else [], kinds=["state_body"]),
    )
    orgs = await orgs_by_id(page, {a.org_id for r in (result.items if result else []) for a in r.addressees})
    response = page.render("workspace/board.html", {
        "result": result, "filters": filters, "sessions": sessions, "picker": picker, "orgs": orgs,
        "today": today(), "steps": STEPS, "step_labels": STEP_LABELS, "needs_reason": NEEDS_REASON,
        "notices": [] if is_htmx(request) else forms.take_flashes(request),
        "more_url": filters.url(result.next_cursor) if result and result.next_cursor else None,
        "back": filters.url(next_page),
    }, status_code=200 if result is not None else 503)
    if is_htmx(request):
        response.headers["HX-Push-Url"] = filters.url(next_page)
    return response


async def _session_choices(page: Page, selected: int | None) -> list[d.SessionRead]:
    """The latest sessions for the filter, and the chosen one even when it is older."""
    latest = await page.soft(page.dialogue.list_sessions(limit=100), None)
    items = list(latest.items) if latest else []
    if selected and all(s.id != selected for s in items):
        try:
            chosen = await page.soft(page.dialogue.session(selected), None)
        except UpstreamProblem:
            chosen = None
        if chosen is not None:
            items.insert(0, chosen)
    return items


# --- one recommendation: its steps and escalation ---------------------------------------------------

# The service's words for the steps it refuses, said in the page's language (a missing reason next to it).
STEP_MESSAGES: dict[str, forms.Message] = {
    "Say why the recommendation is closed this way.": ("note", N_("Say why the recommendation is closed this way.")),
    "required when closing a recommendation": ("note", N_("Say why the recommendation is closed this way.")),
    "Cannot go from": (None, N_("This step is not possible from the recommendation's current status.")),
    "A recommendation is adopted at its session": (None, N_("A recommendation is adopted at its session, once the "
                                                            "session has started.")),
    "Every addressee rejected it": (None, N_("Every addressee rejected it: close it as not implemented instead.")),
}
ESCALATION_MESSAGES: dict[str, forms.Message] = {
    "Send the recommendation to the local body before escalating it.":
        (None, N_("Send the recommendation to the local body before escalating it.")),
}


async def _item_page(page: Page, rec_id: int, *, step_form: forms.Form | None = None,
                     escalate_form: forms.Form | None = None, status_code: int = 200) -> Response:
    try:
        rec = await page.dialogue.recommendation(rec_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise
    escalate_form = escalate_form or forms.Form({"idempotency_key": forms.new_idempotency_key()})
    picker, session = await asyncio.gather(
        org_picker(page, "addressee", q=escalate_form.text("addressee_q"), selected=escalate_form.ids("addressee"),
                   kinds=["state_body"], level="republican", multiple=True),
        page.soft(_session_or_none(page, rec.session_id), None),
    )
    orgs = await orgs_by_id(page, {a.org_id for a in rec.addressees})
    return page.render("workspace/board_item.html", {
        "rec": rec, "orgs": orgs, "session": session, "today": today(),
        "steps": STEPS.get(rec.status, ()), "step_labels": STEP_LABELS, "needs_reason": NEEDS_REASON,
        "step_form": step_form or forms.Form(), "escalate_form": escalate_form, "picker": picker,
        "can_escalate": rec.status not in NOT_ESCALATED,
        "notices": [] if is_htmx(page.request) else forms.take_flashes(page.request),
    }, status_code=status_code)


async def _session_or_none(page: Page, session_id: int | None) -> Any:
    if not session_id:
        return None
    try:
        return await page.dialogue.session(session_id)
    except UpstreamProblem:
        return None


def _not_found(exc: UpstreamProblem) -> None:
    if exc.status == 404:
        raise PageNotFound() from exc


@router.get(BOARD + "/{rec_id}")
async def board_item(page: PageDep, rec_id: Id) -> Response:
    page.require(Role.coordinator)
    return await _item_page(page, rec_id)


@router.post(BOARD + "/{rec_id}/transitions")
async def take_step(page: PageDep, request: Request, rec_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await forms.Form.read(request)
    wanted = choice(form.text("status"), STEP_LABELS)
    if wanted is None:
        form.add_error("status", _("Choose one of the offered steps."))
    else:
        try:
            await page.dialogue.transition_recommendation(rec_id, wanted, form.text("note"))
        except UpstreamProblem as exc:
            _not_found(exc)
            form.add_problem(exc, fields={"note": "note", "status": "status"}, messages=STEP_MESSAGES)
    if not form.ok or wanted is None:
        return await _item_page(page, rec_id, step_form=form, status_code=form.status)
    forms.flash(request, _(STEP_DONE[wanted], id=rec_id))
    back = form.text("back") or ""
    return forms.see_other(safe_next(back) if back.startswith(BOARD) else f"{BOARD}/{rec_id}")


@router.post(BOARD + "/{rec_id}/escalations")
async def escalate(page: PageDep, request: Request, rec_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await forms.Form.read(request, lists=["addressee"])
    if form.text("find"):  # the picker's search without JavaScript: the narrowed list, nothing written
        return await _item_page(page, rec_id, escalate_form=form)
    due = form.date("response_due_on")
    if due is not None and due < today():
        form.add_error("response_due_on", _("The deadline cannot be in the past."))
    new = None
    if form.ok:
        body = {"addressee_ids": form.ids("addressee"), "reason": form.get("reason"),
                "response_due_on": due.isoformat() if due else None}
        try:
            new = await page.dialogue.escalate_recommendation(rec_id, body, forms.idempotency_key(form))
        except UpstreamProblem as exc:
            _not_found(exc)
            form.add_problem(exc, fields={"addressee_ids": "addressee", "reason": "reason",
                                          "response_due_on": "response_due_on"}, messages=ESCALATION_MESSAGES)
    if new is None:
        return await _item_page(page, rec_id, escalate_form=form, status_code=form.status)
    forms.flash(request, _("Recommendation No. %(id)s is escalated: recommendation No. %(new)s is sent to the "
                           "republican level.", id=rec_id, new=new.id))
    return forms.see_other(f"{BOARD}/{new.id}")
