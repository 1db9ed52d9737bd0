"""Sessions: their lifecycle, forum structure, agenda, participants, attendance and outbox events."""

from __future__ import annotations

import pytest

from tests.dialogue.helpers import (
    BEYOND_ID_RANGE,
    EAST_KAZAKHSTAN,
    add_agenda_item,
    add_participant,
    all_pages,
    as_coordinator,
    as_member,
    create_session,
    error_fields,
    events,
    forged_cursor,
    move_session,
    ngo,
    person,
    problem,
    set_head_counts,
    state_body,
)


class TestSessionLifecycle:
    async def test_walks_from_draft_to_concluded(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["Открытие", "Модель Ashyq"])
        assert session["status"] == "draft"
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()

        assert (await move_session(dialogue, session["id"], "scheduled"))["status"] == "scheduled"
        started = await move_session(dialogue, session["id"], "in_progress")
        assert started["status"] == "in_progress"
        assert started["current_agenda_item_id"] == agenda[0]["id"]
        concluded = await move_session(dialogue, session["id"], "concluded")
        assert concluded["status"] == "concluded"
        assert concluded["current_agenda_item_id"] is None

    @pytest.mark.parametrize(("reached", "wanted", "allowed"), [
        ("draft", "concluded", ["scheduled", "cancelled"]),
        ("draft", "in_progress", ["scheduled", "cancelled"]),
        ("in_progress", "cancelled", ["concluded"]),
        ("concluded", "in_progress", []),
        ("concluded", "draft", []),
        ("cancelled", "scheduled", []),
        ("cancelled", "draft", []),
    ])
    async def test_refuses_an_illegal_transition_listing_what_is_allowed(self, dialogue, coordinator, reached,
                                                                         wanted, allowed):
        session = await create_session(dialogue, status=reached)
        r = await dialogue.post(f"/v1/sessions/{session['id']}/transitions", json={"status": wanted},
                                headers=coordinator)
        body = problem(r, 409)
        assert body["allowed"] == allowed
        assert (body["current"], body["requested"]) == (reached, wanted)
        after = (await dialogue.get(f"/v1/sessions/{session['id']}", headers=coordinator)).json()
        assert after["status"] == reached

    async def test_refuses_scheduling_a_session_without_agenda_items(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=[])
        r = await dialogue.post(f"/v1/sessions/{session['id']}/transitions", json={"status": "scheduled"},
                                headers=coordinator)
        problem(r, 409)
        assert (await dialogue.get(f"/v1/sessions/{session['id']}", headers=coordinator)).json()["status"] == "draft"

    async def test_a_concluded_session_cannot_be_edited(self, dialogue, coordinator):
        session = await create_session(dialogue, status="concluded")
        r = await dialogue.patch(f"/v1/sessions/{session['id']}", json={"venue": "Другой зал"},
                                 headers={**coordinator, "If-Match": f'"{session["id"]}.{session["version"]}"'})
        problem(r, 409)

    async def test_a_draft_is_invisible_to_anonymous_callers(self, dialogue, coordinator):
        draft = await create_session(dialogue, "Черновик")
        scheduled = await create_session(dialogue, "Объявленный", status="scheduled")

        problem(await dialogue.get(f"/v1/sessions/{draft['id']}"), 404)
        assert (await dialogue.get(f"/v1/sessions/{scheduled['id']}")).status_code == 200
        assert [s["id"] for s in await all_pages(dialogue, "/v1/sessions")] == [scheduled["id"]]
        listed = {s["id"] for s in await all_pages(dialogue, "/v1/sessions", headers=coordinator)}
        assert listed == {draft["id"], scheduled["id"]}


class TestForumStructure:
    async def test_a_breakout_without_a_parent_forum_is_refused(self, dialogue, coordinator):
        r = await dialogue.post("/v1/sessions", headers=coordinator, json={
            "kind": "breakout", "title": {"ru": "Юрта: экология"}, "venue": "Этнодеревня",
            "starts_at": "2025-10-10T10:00:00+05:00"})
        assert "parent_id" in error_fields(problem(r, 422))

    async def test_only_breakouts_and_plenaries_belong_to_a_forum(self, dialogue, coordinator):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[])
        r = await dialogue.post("/v1/sessions", headers=coordinator, json={
            "kind": "round_table", "title": {"ru": "Круглый стол"}, "venue": "ВКТУ",
            "starts_at": "2025-10-10T10:00:00+05:00", "parent_id": forum["id"]})
        assert "kind" in error_fields(problem(r, 422))

    async def test_sessions_nest_one_level_deep(self, dialogue):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[])
        breakout = await create_session(dialogue, "Юрта: НПО", kind="breakout", agenda=[], parent_id=forum["id"])
        r = await dialogue.post("/v1/sessions", headers=as_coordinator(), json={
            "kind": "breakout", "title": {"ru": "Подсекция"}, "venue": "Юрта",
            "starts_at": "2025-10-10T10:00:00+05:00", "parent_id": breakout["id"]})
        assert "parent_id" in error_fields(problem(r, 422))

    async def test_a_forum_lists_its_breakouts_and_plenary(self, dialogue, coordinator):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[])
        yurt = await create_session(dialogue, "Юрта: экология", kind="breakout", agenda=[], parent_id=forum["id"],
                                    starts_at="2025-10-10T10:00:00+05:00")
        plenary = await create_session(dialogue, "Пленарное заседание", kind="plenary", agenda=[],
                                       parent_id=forum["id"], starts_at="2025-10-10T15:00:00+05:00")

        read = (await dialogue.get(f"/v1/sessions/{forum['id']}", headers=coordinator)).json()
        assert read["child_ids"] == [yurt["id"], plenary["id"]]
        children = await all_pages(dialogue, "/v1/sessions", headers=coordinator, parent_id=forum["id"])
        assert {s["id"] for s in children} == {yurt["id"], plenary["id"]}
        assert all(s["parent_id"] == forum["id"] for s in children)

    async def test_a_forum_with_breakouts_does_not_become_a_breakout_itself(self, dialogue, coordinator):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[])
        yurt = await create_session(dialogue, "Юрта: НПО", kind="breakout", agenda=[], parent_id=forum["id"])
        other = await create_session(dialogue, "Другой форум", kind="civic_forum", agenda=[])
        r = await dialogue.patch(f"/v1/sessions/{forum['id']}", json={"kind": "breakout", "parent_id": other["id"]},
                                 headers={**coordinator, "If-Match": f'"{forum["id"]}.{forum["version"]}"'})
        assert "parent_id" in error_fields(problem(r, 422))
        read = (await dialogue.get(f"/v1/sessions/{forum['id']}", headers=coordinator)).json()
        assert (read["kind"], read["parent_id"], read["child_ids"]) == ("civic_forum", None, [yurt["id"]])

    async def test_a_civic_forum_is_scheduled_without_its_own_agenda(self, dialogue):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[], status="scheduled")
        assert forum["status"] == "scheduled"


class TestAgenda:
    async def test_inserts_an_item_at_a_position(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["Открытие", "Итоги"])
        inserted = await add_agenda_item(dialogue, session["id"], {"title": "Доклад акимата", "position": 2})
        assert inserted["position"] == 2
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [(i["position"], i["title"]) for i in agenda] == [(1, "Открытие"), (2, "Доклад акимата"), (3, "Итоги")]

    async def test_reorders_by_a_permutation_of_every_item(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["А", "Б", "В"])
        a, b, c = (i["id"] for i in (await dialogue.get(f"/v1/sessions/{session['id']}/agenda",
                                                        headers=coordinator)).json())
        r = await dialogue.put(f"/v1/sessions/{session['id']}/agenda/order", json={"item_ids": [c, a, b]},
                               headers=coordinator)
        assert r.status_code == 200, r.text
        assert [(i["id"], i["position"]) for i in r.json()] == [(c, 1), (a, 2), (b, 3)]
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [i["title"] for i in agenda] == ["В", "А", "Б"]

    @pytest.mark.parametrize("order", ["missing", "duplicate", "foreign"])
    async def test_refuses_an_order_that_is_not_a_permutation(self, dialogue, coordinator, order):
        session = await create_session(dialogue, agenda=["А", "Б", "В"])
        other = await create_session(dialogue, "Другое", agenda=["Чужой пункт"])
        a, _b, c = (i["id"] for i in (await dialogue.get(f"/v1/sessions/{session['id']}/agenda",
                                                         headers=coordinator)).json())
        foreign = (await dialogue.get(f"/v1/sessions/{other['id']}/agenda", headers=coordinator)).json()[0]["id"]
        item_ids = {"missing": [c, a], "duplicate": [c, a, a], "foreign": [c, a, foreign]}[order]

        r = await dialogue.put(f"/v1/sessions/{session['id']}/agenda/order", json={"item_ids": item_ids},
                               headers=coordinator)
        assert "item_ids" in error_fields(problem(r, 422))
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [i["title"] for i in agenda] == ["А", "Б", "В"]

    async def test_removing_an_item_renumbers_the_rest(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["А", "Б", "В"])
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        middle = agenda[1]
        path = f"/v1/sessions/{session['id']}/agenda/{middle['id']}"

        problem(await dialogue.delete(path, headers=coordinator), 428)
        r = await dialogue.delete(path, headers={**coordinator, "If-Match": f'"{middle["id"]}.{middle["version"]}"'})
        assert r.status_code == 204, r.text
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [(i["position"], i["title"]) for i in agenda] == [(1, "А"), (2, "В")]

    async def test_an_item_with_a_recommendation_recorded_on_it_stays(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        session = await create_session(dialogue, agenda=["Модель Ashyq", "Разное"], status="in_progress")
        item = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()[0]
        r = await dialogue.post("/v1/recommendations", headers=coordinator, json={
            "text": "Рекомендовать как пилот", "addressee_ids": [akimat], "session_id": session["id"],
            "agenda_item_id": item["id"]})
        assert r.status_code == 201, r.text
        rec_id = r.json()["id"]

        r = await dialogue.delete(f"/v1/sessions/{session['id']}/agenda/{item['id']}",
                                  headers={**coordinator, "If-Match": f'"{item["id"]}.{item["version"]}"'})
        assert problem(r, 409)["recommendation_id"] == rec_id
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [i["title"] for i in agenda] == ["Модель Ashyq", "Разное"]

    async def test_the_current_item_is_set_only_while_the_session_is_in_progress(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["А", "Б"], status="scheduled")
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        path = f"/v1/sessions/{session['id']}/agenda/current"

        problem(await dialogue.put(path, json={"item_id": agenda[1]["id"]}, headers=coordinator), 409)
        await move_session(dialogue, session["id"], "in_progress")
        r = await dialogue.put(path, json={"item_id": agenda[1]["id"]}, headers=coordinator)
        assert r.status_code == 200, r.text
        assert r.json()["current_agenda_item_id"] == agenda[1]["id"]
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert [i["is_current"] for i in agenda] == [False, True]

        await move_session(dialogue, session["id"], "concluded")
        problem(await dialogue.put(path, json={"item_id": agenda[0]["id"]}, headers=coordinator), 409)

    async def test_removing_the_current_item_leaves_nothing_under_discussion(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["А", "Б"], status="in_progress")
        first, _ = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert session["current_agenda_item_id"] == first["id"]
        r = await dialogue.delete(f"/v1/sessions/{session['id']}/agenda/{first['id']}",
                                  headers={**coordinator, "If-Match": f'"{first["id"]}.{first["version"]}"'})
        assert r.status_code == 204, r.text
        read = (await dialogue.get(f"/v1/sessions/{session['id']}", headers=coordinator)).json()
        assert read["current_agenda_item_id"] is None

    async def test_the_current_item_belongs_to_the_session(self, dialogue, coordinator):
        session = await create_session(dialogue, agenda=["А"], status="in_progress")
        other = await create_session(dialogue, "Другое", agenda=["Чужой пункт"])
        foreign = (await dialogue.get(f"/v1/sessions/{other['id']}/agenda", headers=coordinator)).json()[0]["id"]
        r = await dialogue.put(f"/v1/sessions/{session['id']}/agenda/current", json={"item_id": foreign},
                               headers=coordinator)
        problem(r, 404)

    async def test_registry_speakers_are_resolved_once(self, orgs, dialogue, coordinator):
        senate = await state_body(orgs, "Сенат Парламента Республики Казахстан", level="republican", region_code=None)
        speaker = await person(orgs, "Калашникова", "Наталья")
        session = await create_session(dialogue, agenda=[{"title": "Кафедры АНК", "speakers": [
            {"person_id": speaker, "org_id": senate},
            {"name": "Элеонора Столярова", "affiliation": "социолог, кандидат наук"}]}])
        (item,) = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=coordinator)).json()
        assert item["speakers"] == [
            {"person_id": speaker, "org_id": senate, "name": "Калашникова Наталья",
             "affiliation": "Сенат Парламента Республики Казахстан"},
            {"person_id": None, "org_id": None, "name": "Элеонора Столярова",
             "affiliation": "социолог, кандидат наук"},
        ]

    async def test_a_speaker_missing_from_the_registry_is_refused(self, orgs, dialogue, coordinator):
        session = await create_session(dialogue, agenda=[])
        r = await dialogue.post(f"/v1/sessions/{session['id']}/agenda", headers=coordinator,
                                json={"title": "Доклад", "speakers": [{"person_id": 999999}]})
        assert "speakers" in error_fields(problem(r, 422))


class TestParticipants:
    async def test_a_registry_person_is_registered_under_the_registry_name(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        deputy = await person(orgs, "Нургалиев", "Ербол")
        session = await create_session(dialogue, status="scheduled")
        participant = await add_participant(dialogue, session["id"], person_id=deputy, org_id=akimat,
                                            sector="state", role="speaker")
        assert participant["name"] == "Нургалиев Ербол"
        assert participant["org_name"] == "Акимат Восточно-Казахстанской области"
        assert (participant["sector"], participant["role"]) == ("state", "speaker")
        assert participant["checked_in_at"] is None

    async def test_a_walk_in_is_registered_by_name(self, dialogue, coordinator):
        session = await create_session(dialogue, status="scheduled")
        participant = await add_participant(dialogue, session["id"], name="Айгерим Омарова",
                                            org_name="студентка ВКТУ", sector="civil_society")
        assert (participant["person_id"], participant["name"]) == (None, "Айгерим Омарова")

    async def test_a_person_is_registered_once_per_session(self, orgs, dialogue, coordinator):
        someone = await person(orgs, "Аубакирова", "Жанна")
        session = await create_session(dialogue, status="scheduled")
        first = await add_participant(dialogue, session["id"], person_id=someone, sector="expert")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/participants", headers=coordinator,
                                json={"person_id": someone, "sector": "expert"})
        assert problem(r, 409)["existing_id"] == first["id"]

    async def test_a_person_not_in_the_registry_is_refused(self, orgs, dialogue, coordinator):
        session = await create_session(dialogue, status="scheduled")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/participants", headers=coordinator,
                                json={"person_id": 999999, "sector": "expert"})
        assert "person_id" in error_fields(problem(r, 422))

    async def test_checks_in_a_participant(self, dialogue, coordinator):
        session = await create_session(dialogue, status="in_progress")
        participant = await add_participant(dialogue, session["id"], name="Айгерим Омарова", sector="civil_society")
        path = f"/v1/sessions/{session['id']}/participants/{participant['id']}/check-in"

        first = await dialogue.post(path, headers=coordinator)
        assert first.status_code == 200, first.text
        assert first.json()["checked_in_at"] is not None
        again = await dialogue.post(path, headers=coordinator)
        assert again.status_code == 200, again.text
        assert again.json()["checked_in_at"] == first.json()["checked_in_at"]
        attendance = (await dialogue.get(f"/v1/sessions/{session['id']}/attendance")).json()
        assert attendance["attended"]["civil_society"] == 1

    async def test_check_in_waits_until_the_session_is_scheduled(self, dialogue, coordinator):
        session = await create_session(dialogue)
        participant = await add_participant(dialogue, session["id"], name="Айгерим Омарова", sector="civil_society")
        r = await dialogue.post(f"/v1/sessions/{session['id']}/participants/{participant['id']}/check-in",
                                headers=coordinator)
        problem(r, 409)

    async def test_finds_participants_by_name_whatever_the_case_of_kazakh_letters(self, dialogue, coordinator):
        session = await create_session(dialogue, status="in_progress")
        aliya = await add_participant(dialogue, session["id"], name="Әлия Қасымова", sector="civil_society")
        await add_participant(dialogue, session["id"], name="Алия Касымова", sector="civil_society")
        await add_participant(dialogue, session["id"], name="Ұлан Өмірзақов", sector="expert")
        path = f"/v1/sessions/{session['id']}/participants"

        for q in ("әлия", "ӘЛИЯ", "қасымова", "Әлия Қасым"):
            found = await all_pages(dialogue, path, headers=coordinator, q=q)
            assert [p["id"] for p in found] == [aliya["id"]], q
        assert [p["name"] for p in await all_pages(dialogue, path, headers=coordinator, q="өмірзақ")] == [
            "Ұлан Өмірзақов"]

    async def test_the_participant_list_needs_a_token(self, dialogue):
        session = await create_session(dialogue, status="scheduled")
        await add_participant(dialogue, session["id"], name="Айгерим Омарова", sector="civil_society")
        path = f"/v1/sessions/{session['id']}/participants"

        problem(await dialogue.get(path), 401)
        r = await dialogue.get(path, headers=as_member())
        assert r.status_code == 200, r.text
        assert [p["name"] for p in r.json()["items"]] == ["Айгерим Омарова"]

    async def test_pages_through_participants(self, dialogue, coordinator):
        session = await create_session(dialogue, status="scheduled")
        for n in range(5):
            await add_participant(dialogue, session["id"], name=f"Участник {n}", sector="civil_society")
        names = [p["name"] for p in await all_pages(dialogue, f"/v1/sessions/{session['id']}/participants",
                                                    headers=coordinator, limit=2)]
        assert names == [f"Участник {n}" for n in range(5)]


class TestAttendance:
    async def test_counts_registered_and_attended_by_sector(self, orgs, dialogue, coordinator):
        session = await create_session(dialogue, status="in_progress")
        for name, sector, came in [("Госслужащий 1", "state", True), ("Госслужащий 2", "state", False),
                                   ("НПО 1", "civil_society", True), ("НПО 2", "civil_society", True),
                                   ("Эксперт", "expert", True), ("Журналист", "media", False)]:
            await add_participant(dialogue, session["id"], name=name, sector=sector, checked_in=came)

        attendance = (await dialogue.get(f"/v1/sessions/{session['id']}/attendance")).json()
        assert attendance["registered"] == {"state": 2, "civil_society": 2, "expert": 1, "business": 0, "media": 1,
                                            "international": 0, "total": 6}
        assert attendance["attended"] == {"state": 1, "civil_society": 2, "expert": 1, "business": 0, "media": 0,
                                          "international": 0, "total": 4}
        assert attendance["attended_with_breakouts"] == attendance["attended"]

    async def test_head_counts_are_recorded_by_sector(self, dialogue, coordinator):
        session = await create_session(dialogue, kind="coordination_council", status="concluded")
        attendance = await set_head_counts(dialogue, session["id"], state=35, civil_society=46)
        assert attendance["attended"]["state"] == 35
        assert attendance["attended"]["civil_society"] == 46
        assert attendance["attended"]["total"] == 81
        r = await dialogue.put(f"/v1/sessions/{session['id']}/head-counts", headers=coordinator,
                               json=[{"sector": "state", "count": 1}, {"sector": "state", "count": 2}])
        assert "sector" in error_fields(problem(r, 422))

    async def test_a_forum_rolls_attendance_up_over_its_breakouts(self, dialogue, coordinator):
        forum = await create_session(dialogue, "Голос региона", kind="civic_forum", agenda=[], status="scheduled")
        ecology = await create_session(dialogue, "Юрта: экология", kind="breakout", agenda=[],
                                       parent_id=forum["id"], status="in_progress")
        youth = await create_session(dialogue, "Юрта: молодёжь", kind="breakout", agenda=[],
                                     parent_id=forum["id"], status="in_progress")
        await set_head_counts(dialogue, ecology["id"], civil_society=12, state=3)
        await add_participant(dialogue, youth["id"], name="Студент", sector="civil_society", checked_in=True)
        await add_participant(dialogue, youth["id"], name="Эксперт", sector="expert", checked_in=True)
        await add_participant(dialogue, forum["id"], name="Заместитель акима", sector="state", checked_in=True)

        forum_attendance = (await dialogue.get(f"/v1/sessions/{forum['id']}/attendance")).json()
        assert forum_attendance["attended"]["total"] == 1
        rolled = forum_attendance["attended_with_breakouts"]
        assert (rolled["state"], rolled["civil_society"], rolled["expert"], rolled["total"]) == (4, 13, 1, 18)
        youth_attendance = (await dialogue.get(f"/v1/sessions/{youth['id']}/attendance")).json()
        assert youth_attendance["attended_with_breakouts"]["total"] == 2


class TestSessionEvents:
    async def test_scheduling_changing_and_cancelling_are_written_to_the_outbox(self, dialogue, coordinator):
        session = await create_session(dialogue, region_code=EAST_KAZAKHSTAN)
        subject = f"session/{session['id']}"
        assert await events(dialogue, "session.scheduled", subject) == []

        scheduled = await move_session(dialogue, session["id"], "scheduled")
        r = await dialogue.patch(f"/v1/sessions/{session['id']}", json={"venue": "Колонный зал ВКТУ"},
                                 headers={**coordinator, "If-Match": f'"{session["id"]}.{scheduled["version"]}"'})
        assert r.status_code == 200, r.text
        r = await dialogue.post(f"/v1/sessions/{session['id']}/transitions", headers=coordinator,
                                json={"status": "cancelled", "reason": "Перенос на ноябрь"})
        assert r.status_code == 200, r.text

        (event,) = await events(dialogue, "session.scheduled", subject)
        assert event["payload"] == {"session_id": session["id"], "from": "draft", "to": "scheduled", "reason": None}
        (event,) = await events(dialogue, "session.changed", subject)
        assert event["payload"] == {"session_id": session["id"], "changed": ["venue"]}
        (event,) = await events(dialogue, "session.cancelled", subject)
        assert event["payload"]["reason"] == "Перенос на ноябрь"
        assert event["delivered_at"] is None

    async def test_editing_a_draft_writes_no_event(self, dialogue, coordinator):
        session = await create_session(dialogue)
        r = await dialogue.patch(f"/v1/sessions/{session['id']}", json={"venue": "Колонный зал ВКТУ"},
                                 headers={**coordinator, "If-Match": f'"{session["id"]}.{session["version"]}"'})
        assert r.status_code == 200, r.text
        assert await events(dialogue, "session.changed") == []

    async def test_the_outbox_is_for_admins(self, dialogue, coordinator):
        problem(await dialogue.get("/v1/events"), 401)
        problem(await dialogue.get("/v1/events", headers=coordinator), 403)


class TestFindingSessions:
    async def test_finds_sessions_by_words_of_the_title_venue_or_topics(self, dialogue):
        forum = await create_session(dialogue, "Азаматтық форум «Өңір үні»", kind="civic_forum", agenda=[],
                                     venue="Этнодеревня", topics=["Экология"], status="scheduled")
        await create_session(dialogue, "Круглый стол", status="scheduled")
        for q in ("өңір", "ӨҢІР ҮНІ", "этнодеревня", "экология"):
            assert [s["id"] for s in await all_pages(dialogue, "/v1/sessions", q=q)] == [forum["id"]], q

    async def test_a_region_is_matched_by_its_own_oblast_digits(self, dialogue):
        semey = await create_session(dialogue, "Семей", region_code="101010000", status="scheduled")
        abai = await create_session(dialogue, "Абай", region_code="100000000", status="scheduled")
        await create_session(dialogue, "Кокшетау", region_code="110000000", status="scheduled")
        await create_session(dialogue, "Актобе", region_code="150000000", status="scheduled")
        found = await all_pages(dialogue, "/v1/sessions", region="100000000")
        assert sorted(s["id"] for s in found) == sorted([semey["id"], abai["id"]])
        assert [s["name"] for s in await all_pages(dialogue, "/v1/sessions", region=EAST_KAZAKHSTAN)] == []

    async def test_pages_newest_first_through_sessions_starting_together(self, dialogue, coordinator):
        created = []
        for n, starts_at in enumerate(["2025-10-14T10:00:00+05:00"] * 3 + ["2025-10-15T10:00:00+05:00",
                                                                           "2025-10-13T10:00:00+05:00"] * 2):
            created.append((await create_session(dialogue, f"Сессия {n}", starts_at=starts_at))["id"])
        whole = [s["id"] for s in await all_pages(dialogue, "/v1/sessions", headers=coordinator, limit=200)]
        assert sorted(whole) == sorted(created)
        for limit in (1, 2, 4):
            assert [s["id"] for s in await all_pages(dialogue, "/v1/sessions", headers=coordinator,
                                                     limit=limit)] == whole
        starts = [s["starts_at"] for s in await all_pages(dialogue, "/v1/sessions", headers=coordinator)]
        assert starts == sorted(starts, reverse=True)


class TestBadInput:
    async def test_an_id_beyond_the_id_range_names_no_record(self, dialogue, coordinator):
        session = await create_session(dialogue, status="in_progress")
        path = f"/v1/sessions/{session['id']}"
        big = BEYOND_ID_RANGE
        problem(await dialogue.get(f"/v1/sessions/{big}"), 404)
        problem(await dialogue.get(f"/v1/sessions/{big}/agenda"), 404)
        problem(await dialogue.patch(f"{path}/agenda/{big}", json={"heard": "—"},
                                     headers={**coordinator, "If-Match": "*"}), 404)
        problem(await dialogue.put(f"{path}/agenda/current", json={"item_id": big}, headers=coordinator), 404)
        problem(await dialogue.post(f"{path}/participants/{big}/check-in", headers=coordinator), 404)
        for query in ({"organizer_id": big}, {"parent_id": big}):
            assert set(query) <= error_fields(problem(await dialogue.get("/v1/sessions", params=query), 422))

    async def test_text_with_the_nul_character_is_refused_not_a_crash(self, dialogue, coordinator):
        # PostgreSQL cannot store U+0000 (the insert failed: 500); refused as bad input on both backends.
        body = {"kind": "round_table", "title": {"ru": "Круглый\x00стол"}, "venue": "ВКТУ",
                "starts_at": "2025-10-14T10:00:00+05:00"}
        problem(await dialogue.post("/v1/sessions", json=body, headers=coordinator), 422)
        assert (await dialogue.get("/v1/sessions", params={"q": "стол\x00"})).status_code == 200  # folded away
        assert (await dialogue.get("/v1/sessions", headers=coordinator)).json()["items"] == []

    @pytest.mark.parametrize("field", ["parent_id", "organizer_ids"])
    async def test_a_reference_beyond_the_id_range_is_refused(self, orgs, dialogue, coordinator, field):
        body = {"kind": "breakout", "title": {"ru": "Юрта"}, "venue": "Этнодеревня",
                "starts_at": "2025-10-10T10:00:00+05:00"}
        if field == "parent_id":
            body["parent_id"] = BEYOND_ID_RANGE
        else:
            forum = await create_session(dialogue, "Форум", kind="civic_forum", agenda=[])
            body |= {"parent_id": forum["id"], "organizer_ids": [BEYOND_ID_RANGE, 0]}
        r = await dialogue.post("/v1/sessions", json=body, headers=coordinator)
        assert error_fields(problem(r, 422)) == {field}

    @pytest.mark.parametrize("values", [
        ("2025-10-14T05:00:00+00:00", "7"), ("2025-10-14T05:00:00+00:00", BEYOND_ID_RANGE),
        ("2025-10-14T05:00:00", 7), ("вчера", 7), (5, 7), ("2025-10-14T05:00:00+00:00",),
    ])
    async def test_a_forged_session_cursor_is_refused(self, dialogue, coordinator, values):
        r = await dialogue.get("/v1/sessions", params={"cursor": forged_cursor(*values)}, headers=coordinator)
        assert error_fields(problem(r, 422)) == {"cursor"}

    @pytest.mark.parametrize("values", [("7",), (BEYOND_ID_RANGE,), (None,), (1, 2)])
    async def test_a_forged_participant_or_event_cursor_is_refused(self, dialogue, coordinator, admin, values):
        session = await create_session(dialogue, status="scheduled")
        r = await dialogue.get(f"/v1/sessions/{session['id']}/participants",
                               params={"cursor": forged_cursor(*values)}, headers=coordinator)
        assert error_fields(problem(r, 422)) == {"cursor"}
        r = await dialogue.get("/v1/events", params={"cursor": forged_cursor(*values)}, headers=admin)
        assert error_fields(problem(r, 422)) == {"cursor"}


class TestWhoMayChangeADraft:
    async def test_the_role_is_checked_before_the_draft_is_looked_up(self, dialogue):
        """Drafts are hidden from non-editors, but a write is refused for who is asking (401/403), found by the
        authorization matrix: the lookup used to run first and answer 404 to a caller who may not write at all."""
        draft = await create_session(dialogue, agenda=["Открытие"])
        path = f"/v1/sessions/{draft['id']}"
        etag = {"If-Match": f'"{draft["id"]}.{draft["version"]}"'}
        problem(await dialogue.patch(path, json={"venue": "Дом дружбы"}, headers=etag), 401)
        problem(await dialogue.patch(path, json={"venue": "Дом дружбы"}, headers={**as_member(3), **etag}), 403)
        problem(await dialogue.post(f"{path}/agenda", json={"title": "Разное"}, headers=as_member(3)), 403)
        problem(await dialogue.get(f"{path}/participants"), 401)
        problem(await dialogue.get(path, headers=as_member(3)), 404)  # reading still hides the draft
        agenda = (await dialogue.get(f"{path}/agenda", headers=as_coordinator())).json()
        assert [i["title"] for i in agenda] == ["Открытие"]


class TestOrganizers:
    async def test_sessions_are_found_by_organizer(self, orgs, dialogue, coordinator):
        university = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        mine = await create_session(dialogue, organizer_ids=[university], status="scheduled")
        await create_session(dialogue, "Чужая", status="scheduled")
        found = await all_pages(dialogue, "/v1/sessions", organizer_id=university)
        assert [s["id"] for s in found] == [mine["id"]]
        assert found[0]["organizer_ids"] == [university]
