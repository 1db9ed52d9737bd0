"""The SQLite engine's pool and page cache: bounded, so a service's memory stays bounded under load."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import pool, text

from services.common.db import make_engine


def test_pool_and_page_cache_of_a_sqlite_file(tmp_path: Path) -> None:
    async def check() -> tuple[int, int, int]:
        engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
        try:
            assert isinstance(engine.pool, pool.AsyncAdaptedQueuePool)
            async with engine.connect() as connection:
                cache = (await connection.execute(text("PRAGMA cache_size"))).scalar_one()
            return engine.pool.size(), engine.pool._max_overflow, cache
        finally:
            await engine.dispose()

    assert asyncio.run(check()) == (5, 5, -1024)


def test_an_explicit_pool_is_kept(tmp_path: Path) -> None:
    async def check() -> type[pool.Pool]:
        engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        await engine.dispose()
        return type(engine.pool)

    assert asyncio.run(check()) is pool.NullPool
