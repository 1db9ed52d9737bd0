"""The worker: leases make several workers share the outbox without handling an event twice, a crashed
worker's lease runs out, and `ashyq serve worker` runs it."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from services.cli import build_parser
from services.common.db import make_engine, make_sessionmaker, utcnow
from services.dialogue import leases
from services.dialogue.models import Notification, OutboxEvent
from tests.dialogue.helpers import as_admin, create_session, sent_recommendation, state_body
from tests.dialogue.outbound import webhook_receiver, workers


async def pending_event_ids(database_url: str) -> list[int]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as db:
            return [row[0] for row in await db.exec(select(OutboxEvent.id).where(
                OutboxEvent.delivered_at.is_(None)).order_by(OutboxEvent.id))]  # type: ignore[union-attr]
    finally:
        await engine.dispose()


class TestLeases:
    async def test_two_workers_claim_disjoint_rows_at_the_same_time(self, dialogue, orgs, dialogue_database_url):
        body = await state_body(orgs, "Акимат области")
        for n in range(6):
            await sent_recommendation(dialogue, [body], text=f"Рекомендация {n}")
        pending = await pending_event_ids(dialogue_database_url)
        engines = [make_engine(dialogue_database_url) for _ in range(2)]
        try:
            now = utcnow()
            due = OutboxEvent.delivered_at.is_(None)  # type: ignore[union-attr]
            first, second = await asyncio.gather(*(
                leases.claim(make_sessionmaker(e), OutboxEvent, due, worker=f"w{n}", now=now, lease_seconds=60,
                             limit=4) for n, e in enumerate(engines)))
            assert set(first).isdisjoint(second)  # (on SQLite one may lose every race and get nothing)
            assert first or second
            rest = await leases.claim(make_sessionmaker(engines[0]), OutboxEvent, due, worker="w3", now=now,
                                      lease_seconds=60, limit=10)
            assert sorted(first + second + rest) == pending  # each event leased once, to one worker
            assert await leases.claim(make_sessionmaker(engines[1]), OutboxEvent, due, worker="w4", now=now,
                                      lease_seconds=60, limit=10) == []
        finally:
            for engine in engines:
                await engine.dispose()

    async def test_a_crashed_workers_lease_runs_out(self, dialogue, orgs, dialogue_database_url):
        body = await state_body(orgs, "Акимат города")
        await sent_recommendation(dialogue, [body])
        engine = make_engine(dialogue_database_url)
        sessionmaker = make_sessionmaker(engine)
        due = OutboxEvent.delivered_at.is_(None)  # type: ignore[union-attr]
        try:
            now = utcnow()
            crashed = await leases.claim(sessionmaker, OutboxEvent, due, worker="crashed", now=now,
                                         lease_seconds=30, limit=10)
            assert crashed
            assert await leases.claim(sessionmaker, OutboxEvent, due, worker="other", now=now + timedelta(seconds=29),
                                      lease_seconds=30, limit=10) == []
            taken = await leases.claim(sessionmaker, OutboxEvent, due, worker="other", now=now + timedelta(seconds=31),
                                       lease_seconds=30, limit=10)
            assert taken == crashed
            async with sessionmaker() as db:  # the crashed worker wakes up: its lease is gone, it changes nothing
                assert await leases.finish(db, OutboxEvent, crashed[0], "crashed", delivered_at=utcnow()) is False
                assert await leases.finish(db, OutboxEvent, crashed[0], "other", delivered_at=utcnow()) is True
                await db.commit()
        finally:
            await engine.dispose()


class TestFanOut:
    async def test_three_workers_fan_each_event_out_once(self, dialogue, orgs, orgs_app, dialogue_database_url,
                                                         dialogue_app, monkeypatch):
        monkeypatch.setattr(dialogue_app.state.settings, "webhook_allowed_hosts", ["127.0.0.1"])
        bodies = [await state_body(orgs, f"Акимат района {n}") for n in range(3)]
        with webhook_receiver() as receiver:
            r = await dialogue.post("/v1/webhooks", json={"url": receiver.url, "event_types": ["recommendation.sent"]},
                                    headers=as_admin())
            assert r.status_code == 201, r.text
            for n in range(4):
                await sent_recommendation(dialogue, bodies, text=f"Рекомендация {n}")
            async with workers(dialogue_database_url, orgs_app, count=3) as pool:
                for _ in range(4):
                    await asyncio.gather(*(w.run_once() for w in pool))
        assert await pending_event_ids(dialogue_database_url) == []
        ids = [r["headers"]["webhook-id"] for r in receiver.requests]
        assert len(ids) == len(set(ids)) == 4
        engine = make_engine(dialogue_database_url)
        async with make_sessionmaker(engine)() as db:
            notices = list((await db.exec(select(Notification))).scalars())
        await engine.dispose()
        assert len(notices) == 4 * 3  # one per recommendation × addressee body
        assert len({(n.notice_key, n.recipient_id) for n in notices}) == 12
        assert {n.status for n in notices} == {"skipped"}  # no SMTP server configured for these workers

    async def test_session_events_without_people_make_no_mail(self, dialogue, orgs_app, dialogue_database_url):
        await create_session(dialogue, "Заседание без участников из реестра", status="scheduled")
        async with workers(dialogue_database_url, orgs_app) as pool:
            counts = await pool[0].run_once()
        assert counts["events"] == 1 and counts["mail"] == 0


class TestCommand:
    def test_ashyq_serve_worker(self):
        args = build_parser().parse_args(["serve", "worker"])
        assert args.service == "worker"
