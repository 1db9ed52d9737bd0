"""Short-lived shared copies of what every visitor is shown alike: public pages and public API reads.

A page of the portal or a list of the public API costs several upstream calls, each a whole request of a service,
and the same copy would go to every anonymous visitor of that address. So the answer of a handler that says it is
public (`mark_public`) is kept for `public_copy_seconds` and given to the next visitors of the same address,
language and htmx target, without asking the services again:

- pages: only visitors who are not signed in and have no notice waiting get or make a copy; the CSRF token each
  visitor's forms carry is taken out of the copy and the visitor's own put in (`PageCopies`);
- the public API: only keys that the gateway has checked within `api_key_cache_seconds` and that hold the `read`
  scope get a copy; a key not checked lately goes the whole way, is checked, and refreshes the copy (`ApiCopies`).

Any write through this gateway process (a POST, PUT, PATCH or DELETE answered below 400, through a page or the API)
drops every copy, so whoever changed something sees it at once. Writes made elsewhere (another gateway process,
the services' own API, the worker) show within `public_copy_seconds`. Concurrent visitors of an address with no
copy wait for one answer instead of each asking the services (no stampede when a copy expires). Copies are bounded
in bytes; the oldest go first. Setting `GATEWAY_PUBLIC_COPY_SECONDS=0` turns all of it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set by a handler whose answer may be shared; never leaves the gateway.
MARKER = "x-ashyq-public-copy"
_MARKER = MARKER.encode()
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEPT_STATUS = 200


def mark_public(response: Response) -> None:
    """This answer is the same for every visitor who may get a copy (see the module's rules)."""
    response.headers[MARKER] = "1"


@dataclass(frozen=True)
class Copy:
    at: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class PublicCopies:
    """The copies of one gateway process, with their age limit and byte budget."""

    def __init__(self, seconds: float, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._copies: OrderedDict[Hashable, Copy] = OrderedDict()
        self._bytes = 0
        self._pending: dict[Hashable, asyncio.Future[None]] = {}
        self.generation = 0  # advanced by every drop: an answer begun before a write is not kept after it
        self.hits = self.misses = self.drops = 0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: Hashable) -> Copy | None:
        copy = self._copies.get(key)
        if copy is None:
            return None
        if time.monotonic() - copy.at >= self.seconds:
            self._remove(key)
            return None
        return copy

    def put(self, key: Hashable, copy: Copy, generation: int) -> None:
        if generation != self.generation or copy.size > self.max_bytes // 4:
            return
        self._remove(key)
        self._copies[key] = copy
        self._bytes += copy.size
        while self._bytes > self.max_bytes and self._copies:
            self._remove(next(iter(self._copies)))

    def drop_all(self) -> None:
        self._copies.clear()
        self._bytes = 0
        self.generation += 1
        self.drops += 1

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._copies)

    def _remove(self, key: Hashable) -> None:
        copy = self._copies.pop(key, None)
        if copy is not None:
            self._bytes -= copy.size

    async def wait_for_another(self, key: Hashable) -> bool:
        """True when another request is already making this copy (and has finished now); else this request
        becomes the one that makes it and must call `made(key)`."""
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = asyncio.get_running_loop().create_future()
            return False
        with contextlib.suppress(TimeoutError):  # a slow answer: go and make one's own
            await asyncio.wait_for(asyncio.shield(pending), timeout=10)
        return True

    def made(self, key: Hashable) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None and not pending.done():
            pending.set_result(None)


class CopiesMetrics(Collector):
    """The store's counters on /metrics: how often a copy was served, how often one had to be made, how often a
    write dropped them all, and what is kept now."""

    def __init__(self, copies: PublicCopies) -> None:
        self.copies = copies

    def collect(self) -> Iterable[Metric]:
        store = self.copies
        yield CounterMetricFamily("ashyq_public_copy_hits", "Requests answered from a shared public copy",
                                  value=store.hits)
        yield CounterMetricFamily("ashyq_public_copy_misses", "Shareable answers made by asking the services",
                                  value=store.misses)
        yield CounterMetricFamily("ashyq_public_copy_drops", "Times a write through this gateway dropped every copy",
                                  value=store.drops)
        yield GaugeMetricFamily("ashyq_public_copies", "Shared public copies kept now", value=len(store))
        yield GaugeMetricFamily("ashyq_public_copy_bytes", "Bytes the shared public copies take now",
                                value=store.bytes)


class _Copying:
    """ASGI middleware: serve a copy, or pass the request on and keep the answer if its handler marked it.

    Subclasses say which requests may share (`key`, None for a request that goes its own way) and may adapt a
    copy to a visitor (`personalize`) and a visitor's answer to a copy (`impersonalize`)."""

    def __init__(self, app: ASGIApp, copies: PublicCopies, *, drops: bool) -> None:
        self.app, self.copies, self.drops = app, copies, drops

    def key(self, scope: Scope) -> Hashable | None:
        raise NotImplementedError

    def personalize(self, scope: Scope, body: bytes) -> bytes:
        return body

    def impersonalize(self, scope: Scope, body: bytes) -> bytes | None:
        return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.copies.enabled:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in _SAFE_METHODS:
            await self._write(scope, receive, send)
            return
        key = self.key(scope) if scope["method"] == "GET" else None
        if key is None:
            await self.app(scope, receive, self._unmarked(send))
            return
        copy = self.copies.get(key)
        owner = False
        if copy is None:
            owner = not await self.copies.wait_for_another(key)
            copy = None if owner else self.copies.get(key)
        if copy is not None:
            self.copies.hits += 1
            await self._serve(scope, send, copy)
            return
        try:
            await self._make(scope, receive, send, key)
        finally:
            if owner:
                self.copies.made(key)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, self._unmarked(noting))
        finally:
            if self.drops and status < 400:
                self.copies.drop_all()

    @staticmethod
    def _unmarked(send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and _has_marker(message):
                del MutableHeaders(scope=message)[MARKER]
            await send(message)

        return sending

    async def _make(self, scope: Scope, receive: Receive, send: Send, key: Hashable) -> None:
        generation = self.copies.generation
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        keep = False

        async def keeping(message: Message) -> None:
            nonlocal headers, keep
            if message["type"] == "http.response.start":
                keep = _has_marker(message) and message["status"] == _KEPT_STATUS
                self.copies.misses += keep  # a shareable answer had to be made
                if _has_marker(message):
                    del MutableHeaders(scope=message)[MARKER]
                # The handler's own headers, before the middleware outside adds the visitor's (cookies, ids).
                headers = _headers_to_keep(message)
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = self.impersonalize(scope, b"".join(chunks))
                    if body is not None:
                        self.copies.put(key, Copy(time.monotonic(), _KEPT_STATUS, headers, body), generation)
            await send(message)

        await self.app(scope, receive, keeping)

    async def _serve(self, scope: Scope, send: Send, copy: Copy) -> None:
        body = self.personalize(scope, copy.body)
        headers = [*copy.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": copy.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _has_marker(message: Message) -> bool:
    return any(name == _MARKER for name, _ in message.get("headers", ()))


def _headers_to_keep(start: Message) -> list[tuple[bytes, bytes]]:
    """The handler's own headers; the length is set per copy, cookies are never shared."""
    return [(k, v) for k, v in start.get("headers", ()) if k.lower() not in (b"content-length", b"set-cookie")]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


class PageCopies(_Copying):
    """Public pages for visitors who are not signed in. Sits inside the session middleware (it reads and sets the
    visitor's CSRF token) and inside the language middleware (the copy is per language)."""

    def __init__(self, app: ASGIApp, copies: PublicCopies, *, skip_prefix: str, private_session_keys: tuple[str, ...],
                 csrf_key: str, new_token: Callable[[], str]) -> None:
        super().__init__(app, copies, drops=True)
        self.skip_prefix = skip_prefix
        self.private_session_keys = private_session_keys
        self.csrf_key = csrf_key
        self.new_token = new_token
        # Stands for the visitor's CSRF token inside a copy: as long as a token, random per process.
        self.placeholder = new_token()

    def key(self, scope: Scope) -> Hashable | None:
        path: str = scope["path"]
        if path.startswith(self.skip_prefix):
            return None
        session = scope.get("session") or {}
        if any(session.get(k) for k in self.private_session_keys):
            return None
        return ("page", path, scope.get("query_string", b""), scope.get("state", {}).get("language"),
                _header(scope, b"hx-request"), _header(scope, b"hx-target"),
                _header(scope, b"hx-history-restore-request"))

    def personalize(self, scope: Scope, body: bytes) -> bytes:
        session = scope["session"]
        token = session.get(self.csrf_key)
        if not token:
            token = session[self.csrf_key] = self.new_token()
        return body.replace(self.placeholder.encode(), token.encode())

    def impersonalize(self, scope: Scope, body: bytes) -> bytes | None:
        token = (scope.get("session") or {}).get(self.csrf_key)
        if not token or len(token) < 16:
            return None
        return body.replace(token.encode(), self.placeholder.encode())


class ApiCopies(_Copying):
    """Public API reads for keys checked lately that hold the `read` scope (writes drop copies one level up)."""

    def __init__(self, app: ASGIApp, copies: PublicCopies, *, may_read: Callable[[Scope], bool]) -> None:
        super().__init__(app, copies, drops=False)
        self.may_read = may_read

    def key(self, scope: Scope) -> Hashable | None:
        if not self.may_read(scope):
            return None
        return ("api", scope["path"], scope.get("query_string", b""), scope.get("state", {}).get("language"))
