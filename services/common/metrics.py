"""Prometheus `/metrics` of every service: requests by route template, and business gauges read on scrape.

Each app has its own registry (several apps share one process in the tests). prometheus-fastapi-instrumentator
counts requests and times them by route template (`/v1/orgs/{org_id}`, never the raw path; paths that match no
route are left out), method and status. Business gauges are read from the service's own database when a scrape
comes — two small SQL statements, the answer kept for `metrics_cache_seconds` — so they cost nothing between
scrapes and are never stale by more than that. If the database cannot be read, the scrape still answers, with
`ashyq_business_gauges_ok 0` and without the gauges (a missing series is better than a wrong one).

`/metrics` answers only clients in `metrics_allow_from` (loopback and private networks by default): a service's
own port is meant for the internal network, and the gateway's — the public site — must not show its metrics to
visitors; to anyone else `/metrics` is a 404. Behind a reverse proxy, set the proxy's address in
FORWARDED_ALLOW_IPS so the client address is the visitor's, or keep the proxy from forwarding `/metrics`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import Boolean, Date, String, column, exists, func, select, table
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import KAZAKHSTAN, UTCDateTime, today_kz, utcnow
from services.common.settings import PRIVATE_NETWORKS
from services.contracts.dialogue import RecommendationStatus
from services.contracts.orgs import OrgKind

log = logging.getLogger("ashyq.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GaugeReader = Callable[[AsyncEngine], Awaitable[list[Metric]]]


class BusinessGauges(Collector):
    """Gauges computed from the database on scrape (see `refresh`), kept `cache_seconds`."""

    def __init__(self, read: GaugeReader, cache_seconds: float) -> None:
        self.read = read
        self.cache_seconds = cache_seconds
        self._metrics: list[Metric] = []
        self._ok = False
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self, engine: AsyncEngine) -> None:
        async with self._lock:
            if time.monotonic() - self._read_at < self.cache_seconds:
                return
            try:
                self._metrics, self._ok = await self.read(engine), True
            except Exception as exc:
                self._metrics, self._ok = [], False
                log.warning("business gauges could not be read: %s", type(exc).__name__)
            self._read_at = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("ashyq_business_gauges_ok",
                                "1 when the business gauges of this scrape were read from the database",
                                value=int(self._ok))
        yield from self._metrics


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by_label(name: str, documentation: str, label: str, values: dict[str, int],
              every: Iterable[str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key in sorted({*every, *values}):
        family.add_metric([key], values.get(key, 0))
    return family


# --- orgs: the registry's own tables (services/orgs/models.py) ------------------------------------------------

_organization = table("organization", column("kind", String), column("is_archived", Boolean))
_account = table("account", column("is_disabled", Boolean))


async def orgs_gauges(engine: AsyncEngine) -> list[Metric]:
    async with engine.connect() as connection:
        kinds: dict[str, int] = {kind: count for kind, count in await connection.execute(
            select(_organization.c.kind, func.count()).where(_organization.c.is_archived.is_(False))
            .group_by(_organization.c.kind))}
        accounts = (await connection.execute(
            select(func.count()).select_from(_account).where(_account.c.is_disabled.is_(False)))).scalar_one()
    return [
        _by_label("ashyq_organizations", "Organizations in the registry (not archived), by kind", "kind", kinds,
                  [k.value for k in OrgKind]),
        _gauge("ashyq_accounts_active", "Accounts that may sign in (not disabled)", accounts),
    ]


# --- dialogue: its own tables (services/dialogue/models.py) -----------------------------------------------------

OPEN_STATUSES = ("sent", "answered", "in_progress")  # as services.dialogue.recommendations.OPEN_STATUSES
_recommendation = table("recommendation", column("id"), column("status", String), column("response_due_on", Date))
_addressee = table("recommendation_addressee", column("recommendation_id"), column("decision", String))
_session = table("dialogue_session", column("status", String), column("starts_at", UTCDateTime()))
_outbox = table("outbox_event", column("occurred_at", UTCDateTime()), column("delivered_at", UTCDateTime()))


async def dialogue_gauges(engine: AsyncEngine) -> list[Metric]:
    today = today_kz()
    day_starts = datetime(today.year, today.month, today.day, tzinfo=KAZAKHSTAN)
    r, a, s, o = _recommendation.c, _addressee.c, _session.c, _outbox.c
    # Overdue exactly as services.dialogue.recommendations.overdue_condition: sent, deadline passed, and some
    # addressee body has not answered yet.
    overdue = select(func.count()).select_from(_recommendation).where(
        r.status == "sent", r.response_due_on < today,
        exists().where(a.recommendation_id == r.id, a.decision.is_(None))).scalar_subquery()
    sessions_today = select(func.count()).select_from(_session).where(
        s.starts_at >= day_starts, s.starts_at < day_starts + timedelta(days=1),
        s.status.not_in(["draft", "cancelled"])).scalar_subquery()
    pending = o.delivered_at.is_(None)
    backlog = select(func.count()).select_from(_outbox).where(pending).scalar_subquery()
    oldest = select(func.min(o.occurred_at)).where(pending).scalar_subquery()
    async with engine.connect() as connection:
        statuses: dict[str, int] = {status: count for status, count in await connection.execute(
            select(r.status, func.count()).group_by(r.status))}
        row = (await connection.execute(select(overdue, sessions_today, backlog, oldest))).one()
    overdue_count, today_count, backlog_count, oldest_at = row
    age = max(0.0, (utcnow() - oldest_at).total_seconds()) if oldest_at is not None else 0.0
    return [
        _by_label("ashyq_recommendations", "Recommendations by status", "status", statuses,
                  [s.value for s in RecommendationStatus]),
        _gauge("ashyq_recommendations_open", "Recommendations sent and not yet closed (sent, answered, in_progress)",
               sum(statuses.get(x, 0) for x in OPEN_STATUSES)),
        _gauge("ashyq_recommendations_overdue",
               "Recommendations past their response deadline with an addressee body that has not answered",
               overdue_count),
        _gauge("ashyq_sessions_today", "Sessions (not draft, not cancelled) starting today, Kazakhstan time",
               today_count),
        _gauge("ashyq_outbox_backlog", "Outbox events not yet handed to the worker's notices and webhooks",
               backlog_count),
        _gauge("ashyq_outbox_oldest_pending_seconds", "Age of the oldest undelivered outbox event (0 when none)",
               round(age, 3)),
    ]


BUSINESS_GAUGES: dict[str, GaugeReader] = {"orgs": orgs_gauges, "dialogue": dialogue_gauges}


# --- wiring ------------------------------------------------------------------------------------------------------

def _networks(allow_from: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in allow_from]


def _client_allowed(request: Request, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def install_metrics(app: FastAPI, *, allow_from: Sequence[str] = PRIVATE_NETWORKS, gauges: GaugeReader | None = None,
                    cache_seconds: float = 5.0, get_engine: Callable[[Request], AsyncEngine] | None = None,
                    ) -> CollectorRegistry:
    """Instrument the app's requests and add `GET /metrics`; returns the app's registry (also at
    `app.state.metrics_registry`) for metrics of its own. Call it before `install_request_logging`."""
    registry = CollectorRegistry(auto_describe=True)
    app.state.metrics_registry = registry
    Instrumentator(should_group_status_codes=False, should_ignore_untemplated=True, excluded_handlers=["/metrics"],
                   registry=registry).instrument(app, latency_lowr_buckets=LATENCY_BUCKETS)
    business = None
    if gauges is not None and get_engine is not None:
        business = BusinessGauges(gauges, cache_seconds)
        registry.register(business)
    networks = _networks(allow_from)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not _client_allowed(request, networks):
            return PlainTextResponse("Not Found", status_code=404)
        if business is not None and get_engine is not None:
            await business.refresh(get_engine(request))
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type)

    return registry


def upstream_errors(registry: CollectorRegistry) -> Callable[[str, str], Any]:
    """A counter of failed calls to another service (unreachable, 5xx, unreadable answer), by upstream and
    reason; returns the function that counts one."""
    counter = Counter("ashyq_upstream_errors", "Calls to another service that failed (it was down, timed out, "
                      "answered 5xx or something unreadable)", ["upstream", "reason"], registry=registry)

    def count(upstream: str, reason: str) -> None:
        counter.labels(upstream, reason).inc()

    return count
