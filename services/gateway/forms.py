"""Forms of the workspace pages: the posted values kept for re-rendering, and an upstream's problem shown on the form.

The services enforce every rule; a page only turns the browser's strings into the contract's JSON, sends it, and
when the service refuses, shows its RFC 9457 problem on the form with the user's input kept:

    form = await Form.read(request, lists=["organizer_ids"])
    starts_at = form.local_datetime("starts_at", required=True)     # reading the browser's input is the page's job
    if form.ok:
        try:
            session = await page.dialogue.create_session(body)
        except UpstreamProblem as exc:
            form.add_problem(exc, fields={"title.ru": "title_ru", "starts_at": "starts_at"},
                             messages={"ends_at cannot be before starts_at":
                                       ("ends_at", N_("The end cannot be before the start."))})
    if not form.ok:
        return page.render("form.html", {"form": form}, status_code=form.status)
    return see_other(f"/workspace/sessions/{session.id}")

`fields` maps the problem's dotted field paths (`title.ru`, `organizer_ids.0`, `items.2.title`; the longest mapped
prefix wins) to the form's input names. `messages` recognises a service message by its beginning and says it in the
page's language, optionally at another input (a model-level `body` error belongs next to `ends_at`). Pydantic's
error codes (`missing`, `string_too_long`, `url_parsing`, …) get translated messages of their own; any other message
is shown as the service wrote it. What no input can hold goes to `general`, shown at the top of the form.

Templates: `{% import "_partials/forms.html" as forms with context %}` inside the block that renders the form, then
`forms.general(form)` at its top, `forms.errors(form, "name")` under an input and `forms.aria(form, "name")` in it;
`form.get("name")` is the value to put back (web/templates/workspace/_planner_form.html has the same macros, plus
`form.title` as the summary's heading). `await form.attempt(call, fields=…, messages=…)` runs an upstream write and
puts its refusal (a problem, or the service being down: 503) on the form, returning None.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse

from services.gateway.errors import unavailable_message
from services.gateway.i18n import ALMATY, N_, gettext
from services.gateway.upstream import UpstreamProblem, UpstreamUnavailable

T = TypeVar("T")

# Pydantic's error codes, as the services put them in `errors[].code`.
CODE_MESSAGES = {
    "missing": N_("Fill in this field."),
    "string_too_short": N_("Fill in this field."),
    "string_too_long": N_("The text is too long."),
    "too_long": N_("Too many entries."),
    "too_short": N_("Add at least one entry."),
    "string_pattern_mismatch": N_("The value has the wrong format."),
    "url_parsing": N_("Enter a full web address starting with https://."),
    "url_scheme": N_("Enter a full web address starting with https://."),
    "url_type": N_("Enter a full web address starting with https://."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "greater_than_equal": N_("The number is too small."),
    "greater_than": N_("The number is too small."),
    "less_than_equal": N_("The number is too large."),
    "less_than": N_("The number is too large."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "date_parsing": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "datetime_parsing": N_("Enter a valid date and time."),
    "datetime_from_date_parsing": N_("Enter a valid date and time."),
    "timezone_aware": N_("Enter a valid date and time."),
}

# What a refusal without a more precise message means, by the status the service answered.
STATUS_MESSAGES = {
    403: N_("Your account may not do this."),
    404: N_("The record no longer exists: it may have been removed meanwhile."),
    409: N_("This cannot be done in the record's current state."),
    412: N_("Someone changed this record while you were editing it. Check the current data and make your change "
            "again."),
    428: N_("Someone changed this record while you were editing it. Check the current data and make your change "
            "again."),
    503: N_("A service needed for this is temporarily unavailable. Nothing was saved; please try again in a few "
            "minutes."),
}

# Details that only say "see the fields": the marked fields say it better.
GENERIC_DETAILS = ("The request has invalid fields.",)

Message = tuple[str | None, str]  # (input to show it at, or None for where the problem put it; untranslated text)


class Form:
    """One posted form: its values, kept to put back into the inputs, and what is wrong with it."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.title: str | None = None  # a heading for the refusal, when "not saved" would say it wrong
        self.general: list[str] = []
        self.field_errors: dict[str, list[str]] = {}
        self.status = 422

    @classmethod
    async def read(cls, request: Request, *, lists: Iterable[str] = ()) -> Form:
        return cls(values_of(await request.form(), lists=lists))

    # --- values ---

    def get(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def text(self, name: str) -> str | None:
        """The stripped text of an input, or None when it was left empty."""
        return optional(self.values.get(name))

    def ids(self, name: str) -> list[int]:
        value = self.values.get(name)
        return ids(value if isinstance(value, list) else [value or ""])

    def id(self, name: str) -> int | None:
        found = self.ids(name)
        return found[0] if found else None

    def checked(self, name: str) -> bool:
        return bool(self.values.get(name))

    def local_datetime(self, name: str, *, required: bool = False) -> datetime | None:
        """A `datetime-local` input read as Kazakhstan time (Asia/Almaty); a message at the input if it cannot be."""
        value = self.text(name)
        if value is None:
            if required:
                self.add_error(name, gettext("Fill in this field."))
            return None
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            self.add_error(name, gettext("Enter the date and time as day, month, year and hours:minutes."))
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ALMATY)

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name)
        if value is None:
            if required:
                self.add_error(name, gettext("Fill in this field."))
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add_error(name, gettext("Enter a valid date."))
            return None

    # --- errors ---

    @property
    def ok(self) -> bool:
        return not self.general and not self.field_errors

    def has_error(self, name: str) -> bool:
        return bool(self.field_errors.get(name))

    def errors_for(self, name: str) -> list[str]:
        return self.field_errors.get(name, [])

    def add_error(self, name: str, message: str, *, status: int | None = None) -> None:
        messages = self.field_errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)
        if status:
            self.status = status

    def add_general(self, message: str, *, status: int | None = None) -> None:
        if message not in self.general:
            self.general.append(message)
        if status:
            self.status = status

    def add_problem(self, exc: UpstreamProblem, *, fields: Mapping[str, str] | None = None,
                    messages: Mapping[str, Message] | None = None) -> None:
        """The upstream's refusal on this form, in the page's language where its message is known."""
        problem = exc.problem
        fields = fields or {}
        messages = messages or {}
        self.status = problem.status if 400 <= problem.status < 600 else 400
        detail = problem.detail or ""
        placed = False
        if detail and detail not in GENERIC_DETAILS:
            known = _known(detail, messages)
            if known and known[0]:
                self.add_error(known[0], known[1])
            elif known:
                self.add_general(known[1])
            elif problem.status in STATUS_MESSAGES and problem.status not in (409, 422):
                self.add_general(gettext(STATUS_MESSAGES[problem.status]))
            else:
                self.add_general(detail)  # the service's own words (English) beat saying nothing
            placed = True
        for item in problem.errors or []:
            known = _known(item.message, messages)
            if known:
                text = known[1]
            elif item.code in CODE_MESSAGES:
                text = gettext(CODE_MESSAGES[item.code])
            else:
                text = item.message
            target = known[0] if known and known[0] else _input_of(item.field, fields)
            if target:
                self.add_error(target, text)
            else:
                self.add_general(text if item.field in ("", "body") else f"{item.field}: {text}")
            placed = True
        if not placed:
            fallback = STATUS_MESSAGES.get(problem.status)
            self.add_general(gettext(fallback) if fallback else problem.title)


    async def attempt(self, call: Awaitable[T], *, fields: Mapping[str, str] | None = None,
                      messages: Mapping[str, Message] | None = None) -> T | None:
        """The call's result; or None, with the refusal (a problem, or the service being down) on this form."""
        try:
            return await call
        except UpstreamProblem as exc:
            self.add_problem(exc, fields=fields, messages=messages)
        except UpstreamUnavailable as exc:
            self.add_general(unavailable_message(exc.service) + " " + gettext("Nothing was saved."), status=503)
        return None


def _known(message: str, messages: Mapping[str, Message]) -> Message | None:
    for start, (target, text) in messages.items():
        if message.startswith(start):
            return target, gettext(text)
    return None


def _input_of(path: str, fields: Mapping[str, str]) -> str | None:
    """The form input for a dotted problem path: the longest mapped prefix (`items.2.title`, else `items.2`, …)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        name = fields.get(".".join(parts[:end]))
        if name is not None:
            return name
    return None


# --- reading posted values -----------------------------------------------------------------------

def values_of(form: FormData, *, lists: Iterable[str] = ()) -> dict[str, Any]:
    """A posted form as plain values: one stripped string per input, or a list of the non-empty strings for the
    inputs named in `lists` (checkbox groups, multiple selects). Files are ignored: no workspace form takes one."""
    wanted = set(lists)
    values: dict[str, Any] = {name: [] for name in wanted}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if name in wanted:
            if value.strip():
                values[name].append(value.strip())
        else:
            values[name] = value.strip()
    return values


def optional(value: Any) -> str | None:
    """An empty input means "not given"."""
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def ids(values: Iterable[str]) -> list[int]:
    """Record ids from a checkbox group or a select, in order, without duplicates; anything else is dropped."""
    seen: dict[int, None] = {}
    for value in values:
        value = (value or "").strip()
        if value.isdigit() and 0 < int(value) < 2**31:
            seen[int(value)] = None
    return list(seen)


def datetime_input(value: datetime | None) -> str:
    """A moment as the value of a `datetime-local` input, in Kazakhstan time."""
    return value.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M") if value else ""


FLASH_KEY = "notices"


def flash(request: Request, message: str) -> None:
    """A notice for the next page this browser sees (kept in the signed session cookie until shown)."""
    notices = list(request.session.get(FLASH_KEY, []))[-4:]
    notices.append(message)
    request.session[FLASH_KEY] = notices


def take_flashes(request: Request) -> list[str]:
    """The notices waiting to be shown, removed as they are taken (show them on a whole page only)."""
    notices = request.session.pop(FLASH_KEY, None)
    return [str(n) for n in notices] if isinstance(notices, list) else []


def new_idempotency_key() -> str:
    """For a hidden input of a creating form: sent as Idempotency-Key, a form posted twice makes one record."""
    return secrets.token_urlsafe(18)


def idempotency_key(form: Form) -> str | None:
    key = form.text("idempotency_key")
    return key if key and len(key) <= 100 else None


def see_other(url: str) -> RedirectResponse:
    """After a successful POST: back to a page with GET (reloading it does not post again)."""
    return RedirectResponse(url, status_code=303)
