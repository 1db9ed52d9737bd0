"""The live console: the screen a coordinator runs a session from, kept up to date on every open screen.

One page, `/workspace/sessions/{id}/console`, in regions: the session's status (start, conclude), the item
under discussion with the agenda (move on, pick an item, mark it heard), what was heard and decided on it,
attendance by sector and head counts, check-in by name and walk-ins, and the decisions recorded as
recommendations to state bodies (adopted at once). Every form works without JavaScript (a POST, then
303 back to the page, or the page again with the form's error and input); with htmx a form swaps only its
region. `/console/stream` pushes changed regions to every open screen (services/gateway/live.py);
`?view=watch` is the read-only view for a projector.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sse_starlette import EventSourceResponse
from starlette.datastructures import FormData

from services.contracts import dialogue as d
from services.contracts.auth import Role
from services.contracts.orgs import OrgRead
from services.gateway import labels
from services.gateway.deps import Page, PageDep, current_account, verify_csrf
from services.gateway.errors import PageNotFound
from services.gateway.i18n import ALMATY, N_, gettext
from services.gateway.live import CloseOnShutdown, LiveHub, Stamp, hub_of, live_events
from services.gateway.pages.common import orgs_by_id, positive_int
from services.gateway.upstream import UpstreamProblem
from services.gateway.web import is_htmx


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.live_hub = LiveHub(app.state.settings.live_max_streams)
    try:
        yield
    finally:
        app.state.live_hub.close()  # open streams say goodbye and end; the browsers reconnect to the next process


router = APIRouter(dependencies=[Depends(verify_csrf)], lifespan=_lifespan)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
TEMPLATE = "workspace/console.html"
MAX_TEXT = 20000
MAX_NAME = 300
MAX_HEAD_COUNT = 100000
DECISIONS_SHOWN = 50
PEOPLE_SHOWN = 20
PICKER_SIZE = 15
EDITOR_ROLES = {Role.coordinator, Role.admin}
SHUTDOWN_GRACE_SECONDS = 3  # for a stream's goodbye when the server stops (well below uvicorn's own grace)

# What each region shows, beyond the session itself (always read).
NEEDS: dict[str, set[str]] = {
    "status": set(),
    "current": {"agenda"},
    "notes": {"agenda"},
    "counts": {"attendance"},
    "headcounts": {"attendance"},
    "people": {"participants"},
    "walkin": set(),
    "decide": {"agenda", "picker"},
    "decideitem": {"agenda"},
    "decisions": {"agenda", "recommendations"},
    "addressees": {"picker"},
}
# The regions that are blocks of the page (htmx swaps them by id); the others are sent by the stream only.
SWAPPABLE = ("status", "current", "notes", "counts", "headcounts", "people", "walkin", "decide", "decisions")
FORM_REGIONS = ("current", "status", "notes", "headcounts", "people", "walkin", "decide", "decisions")

# The services' words for refusals a console meets, in the page's language.
KNOWN_REFUSALS = {
    "Only a session in progress has an item under discussion.":
        N_("Start the session first: only a session in progress has an item under discussion."),
    "Check-in happens while a session is scheduled or in progress.":
        N_("Check-in is possible while the session is scheduled or in progress."),
    "A recommendation is adopted at its session, once the session has started.":
        N_("A recommendation is adopted at its session once the session has started."),
    "A cancelled session records nothing.": N_("A cancelled session records nothing."),
}

# The registry's verdicts on an addressee, as the dialogue service words them after the organization's name.
ADDRESSEE_REFUSALS = (
    (" is not a state body", N_("%(which)s is not a state body: recommendations are addressed to state bodies.")),
    (" is archived or dissolved", N_("%(which)s is archived or dissolved.")),
    (" does not exist", N_("%(which)s is not in the registry.")),
)


def field_message(message: str) -> str:
    for ending, translated in ADDRESSEE_REFUSALS:
        if message.endswith(ending):
            return gettext(translated, which=message.removesuffix(ending))
    return message


class ConsoleForm:
    """One form of the console: what was sent (shown again when it comes back) and what is wrong with it."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.errors: dict[str, list[str]] = {}
        self.status = 200

    def value(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def chosen(self, name: str) -> list[int]:
        return [int(v) for v in self.values.get(name) or [] if str(v).isdigit()]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def general(self) -> list[str]:
        return self.errors.get("", [])

    def errors_for(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    def error(self, name: str, message: str, *, status: int = 422) -> None:
        """A message under one input (`""`: about the whole form); the first status recorded is the answer's."""
        messages = self.errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)
        if self.status < 400:
            self.status = status

    def refused(self, exc: UpstreamProblem, fields: Iterable[str] = ()) -> None:
        """The dialogue service refused the write: its field errors under the inputs they name, the rest on top.
        403 and 404 are not about the form: raised again for the error pages."""
        problem = exc.problem
        if problem.status in (401, 403, 404) or problem.status >= 500:
            raise exc
        status = problem.status if 400 <= problem.status < 500 else 422
        inputs = set(fields)
        filed = False
        for err in problem.errors or []:
            name = err.field.split(".", 1)[0]
            self.error(name if name in inputs else "", field_message(err.message), status=status)
            filed = True
        if not filed:
            known = KNOWN_REFUSALS.get(problem.detail or "")
            if known:
                message = gettext(known)
            elif status in (409, 412, 428):
                message = gettext("Someone changed this meanwhile, or the session is not in a state that allows "
                                  "it. The screen now shows how things stand.")
                if problem.detail:
                    message = f"{message} ({problem.detail})"
            else:
                message = problem.detail or problem.title
            self.error("", message, status=status)


def console_url(session_id: int, *, q: str | None = None, watch: bool = False, saved: str | None = None,
                anchor: str | None = None) -> str:
    params = {k: v for k, v in (("q", q), ("view", "watch" if watch else None), ("saved", saved)) if v}
    url = f"/workspace/sessions/{session_id}/console"
    if params:
        url += "?" + urlencode(params)
    return url + (f"#console-{anchor}" if anchor else "")


def today_kz() -> date:
    return datetime.now(ALMATY).date()


def heard_line(item: d.AgendaItemRead) -> str:
    """What «heard» says when an item is just marked heard: its speakers (with their affiliation), else its title."""
    speakers = []
    for s in item.speakers:
        who = s.name or ""
        if s.affiliation:
            who = f"{who} ({s.affiliation})" if who else s.affiliation
        if who:
            speakers.append(who)
    return "; ".join(speakers) or item.title


def htmx_region(request: Request) -> str | None:
    """The region an htmx request swaps (its HX-Target, `console-<region>`), if it is one of the console's."""
    if not is_htmx(request):
        return None
    target = (request.headers.get("hx-target") or "").removeprefix("console-")
    return target if target in SWAPPABLE else None


def _blank_forms(session: d.SessionRead) -> dict[str, ConsoleForm]:
    forms = {region: ConsoleForm() for region in FORM_REGIONS}
    forms["walkin"] = ConsoleForm({"idempotency_key": _new_key()})
    forms["decide"] = ConsoleForm({"idempotency_key": _new_key(),
                                   "agenda_item_id": str(session.current_agenda_item_id or "")})
    return forms


def _new_key() -> str:
    """For a hidden field: the same form sent twice (double click, reload) makes one record upstream."""
    return str(uuid.uuid4())


def _idempotency_key(value: str) -> str | None:
    value = value.strip()
    return value if 8 <= len(value) <= 64 and all(c.isalnum() or c == "-" for c in value) else None


async def _session(page: Page, session_id: int) -> d.SessionRead:
    try:
        return await page.dialogue.session(session_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise


async def load_console(page: Page, session_id: int, regions: Iterable[str], *, q: str | None = None,
                       watch: bool = False, forms: dict[str, ConsoleForm] | None = None,
                       saved: str | None = None) -> dict[str, Any]:
    """The context of the console's templates, reading only what `regions` show."""
    wanted = set(regions)
    needs: set[str] = set().union(*(NEEDS[r] for r in wanted)) if wanted else set()
    session = await _session(page, session_id)
    all_forms = _blank_forms(session)
    all_forms.update(forms or {})

    async def nothing() -> None:
        return None

    agenda, attendance, recs, people = await asyncio.gather(
        page.dialogue.agenda(session_id) if "agenda" in needs else nothing(),
        page.dialogue.attendance(session_id) if "attendance" in needs else nothing(),
        page.dialogue.list_recommendations(session_id=session_id, order="recent", limit=DECISIONS_SHOWN)
        if "recommendations" in needs else nothing(),
        page.dialogue.participants(session_id, q=q, limit=PEOPLE_SHOWN)
        if "participants" in needs and q else nothing(),
    )
    agenda = agenda or []
    by_id = {item.id: item for item in agenda}
    current = by_id.get(session.current_agenda_item_id or 0)
    position = agenda.index(current) if current else -1
    chosen_ids = all_forms["decide"].chosen("addressee_ids")
    picker_q = (all_forms["decide"].value("addressee_q") or "").strip() or None
    org_ids = {a.org_id for r in (recs.items if recs else []) for a in r.addressees} | set(chosen_ids)
    orgs, found = await asyncio.gather(
        orgs_by_id(page, org_ids),
        _addressee_matches(page, session, picker_q) if "picker" in needs else nothing(),
    )
    return {
        "session": session, "base": console_url(session_id), "watch": watch, "q": q or "",
        "agenda": agenda, "items_by_id": by_id, "current": current,
        "prev_item": agenda[position - 1] if position > 0 else None,
        "next_item": agenda[position + 1] if 0 <= position < len(agenda) - 1 else (
            agenda[0] if current is None and agenda else None),
        "attendance": attendance, "recommendations": recs.items if recs else [],
        "more_recommendations": bool(recs and recs.next_cursor), "orgs": orgs,
        "people": people, "console_forms": all_forms, "saved": saved, "walked_in": None,
        "picker_chosen": chosen_ids, "picker_q": picker_q or "",
        "picker_found": [o for o in (found or []) if o.id not in chosen_ids],
        "picker_unavailable": "picker" in needs and found is None,
        "sectors": labels.SECTORS, "today": today_kz(), "max_text": MAX_TEXT,
        "stream_url": "", "since": "", "live": "page", "updated_at": None, "max_streams": 0,
        "watch_url": console_url(session_id, watch=True), "console_url": console_url(session_id),
        "refresh_url": console_url(session_id, watch=watch),
        "running": session.status == d.SessionStatus.in_progress,
        "can_check_in": session.status in (d.SessionStatus.scheduled, d.SessionStatus.in_progress),
        "can_count": session.status in (d.SessionStatus.scheduled, d.SessionStatus.in_progress,
                                         d.SessionStatus.concluded),
        "can_decide": session.status in (d.SessionStatus.in_progress, d.SessionStatus.concluded),
    }


async def _addressee_matches(page: Page, session: d.SessionRead, q: str | None) -> list[OrgRead] | None:
    """Active state bodies whose names match `q`; without a query, those of the session's region."""
    result = await page.soft(page.orgs.list_orgs(q=q, kind=["state_body"], region=None if q else session.region_code,
                                                 limit=PICKER_SIZE), None)
    return None if result is None else [o for o in result.items if o.is_active]


async def whole_console(page: Page, session_id: int, *, q: str | None = None, watch: bool = False,
                        forms: dict[str, ConsoleForm] | None = None, saved: str | None = None) -> dict[str, Any]:
    """The context of the whole page, with the address of its stream and what the page shows (`since`)."""
    try:
        # Read first, so a change made while the page is read is sent again by the stream, never missed.
        state = await page.dialogue.live_state(session_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise
    context = await load_console(page, session_id, NEEDS, q=q, watch=watch, forms=forms, saved=saved)
    since = str(Stamp.of(state))
    stream = f"/workspace/sessions/{session_id}/console/stream?" + urlencode(
        {k: v for k, v in (("view", "watch" if watch else None), ("since", since)) if v})
    context.update(since=since, stream_url=stream)
    return context


def render_fragment(page: Page, name: str, context: dict[str, Any]) -> str:
    """One template of the console, as its region's HTML (for the stream: no page around it)."""
    templates = page.templates
    full = dict(templates.base_context(page.request))
    full.update(context)
    full["ui"] = templates.env.get_template("_partials/macros.html").make_module(full)
    return templates.env.get_template(name).render(full)


async def respond(page: Page, session_id: int, region: str, *, form: ConsoleForm | None = None,
                  q: str | None = None, extra: dict[str, Any] | None = None) -> Response:
    """After a console form: its region again (htmx), else back to the page (303), or the page with the error."""
    request = page.request
    target = htmx_region(request) or region
    if form is not None and not form.ok:
        if is_htmx(request):
            context = await load_console(page, session_id, {target}, q=q, forms={region: form})
        else:
            context = await whole_console(page, session_id, q=q, forms={region: form})
        context.update(extra or {})
        return page.render(TEMPLATE, context, status_code=form.status)
    hub_of(request.app).notify(session_id)
    if is_htmx(request):
        context = await load_console(page, session_id, {target}, q=q, saved=region)
        context.update(extra or {})
        return page.render(TEMPLATE, context)
    return RedirectResponse(console_url(session_id, q=q, saved=region, anchor=region), status_code=303)


async def _posted(request: Request) -> FormData:
    return await request.form()


def _field(data: FormData, name: str, limit: int = MAX_TEXT + 1) -> str:
    value = data.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _search(value: str | None) -> str | None:
    value = (value or "").strip()[:200]
    return value or None


# --- the page --------------------------------------------------------------------------------------

@router.get("/workspace/sessions/{session_id}/console")
async def console_page(page: PageDep, session_id: Id,
                       q: Annotated[str | None, Query(max_length=200)] = None,
                       view: Annotated[str | None, Query(max_length=10)] = None,
                       saved: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    page.require(Role.coordinator)
    watch = view == "watch"
    search = _search(q)
    region = htmx_region(page.request)
    if region is not None:  # the check-in search as one types, or a region fetched again after an event
        return page.render(TEMPLATE, await load_console(page, session_id, {region}, q=search, watch=watch))
    context = await whole_console(page, session_id, q=search, watch=watch,
                                  saved=saved if saved in FORM_REGIONS else None)
    return page.render(TEMPLATE, context)


@router.get("/workspace/sessions/{session_id}/console/addressees")
async def addressee_choices(page: PageDep, session_id: Id,
                            addressee_q: Annotated[str | None, Query(max_length=200)] = None,
                            addressee_ids: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
                            ) -> Response:
    """The addressee picker's choices as one types (htmx); without JavaScript the form's «Find» does this."""
    page.require(Role.coordinator)
    if not is_htmx(page.request):
        return RedirectResponse(console_url(session_id, anchor="decide"), status_code=303)
    form = ConsoleForm({"addressee_q": _search(addressee_q) or "",
                        "addressee_ids": [v for v in addressee_ids if v.isdigit()]})
    context = await load_console(page, session_id, {"addressees"}, forms={"decide": form})
    return page.render("workspace/_console_decide.html", context)


# --- the agenda ------------------------------------------------------------------------------------

@router.post("/workspace/sessions/{session_id}/console/current")
async def set_current(page: PageDep, request: Request, session_id: Id) -> Response:
    page.require(Role.coordinator)
    data = await _posted(request)
    form = ConsoleForm()
    item_id = positive_int(_field(data, "item_id", 12))
    if item_id is None:
        form.error("", gettext("Choose an agenda item."))
    else:
        try:
            await page.dialogue.set_current_item(session_id, item_id)
        except UpstreamProblem as exc:
            if exc.status == 404:
                form.error("", gettext("This item is no longer on the agenda."), status=409)
            else:
                form.refused(exc)
    return await respond(page, session_id, "current", form=form)


@router.post("/workspace/sessions/{session_id}/console/items/{item_id}/heard")
async def mark_heard(page: PageDep, session_id: Id, item_id: Id) -> Response:
    page.require(Role.coordinator)
    form = ConsoleForm()
    item = next((i for i in await page.dialogue.agenda(session_id) if i.id == item_id), None)
    if item is None:
        form.error("", gettext("This item is no longer on the agenda."), status=409)
    elif not item.heard:
        try:
            await page.dialogue.record_on_item(session_id, item.id, item.version,
                                               d.AgendaItemUpdate(heard=heard_line(item)))
        except UpstreamProblem as exc:
            form.refused(exc)
    return await respond(page, session_id, "current", form=form)


@router.post("/workspace/sessions/{session_id}/console/items/{item_id}/notes")
async def record_notes(page: PageDep, request: Request, session_id: Id, item_id: Id) -> Response:
    page.require(Role.coordinator)
    data = await _posted(request)
    heard, decided = _field(data, "heard"), _field(data, "decided")
    form = ConsoleForm({"heard": heard, "decided": decided, "item_id": item_id})
    for name, value in (("heard", heard), ("decided", decided)):
        if len(value) > MAX_TEXT:
            form.error(name, gettext("Enter at most %(count)s characters.", count=MAX_TEXT))
    version = positive_int(_field(data, "version", 12))
    if version is None:
        form.error("", gettext("Reload the page and record again."))
    if form.ok and version is not None:
        try:
            await page.dialogue.record_on_item(session_id, item_id, version,
                                               d.AgendaItemUpdate(heard=heard or None, decided=decided or None))
        except UpstreamProblem as exc:
            if exc.status == 404:
                form.error("", gettext("This item is no longer on the agenda."), status=409)
            elif exc.status in (409, 412):
                form.error("", gettext("Someone else recorded on this item meanwhile: what they wrote is shown "
                                       "above. Your text is kept here; send it again to replace theirs."),
                           status=exc.status)
            else:
                form.refused(exc, ("heard", "decided"))
    return await respond(page, session_id, "notes", form=form)


# --- the session's status ----------------------------------------------------------------------------

@router.post("/workspace/sessions/{session_id}/console/status")
async def move_session(page: PageDep, request: Request, session_id: Id) -> Response:
    page.require(Role.coordinator)
    data = await _posted(request)
    form = ConsoleForm()
    wanted = _field(data, "status", 20)
    if wanted not in (d.SessionStatus.in_progress.value, d.SessionStatus.concluded.value):
        form.error("", gettext("The session can be started or concluded here."))
    else:
        try:
            await page.dialogue.transition_session(session_id, d.SessionStatus(wanted).value)
        except UpstreamProblem as exc:
            form.refused(exc)
    return await respond(page, session_id, "status", form=form)


# --- attendance ----------------------------------------------------------------------------------------

@router.post("/workspace/sessions/{session_id}/console/head-counts")
async def head_counts(page: PageDep, request: Request, session_id: Id) -> Response:
    """Head counts by sector. Only the sectors changed on this form are written; the others keep what the
    service has now, so two coordinators counting different sectors do not undo each other."""
    page.require(Role.coordinator)
    data = await _posted(request)
    form = ConsoleForm({f"count_{s}": _field(data, f"count_{s}", 12) for s in labels.SECTORS})
    typed: dict[str, int] = {}
    shown: dict[str, int | None] = {}
    for sector in labels.SECTORS:
        raw = _field(data, f"count_{sector}", 12) or "0"
        if not raw.isdigit() or int(raw) > MAX_HEAD_COUNT:
            form.error(f"count_{sector}", gettext("Enter a whole number from 0 to %(max)s.", max=MAX_HEAD_COUNT))
        else:
            typed[sector] = int(raw)
        was = _field(data, f"was_{sector}", 12)
        shown[sector] = int(was) if was.isdigit() else None
    if form.ok:
        now = await page.dialogue.attendance(session_id)
        counts = [d.HeadCount(sector=s, count=typed[s] if typed[s] != shown[s] else getattr(now.attended, s))
                  for s in labels.SECTORS]
        try:
            await page.dialogue.set_head_counts(session_id, counts)
        except UpstreamProblem as exc:
            form.refused(exc)
    return await respond(page, session_id, "headcounts", form=form)


@router.post("/workspace/sessions/{session_id}/console/participants/{participant_id}/check-in")
async def check_in(page: PageDep, request: Request, session_id: Id, participant_id: Id) -> Response:
    page.require(Role.coordinator)
    data = await _posted(request)
    q = _search(_field(data, "q", 200))
    form = ConsoleForm()
    try:
        await page.dialogue.check_in(session_id, participant_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            form.error("", gettext("This participant is no longer registered."), status=409)
        else:
            form.refused(exc)
    return await respond(page, session_id, "people", form=form, q=q)


@router.post("/workspace/sessions/{session_id}/console/walk-ins")
async def walk_in(page: PageDep, request: Request, session_id: Id) -> Response:
    """Someone not registered arrives: registered and checked in at once, by name and sector."""
    page.require(Role.coordinator)
    data = await _posted(request)
    name, org_name, sector = _field(data, "name"), _field(data, "org_name"), _field(data, "sector", 30)
    key = _field(data, "idempotency_key", 80)
    form = ConsoleForm({"name": name, "org_name": org_name, "sector": sector, "idempotency_key": key})
    if not name:
        form.error("name", gettext("Enter the name."))
    elif len(name) > MAX_NAME:
        form.error("name", gettext("Enter at most %(count)s characters.", count=MAX_NAME))
    if len(org_name) > 500:
        form.error("org_name", gettext("Enter at most %(count)s characters.", count=500))
    if sector not in labels.SECTORS:
        form.error("sector", gettext("Choose the sector."))
    added: d.ParticipantRead | None = None
    if form.ok:
        try:
            body = d.ParticipantCreate(name=name, org_name=org_name or None, sector=sector,
                                       checked_in=True)
            added = await page.dialogue.add_participant(session_id, body.model_dump(mode="json"), _idempotency_key(key))
        except ValidationError:
            form.error("name", gettext("Check the name and the organization."))
        except UpstreamProblem as exc:
            form.refused(exc, ("name", "org_name", "sector"))
    return await respond(page, session_id, "walkin", form=form,
                         extra={"walked_in": added.name if added else None})


# --- decisions ---------------------------------------------------------------------------------------------

@router.post("/workspace/sessions/{session_id}/console/recommendations")
async def record_recommendation(page: PageDep, request: Request, session_id: Id) -> Response:
    """A decision addressed to state bodies: recorded and adopted at once (the session has started).

    «Find» (without JavaScript) only narrows the addressee picker and writes nothing. If adoption fails after
    the record was made, the form says so and the draft waits in the list with an «Adopt» button; sending
    the same form again (same idempotency key) adopts the same record, never a second one."""
    page.require(Role.coordinator)
    data = await _posted(request)
    text = _field(data, "text")
    addressee_ids = [v for v in data.getlist("addressee_ids") if isinstance(v, str) and v.isdigit()][:60]
    due_raw = _field(data, "response_due_on", 12)
    item_raw = _field(data, "agenda_item_id", 12)
    key = _field(data, "idempotency_key", 80)
    form = ConsoleForm({"text": text, "addressee_ids": list(dict.fromkeys(addressee_ids)),
                        "addressee_q": _field(data, "addressee_q", 200), "response_due_on": due_raw,
                        "agenda_item_id": item_raw, "idempotency_key": key})
    if _field(data, "action", 10) == "find":
        return page.render(TEMPLATE, await whole_console(page, session_id, forms={"decide": form}))
    if not text:
        form.error("text", gettext("Write the recommendation."))
    elif len(text) > MAX_TEXT:
        form.error("text", gettext("Enter at most %(count)s characters.", count=MAX_TEXT))
    chosen = form.chosen("addressee_ids")
    if not chosen:
        form.error("addressee_ids", gettext("Choose at least one state body."))
    elif len(chosen) > 50:
        form.error("addressee_ids", gettext("Choose at most %(count)s state bodies.", count=50))
    due: date | None = None
    if due_raw:
        try:
            due = date.fromisoformat(due_raw)
        except ValueError:
            form.error("response_due_on", gettext("Enter the date as on a calendar, e.g. 2026-12-31."))
        else:
            if due < today_kz():
                form.error("response_due_on", gettext("The deadline cannot be in the past."))
    item_id = positive_int(item_raw) if item_raw else None
    if item_raw and item_id is None:
        form.error("agenda_item_id", gettext("Choose an agenda item."))
    if form.ok and (await _session(page, session_id)).status not in (d.SessionStatus.in_progress,
                                                                      d.SessionStatus.concluded):
        # Checked first, so nothing is written that could not be adopted at once.
        form.error("", gettext(KNOWN_REFUSALS["A recommendation is adopted at its session, once the session has "
                                              "started."]), status=409)
    rec: d.RecommendationDetail | None = None
    if form.ok:
        try:
            body = d.RecommendationCreate(text=text, addressee_ids=chosen, session_id=session_id,
                                          agenda_item_id=item_id, response_due_on=due)
            rec = await page.dialogue.record_recommendation(body, _idempotency_key(key))
        except ValidationError:
            form.error("text", gettext("Check the text and the addressees."))
        except UpstreamProblem as exc:
            form.refused(exc, ("text", "addressee_ids", "agenda_item_id", "response_due_on"))
    if rec is not None and rec.status == d.RecommendationStatus.draft:
        await _adopt(page, rec.id, form)
    return await respond(page, session_id, "decide", form=form)


async def _adopt(page: Page, recommendation_id: int, form: ConsoleForm) -> None:
    try:
        await page.dialogue.transition_recommendation(recommendation_id, d.RecommendationStatus.adopted.value)
    except UpstreamProblem as exc:
        if exc.status == 409:
            # Adopted already (a repeated form), or the session has not started: look before saying so.
            again = await page.dialogue.recommendation(recommendation_id)
            if again.status != d.RecommendationStatus.draft:
                return
        reason = KNOWN_REFUSALS.get(exc.problem.detail or "")
        form.error("", gettext("The recommendation was recorded but not adopted: %(reason)s It waits in the list "
                               "below as a draft.", reason=gettext(reason) if reason else (exc.problem.detail or "")),
                   status=409)


@router.post("/workspace/sessions/{session_id}/console/recommendations/{recommendation_id}/adopt")
async def adopt(page: PageDep, session_id: Id, recommendation_id: Id) -> Response:
    page.require(Role.coordinator)
    form = ConsoleForm()
    rec = await page.dialogue.recommendation(recommendation_id)
    if rec.session_id != session_id:
        raise PageNotFound()
    if rec.status == d.RecommendationStatus.draft:
        await _adopt(page, recommendation_id, form)
    return await respond(page, session_id, "decisions", form=form)


# --- the stream ------------------------------------------------------------------------------------------

@router.get("/workspace/sessions/{session_id}/console/stream")
async def console_stream(page: PageDep, session_id: Id,
                         view: Annotated[str | None, Query(max_length=10)] = None,
                         since: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    """Server-sent events: the console's changed regions as HTML, to swap in (`sse-swap`), and a `live` line."""
    page.require(Role.coordinator)
    request = page.request
    settings = page.settings
    watch = view == "watch"
    hub = hub_of(request.app)
    shown = Stamp.parse(request.headers.get("last-event-id")) or Stamp.parse(since)

    async def read_state() -> d.LiveState:
        return await page.dialogue.live_state(session_id)

    async def render(regions: Iterable[str]) -> list[tuple[str, str]]:
        wanted = [r for r in regions if r != "people"]
        context = await load_console(page, session_id, wanted, watch=watch)
        # «people» only tells the page to run its own check-in search again: each screen searches its own name.
        return [(r, "" if r == "people" else render_fragment(page, f"workspace/_console_{r}.html", context))
                for r in regions]

    def notice(kind: str) -> str:
        return render_fragment(page, "workspace/_console_live.html", {
            "live": kind, "watch": watch, "updated_at": f"{datetime.now(ALMATY):%H:%M:%S}",
            "max_streams": hub.max_streams,
            "refresh_url": console_url(session_id, watch=watch), "console_url": console_url(session_id),
            "watch_url": console_url(session_id, watch=True)})

    async def still_allowed() -> bool:
        request.state.outages.discard("orgs")
        account = await current_account(request)
        if account is None:
            return "orgs" in request.state.outages  # the registry cannot tell now: carry on until it can
        return bool(EDITOR_ROLES.intersection(account.roles))

    events = live_events(hub, session_id, shown, poll_seconds=settings.live_poll_seconds, read_state=read_state,
                         render=render, notice=notice, still_allowed=still_allowed, watching=watch)
    return EventSourceResponse(events, ping=settings.live_heartbeat_seconds, send_timeout=30,
                               headers={"Cache-Control": "no-store"},
                               shutdown_event=CloseOnShutdown(hub),  # type: ignore[arg-type]
                               shutdown_grace_period=SHUTDOWN_GRACE_SECONDS)

