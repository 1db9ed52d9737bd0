"""API keys: sent as `Authorization: Bearer <key>` or `X-API-Key`, verified with the registry, trusted briefly, scoped.

The registry stores keys as SHA-256 hashes and answers `/v1/auth/api-keys/verify`. What it said about a key is kept
in memory (under the key's hash, never the key) for `api_key_cache_seconds`, so a revoked key stops working
within that time and a busy client does not cost a registry call per request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from services.common.problems import Forbidden, Unauthorized
from services.contracts.accounts import ApiKeyRead, ApiKeyVerify, Scope
from services.contracts.auth import Actor
from services.gateway.i18n import current_language
from services.gateway.public_copies import mark_public
from services.gateway.upstream import Caller, Upstream, UpstreamProblem, UpstreamUnavailable

log = logging.getLogger("ashyq.gateway.api")

KEY_PREFIX = "ashyq_"  # every key the registry issues starts so; anything else is not worth a registry call
MAX_KEY_LENGTH = 200
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ashyq-api"'}

BEARER = HTTPBearer(scheme_name="BearerAuth", bearerFormat="ashyq_<prefix>_<secret>", auto_error=False,
                    description="The API key as a bearer token: `Authorization: Bearer ashyq_…`.")
HEADER = APIKeyHeader(name="X-API-Key", scheme_name="ApiKeyHeader", auto_error=False,
                      description="The same API key in the `X-API-Key` header, for clients that cannot set "
                                  "`Authorization`.")


class KeyMissing(Unauthorized):
    title = "API key required"
    slug = "api-key-required"

    def __init__(self) -> None:
        super().__init__("Send your API key as 'Authorization: Bearer <key>' or in the X-API-Key header.",
                         headers=CHALLENGE)


class KeyRejected(Unauthorized):
    title = "API key not accepted"
    slug = "api-key-invalid"

    def __init__(self) -> None:
        super().__init__("The API key is unknown, revoked, or its organization is no longer active.",
                         headers={"WWW-Authenticate": 'Bearer realm="ashyq-api", error="invalid_token"'})


class ScopeMissing(Forbidden):
    title = "The API key lacks a scope"
    slug = "api-key-scope"

    def __init__(self, scope: Scope) -> None:
        super().__init__(f"This operation needs an API key with the '{scope}' scope; ask an administrator.",
                         required_scope=str(scope))


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class _Verdict:
    key: ApiKeyRead | None
    at: float


class KeyCache:
    """What the registry said about each key (the key itself, or None for a refused one) for at most `ttl` s."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, _Verdict] = {}

    def get(self, secret: str) -> tuple[bool, ApiKeyRead | None]:
        entry = self._entries.get(key_hash(secret))
        if entry is None or time.monotonic() - entry.at >= self.ttl:
            return False, None
        return True, entry.key

    def put(self, secret: str, key: ApiKeyRead | None) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if now - v.at < self.ttl}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[key_hash(secret)] = _Verdict(key, time.monotonic())


async def verify_with_registry(orgs: Upstream, secret: str, request_id: str | None) -> ApiKeyRead | None:
    """The live key behind `secret`, or None when the registry refuses it."""
    caller = Caller(actor=Actor(service="gateway"), language=current_language(), request_id=request_id)
    try:
        response = await orgs.send("POST", "/v1/auth/api-keys/verify", caller,
                                   json=ApiKeyVerify(key=secret).model_dump())
    except UpstreamProblem as exc:
        if exc.status in (401, 422):
            return None
        # Anything else means the registry would not hear the gateway (a wrong shared secret): not the client's fault.
        log.warning("the registry answered %s to an API key check", exc.status)
        raise UpstreamUnavailable("orgs", f"HTTP {exc.status}") from exc
    return orgs.parse(response, ApiKeyRead)


async def api_key(
    request: Request,
    security_scopes: SecurityScopes,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    header: Annotated[str | None, Security(HEADER)],
) -> ApiKeyRead:
    """The caller's live API key: 401 (with a WWW-Authenticate challenge) without one, 403 without the scopes
    the operation declares (`Security(api_key, scopes=[...])`, which also states them in the OpenAPI document)."""
    secret = (bearer.credentials if bearer is not None else header or "").strip()
    if not secret:
        raise KeyMissing()
    if len(secret) > MAX_KEY_LENGTH or not secret.startswith(KEY_PREFIX):
        raise KeyRejected()
    state = request.app.state
    cache: KeyCache = state.key_cache
    known, key = cache.get(secret)
    if not known:
        key = await verify_with_registry(state.host.state.orgs, secret, getattr(request.state, "request_id", None))
        cache.put(secret, key)
    if key is None:
        raise KeyRejected()
    for scope in security_scopes.scopes:
        if scope not in key.scopes:
            raise ScopeMissing(Scope(scope))
    return key


async def read_key(key: Annotated[ApiKeyRead, Security(api_key, scopes=[Scope.read.value])],
                   response: Response) -> ApiKeyRead:
    """A key with the `read` scope. What it reads is what the portal shows everyone: the same for every such key,
    so the answer may be shared with the next one (services/gateway/public_copies.py)."""
    mark_public(response)
    return key


def may_read(cache: KeyCache, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request carries a key checked within the cache's time that holds the `read` scope — read
    from the raw headers, as `api_key` reads them, without a registry call."""
    secret = ""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                secret = credentials.strip()
                break
        elif name == b"x-api-key" and not secret:
            secret = value.decode("latin-1").strip()
    if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_KEY_LENGTH:
        return False
    known, key = cache.get(secret)
    return known and key is not None and Scope.read in key.scopes


ReadKey = Annotated[ApiKeyRead, Depends(read_key)]
AnswerKey = Annotated[ApiKeyRead, Security(api_key, scopes=[Scope.answer.value])]
WebhooksKey = Annotated[ApiKeyRead, Security(api_key, scopes=[Scope.webhooks.value])]
