"""The body of every service's Alembic env.py: async engines, batch mode for SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection

from services.common.db import async_url, make_engine


def run(metadata: MetaData, default_url: Callable[[], str]) -> None:
    config = context.config
    url = config.attributes.get("database_url") or default_url()

    def configure(connection: Connection | None = None) -> None:
        context.configure(
            connection=connection,
            url=None if connection is not None else async_url(url),
            target_metadata=metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
            literal_binds=connection is None,
        )

    if context.is_offline_mode():
        configure()
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(sync_connection: Connection) -> None:
        configure(sync_connection)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = make_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_async())
