"""The API's documentation page: every operation listed from the OpenAPI document, in the portal's frame.

Served by the gateway itself (no CDN, no inline script), so the portal's CSP holds; the document itself is at
/api/v1/openapi.json for tools such as Swagger UI or code generators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.gateway.i18n import N_
from services.gateway.web import Templates

router = APIRouter(include_in_schema=False)

METHOD_ORDER = {"get": 0, "post": 1, "patch": 2, "put": 3, "delete": 4}
TAG_LABELS = {
    "registry": N_("Registry of organizations"),
    "public councils": N_("Public councils"),
    "sessions": N_("Sessions"),
    "protocols": N_("Protocols"),
    "recommendations": N_("Recommendations"),
    "open data": N_("Open data"),
    "answers": N_("Answers of state bodies"),
    "webhooks": N_("Webhooks"),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    scope: str


@dataclass(frozen=True)
class Group:
    label: str
    operations: list[Operation]


def operation_groups(document: dict[str, Any]) -> list[Group]:
    prefix = document.get("servers", [{}])[0].get("url", "")
    grouped: dict[str, list[Operation]] = {tag: [] for tag in TAG_LABELS}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            tag = (operation.get("tags") or ["other"])[0]
            grouped.setdefault(tag, []).append(Operation(
                method=method.upper(), path=prefix + path, summary=operation.get("summary", ""),
                scope=", ".join(operation.get("x-required-scopes", []))))
    return [Group(label=TAG_LABELS.get(tag, tag), operations=sorted(
                ops, key=lambda o: (o.path, METHOD_ORDER.get(o.method.lower(), 9))))
            for tag, ops in grouped.items() if ops]


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    templates: Templates = request.app.state.host.state.templates
    request.state.outages = getattr(request.state, "outages", set())
    request.state.account = None  # the page is the same for everyone; sign-in plays no part in the API
    document = request.app.openapi()
    return templates.render(request, "api_docs.html", {
        "groups": operation_groups(document), "openapi_url": "/api" + (request.app.openapi_url or ""),
        "version": document.get("info", {}).get("version", "")})


@router.get("/")
async def api_root() -> RedirectResponse:
    return RedirectResponse("/api/docs", status_code=307)
