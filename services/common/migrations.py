"""Alembic, driven from code: one environment per service under migrations/<service>/."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

REPO_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(service: str, database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"), ini_section=service)
    config.set_main_option("script_location", str(REPO_ROOT / "migrations" / service))
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(service, database_url), revision)


def head_revisions(service: str) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(service, ""))
    return set(script.get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        heads = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    return set(heads)
