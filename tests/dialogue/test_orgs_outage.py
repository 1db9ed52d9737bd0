"""When the registry (orgs service) is down: writes that need it are refused whole, reads go on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from services.dialogue.app import create_app
from tests.conftest import dialogue_settings
from tests.dialogue.helpers import (
    add_participant,
    all_pages,
    as_coordinator,
    create_recommendation,
    create_session,
    move_recommendation,
    person,
    problem,
    state_body,
)

# The discard port: nothing listens on it here, so every connection is refused by the kernel.
CLOSED_ORGS_URL = "http://127.0.0.1:9"


@pytest.fixture
async def cut_off(dialogue, dialogue_database_url) -> AsyncIterator[httpx.AsyncClient]:
    """A second dialogue service on the same (clean) database whose registry cannot be reached."""
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", 9), timeout=1):
        pass
    app = create_app(dialogue_settings(dialogue_database_url, orgs_url=CLOSED_ORGS_URL))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://dialogue") as client:
        yield client


async def _counts(dialogue):
    coordinator = as_coordinator()
    recs = await all_pages(dialogue, "/v1/recommendations", headers=coordinator)
    sessions = await all_pages(dialogue, "/v1/sessions", headers=coordinator)
    return {"recommendations": len(recs), "sessions": len(sessions)}


class TestRegistryOutage:
    async def test_a_recommendation_is_refused_with_503_and_nothing_is_written(self, orgs, dialogue, cut_off):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, status="in_progress")
        await create_recommendation(dialogue, [akimat], session_id=session["id"])
        before = await _counts(dialogue)

        r = await cut_off.post("/v1/recommendations", headers={**as_coordinator(), "Idempotency-Key": "outage-1"},
                               json={"text": "Рекомендовать модель как пилот", "addressee_ids": [akimat],
                                     "session_id": session["id"]})
        body = problem(r, 503)
        assert body["type"].endswith("/orgs-unavailable")
        assert "nothing was written" in body["detail"]
        assert await _counts(dialogue) == before

        # The key was not spent on the failure: once the registry is back, the same request goes through.
        r = await dialogue.post("/v1/recommendations", headers={**as_coordinator(), "Idempotency-Key": "outage-1"},
                                json={"text": "Рекомендовать модель как пилот", "addressee_ids": [akimat],
                                      "session_id": session["id"]})
        assert r.status_code == 201, r.text
        assert "Idempotent-Replayed" not in r.headers
        assert (await _counts(dialogue))["recommendations"] == before["recommendations"] + 1

    async def test_other_writes_that_need_the_registry_are_refused_whole(self, orgs, dialogue, cut_off):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        speaker = await person(orgs, "Нургалиев", "Ербол")
        session = await create_session(dialogue, status="scheduled")
        draft = await create_recommendation(dialogue, [akimat])
        coordinator = as_coordinator()

        r = await cut_off.post("/v1/sessions", headers=coordinator, json={
            "kind": "round_table", "title": {"ru": "Круглый стол"}, "venue": "ВКТУ",
            "starts_at": "2025-10-14T10:00:00+05:00", "organizer_ids": [akimat]})
        problem(r, 503)
        problem(await cut_off.post(f"/v1/sessions/{session['id']}/participants", headers=coordinator,
                                   json={"person_id": speaker, "sector": "state"}), 503)
        problem(await cut_off.post(f"/v1/sessions/{session['id']}/agenda", headers=coordinator,
                                   json={"title": "Доклад", "speakers": [{"person_id": speaker}]}), 503)
        r = await cut_off.patch(f"/v1/recommendations/{draft['id']}", json={"addressee_ids": [akimat]},
                                headers={**coordinator, "If-Match": f'"{draft["id"]}.{draft["version"]}"'})
        problem(r, 503)

        assert [s["id"] for s in await all_pages(dialogue, "/v1/sessions", headers=coordinator)] == [session["id"]]
        assert (await dialogue.get(f"/v1/sessions/{session['id']}/participants", headers=coordinator)).json()[
            "items"] == []
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda")).json()
        assert [i["title"] for i in agenda] == ["Открытие"]
        # A walk-in needs nothing from the registry and is registered as usual.
        r = await cut_off.post(f"/v1/sessions/{session['id']}/participants", headers=coordinator,
                               json={"name": "Айгерим Омарова", "sector": "civil_society"})
        assert r.status_code == 201, r.text

    async def test_sessions_and_recommendations_still_read(self, orgs, dialogue, cut_off):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        speaker = await person(orgs, "Рахметуллина", "Сауле")
        session = await create_session(dialogue, agenda=[{"title": "Модель Ashyq", "speakers": [
            {"person_id": speaker, "org_id": akimat}]}], status="in_progress")
        await add_participant(dialogue, session["id"], person_id=speaker, sector="expert", checked_in=True)
        rec = await create_recommendation(dialogue, [akimat], session_id=session["id"])
        await move_recommendation(dialogue, rec["id"], "adopted", "sent")

        r = await cut_off.get(f"/v1/sessions/{session['id']}")
        assert r.status_code == 200, r.text
        assert [s["id"] for s in (await cut_off.get("/v1/sessions")).json()["items"]] == [session["id"]]
        agenda = await cut_off.get(f"/v1/sessions/{session['id']}/agenda")
        assert agenda.status_code == 200, agenda.text
        assert agenda.json()[0]["speakers"][0]["name"] == "Рахметуллина Сауле"
        participants = await cut_off.get(f"/v1/sessions/{session['id']}/participants", headers=as_coordinator())
        assert participants.json()["items"][0]["name"] == "Рахметуллина Сауле"
        assert (await cut_off.get(f"/v1/sessions/{session['id']}/attendance")).json()["attended"]["expert"] == 1

        r = await cut_off.get(f"/v1/recommendations/{rec['id']}")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["addressees"][0]["org_id"]) == ("sent", akimat)
        listed = await cut_off.get("/v1/recommendations")
        assert listed.status_code == 200, listed.text
        assert [x["id"] for x in listed.json()["items"]] == [rec["id"]]
