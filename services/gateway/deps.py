"""Per-request dependencies of the pages: who is signed in, the bound upstream clients, CSRF."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from services.contracts.accounts import AccountRead
from services.contracts.auth import Role
from services.gateway.auth import SESSION_KEY, SessionCache, actor_of
from services.gateway.clients import DialogueClient, OrgsClient
from services.gateway.errors import AccessDenied, CsrfRejected, SignInRequired
from services.gateway.i18n import current_language
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Caller, UpstreamUnavailable
from services.gateway.web import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, Templates

log = logging.getLogger("ashyq.gateway")
T = TypeVar("T")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Page:
    """What a page handler works with: the templates, the clients bound to this visitor, and the outages
    met so far (each turns the part of the page that needed that service into a plain notice)."""

    def __init__(self, request: Request, account: AccountRead | None) -> None:
        self.request = request
        self.account = account
        state = request.app.state
        self.settings: GatewaySettings = state.settings
        self.templates: Templates = state.templates
        self.caller = Caller(actor=actor_of(account), language=current_language(),
                             request_id=getattr(request.state, "request_id", None))
        self.orgs = OrgsClient(state.orgs, self.caller)
        self.dialogue = DialogueClient(state.dialogue, self.caller)
        self.outages: set[str] = request.state.outages

    async def soft(self, awaitable: Awaitable[T], default: T) -> T:
        """The result, or `default` when its service is down (noted, so the page says so)."""
        try:
            return await awaitable
        except UpstreamUnavailable as exc:
            self.outages.add(exc.service)
            return default

    def require(self, *roles: Role) -> AccountRead:
        """The signed-in account if it has one of `roles` (any role when none is named).

        Anonymous visitors are sent to sign in and brought back; a signed-in account without the role gets 403.
        Admins may do everything a coordinator may."""
        if self.account is None:
            path = self.request.url.path
            if self.request.url.query:
                path += "?" + self.request.url.query
            raise SignInRequired(path)
        allowed = set(roles)
        if Role.coordinator in allowed:
            allowed.add(Role.admin)
        if allowed and not allowed.intersection(self.account.roles):
            raise AccessDenied()
        return self.account

    def has_role(self, *roles: Role) -> bool:
        return self.account is not None and bool(set(roles).intersection(self.account.roles))

    def render(self, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
               public: bool = False) -> HTMLResponse:
        """`public`: a portal page that shows a visitor not signed in what it shows every such visitor."""
        return self.templates.render(self.request, name, context, status_code=status_code, public=public)


async def current_account(request: Request) -> AccountRead | None:
    """The signed-in account, re-validated with the registry at most every `session_revalidate_seconds`."""
    request.state.outages = getattr(request.state, "outages", set())
    token = request.session.get(SESSION_KEY)
    if not token:
        request.state.account = None
        return None
    cache: SessionCache = request.app.state.session_cache
    known, login_session = cache.get(token)
    if not known:
        caller = Caller(language=current_language(), request_id=getattr(request.state, "request_id", None))
        try:
            login_session = await OrgsClient(request.app.state.orgs, caller).current_session(token)
        except UpstreamUnavailable as exc:
            # The registry cannot vouch for the session now: public pages go on as for a visitor.
            request.state.outages.add(exc.service)
            request.state.account = None
            return None
        cache.put(token, login_session)
    if login_session is None or login_session.account.is_disabled:
        request.session.pop(SESSION_KEY, None)
        request.state.account = None
        return None
    request.state.account = login_session.account
    return login_session.account


async def get_page(request: Request, account: Annotated[AccountRead | None, Depends(current_account)]) -> Page:
    return Page(request, account)


async def verify_csrf(request: Request) -> None:
    """Every unsafe request carries the session's CSRF token, in the form or in the X-CSRF-Token header."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(CSRF_SESSION_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRejected()


PageDep = Annotated[Page, Depends(get_page)]
AccountDep = Annotated[AccountRead | None, Depends(current_account)]
