"""Database plumbing shared by the services: URLs, engines, sessions, column types."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar, TypeVarTuple, overload
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, MetaData, event, or_
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import CursorResult, Dialect, Result, ScalarResult, TupleResult, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import declared_attr, registry
from sqlalchemy.sql import CompoundSelect
from sqlalchemy.sql import Select as SQLAlchemySelect
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession as SQLModelAsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from services.common.text import like_escape
from services.contracts.identifiers import MAX_RECORD_ID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are 32-bit integers on PostgreSQL: a larger id names no record, and binding one fails the query.
MAX_ID = MAX_RECORD_ID


def make_registry() -> registry:
    """A registry with its own metadata, so one service's tables stay out of another's migrations."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class Versioned:
    """Optimistic locking: UPDATE ... WHERE version = <read version>, so a lost update cannot happen.

    The table declares `version: int = Field(default=1)`; this mixin makes SQLAlchemy maintain it.
    """

    @declared_attr.directive
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


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(_connection: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any,
                _executemany: bool) -> None:
    """No text with the NUL character (U+0000) reaches the database: PostgreSQL cannot store or even compare
    it (the query fails: a 500), SQLite would keep it. Refused the same on both, as bad input (422)."""
    if _has_nul(parameters):
        from services.common.problems import Unprocessable  # problems imports this module

        raise Unprocessable("Text in the request contains the NUL character (U+0000), which no field accepts; "
                            "remove it and send the request again.")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    engine = _make_engine(url, **kwargs)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if "poolclass" not in kwargs and database and database != ":memory:":
            # Each SQLite connection has its own thread (aiosqlite) and page cache: under 8 concurrent pages
            # of the portal, SQLAlchemy's default 5 + 10 overflow connections were a service's largest growth
            # in memory (dialogue's peak: 148 MiB with 5 + 10, 134 with 5 + 5) and bought no throughput: SQLite
            # writes one at a time, and two cores run the rest. Some overflow stays: a request may hold a connection
            # while it opens another (dialogue's responsiveness recount, orgs' streamed exports).
            kwargs.setdefault("pool_size", 5)
            kwargs.setdefault("max_overflow", 5)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # A connection's own page cache (2 MiB by default) repeats what the operating system caches of the
            # file anyway; 1 MiB still holds what a page of any list touches (the statements of /v1/orgs and
            # /v1/recommendations ran no slower at 1 MiB against the 1M-row bench data; at 512 KiB the latter's
            # took 20 % longer).
            cursor.execute("PRAGMA cache_size=-1024")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)


_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
_Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class AsyncSession(SQLModelAsyncSession):
    """SQLModel's session, typed for SQLAlchemy's own `select()` too.

    At run time `exec` runs any statement (a SQLAlchemy Select gives SQLAlchemy's Result), but SQLModel's overloads
    name only its own `select()`; the services build SQLAlchemy statements (tuples, unions, CTEs), so the last
    overload says what they get. SQLModel's Select subclasses SQLAlchemy's: its own overloads come first and win.
    """

    @overload
    async def exec(self, statement: Select[*_Ts], *, params: _Params = None,  # type: ignore[overload-overlap]
                   execution_options: Mapping[str, Any] = ..., bind_arguments: dict[str, Any] | None = None,
                   _parent_execute_state: Any | None = None,
                   _add_event: Any | None = None) -> TupleResult[tuple[*_Ts]]: ...

    @overload
    async def exec(self, statement: SelectOfScalar[_T], *, params: _Params = None,  # type: ignore[overload-overlap]
                   execution_options: Mapping[str, Any] = ..., bind_arguments: dict[str, Any] | None = None,
                   _parent_execute_state: Any | None = None, _add_event: Any | None = None) -> ScalarResult[_T]: ...

    @overload
    async def exec(self, statement: UpdateBase, *, params: _Params = None,
                   execution_options: Mapping[str, Any] = ..., bind_arguments: dict[str, Any] | None = None,
                   _parent_execute_state: Any | None = None,
                   _add_event: Any | None = None) -> CursorResult[*tuple[Any, ...]]: ...

    @overload
    async def exec(self, statement: SQLAlchemySelect[*_Ts], *, params: _Params = None,
                   execution_options: Mapping[str, Any] = ..., bind_arguments: dict[str, Any] | None = None,
                   _parent_execute_state: Any | None = None, _add_event: Any | None = None) -> Result[*_Ts]: ...

    @overload
    async def exec(self, statement: CompoundSelect[*_Ts], *, params: _Params = None,
                   execution_options: Mapping[str, Any] = ..., bind_arguments: dict[str, Any] | None = None,
                   _parent_execute_state: Any | None = None, _add_event: Any | None = None) -> Result[*_Ts]: ...

    async def exec(self, statement: Any, **kwargs: Any) -> Any:
        return await super().exec(statement, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


# SQLSTATEs of a server that is down, restarting or full: class 08 (connection exception), 57P01-57P03 (admin or
# crash shutdown, "the database system is starting up"), 53300 (too many connections).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be reached right now, not a bug: the request is answered 503.

    The pool pings every connection before lending it out (pool_pre_ping), so once the server is back the
    next request reconnects by itself; until then connecting fails with the driver's own OSError (refused,
    unknown host, timeout), which SQLAlchemy passes on unwrapped.
    """
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection busy for pool_timeout seconds
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
    # The error itself, or what the driver raised beneath SQLAlchemy's wrapper.
    for error in (exc, getattr(exc, "orig", None), getattr(getattr(exc, "orig", None), "__cause__", None)):
        if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
            return True
        if type(error).__name__ == "ConnectionDoesNotExistError":  # asyncpg: the server closed it mid-query
            return True
    return False


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
