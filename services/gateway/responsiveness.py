"""How each state body answers the recommendations addressed to it: on time, late, awaiting, overdue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.contracts.dialogue import RecommendationRead

ALMATY = ZoneInfo("Asia/Almaty")


def today_in_kazakhstan() -> date:
    return datetime.now(ALMATY).date()


@dataclass
class Responsiveness:
    org_id: int
    sent: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    awaiting: int = 0
    overdue: int = 0

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def on_time_percent(self) -> int | None:
        """Share of the recommendations whose deadline has come that were answered by it."""
        due = self.answered + self.overdue
        return round(100 * self.answered_on_time / due) if due else None


def responsiveness(recs: Iterable[RecommendationRead], today: date | None = None) -> dict[int, Responsiveness]:
    """Per addressee body, over the recommendations that were sent (drafts and adopted ones are not yet asked)."""
    today = today or today_in_kazakhstan()
    out: dict[int, Responsiveness] = defaultdict(lambda: Responsiveness(0))
    for rec in recs:
        if rec.sent_at is None:
            continue
        for addressee in rec.addressees:
            row = out[addressee.org_id]
            row.org_id = addressee.org_id
            row.sent += 1
            if addressee.decision is not None and addressee.answered_at is not None:
                answered_on = addressee.answered_at.astimezone(ALMATY).date()
                if rec.response_due_on is None or answered_on <= rec.response_due_on:
                    row.answered_on_time += 1
                else:
                    row.answered_late += 1
            elif rec.response_due_on is not None and rec.response_due_on < today:
                row.overdue += 1
            else:
                row.awaiting += 1
    return dict(out)


def ranked(rows: dict[int, Responsiveness]) -> list[Responsiveness]:
    """Most overdue first, then the most asked: the bodies the public should look at."""
    return sorted(rows.values(), key=lambda r: (-r.overdue, -r.sent, r.org_id))
