"""Database plumbing shared by the services: URLs, engines, sessions, column types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, MetaData, event, or_
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import declared_attr, registry
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.text import like_escape

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are 32-bit integers on PostgreSQL: a larger id names no record, and binding one fails the query.
MAX_ID = 2**31 - 1


def make_registry() -> registry:
    """A registry with its own metadata, so one service's tables stay out of another's migrations."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class Versioned:
    """Optimistic locking: UPDATE ... WHERE version = <read version>, so a lost update cannot happen.

    The table declares `version: int = Field(default=1)`; this mixin makes SQLAlchemy maintain it.
    """

    @declared_attr
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def utcnow() -> datetime:
    return datetime.now(UTC)


KAZAKHSTAN = ZoneInfo("Asia/Almaty")


def today_kz() -> date:
    """Today's date in Kazakhstan (UTC+5): deadlines and terms are dates there, not in UTC."""
    return datetime.now(KAZAKHSTAN).date()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps stored in UTC on every database (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every timestamp must carry its time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def async_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)




_Row = TypeVar("_Row")


async def get_by_id(session: AsyncSession, model: type[_Row], ident: int) -> _Row | None:
    """`session.get` for an id a client sent: one beyond the id column's range names no record
    (PostgreSQL would refuse to bind it, and the request would end in a 500)."""
    if not 0 < ident <= MAX_ID:
        return None
    return await session.get(model, ident)


def kato_condition(column: Any, code: str) -> ColumnElement[bool]:
    """A region and everything inside it: KATO codes nest by prefix (631010000 lies in 630000000).

    The two oblast digits always count, so 100000000 (Abai) does not take in 110000000 (Akmola).
    """
    prefix = code.rstrip("0")
    if len(prefix) < 2:
        prefix = code[:2]
    return or_(column == code, column.like(f"{like_escape(prefix)}%", escape="\\"))
