"""Every error leaves a service as application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.db import database_unavailable
from services.contracts.problems import FieldError

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://ashyq.kz/problems/"

log = logging.getLogger("ashyq.problems")


class ProblemError(Exception):
    """A domain error that knows how it looks on the wire."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return problem_body(
            self.status, self.title, self.detail, slug=self.slug, errors=self.errors, **self.extra
        )


class NotFound(ProblemError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ProblemError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class Unprocessable(ProblemError):
    status = 422
    title = "Validation failed"
    slug = "validation"


class PreconditionFailed(ProblemError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class PreconditionRequired(ProblemError):
    status = 428
    title = "Precondition required"
    slug = "precondition-required"


class Unauthorized(ProblemError):
    status = 401
    title = "Authentication required"
    slug = "unauthorized"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class ServiceUnavailable(ProblemError):
    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"


def field_error(field: str, message: str, code: str | None = None) -> FieldError:
    return FieldError(field=field, message=message, code=code)


def problem_body(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: Sequence[FieldError] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    body.update(extra)
    return body


def problem_response(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    # Drop the FastAPI source marker ("body", "query", ...) so clients see the field's own name.
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(errors: Sequence[Any]) -> list[FieldError]:
    out = []
    for err in errors:
        message = str(err.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        out.append(FieldError(field=_loc_to_field(err.get("loc", ())), message=message, code=err.get("type")))
    return out


_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.body(), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        return problem_response(
            problem_body(422, "Validation failed", "The request has invalid fields.", slug="validation",
                         errors=errors)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _HTTP_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        return problem_response(problem_body(exc.status_code, title, detail), headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, _: StaleDataError) -> JSONResponse:
        # Optimistic locking caught a concurrent change: another request updated the row between this
        # request's read (and its If-Match check) and its versioned UPDATE. A lost update, not a crash.
        problem: ProblemError = (
            PreconditionFailed("The resource changed while your change was being made; read it again and retry.")
            if request.headers.get("if-match")
            else Conflict("The resource was changed by another request at the same time; retry.")
        )
        return problem_response(problem.body())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The trace goes to the log (never personal data: only the path), never to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(problem_body(500, "Internal server error", slug="internal"))

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # The database down or restarting is an outage, not a bug: 503, and the pool reconnects once it is back.
        if not database_unavailable(exc):
            return await _unexpected(request, exc)
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        problem = ServiceUnavailable("The database cannot be reached right now; retry in a few seconds.",
                                     headers={"Retry-After": "5"})
        return problem_response(problem.body(), headers=problem.headers)

    for error in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(error, _database)
