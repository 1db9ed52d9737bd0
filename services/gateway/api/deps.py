"""Per-request helpers of the public API: the upstream services, on whose behalf they are asked, relayed headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel

from services.common.db import MAX_ID
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.contracts.accounts import ApiKeyRead
from services.contracts.auth import Actor, Role
from services.gateway.i18n import current_language
from services.gateway.upstream import Caller, Params, Upstream

M = TypeVar("M", bound=BaseModel)

# Free text travels to the services' databases: no NUL (PostgreSQL refuses it in text).
TEXT_PATTERN = r"^[^\x00]*$"
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2000, pattern=TEXT_PATTERN,
                                     description="`next_cursor` of the previous page")]
Search = Annotated[str | None, Query(max_length=200, pattern=TEXT_PATTERN, description="Words to search for")]
Kato = Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="KATO code (9 digits); includes sub-regions")]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$",
    description="Retrying a POST with the same key and body makes one record and answers as the first time")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200, pattern=r"^[\x20-\x7e]+$",
                                       description="The ETag you last read")]
DEFAULT_PAGE = DEFAULT_LIMIT

# Headers of an upstream answer worth passing on to the API client.
RELAYED_HEADERS = ("ETag", "Idempotent-Replayed")


class Api:
    """The services as one request of the public API asks them.

    Reads go out as the public does (the gateway naming itself), so a key sees exactly what the portal shows;
    an answer goes out as a representative of the key's own organization, so the dialogue service's own rule
    decides whether that body may answer.
    """

    def __init__(self, request: Request) -> None:
        host = request.app.state.host.state
        self.orgs: Upstream = host.orgs
        self.dialogue: Upstream = host.dialogue
        self.language = current_language()
        self.request_id: str | None = getattr(request.state, "request_id", None)
        self.public = self.caller(Actor(service="gateway"))

    def caller(self, actor: Actor) -> Caller:
        return Caller(actor=actor, language=self.language, request_id=self.request_id)

    def representative(self, key: ApiKeyRead) -> Caller:
        return self.caller(Actor(roles=[Role.representative], org_ids=[key.org_id], service="gateway"))

    def service(self) -> Caller:
        """The gateway itself as a calling service (webhook subscriptions it scopes to the key's organization)."""
        return self.caller(Actor(roles=[Role.service], service="gateway"))

    async def get(self, upstream: Upstream, path: str, model: type[M], response: Response | None = None, *,
                  caller: Caller | None = None, params: Params | None = None) -> M:
        answer = await upstream.send("GET", path, caller or self.public, params=params)
        if response is not None:
            relay_headers(answer.headers, response)
        return upstream.parse(answer, model)

    async def get_list(self, upstream: Upstream, path: str, item: type[M]) -> list[M]:
        return await upstream.get_list(path, self.public, item)

    async def post(self, upstream: Upstream, path: str, model: type[M], body: Any, caller: Caller,
                   response: Response, *, idempotency_key: str | None = None,
                   key: ApiKeyRead | None = None) -> M:
        headers = {}
        if idempotency_key:
            # The services keep one replay store for every caller: the key's id keeps clients' keys apart.
            headers["Idempotency-Key"] = f"api-key-{key.id if key else 0}:{idempotency_key}"
        answer = await upstream.send("POST", path, caller, json=body, headers=headers)
        relay_headers(answer.headers, response)
        return upstream.parse(answer, model)


def relay_headers(upstream_headers: Mapping[str, str], response: Response) -> None:
    for name in RELAYED_HEADERS:
        if (value := upstream_headers.get(name)) is not None:
            response.headers[name] = value


def get_api(request: Request) -> Api:
    return Api(request)


ApiDep = Annotated[Api, Depends(get_api)]
