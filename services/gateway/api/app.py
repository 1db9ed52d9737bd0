"""The public API as a FastAPI application of its own, mounted by the gateway at `/api`.

Its OpenAPI document is at `/api/v1/openapi.json`, a page listing its operations at `/api/docs`. It keeps no state
but a short cache of API-key checks; the upstream clients are the gateway's own (its lifespan makes them).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.api import answers, docs, exports, registry, results, webhooks
from services.gateway.api.auth import KeyCache, may_read
from services.gateway.api.errors import install_api_problems, reject_unstorable_text
from services.gateway.public_copies import ApiCopies
from services.gateway.settings import GatewaySettings

PREFIX = "/api"
OPENAPI_PATH = "/v1/openapi.json"
PROBLEM_JSON = "application/problem+json"

DESCRIPTION = """\
The JSON API of Ashyq for other government systems: read the registry and the results of public dialogue,
answer the recommendations addressed to your body and report their progress, and subscribe to webhooks.

**Authentication.** Every operation needs an API key, issued by an Ashyq administrator for one organization with
one or more scopes. Send it as `Authorization: Bearer ashyq_…` (or in the `X-API-Key` header). A missing, unknown
or revoked key is answered with 401 and a `WWW-Authenticate` challenge; a key without the operation's scope with
403. A revoked key stops working within a minute.

**Scopes.** `read`: the registry and the results, exactly what the public portal shows (never drafts, never
anyone's personal contacts). `answer`: answer recommendations addressed to the key's organization and report
their progress — for that organization only. `webhooks`: the organization's webhook subscriptions.

**Conventions.** Lists are pages: `?limit=&cursor=` returning `{"items": [...], "next_cursor": ...}`; pass
`next_cursor` back for the next page. Errors are `application/problem+json` (RFC 9457) with `type`, `title`,
`status`, `detail`, and for invalid fields `errors[]`. Single records carry an `ETag`; unsubscribing a webhook
needs it in `If-Match`. A POST retried with the same `Idempotency-Key` makes one record. Names come in the
language asked for with `Accept-Language` (`ru`, `kk`, `en`; Russian by default); times are ISO 8601 with their
offset.
"""

TAGS = [
    {"name": "registry", "description": "Regions and organizations (scope `read`)"},
    {"name": "public councils", "description": "Public councils' composition against the law (scope `read`)"},
    {"name": "sessions", "description": "Public sessions with their agenda and attendance (scope `read`)"},
    {"name": "protocols", "description": "Published protocols and their versions (scope `read`)"},
    {"name": "recommendations", "description": "Recommendations with answers, progress and escalation "
                                                "(scope `read`)"},
    {"name": "open data", "description": "The registry's exports (scope `read`)"},
    {"name": "answers", "description": "A state body answers and reports progress (scope `answer`)"},
    {"name": "webhooks", "description": "The organization's webhook subscriptions (scope `webhooks`)"},
]


def create_api_app(host: FastAPI) -> FastAPI:
    """The API; `host` is the gateway whose upstream clients it uses."""
    settings: GatewaySettings = host.state.settings
    api = FastAPI(title="Ashyq public API", version="1", description=DESCRIPTION, openapi_tags=TAGS,
                  openapi_url=OPENAPI_PATH, docs_url=None, redoc_url=None,
                  servers=[{"url": PREFIX, "description": "This gateway"}], root_path_in_servers=False,
                  dependencies=[Depends(reject_unstorable_text)])
    api.state.host = host
    api.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    install_api_problems(api)
    for module in (registry, results, exports, answers, webhooks, docs):
        api.include_router(module.router)
    api.openapi = lambda: openapi_document(api)  # type: ignore[method-assign]
    api.add_middleware(ApiHeaders)
    api.add_middleware(ApiCopies, copies=host.state.public_copies,
                       may_read=lambda scope: may_read(api.state.key_cache, scope["headers"]))
    return api


def openapi_document(api: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error answered as problem+json and each operation's scope spelled out."""
    if api.openapi_schema:
        return api.openapi_schema
    schema = get_openapi(title=api.title, version=api.version, description=api.description, routes=api.routes,
                         tags=api.openapi_tags, servers=api.servers)
    for item in schema["paths"].values():
        for operation in item.values():
            # The scopes are the role names of each security requirement (OpenAPI 3.1 allows them for any scheme).
            scopes = sorted({s for requirement in operation.get("security", []) for s in next(iter(
                requirement.values()), [])})
            if scopes:
                operation["x-required-scopes"] = scopes
                needs = ", ".join(f"`{s}`" for s in scopes)
                operation["description"] = (f"Needs an API key with the {needs} scope. "
                                            + operation.get("description", "")).strip()
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                content = response.setdefault("content", {})
                content[PROBLEM_JSON] = content.pop("application/json", None) or {
                    "schema": {"$ref": "#/components/schemas/Problem"}}
                if status == "401":
                    response["headers"] = {"WWW-Authenticate": {
                        "description": 'The challenge: `Bearer realm="ashyq-api"`', "schema": {"type": "string"}}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    api.openapi_schema = schema
    return schema


class ApiHeaders:
    """API answers depend on the key and are not for shared caches; the secrets some carry are never stored."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("Vary", "Authorization, X-API-Key, Accept-Language")
            await send(message)

        await self.app(scope, receive, with_headers)
