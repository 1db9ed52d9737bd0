"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ASHYQ_TEST_POSTGRES_URL (default: the local server, user postgres); each test
run creates its own throwaway databases there and drops them at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role

TEST_SECRET = "test-secret-not-for-production-0123456789"
PG_URL = os.environ.get("ASHYQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


class Databases:
    """Creates throwaway databases on one backend and drops them when the run ends."""

    def __init__(self, backend: str, tmp_dir: Any) -> None:
        self.backend = backend
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def new(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_dir / f'{name}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        database = f"ashyq_test_{name}_{uuid.uuid4().hex[:10]}"
        admin = create_engine(_sync_pg_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            # The template keeps Cyrillic case-folding independent of the server's own locale.
            connection.execute(text(f'CREATE DATABASE "{database}" TEMPLATE template0 ENCODING \'UTF8\''))
        admin.dispose()
        self.created.append(database)
        return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if self.backend != "postgresql" or not self.created:
            return
        admin = create_engine(_sync_pg_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for database in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _sync_pg_url() -> str:
    """A synchronous URL for admin statements (CREATE/DROP DATABASE)."""
    return make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(backend, tmp_path_factory.mktemp(backend))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def orgs_database_url(databases: Databases) -> str:
    url = databases.new("orgs")
    upgrade("orgs", url)
    return url


def actor_headers(*roles: Role, account_id: int = 1, org_ids: list[int] | None = None) -> dict[str, str]:
    token = issue_token(Actor(account_id=account_id, roles=list(roles), org_ids=org_ids or []), TEST_SECRET)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def coordinator() -> dict[str, str]:
    return actor_headers(Role.coordinator)


@pytest.fixture
def admin() -> dict[str, str]:
    return actor_headers(Role.admin)


ORGS_TABLES_IN_DELETE_ORDER = [
    "login_session", "api_key", "account", "membership", "org_topic", "organization", "person", "idempotency_record",
]


async def _clean(url: str, tables: list[str], *extra: str) -> None:
    """Empty the tables (children first) and run any extra statements, in one transaction."""
    engine = make_engine(url)
    async with engine.begin() as connection:
        for statement in [*(f"DELETE FROM {table}" for table in tables), *extra]:
            await connection.execute(text(statement))
    await engine.dispose()


@pytest.fixture(scope="session")
async def orgs_app(orgs_database_url: str) -> AsyncIterator[Any]:
    from services.orgs.app import create_app
    from services.orgs.settings import OrgsSettings

    app = create_app(OrgsSettings(database_url=orgs_database_url, service_secret=TEST_SECRET, environment="test"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def orgs(orgs_app: Any, orgs_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a clean orgs service (only the 20 KATO regions present)."""
    await _clean(orgs_database_url, ORGS_TABLES_IN_DELETE_ORDER, "DELETE FROM region WHERE parent_code IS NOT NULL")
    transport = httpx.ASGITransport(app=orgs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orgs") as client:
        yield client


# --- dialogue service ------------------------------------------------------------------------------

DIALOGUE_TABLES_IN_DELETE_ORDER = [
    "webhook_delivery", "webhook_subscription", "notification", "notification_preference",
    "action_plan_report", "action_plan_item", "action_plan", "recommendation_status_history", "progress_report",
    "recommendation_response", "recommendation_topic", "recommendation_addressee", "recommendation", "protocol",
    "participant", "agenda_item", "session_organizer", "dialogue_session", "outbox_event", "idempotency_record",
]


@pytest.fixture(scope="session")
def dialogue_database_url(databases: Databases) -> str:
    url = databases.new("dialogue")
    upgrade("dialogue", url)
    return url


def dialogue_settings(url: str, orgs_url: str = "http://orgs") -> Any:
    from services.dialogue.settings import DialogueSettings

    return DialogueSettings(database_url=url, service_secret=TEST_SECRET, environment="test", orgs_url=orgs_url,
                            orgs_timeout_seconds=2.0, overdue_sweep_seconds=3600)


@pytest.fixture(scope="session")
async def dialogue_app(dialogue_database_url: str, orgs_app: Any) -> AsyncIterator[Any]:
    """The dialogue service talking HTTP to the real orgs service, in process."""
    from services.dialogue.app import create_app

    app = create_app(dialogue_settings(dialogue_database_url), orgs_transport=httpx.ASGITransport(app=orgs_app))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def dialogue(
    dialogue_app: Any, dialogue_database_url: str, orgs: httpx.AsyncClient,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a clean dialogue service; the `orgs` fixture it depends on cleans the registry too."""
    await _clean(dialogue_database_url, DIALOGUE_TABLES_IN_DELETE_ORDER)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dialogue_app), base_url="http://dialogue") as client:
        yield client


# --- gateway (web app) -----------------------------------------------------------------------------

GATEWAY_SESSION_SECRET = "test-session-secret-not-for-production-0123456789"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # nothing listens there: an upstream that is down


def gateway_settings(**overrides: Any) -> Any:
    from services.gateway.settings import GatewaySettings

    values: dict[str, Any] = {"environment": "test", "service_secret": TEST_SECRET,
                              "session_secret": GATEWAY_SESSION_SECRET, "orgs_url": "http://orgs",
                              "dialogue_url": "http://dialogue", "upstream_timeout_seconds": 2.0,
                              # tests that share copies say so; the others see each write at once
                              "public_copy_seconds": 0}
    return GatewaySettings(**{**values, **overrides})


async def _gateway_client(settings: Any, orgs_app: Any | None,
                          dialogue_app: Any | None) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway in process; an upstream given as None is reached over the network at its URL."""
    from services.gateway.app import create_app

    app = create_app(settings,
                     orgs_transport=httpx.ASGITransport(app=orgs_app) if orgs_app is not None else None,
                     dialogue_transport=httpx.ASGITransport(app=dialogue_app) if dialogue_app is not None else None)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client):
        client.app = app  # type: ignore[attr-defined] # tests reach the app's state (caches) through it
        yield client


@pytest.fixture
async def gateway(orgs_app: Any, dialogue_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's view of the gateway in front of the real orgs and dialogue services (both clean)."""
    async for client in _gateway_client(gateway_settings(), orgs_app, dialogue_app):
        yield client


@pytest.fixture
async def gateway_without_dialogue(orgs_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with the dialogue service down (its URL is a closed port)."""
    async for client in _gateway_client(gateway_settings(dialogue_url=CLOSED_PORT_URL), orgs_app, None):
        yield client


@pytest.fixture
async def gateway_without_orgs(dialogue_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with the registry down (its URL is a closed port); dialogue itself still reaches orgs."""
    async for client in _gateway_client(gateway_settings(orgs_url=CLOSED_PORT_URL), None, dialogue_app):
        yield client
