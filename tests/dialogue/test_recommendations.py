"""Recommendations: from a session's decision to the state body's answer, its implementation and escalation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.common.db import make_engine, make_sessionmaker, today_kz
from services.contracts.auth import Role
from services.dialogue import recommendations
from tests.conftest import actor_headers
from tests.dialogue.helpers import (
    ASTANA,
    BEYOND_ID_RANGE,
    EAST_KAZAKHSTAN,
    all_pages,
    answer,
    as_coordinator,
    as_member,
    as_representative,
    create_recommendation,
    create_session,
    days_from_today,
    error_fields,
    events,
    forged_cursor,
    move_recommendation,
    ngo,
    problem,
    read_recommendation,
    republican_body,
    sent_recommendation,
    state_body,
)


async def _transition(dialogue, rec_id, status, note=None):
    return await dialogue.post(f"/v1/recommendations/{rec_id}/transitions", json={"status": status, "note": note},
                               headers=as_coordinator())


async def _progress(dialogue, rec_id, org_id, percent, note="Работа ведётся", evidence_urls=()):
    return await dialogue.post(f"/v1/recommendations/{rec_id}/progress", headers=as_representative(org_id), json={
        "org_id": org_id, "percent": percent, "note": note, "evidence_urls": list(evidence_urls)})


async def _sweep(url):
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            noted = await recommendations.sweep_overdue(session)
            await session.commit()
    finally:
        await engine.dispose()
    return noted


class TestLifecycle:
    async def test_an_accepted_recommendation_goes_from_draft_to_implemented(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, agenda=["Модель Ashyq"], status="in_progress",
                                       region_code=EAST_KAZAKHSTAN)
        rec = await create_recommendation(dialogue, [akimat], session_id=session["id"], title="Пилот модели Ashyq")
        assert rec["status"] == "draft"
        assert rec["region_code"] == EAST_KAZAKHSTAN

        adopted = await move_recommendation(dialogue, rec["id"], "adopted")
        assert adopted["status"] == "adopted"
        assert adopted["adopted_at"] is not None
        sent = await move_recommendation(dialogue, rec["id"], "sent")
        assert sent["status"] == "sent"
        assert sent["sent_at"] is not None
        assert sent["response_due_on"] == days_from_today(30)
        assert sent["is_overdue"] is False

        r = await answer(dialogue, rec["id"], akimat, "accepted", "Поддерживаем: пилот в 2026 году")
        assert r.status_code == 201, r.text
        assert (r.json()["decision"], r.json()["answered_by"]) == ("accepted", 501)
        answered = await read_recommendation(dialogue, rec["id"])
        assert answered["status"] == "answered"
        assert answered["addressees"][0]["decision"] == "accepted"
        assert answered["responses"][0]["reasons"] == "Поддерживаем: пилот в 2026 году"

        r = await _progress(dialogue, rec["id"], akimat, 40, "Утверждена дорожная карта",
                            ["https://vko.gov.kz/ashyq/roadmap.pdf", "https://vko.gov.kz/news/1"])
        assert r.status_code == 201, r.text
        in_progress = await read_recommendation(dialogue, rec["id"])
        assert in_progress["status"] == "in_progress"
        assert in_progress["progress_percent"] == 40
        assert in_progress["progress"][0]["evidence_urls"] == ["https://vko.gov.kz/ashyq/roadmap.pdf",
                                                               "https://vko.gov.kz/news/1"]

        problem(await _transition(dialogue, rec["id"], "implemented"), 422)
        implemented = await move_recommendation(dialogue, rec["id"], "implemented", note="Пилот запущен")
        assert implemented["status"] == "implemented"
        assert implemented["progress_percent"] == 100
        assert implemented["closed_at"] is not None
        assert [(h["status"], h["note"]) for h in implemented["history"]] == [
            ("draft", None), ("adopted", None), ("sent", None), ("answered", None),
            ("in_progress", "first progress report"), ("implemented", "Пилот запущен")]
        (closed,) = await events(dialogue, "recommendation.closed", f"recommendation/{rec['id']}")
        assert closed["payload"]["status"] == "implemented"

    @pytest.mark.parametrize("reasons", [None, "", "   "])
    async def test_an_answer_needs_reasons(self, orgs, dialogue, reasons):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await sent_recommendation(dialogue, [akimat])
        body = {"org_id": akimat, "decision": "rejected"}
        if reasons is not None:
            body["reasons"] = reasons
        r = await dialogue.post(f"/v1/recommendations/{rec['id']}/responses", json=body,
                                headers=as_representative(akimat))
        assert "reasons" in error_fields(problem(r, 422))
        after = await read_recommendation(dialogue, rec["id"])
        assert (after["status"], after["responses"]) == ("sent", [])

    async def test_a_partially_accepted_recommendation_can_close_not_implemented(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await sent_recommendation(dialogue, [akimat])
        assert (await answer(dialogue, rec["id"], akimat, "partially_accepted", "В части обучения")).status_code == 201
        assert (await read_recommendation(dialogue, rec["id"]))["status"] == "answered"
        assert (await _progress(dialogue, rec["id"], akimat, 30)).status_code == 201

        problem(await _transition(dialogue, rec["id"], "not_implemented"), 422)
        closed = await move_recommendation(dialogue, rec["id"], "not_implemented", note="Нет финансирования")
        assert closed["status"] == "not_implemented"
        assert closed["progress_percent"] == 30
        assert closed["addressees"][0]["decision"] == "partially_accepted"

    async def test_when_every_addressee_rejected_it_closes_as_not_implemented(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        maslikhat = await state_body(orgs, "Маслихат Восточно-Казахстанской области")
        rec = await sent_recommendation(dialogue, [akimat, maslikhat])
        for body in (akimat, maslikhat):
            assert (await answer(dialogue, rec["id"], body, "rejected", "Вне компетенции")).status_code == 201

        body = problem(await _transition(dialogue, rec["id"], "in_progress"), 409)
        assert body["allowed"] == ["not_implemented"]
        problem(await _progress(dialogue, rec["id"], akimat, 10), 409)
        assert (await read_recommendation(dialogue, rec["id"]))["status"] == "answered"
        closed = await move_recommendation(dialogue, rec["id"], "not_implemented", note="Отклонено адресатами")
        assert closed["status"] == "not_implemented"

    async def test_stays_sent_until_every_addressee_has_answered(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        ministry = await republican_body(orgs, "Министерство культуры и информации")
        rec = await sent_recommendation(dialogue, [akimat, ministry])

        assert (await answer(dialogue, rec["id"], ministry, "accepted")).status_code == 201
        halfway = await read_recommendation(dialogue, rec["id"])
        assert halfway["status"] == "sent"
        assert {a["org_id"]: a["decision"] for a in halfway["addressees"]} == {akimat: None, ministry: "accepted"}
        problem(await answer(dialogue, rec["id"], ministry, "rejected"), 409)

        assert (await answer(dialogue, rec["id"], akimat, "rejected", "Нет полномочий")).status_code == 201
        done = await read_recommendation(dialogue, rec["id"])
        assert done["status"] == "answered"
        assert {a["org_id"]: a["decision"] for a in done["addressees"]} == {akimat: "rejected", ministry: "accepted"}
        assert [e["payload"]["all_answered"] for e in await events(dialogue, "recommendation.answered")] == [
            False, True]
        # The body that accepted reports progress; the one that rejected has none to report.
        problem(await _progress(dialogue, rec["id"], akimat, 10), 409)
        assert (await _progress(dialogue, rec["id"], ministry, 50)).status_code == 201
        assert (await read_recommendation(dialogue, rec["id"]))["status"] == "in_progress"

    async def test_is_addressed_only_to_active_state_bodies(self, orgs, dialogue, coordinator):
        union = await ngo(orgs, "ОЮЛ «Гражданский Альянс Казахстана»", level="republican", region_code=None)
        r = await dialogue.post("/v1/recommendations", headers=coordinator,
                                json={"text": "Рекомендовать", "addressee_ids": [union, 999999]})
        body = problem(r, 422)
        assert error_fields(body) == {"addressee_ids"}
        assert len(body["errors"]) == 2


class TestIllegalSteps:
    @pytest.mark.parametrize(("path", "wanted", "allowed"), [
        ((), "sent", ["adopted"]),
        ((), "implemented", ["adopted"]),
        (("adopted",), "answered", ["sent", "draft"]),
        (("adopted", "sent"), "answered", []),
        (("adopted", "sent"), "implemented", []),
        (("adopted", "sent"), "draft", []),
    ])
    async def test_refuses_a_step_outside_the_lifecycle(self, orgs, dialogue, path, wanted, allowed):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await create_recommendation(dialogue, [akimat])
        await move_recommendation(dialogue, rec["id"], *path)
        before = await read_recommendation(dialogue, rec["id"])

        body = problem(await _transition(dialogue, rec["id"], wanted), 409)
        assert body["allowed"] == allowed
        assert body["requested"] == wanted
        assert await read_recommendation(dialogue, rec["id"]) == before

    @pytest.mark.parametrize("final", ["implemented", "not_implemented"])
    async def test_a_closed_recommendation_is_final(self, orgs, dialogue, final):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await sent_recommendation(dialogue, [akimat])
        assert (await answer(dialogue, rec["id"], akimat, "accepted")).status_code == 201
        await move_recommendation(dialogue, rec["id"], "in_progress", final, note="Итог")

        for wanted in ("draft", "adopted", "sent", "answered", "in_progress", "implemented", "not_implemented"):
            body = problem(await _transition(dialogue, rec["id"], wanted), 409)
            assert (body["current"], body["allowed"]) == (final, [])
        problem(await _progress(dialogue, rec["id"], akimat, 100), 409)

    async def test_a_draft_cannot_be_answered(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await create_recommendation(dialogue, [akimat])
        # An akimat official who also coordinates its dialogue sees the draft, and still cannot answer it.
        both = actor_headers(Role.coordinator, Role.representative, account_id=77, org_ids=[akimat])
        body = problem(await answer(dialogue, rec["id"], akimat, "accepted", headers=both), 409)
        assert (body["current"], body["allowed"]) == ("draft", ["adopted"])
        # A plain representative does not even learn that the draft exists.
        problem(await answer(dialogue, rec["id"], akimat, "accepted"), 404)
        assert (await read_recommendation(dialogue, rec["id"]))["responses"] == []

    async def test_an_adopted_recommendation_is_answered_only_once_sent(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await create_recommendation(dialogue, [akimat])
        await move_recommendation(dialogue, rec["id"], "adopted")
        body = problem(await answer(dialogue, rec["id"], akimat, "accepted"), 409)
        assert body["allowed"] == ["sent", "draft"]

    async def test_is_adopted_at_its_session_once_it_has_started(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, status="scheduled")
        rec = await create_recommendation(dialogue, [akimat], session_id=session["id"])
        problem(await _transition(dialogue, rec["id"], "adopted"), 409)
        assert (await read_recommendation(dialogue, rec["id"]))["status"] == "draft"

    async def test_is_edited_only_before_it_is_sent(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec = await sent_recommendation(dialogue, [akimat])
        r = await dialogue.patch(f"/v1/recommendations/{rec['id']}", json={"text": "Иной текст"},
                                 headers={**coordinator, "If-Match": f'"{rec["id"]}.{rec["version"]}"'})
        problem(r, 409)


class TestAnswerAuthorization:
    @pytest.mark.parametrize(("who", "status"), [
        ("anonymous", 401), ("member", 403), ("coordinator", 403), ("admin", 403), ("other_body", 403),
    ])
    async def test_only_a_representative_of_the_addressee_answers(self, orgs, dialogue, who, status):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        other = await state_body(orgs, "Акимат Абайской области", region_code="100000000")
        rec = await sent_recommendation(dialogue, [akimat])
        headers = {"anonymous": {}, "member": as_member(akimat), "coordinator": as_coordinator(),
                   "admin": actor_headers(Role.admin, org_ids=[akimat]),
                   "other_body": as_representative(other)}[who]

        problem(await answer(dialogue, rec["id"], akimat, "accepted", headers=headers), status)

        after = await read_recommendation(dialogue, rec["id"])
        assert after["status"] == "sent"
        assert after["addressees"] == [{"org_id": akimat, "decision": None, "answered_at": None}]
        assert after["responses"] == []
        assert after["version"] == rec["version"]
        assert await events(dialogue, "recommendation.answered") == []

    async def test_a_body_answers_only_recommendations_addressed_to_it(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        other = await state_body(orgs, "Акимат Абайской области", region_code="100000000")
        rec = await sent_recommendation(dialogue, [akimat])
        r = await answer(dialogue, rec["id"], other, "accepted")
        assert "org_id" in error_fields(problem(r, 422))
        assert (await read_recommendation(dialogue, rec["id"]))["responses"] == []

    async def test_progress_is_reported_only_by_the_addressee(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        other = await state_body(orgs, "Акимат Абайской области", region_code="100000000")
        rec = await sent_recommendation(dialogue, [akimat])
        assert (await answer(dialogue, rec["id"], akimat, "accepted")).status_code == 201
        r = await dialogue.post(f"/v1/recommendations/{rec['id']}/progress", headers=as_representative(other),
                                json={"org_id": akimat, "percent": 50, "note": "Чужой отчёт"})
        problem(r, 403)
        assert (await read_recommendation(dialogue, rec["id"]))["progress"] == []


class TestIdempotentCreate:
    async def test_a_retried_create_makes_one_recommendation(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        body = {"text": "Рекомендовать модель как пилот", "addressee_ids": [akimat]}
        headers = {**coordinator, "Idempotency-Key": "rt-2025-10-14-1"}
        first = await dialogue.post("/v1/recommendations", json=body, headers=headers)
        again = await dialogue.post("/v1/recommendations", json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Location"] == f"/v1/recommendations/{first.json()['id']}"
        assert len(await all_pages(dialogue, "/v1/recommendations", headers=coordinator)) == 1

        other = await dialogue.post("/v1/recommendations", json={**body, "text": "Иное"}, headers=headers)
        problem(other, 422)
        assert len(await all_pages(dialogue, "/v1/recommendations", headers=coordinator)) == 1


class TestOverdue:
    async def test_an_overdue_recommendation_comes_first_by_deadline(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        soon = await sent_recommendation(dialogue, [akimat], text="Скоро срок", response_due_on=days_from_today(3))
        later = await sent_recommendation(dialogue, [akimat], text="Срок позже", response_due_on=days_from_today(60))
        overdue = await sent_recommendation(dialogue, [akimat], text="Просрочено",
                                            response_due_on=days_from_today(-5))
        answered_late = await sent_recommendation(dialogue, [akimat], text="Отвечено",
                                                  response_due_on=days_from_today(-10))
        assert (await answer(dialogue, answered_late["id"], akimat, "accepted")).status_code == 201

        assert overdue["is_overdue"] is True
        assert soon["is_overdue"] is False
        assert (await read_recommendation(dialogue, answered_late["id"]))["is_overdue"] is False
        listed = await all_pages(dialogue, "/v1/recommendations", order="deadline")
        assert [r["id"] for r in listed] == [overdue["id"], answered_late["id"], soon["id"], later["id"]]
        assert [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", overdue="true")] == [overdue["id"]]
        not_overdue = await all_pages(dialogue, "/v1/recommendations", overdue="false")
        assert {r["id"] for r in not_overdue} == {soon["id"], later["id"], answered_late["id"]}

    async def test_a_partly_answered_recommendation_stays_overdue(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        ministry = await republican_body(orgs, "Министерство культуры и информации")
        rec = await sent_recommendation(dialogue, [akimat, ministry], response_due_on=days_from_today(-1))
        assert (await answer(dialogue, rec["id"], ministry, "accepted")).status_code == 201
        assert (await read_recommendation(dialogue, rec["id"]))["is_overdue"] is True

    async def test_the_sweep_notes_each_overdue_recommendation_once(self, orgs, dialogue, dialogue_database_url):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        ministry = await republican_body(orgs, "Министерство культуры и информации")
        first = await sent_recommendation(dialogue, [akimat, ministry], response_due_on=days_from_today(-2))
        second = await sent_recommendation(dialogue, [akimat], response_due_on=days_from_today(-1))
        await sent_recommendation(dialogue, [akimat], response_due_on=days_from_today(5))
        draft = await create_recommendation(dialogue, [akimat], response_due_on=days_from_today(-3))
        assert (await answer(dialogue, first["id"], ministry, "accepted")).status_code == 201

        assert sorted(await _sweep(dialogue_database_url)) == [first["id"], second["id"]]
        assert await _sweep(dialogue_database_url) == []

        noted = await events(dialogue, "recommendation.overdue")
        assert sorted(e["subject"] for e in noted) == [f"recommendation/{first['id']}",
                                                       f"recommendation/{second['id']}"]
        by_id = {e["payload"]["recommendation_id"]: e["payload"] for e in noted}
        assert by_id[first["id"]]["unanswered_org_ids"] == [akimat]
        assert by_id[first["id"]]["response_due_on"] == days_from_today(-2)
        assert draft["id"] not in by_id


class TestEscalation:
    async def test_escalates_a_regional_issue_to_a_republican_ministry(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        ministry = await republican_body(orgs, "Министерство внутренних дел")
        origin = await sent_recommendation(dialogue, [akimat], text="Профилактика наркомании среди молодёжи",
                                           topics=["профилактика"], region_code=ASTANA)

        r = await dialogue.post(f"/v1/recommendations/{origin['id']}/escalations", headers=as_coordinator(), json={
            "addressee_ids": [ministry], "reason": "Вне компетенции МИО", "response_due_on": days_from_today(45)})
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["escalated_from_id"] == origin["id"]
        assert new["escalation_reason"] == "Вне компетенции МИО"
        assert (new["status"], new["response_due_on"]) == ("sent", days_from_today(45))
        assert [a["org_id"] for a in new["addressees"]] == [ministry]
        assert (new["text"], new["topics"], new["region_code"]) == (origin["text"], ["профилактика"], ASTANA)

        origin_now = await read_recommendation(dialogue, origin["id"])
        assert origin_now["escalated_to_ids"] == [new["id"]]
        assert origin_now["status"] == "sent"
        r = await dialogue.get(f"/v1/recommendations/{new['id']}/chain")
        assert r.status_code == 200, r.text
        assert r.json() == [origin["id"], new["id"]]
        assert (await dialogue.get(f"/v1/recommendations/{origin['id']}/chain")).json() == [origin["id"]]
        (event,) = await events(dialogue, "recommendation.escalated")
        assert event["payload"]["escalated_to_id"] == new["id"]
        assert [e["payload"]["recommendation_id"] for e in await events(dialogue, "recommendation.sent")] == [
            origin["id"], new["id"]]
        # The ministry answers the escalated recommendation for itself.
        assert (await answer(dialogue, new["id"], ministry, "accepted")).status_code == 201

    async def test_an_issue_rejected_as_beyond_local_competence_goes_up_the_chain(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        ministry = await republican_body(orgs, "Министерство внутренних дел")
        committee = await republican_body(orgs, "Комитет административной полиции МВД", parent_id=ministry)
        origin = await sent_recommendation(dialogue, [akimat], text="Изменить порядок регистрации мигрантов")
        assert (await answer(dialogue, origin["id"], akimat, "rejected", "Вне компетенции МИО")).status_code == 201

        first = await dialogue.post(f"/v1/recommendations/{origin['id']}/escalations", headers=as_coordinator(),
                                    json={"addressee_ids": [ministry], "reason": "Вне компетенции МИО"})
        assert first.status_code == 201, first.text
        second = await dialogue.post(f"/v1/recommendations/{first.json()['id']}/escalations",
                                     headers=as_coordinator(),
                                     json={"addressee_ids": [committee], "reason": "Поручено комитету"})
        assert second.status_code == 201, second.text
        chain = (await dialogue.get(f"/v1/recommendations/{second.json()['id']}/chain")).json()
        assert chain == [origin["id"], first.json()["id"], second.json()["id"]]
        assert (await read_recommendation(dialogue, origin["id"]))["status"] == "answered"

    async def test_escalates_only_to_republican_bodies(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        other_akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        origin = await sent_recommendation(dialogue, [akimat])
        r = await dialogue.post(f"/v1/recommendations/{origin['id']}/escalations", headers=as_coordinator(),
                                json={"addressee_ids": [other_akimat], "reason": "Вне компетенции"})
        assert error_fields(problem(r, 422)) == {"addressee_ids"}
        assert (await read_recommendation(dialogue, origin["id"]))["escalated_to_ids"] == []

    async def test_a_recommendation_is_sent_before_it_is_escalated(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        ministry = await republican_body(orgs, "Министерство внутренних дел")
        rec = await create_recommendation(dialogue, [akimat])
        await move_recommendation(dialogue, rec["id"], "adopted")
        r = await dialogue.post(f"/v1/recommendations/{rec['id']}/escalations", headers=as_coordinator(),
                                json={"addressee_ids": [ministry], "reason": "Вне компетенции"})
        problem(r, 409)

    async def test_escalation_is_for_coordinators(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        ministry = await republican_body(orgs, "Министерство внутренних дел")
        rec = await sent_recommendation(dialogue, [akimat])
        r = await dialogue.post(f"/v1/recommendations/{rec['id']}/escalations", headers=as_representative(akimat),
                                json={"addressee_ids": [ministry], "reason": "Вне компетенции"})
        problem(r, 403)


class TestFilters:
    @pytest.fixture
    async def board(self, orgs, dialogue):
        """Recommendations of two regions, two sessions and two bodies, in several statuses."""
        vko = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        astana = await state_body(orgs, "Акимат города Астаны", region_code=ASTANA)
        vko_session = await create_session(dialogue, "Круглый стол в ВКТУ", status="in_progress",
                                           region_code=EAST_KAZAKHSTAN)
        astana_session = await create_session(dialogue, "Диалоговая площадка", status="in_progress",
                                               region_code=ASTANA)
        pilot = await create_recommendation(dialogue, [vko], text="Рекомендовать модель Ashyq как пилот",
                                            session_id=vko_session["id"], topics=["Модель Ashyq", "пилот"])
        grants = await create_recommendation(dialogue, [vko], text="Усилить грантовую поддержку НПО",
                                             session_id=vko_session["id"], topics=["гранты"],
                                             region_code="631010000")
        police = await create_recommendation(dialogue, [astana], text="Заслушивать отчёты полиции совместно",
                                             session_id=astana_session["id"], topics=["профилактика"])
        draft = await create_recommendation(dialogue, [astana], text="Черновик о миграции", topics=["миграция"])
        await move_recommendation(dialogue, pilot["id"], "adopted", "sent")
        await move_recommendation(dialogue, police["id"], "adopted")
        return {"vko": vko, "astana": astana, "vko_session": vko_session["id"],
                "astana_session": astana_session["id"], "pilot": pilot["id"], "grants": grants["id"],
                "police": police["id"], "draft": draft["id"]}

    @pytest.mark.parametrize(("params", "expected"), [
        ({"status": "sent"}, ["pilot"]),
        ({"status": ["sent", "adopted"]}, ["pilot", "police"]),
        ({"status": "draft"}, ["grants", "draft"]),
        ({"addressee_id": "vko"}, ["pilot", "grants"]),
        ({"addressee_id": "astana"}, ["police", "draft"]),
        ({"region": EAST_KAZAKHSTAN}, ["pilot", "grants"]),
        ({"region": "631010000"}, ["grants"]),
        ({"region": ASTANA}, ["police"]),
        ({"topic": "модель ashyq"}, ["pilot"]),
        ({"topic": "ГРАНТЫ"}, ["grants"]),
        ({"session_id": "vko_session"}, ["pilot", "grants"]),
        ({"session_id": "astana_session"}, ["police"]),
        ({"q": "ашык"}, []),
        ({"q": "ashyq"}, ["pilot"]),
        ({"q": "ПОЛИЦИИ отчёты"}, ["police"]),
        ({"q": "нпо", "status": "draft"}, ["grants"]),
    ])
    async def test_filters_the_board(self, dialogue, coordinator, board, params, expected):
        query = {k: board[v] if k in ("addressee_id", "session_id") else v for k, v in params.items()}
        listed = await all_pages(dialogue, "/v1/recommendations", headers=coordinator, **query)
        assert sorted(r["id"] for r in listed) == sorted(board[name] for name in expected)

    async def test_a_region_is_matched_by_its_own_oblast_digits(self, orgs, dialogue):
        abai = await state_body(orgs, "Акимат области Абай", region_code="100000000")
        akmola = await state_body(orgs, "Акимат Акмолинской области", region_code="110000000")
        semey = await sent_recommendation(dialogue, [abai], region_code="101010000")
        kokshetau = await sent_recommendation(dialogue, [akmola], region_code="110000000")
        assert [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", region="100000000")] == [
            semey["id"]]
        assert [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", region="110000000")] == [
            kokshetau["id"]]

    async def test_drafts_are_invisible_to_anonymous_callers(self, dialogue, board):
        listed = {r["id"] for r in await all_pages(dialogue, "/v1/recommendations")}
        assert listed == {board["pilot"], board["police"]}
        problem(await dialogue.get(f"/v1/recommendations/{board['draft']}"), 404)
        problem(await dialogue.get(f"/v1/recommendations/{board['draft']}/chain"), 404)
        assert (await dialogue.get(f"/v1/recommendations/{board['pilot']}")).status_code == 200
        # A state body's representative is not an editor either.
        problem(await dialogue.get(f"/v1/recommendations/{board['grants']}",
                                   headers=as_representative(board["vko"])), 404)
        assert await all_pages(dialogue, "/v1/recommendations", status="draft") == []


class TestPagination:
    @pytest.mark.parametrize("order", ["deadline", "recent"])
    async def test_every_recommendation_is_listed_exactly_once(self, orgs, dialogue, coordinator, order):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        created = []
        for n, due in enumerate([-4, 10, None, -4, 3, 10, None, -1, 25, 3, 10]):
            fields = {"response_due_on": days_from_today(due)} if due is not None else {}
            rec = await create_recommendation(dialogue, [akimat], text=f"Рекомендация {n}", **fields)
            if n % 3 != 2:
                await move_recommendation(dialogue, rec["id"], "adopted", "sent")
            created.append(rec["id"])

        for limit in (1, 2, 5):
            listed = [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", headers=coordinator,
                                                       order=order, limit=limit)]
            assert sorted(listed) == sorted(created), limit
            assert len(listed) == len(set(listed))
        whole = [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", headers=coordinator,
                                                  order=order, limit=200)]
        assert [r["id"] for r in await all_pages(dialogue, "/v1/recommendations", headers=coordinator,
                                                 order=order, limit=3)] == whole
        if order == "recent":
            assert whole == sorted(created, reverse=True)

    async def test_deadline_order_puts_the_nearest_deadline_first(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        later = await sent_recommendation(dialogue, [akimat], response_due_on=days_from_today(20))
        sooner = await sent_recommendation(dialogue, [akimat], response_due_on=days_from_today(2))
        listed = await all_pages(dialogue, "/v1/recommendations", order="deadline", limit=1)
        assert [r["id"] for r in listed] == [sooner["id"], later["id"]]
        assert date.fromisoformat(listed[0]["response_due_on"]) == today_kz() + timedelta(days=2)

    @pytest.mark.parametrize(("order", "values"), [
        ("deadline", ("not-a-cursor",)),
        ("deadline", ("0", "2025-10-14", 7)),
        ("deadline", (0, "14.10.2025", 7)),
        ("deadline", (0, "2025-10-14", BEYOND_ID_RANGE)),
        ("deadline", (0, None, 7)),
        ("recent", ("2025-10-14T05:00:00+00:00", "7")),
        ("recent", ("вчера", 7)),
        ("recent", ("2025-10-14T05:00:00", 7)),
        ("recent", ("2025-10-14T05:00:00+00:00", BEYOND_ID_RANGE)),
    ])
    async def test_a_forged_cursor_is_refused(self, dialogue, order, values):
        cursor = values[0] if values == ("not-a-cursor",) else forged_cursor(*values)
        r = await dialogue.get("/v1/recommendations", params={"order": order, "cursor": cursor})
        assert error_fields(problem(r, 422)) == {"cursor"}


class TestBadInput:
    async def test_an_id_beyond_the_id_range_names_no_recommendation(self, dialogue, coordinator):
        problem(await dialogue.get(f"/v1/recommendations/{BEYOND_ID_RANGE}", headers=coordinator), 404)
        problem(await dialogue.get(f"/v1/recommendations/{BEYOND_ID_RANGE}/chain"), 404)
        for name in ("addressee_id", "session_id"):
            r = await dialogue.get("/v1/recommendations", params={name: BEYOND_ID_RANGE})
            assert error_fields(problem(r, 422)) == {name}

    @pytest.mark.parametrize("field", ["session_id", "agenda_item_id", "addressee_ids"])
    async def test_a_reference_beyond_the_id_range_is_refused(self, orgs, dialogue, coordinator, field):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, status="in_progress")
        body = {"text": "Рекомендовать", "addressee_ids": [akimat], "session_id": session["id"]}
        body[field] = [BEYOND_ID_RANGE, 0, -3] if field == "addressee_ids" else BEYOND_ID_RANGE
        r = await dialogue.post("/v1/recommendations", json=body, headers=coordinator)
        assert error_fields(problem(r, 422)) == {field}
        assert await all_pages(dialogue, "/v1/recommendations", headers=coordinator) == []


class TestOpenApi:
    def test_the_errors_of_answering_are_documented(self):
        """The answer routes refuse anyone but the addressee's representatives (403), and routes that ask the
        registry answer 503 when it is down: both are in the OpenAPI document, as problem+json."""
        from services.dialogue.app import create_app

        paths = create_app().openapi()["paths"]
        for path in ("/v1/recommendations/{recommendation_id}/responses",
                     "/v1/recommendations/{recommendation_id}/progress",
                     "/v1/action-plans/{plan_id}/items/{item_id}/reports"):
            responses = paths[path]["post"]["responses"]
            assert {"401", "403", "404", "409", "422"} <= set(responses), path
            assert "application/problem+json" in responses["403"]["content"]
        assert "503" in paths["/v1/recommendations"]["post"]["responses"]
