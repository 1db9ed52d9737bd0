"""Protocols: pre-filled from the session, edited as a draft, published frozen, corrected as a new version."""

from __future__ import annotations

import pytest

from tests.dialogue.helpers import (
    add_participant,
    as_coordinator,
    as_representative,
    create_recommendation,
    create_session,
    error_fields,
    events,
    move_recommendation,
    move_session,
    problem,
    publish_protocol,
    read_recommendation,
    record_on_item,
    set_head_counts,
    state_body,
)

ITEMS = [{"title": "Модель Ashyq", "heard": "Доклад С. Рахметуллиной", "decided": "Рекомендовать как пилот"}]


async def _concluded_session(dialogue, **fields):
    """A round table run live: what was heard and decided is recorded on its agenda while it is in progress."""
    session = await create_session(dialogue, "Поиск системного взаимодействия", agenda=["Модель Ashyq", "Разное"],
                                   status="in_progress", venue="ВКТУ им. Д. Серикбаева", **fields)
    first, second = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
    await record_on_item(dialogue, session["id"], first["id"], heard="Доклад С. Рахметуллиной",
                         decided="Рекомендовать модель как пилот")
    await record_on_item(dialogue, session["id"], second["id"], heard="Н. Калашникова о кафедрах АНК")
    await add_participant(dialogue, session["id"], name="Сауле Рахметуллина", sector="expert", checked_in=True)
    await add_participant(dialogue, session["id"], name="Представитель акимата", sector="state", checked_in=True)
    await add_participant(dialogue, session["id"], name="Не пришёл", sector="state")
    return await move_session(dialogue, session["id"], "concluded")


async def _start(dialogue, session_id, **fields):
    r = await dialogue.post(f"/v1/sessions/{session_id}/protocol", json=fields, headers=as_coordinator())
    assert r.status_code == 201, r.text
    return r


async def _edit(dialogue, session_id, etag, **fields):
    return await dialogue.patch(f"/v1/sessions/{session_id}/protocol", json=fields,
                                headers={**as_coordinator(), "If-Match": etag})


async def _publish(dialogue, session_id):
    return await dialogue.post(f"/v1/sessions/{session_id}/protocol/publish", headers=as_coordinator())


async def _correct(dialogue, session_id, reason="Исправлена фамилия докладчика"):
    return await dialogue.post(f"/v1/sessions/{session_id}/protocol/corrections", json={"reason": reason},
                               headers=as_coordinator())


class TestStartProtocol:
    async def test_is_prefilled_from_the_agenda_and_attendance(self, dialogue):
        session = await _concluded_session(dialogue)
        r = await _start(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        protocol = r.json()
        assert r.headers["Location"] == f"/v1/sessions/{session['id']}/protocol"
        assert r.headers["ETag"]
        assert (protocol["version"], protocol["status"], protocol["supersedes_version"]) == (1, "draft", None)
        assert (protocol["number"], protocol["chair"]) == ("1", "С. Рахметуллина")
        assert protocol["held_on"] == "2025-10-14"
        assert protocol["place"] == "ВКТУ им. Д. Серикбаева"
        assert protocol["items"] == [
            {"title": "Модель Ashyq", "heard": "Доклад С. Рахметуллиной", "decided": "Рекомендовать модель как пилот"},
            {"title": "Разное", "heard": "Н. Калашникова о кафедрах АНК", "decided": None},
        ]
        assert protocol["attendance"] == {"state": 1, "civil_society": 0, "expert": 1, "business": 0, "media": 0,
                                          "international": 0, "total": 2}

    async def test_is_dated_by_the_calendar_in_kazakhstan(self, dialogue):
        # 00:30 in Astana on 15 October is still 14 October in UTC.
        session = await create_session(dialogue, format="online", online_url="https://meet.example.kz/night",
                                       starts_at="2025-10-15T00:30:00+05:00", status="concluded")
        assert (await _start(dialogue, session["id"])).json()["held_on"] == "2025-10-15"

    async def test_head_counts_go_into_the_attendance(self, dialogue):
        session = await create_session(dialogue, kind="coordination_council", status="concluded")
        await set_head_counts(dialogue, session["id"], state=35, civil_society=46)
        protocol = (await _start(dialogue, session["id"])).json()
        assert (protocol["attendance"]["state"], protocol["attendance"]["civil_society"]) == (35, 46)
        assert protocol["attendance"]["total"] == 81

    async def test_an_online_session_is_held_at_its_link(self, dialogue):
        session = await create_session(dialogue, format="online", online_url="https://meet.example.kz/ashyq",
                                       status="concluded")
        assert (await _start(dialogue, session["id"])).json()["place"] == "https://meet.example.kz/ashyq"

    async def test_given_fields_override_the_prefill(self, dialogue):
        session = await _concluded_session(dialogue)
        protocol = (await _start(dialogue, session["id"], place="Колонный зал ВКТУ", held_on="2025-10-15",
                                 items=ITEMS)).json()
        assert (protocol["place"], protocol["held_on"]) == ("Колонный зал ВКТУ", "2025-10-15")
        assert protocol["items"] == ITEMS

    @pytest.mark.parametrize("status", ["draft", "cancelled"])
    async def test_a_session_that_is_not_held_has_no_protocol(self, dialogue, status):
        session = await create_session(dialogue, status=status)
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={}, headers=as_coordinator())
        problem(r, 409)

    async def test_is_started_once(self, dialogue):
        session = await _concluded_session(dialogue)
        await _start(dialogue, session["id"])
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={}, headers=as_coordinator())
        problem(r, 409)

    async def test_is_started_by_a_coordinator(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await _concluded_session(dialogue)
        problem(await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={}), 401)
        problem(await dialogue.post(f"/v1/sessions/{session['id']}/protocol", json={},
                                    headers=as_representative(akimat)), 403)


class TestEditDraft:
    async def test_an_edit_names_the_version_it_changes(self, dialogue):
        session = await _concluded_session(dialogue)
        etag = (await _start(dialogue, session["id"])).headers["ETag"]
        path = f"/v1/sessions/{session['id']}/protocol"

        problem(await dialogue.patch(path, json={"number": "7"}, headers=as_coordinator()), 428)
        problem(await _edit(dialogue, session["id"], '"protocol-0.1"', number="7"), 412)
        r = await _edit(dialogue, session["id"], etag, number="7", chair="С. Рахметуллина", secretary="Ж. Аубакирова",
                        attendees="Госслужащие, исследователи, члены АНК, студенты", items=ITEMS)
        assert r.status_code == 200, r.text
        edited = r.json()
        assert (edited["number"], edited["chair"], edited["secretary"]) == ("7", "С. Рахметуллина", "Ж. Аубакирова")
        assert edited["items"] == ITEMS
        assert r.headers["ETag"] != etag
        problem(await _edit(dialogue, session["id"], etag, number="8"), 412)
        again = await _edit(dialogue, session["id"], r.headers["ETag"], number="8")
        assert again.status_code == 200, again.text
        read = (await dialogue.get(path, headers=as_coordinator())).json()
        assert (read["number"], read["chair"], read["items"]) == ("8", "С. Рахметуллина", ITEMS)


class TestPublish:
    async def test_publishes_a_complete_protocol_of_a_concluded_session(self, orgs, dialogue):
        session = await _concluded_session(dialogue)
        await _start(dialogue, session["id"], number="14/2025", chair="С. Рахметуллина")
        r = await _publish(dialogue, session["id"])
        assert r.status_code == 200, r.text
        published = r.json()
        assert (published["status"], published["version"]) == ("published", 1)
        assert published["published_at"] is not None
        (event,) = await events(dialogue, "protocol.published", f"session/{session['id']}")
        assert event["payload"] == {"session_id": session["id"], "protocol_id": published["id"], "version": 1,
                                    "number": "14/2025"}

    async def test_waits_until_the_session_has_concluded(self, dialogue):
        session = await create_session(dialogue, status="in_progress")
        await _start(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        problem(await _publish(dialogue, session["id"]), 409)
        assert (await dialogue.get(f"/v1/sessions/{session['id']}/protocol",
                                   headers=as_coordinator())).json()["status"] == "draft"
        await move_session(dialogue, session["id"], "concluded")
        assert (await _publish(dialogue, session["id"])).status_code == 200

    async def test_names_every_missing_field(self, dialogue):
        session = await create_session(dialogue, agenda=["Открытие"], status="concluded")
        etag = (await _start(dialogue, session["id"])).headers["ETag"]
        r = await _edit(dialogue, session["id"], etag, items=[])
        assert r.status_code == 200, r.text

        body = problem(await _publish(dialogue, session["id"]), 422)
        assert error_fields(body) == {"number", "chair", "items"}
        await _edit(dialogue, session["id"], r.headers["ETag"], number="3", chair="А. Умаров", items=ITEMS)
        assert (await _publish(dialogue, session["id"])).status_code == 200
        assert await events(dialogue, "protocol.published") != []

    async def test_sends_the_adopted_recommendations_to_their_bodies(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, status="in_progress")
        adopted = await create_recommendation(dialogue, [akimat], session_id=session["id"])
        await move_recommendation(dialogue, adopted["id"], "adopted")
        draft = await create_recommendation(dialogue, [akimat], session_id=session["id"], text="Не принято")
        await move_session(dialogue, session["id"], "concluded")

        await publish_protocol(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        sent = await read_recommendation(dialogue, adopted["id"])
        assert sent["status"] == "sent"
        assert sent["history"][-1]["note"] == "sent with the published protocol"
        assert (await read_recommendation(dialogue, draft["id"]))["status"] == "draft"
        (event,) = await events(dialogue, "recommendation.sent")
        assert event["payload"]["addressee_ids"] == [akimat]

    async def test_a_published_protocol_is_immutable(self, dialogue):
        session = await _concluded_session(dialogue)
        published = await publish_protocol(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        etag = f'"protocol-{published["id"]}.{published["etag_version"]}"'

        for headers in ({"If-Match": etag}, {"If-Match": "*"}, {}):
            r = await dialogue.patch(f"/v1/sessions/{session['id']}/protocol", json={"number": "2"},
                                     headers={**as_coordinator(), **headers})
            problem(r, 409)
        problem(await _publish(dialogue, session["id"]), 409)
        read = (await dialogue.get(f"/v1/sessions/{session['id']}/protocol")).json()
        assert read == published
        assert len(await events(dialogue, "protocol.published")) == 1


class TestCorrections:
    async def test_a_correction_is_a_new_version_and_the_old_one_stays(self, dialogue):
        session = await _concluded_session(dialogue)
        original = await publish_protocol(dialogue, session["id"], number="1", chair="С. Рахметулина")

        r = await _correct(dialogue, session["id"], "Исправлена фамилия председателя")
        assert r.status_code == 201, r.text
        assert r.headers["Location"] == f"/v1/sessions/{session['id']}/protocol/versions/2"
        correction = r.json()
        assert (correction["version"], correction["status"], correction["supersedes_version"]) == (2, "draft", 1)
        assert correction["correction_reason"] == "Исправлена фамилия председателя"
        assert (correction["number"], correction["items"]) == (original["number"], original["items"])
        assert correction["published_at"] is None

        edited = await _edit(dialogue, session["id"], r.headers["ETag"], chair="С. Рахметуллина")
        assert edited.status_code == 200, edited.text
        republished = await _publish(dialogue, session["id"])
        assert republished.status_code == 200, republished.text
        assert (republished.json()["version"], republished.json()["status"]) == (2, "published")
        assert republished.json()["chair"] == "С. Рахметуллина"

        old = await dialogue.get(f"/v1/sessions/{session['id']}/protocol/versions/1")
        assert old.status_code == 200, old.text
        assert old.json() == original
        current = (await dialogue.get(f"/v1/sessions/{session['id']}/protocol")).json()
        assert (current["version"], current["chair"]) == (2, "С. Рахметуллина")
        versions = (await dialogue.get(f"/v1/sessions/{session['id']}/protocol/versions")).json()
        assert [(v["version"], v["chair"]) for v in versions] == [(1, "С. Рахметулина"), (2, "С. Рахметуллина")]
        assert [e["payload"]["version"] for e in await events(dialogue, "protocol.published")] == [1, 2]

    async def test_only_a_published_protocol_is_corrected(self, dialogue):
        session = await _concluded_session(dialogue)
        problem(await _correct(dialogue, session["id"]), 409)
        await _start(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        problem(await _correct(dialogue, session["id"]), 409)
        await _publish(dialogue, session["id"])
        assert (await _correct(dialogue, session["id"])).status_code == 201
        problem(await _correct(dialogue, session["id"]), 409)

    async def test_a_correction_needs_a_reason(self, dialogue):
        session = await _concluded_session(dialogue)
        await publish_protocol(dialogue, session["id"], number="1", chair="С. Рахметуллина")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol/corrections", json={},
                                headers=as_coordinator())
        assert "reason" in error_fields(problem(r, 422))


class TestVisibility:
    async def test_anonymous_callers_see_the_published_version_only(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await _concluded_session(dialogue)
        path = f"/v1/sessions/{session['id']}/protocol"
        await _start(dialogue, session["id"], number="1", chair="С. Рахметуллина")

        problem(await dialogue.get(path), 404)
        problem(await dialogue.get(path, headers=as_representative(akimat)), 404)
        problem(await dialogue.get(f"{path}/versions/1"), 404)
        assert (await dialogue.get(f"{path}/versions")).json() == []

        await _publish(dialogue, session["id"])
        await _correct(dialogue, session["id"], "Уточнён состав участников")
        public = await dialogue.get(path)
        assert public.status_code == 200, public.text
        assert (public.json()["version"], public.json()["status"]) == (1, "published")
        assert [v["version"] for v in (await dialogue.get(f"{path}/versions")).json()] == [1]
        problem(await dialogue.get(f"{path}/versions/2"), 404)

        editor_view = (await dialogue.get(path, headers=as_coordinator())).json()
        assert (editor_view["version"], editor_view["status"]) == (2, "draft")
        assert (await dialogue.get(f"{path}/versions/2", headers=as_coordinator())).status_code == 200
