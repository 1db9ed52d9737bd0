"""Leases on rows several workers poll (outbox events, notices, webhook deliveries).

A worker claims rows atomically before working on them and finishes a row only while its lease holds, so
two workers never handle the same row at once; a crashed worker's lease runs out and another takes over.
PostgreSQL: one UPDATE over `SELECT … FOR UPDATE SKIP LOCKED`. SQLite (one writer at a time): a conditional
UPDATE per candidate row, claimed only if it still says nobody holds it (its rowcount says who won).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.common.db import AsyncSession


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def free(model: Any, now: datetime) -> ColumnElement[bool]:
    table = _table(model)
    return or_(table.c.claimed_by.is_(None), table.c.claimed_until < now)


async def claim(sessionmaker: async_sessionmaker[AsyncSession], model: Any, due: ColumnElement[bool], *,
                worker: str, now: datetime, lease_seconds: float, limit: int) -> list[int]:
    """Ids of up to `limit` due rows, now leased to `worker` until now + lease (committed before returning)."""
    table = _table(model)
    until = now + timedelta(seconds=lease_seconds)
    claimable = select(table.c.id).where(due, free(model, now)).order_by(table.c.id).limit(limit)
    async with sessionmaker() as session:
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            locked = claimable.with_for_update(skip_locked=True).correlate(None).scalar_subquery()
            result = await session.exec(update(table).where(table.c.id.in_(locked))
                                           .values(claimed_by=worker, claimed_until=until).returning(table.c.id))
            ids = sorted(row[0] for row in result)
        else:
            candidates = [row[0] for row in await session.exec(claimable)]
            ids = []
            for row_id in candidates:
                result = await session.exec(update(table).where(table.c.id == row_id, due, free(model, now))
                                               .values(claimed_by=worker, claimed_until=until))
                if result.rowcount == 1:
                    ids.append(row_id)
        await session.commit()
    return ids


async def finish(session: AsyncSession, model: Any, row_id: int, worker: str, **values: Any) -> bool:
    """Write the outcome and release the lease, only if `worker` still holds it (False: someone took over)."""
    table = _table(model)
    result = await session.exec(update(table).where(table.c.id == row_id, table.c.claimed_by == worker)
                                   .values(claimed_by=None, claimed_until=None, **values))
    return bool(result.rowcount == 1)


async def postpone(session: AsyncSession, model: Any, row_id: int, worker: str, until: datetime,
                   **values: Any) -> bool:
    """Keep the lease until `until`: nobody retries the row before then (a backoff after a failure)."""
    table = _table(model)
    result = await session.exec(update(table).where(table.c.id == row_id, table.c.claimed_by == worker)
                                   .values(claimed_until=until, **values))
    return bool(result.rowcount == 1)
