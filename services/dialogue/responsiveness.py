"""Each state body's responsiveness and the portal's totals, counted in the database and kept until data change.

Counting means reading every addressee of every sent recommendation, so the result is kept in memory and
reused while a fingerprint of the data — the newest recommendation, status change and answer (three
primary-key lookups) — and today's date stay the same. A change made on any replica changes the
fingerprint; only one recount runs at a time, and readers meanwhile get the last result. When counting is slow
(at a million recommendations it takes seconds), the reader who notices the change is not made to wait either:
the recount runs in the background and the last result is served until it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.common.db import AsyncSession, today_kz, utcnow
from services.contracts import dialogue as d
from services.dialogue.models import Recommendation, RecommendationAddressee, RecommendationResponse, StatusHistory
from services.dialogue.recommendations import overdue_condition

log = logging.getLogger("ashyq.dialogue.responsiveness")

SENT_STATUSES = ("sent", "answered", "in_progress", "implemented", "not_implemented")


def _answered_on(dialect: str) -> Any:
    """The date in Kazakhstan on which an answer came (Asia/Almaty: UTC+6 until 1 March 2024, UTC+5 since)."""
    at = RecommendationAddressee.answered_at
    if dialect == "postgresql":
        shift = case((at < literal_column("TIMESTAMPTZ '2024-02-29 18:00:00+00'"),
                      literal_column("INTERVAL '6 hours'")), else_=literal_column("INTERVAL '5 hours'"))
        return cast(func.timezone("UTC", at) + shift, Date)
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' and dates as 'YYYY-MM-DD'.
    return func.date(at, case((at < literal_column("'2024-02-29 18:00:00'"), "+6 hours"), else_="+5 hours"))


async def count(session: AsyncSession, today: date) -> d.ResponsivenessReport:
    """Per addressee body and in total, over every recommendation sent (as the portal has always counted)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    a: Any = RecommendationAddressee
    r: Any = Recommendation
    due = r.response_due_on
    answered = and_(a.decision.is_not(None), a.answered_at.is_not(None))
    answered_on = _answered_on(dialect)
    connection = await session.connection()

    def tally(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = (await connection.execute(
        select(a.org_id, func.count(), tally(and_(answered, or_(due.is_(None), answered_on <= due))),
               tally(and_(answered, due.is_not(None), answered_on > due)),
               tally(and_(~answered, or_(due.is_(None), due >= today))),
               tally(and_(~answered, due < today)))
        .join(r, r.id == a.recommendation_id)
        .where(r.sent_at.is_not(None))
        .group_by(a.org_id))).all()
    bodies = [d.BodyResponsiveness(org_id=org_id, sent=sent, answered_on_time=on_time or 0,
                                   answered_late=late or 0, awaiting=awaiting or 0, overdue=overdue or 0)
              for org_id, sent, on_time, late, awaiting, overdue in rows]
    bodies.sort(key=lambda b: (-b.overdue, -b.sent, b.org_id))
    sent, overdue = (await connection.execute(select(
        select(func.count()).where(r.status.in_(SENT_STATUSES)).scalar_subquery(),
        select(func.count()).where(overdue_condition(today)).scalar_subquery()))).one()
    return d.ResponsivenessReport(computed_at=utcnow(), sent=sent, overdue=overdue, bodies=bodies)


async def fingerprint(session: AsyncSession) -> tuple[Any, ...]:
    """Changes whenever a recommendation is added, changes status or is answered (or data are removed)."""
    row = (await (await session.connection()).execute(select(
        select(func.max(Recommendation.id)).scalar_subquery(),
        select(func.max(StatusHistory.id)).scalar_subquery(),
        select(func.max(RecommendationResponse.id)).scalar_subquery()))).one()
    return tuple(row)


@dataclass
class _Kept:
    key: tuple[Any, ...]
    report: d.ResponsivenessReport


class ResponsivenessCache:
    """The last report and what it was counted from; one recount at a time.

    A reader waits for a recount only while counting is quick (the last count took under `wait_seconds`) or
    nothing has been counted yet; otherwise it gets the last report and the recount runs in the background.
    """

    def __init__(self, wait_seconds: float = 0.5) -> None:
        self.kept: _Kept | None = None
        self.lock = asyncio.Lock()
        self.wait_seconds = wait_seconds
        self.last_count_seconds = 0.0
        self.background: asyncio.Task[d.ResponsivenessReport] | None = None

    async def report(self, session: AsyncSession,
                     sessionmaker: async_sessionmaker[AsyncSession]) -> d.ResponsivenessReport:
        key = (today_kz(), *(await fingerprint(session)))
        kept = self.kept
        if kept is not None and kept.key == key:
            return kept.report
        if kept is not None and self.lock.locked():
            return kept.report  # a recount is running; its result serves the next readers
        if kept is not None and self.last_count_seconds >= self.wait_seconds:
            if self.background is None or self.background.done():
                self.background = asyncio.create_task(self._recount(sessionmaker))
                self.background.add_done_callback(_log_failure)
            return kept.report
        return await self._recount(sessionmaker)

    async def _recount(self, sessionmaker: async_sessionmaker[AsyncSession]) -> d.ResponsivenessReport:
        async with self.lock:
            async with sessionmaker() as own:  # a fresh snapshot, not the request's
                key = (today_kz(), *(await fingerprint(own)))
                if self.kept is not None and self.kept.key == key:
                    return self.kept.report
                started = time.perf_counter()
                report = await count(own, key[0])
            self.last_count_seconds = time.perf_counter() - started
            self.kept = _Kept(key, report)
            return report

    async def aclose(self) -> None:
        """Stop a recount still running in the background (the service is shutting down)."""
        if self.background is not None and not self.background.done():
            self.background.cancel()
            await asyncio.gather(self.background, return_exceptions=True)


def _log_failure(task: asyncio.Task[d.ResponsivenessReport]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("recounting responsiveness in the background failed; the last figures are served",
                  exc_info=error)


def top(report: d.ResponsivenessReport, *, limit: int, org_ids: Sequence[int] = ()) -> d.ResponsivenessReport:
    """The report cut to the first `limit` bodies, or to the bodies asked for."""
    if org_ids:
        wanted = set(org_ids)
        found = {b.org_id: b for b in report.bodies if b.org_id in wanted}
        bodies = [found.get(i) or d.BodyResponsiveness(org_id=i) for i in org_ids]
    else:
        bodies = report.bodies[:limit]
    return report.model_copy(update={"bodies": bodies})

