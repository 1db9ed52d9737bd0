"""A throwaway PostgreSQL cluster for the system tests: its own data folder, port and socket, never :5432."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from tests.system.processes import free_port

POSTGRES_USER = "postgres"


def postgres_bin() -> Path:
    """The newest PostgreSQL installed under /usr/lib/postgresql (Debian's layout), or ASHYQ_TEST_PG_BIN."""
    if configured := os.environ.get("ASHYQ_TEST_PG_BIN"):
        return Path(configured)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's postgresql)")
    return candidates[-1].parent


def as_postgres_user(command: Sequence[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", POSTGRES_USER, "--", *command]
    return list(command)


class PostgresCluster:
    """initdb in a temporary folder, trust authentication, C.UTF-8, TCP on 127.0.0.1:<free port> and a
    unix socket in the same folder. `pg_ctl` starts, stops and restarts it like an admin would."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="ashyq-system-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgresql.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, user=POSTGRES_USER, group=POSTGRES_USER)
        self.root.chmod(0o755)  # the test process (root or not) reads the server log on failure

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_postgres_user([str(self.bin / args[0]), *args[1:]]), capture_output=True,
                              text=True, timeout=timeout, check=True, cwd=self.root)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", POSTGRES_USER, "--auth=trust", "--locale=C.UTF-8",
                  "--encoding=UTF8", "--no-sync")
        # Throwaway cluster: no fsync (nothing here must survive the machine), a small footprint on 2 cores.
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nfsync = off\nfull_page_writes = off\n"
                       "max_connections = 200\nshared_buffers = 64MB\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", "60", "restart")

    def running(self) -> bool:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status", timeout=30)
        except subprocess.CalledProcessError:
            return False
        return True

    def destroy(self) -> None:
        # Already stopped, or never started: nothing to stop.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- databases ---------------------------------------------------------------------------------

    def url(self, database: str) -> str:
        """The URL the services get (the same form as in compose: user@host:port/database)."""
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", *, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=POSTGRES_USER, dbname=database,
                               autocommit=autocommit, connect_timeout=10)

    def create_database(self, name: str) -> str:
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
                               .format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.connect() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""
