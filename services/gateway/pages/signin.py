"""Signing in and out: the registry checks the password and keeps the login session; we keep its token."""

from __future__ import annotations

import contextlib
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.auth import SESSION_KEY
from services.gateway.deps import PageDep, verify_csrf
from services.gateway.errors import unavailable_message
from services.gateway.i18n import gettext as _
from services.gateway.i18n import ngettext
from services.gateway.upstream import UpstreamProblem, UpstreamUnavailable
from services.gateway.web import CSRF_SESSION_KEY, is_htmx, new_csrf_token

router = APIRouter(dependencies=[Depends(verify_csrf)])


def safe_next(value: str | None) -> str:
    """Only a path on this site: never `//host` or an absolute URL (no open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
async def login_form(page: PageDep, next: str | None = None) -> Response:
    if page.account is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page.render("login.html", {"form": {"login": ""}, "error": None, "next": safe_next(next)})


@router.post("/login")
async def login(page: PageDep, request: Request, login: Annotated[str, Form(max_length=120)] = "",
                password: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    form = {"login": login.strip()}
    target = safe_next(next)

    def again(error: str, status: int) -> Response:
        return page.render("login.html", {"form": form, "error": error, "next": target}, status_code=status)

    if not login.strip() or not password:
        return again(_("Enter your login and password."), 422)
    address = client_address(request)
    limiter = request.app.state.login_limiter
    keys = (f"ip:{address}", f"login:{address}:{login.strip().lower()}")
    wait = limiter.wait(*keys)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        return again(ngettext("Too many sign-in attempts. Try again in %(num)s second.",
                              "Too many sign-in attempts. Try again in %(num)s seconds.", seconds), 429)
    limiter.record(*keys)  # counted before trying, so parallel guesses count; taken back if it succeeds
    try:
        session = await page.orgs.login(login.strip(), password)
    except UpstreamUnavailable as exc:
        limiter.forgive(*keys)
        return again(unavailable_message(exc.service), 503)
    except UpstreamProblem as exc:
        if exc.status in (400, 401, 403, 404, 422):
            return again(_("Wrong login or password, or the account is disabled."), 401)
        raise
    limiter.forgive(*keys)
    if not session.token:
        return again(_("Sign-in is temporarily unavailable."), 503)
    request.session[SESSION_KEY] = session.token
    request.session[CSRF_SESSION_KEY] = new_csrf_token()  # a new token for the new identity
    request.app.state.session_cache.put(session.token, session)
    if is_htmx(request):  # htmx follows the redirect itself, as a whole-page navigation
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(page: PageDep, request: Request) -> Response:
    token = request.session.get(SESSION_KEY)
    if token:
        request.app.state.session_cache.forget(token)
        # The cookie goes anyway; if the registry is down, its session expires on its own.
        with contextlib.suppress(UpstreamUnavailable):
            await page.orgs.logout(token)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
