"""Backups of the services' PostgreSQL databases: `ashyq backup` and `ashyq restore`.

A backup is a folder named for its UTC time holding one `pg_dump -Fc` archive per database and a
`manifest.json` (size, sha256, Alembic revisions and PostgreSQL versions of each). A restore checks the
archives against the manifest and replays them with `pg_restore --clean --if-exists --no-owner` in one
transaction, and refuses to go back over a database whose schema is newer than the backup's.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import pool, text
from sqlalchemy.engine import make_url

from services.common.db import is_sqlite, make_engine
from services.common.migrations import alembic_config, current_revisions

MANIFEST = "manifest.json"
FORMAT = 1
# Dialogue first: it refers to registry ids, and the registry only grows (organizations and people are archived,
# never deleted), so every id the dialogue archive names is in the registry archive taken just after it.
BACKUP_ORDER = ("dialogue", "orgs")
TOOL_TIMEOUT_SECONDS = 6 * 3600


class OpsError(Exception):
    """The backup or restore cannot go on; the message tells the admin why and what to do."""


@dataclass(frozen=True)
class Connection:
    """How pg_dump and pg_restore reach one database: a libpq URI without the password, and the password apart
    (in PGPASSWORD, so it never shows in the process list)."""

    uri: str
    password: str | None
    database: str
    host: str

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def connection(service: str, url: str) -> Connection:
    if is_sqlite(url):
        raise OpsError(f"{service}: the database is SQLite ({make_url(url).database}); ashyq backup works on "
                       "PostgreSQL. Back the embedded default up by copying its files while the services are "
                       "stopped (see docs/operations.md).")
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise OpsError(f"{service}: not a PostgreSQL URL")
    if not parsed.database:
        raise OpsError(f"{service}: the database URL names no database")
    query = dict(parsed.query)
    if "ssl" in query:  # asyncpg's name for what libpq calls sslmode
        query["sslmode"] = query.pop("ssl")
    plain = parsed.set(drivername="postgresql", password=None, query=query)
    return Connection(uri=plain.render_as_string(hide_password=False), password=parsed.password,
                      database=parsed.database, host=str(parsed.host or query.get("host") or "local socket"))


def tool(name: str) -> str:
    """pg_dump / pg_restore from ASHYQ_PG_BIN (a folder) or the PATH; they must be at least as new as the server."""
    folder = os.environ.get("ASHYQ_PG_BIN")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise OpsError(f"{name} is not installed (Debian: apt-get install postgresql-client, the same major version "
                       "as the server or newer), or set ASHYQ_PG_BIN to the folder that holds it")
    return found


def _run(args: list[str], conn: Connection | None = None) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS,  # noqa: S603
                              env=conn.environment() if conn else None, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OpsError(f"{Path(args[0]).name} did not finish within {TOOL_TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        raise OpsError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def tool_version(name: str) -> str:
    return _run([tool(name), "--version"]).strip()


async def _inspect(url: str) -> tuple[list[str], str]:
    """The database's Alembic revisions (none before the first migration) and its server version."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            version = str((await conn.execute(text("SHOW server_version"))).scalar_one())
        revisions = sorted(await current_revisions(engine))
    finally:
        await engine.dispose()
    return revisions, version


def inspect_database(service: str, url: str) -> tuple[list[str], str]:
    try:
        return asyncio.run(_inspect(url))
    except Exception as exc:
        name = make_url(url).database
        reason = getattr(exc, "orig", None) or exc  # the driver's own words, without SQLAlchemy's wrapper
        raise OpsError(f"{service}: cannot read the database {name!r} ({reason}). It must exist "
                       f"and be reachable; create an empty one first if needed (CREATE DATABASE …).") from exc


def archive_revisions(path: Path) -> list[str]:
    """The Alembic revisions stored inside a pg_dump archive (its alembic_version table), read with pg_restore."""
    script = _run([tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)])
    revisions: list[str] = []
    in_copy = False
    for line in script.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            in_copy = True
        elif in_copy and line == "\\.":
            break
        elif in_copy and line:
            revisions.append(line.strip())
    return sorted(revisions)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def backup(urls: Mapping[str, str], destination: Path) -> Path:
    """Dump each service's database into a new folder under `destination`; returns the folder.

    The archives are written into a hidden `.…partial` folder renamed at the end, so a folder with a
    timestamp name is always a complete backup.
    """
    conns = {service: connection(service, url) for service, url in urls.items()}
    pg_dump = tool("pg_dump")
    dump_version = tool_version("pg_dump")
    destination.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    final = destination / stamp
    suffix = 1
    while final.exists():
        suffix += 1
        final = destination / f"{stamp}-{suffix}"
    work = destination / f".{final.name}.partial"
    work.mkdir(mode=0o700)
    try:
        manifest: dict[str, Any] = {
            "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "ashyq_version": importlib.metadata.version("ashyq"), "pg_dump_version": dump_version, "databases": {},
        }
        for service in sorted(conns, key=lambda s: BACKUP_ORDER.index(s) if s in BACKUP_ORDER else len(BACKUP_ORDER)):
            conn = conns[service]
            _, server_version = inspect_database(service, urls[service])
            archive = work / f"{service}.dump"
            _run([pg_dump, "--format=custom", f"--file={archive}", f"--dbname={conn.uri}"], conn)
            manifest["databases"][service] = {
                "file": archive.name, "bytes": archive.stat().st_size, "sha256": sha256(archive),
                "alembic_revisions": archive_revisions(archive), "server_version": server_version,
                "database": conn.database, "host": conn.host,
            }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for path in work.iterdir():
            with path.open("rb") as f:
                os.fsync(f.fileno())
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return final


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise OpsError(f"{folder} holds no {MANIFEST}: not an ashyq backup folder") from exc
    except json.JSONDecodeError as exc:
        raise OpsError(f"{folder / MANIFEST} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise OpsError(f"{folder / MANIFEST}: unknown format {manifest.get('format')!r} (this version reads {FORMAT})")
    return manifest


def verify_archive(folder: Path, service: str, entry: Mapping[str, Any]) -> Path:
    path = folder / str(entry["file"])
    if not path.is_file():
        raise OpsError(f"{service}: {path} is missing")
    if path.stat().st_size != entry["bytes"] or sha256(path) != entry["sha256"]:
        raise OpsError(f"{service}: {path} does not match the manifest (size or sha256 differ): the backup is "
                       "damaged; restore another one")
    return path


def _lineage(script: ScriptDirectory, revision: str) -> set[str]:
    """A revision and every revision before it."""
    return {r.revision for r in script.iterate_revisions(revision, "base") if r is not None}


def check_not_newer(service: str, backup_revisions: Iterable[str], current: Iterable[str]) -> None:
    """Refuse when the database's schema is newer than the backup's (or unknown to this version of Ashyq)."""
    script = ScriptDirectory.from_config(alembic_config(service, ""))
    backup_revisions, current = list(backup_revisions), list(current)
    try:
        known: set[str] = set()
        for revision in backup_revisions:
            known |= _lineage(script, revision)
    except CommandError as exc:
        raise OpsError(f"{service}: the backup is at revision {backup_revisions}, which this version of Ashyq does "
                       "not know (a backup made by a newer version): restore it with that version") from exc
    for revision in current:
        if revision in known:
            continue
        try:
            script.get_revision(revision)
            why = "newer than the backup's"
        except CommandError:
            why = "which this version of Ashyq does not know (a newer version migrated it), not the backup's"
        raise OpsError(
            f"{service}: refusing to restore: the database is at schema revision {revision}, {why} "
            f"{backup_revisions or ['(none)']}. Restoring would put old tables under a newer version of Ashyq. "
            "Restore into an empty database, or with the Ashyq version that made the backup.")


@dataclass(frozen=True)
class Restored:
    service: str
    database: str
    revisions: list[str]
    at_head: bool


def restore(folder: Path, urls: Mapping[str, str]) -> list[Restored]:
    """Check every archive and every target first, then restore them one after the other (each in one
    transaction: a failed restore leaves that database as it was)."""
    manifest = read_manifest(folder)
    databases: dict[str, Any] = manifest.get("databases", {})
    plan: list[tuple[str, Connection, Path, list[str]]] = []
    for service, url in urls.items():
        if service not in databases:
            raise OpsError(f"{service}: this backup holds no archive of it (it has {sorted(databases)})")
        entry = databases[service]
        conn = connection(service, url)
        path = verify_archive(folder, service, entry)
        current, _ = inspect_database(service, url)
        check_not_newer(service, entry["alembic_revisions"], current)
        plan.append((service, conn, path, list(entry["alembic_revisions"])))
    pg_restore = tool("pg_restore")
    done: list[Restored] = []
    for service, conn, path, revisions in plan:
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              f"--dbname={conn.uri}", str(path)], conn)
        now, _ = inspect_database(service, urls[service])
        if now != sorted(revisions):
            raise OpsError(f"{service}: after the restore the database is at {now}, not at the backup's {revisions}")
        script = ScriptDirectory.from_config(alembic_config(service, ""))
        done.append(Restored(service, conn.database, now, set(now) == set(script.get_heads())))
    return done
