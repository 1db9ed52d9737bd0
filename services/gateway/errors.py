"""Errors of the web app, each shown as a page in the visitor's language (never a stack trace)."""

from __future__ import annotations

import logging
from typing import ClassVar
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.i18n import N_, gettext
from services.gateway.upstream import UpstreamProblem, UpstreamUnavailable
from services.gateway.web import Templates

log = logging.getLogger("ashyq.gateway.errors")

SERVICE_NAMES = {
    "orgs": N_("The registry of organizations"),
    "dialogue": N_("The dialogue service (sessions and recommendations)"),
}


class PageError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = N_("The request cannot be served")
    message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.text = message


class CsrfRejected(PageError):
    status = 403
    title = N_("The form has expired")
    message = N_("The form was sent without a valid security token. Reload the page and send it again.")


class AccessDenied(PageError):
    status = 403
    title = N_("Access denied")
    message = N_("Your account does not have the right to open this page or do this action.")


class SignInRequired(Exception):
    """An anonymous visitor asked for a workspace page: sent to sign in, and back here afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageNotFound(PageError):
    status = 404
    title = N_("Page not found")
    message = N_("There is no such page. It may have been moved, or the address has a typo.")


STATUS_TITLES = {
    400: N_("The request cannot be served"),
    401: N_("Please sign in"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("This action is not possible here"),
    409: N_("The data changed meanwhile"),
    422: N_("Some fields are not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}


def render_error(request: Request, status: int, title: str, message: str) -> Response:
    templates: Templates = request.app.state.templates
    state = request.state
    if not hasattr(state, "outages"):
        state.outages = set()
    if not hasattr(state, "account"):
        state.account = None
    return templates.render(request, "error.html", {"status": status, "title": title, "message": message},
                            status_code=status)


def unavailable_message(service: str) -> str:
    name = gettext(SERVICE_NAMES.get(service, N_("A service")))
    return gettext("%(service)s is temporarily unavailable. Please try again in a few minutes.", service=name)


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render_error(request, exc.status, gettext(exc.title), exc.text or gettext(exc.message))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = "/login?" + urlencode({"next": exc.next_path})
        if request.headers.get("hx-request") == "true":
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(UpstreamUnavailable)
    async def _unavailable(request: Request, exc: UpstreamUnavailable) -> Response:
        return render_error(request, 503, gettext(STATUS_TITLES[503]), unavailable_message(exc.service))

    @app.exception_handler(UpstreamProblem)
    async def _problem(request: Request, exc: UpstreamProblem) -> Response:
        status = exc.status if 400 <= exc.status < 600 else 502
        if status == 404:
            return render_error(request, 404, gettext(STATUS_TITLES[404]), gettext(PageNotFound.message))
        title = gettext(STATUS_TITLES.get(status, STATUS_TITLES[400]))
        # The upstream's own words are in English; show them as the detail under a translated title.
        return render_error(request, status, title, exc.problem.detail or exc.problem.title)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # A hand-edited address (?page=abc): say so plainly instead of a JSON error.
        return render_error(request, 400, gettext(STATUS_TITLES[400]),
                            gettext("The address contains a value this page does not understand."))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return render_error(request, 404, gettext(STATUS_TITLES[404]), gettext(PageNotFound.message))
        title = gettext(STATUS_TITLES.get(exc.status_code, STATUS_TITLES[400]))
        return render_error(request, exc.status_code, title, "")


class CatchAll:
    """Inside the security headers and the session: an unexpected error becomes a translated 500 page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            request = Request(scope)
            try:
                response = render_error(request, 500, gettext(STATUS_TITLES[500]),
                                        gettext("The error has been logged. Please try again later."))
            except Exception:  # the templates themselves failed: a plain page, still no trace
                log.exception("the error page failed too")
                response = PlainTextResponse("Internal error", status_code=500)
            await response(scope, receive, send)

