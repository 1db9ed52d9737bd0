"""Keyset pagination: an opaque cursor holding the sort key of the last row served."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, tuple_

from services.common.problems import Unprocessable, field_error

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not one this service issued.",
                            errors=[field_error("cursor", "malformed cursor")]) from exc
    if not isinstance(values, list) or len(values) != size:
        raise Unprocessable("The cursor does not fit this list.", errors=[field_error("cursor", "malformed cursor")])
    return values


def after(columns: Sequence[ColumnElement[Any]], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in ascending order of `columns` (row-value comparison)."""
    return tuple_(*columns) > tuple_(*values)
