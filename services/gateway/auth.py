"""Who is signed in: the login-session token in the session cookie, re-checked with the registry every minute."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass

from services.contracts.accounts import AccountRead, LoginSession
from services.contracts.auth import Actor

SESSION_KEY = "login_session"


def token_key(token: str) -> str:
    """Tokens are kept in memory only as hashes."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _Checked:
    session: LoginSession | None
    at: float


class SessionCache:
    """Remembers what the registry said about a login session for at most `ttl` seconds.

    So a disabled account or a revoked session is out within `ttl`, and a page view does not cost a
    registry call each time. Per process; the gateway keeps no other state.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, _Checked] = {}

    def get(self, token: str) -> tuple[bool, LoginSession | None]:
        entry = self._entries.get(token_key(token))
        if entry is None or time.monotonic() - entry.at >= self.ttl:
            return False, None
        return True, entry.session

    def put(self, token: str, session: LoginSession | None) -> None:
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if now - v.at < self.ttl}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[token_key(token)] = _Checked(session, time.monotonic())

    def forget(self, token: str) -> None:
        self._entries.pop(token_key(token), None)


class RateLimiter:
    """A sliding window of failed attempts per key (client address, and address + login): small, in memory.

    Only failures count, so a ministry's staff signing in from behind one address are not locked out by each
    other; guessing passwords is what it stops."""

    def __init__(self, attempts: int, window_seconds: float = 60.0) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def wait(self, *keys: str) -> float | None:
        """None when another attempt is allowed under every key, else the seconds until it is."""
        now = time.monotonic()
        wait: float | None = None
        for key in keys:
            hits = self._hits.get(key)
            if hits is None:
                continue
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.attempts:
                wait = max(wait or 0.0, self.window - (now - hits[0]))
        return wait

    def forgive(self, *keys: str) -> None:
        """Takes back the attempt last recorded under each key (it succeeded)."""
        for key in keys:
            hits = self._hits.get(key)
            if hits:
                hits.pop()

    def record(self, *keys: str) -> None:
        """Counts one attempt under each key (recorded before trying, so parallel guesses count too)."""
        now = time.monotonic()
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > 50_000:  # forget idle keys rather than grow without bound
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}


def actor_of(account: AccountRead | None) -> Actor:
    """The actor the upstream services see: the signed-in account, or the gateway itself for visitors."""
    if account is None:
        return Actor(service="gateway")
    return Actor(account_id=account.id, roles=list(account.roles), org_ids=list(account.org_ids), service="gateway")
