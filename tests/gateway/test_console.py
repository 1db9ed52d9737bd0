"""The live console: running a session (agenda, check-in, head counts, decisions) and its server-sent events.

The forms are driven as a browser would (with and without htmx) against the real orgs and dialogue services
in process. The stream is read from a real uvicorn server on a free port (httpx's ASGI transport waits for a
whole response, which an endless stream never gives), in the same event loop as the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from services.common.db import today_kz
from services.contracts.dialogue import LiveState
from services.gateway.live import REGIONS, LiveHub, Stamp, StreamsFull, changed_regions, live_events
from tests.conftest import _gateway_client, gateway_settings
from tests.dialogue.helpers import (
    EAST_KAZAKHSTAN,
    add_participant,
    as_coordinator,
    create_session,
    ngo,
    person,
    read_recommendation,
    republican_body,
    state_body,
)
from tests.gateway.helpers import XSS, create_account, csrf_token, disable_account, sign_in, visible_text

PASSWORD = "correct horse battery"
# Bounds a wait for something that must happen; a test never asserts how fast it happens.
PATIENCE_SECONDS = 30


@dataclass
class Running:
    """A session in progress with its agenda, two registered participants, and bodies to address."""

    id: int
    items: list[dict[str, Any]]
    akimat: int
    ministry: int
    fund: int
    nurgazieva: dict[str, Any]
    scripted: dict[str, Any]

    @property
    def url(self) -> str:
        return f"/workspace/sessions/{self.id}/console"


async def make_running(orgs: httpx.AsyncClient, dialogue: httpx.AsyncClient) -> Running:
    akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
    ministry = await republican_body(orgs, "Министерство информации и общественного развития РК")
    fund = await ngo(orgs, "Общественный фонд «Қазақстан халқына»")
    session = await create_session(dialogue, "Диалоговая площадка «Голос региона»", region_code=EAST_KAZAKHSTAN,
                                   agenda=["Открытие", "Модель Ashyq", XSS], status="in_progress")
    items = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
    someone = await person(orgs, "Нұрғазиева", "Бану")
    nurgazieva = await add_participant(dialogue, session["id"], person_id=someone, sector="civil_society")
    scripted = await add_participant(dialogue, session["id"], name=XSS, sector="expert")
    return Running(id=session["id"], items=items, akimat=akimat, ministry=ministry, fund=fund,
                   nurgazieva=nurgazieva, scripted=scripted)


async def sign_in_as(gateway: httpx.AsyncClient, orgs: httpx.AsyncClient, roles: list[str],
                     org_ids: list[int] | None = None) -> None:
    login = f"user.{uuid.uuid4().hex[:10]}"
    await create_account(orgs, login, PASSWORD, roles=roles, org_ids=org_ids)
    r = await sign_in(gateway, login, PASSWORD)
    assert r.status_code == 303, r.text


@pytest.fixture
async def running(orgs, dialogue) -> Running:
    return await make_running(orgs, dialogue)


@pytest.fixture
async def coordinator_console(gateway, orgs, running) -> httpx.AsyncClient:
    """The gateway as a signed-in coordinator's browser."""
    await sign_in_as(gateway, orgs, ["coordinator"])
    return gateway


async def token_of(client: httpx.AsyncClient, url: str) -> str:
    return csrf_token((await client.get(url)).text)


async def post(client: httpx.AsyncClient, url: str, data: dict[str, Any], *, page: str,
               htmx_target: str | None = None) -> httpx.Response:
    """A form sent from `page`, as a browser without JavaScript (or htmx, swapping `htmx_target`)."""
    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    return await client.post(url, data={**data, "csrf_token": await token_of(client, page)}, headers=headers)


async def session_state(dialogue: httpx.AsyncClient, session_id: int) -> dict[str, Any]:
    r = await dialogue.get(f"/v1/sessions/{session_id}", headers=as_coordinator())
    assert r.status_code == 200, r.text
    state: dict[str, Any] = r.json()
    return state


# --- who may open it ----------------------------------------------------------------------------------------

class TestAccess:
    async def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(self, gateway, running):
        r = await gateway.get(running.url)
        assert r.status_code == 303
        assert r.headers["location"] == f"/login?next=%2Fworkspace%2Fsessions%2F{running.id}%2Fconsole"

    async def test_the_stream_too(self, gateway, running):
        r = await gateway.get(f"{running.url}/stream")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")

    async def test_a_representative_is_refused(self, gateway, orgs, running):
        await sign_in_as(gateway, orgs, ["representative"], org_ids=[running.akimat])
        r = await gateway.get(running.url)
        assert r.status_code == 403
        assert "Доступ запрещён" in visible_text(r.text)
        assert (await gateway.get(f"{running.url}/stream")).status_code == 403

    async def test_a_representative_cannot_post_either(self, gateway, orgs, dialogue, running):
        await sign_in_as(gateway, orgs, ["representative"], org_ids=[running.akimat])
        r = await post(gateway, f"{running.url}/current", {"item_id": running.items[1]["id"]}, page="/")
        assert r.status_code == 403
        assert (await session_state(dialogue, running.id))["current_agenda_item_id"] == running.items[0]["id"]

    async def test_an_admin_may(self, gateway, orgs, running):
        await sign_in_as(gateway, orgs, ["admin"])
        assert (await gateway.get(running.url)).status_code == 200

    async def test_an_unknown_session_is_a_404_page(self, coordinator_console):
        r = await coordinator_console.get("/workspace/sessions/999999/console")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")

    async def test_a_post_without_csrf_token_is_refused(self, coordinator_console, dialogue, running):
        r = await coordinator_console.post(f"{running.url}/current", data={"item_id": running.items[1]["id"]})
        assert r.status_code == 403
        assert "Срок действия формы истёк" in r.text
        assert (await session_state(dialogue, running.id))["current_agenda_item_id"] == running.items[0]["id"]


# --- the page ----------------------------------------------------------------------------------------------

class TestPage:
    async def test_shows_the_item_under_discussion_and_connects_the_stream(self, coordinator_console, running):
        r = await coordinator_console.get(running.url)
        assert r.status_code == 200
        text = visible_text(r.text)
        assert "Диалоговая площадка «Голос региона»" in text
        assert "Пункт 1 из 3" in text and "Открытие" in text
        assert '<script src="/static/vendor/htmx-ext-sse/dist/sse.min.js" defer></script>' in r.text
        stream = re.search(r'sse-connect="([^"]+)"', r.text)
        assert stream and stream[1].startswith(f"{running.url}/stream?since=")
        for region in ("current", "counts", "decisions", "status", "live", "notes", "decide", "headcounts",
                       "walkin"):
            assert f'sse-swap="{region}"' in r.text, region
        assert 'hx-trigger="sse:people"' in r.text

    async def test_the_extension_file_is_served(self, coordinator_console):
        r = await coordinator_console.get("/static/vendor/htmx-ext-sse/dist/sse.min.js")
        assert r.status_code == 200
        assert "sse-swap" in r.text

    async def test_no_inline_script_or_style(self, coordinator_console, running):
        page = (await coordinator_console.get(running.url)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page and "<style" not in page
        assert not re.search(r"\bon[a-z]+=", page)

    async def test_names_that_are_scripts_show_as_text(self, coordinator_console, running):
        r = await coordinator_console.get(running.url, params={"q": "script"})
        assert XSS not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text

    async def test_the_projector_view_has_no_forms(self, coordinator_console, running):
        r = await coordinator_console.get(running.url, params={"view": "watch"})
        assert r.status_code == 200
        assert "Открытие" in r.text
        assert 'action="' + running.url not in r.text
        assert "view=watch" in re.search(r'sse-connect="([^"]+)"', r.text)[1]

    async def test_is_translated(self, coordinator_console, running):
        r = await coordinator_console.get(running.url, params={"lang": "kk"})
        assert "Талқылануда" in visible_text(r.text)
        r = await coordinator_console.get(running.url, params={"lang": "en"})
        assert "Under discussion" in visible_text(r.text)

    async def test_a_draft_session_says_to_schedule_it_first(self, coordinator_console, dialogue):
        draft = await create_session(dialogue, "Черновик")
        r = await coordinator_console.get(f"/workspace/sessions/{draft['id']}/console")
        assert r.status_code == 200
        assert "черновик" in visible_text(r.text).lower()


# --- the agenda ------------------------------------------------------------------------------------------

class TestAgenda:
    async def test_moves_to_the_next_item_without_javascript(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/current", {"item_id": running.items[1]["id"]},
                       page=running.url)
        assert r.status_code == 303
        assert r.headers["location"].startswith(running.url)
        assert (await session_state(dialogue, running.id))["current_agenda_item_id"] == running.items[1]["id"]
        page = visible_text((await coordinator_console.get(running.url)).text)
        assert "Пункт 2 из 3" in page

    async def test_with_htmx_only_the_region_comes_back(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/current", {"item_id": running.items[2]["id"]},
                       page=running.url, htmx_target="console-current")
        assert r.status_code == 200
        assert "<html" not in r.text and "Пункт 3 из 3" in visible_text(r.text)
        assert "&lt;script&gt;" in r.text and XSS not in r.text
        assert (await session_state(dialogue, running.id))["current_agenda_item_id"] == running.items[2]["id"]

    async def test_marks_the_item_heard(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/items/{running.items[0]['id']}/heard", {},
                       page=running.url)
        assert r.status_code == 303
        agenda = (await dialogue.get(f"/v1/sessions/{running.id}/agenda", headers=as_coordinator())).json()
        assert agenda[0]["heard"] == "Открытие"

    async def test_records_what_was_decided(self, coordinator_console, dialogue, running):
        item = running.items[0]
        r = await post(coordinator_console, f"{running.url}/items/{item['id']}/notes",
                       {"heard": "Доклад модератора", "decided": "Одобрить модель Ashyq", "version": item["version"]},
                       page=running.url, htmx_target="console-notes")
        assert r.status_code == 200, r.text
        assert "Сохранено" in visible_text(r.text)
        agenda = (await dialogue.get(f"/v1/sessions/{running.id}/agenda", headers=as_coordinator())).json()
        assert (agenda[0]["heard"], agenda[0]["decided"]) == ("Доклад модератора", "Одобрить модель Ashyq")

    async def test_a_stale_record_is_refused_with_the_text_kept(self, coordinator_console, dialogue, running):
        item = running.items[0]
        await post(coordinator_console, f"{running.url}/items/{item['id']}/notes",
                   {"heard": "", "decided": "Первая редакция", "version": item["version"]}, page=running.url)
        r = await post(coordinator_console, f"{running.url}/items/{item['id']}/notes",
                       {"heard": "", "decided": "Вторая редакция", "version": item["version"]}, page=running.url)
        assert r.status_code == 412
        assert "Вторая редакция" in r.text
        assert "Кто-то другой" in visible_text(r.text)
        agenda = (await dialogue.get(f"/v1/sessions/{running.id}/agenda", headers=as_coordinator())).json()
        assert agenda[0]["decided"] == "Первая редакция"

    async def test_a_session_not_started_cannot_move(self, coordinator_console, dialogue):
        scheduled = await create_session(dialogue, "Запланированная встреча", agenda=["Первый", "Второй"],
                                         status="scheduled")
        items = (await dialogue.get(f"/v1/sessions/{scheduled['id']}/agenda", headers=as_coordinator())).json()
        url = f"/workspace/sessions/{scheduled['id']}/console"
        r = await post(coordinator_console, f"{url}/current", {"item_id": items[1]["id"]}, page=url)
        assert r.status_code == 409
        assert "Сначала начните" in visible_text(r.text)

    async def test_starts_and_concludes_the_session(self, coordinator_console, dialogue):
        scheduled = await create_session(dialogue, "Запланированная встреча", agenda=["Первый"], status="scheduled")
        url = f"/workspace/sessions/{scheduled['id']}/console"
        r = await post(coordinator_console, f"{url}/status", {"status": "in_progress"}, page=url)
        assert r.status_code == 303
        assert (await session_state(dialogue, scheduled["id"]))["status"] == "in_progress"
        r = await post(coordinator_console, f"{url}/status", {"status": "concluded"}, page=url,
                       htmx_target="console-status")
        assert r.status_code == 200 and "<html" not in r.text
        assert (await session_state(dialogue, scheduled["id"]))["status"] == "concluded"
        r = await post(coordinator_console, f"{url}/status", {"status": "cancelled"}, page=url)
        assert r.status_code == 422


# --- check-in and attendance ---------------------------------------------------------------------------------

class TestCheckIn:
    async def test_finds_a_kazakh_name_by_its_first_letters(self, coordinator_console, running):
        r = await coordinator_console.get(running.url, params={"q": "нұрғ"},
                                          headers={"HX-Request": "true", "HX-Target": "console-people"})
        assert r.status_code == 200
        assert "<html" not in r.text
        assert "Нұрғазиева Бану" in visible_text(r.text)
        assert XSS not in r.text

    async def test_checks_in_from_the_search(self, coordinator_console, dialogue, running):
        page = f"{running.url}?q=НҰРҒ"
        r = await coordinator_console.get(page)
        assert "Нұрғазиева Бану" in visible_text(r.text)
        pid = running.nurgazieva["id"]
        assert f'action="{running.url}/participants/{pid}/check-in"' in r.text
        r = await post(coordinator_console, f"{running.url}/participants/{pid}/check-in", {"q": "НҰРҒ"}, page=page)
        assert r.status_code == 303
        assert "q=%D0%9D%D2%B0%D0%A0%D2%92" in r.headers["location"]
        people = (await dialogue.get(f"/v1/sessions/{running.id}/participants", headers=as_coordinator())).json()
        assert next(p for p in people["items"] if p["id"] == pid)["checked_in_at"] is not None
        attendance = (await dialogue.get(f"/v1/sessions/{running.id}/attendance")).json()
        assert attendance["attended"]["civil_society"] == 1
        text = visible_text((await coordinator_console.get(page)).text)
        assert "Отмечен" in text

    async def test_adds_a_walk_in_checked_in(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/walk-ins",
                       {"name": "Серікбаев Дәулет", "org_name": "ВКТУ", "sector": "expert",
                        "idempotency_key": str(uuid.uuid4())}, page=running.url, htmx_target="console-walkin")
        assert r.status_code == 200, r.text
        assert "Серікбаев Дәулет" in visible_text(r.text)
        found = (await dialogue.get(f"/v1/sessions/{running.id}/participants", params={"q": "серікб"},
                                    headers=as_coordinator())).json()["items"]
        assert [(p["sector"], p["org_name"], p["checked_in_at"] is not None) for p in found] == [
            ("expert", "ВКТУ", True)]

    async def test_the_same_walk_in_form_twice_adds_one(self, coordinator_console, dialogue, running):
        form = {"name": "Серікбаев Дәулет", "sector": "expert", "idempotency_key": str(uuid.uuid4())}
        for _ in range(2):
            r = await post(coordinator_console, f"{running.url}/walk-ins", form, page=running.url)
            assert r.status_code == 303
        found = (await dialogue.get(f"/v1/sessions/{running.id}/participants", params={"q": "серікб"},
                                    headers=as_coordinator())).json()["items"]
        assert len(found) == 1

    async def test_a_walk_in_without_sector_comes_back_with_the_name_kept(self, coordinator_console, running):
        r = await post(coordinator_console, f"{running.url}/walk-ins", {"name": "Серікбаев Дәулет", "sector": ""},
                       page=running.url)
        assert r.status_code == 422
        assert 'value="Серікбаев Дәулет"' in r.text
        assert "Выберите сектор" in visible_text(r.text)

    async def test_updates_head_counts(self, coordinator_console, dialogue, running):
        counts = {f"count_{s}": "0" for s in ("state", "civil_society", "expert", "business", "media",
                                              "international")}
        was = {f"was_{s}": "0" for s in ("state", "civil_society", "expert", "business", "media", "international")}
        r = await post(coordinator_console, f"{running.url}/head-counts",
                       {**counts, **was, "count_state": "35", "count_civil_society": "46"}, page=running.url)
        assert r.status_code == 303
        attendance = (await dialogue.get(f"/v1/sessions/{running.id}/attendance")).json()
        assert (attendance["attended"]["state"], attendance["attended"]["civil_society"]) == (35, 46)
        assert attendance["attended"]["total"] == 81
        page = visible_text((await coordinator_console.get(running.url)).text)
        assert "81 присутствует" in page

    async def test_head_counts_keep_what_another_screen_wrote_meanwhile(self, coordinator_console, dialogue,
                                                                      running):
        sectors = ("state", "civil_society", "expert", "business", "media", "international")
        form = {**{f"count_{s}": "0" for s in sectors}, **{f"was_{s}": "0" for s in sectors}}
        r = await dialogue.put(f"/v1/sessions/{running.id}/head-counts", headers=as_coordinator(),
                               json=[{"sector": "media", "count": 7}])
        assert r.status_code == 200
        r = await post(coordinator_console, f"{running.url}/head-counts", {**form, "count_state": "35"},
                       page=running.url)
        assert r.status_code == 303
        attended = (await dialogue.get(f"/v1/sessions/{running.id}/attendance")).json()["attended"]
        assert (attended["state"], attended["media"]) == (35, 7)

    async def test_a_wrong_head_count_is_said_on_the_form(self, coordinator_console, running):
        r = await post(coordinator_console, f"{running.url}/head-counts", {"count_state": "много"},
                       page=running.url, htmx_target="console-headcounts")
        assert r.status_code == 422
        assert 'value="много"' in r.text
        assert "целое число" in visible_text(r.text)


# --- decisions ------------------------------------------------------------------------------------------------

class TestDecisions:
    def form(self, running: Running, **changes: Any) -> dict[str, Any]:
        return {"text": "Рекомендовать акимату модель Ashyq как пилотный проект",
                "addressee_ids": [str(running.akimat)], "agenda_item_id": str(running.items[1]["id"]),
                "response_due_on": "", "idempotency_key": str(uuid.uuid4()), **changes}

    async def test_records_a_recommendation_adopted_at_the_session(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/recommendations", self.form(running), page=running.url)
        assert r.status_code == 303, r.text
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert len(recs) == 1
        rec = await read_recommendation(dialogue, recs[0]["id"])
        assert rec["status"] == "adopted"
        assert (rec["session_id"], rec["agenda_item_id"]) == (running.id, running.items[1]["id"])
        assert [a["org_id"] for a in rec["addressees"]] == [running.akimat]
        assert rec["response_due_on"] is None  # the service's standard term, counted when it is sent
        page = visible_text((await coordinator_console.get(running.url)).text)
        assert "Рекомендовать акимату модель Ashyq как пилотный проект" in page
        assert "Акимат Восточно-Казахстанской области" in page
        assert "Принята" in page

    async def test_with_htmx_the_form_comes_back_empty(self, coordinator_console, running):
        r = await post(coordinator_console, f"{running.url}/recommendations", self.form(running), page=running.url,
                       htmx_target="console-decide")
        assert r.status_code == 200
        assert "<html" not in r.text
        assert "записана и принята" in visible_text(r.text)
        assert "Рекомендовать акимату" not in r.text

    async def test_the_same_form_twice_records_one(self, coordinator_console, dialogue, running):
        form = self.form(running)
        for _ in range(2):
            assert (await post(coordinator_console, f"{running.url}/recommendations", form,
                               page=running.url)).status_code == 303
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert [r["status"] for r in recs] == ["adopted"]

    async def test_a_deadline_is_kept(self, coordinator_console, dialogue, running):
        due = today_kz().replace(year=today_kz().year + 1).isoformat()
        r = await post(coordinator_console, f"{running.url}/recommendations",
                       self.form(running, response_due_on=due), page=running.url)
        assert r.status_code == 303
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert recs[0]["response_due_on"] == due

    @pytest.mark.parametrize(("changes", "message"), [
        ({"addressee_ids": []}, "Выберите хотя бы один государственный орган"),
        ({"text": "  "}, "Напишите рекомендацию"),
        ({"response_due_on": "2020-01-01"}, "не может быть в прошлом"),
        ({"response_due_on": "31.12"}, "Введите дату"),
    ])
    async def test_a_wrong_form_comes_back_with_the_input_kept(self, coordinator_console, dialogue, running,
                                                               changes, message):
        form = self.form(running, **changes)
        r = await post(coordinator_console, f"{running.url}/recommendations", form, page=running.url)
        assert r.status_code == 422
        assert message in visible_text(r.text)
        if form["text"].strip():
            assert form["text"] in r.text
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert recs == []

    async def test_an_ngo_is_not_a_state_body(self, coordinator_console, dialogue, running):
        r = await post(coordinator_console, f"{running.url}/recommendations",
                       self.form(running, addressee_ids=[str(running.fund)]), page=running.url)
        assert r.status_code == 422
        assert "не является государственным органом" in visible_text(r.text)
        assert "Общественный фонд «Қазақстан халқына»" in visible_text(r.text)
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert recs == []

    async def test_the_picker_finds_state_bodies_only(self, coordinator_console, running):
        r = await coordinator_console.get(f"{running.url}/addressees", params={"addressee_q": "министерство"},
                                          headers={"HX-Request": "true", "HX-Target": "console-addressees"})
        assert r.status_code == 200
        assert "<html" not in r.text
        assert "Министерство информации и общественного развития РК" in r.text
        assert f'value="{running.ministry}"' in r.text
        r = await coordinator_console.get(f"{running.url}/addressees", params={"addressee_q": "фонд"},
                                          headers={"HX-Request": "true", "HX-Target": "console-addressees"})
        assert f'value="{running.fund}"' not in r.text

    async def test_the_picker_keeps_the_chosen_while_searching(self, coordinator_console, running):
        r = await coordinator_console.get(f"{running.url}/addressees",
                                          params={"addressee_q": "министерство", "addressee_ids": str(running.akimat)},
                                          headers={"HX-Request": "true", "HX-Target": "console-addressees"})
        assert re.search(rf'value="{running.akimat}" checked', r.text)
        assert f'value="{running.ministry}"' in r.text

    async def test_the_picker_works_without_javascript(self, coordinator_console, dialogue, running):
        form = self.form(running, addressee_ids=[str(running.akimat)], addressee_q="министерство", action="find")
        r = await post(coordinator_console, f"{running.url}/recommendations", form, page=running.url)
        assert r.status_code == 200
        assert form["text"] in r.text
        assert re.search(rf'value="{running.akimat}" checked', r.text)
        assert f'value="{running.ministry}"' in r.text
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": running.id},
                                   headers=as_coordinator())).json()["items"]
        assert recs == []

    async def test_before_the_session_starts_there_is_no_form(self, coordinator_console, dialogue):
        scheduled = await create_session(dialogue, "Запланированная встреча", status="scheduled")
        r = await coordinator_console.get(f"/workspace/sessions/{scheduled['id']}/console")
        assert "console/recommendations\"" not in r.text
        assert "после начала" in visible_text(r.text)


# --- the stream: the notifier and the regions to send, without a network -----------------------------------

def stamp(**changes: str) -> Stamp:
    values = {"session": "3", "agenda": "3-3-3", "participants": "2-2-2", "recommendations": "0-0-0",
              "status": "in_progress", "current_item": "1", **changes}
    return Stamp(**values)


class TestWhatIsSent:
    def test_a_stamp_reads_back_what_it_wrote_and_refuses_anything_else(self):
        assert Stamp.parse(str(stamp())) == stamp()
        for garbage in (None, "", "1/2/3", "a/b/c/d/e/", "x" * 400):
            assert Stamp.parse(garbage) is None

    def test_nothing_when_nothing_moved(self):
        assert changed_regions(stamp(), stamp()) == []

    def test_everything_on_first_sight_or_a_status_change(self):
        everything = [r for r in REGIONS if r != "decideitem"]  # the whole decision form carries its item
        assert changed_regions(None, stamp()) == everything
        assert changed_regions(stamp(), stamp(status="concluded")) == everything

    def test_a_new_item_under_discussion_brings_its_notes_form(self):
        assert changed_regions(stamp(), stamp(session="4", current_item="2")) == [
            "status", "current", "notes", "counts", "decideitem"]

    def test_forms_are_not_resent_while_someone_may_type_in_them(self):
        moved = stamp(session="4", agenda="3-4-3", participants="3-3-3", recommendations="1-1-1")
        regions = changed_regions(stamp(), moved)
        assert not {"notes", "headcounts", "walkin", "decide", "decideitem"} & set(regions)
        assert {"current", "counts", "people", "decisions"} <= set(regions)

    def test_check_ins_move_the_counters_and_the_searches(self):
        assert changed_regions(stamp(), stamp(participants="2-3-2")) == ["counts", "people"]

    def test_the_projector_gets_only_what_it_shows(self):
        assert changed_regions(None, stamp(), watch=True) == ["status", "current", "counts", "decisions"]


class TestHub:
    async def test_a_write_wakes_the_streams_of_its_session_at_once(self):
        hub = LiveHub(max_streams=5)
        with hub.watch(1) as first, hub.watch(2) as other:
            waiting = asyncio.create_task(first.wait(3600))
            untouched = asyncio.create_task(other.wait(3600))
            await asyncio.sleep(0)
            hub.notify(1)
            await asyncio.wait_for(waiting, PATIENCE_SECONDS)  # an hour's wait, cut short by the notice
            assert not untouched.done()
            untouched.cancel()
        assert hub.open_streams == 0

    def test_refuses_more_streams_than_allowed(self):
        hub = LiveHub(max_streams=1)
        with hub.watch(1):
            assert not hub.has_room()
            with pytest.raises(StreamsFull), hub.watch(1):
                pass
        assert hub.has_room()

    async def test_one_more_stream_is_told_plainly_and_closed(self):
        hub = LiveHub(max_streams=1)

        async def never() -> Any:
            raise AssertionError("a refused stream reads nothing")

        with hub.watch(1):
            events = [e async for e in live_events(hub, 1, None, poll_seconds=1, read_state=never, render=never,
                                                   notice=lambda kind: f"<p>{kind}</p>", still_allowed=never)]
        assert [(e.event, e.data) for e in events] == [("live", "<p>full</p>"), ("close", "")]

    async def test_closing_ends_every_stream_with_a_goodbye(self):
        hub = LiveHub(max_streams=5)
        states = 0

        async def read_state() -> LiveState:
            nonlocal states
            states += 1
            return LiveState(session_id=1, status="in_progress", current_agenda_item_id=1, session="1",
                             agenda="1-1-1", participants="0-0-0", recommendations="0-0-0", fingerprint="x")

        async def allowed() -> bool:
            return True

        async def render(regions: Any) -> list[tuple[str, str]]:
            return [(r, f"<div>{r}</div>") for r in regions]

        stream = live_events(hub, 1, None, poll_seconds=3600, read_state=read_state, render=render,
                             notice=lambda kind: kind, still_allowed=allowed)
        everything = [r for r in REGIONS if r != "decideitem"]
        seen = [await anext(stream) for _ in range(len(everything) + 2)]  # connected, every region, updated
        assert [e.event for e in seen] == ["live", *everything, "live"]
        assert seen[1].id == str(Stamp.parse(seen[1].id))
        waiting = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)
        hub.close()
        goodbye = await asyncio.wait_for(waiting, PATIENCE_SECONDS)
        assert (goodbye.event, goodbye.data) == ("live", "closing")
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        assert hub.open_streams == 0 and not hub.has_room()
        late = [e async for e in live_events(hub, 1, None, poll_seconds=1, read_state=read_state, render=render,
                                             notice=lambda kind: kind, still_allowed=allowed)]
        assert [(e.event, e.data) for e in late] == [("live", "closing")]  # no «close»: the browser reconnects


# --- the stream over a real server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def eventually(condition: Callable[[], bool]) -> None:
    """Waits (at most PATIENCE_SECONDS) for something that must come true."""
    async with asyncio.timeout(PATIENCE_SECONDS):
        for _ in itertools.count():
            if condition():
                return
            await asyncio.sleep(0.05)


@dataclass
class Served:
    url: str
    app: Any
    server: uvicorn.Server


@contextlib.asynccontextmanager
async def served_gateway(orgs_app: Any, dialogue_app: Any, **settings: Any) -> AsyncIterator[Served]:
    """The gateway behind a real uvicorn on a free port, in this event loop (the services stay in process)."""
    from services.gateway.app import create_app

    app = create_app(gateway_settings(**settings), orgs_transport=httpx.ASGITransport(app=orgs_app),
                     dialogue_transport=httpx.ASGITransport(app=dialogue_app))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None,
                                           log_level="warning", timeout_graceful_shutdown=10))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done())
    assert server.started, "the server did not start"
    try:
        yield Served(url=f"http://127.0.0.1:{port}", app=app, server=server)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, PATIENCE_SECONDS)


class EventStream:
    """Server-sent events as a browser's EventSource reads them."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self) -> dict[str, Any] | None:
        name, data, event_id = "message", [], None
        async for line in self.lines:
            if not line:
                if data:
                    return {"event": name, "data": "\n".join(data), "id": event_id}
                name, event_id = "message", None
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = value
        return None

    async def comment(self) -> str:
        """The next comment line (a heartbeat), on a stream where nothing else happens."""
        async with asyncio.timeout(PATIENCE_SECONDS):
            async for line in self.lines:
                if line.startswith(":"):
                    return line
        raise AssertionError("the stream ended without a comment")

    async def until(self, name: str, contains: str | None = None) -> dict[str, Any]:
        async with asyncio.timeout(PATIENCE_SECONDS):
            while True:
                event = await self.next()
                assert event is not None, f"the stream ended before a {name!r} event"
                if event["event"] == name and (contains is None or contains in event["data"]):
                    return event

    async def ended(self) -> bool:
        async with asyncio.timeout(PATIENCE_SECONDS):
            while await self.next() is not None:
                pass
        return True


@contextlib.asynccontextmanager
async def browser(served: Served, orgs: httpx.AsyncClient, roles: list[str] | None = None
                  ) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in browser talking HTTP to the served gateway."""
    async with httpx.AsyncClient(base_url=served.url, timeout=PATIENCE_SECONDS) as client:
        await sign_in_as(client, orgs, roles or ["coordinator"])
        yield client


@contextlib.asynccontextmanager
async def open_console(client: httpx.AsyncClient, url: str) -> AsyncIterator[EventStream]:
    """The console page, then its stream as the page's sse-connect names it (only changes since the page)."""
    page = (await client.get(url)).text
    match = re.search(r'sse-connect="([^"]+)"', page)
    assert match
    stream_url = match[1].replace("&amp;", "&")
    async with client.stream("GET", stream_url, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        events = EventStream(response)
        assert "В эфире" in visible_text((await events.until("live"))["data"])  # connected, in the page's language
        yield events


@pytest.fixture
async def running_with_services(orgs, dialogue, orgs_app, dialogue_app) -> tuple[Running, Any, Any]:
    return await make_running(orgs, dialogue), orgs_app, dialogue_app


class TestStream:
    async def test_a_second_screen_sees_the_item_move(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app) as served, browser(served, orgs) as watcher,
                    browser(served, orgs) as actor, open_console(watcher, running.url) as events):
            r = await post(actor, f"{running.url}/current", {"item_id": running.items[1]["id"]}, page=running.url)
            assert r.status_code == 303
            event = await events.until("current", "Модель Ashyq")
            assert "Пункт 2 из 3" in visible_text(event["data"])
            assert Stamp.parse(event["id"]) is not None
            assert (await events.until("notes"))["data"].count("<form") == 1
            decide_item = await events.until("decideitem")  # the decision form follows the room
            assert f'value="{running.items[1]["id"]}" selected' in decide_item["data"]
            assert "обновлено" in visible_text((await events.until("live"))["data"])

    async def test_a_write_through_this_process_arrives_without_waiting_for_the_poll(self, orgs,
                                                                                     running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_poll_seconds=30) as served,
                    browser(served, orgs) as watcher, browser(served, orgs) as actor,
                    open_console(watcher, running.url) as events):
            await post(actor, f"{running.url}/participants/{running.nurgazieva['id']}/check-in", {"q": "нұрғ"},
                       page=running.url)
            counts = await events.until("counts")  # well before the next poll, 30 seconds away
            assert "Участники по секторам" in visible_text(counts["data"])
            assert (await events.until("people"))["data"] == ""

    async def test_a_change_through_another_gateway_process_arrives(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_poll_seconds=0.2) as served,
                    browser(served, orgs) as watcher, open_console(watcher, running.url) as events):
            async for other in _gateway_client(gateway_settings(), orgs_app, dialogue_app):
                await sign_in_as(other, orgs, ["coordinator"])
                sectors = ("state", "civil_society", "expert", "business", "media", "international")
                form = {**{f"count_{s}": "0" for s in sectors}, **{f"was_{s}": "0" for s in sectors},
                        "count_state": "35"}
                r = await post(other, f"{running.url}/head-counts", form, page=running.url)
                assert r.status_code == 303
            counts = await events.until("counts", ">35<")
            assert "Государственные органы" in visible_text(counts["data"])

    async def test_a_change_made_directly_through_the_api_arrives_escaped(self, orgs, dialogue,
                                                                          running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_poll_seconds=0.2) as served,
                    browser(served, orgs) as watcher, open_console(watcher, running.url) as events):
            r = await dialogue.post("/v1/recommendations", headers=as_coordinator(),
                                    json={"text": f"Рассмотреть {XSS}", "addressee_ids": [running.akimat],
                                          "session_id": running.id, "agenda_item_id": running.items[0]["id"]})
            assert r.status_code == 201, r.text
            event = await events.until("decisions", "Рассмотреть")
            assert XSS not in event["data"]
            assert "Рассмотреть &lt;script&gt;alert(1)&lt;/script&gt;" in event["data"]
            assert "Акимат Восточно-Казахстанской области" in event["data"]
            assert "<script" not in event["data"]

    async def test_the_projector_view_is_sent_without_forms(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_poll_seconds=0.2) as served,
                    browser(served, orgs) as watcher, browser(served, orgs) as actor,
                    open_console(watcher, f"{running.url}?view=watch") as events):
            await post(actor, f"{running.url}/current", {"item_id": running.items[2]["id"]}, page=running.url)
            event = await events.until("current", "Пункт 3 из 3")
            assert "<form" not in event["data"]
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in event["data"] and XSS not in event["data"]

    async def test_heartbeats_keep_an_idle_stream_open(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_heartbeat_seconds=1) as served,
                    browser(served, orgs) as watcher, open_console(watcher, running.url) as events):
            assert (await events.comment()).startswith(": ping")

    async def test_one_stream_too_many_is_told_so_and_closed(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with (served_gateway(orgs_app, dialogue_app, live_max_streams=1) as served,
                    browser(served, orgs) as watcher, open_console(watcher, running.url),
                    watcher.stream("GET", f"{running.url}/stream") as second):
            assert second.status_code == 200
            events = EventStream(second)
            notice = await events.until("live")
            assert "отключены" in visible_text(notice["data"])
            assert "(1)" in visible_text(notice["data"])
            assert (await events.next())["event"] == "close"
            assert await events.ended()

    async def test_a_closed_screen_frees_its_place(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with served_gateway(orgs_app, dialogue_app) as served, browser(served, orgs) as watcher:
            hub = served.app.state.live_hub
            async with open_console(watcher, running.url):
                assert hub.open_streams == 1
            await eventually(lambda: hub.open_streams == 0)

    async def test_shutting_down_ends_the_streams(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        async with served_gateway(orgs_app, dialogue_app) as served, browser(served, orgs) as watcher, \
                open_console(watcher, running.url) as events:
            served.server.should_exit = True  # what uvicorn's SIGTERM handler does
            assert "перезапускается" in visible_text((await events.until("live"))["data"])
            assert await events.ended()  # a complete response: the browser reconnects to the next server

    async def test_a_disabled_account_is_cut_off(self, orgs, running_with_services):
        running, orgs_app, dialogue_app = running_with_services
        login = f"user.{uuid.uuid4().hex[:10]}"
        account = await create_account(orgs, login, PASSWORD)
        async with (served_gateway(orgs_app, dialogue_app, session_revalidate_seconds=0,
                                   live_poll_seconds=0.2) as served,
                    httpx.AsyncClient(base_url=served.url, timeout=PATIENCE_SECONDS) as watcher):
            assert (await sign_in(watcher, login, PASSWORD)).status_code == 303
            async with open_console(watcher, running.url) as events:
                await disable_account(orgs, account)
                notice = await events.until("live", "")
                while "вход" not in notice["data"]:
                    notice = await events.until("live")
                assert (await events.next())["event"] == "close"
                assert await events.ended()


class TestNothingHalfWritten:
    async def test_a_decision_before_the_session_starts_writes_nothing(self, coordinator_console, dialogue, orgs):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        scheduled = await create_session(dialogue, "Запланированная встреча", status="scheduled")
        url = f"/workspace/sessions/{scheduled['id']}/console"
        r = await post(coordinator_console, f"{url}/recommendations",
                       {"text": "Рекомендовать", "addressee_ids": [str(akimat)], "idempotency_key": str(uuid.uuid4())},
                       page=url)
        assert r.status_code == 409
        assert "когда оно уже началось" in visible_text(r.text)
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": scheduled["id"]},
                                   headers=as_coordinator())).json()["items"]
        assert recs == []

    async def test_a_draft_left_by_a_failed_adoption_is_adopted_from_the_list(self, coordinator_console, dialogue,
                                                                               running):
        r = await dialogue.post("/v1/recommendations", headers=as_coordinator(),
                                json={"text": "Черновик решения", "addressee_ids": [running.akimat],
                                      "session_id": running.id})
        rec = r.json()
        page = (await coordinator_console.get(running.url)).text
        assert f'action="{running.url}/recommendations/{rec["id"]}/adopt"' in page
        r = await post(coordinator_console, f"{running.url}/recommendations/{rec['id']}/adopt", {}, page=running.url,
                       htmx_target="console-decisions")
        assert r.status_code == 200
        assert "Принята на заседании" in visible_text(r.text)
        assert (await read_recommendation(dialogue, rec["id"]))["status"] == "adopted"
