"""Webhooks for API clients: subscriptions, Standard Webhooks signatures, retries, dead letters, replays.

A delivery is one event for one subscription. Its `webhook-id` never changes, so a receiver can drop a
message it already has; failures are retried with exponential backoff and jitter, and after
DIALOGUE_WEBHOOK_MAX_ATTEMPTS the delivery is dead until an admin replays it. Nothing is ever sent to a
private, loopback, link-local or otherwise non-public address unless an admin allows that host or network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import secrets
import socket
import time
from base64 import b64encode
from collections.abc import Sequence
from datetime import datetime, timedelta
from random import uniform
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from standardwebhooks.webhooks import Webhook

from services.common.db import AsyncSession, utcnow
from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import NotFound, Unprocessable, field_error
from services.contracts.auth import Actor, Role
from services.contracts.outbound import (
    DeliveryAttempt,
    DeliveryRead,
    DeliveryStatus,
    WebhookCreate,
    WebhookRead,
    webhook_envelope,
)
from services.dialogue.db import get_by_id
from services.dialogue.models import OutboxEvent, WebhookDelivery, WebhookSubscription

LOG_ENTRIES = 20
USER_AGENT = "Ashyq-Webhooks/1"


class WebhookNotFound(NotFound):
    title = "Webhook subscription not found"
    slug = "webhook-not-found"


class DeliveryNotFound(NotFound):
    title = "Webhook delivery not found"
    slug = "webhook-delivery-not-found"


class UnsafeDestination(Exception):
    """The URL's host is, or resolves to, an address deliveries must not reach."""


# --- where deliveries may go ------------------------------------------------------------------------------

def _allowed(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
             allowed: Sequence[str]) -> bool:
    for entry in allowed:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower().rstrip("."):
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def check_destination(url: str, allowed: Sequence[str]) -> None:
    """Resolve the host and refuse unless every address is public or allowed (checked again at every attempt,
    so a name that later resolves elsewhere is caught then)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        raise UnsafeDestination("not an http(s) URL with a host")
    if _allowed(host, None, allowed):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeDestination(f"the host {host} does not resolve") from exc
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not addresses:
        raise UnsafeDestination(f"the host {host} does not resolve")
    for address in sorted(addresses, key=str):
        if not _public(address) and not _allowed(host, address, allowed):
            raise UnsafeDestination(f"{host} resolves to {address}, a private, loopback or reserved address")


# --- subscriptions ---------------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


def webhook_read(sub: WebhookSubscription) -> WebhookRead:
    return WebhookRead(id=sub.id or 0, url=sub.url, event_types=list(sub.event_types), description=sub.description,
                       owner_org_id=sub.owner_org_id, owner_api_key_id=sub.owner_api_key_id,
                       is_active=sub.is_active, created_at=sub.created_at, deleted_at=sub.deleted_at,
                       version=sub.version)


def _owner_required(actor: Actor, data: WebhookCreate) -> None:
    if not actor.has(Role.admin) and data.owner_api_key_id is None and data.owner_org_id is None:
        raise Unprocessable("A subscription made by a service names the API key or organization that owns it.",
                            errors=[field_error("owner_api_key_id", "required for a service caller")])


async def create_subscription(session: AsyncSession, data: WebhookCreate, actor: Actor,
                              allowed: Sequence[str]) -> WebhookSubscription:
    _owner_required(actor, data)
    try:
        await check_destination(str(data.url), allowed)
    except UnsafeDestination as exc:
        raise Unprocessable("Webhooks are delivered only to public addresses.",
                            errors=[field_error("url", str(exc))]) from exc
    sub = WebhookSubscription(url=str(data.url), event_types=[t.value for t in data.event_types],
                              secret=new_secret(), description=data.description, owner_org_id=data.owner_org_id,
                              owner_api_key_id=data.owner_api_key_id, created_by=actor.account_id)
    session.add(sub)
    await session.flush()
    return sub


async def get_subscription(session: AsyncSession, sub_id: int) -> WebhookSubscription:
    sub = await get_by_id(session, WebhookSubscription, sub_id)
    if sub is None:
        raise WebhookNotFound(f"No webhook subscription with id {sub_id}.")
    return sub


async def list_subscriptions(session: AsyncSession, *, owner_org_id: int | None, owner_api_key_id: int | None,
                             include_deleted: bool, limit: int,
                             cursor: str | None) -> tuple[list[WebhookSubscription], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if owner_org_id is not None:
        conditions.append(col(WebhookSubscription.owner_org_id) == owner_org_id)
    if owner_api_key_id is not None:
        conditions.append(col(WebhookSubscription.owner_api_key_id) == owner_api_key_id)
    if not include_deleted:
        conditions.append(col(WebhookSubscription.is_active).is_(True))
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        conditions.append(col(WebhookSubscription.id) > int(last))
    rows = list((await session.exec(select(WebhookSubscription).where(*conditions)
                                    .order_by(col(WebhookSubscription.id)).limit(limit + 1))).scalars())
    return rows[:limit], encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None


async def delete_subscription(session: AsyncSession, sub: WebhookSubscription) -> None:
    """Deliveries reference it, so it is archived; what has not gone out yet is cancelled."""
    now = utcnow()
    sub.is_active, sub.deleted_at = False, now
    pending = await session.exec(select(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == sub.id,
                                                               col(WebhookDelivery.status) == "pending"))
    for delivery in pending.scalars():
        delivery.status = DeliveryStatus.cancelled.value
    await session.flush()


# --- deliveries --------------------------------------------------------------------------------------------

def delivery_read(d: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=d.id or 0, subscription_id=d.subscription_id, event_id=d.event_id, event_type=d.event_type,
        message_id=d.message_id, status=DeliveryStatus(d.status), attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None, last_attempt_at=d.last_attempt_at,
        last_status_code=d.last_status_code, last_error=d.last_error, delivered_at=d.delivered_at,
        log=[DeliveryAttempt.model_validate(x) for x in d.attempt_log or []], created_at=d.created_at,
    )


async def list_deliveries(session: AsyncSession, sub: WebhookSubscription, *, status: DeliveryStatus | None,
                          limit: int, cursor: str | None) -> tuple[list[WebhookDelivery], str | None]:
    """Newest first."""
    conditions: list[ColumnElement[bool]] = [col(WebhookDelivery.subscription_id) == sub.id]
    if status is not None:
        conditions.append(col(WebhookDelivery.status) == status.value)
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        conditions.append(col(WebhookDelivery.id) < int(last))
    rows = list((await session.exec(select(WebhookDelivery).where(*conditions)
                                    .order_by(col(WebhookDelivery.id).desc()).limit(limit + 1))).scalars())
    return rows[:limit], encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None


async def replay(session: AsyncSession, delivery_id: int, actor: Actor) -> WebhookDelivery:
    """Send it again (same webhook-id) at the worker's next round, with a fresh count of attempts."""
    d = await get_by_id(session, WebhookDelivery, delivery_id)
    if d is None:
        raise DeliveryNotFound(f"No webhook delivery with id {delivery_id}.")
    sub = await get_subscription(session, d.subscription_id)
    if not sub.is_active:
        raise Unprocessable("The subscription was deleted; its deliveries cannot be replayed.")
    now = utcnow()
    d.status, d.attempts, d.next_attempt_at = "pending", 0, now
    d.claimed_by = d.claimed_until = None
    d.attempt_log = [*(d.attempt_log or []), {"at": now.isoformat(), "status_code": None,
                                              "error": f"replay requested by account {actor.account_id}",
                                              "duration_ms": 0}][-LOG_ENTRIES:]
    await session.flush()
    return d


def message_id(event_id: int, subscription_id: int) -> str:
    return f"msg_{event_id}_{subscription_id}"


async def record_deliveries(session: AsyncSession, event: OutboxEvent, subscriptions: Sequence[WebhookSubscription],
                            now: datetime) -> int:
    matching = [s for s in subscriptions if s.is_active and event.type in (s.event_types or [])]
    if not matching:
        return 0
    rows: list[dict[str, Any]] = [{"subscription_id": s.id, "event_id": event.id, "event_type": event.type,
             "message_id": message_id(event.id or 0, s.id or 0), "status": "pending", "attempts": 0,
             "next_attempt_at": now, "attempt_log": [], "created_at": now} for s in matching]
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    result = await session.exec(insert(WebhookDelivery).values(rows).on_conflict_do_nothing(
        index_elements=["subscription_id", "event_id"]))
    return int(result.rowcount or 0)


def backoff(attempts: int, schedule: Sequence[float]) -> timedelta:
    """The wait after the n-th failed attempt: the schedule's n-th step (its last one beyond), ±20 % jitter."""
    base = schedule[min(attempts, len(schedule)) - 1] if schedule else 60.0
    return timedelta(seconds=base * uniform(0.8, 1.2))  # noqa: S311 - jitter, not a secret


def body_of(event: OutboxEvent) -> bytes:
    data = {**(event.payload or {}), "event_id": event.id, "subject": event.subject}
    envelope = webhook_envelope(event.type, event.occurred_at, data)
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(secret: str, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature,
            "content-type": "application/json", "user-agent": USER_AGENT}


async def attempt(http: httpx.AsyncClient, sub: WebhookSubscription, delivery: WebhookDelivery, event: OutboxEvent,
                  *, allowed: Sequence[str], seconds: float) -> dict[str, Any]:
    """One POST. Returns the log entry: status_code (None when nothing answered) and a short error."""
    now = utcnow()
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        await check_destination(sub.url, allowed)
        body = body_of(event)
        response = await http.post(sub.url, content=body, headers=signed_headers(sub.secret, delivery.message_id,
                                                                                  body, now),
                                   timeout=seconds, follow_redirects=False)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except UnsafeDestination as exc:
        error = f"refused: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    return {"at": now.isoformat(), "status_code": status_code, "error": error,
            "duration_ms": int((time.monotonic() - started) * 1000)}
