"""The admin pages: accounts (create, roles and organizations, disable, reset a password) and API keys for
other government systems (create — the secret shown once —, list, revoke). Everything is stored by the registry;
passwords and secrets pass through and are never put back into a form, kept or logged here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from services.contracts.accounts import AccountRead, Scope
from services.contracts.auth import Role
from services.gateway import forms
from services.gateway.deps import Page, PageDep, verify_csrf
from services.gateway.errors import PageNotFound
from services.gateway.i18n import LANGUAGES, N_
from services.gateway.i18n import gettext as _
from services.gateway.pages.board import org_picker
from services.gateway.pages.common import choice, cursor, orgs_by_id, text
from services.gateway.upstream import UpstreamProblem
from services.gateway.web import is_htmx

router = APIRouter(dependencies=[Depends(verify_csrf)])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
ACCOUNTS = "/admin/accounts"
KEYS = "/admin/api-keys"
PAGE_SIZE = 25
MIN_PASSWORD = 10  # as services/contracts/accounts.py requires

ROLES = {
    "admin": N_("Administrator"),
    "coordinator": N_("Coordinator"),
    "representative": N_("Representative of a state body"),
    "member": N_("Council or NGO member"),
}
ROLE_HINTS = {
    "admin": N_("Manages accounts and API keys; may do everything a coordinator does."),
    "coordinator": N_("Keeps the registry, plans and runs sessions, publishes protocols, chases answers."),
    "representative": N_("Answers the recommendations addressed to the organizations chosen below."),
    "member": N_("Follows sessions and recommendations of the organizations chosen below."),
}
SCOPES = {
    "read": N_("Read the registry and the results"),
    "answer": N_("Answer recommendations and report progress for the organization"),
    "webhooks": N_("Manage webhook subscriptions"),
}

# The registry's words for refusals an admin can meet, in the page's language and at the right input.
ACCOUNT_FIELDS = {"login": "login", "display_name": "display_name", "password": "password", "roles": "roles",
                  "org_ids": "orgs", "language": "language"}
ACCOUNT_MESSAGES: dict[str, forms.Message] = {
    "already taken": ("login", N_("This login is taken.")),
    "The login": ("login", N_("This login is taken.")),
    "a representative speaks for at least one organization":
        ("orgs", N_("A representative speaks for at least one organization: choose it.")),
    "no organization with id": ("orgs", N_("One of the chosen organizations does not exist.")),
    "organization": ("orgs", N_("One of the chosen organizations is archived.")),
    "Another active admin account must exist":
        (None, N_("This is the last active administrator: another active admin account must exist before this one "
                  "is disabled or loses the admin role.")),
}
KEY_MESSAGES: dict[str, forms.Message] = {
    "no such organization": ("org", N_("Choose an existing organization.")),
    "the organization is archived or dissolved": ("org", N_("The organization is archived or dissolved.")),
}


def role_labels() -> dict[str, str]:
    return {code: _(label) for code, label in ROLES.items()}


# --- accounts: the list ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AccountFilters:
    q: str | None = None
    role: str | None = None
    state: str | None = None

    def url(self, next_cursor: str | None = None) -> str:
        pairs = [("q", self.q), ("role", self.role), ("state", self.state), ("cursor", next_cursor)]
        query = urlencode([(k, v) for k, v in pairs if v])
        return ACCOUNTS + (f"?{query}" if query else "")


@router.get(ACCOUNTS)
async def accounts(page: PageDep, request: Request,
                   q: Annotated[str | None, Query(max_length=120)] = None,
                   role: Annotated[str | None, Query(max_length=40)] = None,
                   state: Annotated[str | None, Query(max_length=10)] = None,
                   cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None) -> Response:
    page.require(Role.admin)
    filters = AccountFilters(q=text(q, 120), role=choice(role, ROLES), state=choice(state, ("active", "disabled")))
    result = await page.soft(page.orgs.list_accounts(
        q=filters.q, role=filters.role, is_disabled={"active": False, "disabled": True}.get(filters.state or ""),
        limit=PAGE_SIZE, cursor=cursor(cursor_)), None)
    orgs = await orgs_by_id(page, {i for a in (result.items if result else []) for i in a.org_ids})
    response = page.render("admin/accounts.html", {
        "result": result, "filters": filters, "orgs": orgs, "role_names": role_labels(),
        "more_url": filters.url(result.next_cursor) if result and result.next_cursor else None,
        "back": filters.url(cursor(cursor_)),
        "notices": [] if is_htmx(request) else forms.take_flashes(request),
    }, status_code=200 if result is not None else 503)
    if is_htmx(request):
        response.headers["HX-Push-Url"] = filters.url(cursor(cursor_))
    return response


# --- accounts: create and edit ---------------------------------------------------------------------

async def _account_page(page: Page, form: forms.Form, *, account: AccountRead | None = None,
                        password_form: forms.Form | None = None, status_code: int = 200) -> Response:
    picker = await org_picker(page, "orgs", q=form.text("orgs_q"), selected=form.ids("orgs"), multiple=True)
    return page.render("admin/account_form.html", {
        "form": form, "edited": account, "picker": picker, "role_names": role_labels(), "role_hints": ROLE_HINTS,
        "languages": LANGUAGES, "password_form": password_form or forms.Form(),
        "notices": [] if is_htmx(page.request) else forms.take_flashes(page.request),
    }, status_code=status_code)


def _account_values(account: AccountRead) -> dict[str, object]:
    return {"display_name": account.display_name, "roles": [str(r) for r in account.roles if r != Role.service],
            "orgs": [str(i) for i in account.org_ids], "language": account.language, "version": str(account.version)}


async def _account(page: Page, account_id: int) -> AccountRead:
    try:
        return await page.orgs.account(account_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise


def _check_password(form: forms.Form, password: str, confirm: str) -> None:
    if len(password) < MIN_PASSWORD:
        form.add_error("password", _("The password needs at least %(count)s characters.", count=MIN_PASSWORD))
    elif password != confirm:
        form.add_error("password_confirm", _("The two passwords differ."))


@router.get(ACCOUNTS + "/new")
async def new_account(page: PageDep) -> Response:
    page.require(Role.admin)
    return await _account_page(page, forms.Form({"language": "ru", "idempotency_key": forms.new_idempotency_key()}))


@router.post(ACCOUNTS)
async def create_account(page: PageDep, request: Request) -> Response:
    page.require(Role.admin)
    posted = await request.form()
    password, confirm = str(posted.get("password") or ""), str(posted.get("password_confirm") or "")
    form = forms.Form({k: v for k, v in forms.values_of(posted, lists=["roles", "orgs"]).items()
                       if not k.startswith("password")})  # passwords are never shown again
    if form.text("find"):
        return await _account_page(page, form)
    _check_password(form, password, confirm)
    if form.ok:
        body = {"login": form.get("login"), "display_name": form.get("display_name"), "password": password,
                "roles": form.get("roles", []), "org_ids": form.ids("orgs"), "language": form.text("language") or "ru"}
        try:
            created = await page.orgs.create_account(body, forms.idempotency_key(form))
        except UpstreamProblem as exc:
            form.add_problem(exc, fields=ACCOUNT_FIELDS, messages=ACCOUNT_MESSAGES)
        else:
            forms.flash(request, _("The account «%(login)s» is created; it can sign in now.", login=created.login))
            return forms.see_other(f"{ACCOUNTS}/{created.id}")
    return await _account_page(page, form, status_code=form.status)


@router.get(ACCOUNTS + "/{account_id}")
async def edit_account(page: PageDep, account_id: Id) -> Response:
    page.require(Role.admin)
    account = await _account(page, account_id)
    return await _account_page(page, forms.Form(_account_values(account)), account=account)


@router.post(ACCOUNTS + "/{account_id}")
async def update_account(page: PageDep, request: Request, account_id: Id) -> Response:
    page.require(Role.admin)
    form = await forms.Form.read(request, lists=["roles", "orgs"])
    account = await _account(page, account_id)
    if form.text("find"):
        return await _account_page(page, form, account=account)
    version = form.id("version") or account.version
    body = {"display_name": form.get("display_name"), "roles": form.get("roles", []), "org_ids": form.ids("orgs"),
            "language": form.text("language") or account.language}
    try:
        updated = await page.orgs.update_account(account_id, version, body)
    except UpstreamProblem as exc:
        form.add_problem(exc, fields=ACCOUNT_FIELDS, messages=ACCOUNT_MESSAGES)
        if exc.status in (409, 412):
            form.values["version"] = str(account.version)  # sent again, the change applies to what is there now
        return await _account_page(page, form, account=account, status_code=form.status)
    forms.flash(request, _("The account «%(login)s» is saved.", login=updated.login))
    return forms.see_other(f"{ACCOUNTS}/{account_id}")


@router.post(ACCOUNTS + "/{account_id}/password")
async def reset_password(page: PageDep, request: Request, account_id: Id) -> Response:
    page.require(Role.admin)
    posted = await request.form()
    password, confirm = str(posted.get("password") or ""), str(posted.get("password_confirm") or "")
    account = await _account(page, account_id)
    password_form = forms.Form()
    _check_password(password_form, password, confirm)
    if password_form.ok:
        try:
            await page.orgs.update_account(account_id, account.version, {"password": password})
        except UpstreamProblem as exc:
            password_form.add_problem(exc, fields={"password": "password"})
    if not password_form.ok:
        return await _account_page(page, forms.Form(_account_values(account)), account=account,
                                   password_form=password_form, status_code=password_form.status)
    forms.flash(request, _("The password of «%(login)s» is changed; the account is signed out everywhere.",
                           login=account.login))
    return forms.see_other(f"{ACCOUNTS}/{account_id}")


@router.post(ACCOUNTS + "/{account_id}/{action}")
async def disable_or_enable(page: PageDep, request: Request, account_id: Id, action: str) -> Response:
    page.require(Role.admin)
    if action not in ("disable", "enable"):
        raise PageNotFound()
    form = await forms.Form.read(request)
    account = await _account(page, account_id)
    try:
        await page.orgs.update_account(account_id, form.id("version") or account.version,
                                       {"is_disabled": action == "disable"})
    except UpstreamProblem as exc:
        form = forms.Form(_account_values(account))
        form.add_problem(exc, messages=ACCOUNT_MESSAGES)
        return await _account_page(page, form, account=account, status_code=form.status)
    if action == "disable":
        forms.flash(request, _("The account «%(login)s» is disabled: it is signed out within a minute.",
                               login=account.login))
    else:
        forms.flash(request, _("The account «%(login)s» is enabled again.", login=account.login))
    back = form.text("back") or ""
    return forms.see_other(back if back.startswith(ACCOUNTS) and "//" not in back else f"{ACCOUNTS}/{account_id}")


# --- API keys --------------------------------------------------------------------------------------

@router.get(KEYS)
async def api_keys(page: PageDep, request: Request,
                   revoked: Annotated[str | None, Query(max_length=1)] = None,
                   cursor_: Annotated[str | None, Query(alias="cursor", max_length=2000)] = None) -> Response:
    page.require(Role.admin)
    include_revoked = revoked == "1"
    result = await page.soft(page.orgs.list_api_keys(include_revoked=include_revoked, limit=PAGE_SIZE,
                                                     cursor=cursor(cursor_)), None)
    orgs = await orgs_by_id(page, {k.org_id for k in (result.items if result else [])})
    more = None
    if result and result.next_cursor:
        shown = [("revoked", "1")] if include_revoked else []
        more = KEYS + "?" + urlencode([*shown, ("cursor", result.next_cursor)])
    return page.render("admin/api_keys.html", {
        "result": result, "orgs": orgs, "include_revoked": include_revoked, "scopes": SCOPES, "more_url": more,
        "notices": [] if is_htmx(request) else forms.take_flashes(request),
    }, status_code=200 if result is not None else 503)


async def _key_form_page(page: Page, form: forms.Form, *, status_code: int = 200) -> Response:
    selected = [form.id("org")] if form.id("org") else []
    picker = await org_picker(page, "org", q=form.text("org_q"), selected=[i for i in selected if i])
    return page.render("admin/api_key_form.html", {"form": form, "picker": picker, "scopes": SCOPES},
                       status_code=status_code)


@router.get(KEYS + "/new")
async def new_api_key(page: PageDep) -> Response:
    page.require(Role.admin)
    return await _key_form_page(page, forms.Form({"scopes": ["read"],
                                                  "idempotency_key": forms.new_idempotency_key()}))


@router.post(KEYS)
async def create_api_key(page: PageDep, request: Request) -> Response:
    page.require(Role.admin)
    form = await forms.Form.read(request, lists=["scopes"])
    if form.text("find"):
        return await _key_form_page(page, form)
    scopes = [s for s in form.get("scopes", []) if s in {x.value for x in Scope}]
    if form.id("org") is None:
        form.add_error("org", _("Choose the organization the key acts for."))
    if not scopes:
        form.add_error("scopes", _("Choose at least one permission."))
    if form.ok:
        body = {"name": form.get("name"), "org_id": form.id("org"), "scopes": scopes}
        try:
            created = await page.orgs.create_api_key(body, forms.idempotency_key(form))
        except UpstreamProblem as exc:
            if exc.problem.model_extra and exc.problem.model_extra.get("api_key_id"):
                form.add_general(_("This form was already sent and created API key No. %(id)s; its secret was shown "
                                   "then and cannot be shown again. If it was lost, revoke that key and create "
                                   "another.", id=exc.problem.model_extra["api_key_id"]), status=409)
                form.values["idempotency_key"] = forms.new_idempotency_key()
            else:
                form.add_problem(exc, fields={"name": "name", "org_id": "org", "scopes": "scopes"},
                                 messages=KEY_MESSAGES)
        else:
            orgs = await orgs_by_id(page, [created.org_id])
            response = page.render("admin/api_key_created.html", {"key": created, "orgs": orgs, "scopes": SCOPES},
                                   status_code=201)
            # The only response that ever holds the secret: no cache on the way may keep it.
            response.headers["Cache-Control"] = "no-store"
            return response
    return await _key_form_page(page, form, status_code=form.status)


@router.post(KEYS + "/{key_id}/revoke")
async def revoke_api_key(page: PageDep, request: Request, key_id: Id) -> Response:
    page.require(Role.admin)
    try:
        key = await page.orgs.revoke_api_key(key_id)
    except UpstreamProblem as exc:
        if exc.status == 404:
            raise PageNotFound() from exc
        raise
    forms.flash(request, _("The API key «%(name)s» is revoked: it is refused from now on.", name=key.name))
    return forms.see_other(KEYS)
