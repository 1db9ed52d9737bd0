"""The live-console fingerprint: GET /v1/sessions/{id}/live moves whenever anything a console shows moves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.dialogue.helpers import (
    BEYOND_ID_RANGE,
    add_agenda_item,
    add_participant,
    as_coordinator,
    create_recommendation,
    create_session,
    move_recommendation,
    move_session,
    problem,
    record_on_item,
    set_head_counts,
    state_body,
)


async def live(dialogue: httpx.AsyncClient, session_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await dialogue.get(f"/v1/sessions/{session_id}/live", headers=as_coordinator() if headers is None else headers)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    state: dict[str, Any] = r.json()
    return state


@pytest.fixture
async def running(dialogue: httpx.AsyncClient) -> dict[str, Any]:
    return await create_session(dialogue, "Диалоговая площадка", agenda=["Открытие", "Модель Ashyq", "Разное"],
                                status="in_progress")


class TestLiveState:
    async def test_reads_the_session_state_and_one_token_per_part(self, dialogue, running):
        state = await live(dialogue, running["id"])
        agenda = (await dialogue.get(f"/v1/sessions/{running['id']}/agenda")).json()
        assert state["session_id"] == running["id"]
        assert state["status"] == "in_progress"
        assert state["current_agenda_item_id"] == agenda[0]["id"]
        assert state["agenda"].startswith("3-")
        assert state["participants"] == "0-0-0"
        assert state["recommendations"] == "0-0-0"
        assert state["fingerprint"] == ".".join(state[k] for k in ("session", "agenda", "participants",
                                                                   "recommendations"))

    async def test_stays_the_same_while_nothing_changes(self, dialogue, running):
        assert await live(dialogue, running["id"]) == await live(dialogue, running["id"])

    async def test_a_published_session_is_public_a_draft_only_for_editors(self, dialogue, running):
        assert (await live(dialogue, running["id"], headers={}))["status"] == "in_progress"
        draft = await create_session(dialogue, "Черновик")
        problem(await dialogue.get(f"/v1/sessions/{draft['id']}/live"), 404)
        assert (await live(dialogue, draft["id"]))["status"] == "draft"

    async def test_an_unknown_session_is_a_404_problem(self, dialogue):
        problem(await dialogue.get("/v1/sessions/999999/live", headers=as_coordinator()), 404)
        problem(await dialogue.get(f"/v1/sessions/{BEYOND_ID_RANGE}/live", headers=as_coordinator()), 404)

    async def test_is_documented_in_openapi(self, dialogue):
        spec = (await dialogue.get("/openapi.json")).json()
        operation = spec["paths"]["/v1/sessions/{session_id}/live"]["get"]
        assert "fingerprint" in operation["summary"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith("/LiveState")
        assert {"session", "agenda", "participants", "recommendations", "fingerprint"} <= set(
            spec["components"]["schemas"]["LiveState"]["properties"])

    async def test_is_read_in_at_most_two_statements(self, dialogue, dialogue_app, running):
        statements: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        engine = dialogue_app.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            await live(dialogue, running["id"])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert 1 <= len(statements) <= 2, statements


class TestEveryKindOfChangeMovesIt:
    """Each change a console shows moves the fingerprint, and the token of the part it belongs to."""

    async def assert_moves(self, dialogue, session_id: int, part: str, change) -> dict[str, Any]:
        before = await live(dialogue, session_id)
        await change()
        after = await live(dialogue, session_id)
        assert after["fingerprint"] != before["fingerprint"]
        assert after[part] != before[part], part
        return after

    async def test_the_item_under_discussion(self, dialogue, running):
        agenda = (await dialogue.get(f"/v1/sessions/{running['id']}/agenda")).json()

        async def change():
            r = await dialogue.put(f"/v1/sessions/{running['id']}/agenda/current", json={"item_id": agenda[1]["id"]},
                                   headers=as_coordinator())
            assert r.status_code == 200, r.text

        after = await self.assert_moves(dialogue, running["id"], "session", change)
        assert after["current_agenda_item_id"] == agenda[1]["id"]

    async def test_what_was_heard_and_decided(self, dialogue, running):
        agenda = (await dialogue.get(f"/v1/sessions/{running['id']}/agenda")).json()

        async def change():
            await record_on_item(dialogue, running["id"], agenda[0]["id"], heard="Доклад", decided="Одобрить")

        await self.assert_moves(dialogue, running["id"], "agenda", change)

    async def test_an_item_added_and_removed(self, dialogue, running):
        added: dict[str, Any] = {}

        async def add():
            added.update(await add_agenda_item(dialogue, running["id"], "Новый вопрос"))

        async def remove():
            r = await dialogue.delete(f"/v1/sessions/{running['id']}/agenda/{added['id']}",
                                      headers={**as_coordinator(), "If-Match": f'"{added["id"]}.{added["version"]}"'})
            assert r.status_code == 204, r.text

        await self.assert_moves(dialogue, running["id"], "agenda", add)
        await self.assert_moves(dialogue, running["id"], "agenda", remove)

    async def test_registration_check_in_and_removal(self, dialogue, running):
        walk_in: dict[str, Any] = {}

        async def register():
            walk_in.update(await add_participant(dialogue, running["id"], name="Нұрғазиева Бану",
                                                 sector="civil_society"))

        async def check_in():
            r = await dialogue.post(f"/v1/sessions/{running['id']}/participants/{walk_in['id']}/check-in",
                                    headers=as_coordinator())
            assert r.status_code == 200, r.text

        async def remove():
            current = (await dialogue.get(f"/v1/sessions/{running['id']}/participants",
                                          headers=as_coordinator())).json()["items"][0]
            r = await dialogue.delete(f"/v1/sessions/{running['id']}/participants/{walk_in['id']}",
                                      headers={**as_coordinator(),
                                               "If-Match": f'"{walk_in["id"]}.{current["version"]}"'})
            assert r.status_code == 204, r.text

        await self.assert_moves(dialogue, running["id"], "participants", register)
        await self.assert_moves(dialogue, running["id"], "participants", check_in)
        await self.assert_moves(dialogue, running["id"], "participants", remove)

    async def test_head_counts(self, dialogue, running):
        async def change():
            await set_head_counts(dialogue, running["id"], state=35, civil_society=46)

        await self.assert_moves(dialogue, running["id"], "session", change)

    async def test_a_recommendation_recorded_and_adopted(self, dialogue, orgs, running):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        rec: dict[str, Any] = {}

        async def record():
            rec.update(await create_recommendation(dialogue, [akimat], session_id=running["id"]))

        async def adopt():
            await move_recommendation(dialogue, rec["id"], "adopted")

        await self.assert_moves(dialogue, running["id"], "recommendations", record)
        await self.assert_moves(dialogue, running["id"], "recommendations", adopt)

    async def test_a_recommendation_of_another_session_does_not(self, dialogue, orgs, running):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        other = await create_session(dialogue, "Другой круглый стол", status="in_progress")
        before = await live(dialogue, running["id"])
        await create_recommendation(dialogue, [akimat], session_id=other["id"])
        assert await live(dialogue, running["id"]) == before

    async def test_starting_and_concluding(self, dialogue):
        session = await create_session(dialogue, status="scheduled")

        async def start():
            await move_session(dialogue, session["id"], "in_progress")

        async def conclude():
            await move_session(dialogue, session["id"], "concluded")

        assert (await self.assert_moves(dialogue, session["id"], "session", start))["status"] == "in_progress"
        assert (await self.assert_moves(dialogue, session["id"], "session", conclude))["status"] == "concluded"
