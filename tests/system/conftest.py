"""The system under test: a throwaway PostgreSQL cluster and the three services as real processes.

One cluster and one set of services for the whole run (session scope), started with the commands compose
runs: `ashyq migrate all`, then `ashyq serve orgs|dialogue|gateway`, settings from the environment and the
secrets from files (ASHYQ_SECRETS_DIR). Tests talk to them over HTTP only and look at the databases with
psycopg. When a test fails, the tail of every service's log and of the server log is shown with it.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from tests.system.cluster import PostgresCluster
from tests.system.processes import ServiceProcess, ashyq, free_port, run_command

SERVICE_NAMES = ("orgs", "dialogue", "gateway")
_RUNNING: list[System] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "system: real processes and a throwaway PostgreSQL cluster (run by default)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.system)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and _RUNNING:
        system = _RUNNING[-1]
        for service in system.all_processes():
            report.sections.append((f"{service.name} log (last lines)", service.log_tail(80)))
        report.sections.append(("postgresql log (last lines)",
                                "\n".join(system.cluster.server_log().splitlines()[-40:])))
    return report


@dataclass
class System:
    cluster: PostgresCluster
    work: Path
    secret: str
    env: dict[str, str]
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    extra: list[ServiceProcess] = field(default_factory=list)  # processes a test starts for itself

    @property
    def orgs(self) -> ServiceProcess:
        return self.services["orgs"]

    @property
    def dialogue(self) -> ServiceProcess:
        return self.services["dialogue"]

    @property
    def gateway(self) -> ServiceProcess:
        return self.services["gateway"]

    def all_processes(self) -> list[ServiceProcess]:
        return [*self.services.values(), *self.extra]

    def headers(self, *roles: Role, account_id: int | None = 1, org_ids: list[int] | None = None) -> dict[str, str]:
        """A service token signed with the system's shared secret, naming an account and its roles."""
        actor = Actor(account_id=account_id, roles=list(roles), org_ids=org_ids or [])
        return {"Authorization": f"Bearer {issue_token(actor, self.secret, 300)}"}

    def ashyq(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
              timeout: float = 120) -> Any:
        """A one-shot `ashyq` command with the services' environment (plus `env`)."""
        return run_command([ashyq(), *args], {**self.env, **(env or {})}, stdin=stdin, timeout=timeout)

    def start_service(self, name: str, env: dict[str, str] | None = None, port: int | None = None) -> ServiceProcess:
        """Another service process for one test (stopped at the end of the run at the latest)."""
        process = ServiceProcess(name, port or free_port(), {**self.env, **(env or {})}, self.work / "logs")
        process.log_path = self.work / "logs" / f"{name}-{process.port}.log"
        self.extra.append(process)
        process.start()
        return process

    def restart(self, name: str) -> None:
        """The same command again on the same port (after a crash or a stop)."""
        self.services[name].start()
        self.services[name].wait_ready(timeout=60)


@pytest.fixture(autouse=True)
def _system_up(system: System) -> None:
    """Each test starts from a whole system: what an earlier test left stopped (after a failure) runs again."""
    if not system.cluster.running():
        system.cluster.start()
    for process in system.services.values():
        if not process.running():
            process.start()
            process.wait_ready(timeout=90)


def _write_secrets(folder: Path, secret: str) -> None:
    """Container-style secrets: one file per setting, read through ASHYQ_SECRETS_DIR."""
    folder.mkdir(mode=0o700)
    for name, value in {"orgs_service_secret": secret, "dialogue_service_secret": secret,
                        "gateway_service_secret": secret,
                        "gateway_session_secret": secrets.token_urlsafe(48)}.items():
        path = folder / name
        path.write_text(value)
        path.chmod(0o600)


@pytest.fixture(scope="session")
def system() -> Iterator[System]:
    work = Path(tempfile.mkdtemp(prefix="ashyq-system-"))
    (work / "logs").mkdir()
    cluster = PostgresCluster()
    secret = secrets.token_urlsafe(48)
    _write_secrets(work / "secrets", secret)
    ports = {name: free_port() for name in SERVICE_NAMES}
    env = {
        "ASHYQ_SECRETS_DIR": str(work / "secrets"),
        "ASHYQ_DATA_DIR": str(work / "data"),  # nothing may fall back to SQLite in the checkout
        "ORGS_ENVIRONMENT": "production", "DIALOGUE_ENVIRONMENT": "production",
        # The gateway's production mode marks cookies Secure, which a client never sends back over plain HTTP.
        "GATEWAY_ENVIRONMENT": "test",
        "ORGS_DATABASE_URL": cluster.url("orgs"), "DIALOGUE_DATABASE_URL": cluster.url("dialogue"),
        "DIALOGUE_ORGS_URL": f"http://127.0.0.1:{ports['orgs']}",
        "GATEWAY_ORGS_URL": f"http://127.0.0.1:{ports['orgs']}",
        "GATEWAY_DIALOGUE_URL": f"http://127.0.0.1:{ports['dialogue']}",
        "DIALOGUE_OVERDUE_SWEEP_SECONDS": "3600",  # no background writes while tests compare tables
        "DIALOGUE_ORGS_TIMEOUT_SECONDS": "5", "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "5",
        "ASHYQ_PG_BIN": str(cluster.bin),  # pg_dump / pg_restore of the cluster's own version
    }
    system = System(cluster=cluster, work=work, secret=secret, env=env)
    _RUNNING.append(system)
    try:
        cluster.init()
        cluster.start()
        cluster.create_database("orgs")
        cluster.create_database("dialogue")
        migrated = system.ashyq("migrate", "all")
        assert migrated.returncode == 0, migrated.stderr
        for name in SERVICE_NAMES:
            system.services[name] = ServiceProcess(name, ports[name], env, work / "logs")
            system.services[name].start()
        for process in system.services.values():
            process.wait_ready(timeout=90)
        yield system
    finally:
        for process in system.all_processes():
            process.stop(timeout=10)
        cluster.destroy()
        _RUNNING.remove(system)
        shutil.rmtree(work, ignore_errors=True)
