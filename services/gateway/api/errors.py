"""Every error of the public API is application/problem+json (RFC 9457), the services' problems relayed as they are."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.problems import (
    Unprocessable,
    field_error,
    install_problem_handlers,
    problem_body,
    problem_response,
)
from services.contracts.problems import FieldError, Problem
from services.gateway.upstream import UpstreamProblem, UpstreamUnavailable

log = logging.getLogger("ashyq.gateway.api")

SERVICE_NAMES = {"orgs": "registry of organizations", "dialogue": "dialogue service"}
RETRY_AFTER_SECONDS = "30"


def unavailable(service: str) -> JSONResponse:
    name = SERVICE_NAMES.get(service, "service")
    body = problem_body(503, "Service unavailable", f"The {name} is temporarily unavailable; retry in a minute.",
                        slug="service-unavailable", service=service)
    return problem_response(body, headers={"Retry-After": RETRY_AFTER_SECONDS})


def install_api_problems(app: FastAPI) -> None:
    install_problem_handlers(app)
    # Starlette re-raises after an `Exception` handler answers, and the web app around this API would then see
    # the error as well: unexpected errors are answered by UnexpectedErrors below instead, once.
    app.exception_handlers.pop(Exception, None)

    @app.exception_handler(UpstreamUnavailable)
    async def _unavailable(_: Request, exc: UpstreamUnavailable) -> JSONResponse:
        return unavailable(exc.service)

    @app.exception_handler(UpstreamProblem)
    async def _relayed(_: Request, exc: UpstreamProblem) -> JSONResponse:
        if exc.status == 401 or not 400 <= exc.status < 600:
            # The service did not accept the gateway's own token: a configuration fault, not the client's.
            log.warning("%s refused the gateway's service token (%s)", exc.service, exc.status)
            return unavailable(exc.service)
        body: dict[str, Any] = exc.problem.model_dump(exclude_none=True)
        return problem_response(body)

    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """A bug becomes a 500 problem (the trace goes to the log, never to the client)."""

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
            await problem_response(problem_body(500, "Internal server error", slug="internal"))(scope, receive, send)


def _bad_strings(value: Any, path: str, found: list[FieldError]) -> None:
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            found.append(field_error(path or "body", "contains a NUL character or an unpaired surrogate"))
    elif isinstance(value, dict):
        for name, item in value.items():
            _bad_strings(item, f"{path}.{name}" if path else str(name), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _bad_strings(item, f"{path}.{index}" if path else str(index), found)


async def reject_unstorable_text(request: Request) -> None:
    """Text no database can store (NUL, unpaired surrogates) is refused here with 422, not deep inside a service."""
    found: list[FieldError] = []
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            found.append(field_error(name, "contains a NUL character"))
    if request.method in ("POST", "PUT", "PATCH") and "json" in request.headers.get("content-type", ""):
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            body = None  # FastAPI answers malformed JSON itself
        _bad_strings(body, "", found)
    if found:
        raise Unprocessable("The request contains text that cannot be stored.", errors=found)


# --- how errors are documented in the OpenAPI document (the media type is set to problem+json there) -----

PROBLEM_DESCRIPTIONS = {
    400: "The body is not JSON",
    401: "No API key, or one that is unknown or revoked (see WWW-Authenticate)",
    403: "The API key lacks the scope, or its organization may not do this",
    404: "No such record, or not public",
    409: "The record is not in a state that allows this",
    412: "The record changed since the ETag sent in If-Match",
    422: "Invalid fields: `errors[]` names each",
    428: "If-Match is required",
    503: "A service behind the gateway is unavailable; retry later",
}
COMMON_PROBLEMS = (401, 403, 422, 503)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of an operation: each status answered with a problem document."""
    return {code: {"model": Problem, "description": PROBLEM_DESCRIPTIONS[code]}
            for code in sorted({*COMMON_PROBLEMS, *codes})}
