"""E-mail: a body is told of a recommendation sent to it (once, whatever the number of workers), reminded before
its deadline and told when it is overdue; participants get the invitation with the event attached; a recipient
may choose a daily digest. A real SMTP server on loopback receives every message."""

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import text

from services.common.db import make_engine, utcnow
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from services.dialogue.notify import next_digest_at
from tests.conftest import TEST_SECRET
from tests.dialogue.helpers import (
    add_participant,
    as_admin,
    as_coordinator,
    create_session,
    days_from_today,
    person,
    sent_recommendation,
    state_body,
)
from tests.dialogue.outbound import smtp_server, workers

CONTACT = "akimat.priemnaya@example.kz"
PRIVATE = "a.nurlanova@example.kz"


async def run_rounds(pool, rounds: int = 3) -> None:
    """Every worker runs its rounds at the same time as the others."""
    for _ in range(rounds):
        await asyncio.gather(*(w.run_once() for w in pool))


class TestRecommendationSentMail:
    async def test_one_mail_reaches_the_body_contact_even_with_two_workers(
            self, dialogue, orgs, orgs_app, dialogue_database_url):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области",
                                  names={"ru": "Акимат Восточно-Казахстанской области",
                                         "kk": "Шығыс Қазақстан облысының әкімдігі"},
                                  contacts={"email": CONTACT})
        rec = await sent_recommendation(dialogue, [akimat], text="Внедрить модель Ashyq как пилотный проект.")
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, count=2, smtp_host="127.0.0.1",
                               smtp_port=port) as pool:
                await run_rounds(pool)
        (mail,) = mailbox.to(CONTACT)
        assert len(mailbox.messages) == 1
        assert f"№ {rec['id']}" in mail["Subject"]
        body = mail.get_content()
        assert "Шығыс Қазақстан облысының әкімдігі" in body and "Внедрить модель Ashyq" in body
        assert "Жауап беру мерзімі" in body and "Срок ответа" in body
        assert f"https://ashyq.kz/recommendations/{rec['id']}" in body
        log = (await dialogue.get("/v1/notifications", headers=as_admin())).json()["items"]
        assert [(n["kind"], n["recipient_kind"], n["recipient_id"], n["status"]) for n in log] == [
            ("recommendation.sent", "org", akimat, "sent")]
        assert CONTACT not in str(log)
        pending = (await dialogue.get("/v1/events", params={"pending": True}, headers=as_admin())).json()
        assert pending["items"] == []

    async def test_addresses_never_reach_the_log(self, dialogue, orgs, orgs_app, dialogue_database_url, caplog):
        body = await state_body(orgs, "Управление внутренней политики", contacts={"email": CONTACT})
        await sent_recommendation(dialogue, [body])
        caplog.set_level(logging.DEBUG)
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=port) as pool:
                await run_rounds(pool, 2)
        assert len(mailbox.to(CONTACT)) == 1
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # not the test's server
        assert ours and CONTACT not in ours and "akimat.priemnaya" not in ours

    async def test_a_body_without_contact_is_skipped_not_retried(self, dialogue, orgs, orgs_app,
                                                                  dialogue_database_url):
        body = await state_body(orgs, "Маслихат без почты")
        await sent_recommendation(dialogue, [body])
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=port) as pool:
                await run_rounds(pool, 2)
        assert mailbox.messages == []
        (notice,) = (await dialogue.get("/v1/notifications", headers=as_admin())).json()["items"]
        assert notice["status"] == "skipped" and notice["last_error"] == "no e-mail address in the registry"

    async def test_an_unreachable_smtp_server_is_retried_later(self, dialogue, orgs, orgs_app, dialogue_database_url):
        from tests.dialogue.outbound import free_port

        body = await state_body(orgs, "Акимат города", contacts={"email": CONTACT})
        await sent_recommendation(dialogue, [body])
        async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=free_port()) as pool:
            await run_rounds(pool, 1)
        (notice,) = (await dialogue.get("/v1/notifications", headers=as_admin())).json()["items"]
        assert notice["status"] == "pending" and notice["attempts"] == 1
        assert notice["last_error"].startswith("SMTP unavailable")
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=port) as pool:
                await pool[0].send_mail(utcnow() + timedelta(minutes=5))
        assert len(mailbox.to(CONTACT)) == 1


class TestDeadlines:
    async def test_reminder_before_the_deadline_once(self, dialogue, orgs, orgs_app, dialogue_database_url):
        body = await state_body(orgs, "Акимат Абайской области", contacts={"email": CONTACT})
        rec = await sent_recommendation(dialogue, [body], response_due_on=days_from_today(3))
        engine = make_engine(dialogue_database_url)
        async with engine.begin() as connection:  # it was sent a week ago
            await connection.execute(text("UPDATE recommendation SET sent_at = :at WHERE id = :id"),
                                     {"at": utcnow() - timedelta(days=7), "id": rec["id"]})
        await engine.dispose()
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, count=2, smtp_host="127.0.0.1",
                               smtp_port=port) as pool:
                await run_rounds(pool, 3)
        subjects = sorted(m["Subject"] for m in mailbox.to(CONTACT))
        assert len(subjects) == 2  # the recommendation itself, then one reminder
        assert any("приближается срок ответа" in s for s in subjects)

    async def test_overdue_is_told_once(self, dialogue, orgs, orgs_app, dialogue_database_url):
        body = await state_body(orgs, "Акимат Жетісу", contacts={"email": CONTACT})
        await sent_recommendation(dialogue, [body], response_due_on=days_from_today(-2))
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, count=2, smtp_host="127.0.0.1",
                               smtp_port=port) as pool:
                await run_rounds(pool, 3)
        overdue = [m for m in mailbox.to(CONTACT) if "просрочен ответ" in m["Subject"]]
        assert len(overdue) == 1
        assert "мерзімі" in overdue[0].get_content()


class TestParticipants:
    async def test_invitation_with_the_event_attached(self, dialogue, orgs, orgs_app, dialogue_database_url):
        someone = await person(orgs, "Нурланова", "Айгерим", contacts={"email": PRIVATE})
        session = await create_session(dialogue, "Диалоговая площадка о миграции", status="scheduled",
                                       starts_at=f"{days_from_today(20)}T15:00:00+05:00")
        await add_participant(dialogue, session["id"], person_id=someone, sector="civil_society")
        await add_participant(dialogue, session["id"], name="Гость без реестра", sector="media")
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=port) as pool:
                await run_rounds(pool, 2)
                etag = (await dialogue.get(f"/v1/sessions/{session['id']}", headers=as_coordinator())).headers["ETag"]
                r = await dialogue.patch(f"/v1/sessions/{session['id']}", json={"venue": "Дом Дружбы, Астана"},
                                         headers={**as_coordinator(), "If-Match": etag})
                assert r.status_code == 200, r.text
                await run_rounds(pool, 2)
        invitation, change = mailbox.to(PRIVATE)
        assert len(mailbox.messages) == 2
        assert "приглашение" in invitation["Subject"] and "изменения" in change["Subject"]
        (ics,) = [part for part in invitation.iter_attachments() if part.get_content_type() == "text/calendar"]
        assert f"UID:session-{session['id']}@ashyq.kz" in ics.get_content()
        assert "Дом Дружбы, Астана" in change.get_body(("plain",)).get_content()

    async def test_the_registry_shows_contacts_to_the_worker_only(self, orgs):
        someone = await person(orgs, "Сапарова", "Динара", contacts={"email": PRIVATE})
        worker = issue_token(Actor(roles=[Role.service], service="dialogue-worker"), TEST_SECRET)
        anonymous_service = issue_token(Actor(roles=[Role.service]), TEST_SECRET)
        visitor = issue_token(Actor(service="gateway"), TEST_SECRET)
        seen = {}
        for name, token in (("worker", worker), ("service", anonymous_service), ("visitor", visitor)):
            r = await orgs.get("/v1/people/batch", params={"ids": str(someone)},
                               headers={"Authorization": f"Bearer {token}"})
            seen[name] = r.json()["items"][0]["contacts"]
        assert seen["worker"]["email"] == PRIVATE
        assert seen["service"] is None and seen["visitor"] is None


class TestDigest:
    async def test_digest_collects_the_day_in_one_mail(self, dialogue, orgs, orgs_app, dialogue_database_url):
        body = await state_body(orgs, "Министерство информации", contacts={"email": CONTACT})
        r = await dialogue.put(f"/v1/notification-preferences/org/{body}", json={"delivery": "digest"},
                               headers=as_coordinator())
        assert r.status_code == 200 and r.json()["delivery"] == "digest"
        assert (await dialogue.put(f"/v1/notification-preferences/org/{body}", json={"delivery": "digest"})
                ).status_code == 401
        first = await sent_recommendation(dialogue, [body], text="Первая рекомендация")
        second = await sent_recommendation(dialogue, [body], text="Вторая рекомендация")
        with smtp_server() as (mailbox, port):
            async with workers(dialogue_database_url, orgs_app, smtp_host="127.0.0.1", smtp_port=port) as pool:
                await run_rounds(pool, 2)
                assert mailbox.messages == []  # waiting for the digest hour
                await pool[0].send_mail(next_digest_at(utcnow(), pool[0].settings.digest_hour) + timedelta(seconds=1))
                await pool[0].send_mail(next_digest_at(utcnow(), pool[0].settings.digest_hour) + timedelta(hours=1))
        (digest,) = mailbox.to(CONTACT)
        assert "сводка" in digest["Subject"]
        content = digest.get_content()
        assert "Первая рекомендация" in content and "Вторая рекомендация" in content
        assert f"№ {first['id']}" in content and f"№ {second['id']}" in content
