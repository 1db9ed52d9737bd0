"""The session planner: who may open it, creating a session, its agenda, participants, breakouts and lifecycle,
forms that keep the input and say what is wrong, stale edits, escaping, CSRF, languages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.dialogue.helpers import EAST_KAZAKHSTAN, as_coordinator, create_session, ngo, person, state_body
from tests.gateway.helpers import XSS, create_account, csrf_token, sign_in, visible_text

PASSWORD = "correct horse battery"


async def signed_in(gateway: httpx.AsyncClient, orgs: httpx.AsyncClient, *roles: str,
                    org_ids: list[int] | None = None) -> httpx.AsyncClient:
    login = f"user.{uuid.uuid4().hex[:8]}"
    await create_account(orgs, login, PASSWORD, roles=list(roles) or ["coordinator"], org_ids=org_ids)
    r = await sign_in(gateway, login, PASSWORD)
    assert r.status_code == 303, r.text
    return gateway


async def post_form(gateway: httpx.AsyncClient, page_path: str, action: str, data: dict[str, Any],
                    headers: dict[str, str] | None = None) -> httpx.Response:
    """Post a form as the browser would: with the CSRF token of the page it is on."""
    page = (await gateway.get(page_path)).text
    return await gateway.post(action, data={"csrf_token": csrf_token(page), **data}, headers=headers)


async def sessions_in_dialogue(dialogue: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await dialogue.get("/v1/sessions", params={"limit": 200}, headers=as_coordinator())
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def read_session(dialogue: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    r = await dialogue.get(f"/v1/sessions/{session_id}", headers=as_coordinator())
    assert r.status_code == 200, r.text
    session: dict[str, Any] = r.json()
    return session


def new_session_form(**changes: Any) -> dict[str, Any]:
    form = {"action": "save", "kind": "round_table", "format": "offline",
            "title_ru": "Поиск системного взаимодействия", "title_kk": "Жүйелі өзара іс-қимылды іздеу",
            "starts_at": "2025-10-14T10:00", "ends_at": "2025-10-14T13:00",
            "venue": "ВКТУ им. Д. Серикбаева, Усть-Каменогорск", "region_code": EAST_KAZAKHSTAN,
            "topics": "гражданское общество, диалог", "idempotency_key": uuid.uuid4().hex}
    form.update(changes)
    return form


def planner_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"^/workspace/sessions/(\d+)\?done=created$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match[1])


class TestAccess:
    @pytest.mark.parametrize("path", ["/workspace/sessions", "/workspace/sessions/new", "/workspace/sessions/1",
                                      "/workspace/pickers/organizers"])
    async def test_anonymous_is_sent_to_sign_in(self, gateway, path):
        r = await gateway.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")

    async def test_a_representative_may_not_plan(self, gateway, orgs, dialogue):
        body = await state_body(orgs, "Акимат ВКО")
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs, "representative", org_ids=[body])
        for path in ("/workspace/sessions", "/workspace/sessions/new", f"/workspace/sessions/{session['id']}"):
            r = await gateway.get(path)
            assert r.status_code == 403, path
            assert "Доступ запрещён" in r.text

    async def test_a_representative_cannot_post_either(self, gateway, orgs, dialogue):
        body = await state_body(orgs, "Акимат ВКО")
        await signed_in(gateway, orgs, "representative", org_ids=[body])
        page = (await gateway.get("/")).text
        r = await gateway.post("/workspace/sessions/new", data={"csrf_token": csrf_token(page), **new_session_form()})
        assert r.status_code == 403
        assert await sessions_in_dialogue(dialogue) == []

    async def test_an_admin_may_plan(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs, "admin")
        assert (await gateway.get("/workspace/sessions")).status_code == 200

    async def test_a_post_without_csrf_token_is_refused_and_writes_nothing(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        r = await gateway.post("/workspace/sessions/new", data=new_session_form())
        assert r.status_code == 403
        assert "Срок действия формы истёк" in r.text
        assert await sessions_in_dialogue(dialogue) == []
        session = await create_session(dialogue, "Круглый стол")
        r = await gateway.post(f"/workspace/sessions/{session['id']}/agenda", data={"title": "Лишний пункт"})
        assert r.status_code == 403
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
        assert [i["title"] for i in agenda] == ["Открытие"]


class TestSessionsList:
    async def test_lists_drafts_with_filters_and_a_new_session_button(self, gateway, orgs, dialogue):
        vktu = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        await create_session(dialogue, "Черновик круглого стола", organizer_ids=[vktu])
        await create_session(dialogue, "Назначенная платформа", kind="dialogue_platform", status="scheduled")
        await signed_in(gateway, orgs)
        r = await gateway.get("/workspace/sessions")
        assert r.status_code == 200
        text = visible_text(r.text)
        assert "Черновик круглого стола" in text and "Назначенная платформа" in text
        assert 'href="/workspace/sessions/new"' in r.text
        drafts = visible_text((await gateway.get("/workspace/sessions", params={"status": "draft"})).text)
        assert "Черновик круглого стола" in drafts and "Назначенная платформа" not in drafts
        by_kind = visible_text((await gateway.get("/workspace/sessions", params={"kind": "dialogue_platform"})).text)
        assert "Назначенная платформа" in by_kind and "Черновик круглого стола" not in by_kind
        by_org = visible_text((await gateway.get("/workspace/sessions", params={"organizer": vktu})).text)
        assert "Черновик круглого стола" in by_org and "Назначенная платформа" not in by_org

    async def test_finds_an_organizer_to_filter_by(self, gateway, orgs, dialogue):
        vktu = await ngo(orgs, "Восточно-Казахстанский технический университет", kind="research_education")
        await signed_in(gateway, orgs)
        r = await gateway.get("/workspace/sessions", params={"organizer_q": "техническ"},
                              headers={"HX-Request": "true", "HX-Target": "organizer-matches"})
        assert r.status_code == 200 and "<html" not in r.text
        assert f"organizer={vktu}" in r.text

    async def test_pages_with_a_next_link(self, gateway, orgs, dialogue):
        for n in range(27):
            await create_session(dialogue, f"Сессия {n:02d}", agenda=())
        await signed_in(gateway, orgs)
        r = await gateway.get("/workspace/sessions")
        match = re.search(r'href="(/workspace/sessions\?cursor=[^"]+)"', r.text)
        assert match, "no next-page link"
        second = await gateway.get(match[1].replace("&amp;", "&"))
        assert second.status_code == 200
        first_titles = set(re.findall(r"Сессия \d\d", visible_text(r.text)))
        second_titles = set(re.findall(r"Сессия \d\d", visible_text(second.text)))
        assert len(first_titles) == 25 and len(second_titles) == 2 and not first_titles & second_titles


class TestNewSession:
    async def test_creates_a_draft_in_kazakhstan_time_and_goes_to_its_planner(self, gateway, orgs, dialogue):
        vktu = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(organizer_ids=str(vktu)))
        session = await read_session(dialogue, planner_id(r))
        assert session["status"] == "draft"
        assert session["title"] == {"ru": "Поиск системного взаимодействия", "kk": "Жүйелі өзара іс-қимылды іздеу",
                                    "en": None}
        assert session["starts_at"].startswith("2025-10-14T05:00:00")  # 10:00 in Almaty is 05:00 UTC
        assert session["organizer_ids"] == [vktu]
        assert session["topics"] == ["гражданское общество", "диалог"]
        page = await gateway.get(r.headers["location"])
        assert page.status_code == 200
        assert "Поиск системного взаимодействия" in visible_text(page.text)

    async def test_a_double_post_makes_one_session(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        form = new_session_form()
        first = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new", form)
        second = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new", form)
        assert planner_id(first) == planner_id(second)
        assert len(await sessions_in_dialogue(dialogue)) == 1

    async def test_end_before_start_is_said_at_the_end_with_the_input_kept(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(ends_at="2025-10-14T09:00"))
        assert r.status_code == 422
        assert re.search(r'<div class="field-error" id="ends_at-error">\s*<p>Окончание не может быть раньше начала',
                         r.text)
        assert 'value="Поиск системного взаимодействия"' in r.text
        assert 'value="2025-10-14T09:00"' in r.text and 'value="2025-10-14T10:00"' in r.text
        assert await sessions_in_dialogue(dialogue) == []

    async def test_a_missing_title_is_said_at_the_title_with_the_input_kept(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(title_ru="  "))
        assert r.status_code == 422
        assert re.search(r'<div class="field-error" id="title_ru-error">\s*<p>Заполните это поле', r.text)
        assert 'id="title_ru" name="title_ru"' in r.text and 'aria-invalid="true"' in r.text
        assert 'value="ВКТУ им. Д. Серикбаева, Усть-Каменогорск"' in r.text
        assert await sessions_in_dialogue(dialogue) == []

    async def test_an_unreadable_date_is_said_without_asking_the_service(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(starts_at="14.10.2025"))
        assert r.status_code == 422
        assert "starts_at-error" in r.text and 'value="14.10.2025"' in r.text
        assert await sessions_in_dialogue(dialogue) == []

    async def test_an_online_session_needs_its_link(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(format="online", venue=""))
        assert r.status_code == 422
        assert "online_url-error" in r.text
        assert "Для онлайн- или смешанной сессии нужна ссылка" in visible_text(r.text)


class TestOrganizerPicker:
    async def test_search_as_you_type_returns_the_choices_fragment(self, gateway, orgs, dialogue):
        vktu = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education", short_name="ВКТУ")
        fund = await ngo(orgs, "Фонд «Қазақстан халқына»", kind="foundation")
        await signed_in(gateway, orgs)
        r = await gateway.get("/workspace/pickers/organizers",
                              params={"organizers_q": "вкту", "organizer_ids": str(fund)},
                              headers={"HX-Request": "true", "HX-Target": "picker-organizers-choices"})
        assert r.status_code == 200 and "<html" not in r.text
        assert f'name="organizer_ids" value="{fund}" checked' in r.text  # what was chosen stays chosen
        assert f'name="organizer_ids" value="{vktu}">' in r.text  # the match, to tick

    async def test_without_javascript_find_shows_matches_and_saves_nothing(self, gateway, orgs, dialogue):
        vktu = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(action="find:organizers", organizers_q="серикбаева"))
        assert r.status_code == 200
        assert f'name="organizer_ids" value="{vktu}">' in r.text
        assert 'value="Поиск системного взаимодействия"' in r.text
        assert await sessions_in_dialogue(dialogue) == []

    async def test_an_unknown_picker_is_not_found(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        assert (await gateway.get("/workspace/pickers/accounts")).status_code == 404


class TestPlanner:
    async def test_a_coordinator_plans_a_session_from_start_to_scheduled(self, gateway, orgs, dialogue):
        council = await ngo(orgs, "Общественный совет ВКО", kind="public_council")
        someone = await person(orgs, "Нұрғазиева", "Бану")
        await signed_in(gateway, orgs)
        r = await post_form(gateway, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form(kind="civic_forum", title_ru="Форум «Голос региона»"))
        forum = planner_id(r)
        planner = f"/workspace/sessions/{forum}"

        # agenda: two items, one with a registry speaker and one with a guest; then the second moved up
        r = await post_form(gateway, planner, f"{planner}/agenda",
                            {"action": "save", "title": "Открытие форума", "planned_minutes": "15",
                             "speaker_person_ids": str(someone)})
        assert r.status_code == 303 and r.headers["location"].endswith("done=item_added#agenda")
        r = await post_form(gateway, planner, f"{planner}/agenda",
                            {"action": "save", "title": "Модель Ashyq", "speaker_name": "Гость форума",
                             "speaker_affiliation": "НПО «Ашық»"})
        assert r.status_code == 303
        agenda = (await dialogue.get(f"/v1/sessions/{forum}/agenda", headers=as_coordinator())).json()
        assert [i["title"] for i in agenda] == ["Открытие форума", "Модель Ashyq"]
        assert agenda[0]["speakers"][0]["person_id"] == someone and agenda[0]["planned_minutes"] == 15
        assert agenda[1]["speakers"] == [{"person_id": None, "org_id": None, "name": "Гость форума",
                                          "affiliation": "НПО «Ашық»"}]
        r = await post_form(gateway, planner, f"{planner}/agenda/{agenda[1]['id']}/move", {"direction": "up"})
        assert r.status_code == 303
        agenda = (await dialogue.get(f"/v1/sessions/{forum}/agenda", headers=as_coordinator())).json()
        assert [i["title"] for i in agenda] == ["Модель Ashyq", "Открытие форума"]

        # participants: a registry person (found by name) and a walk-in
        r = await post_form(gateway, planner, f"{planner}/participants",
                            {"action": "find:person", "person_q": "нұрғ", "sector": "civil_society"})
        assert r.status_code == 200 and f'name="person_id" value="{someone}">' in r.text
        r = await post_form(gateway, planner, f"{planner}/participants",
                            {"action": "save", "person_id": str(someone), "org_id": str(council),
                             "sector": "civil_society", "role": "speaker"})
        assert r.status_code == 303, r.text
        r = await post_form(gateway, planner, f"{planner}/participants",
                            {"action": "save", "name": "Айгүл Сапарова", "org_name": "Жители района",
                             "sector": "civil_society", "role": "participant"})
        assert r.status_code == 303, r.text
        participants = (await dialogue.get(f"/v1/sessions/{forum}/participants",
                                           headers=as_coordinator())).json()["items"]
        assert {(p["person_id"], p["name"], p["org_id"], p["role"]) for p in participants} == {
            (someone, "Нұрғазиева Бану", council, "speaker"), (None, "Айгүл Сапарова", None, "participant")}

        # a breakout: the new-session form opens preset for the forum
        r = await gateway.get("/workspace/sessions/new", params={"parent_id": forum})
        assert r.status_code == 200
        assert re.search(rf'<option value="{forum}" selected>', r.text)
        assert '<option value="breakout" selected>' in r.text
        r = await post_form(gateway, f"/workspace/sessions/new?parent_id={forum}", "/workspace/sessions/new",
                            new_session_form(kind="breakout", parent_id=str(forum), title_ru="Юрта «Молодёжь»"))
        breakout = planner_id(r)
        assert (await read_session(dialogue, breakout))["parent_id"] == forum

        # schedule it
        r = await post_form(gateway, planner, f"{planner}/transitions", {"status": "scheduled"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=scheduled#lifecycle")
        assert (await read_session(dialogue, forum))["status"] == "scheduled"

        page = await gateway.get(planner)
        text = visible_text(page.text)
        assert "Юрта «Молодёжь»" in text and "Айгүл Сапарова" in text and "Нұрғазиева Бану" in text
        assert f'href="{planner}/console"' in page.text and f'href="{planner}/protocol"' in page.text
        assert "Начать заседание" in text and "Назначить" not in text  # only what a scheduled session allows

    async def test_scheduling_without_an_agenda_is_refused_on_the_page(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол", agenda=())
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        r = await post_form(gateway, planner, f"{planner}/transitions", {"status": "scheduled"})
        assert r.status_code == 409
        assert "Добавьте хотя бы один пункт повестки" in visible_text(r.text)
        assert (await read_session(dialogue, session["id"]))["status"] == "draft"

    async def test_removes_an_agenda_item_and_a_participant(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол", agenda=("Открытие", "Закрытие"))
        r = await dialogue.post(f"/v1/sessions/{session['id']}/participants", headers=as_coordinator(),
                                json={"name": "Гость", "sector": "expert"})
        participant = r.json()
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
        r = await post_form(gateway, planner, f"{planner}/agenda/{agenda[0]['id']}/remove",
                            {"version": str(agenda[0]["version"])})
        assert r.status_code == 303
        r = await post_form(gateway, planner, f"{planner}/participants/{participant['id']}/remove",
                            {"version": str(participant["version"])})
        assert r.status_code == 303
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
        assert [i["title"] for i in agenda] == ["Закрытие"]
        participants = (await dialogue.get(f"/v1/sessions/{session['id']}/participants",
                                           headers=as_coordinator())).json()["items"]
        assert participants == []

    async def test_htmx_gets_only_the_agenda_block(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        page = (await gateway.get(planner)).text
        r = await gateway.post(f"{planner}/agenda", data={"action": "save", "title": "Новый пункт"},
                               headers={"X-CSRF-Token": csrf_token(page), "HX-Request": "true",
                                        "HX-Target": "agenda"})
        assert r.status_code == 200
        assert "<html" not in r.text and "Новый пункт" in r.text and "Пункт повестки добавлен" in r.text
        r = await gateway.post(f"{planner}/agenda", data={"action": "save", "title": ""},
                               headers={"X-CSRF-Token": csrf_token(page), "HX-Request": "true",
                                        "HX-Target": "agenda"})
        assert r.status_code == 422 and "<html" not in r.text
        assert "agenda-title-input-error" in r.text

    async def test_a_participant_needs_a_person_or_a_name(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        r = await post_form(gateway, planner, f"{planner}/participants",
                            {"action": "save", "org_name": "Жители района", "sector": "civil_society"})
        assert r.status_code == 422
        assert "participant-name-error" in r.text and 'value="Жители района"' in r.text
        r = await post_form(gateway, planner, f"{planner}/participants", {"action": "save", "name": "Гость"})
        assert r.status_code == 422
        assert "sector-error" in r.text and 'value="Гость"' in r.text

    async def test_edits_the_details(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        form = new_session_form(title_ru="Круглый стол о молодёжной политике", version=str(session["version"]))
        r = await post_form(gateway, planner, planner, form)
        assert r.status_code == 303 and r.headers["location"].endswith("done=saved")
        assert (await read_session(dialogue, session["id"]))["title"]["ru"] == "Круглый стол о молодёжной политике"

    async def test_an_edit_ending_before_it_starts_is_said_at_the_end(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        r = await post_form(gateway, planner, planner,
                            new_session_form(ends_at="2025-10-13T09:00", version=str(session["version"])))
        assert r.status_code == 422
        assert re.search(r'id="ends_at-error">\s*<p>Окончание не может быть раньше начала', r.text)
        assert (await read_session(dialogue, session["id"]))["ends_at"] is None

    async def test_a_stale_edit_says_the_data_changed_and_shows_the_current_values(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        # Someone else renames it after this coordinator opened the form.
        r = await dialogue.patch(f"/v1/sessions/{session['id']}", json={"title": {"ru": "Переименован коллегой"}},
                                 headers={**as_coordinator(), "If-Match": f'"{session["id"]}.{session["version"]}"'})
        assert r.status_code == 200
        r = await post_form(gateway, planner, planner,
                            new_session_form(title_ru="Моё название", version=str(session["version"])))
        assert r.status_code == 412
        text = visible_text(r.text)
        assert "изменил эту запись" in text
        assert 'id="title_ru" name="title_ru" type="text" lang="ru" maxlength="500" value="Переименован коллегой"' \
            in r.text
        assert "Моё название" in text  # what this user had typed, to copy from
        assert (await read_session(dialogue, session["id"]))["title"]["ru"] == "Переименован коллегой"

    async def test_a_held_session_is_read_only(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол", status="concluded")
        await signed_in(gateway, orgs)
        planner = f"/workspace/sessions/{session['id']}"
        r = await gateway.get(planner)
        assert r.status_code == 200
        assert f'action="{planner}/agenda"' not in r.text
        assert "Сохранить изменения" not in r.text and "Добавить секцию" not in r.text
        # a form left open in another tab is refused by the service, and the page says why
        r = await post_form(gateway, planner, f"{planner}/agenda", {"action": "save", "title": "Поздний пункт"})
        assert r.status_code == 409
        assert "Повестку состоявшегося или отменённого заседания больше нельзя изменить" in visible_text(r.text)
        r = await post_form(gateway, planner, planner, new_session_form(version=str(session["version"])))
        assert r.status_code == 409
        assert "Состоявшееся или отменённое заседание больше нельзя изменить" in visible_text(r.text)

    async def test_an_unknown_session_is_not_found(self, gateway, orgs, dialogue):
        await signed_in(gateway, orgs)
        assert (await gateway.get("/workspace/sessions/999999")).status_code == 404


class TestEscaping:
    async def test_a_script_title_is_shown_as_text(self, gateway, orgs, dialogue):
        org = await ngo(orgs, XSS)
        session = await create_session(dialogue, XSS, organizer_ids=[org],
                                       agenda=[{"title": XSS, "speakers": [{"name": XSS, "affiliation": XSS}]}])
        await dialogue.post(f"/v1/sessions/{session['id']}/participants", headers=as_coordinator(),
                            json={"name": XSS, "org_name": XSS, "sector": "expert"})
        await signed_in(gateway, orgs)
        for path in ("/workspace/sessions", f"/workspace/sessions/{session['id']}"):
            r = await gateway.get(path)
            assert r.status_code == 200
            assert XSS not in r.text, path
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text, path


class TestLanguages:
    @pytest.mark.parametrize(("lang", "word"), [("ru", "Повестка"), ("kk", "Күн тәртібі")])
    async def test_the_planner_pages_render_in_russian_and_kazakh(self, gateway, orgs, dialogue, lang, word):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        for path in ("/workspace/sessions", "/workspace/sessions/new", f"/workspace/sessions/{session['id']}"):
            r = await gateway.get(path, params={"lang": lang})
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text
        assert word in visible_text(r.text)


class TestDialogueDown:
    async def test_the_planner_pages_say_the_service_is_unavailable(self, gateway_without_dialogue, orgs):
        await signed_in(gateway_without_dialogue, orgs)
        for path in ("/workspace/sessions", "/workspace/sessions/5", "/workspace/sessions/5/protocol"):
            r = await gateway_without_dialogue.get(path)
            assert r.status_code == 503, path
            assert "Сервис диалогов" in visible_text(r.text), path
        r = await gateway_without_dialogue.get("/workspace/sessions/new")  # the form needs only the registry
        assert r.status_code == 200
        r = await post_form(gateway_without_dialogue, "/workspace/sessions/new", "/workspace/sessions/new",
                            new_session_form())
        assert r.status_code == 503
        assert "Ничего не сохранено" in visible_text(r.text)
        assert 'value="Поиск системного взаимодействия"' in r.text  # the input is kept for a retry
