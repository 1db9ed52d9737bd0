"""iCalendar (RFC 5545) for sessions: one file per session and subscribable feeds per organizer and region.

Each session is one event for its whole life: the UID never changes and SEQUENCE is the session's
`calendar_sequence`, raised in the same transaction as every change a calendar shows, so a subscribed
calendar updates the event it has. Cancelled sessions stay in the feeds as STATUS:CANCELLED; drafts never
appear. Times carry TZID=Asia/Almaty with its VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from services.common.db import KAZAKHSTAN, AsyncSession, kato_condition, utcnow
from services.dialogue.models import DialogueSession, SessionOrganizer
from services.dialogue.wording import KIND

if TYPE_CHECKING:
    from icalendar import Event

# icalendar (~3 MB resident) is imported by the first calendar asked for, not when the service starts.

DOMAIN = "ashyq.kz"
DEFAULT_DURATION = timedelta(hours=2)
FEED_LIMIT = 1000
CONFIRMED = frozenset({"scheduled", "in_progress", "concluded"})  # STATUS:CONFIRMED; cancelled → CANCELLED
CAPTION = {"ru": "Ashyq: заседания", "kk": "Ashyq: отырыстар"}


def uid(session_id: int) -> str:
    return f"session-{session_id}@{DOMAIN}"


def session_event(s: DialogueSession, language: str, public_url: str) -> Event:
    from icalendar import Event
    from icalendar.enums import STATUS as EventStatus

    status = (EventStatus.CONFIRMED if s.status in CONFIRMED
              else EventStatus.CANCELLED if s.status == "cancelled" else EventStatus.TENTATIVE)
    title = (s.title_kk if language == "kk" else None) or s.title_ru
    starts = s.starts_at.astimezone(KAZAKHSTAN)
    ends = (s.ends_at or s.starts_at + DEFAULT_DURATION).astimezone(KAZAKHSTAN)
    link = f"{public_url.rstrip('/')}/sessions/{s.id}"
    description = "\n\n".join(x for x in (s.description, s.online_url, link) if x)
    event = Event.new(
        uid=uid(s.id or 0), sequence=s.calendar_sequence, stamp=s.updated_at, created=s.created_at,
        last_modified=s.updated_at, start=starts, end=ends, summary=title, description=description,
        location=s.venue or s.online_url, status=status, url=link,
        categories=[KIND["kk" if language == "kk" else "ru"].get(s.kind, s.kind)],
    )
    return event


def calendar(rows: Sequence[DialogueSession], language: str, public_url: str, name: str, feed: str) -> bytes:
    """A VCALENDAR of the sessions; `feed` names it (its UID stays the same from one download to the next)."""
    from icalendar import Calendar

    cal = Calendar.new(prodid=f"-//Ashyq//Dialogue//{language.upper()}", name=name, method="PUBLISH",
                       uid=f"{feed}@{DOMAIN}")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-wr-timezone", "Asia/Almaty")
    cal.add("x-published-ttl", "PT1H")
    for s in rows:
        cal.add_component(session_event(s, language, public_url))
    if rows:
        first = min(s.starts_at for s in rows).astimezone(KAZAKHSTAN).date()
        last = max((s.ends_at or s.starts_at) for s in rows).astimezone(KAZAKHSTAN).date()
        cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))
    body: bytes = cal.to_ical()
    return body


def _published() -> ColumnElement[bool]:
    return col(DialogueSession.status) != "draft"


async def _feed(db: AsyncSession, condition: ColumnElement[bool], past_days: int) -> list[DialogueSession]:
    since = utcnow() - timedelta(days=past_days)
    return list((await db.exec(
        select(DialogueSession).where(condition, _published(), col(DialogueSession.starts_at) >= since)
        .order_by(col(DialogueSession.starts_at), col(DialogueSession.id)).limit(FEED_LIMIT))).scalars())


async def organizer_feed(db: AsyncSession, org_id: int, past_days: int) -> list[DialogueSession]:
    organized = col(DialogueSession.id).in_(
        select(col(SessionOrganizer.session_id)).where(col(SessionOrganizer.org_id) == org_id))
    return await _feed(db, organized, past_days)


async def region_feed(db: AsyncSession, kato: str, past_days: int) -> list[DialogueSession]:
    return await _feed(db, kato_condition(col(DialogueSession.region_code), kato), past_days)
