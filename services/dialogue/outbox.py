"""The transactional outbox: events written with the change they report, delivered later."""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import select
from sqlmodel import col

from services.common.db import AsyncSession
from services.common.pagination import decode_cursor, encode_cursor
from services.contracts.dialogue import EventRead
from services.dialogue.models import OutboxEvent


def emit(session: AsyncSession, type_: str, subject: str, payload: dict[str, Any]) -> OutboxEvent:
    """Add an event to the current transaction: it commits or rolls back with the change itself."""
    event = OutboxEvent(type=type_, subject=subject, payload=jsonable_encoder(payload))
    session.add(event)
    return event


def event_read(event: OutboxEvent) -> EventRead:
    return EventRead(id=event.id or 0, type=event.type, subject=event.subject, payload=event.payload,
                     occurred_at=event.occurred_at, delivered_at=event.delivered_at)


async def list_events(
    session: AsyncSession, *, type_: str | None, subject: str | None, pending: bool | None, limit: int,
    cursor: str | None,
) -> tuple[list[OutboxEvent], str | None]:
    query = select(OutboxEvent)
    if type_:
        query = query.where(col(OutboxEvent.type) == type_)
    if subject:
        query = query.where(col(OutboxEvent.subject) == subject)
    if pending is not None:
        column = col(OutboxEvent.delivered_at)
        query = query.where(column.is_(None) if pending else column.is_not(None))
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        query = query.where(col(OutboxEvent.id) > int(last))
    rows = list((await session.exec(query.order_by(col(OutboxEvent.id)).limit(limit + 1))).scalars())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor
