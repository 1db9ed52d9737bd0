"""Steps the system tests share: registry records and accounts through the orgs API, signing in at the
gateway as a browser does, and reading the databases directly (psycopg) to check what was stored."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from alembic.script import ScriptDirectory
from psycopg import sql

from services.common.migrations import alembic_config
from services.contracts.auth import Role
from tests.gateway.helpers import csrf_token

if TYPE_CHECKING:
    from tests.system.conftest import System

PASSWORD = "system-test-password-0123"
PROBLEM_JSON = "application/problem+json"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_org(system: System, name: str, *, kind: str = "state_body", level: str = "regional",
               region_code: str | None = "630000000") -> int:
    r = httpx.post(system.orgs.url + "/v1/orgs", headers=system.headers(Role.coordinator), timeout=10,
                   json={"kind": kind, "level": level, "region_code": region_code, "names": {"ru": name}})
    assert r.status_code == 201, r.text
    org_id: int = r.json()["id"]
    return org_id


def create_account(system: System, admin_id: int, login: str, display_name: str, roles: list[str],
                   org_ids: list[int] | None = None) -> dict[str, Any]:
    r = httpx.post(system.orgs.url + "/v1/accounts", headers=system.headers(Role.admin, account_id=admin_id),
                   timeout=10, json={"login": login, "display_name": display_name, "password": PASSWORD,
                                     "roles": roles, "org_ids": org_ids or []})
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    return account


def create_admin(system: System) -> int:
    """The first admin, made the way an operator makes it: `ashyq create-admin`, password on stdin."""
    login = unique("admin")
    done = system.ashyq("create-admin", "--login", login, "--display-name", "Администратор системы",
                        stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def sign_in(gateway: httpx.Client, login: str, password: str = PASSWORD) -> httpx.Response:
    """The login form as a browser submits it: read the page for its CSRF token, post the form."""
    form = gateway.get("/login")
    assert form.status_code == 200, form.text
    return gateway.post("/login", data={"login": login, "password": password, "csrf_token": csrf_token(form.text),
                                        "next": "/"})


def first_revision(service: str) -> str:
    """The service's first migration: a schema every later migration must carry data forward from."""
    (base,) = ScriptDirectory.from_config(alembic_config(service, "")).get_bases()
    return str(base)


def is_problem(response: httpx.Response, status: int) -> bool:
    return (response.status_code == status and response.headers.get("content-type", "").startswith(PROBLEM_JSON)
            and response.json().get("status") == status)


# --- the databases, read directly ------------------------------------------------------------------

def table_names(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [row[0] for row in rows]


def table_fingerprints(system: System, database: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the md5 of all its rows in a total order (every column, as text)."""
    fingerprints: dict[str, tuple[int, str]] = {}
    with system.cluster.connect(database) as connection:
        for table in table_names(connection):
            query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY t::text COLLATE \"C\"").format(sql.Identifier(table))
            digest = hashlib.md5()
            count = 0
            for (row,) in connection.execute(query):
                digest.update(row.encode())
                digest.update(b"\n")
                count += 1
            fingerprints[table] = (count, digest.hexdigest())
    return fingerprints


def sequence_values(system: System, database: str) -> dict[str, int]:
    """Where each id sequence stands: a restore must not hand out ids that already exist."""
    with system.cluster.connect(database) as connection:
        rows = connection.execute("SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
                                  "WHERE schemaname = 'public'")
        return {name: int(value) for name, value in rows}
