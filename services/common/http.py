"""HTTP semantics shared by the services: ETag / If-Match and Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from services.common.db import AsyncSession, utcnow
from services.common.problems import Conflict, PreconditionFailed, PreconditionRequired, Unprocessable


def etag_for(resource_id: Any, version: int) -> str:
    return f'"{resource_id}.{version}"'


def set_etag(response: Response, resource_id: Any, version: int) -> None:
    response.headers["ETag"] = etag_for(resource_id, version)


def check_if_match(request: Request, resource_id: Any, version: int) -> None:
    """PATCH/DELETE must name the version they change: 428 without If-Match, 412 when stale."""
    header = request.headers.get("if-match")
    if not header:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    current = etag_for(resource_id, version)
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed("The resource changed since you read it; read it again and retry.",
                                 headers={"ETag": current})


def idempotency_table(metadata: MetaData) -> Table:
    """The replay store for Idempotency-Key, one per service database."""
    return Table(
        "idempotency_record",
        metadata,
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("location", String(500)),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


class Idempotency:
    """Replays the stored response of a POST retried with the same Idempotency-Key.

    The record is written in the same transaction as the created resource, so a retry sees either
    both or neither.
    """

    def __init__(self, table: Table, session: AsyncSession, request: Request, body: bytes) -> None:
        self.table = table
        self.session = session
        key = request.headers.get("idempotency-key")
        if key is not None and not (0 < len(key) <= 200):
            raise Unprocessable("Idempotency-Key must be 1–200 characters.")
        self.key = f"{request.method} {request.url.path} {key}" if key else None
        self.fingerprint = hashlib.sha256(body).hexdigest()

    async def replay(self) -> JSONResponse | None:
        if self.key is None:
            return None
        row = (await self.session.exec(select(self.table).where(self.table.c.key == self.key))).first()
        if row is None:
            return None
        if row.fingerprint != self.fingerprint:
            raise Unprocessable("This Idempotency-Key was already used with a different request body.")
        headers = {"Idempotent-Replayed": "true"}
        if row.location:
            headers["Location"] = row.location
        return JSONResponse(json.loads(row.body), status_code=row.status_code, headers=headers)

    async def remember(self, status_code: int, body: Any, location: str | None = None) -> None:
        if self.key is None:
            return
        try:
            async with self.session.begin_nested():
                await self.session.exec(
                    self.table.insert().values(
                        key=self.key, fingerprint=self.fingerprint, status_code=status_code,
                        body=json.dumps(jsonable_encoder(body), ensure_ascii=False), location=location,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError as exc:
            raise Conflict("A request with this Idempotency-Key is being processed; retry shortly.") from exc
