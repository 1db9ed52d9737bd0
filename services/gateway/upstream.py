"""One long-lived HTTP client per upstream service; every call names who is acting in a short-lived token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.common.tokens import issue_token
from services.contracts.auth import Actor
from services.contracts.problems import Problem

log = logging.getLogger("ashyq.gateway.upstream")

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
RETRY_STATUSES = {502, 503, 504}
Params = Mapping[str, str | int | bool | list[str] | list[int] | None]
QueryList = list[tuple[str, str | int | float | bool | None]]


@cache
def list_of(item: type[Any]) -> TypeAdapter[list[Any]]:
    """The validator of a JSON array of `item`, built once: building a TypeAdapter costs more than using it."""
    return TypeAdapter(list[item])  # type: ignore[valid-type]


class UpstreamUnavailable(Exception):
    """The service could not be reached, timed out, failed, or answered something this gateway cannot read."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


class UpstreamProblem(Exception):
    """The service answered with an RFC 9457 problem (a 4xx, or a 503 it explained)."""

    def __init__(self, service: str, problem: Problem) -> None:
        super().__init__(f"{service}: {problem.status} {problem.title}")
        self.service = service
        self.problem = problem

    @property
    def status(self) -> int:
        return self.problem.status


@dataclass(frozen=True)
class Caller:
    """On whose behalf, and in which language, one page asks the upstreams."""

    actor: Actor = field(default_factory=lambda: Actor(service="gateway"))
    language: str = "ru"
    request_id: str | None = None
    session_token: str | None = None


class Upstream:
    """An upstream service: one AsyncClient with explicit timeouts; GETs retried once, writes never."""

    on_unavailable: Callable[[str, str], None] | None = None  # set by the app: counts outages for /metrics

    def __init__(self, service: str, base_url: str, *, timeout: float, secret: str, token_ttl: int,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.service = service
        self._secret = secret
        self._token_ttl = token_ttl
        self.http = httpx.AsyncClient(
            base_url=base_url, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            headers={"User-Agent": "ashyq-gateway"},
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def _unavailable(self, reason: str) -> UpstreamUnavailable:
        if self.on_unavailable is not None:
            self.on_unavailable(self.service, reason)
        return UpstreamUnavailable(self.service, reason)

    def headers(self, caller: Caller, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        token = issue_token(caller.actor, self._secret, self._token_ttl)
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": caller.language}
        if caller.request_id:
            headers["X-Request-ID"] = caller.request_id
        if caller.session_token:  # only on the registry's /v1/auth/sessions/current
            headers["X-Session-Token"] = caller.session_token
        if extra:
            headers.update(extra)
        return headers

    async def send(self, method: str, path: str, caller: Caller, *, params: Params | None = None,
                   json: Any = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """The upstream's answer, 2xx or a raised problem. Only GETs are retried (once, after a short pause)."""
        attempts = 2 if method == "GET" else 1
        clean = _clean_params(params)
        for attempt in range(attempts):
            try:
                response = await self.http.request(method, path, params=clean, json=json,
                                                   headers=self.headers(caller, headers))
            except httpx.HTTPError as exc:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.05)
                    continue
                log.warning("%s unreachable on %s %s: %s", self.service, method, path, type(exc).__name__)
                raise self._unavailable(type(exc).__name__) from exc
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                await asyncio.sleep(0.05)
                continue
            return self._checked(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        problem = _problem_of(response)
        if response.status_code >= 500 and (response.status_code != 503 or problem is None
                                            or problem.type in ("about:blank", "")):
            log.warning("%s answered %s", self.service, response.status_code)
            raise self._unavailable(f"HTTP {response.status_code}")
        if problem is None:
            problem = Problem(title=response.reason_phrase or "Error", status=response.status_code)
        raise UpstreamProblem(self.service, problem)

    async def get(self, path: str, caller: Caller, model: type[M], *, params: Params | None = None) -> M:
        response = await self.send("GET", path, caller, params=params)
        return self.parse(response, model)

    async def get_list(self, path: str, caller: Caller, item: type[M], *, params: Params | None = None) -> list[M]:
        """A JSON array of one contract model (the few endpoints that answer a bare list)."""
        response = await self.send("GET", path, caller, params=params)
        items: list[M] = self._validated(lambda: list_of(item).validate_json(response.content))
        return items

    async def get_ids(self, path: str, caller: Caller) -> list[int]:
        response = await self.send("GET", path, caller)
        ids: list[int] = self._validated(lambda: list_of(int).validate_json(response.content))
        return ids

    def parse(self, response: httpx.Response, model: type[M]) -> M:
        return self._validated(lambda: model.model_validate_json(response.content))

    def _validated(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except ValidationError as exc:
            log.warning("%s answered a body this gateway cannot read: %s", self.service, exc.error_count())
            raise self._unavailable("unreadable answer") from exc

    @asynccontextmanager
    async def stream(self, path: str, caller: Caller, *,
                     params: Params | None = None) -> AsyncIterator[httpx.Response]:
        """A streamed GET (exports): the caller relays the body chunk by chunk."""
        request = self.http.build_request("GET", path, params=_clean_params(params), headers=self.headers(caller))
        try:
            response = await self.http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._unavailable(type(exc).__name__) from exc
        try:
            if response.status_code >= 400:
                await response.aread()
                self._checked(response)
            yield response
        finally:
            await response.aclose()


def _clean_params(params: Params | None) -> QueryList:
    """Query parameters without the empty ones; lists repeat the name (`kind=a&kind=b`)."""
    out: QueryList = []
    for name, value in (params or {}).items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            out.extend((name, str(v)) for v in value)
        elif isinstance(value, bool):
            out.append((name, "true" if value else "false"))
        else:
            out.append((name, str(value)))
    return out


def _problem_of(response: httpx.Response) -> Problem | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return None
