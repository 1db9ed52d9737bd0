"""The outbox worker (`ashyq serve worker`): fans events out to e-mail notices and webhook deliveries and
sends them; also plans deadline reminders, sends daily digests and notes overdue recommendations.

Any number of workers may run: every row is leased before it is worked on (services.dialogue.leases), a
notice is unique per notice × recipient and a delivery per event × subscription, so nothing goes out twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, select
from sqlmodel import col

from services.common.db import AsyncSession, make_engine, make_sessionmaker, today_kz, utcnow
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from services.dialogue import calendars, leases, notify, webhooks
from services.dialogue.models import (
    DialogueSession,
    Notification,
    OutboxEvent,
    Participant,
    Recommendation,
    RecommendationAddressee,
    WebhookDelivery,
    WebhookSubscription,
)
from services.dialogue.orgs_client import OrgsClient, OrgsUnavailable
from services.dialogue.recommendations import sweep_overdue
from services.dialogue.settings import DialogueSettings

log = logging.getLogger("ashyq.dialogue.worker")

SESSION_FIELDS_SHOWN = {"title", "starts_at", "ends_at", "venue", "online_url", "format"}
RETRY_FAN_OUT = timedelta(seconds=60)
RETRY_MAIL = 60.0  # seconds, doubled with every failed attempt


class Worker:
    def __init__(self, settings: DialogueSettings, *, name: str | None = None,
                 orgs_transport: httpx.AsyncBaseTransport | None = None,
                 webhook_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._orgs_transport, self._webhook_transport = orgs_transport, webhook_transport
        self._last_sweep = float("-inf")

    async def __aenter__(self) -> Worker:
        self.engine = make_engine(self.settings.database_url)
        self.sessionmaker = make_sessionmaker(self.engine)
        self.orgs = OrgsClient(self.settings.orgs_url, self.settings.orgs_timeout_seconds,
                               transport=self._orgs_transport)
        self.http = httpx.AsyncClient(transport=self._webhook_transport, follow_redirects=False,
                                      timeout=httpx.Timeout(self.settings.webhook_timeout_seconds))
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.http.aclose()
        await self.orgs.aclose()
        await self.engine.dispose()

    def _token(self) -> str:
        """Lets the registry show this worker people's e-mail addresses (a named calling service)."""
        actor = Actor(roles=[Role.service], service="dialogue-worker")
        return issue_token(actor, self.settings.service_secret.get_secret_value(),
                           self.settings.service_token_ttl_seconds)

    def _claim(self, model: Any, due: Any, now: datetime) -> Any:
        return leases.claim(self.sessionmaker, model, due, worker=self.name, now=now,
                            lease_seconds=self.settings.worker_lease_seconds, limit=self.settings.worker_batch)

    # --- one round -----------------------------------------------------------------------------------

    async def run_once(self, now: datetime | None = None) -> dict[str, int]:
        now = now or utcnow()
        done = {"events": await self.fan_out(now), "reminders": await self.plan_reminders(now)}
        done["mail"] = await self.send_mail(utcnow())
        done["webhooks"] = await self.deliver_webhooks(utcnow())
        if time.monotonic() - self._last_sweep >= self.settings.overdue_sweep_seconds:
            self._last_sweep = time.monotonic()
            async with self.sessionmaker() as db:
                done["overdue"] = len(await sweep_overdue(db))
                await db.commit()
        return done

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker %s started", self.name)
        while not stop.is_set():
            busy = False
            try:
                busy = any((await self.run_once()).values())
            except Exception:
                log.exception("worker round failed; trying again")
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.name)

    # --- the outbox ------------------------------------------------------------------------------------

    async def fan_out(self, now: datetime) -> int:
        ids = await self._claim(OutboxEvent, col(OutboxEvent.delivered_at).is_(None), now)
        if not ids:
            return 0
        async with self.sessionmaker() as db:
            subscriptions = list((await db.exec(select(WebhookSubscription).where(
                col(WebhookSubscription.is_active).is_(True)))).scalars())
        done = 0
        for event_id in ids:
            try:
                async with self.sessionmaker() as db:
                    event = await db.get(OutboxEvent, event_id)
                    if event is None:
                        continue
                    notices = await self.notices_for(db, event)
                    await notify.record(db, notices, self.settings, now)
                    await webhooks.record_deliveries(db, event, subscriptions, now)
                    if not await leases.finish(db, OutboxEvent, event_id, self.name, delivered_at=now,
                                               attempts=event.attempts + 1):
                        await db.rollback()  # our lease ran out and another worker has the event
                        continue
                    await db.commit()
                    done += 1
            except Exception as exc:
                if isinstance(exc, OrgsUnavailable):
                    log.warning("event %s waits for the registry (orgs service unavailable)", event_id)
                else:
                    log.exception("event %s could not be fanned out; retrying later", event_id)
                async with self.sessionmaker() as db:
                    await leases.postpone(db, OutboxEvent, event_id, self.name, utcnow() + RETRY_FAN_OUT)
                    await db.commit()
        return done

    async def notices_for(self, db: AsyncSession, event: OutboxEvent) -> list[notify.Notice]:
        payload = event.payload or {}
        if event.type in ("recommendation.sent", "recommendation.overdue"):
            rec = await db.get(Recommendation, int(payload.get("recommendation_id") or 0))
            if rec is None:
                return []
            org_ids = [int(o) for o in payload.get("addressee_ids" if event.type == "recommendation.sent"
                                                   else "unanswered_org_ids") or []]
            found, _ = await self.orgs.orgs(org_ids)
            s = await db.get(DialogueSession, rec.session_id) if rec.session_id else None
            return [notify.recommendation_notice(event.type, rec, s, o, found.get(o), self.settings,
                                                 event_id=event.id, key=f"{event.type}:{rec.id}") for o in org_ids]
        if event.type in ("session.scheduled", "session.participant_added", "session.changed", "session.cancelled"):
            s = await db.get(DialogueSession, int(payload.get("session_id") or 0))
            if s is None:
                return []
            if event.type == "session.cancelled":
                kind, key = "session.cancelled", f"session.cancelled:{s.id}"
            elif event.type == "session.changed":
                if s.status not in ("scheduled", "in_progress") or not (
                        SESSION_FIELDS_SHOWN & set(payload.get("changed") or [])):
                    return []
                kind, key = "session.changed", f"session.changed:{event.id}"
            else:
                if s.status != "scheduled":
                    return []
                kind, key = "session.invitation", f"session.invitation:{s.id}"
            query = select(col(Participant.person_id)).where(col(Participant.session_id) == s.id,
                                                        col(Participant.person_id).is_not(None))
            if event.type == "session.participant_added":
                query = query.where(col(Participant.id) == int(payload.get("participant_id") or 0))
            people = sorted({row[0] for row in await db.exec(query) if row[0] is not None})
            ics = calendars.calendar([s], "ru", self.settings.public_url, calendars.CAPTION["ru"],
                                     f"session-{s.id}").decode()
            return [notify.session_notice(kind, s, person_id, self.settings, event_id=event.id, key=key,
                                          calendar=ics, reason=payload.get("reason")) for person_id in people]
        return []

    # --- reminders --------------------------------------------------------------------------------------

    async def plan_reminders(self, now: datetime) -> int:
        today = today_kz()
        horizon = today + timedelta(days=self.settings.reminder_days)
        async with self.sessionmaker() as db:
            recs = list((await db.exec(select(Recommendation).where(
                col(Recommendation.status) == "sent", col(Recommendation.response_due_on) >= today,
                col(Recommendation.response_due_on) <= horizon,
                col(Recommendation.sent_at) <= now - timedelta(days=1))
                .order_by(col(Recommendation.id)).limit(500))).scalars())
            if not recs:
                return 0
            unanswered: dict[int, list[int]] = defaultdict(list)
            for a in (await db.exec(select(RecommendationAddressee).where(
                    col(RecommendationAddressee.recommendation_id).in_([r.id for r in recs]),
                    col(RecommendationAddressee.decision).is_(None)))).scalars():
                unanswered[a.recommendation_id].append(a.org_id)
            keys = {r.id: f"recommendation.reminder:{r.id}:{r.response_due_on}" for r in recs}
            done = {(k, i) for k, i in await db.exec(
                select(col(Notification.notice_key), col(Notification.recipient_id))
                .where(col(Notification.notice_key).in_(list(keys.values()))))}
            todo = [(r, o) for r in recs for o in unanswered.get(r.id or 0, []) if (keys[r.id], o) not in done]
            if not todo:
                return 0
            try:
                found, _ = await self.orgs.orgs([o for _, o in todo])
            except OrgsUnavailable:
                return 0
            sessions = {r.session_id: await db.get(DialogueSession, r.session_id) for r, _ in todo if r.session_id}
            notices = [notify.recommendation_notice("recommendation.reminder", r,
                                                    sessions.get(r.session_id) if r.session_id else None, o,
                                                    found.get(o), self.settings, event_id=None, key=keys[r.id])
                       for r, o in todo]
            added = await notify.record(db, notices, self.settings, now)
            await db.commit()
            return added

    # --- e-mail -----------------------------------------------------------------------------------------

    async def send_mail(self, now: datetime) -> int:
        due = and_(col(Notification.status) == "pending", col(Notification.send_after) <= now)
        ids = await self._claim(Notification, due, now)
        if not ids:
            return 0
        async with self.sessionmaker() as db:
            rows = list((await db.exec(select(Notification).where(col(Notification.id).in_(ids))
                                       .order_by(col(Notification.id)))).scalars())
            if not self.settings.smtp_host:
                for n in rows:
                    await leases.finish(db, Notification, n.id or 0, self.name, status="skipped",
                                        last_error="e-mail is not configured (DIALOGUE_SMTP_HOST)")
                await db.commit()
                return len(rows)
            try:
                addresses = await self._addresses(rows)
            except OrgsUnavailable:
                for n in rows:
                    await leases.postpone(db, Notification, n.id or 0, self.name, now + timedelta(seconds=RETRY_MAIL))
                await db.commit()
                return 0
            mails: list[notify.Outgoing] = []
            by_recipient: dict[tuple[str, int], list[Notification]] = defaultdict(list)
            for n in rows:
                by_recipient[(n.recipient_kind, n.recipient_id)].append(n)
            for recipient, notices in by_recipient.items():
                address = addresses.get(recipient)
                if not address:
                    for n in notices:
                        await leases.finish(db, Notification, n.id or 0, self.name, status="skipped",
                                            last_error="no e-mail address in the registry")
                    continue
                digest = [n for n in notices if n.delivery == "digest"]
                for n in notices:
                    if n.delivery != "digest":
                        mails.append(notify.Outgoing([n.id or 0], address, n.subject, n.body,
                                                     f"<notification-{n.id}@ashyq.kz>", n.calendar))
                if digest:
                    subject, body = notify.digest_message(digest, today_kz())
                    mails.append(notify.Outgoing([n.id or 0 for n in digest], address, subject, body,
                                                 f"<digest-{digest[0].id}-{digest[-1].id}@ashyq.kz>"))
            await db.commit()
            results = await asyncio.to_thread(notify.send_all, self.settings, mails) if mails else []
            by_id = {n.id: n for n in rows}
            sent = failed = 0
            for mail, result in zip(mails, results, strict=True):
                for notification_id in mail.ids:
                    attempts = by_id[notification_id].attempts + 1
                    if result is None:
                        sent += 1
                        await leases.finish(db, Notification, notification_id, self.name, status="sent",
                                            sent_at=utcnow(), attempts=attempts, last_error=None)
                    elif isinstance(result, notify.PermanentFailure) or attempts >= self.settings.mail_max_attempts:
                        failed += 1
                        await leases.finish(db, Notification, notification_id, self.name, status="failed",
                                            attempts=attempts, last_error=str(result)[:300])
                    else:
                        await leases.finish(db, Notification, notification_id, self.name, attempts=attempts,
                                            last_error=str(result)[:300],
                                            send_after=utcnow() + timedelta(seconds=RETRY_MAIL * 2 ** (attempts - 1)))
            await db.commit()
        if mails:
            log.info("mail: %d notices sent, %d failed (notification ids %s)", sent, failed,
                     ",".join(str(i) for m in mails for i in m.ids))
        return len(rows)

    async def _addresses(self, rows: list[Notification]) -> dict[tuple[str, int], str]:
        org_ids = sorted({n.recipient_id for n in rows if n.recipient_kind == "org"})
        person_ids = sorted({n.recipient_id for n in rows if n.recipient_kind == "person"})
        out: dict[tuple[str, int], str] = {}
        if org_ids:
            found, _ = await self.orgs.orgs(org_ids)
            out |= {("org", i): str(o.contacts.email) for i, o in found.items() if o.contacts.email}
        if person_ids:
            people = await self.orgs.people_with_contacts(person_ids, self._token())
            out |= {("person", i): str(p.contacts.email) for i, p in people.items()
                    if p.contacts is not None and p.contacts.email}
        return out

    # --- webhooks ---------------------------------------------------------------------------------------

    async def deliver_webhooks(self, now: datetime) -> int:
        due = and_(col(WebhookDelivery.status) == "pending", col(WebhookDelivery.next_attempt_at) <= now)
        ids = await self._claim(WebhookDelivery, due, now)
        if not ids:
            return 0
        async with self.sessionmaker() as db:
            rows = list((await db.exec(select(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids))))
                        .scalars())
            subs = {s.id: s for s in (await db.exec(select(WebhookSubscription).where(
                col(WebhookSubscription.id).in_({d.subscription_id for d in rows})))).scalars()}
            events = {e.id: e for e in (await db.exec(select(OutboxEvent).where(
                col(OutboxEvent.id).in_({d.event_id for d in rows})))).scalars()}
        live = [d for d in rows if subs[d.subscription_id].is_active]
        entries = await asyncio.gather(*(webhooks.attempt(
            self.http, subs[d.subscription_id], d, events[d.event_id], allowed=self.settings.webhook_allowed_hosts,
            seconds=self.settings.webhook_timeout_seconds) for d in live))
        async with self.sessionmaker() as db:
            for d in rows:
                if d not in live:
                    await leases.finish(db, WebhookDelivery, d.id or 0, self.name, status="cancelled")
            for d, entry in zip(live, entries, strict=True):
                attempts = d.attempts + 1
                log_entries = [*(d.attempt_log or []), entry][-webhooks.LOG_ENTRIES:]
                outcome: dict[str, Any] = {"attempts": attempts, "attempt_log": log_entries,
                                           "last_attempt_at": datetime.fromisoformat(entry["at"]),
                                           "last_status_code": entry["status_code"], "last_error": entry["error"]}
                if entry["error"] is None:
                    outcome |= {"status": "succeeded", "delivered_at": utcnow()}
                elif attempts >= self.settings.webhook_max_attempts:
                    outcome |= {"status": "dead"}
                    log.warning("webhook delivery %s is dead after %d attempts", d.id, attempts)
                else:
                    outcome |= {"next_attempt_at": utcnow() + webhooks.backoff(
                        attempts, self.settings.webhook_retry_seconds)}
                await leases.finish(db, WebhookDelivery, d.id or 0, self.name, **outcome)
            await db.commit()
        return len(rows)


async def serve(settings: DialogueSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(settings) as worker:
        await worker.run(stop)


def main() -> None:
    settings = DialogueSettings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
