"""The OpenAPI document tells the truth about errors: every 4xx/5xx a route can give, as application/problem+json.

FastAPI documents only 422, and as its own `HTTPValidationError` JSON, which no service sends. Here each route's
errors are gathered from what it is made of: the dependencies it uses declare the problems they raise (`declares`),
a path parameter names a record that may not exist (404), a write may conflict (409), PATCH and DELETE need
If-Match (412, 428); a route adds what only its own rules raise with `responses=problems(...)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from services.common.problems import PROBLEM_JSON
from services.contracts.problems import Problem

F = TypeVar("F", bound=Callable[..., Any])

_STATUSES_ATTRIBUTE = "__problem_statuses__"
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def declares(*statuses: int) -> Callable[[F], F]:
    """Mark a dependency with the problem statuses it raises, so every route that uses it documents them."""

    def mark(func: F) -> F:
        setattr(func, _STATUSES_ATTRIBUTE, (*getattr(func, _STATUSES_ATTRIBUTE, ()), *statuses))
        return func

    return mark


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route for the problems only its own rules raise (documented as problem+json)."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def route_problem_statuses(route: Any, method: str) -> set[int]:
    """The error statuses one operation of a route can answer with."""
    statuses: set[int] = set()
    for call in _calls(route.dependant):
        statuses.update(getattr(call, _STATUSES_ATTRIBUTE, ()))
    if "{" in route.path_format:  # a path parameter names a record that may not exist
        statuses.add(404)
    if route.dependant.body_params or route.body_field is not None:
        statuses.add(400)  # a body that cannot even be decoded
    if method in _WRITES:
        statuses.add(409)
    if method in {"PATCH", "DELETE"}:
        statuses.update({412, 428})
    return statuses


def _problem_response(description: str | None, status: int) -> dict[str, Any]:
    return {"description": description or HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def _add_problem_schemas(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422 body, never sent here
        components.pop(unused, None)


def document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` document every route's problems; the routes are read when the document is built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        _add_problem_schemas(schema)
        # FastAPI keeps included routers nested; their contexts carry the effective path and dependencies.
        for route in iter_route_contexts(app.routes):
            if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                if "422" in responses or route.dependant.body_params or route.dependant.query_params:
                    responses.setdefault("422", {"description": "Validation failed"})
                for status in route_problem_statuses(route, method):
                    responses.setdefault(str(status), {})
                for code, response in responses.items():
                    if code.isdigit() and int(code) >= 400:
                        described = response.get("description")
                        generic = described in {None, "", "Validation Error"}
                        responses[code] = _problem_response(None if generic else described, int(code))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
