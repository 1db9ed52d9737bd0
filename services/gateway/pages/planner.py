"""The session planner (coordinators and admins): sessions with drafts, a new session, and one session's planner —
details, lifecycle, agenda, participants and breakouts. A UI over the dialogue service, which enforces every rule."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from services.contracts import dialogue as d
from services.contracts.auth import Role
from services.gateway import labels
from services.gateway.deps import Page, PageDep, verify_csrf
from services.gateway.errors import PageNotFound
from services.gateway.forms import (
    STATUS_MESSAGES,
    Form,
    Message,
    datetime_input,
    idempotency_key,
    new_idempotency_key,
    see_other,
)
from services.gateway.i18n import N_, gettext
from services.gateway.pages.common import choice, cursor, orgs_by_id, positive_int, region_names, text, top_regions
from services.gateway.upstream import UpstreamProblem
from services.gateway.web import is_htmx

router = APIRouter(dependencies=[Depends(verify_csrf)])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_SIZE = 25
PICKER_SIZE = 10
EDITABLE = ("draft", "scheduled", "in_progress")  # the service refuses changes to held or cancelled sessions

# The lifecycle buttons each status offers (the service decides; this only avoids offering what it would refuse).
TRANSITIONS: dict[str, list[tuple[str, str]]] = {
    "draft": [("scheduled", N_("Schedule"))],
    "scheduled": [("in_progress", N_("Start the session")), ("draft", N_("Back to draft"))],
    "in_progress": [("concluded", N_("Conclude the session"))],
}
CANCELLABLE = ("draft", "scheduled")

# What the page says after a successful write (?done=…), and next to which section.
DONE = {
    "created": ("lifecycle",
                N_("The session was created as a draft. Add its agenda and participants, then schedule it.")),
    "saved": ("details", N_("The changes were saved.")),
    "scheduled": ("lifecycle", N_("The session is scheduled.")),
    "in_progress": ("lifecycle", N_("The session has started.")),
    "concluded": ("lifecycle", N_("The session is concluded. The protocol can be prepared now.")),
    "cancelled": ("lifecycle", N_("The session is cancelled.")),
    "draft": ("lifecycle", N_("The session is a draft again.")),
    "item_added": ("agenda", N_("The agenda item was added.")),
    "item_moved": ("agenda", N_("The agenda order was changed.")),
    "item_removed": ("agenda", N_("The agenda item was removed.")),
    "participant_added": ("participants", N_("The participant was added.")),
    "participant_removed": ("participants", N_("The participant was removed.")),
}

# --- how the service's problems map onto the forms ------------------------------------------------------

HELD_OR_CANCELLED = N_("A session that has been held or cancelled can no longer be changed.")
SESSION_FIELDS = {
    "kind": "kind", "format": "format", "title": "title_ru", "title.ru": "title_ru", "title.kk": "title_kk",
    "title.en": "title_en", "description": "description", "venue": "venue", "online_url": "online_url",
    "region_code": "region_code", "topics": "topics", "organizer_ids": "organizer_ids", "starts_at": "starts_at",
    "ends_at": "ends_at", "parent_id": "parent_id",
}
SESSION_MESSAGES: dict[str, Message] = {
    "ends_at cannot be before starts_at": ("ends_at", N_("The end cannot be before the start.")),
    "an online or hybrid session needs online_url": ("online_url", N_("An online or hybrid session needs a link.")),
    "an offline or hybrid session needs a venue": ("venue", N_("An in-person or hybrid session needs a venue.")),
    "a breakout or plenary belongs to a forum": (
        "parent_id", N_("A breakout or plenary session belongs to a forum: choose the forum.")),
    "only a breakout or a plenary has a parent session": (
        "kind", N_("Only a breakout or plenary session can be part of a forum.")),
    "sessions nest one level deep": ("parent_id", N_("Sessions nest one level deep: a forum and its breakouts.")),
    "this session has breakouts of its own": (
        "parent_id", N_("This session has breakouts of its own, so it cannot be part of a forum.")),
    "no such session": ("parent_id", N_("There is no such session.")),
    "organization ": ("organizer_ids", N_("An organizer is not in the registry or is no longer active.")),
    "A concluded session cannot be changed": (None, HELD_OR_CANCELLED),
    "A cancelled session cannot be changed": (None, HELD_OR_CANCELLED),
}
LIFECYCLE_MESSAGES: dict[str, Message] = {
    "Add at least one agenda item before scheduling": (
        None, N_("Add at least one agenda item before scheduling the session.")),
    "Cannot go from": (None, N_("This status change is not possible from the session's current status.")),
}
AGENDA_FIELDS = {"title": "title", "planned_minutes": "planned_minutes", "speakers": "speaker_name"}
AGENDA_MESSAGES: dict[str, Message] = {
    "The agenda of a": (None, N_("The agenda of a session that has been held or cancelled can no longer be changed.")),
    "Recommendation ": (None, N_("A recommendation was recorded on this agenda item, so the item stays.")),
    "a speaker needs person_id or name": (
        "speaker_name", N_("Enter the speaker's name, or choose the speaker from the registry.")),
    "person ": ("speaker_person_ids", N_("A chosen speaker is not in the registry.")),
    "Send every agenda item id exactly once": (
        None, N_("The agenda changed meanwhile. Look at the current order and try again.")),
}
PARTICIPANT_FIELDS = {"person_id": "person_id", "name": "name", "org_id": "org_id", "org_name": "org_name",
                      "sector": "sector", "role": "role"}
PARTICIPANT_MESSAGES: dict[str, Message] = {
    "a participant needs person_id (registry) or name (walk-in)": (
        "name", N_("Choose a person from the registry, or enter the name of a walk-in participant.")),
    "This person is already registered": ("person_id", N_("This person is already registered for the session.")),
    "Participants cannot be registered for a": (None, N_("Participants can no longer be registered for this session.")),
    "The participants of a": (
        None, N_("The participants of a session that has been held or cancelled are part of its record.")),
    "no such person in the registry": ("person_id", N_("There is no such person in the registry.")),
    "no such organization": ("org_id", N_("There is no such organization in the registry.")),
}


# --- registry pickers: search-as-you-type with htmx, a "Find" button without it -----------------------

@dataclass(frozen=True)
class PickerKind:
    source: str  # "orgs" or "people"
    field: str  # the input that carries the chosen ids
    multiple: bool
    label: str
    hint: str


PICKERS = {
    "organizers": PickerKind("orgs", "organizer_ids", True, N_("Organizers"),
                             N_("Search the registry by name, short name or BIN; tick every organizer.")),
    "speakers": PickerKind("people", "speaker_person_ids", True, N_("Speakers from the registry"),
                           N_("Search people by name; tick every speaker.")),
    "person": PickerKind("people", "person_id", False, N_("Person from the registry"),
                         N_("Search people by name and choose one.")),
    "participant_org": PickerKind("orgs", "org_id", False, N_("Organization they represent"),
                                  N_("Search the registry and choose one, or type the name below.")),
}


@dataclass
class Choice:
    id: int
    name: str
    note: str | None = None


@dataclass
class Picker:
    name: str
    kind: PickerKind
    query: str = ""
    chosen: list[Choice] = field(default_factory=list)
    results: list[Choice] | None = None  # None: nothing searched
    unavailable: bool = False

    @property
    def dom_id(self) -> str:
        return f"picker-{self.name.replace('_', '-')}"


async def build_picker(page: Page, name: str, form: Form) -> Picker:
    """A picker's state from a form: the chosen records named, and the matches of its query (if any)."""
    kind = PICKERS[name]
    chosen_ids = form.ids(kind.field)
    picker = Picker(name=name, kind=kind, query=text(form.get(f"{name}_q"), 100) or "")
    if kind.source == "orgs":
        named, found = await asyncio.gather(
            orgs_by_id(page, chosen_ids),
            page.soft(page.orgs.list_orgs(q=picker.query, limit=PICKER_SIZE), None) if picker.query else _none(),
        )
        picker.chosen = [Choice(i, named[i].name if i in named else gettext("Organization No. %(id)s", id=i),
                                named[i].short_name if i in named else None) for i in chosen_ids]
        if picker.query:
            picker.unavailable = found is None
            picker.results = [Choice(o.id, o.name, o.short_name) for o in (found.items if found else [])
                              if o.id not in chosen_ids]
    else:
        people, found_people = await asyncio.gather(
            page.soft(page.orgs.people_by_id(chosen_ids), {}) if chosen_ids else _empty(),
            page.soft(page.orgs.list_people(q=picker.query, limit=PICKER_SIZE), None) if picker.query else _none(),
        )
        picker.chosen = [Choice(i, people[i].full_name if i in people else gettext("Person No. %(id)s", id=i),
                                people[i].position if i in people else None) for i in chosen_ids]
        if picker.query:
            picker.unavailable = found_people is None
            picker.results = [Choice(p.id, p.full_name, p.position) for p in found_people or []
                              if p.id not in chosen_ids]
    if not kind.multiple:
        picker.chosen = picker.chosen[:1]
    return picker


async def _none() -> None:
    return None


async def _empty() -> dict[int, Any]:
    return {}


@router.get("/workspace/pickers/{name}")
async def picker_choices(page: PageDep, name: str) -> Response:
    """The chosen records and the matches of one picker: the block its search box swaps (htmx)."""
    page.require(Role.coordinator)
    if name not in PICKERS:
        raise PageNotFound()
    kind = PICKERS[name]
    params = page.request.query_params
    form = Form({f"{name}_q": params.get(f"{name}_q", ""), kind.field: params.getlist(kind.field)})
    picker = await build_picker(page, name, form)
    return page.render("workspace/_planner_picker_choices.html", {"picker": picker})


def action_of(form: Form) -> str:
    """Which button sent the form: "save" (also when none is named), "refresh", or "find:<picker>"."""
    action = form.text("action") or "save"
    return action if action in ("save", "refresh") or action.startswith("find:") else "save"


# --- the sessions list -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkspaceFilters:
    q: str | None
    status: str | None
    kind: str | None
    organizer: int | None
    organizer_q: str | None


@router.get("/workspace/sessions")
async def sessions_list(
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    organizer: Annotated[str | None, Query(max_length=12)] = None,
    organizer_q: Annotated[str | None, Query(max_length=200)] = None,
    cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None,
) -> Response:
    page.require(Role.coordinator)
    filters = WorkspaceFilters(q=text(q), status=choice(status, labels.SESSION_STATUS),
                               kind=choice(kind, labels.SESSION_KIND), organizer=positive_int(organizer),
                               organizer_q=text(organizer_q, 100))
    result, matches = await asyncio.gather(
        page.soft(page.dialogue.list_sessions(
            q=filters.q, status=[filters.status] if filters.status else None,
            kind=[filters.kind] if filters.kind else None, organizer_id=filters.organizer, limit=PAGE_SIZE,
            cursor=cursor(cursor_)), None),
        page.soft(page.orgs.list_orgs(q=filters.organizer_q, limit=PICKER_SIZE), None) if filters.organizer_q
        else _none(),
    )
    items = result.items if result else []
    org_ids = {o for s in items for o in s.organizer_ids} | ({filters.organizer} if filters.organizer else set())
    orgs = await orgs_by_id(page, org_ids)
    return page.render("workspace/sessions.html", {
        "result": result, "filters": filters, "orgs": orgs, "matches": matches.items if matches else None,
    }, status_code=200 if result is not None else 503)


# --- a new session -----------------------------------------------------------------------------------------

async def _form_options(page: Page, parent_id: int | None) -> dict[str, Any]:
    """What the session form's selects offer: regions, and the forums a breakout can belong to."""
    regions, forums = await asyncio.gather(
        top_regions(page),
        page.soft(page.dialogue.list_sessions(kind=["civic_forum"], limit=100), None),
    )
    parents = [s for s in (forums.items if forums else []) if s.parent_id is None]
    if parent_id and all(s.id != parent_id for s in parents):
        parent = await page.soft(_session_or_none(page, parent_id), None)
        if parent is not None and parent.parent_id is None:
            parents.insert(0, parent)
    return {"regions": regions, "parents": parents}


async def _session_or_none(page: Page, session_id: int) -> d.SessionRead | None:
    try:
        return await page.dialogue.session(session_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            return None
        raise


def session_values(s: d.SessionRead) -> dict[str, Any]:
    """A session as the values of its form."""
    return {
        "kind": s.kind.value, "format": s.format.value, "title_ru": s.title.ru, "title_kk": s.title.kk or "",
        "title_en": s.title.en or "", "description": s.description or "", "venue": s.venue or "",
        "online_url": s.online_url or "", "region_code": s.region_code or "", "topics": ", ".join(s.topics),
        "organizer_ids": [str(i) for i in s.organizer_ids], "starts_at": datetime_input(s.starts_at),
        "ends_at": datetime_input(s.ends_at), "parent_id": str(s.parent_id or ""), "version": str(s.version),
    }


def session_body(form: Form) -> dict[str, Any] | None:
    """The form as the contract's JSON (SessionCreate / SessionUpdate); None if the page cannot even read it."""
    starts_at = form.local_datetime("starts_at", required=True)
    ends_at = form.local_datetime("ends_at")
    if not form.ok:
        return None
    topics = [t.strip() for t in str(form.get("topics")).split(",") if t.strip()]
    return {
        "kind": form.text("kind"), "format": form.text("format") or "offline",
        "title": {"ru": form.get("title_ru"), "kk": form.text("title_kk"), "en": form.text("title_en")},
        "description": form.text("description"), "venue": form.text("venue"), "online_url": form.text("online_url"),
        "region_code": form.text("region_code"), "topics": topics, "organizer_ids": form.ids("organizer_ids"),
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": ends_at.isoformat() if ends_at else None, "parent_id": form.id("parent_id"),
    }


async def _render_new(page: Page, form: Form, *, status: int = 200) -> Response:
    options = await _form_options(page, form.id("parent_id"))
    organizers = await build_picker(page, "organizers", form)
    return page.render("workspace/session_new.html", {"form": form, "organizers": organizers, **options},
                       status_code=status)


@router.get("/workspace/sessions/new")
async def new_session(page: PageDep, parent_id: Annotated[str | None, Query(max_length=12)] = None) -> Response:
    page.require(Role.coordinator)
    values: dict[str, Any] = {"kind": "round_table", "format": "offline", "idempotency_key": new_idempotency_key()}
    wanted_parent = positive_int(parent_id)
    parent = await page.soft(_session_or_none(page, wanted_parent), None) if wanted_parent else None
    if parent is not None:  # a breakout: where and when its forum is, as a start
        values.update({
            "kind": "breakout", "parent_id": str(parent.id), "format": parent.format.value,
            "venue": parent.venue or "", "online_url": parent.online_url or "",
            "region_code": parent.region_code or "", "organizer_ids": [str(i) for i in parent.organizer_ids],
            "starts_at": datetime_input(parent.starts_at), "ends_at": datetime_input(parent.ends_at),
        })
    return await _render_new(page, Form(values))


@router.post("/workspace/sessions/new")
async def create_session(page: PageDep) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request, lists=["organizer_ids"])
    if action_of(form) != "save":
        return await _render_new(page, form)
    body = session_body(form)
    created = None
    if body is not None:
        created = await form.attempt(page.dialogue.create_session(body, idempotency_key(form)),
                                     fields=SESSION_FIELDS, messages=SESSION_MESSAGES)
    if created is None:
        return await _render_new(page, form, status=form.status)
    return see_other(f"/workspace/sessions/{created.id}?done=created")


# --- one session's planner ---------------------------------------------------------------------------------

@dataclass
class PlannerForms:
    """The planner's forms as posted (input kept, errors) — or None: each shows the current data."""

    details: Form | None = None
    stale: list[tuple[str, str]] | None = None  # what the user had entered, when someone else saved first
    lifecycle: Form | None = None
    agenda: Form | None = None
    participant: Form | None = None
    done: str | None = None


async def session_or_404(page: Page, session_id: int) -> d.SessionRead:
    session = await _session_or_none(page, session_id)
    if session is None:
        raise PageNotFound()
    return session


def _agenda_form() -> Form:
    return Form({"idempotency_key": new_idempotency_key()})


def _participant_form() -> Form:
    return Form({"idempotency_key": new_idempotency_key(), "role": "participant"})


async def render_planner(page: Page, session_id: int, forms: PlannerForms | None = None, *,
                         status: int = 200, participants_cursor: str | None = None) -> Response:
    forms = forms or PlannerForms()
    session = await session_or_404(page, session_id)
    agenda, participants, children, parent, versions = await asyncio.gather(
        page.dialogue.agenda(session_id),
        page.soft(page.dialogue.participants(session_id, cursor=participants_cursor), None),
        page.soft(page.dialogue.list_sessions(parent_id=session_id, limit=100), None) if session.child_ids
        else _none(),
        page.soft(_session_or_none(page, session.parent_id), None) if session.parent_id else _none(),
        page.soft(page.dialogue.protocol_versions(session_id), None),
    )
    details = forms.details or Form(session_values(session))
    agenda_form = forms.agenda or _agenda_form()
    participant_form = forms.participant or _participant_form()
    org_ids = set(session.organizer_ids) | {p.org_id for p in (participants.items if participants else [])
                                            if p.org_id}
    org_ids |= {x.org_id for item in agenda for x in item.speakers if x.org_id}
    orgs, names, options = await asyncio.gather(
        orgs_by_id(page, org_ids), region_names(page), _form_options(page, session.parent_id))
    organizers, speakers, person, participant_org = await asyncio.gather(
        build_picker(page, "organizers", details), build_picker(page, "speakers", agenda_form),
        build_picker(page, "person", participant_form), build_picker(page, "participant_org", participant_form),
    )
    done_section, done_message = DONE.get(forms.done or "", (None, None))
    return page.render("workspace/planner.html", {
        "session": session, "agenda": agenda, "participants": participants,
        "children": children.items if children else [], "parent": parent, "versions": versions,
        "orgs": orgs, "region_names": names, **options,
        "form": details, "stale": forms.stale, "lifecycle": forms.lifecycle or Form(),
        "agenda_form": agenda_form, "participant_form": participant_form,
        "organizers": organizers, "speakers": speakers, "person": person, "participant_org": participant_org,
        "editable": session.status.value in EDITABLE, "transitions": TRANSITIONS.get(session.status.value, []),
        "cancellable": session.status.value in CANCELLABLE,
        "done_section": done_section, "done_message": gettext(done_message) if done_message else None,
        "participants_more": _participants_more(session_id, participants),
        "labels_sector": labels.SECTOR, "labels_role": labels.PARTICIPANT_ROLE,
    }, status_code=status)


def _participants_more(session_id: int, participants: d.ParticipantPage | None) -> str | None:
    if participants is None or not participants.next_cursor:
        return None
    return f"/workspace/sessions/{session_id}?" + urlencode({"participants_cursor": participants.next_cursor}) \
        + "#participants"


async def finish(page: Page, session_id: int, done: str, anchor: str) -> Response:
    """After a successful write: 303 back to the planner; for htmx, the swapped block rendered at once."""
    if is_htmx(page.request):
        return await render_planner(page, session_id, PlannerForms(done=done))
    return see_other(f"/workspace/sessions/{session_id}?done={done}#{anchor}")


@router.get("/workspace/sessions/{session_id}")
async def planner(page: PageDep, session_id: Id, done: Annotated[str | None, Query(max_length=40)] = None,
                  participants_cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    page.require(Role.coordinator)
    return await render_planner(page, session_id, PlannerForms(done=done if done in DONE else None),
                                participants_cursor=cursor(participants_cursor))


FIELD_LABELS = {
    "title_ru": N_("Title in Russian"), "title_kk": N_("Title in Kazakh"), "title_en": N_("Title in English"),
    "starts_at": N_("Starts"), "ends_at": N_("Ends"), "venue": N_("Venue"), "online_url": N_("Link to join"),
    "description": N_("Description"), "topics": N_("Topics"),
}


@router.post("/workspace/sessions/{session_id}")
async def save_details(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request, lists=["organizer_ids"])
    if action_of(form) != "save":
        return await render_planner(page, session_id, PlannerForms(details=form))
    body = session_body(form)
    version = positive_int(form.text("version"))
    if body is None:
        return await render_planner(page, session_id, PlannerForms(details=form), status=form.status)
    if version is None:
        form.add_general(gettext(STATUS_MESSAGES[412]), status=412)
        return await render_planner(page, session_id, PlannerForms(details=form), status=412)
    saved = await form.attempt(page.dialogue.update_session(session_id, version, body),
                               fields=SESSION_FIELDS, messages=SESSION_MESSAGES)
    if saved is not None:
        return see_other(f"/workspace/sessions/{session_id}?done=saved")
    if form.status == 412:
        # Someone saved first: the form shows what is there now, and what this user had entered.
        current = await session_or_404(page, session_id)
        fresh = Form(session_values(current))
        fresh.add_general(gettext(STATUS_MESSAGES[412]), status=412)
        mine = {k: str(form.get(k)) for k in FIELD_LABELS}
        theirs = fresh.values
        stale = [(gettext(label), mine[k]) for k, label in FIELD_LABELS.items() if mine[k] != str(theirs.get(k, ""))]
        return await render_planner(page, session_id, PlannerForms(details=fresh, stale=stale), status=412)
    return await render_planner(page, session_id, PlannerForms(details=form), status=form.status)


@router.post("/workspace/sessions/{session_id}/transitions")
async def change_status(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    wanted = choice(form.text("status"), labels.SESSION_STATUS)
    if wanted is None:
        form.add_general(gettext("Choose what should happen to the session."))
        return await render_planner(page, session_id, PlannerForms(lifecycle=form), status=422)
    moved = await form.attempt(page.dialogue.transition_session(session_id, wanted, form.text("reason")),
                               fields={"reason": "reason"}, messages=LIFECYCLE_MESSAGES)
    if moved is None:
        return await render_planner(page, session_id, PlannerForms(lifecycle=form), status=form.status)
    return see_other(f"/workspace/sessions/{session_id}?done={wanted}#lifecycle")


# --- agenda ------------------------------------------------------------------------------------------------

def agenda_body(form: Form) -> dict[str, Any]:
    speakers: list[dict[str, Any]] = [{"person_id": i} for i in form.ids("speaker_person_ids")]
    name, affiliation = form.text("speaker_name"), form.text("speaker_affiliation")
    if name or affiliation:
        speakers.append({"name": name, "affiliation": affiliation})
    return {"title": form.get("title"), "planned_minutes": form.text("planned_minutes"), "speakers": speakers}


@router.post("/workspace/sessions/{session_id}/agenda")
async def add_agenda_item(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request, lists=["speaker_person_ids"])
    if action_of(form) != "save":
        return await render_planner(page, session_id, PlannerForms(agenda=form))
    added = await form.attempt(page.dialogue.add_agenda_item(session_id, agenda_body(form), idempotency_key(form)),
                               fields=AGENDA_FIELDS, messages=AGENDA_MESSAGES)
    if added is None:
        return await render_planner(page, session_id, PlannerForms(agenda=form), status=form.status)
    return await finish(page, session_id, "item_added", "agenda")


@router.post("/workspace/sessions/{session_id}/agenda/{item_id}/move")
async def move_agenda_item(page: PageDep, session_id: Id, item_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    agenda = await page.dialogue.agenda(session_id)
    order = [i.id for i in agenda]
    if item_id not in order:
        form.add_general(gettext(STATUS_MESSAGES[404]), status=404)
        return await render_planner(page, session_id, PlannerForms(agenda=_with_errors(form)), status=404)
    at = order.index(item_id)
    to = at - 1 if form.text("direction") == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
        await form.attempt(page.dialogue.reorder_agenda(session_id, order), messages=AGENDA_MESSAGES)
        if not form.ok:
            return await render_planner(page, session_id, PlannerForms(agenda=_with_errors(form)),
                                        status=form.status)
    return await finish(page, session_id, "item_moved", "agenda")


def _with_errors(errors: Form) -> Form:
    """A fresh add-item form carrying the errors of a row action (move, remove), so they show in the section."""
    fresh = _agenda_form()
    fresh.general, fresh.status = errors.general, errors.status
    return fresh


@router.post("/workspace/sessions/{session_id}/agenda/{item_id}/remove")
async def remove_agenda_item(page: PageDep, session_id: Id, item_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    version = positive_int(form.text("version")) or 0
    await form.attempt(page.dialogue.remove_agenda_item(session_id, item_id, version), messages=AGENDA_MESSAGES)
    if not form.ok:
        return await render_planner(page, session_id, PlannerForms(agenda=_with_errors(form)), status=form.status)
    return await finish(page, session_id, "item_removed", "agenda")


# --- participants ------------------------------------------------------------------------------------------

def participant_body(form: Form) -> dict[str, Any]:
    person_id = form.id("person_id")
    body: dict[str, Any] = {
        "person_id": person_id, "name": None if person_id else form.text("name"), "org_id": form.id("org_id"),
        "org_name": None if form.id("org_id") else form.text("org_name"), "role": form.text("role") or "participant",
    }
    if form.text("sector"):
        body["sector"] = form.text("sector")
    return body


@router.post("/workspace/sessions/{session_id}/participants")
async def add_participant(page: PageDep, session_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    if action_of(form) != "save":
        return await render_planner(page, session_id, PlannerForms(participant=form))
    added = await form.attempt(page.dialogue.add_participant(session_id, participant_body(form), idempotency_key(form)),
                               fields=PARTICIPANT_FIELDS, messages=PARTICIPANT_MESSAGES)
    if added is None:
        return await render_planner(page, session_id, PlannerForms(participant=form), status=form.status)
    return await finish(page, session_id, "participant_added", "participants")


@router.post("/workspace/sessions/{session_id}/participants/{participant_id}/remove")
async def remove_participant(page: PageDep, session_id: Id, participant_id: Id) -> Response:
    page.require(Role.coordinator)
    form = await Form.read(page.request)
    version = positive_int(form.text("version")) or 0
    await form.attempt(page.dialogue.remove_participant(session_id, participant_id, version),
                       messages=PARTICIPANT_MESSAGES)
    if not form.ok:
        fresh = _participant_form()
        fresh.general, fresh.status = form.general, form.status
        return await render_planner(page, session_id, PlannerForms(participant=fresh), status=form.status)
    return await finish(page, session_id, "participant_removed", "participants")
