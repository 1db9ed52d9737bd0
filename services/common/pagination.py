"""Keyset pagination: an opaque cursor holding the sort key of the last row served."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, tuple_

from services.common.problems import Unprocessable, field_error

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Cursor ids are compared with 32-bit integer columns: anything larger makes PostgreSQL fail the query.
_INT_RANGE = range(-(2**31), 2**31)


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value in _INT_RANGE
    return isinstance(value, kind)


def decode_cursor(cursor: str, size: int, types: Sequence[type] | None = None) -> list[Any]:
    """The sort key inside `cursor`; with `types`, each value must have its column's type.

    A cursor is opaque but not trusted: a client can hand back anything, and a value of the wrong type
    would reach the database as a bound parameter (a 500 on PostgreSQL, silently no rows on SQLite).
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not one this service issued.",
                            errors=[field_error("cursor", "malformed cursor")]) from exc
    if not isinstance(values, list) or len(values) != size:
        raise Unprocessable("The cursor does not fit this list.", errors=[field_error("cursor", "malformed cursor")])
    if types is not None and not all(_fits(v, t) for v, t in zip(values, types, strict=True)):
        raise Unprocessable("The cursor does not fit this list.", errors=[field_error("cursor", "malformed cursor")])
    return values


def after(columns: Sequence[ColumnElement[Any]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in ascending order of `columns` (row-value comparison)."""
    return tuple_(*columns) > tuple_(*values)


def cursor_datetime(raw: str) -> datetime:
    """A timezone-aware timestamp from a decoded cursor (422 for anything else, never a database error)."""
    try:
        value = datetime.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise Unprocessable("The cursor does not fit this list.",
                            errors=[field_error("cursor", "malformed cursor")]) from exc
    if value.tzinfo is None:
        raise Unprocessable("The cursor does not fit this list.", errors=[field_error("cursor", "malformed cursor")])
    return value


def cursor_date(raw: str) -> date:
    """A calendar date from a decoded cursor (422 for anything else)."""
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise Unprocessable("The cursor does not fit this list.",
                            errors=[field_error("cursor", "malformed cursor")]) from exc
