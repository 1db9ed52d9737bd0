"""Alembic, driven from code: one environment per service under migrations/<service>/.

Alembic itself is imported only by what migrates. A running service asks just two things, for /readyz:
which revisions its migration files end in (`declared_heads`, read from the files) and which revisions
the database is at (`stored_revisions`, read from the alembic_version table). Importing Alembic for
that (with Mako and every SQL dialect of its DDL) cost each service ~12 MB of resident memory.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/*/env.py (alembic_env) keeps it


def alembic_config(service: str, database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"), ini_section=service)
    config.set_main_option("script_location", str(REPO_ROOT / "migrations" / service))
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(service, database_url), revision)


def head_revisions(service: str) -> set[str]:
    """Alembic's own answer: the heads of the service's revision graph."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(service, ""))
    return set(script.get_heads())


def declared_heads(service: str) -> set[str]:
    """`head_revisions` without importing Alembic: the revisions that no other revision names as its
    down_revision (as Alembic's get_heads, depends_on does not count), from each migration file's literal
    assignments. A file this cannot read that way, or a down_revision that is not a revision id of the
    directory (a branch label, say), is left to Alembic."""
    below: dict[str, set[str]] = {}  # revision → the revisions it is built on
    for path in sorted((REPO_ROOT / "migrations" / service / "versions").glob("*.py")):
        values = _literal_assignments(path, ("revision", "down_revision"))
        revision, down = values.get("revision"), values.get("down_revision")
        ids = [] if down is None else [down] if isinstance(down, str) else down
        if (not isinstance(revision, str) or revision in below or not isinstance(ids, list | tuple)
                or not all(isinstance(i, str) for i in ids)):
            return head_revisions(service)
        below[revision] = set(ids)
    named_below = set().union(*below.values())
    if not named_below <= below.keys():
        return head_revisions(service)
    return set(below) - named_below


def _literal_assignments(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target: ast.expr
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                found[target.id] = ValueError  # not a literal: the caller falls back to Alembic
    return found


def _stored(connection: Connection) -> set[str]:
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())  # noqa: S608


async def stored_revisions(engine: AsyncEngine) -> set[str]:
    """What Alembic's MigrationContext.get_current_heads reads: the rows of alembic_version (none if absent)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_stored)


async def current_revisions(engine: AsyncEngine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        heads = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    return set(heads)
