"""A database that cannot be reached is an outage, answered 503 with a problem body — never a 500."""

from __future__ import annotations

import socket

import httpx
from sqlalchemy import exc as sa_exc

from services.common.db import database_unavailable
from services.common.problems import PROBLEM_JSON
from tests.conftest import TEST_SECRET

CLOSED_PORT_DATABASE = "postgresql://postgres@127.0.0.1:9/nowhere"  # nothing listens on port 9


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate


def _wrapped(sqlstate: str | None, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", None, _DriverError(sqlstate), connection_invalidated=invalidated)


class TestClassification:
    def test_connecting_fails(self):
        assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
        assert database_unavailable(TimeoutError())
        assert database_unavailable(socket.gaierror(-2, "Name or service not known"))

    def test_the_server_shuts_down_or_starts_up(self):
        for sqlstate in ("57P01", "57P02", "57P03", "08006", "53300"):
            assert database_unavailable(_wrapped(sqlstate)), sqlstate

    def test_a_connection_lost_mid_query(self):
        assert database_unavailable(_wrapped(None, invalidated=True))

    def test_bugs_stay_bugs(self):
        assert not database_unavailable(_wrapped("23505"))  # unique violation
        assert not database_unavailable(_wrapped("42P01"))  # undefined table
        assert not database_unavailable(ValueError("bad"))
        assert not database_unavailable(FileNotFoundError("template.docx"))


class TestService:
    async def test_a_request_while_the_database_is_down_is_a_503_problem(self):
        from services.orgs.app import create_app
        from services.orgs.settings import OrgsSettings

        app = create_app(OrgsSettings(database_url=CLOSED_PORT_DATABASE, service_secret=TEST_SECRET,
                                      environment="test"))
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orgs") as client):
            r = await client.get("/v1/orgs")
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith(PROBLEM_JSON)
            assert r.headers["retry-after"] == "5"
            assert r.json()["status"] == 503
            ready = await client.get("/readyz")
            assert ready.status_code == 503
