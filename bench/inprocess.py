"""The three services in one process (httpx over ASGI), with counters of SQL statements and upstream calls.

Statements are counted with a SQLAlchemy `before_cursor_execute` listener on each service's engine; the
gateway's calls to orgs and dialogue are counted by the transports it is given. Counts are what a test
may assert; timings from here mean little (everything shares one event loop).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

SECRET = "bench-secret-not-for-production-0123456789"  # noqa: S105
SESSION_SECRET = "bench-session-secret-not-for-production-0123456789"  # noqa: S105


@dataclass
class Counters:
    statements: Counter[str] = field(default_factory=Counter)  # per service
    upstream: Counter[str] = field(default_factory=Counter)  # gateway → service
    sql: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()
        self.upstream.clear()
        self.sql.clear()


class CountingTransport(httpx.ASGITransport):
    def __init__(self, app: Any, name: str, counters: Counters) -> None:
        super().__init__(app=app)
        self.name, self.counters = name, counters

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counters.upstream[self.name] += 1
        return await super().handle_async_request(request)


def count_statements(app: Any, name: str, counters: Counters) -> None:
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counters.statements[name] += 1
        counters.sql.append(f"{name}: {statement[:200]}")

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", before)


@dataclass
class Services:
    orgs: httpx.AsyncClient
    dialogue: httpx.AsyncClient
    gateway: httpx.AsyncClient
    counters: Counters


@asynccontextmanager
async def services(orgs_url: str, dialogue_url: str) -> AsyncIterator[Services]:
    from services.dialogue.app import create_app as dialogue_app
    from services.dialogue.settings import DialogueSettings
    from services.gateway.app import create_app as gateway_app
    from services.gateway.settings import GatewaySettings
    from services.orgs.app import create_app as orgs_app
    from services.orgs.settings import OrgsSettings

    counters = Counters()
    orgs = orgs_app(OrgsSettings(database_url=orgs_url, service_secret=SECRET, environment="test"))
    dialogue = dialogue_app(
        DialogueSettings(database_url=dialogue_url, service_secret=SECRET, environment="test", orgs_url="http://orgs",
                         overdue_sweep_seconds=3600),
        orgs_transport=CountingTransport(orgs, "dialogue→orgs", counters))
    gateway = gateway_app(
        GatewaySettings(environment="test", service_secret=SECRET, session_secret=SESSION_SECRET,
                        orgs_url="http://orgs", dialogue_url="http://dialogue", public_copy_seconds=0),
        orgs_transport=CountingTransport(orgs, "orgs", counters),
        dialogue_transport=CountingTransport(dialogue, "dialogue", counters))
    async with AsyncExitStack() as stack:
        for app in (orgs, dialogue, gateway):
            await stack.enter_async_context(app.router.lifespan_context(app))
        count_statements(orgs, "orgs", counters)
        count_statements(dialogue, "dialogue", counters)
        clients = [await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                     base_url=f"http://{name}", timeout=120))
                   for app, name in ((orgs, "orgs"), (dialogue, "dialogue"), (gateway, "testserver"))]
        yield Services(*clients, counters=counters)


async def measure(client: httpx.AsyncClient, counters: Counters, path: str,
                  headers: dict[str, str] | None = None) -> tuple[int, Counter[str], Counter[str]]:
    """(status, statements per service, upstream calls) of one request; run once first to fill caches."""
    await client.get(path, headers=headers)
    counters.reset()
    response = await client.get(path, headers=headers)
    return response.status_code, Counter(counters.statements), Counter(counters.upstream)
