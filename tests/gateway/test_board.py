"""The coordinators' recommendations board: who may open it, its order and filters, the steps taken from it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from services.gateway.pages import board
from tests.dialogue.helpers import (
    create_recommendation,
    days_from_today,
    move_recommendation,
    read_recommendation,
    state_body,
)
from tests.gateway.helpers import XSS, build_world, create_account, csrf_token, sign_in, visible_text

PASSWORD = "correct horse battery"
BOARD = "/workspace/recommendations"


@pytest.fixture
async def world(orgs, dialogue):
    return await build_world(orgs, dialogue)


async def signed_in(gateway: httpx.AsyncClient, orgs: httpx.AsyncClient, *roles: str,
                    org_ids: list[int] | None = None) -> None:
    login = f"{roles[0]}.{uuid.uuid4().hex[:8]}"
    await create_account(orgs, login, PASSWORD, roles=list(roles), org_ids=org_ids)
    r = await sign_in(gateway, login, PASSWORD)
    assert r.status_code == 303, r.text


@pytest.fixture
async def coordinator(gateway, orgs):
    await signed_in(gateway, orgs, "coordinator")
    return gateway


def row_ids(page: str) -> list[int]:
    """The recommendations of the board in the order shown."""
    return [int(i) for i in re.findall(r'<a href="/workspace/recommendations/(\d+)">', page)]


class TestAccess:
    async def test_anonymous_is_sent_to_sign_in_and_back(self, gateway):
        r = await gateway.get(BOARD, params={"status": "sent"})
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fworkspace%2Frecommendations%3Fstatus%3Dsent"

    @pytest.mark.parametrize("roles", [("member",), ("representative",)])
    async def test_members_and_representatives_get_403(self, gateway, orgs, world, roles):
        await signed_in(gateway, orgs, *roles, org_ids=[world.akimat])
        for path in (BOARD, f"{BOARD}/{world.overdue['id']}"):
            r = await gateway.get(path)
            assert r.status_code == 403, path
            assert "Доступ запрещён" in r.text

    @pytest.mark.parametrize("role", ["coordinator", "admin"])
    async def test_coordinators_and_admins_open_it(self, gateway, orgs, world, role):
        await signed_in(gateway, orgs, role)
        r = await gateway.get(BOARD)
        assert r.status_code == 200
        assert "Доска рекомендаций" in r.text

    async def test_a_step_by_a_representative_is_refused_and_nothing_changes(self, gateway, orgs, dialogue, world):
        draft = await create_recommendation(dialogue, [world.akimat])
        await signed_in(gateway, orgs, "representative", org_ids=[world.akimat])
        token = csrf_token((await gateway.get("/")).text)
        r = await gateway.post(f"{BOARD}/{draft['id']}/transitions", data={"status": "adopted", "csrf_token": token})
        assert r.status_code == 403
        assert (await read_recommendation(dialogue, draft["id"]))["status"] == "draft"


class TestOrderAndFilters:
    async def test_overdue_come_first_then_the_nearest_deadline(self, coordinator, dialogue, world):
        soon = await move_recommendation(dialogue, (await create_recommendation(
            dialogue, [world.akimat], text="Скоро срок", response_due_on=days_from_today(3)))["id"], "adopted", "sent")
        draft = await create_recommendation(dialogue, [world.akimat], text="Черновик без срока")
        page = (await coordinator.get(BOARD)).text
        assert row_ids(page) == [world.overdue["id"], soon["id"], world.answered["id"], draft["id"]]
        text = visible_text(page)
        assert "Срок ответа истёк" in text
        assert re.search(r"\d+ (день|дня|дней) просрочки", text)
        assert re.search(r"осталось 3 дня|3 дня осталось", text), text

    async def test_filters_by_addressee(self, coordinator, world):
        page = (await coordinator.get(BOARD, params={"addressee": world.akimat})).text
        assert row_ids(page) == [world.answered["id"]]
        assert f'<option value="{world.akimat}" selected>' in page

    async def test_filters_by_status(self, coordinator, dialogue, world):
        draft = await create_recommendation(dialogue, [world.akimat], text="Черновик")
        assert row_ids((await coordinator.get(BOARD, params={"status": "draft"})).text) == [draft["id"]]
        assert row_ids((await coordinator.get(BOARD, params={"status": "answered"})).text) == [world.answered["id"]]
        open_ = row_ids((await coordinator.get(BOARD, params={"status": "open"})).text)
        assert set(open_) == {world.overdue["id"], world.answered["id"]}

    async def test_filters_by_deadline_range_and_overdue(self, coordinator, world):
        page = (await coordinator.get(BOARD, params={"due_from": "2022-01-01", "due_before": "2022-12-31"})).text
        assert row_ids(page) == [world.overdue["id"]]
        assert row_ids((await coordinator.get(BOARD, params={"overdue": "1"})).text) == [world.overdue["id"]]

    async def test_filters_by_session_and_text(self, coordinator, world):
        page = (await coordinator.get(BOARD, params={"session": world.session["id"]})).text
        assert row_ids(page) == [world.answered["id"]]
        assert row_ids((await coordinator.get(BOARD, params={"q": "пилот"})).text) == [world.answered["id"]]

    async def test_empty_and_unreadable_filters_leave_the_address(self, coordinator, world):
        r = await coordinator.get(BOARD, params={"q": "", "status": "", "addressee": world.akimat,
                                                 "due_from": "not-a-date", "overdue": ""})
        assert r.status_code == 303
        assert r.headers["location"] == f"{BOARD}?addressee={world.akimat}"

    async def test_htmx_gets_the_results_and_the_clean_address(self, coordinator, world):
        r = await coordinator.get(BOARD, params={"q": "", "addressee": world.akimat},
                                  headers={"HX-Request": "true", "HX-Target": "results"})
        assert r.status_code == 200
        assert "<html" not in r.text and "<form class=\"filters\"" not in r.text
        assert row_ids(r.text) == [world.answered["id"]]
        assert r.headers["hx-push-url"] == f"{BOARD}?addressee={world.akimat}"
        assert "HX-Request" in r.headers["vary"]

    async def test_more_pages_follow_the_keyset(self, coordinator, dialogue, world, monkeypatch):
        monkeypatch.setattr(board, "PAGE_SIZE", 2)
        for n in range(3):
            await create_recommendation(dialogue, [world.ministry], text=f"Ещё одна {n}")
        seen: list[int] = []
        url: str | None = BOARD + "?addressee=" + str(world.ministry)
        while url:
            page = (await coordinator.get(url)).text
            seen += row_ids(page)
            match = re.search(r'<a class="button button-secondary" href="([^"]+)" hx-get', page)
            url = match[1].replace("&amp;", "&") if match else None
            if url:
                assert f"addressee={world.ministry}" in url and "cursor=" in url
        assert len(seen) == 4 and len(set(seen)) == 4
        assert seen[0] == world.overdue["id"]

    async def test_the_addressee_picker_narrows_by_name(self, coordinator, world):
        r = await coordinator.get("/workspace/org-picker", params={"field": "addressee", "kind": "state_body",
                                                                   "addressee_q": "министерство"},
                                  headers={"HX-Request": "true", "HX-Target": "addressee"})
        assert r.status_code == 200
        assert f'<option value="{world.ministry}"' in r.text
        assert f'<option value="{world.akimat}"' not in r.text
        assert r.text.lstrip().startswith('<select id="addressee" name="addressee"')

    async def test_a_script_in_a_text_is_shown_as_text(self, coordinator, world):
        page = (await coordinator.get(BOARD)).text
        assert XSS not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestSteps:
    async def test_adopts_and_sends_from_the_board(self, coordinator, dialogue, world):
        draft = await create_recommendation(dialogue, [world.akimat], text="Провести мониторинг")
        page = (await coordinator.get(BOARD, params={"status": "draft"})).text
        token = csrf_token(page)
        back = f"{BOARD}?status=draft"
        r = await coordinator.post(f"{BOARD}/{draft['id']}/transitions",
                                   data={"status": "adopted", "back": back, "csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == back
        assert f"Рекомендация № {draft['id']} принята." in visible_text((await coordinator.get(back)).text)
        r = await coordinator.post(f"{BOARD}/{draft['id']}/transitions", data={"status": "sent", "csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == f"{BOARD}/{draft['id']}"
        rec = await read_recommendation(dialogue, draft["id"])
        assert rec["status"] == "sent" and rec["response_due_on"]

    async def test_closing_needs_a_reason_and_writes_nothing_without_one(self, coordinator, dialogue, world):
        page = (await coordinator.get(f"{BOARD}/{world.answered['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.answered['id']}/transitions",
                                   data={"status": "not_implemented", "note": "  ", "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert "Укажите, почему рекомендация закрывается так." in visible_text(r.text)
        assert (await read_recommendation(dialogue, world.answered["id"]))["status"] == "answered"

    async def test_closes_with_a_reason(self, coordinator, dialogue, world):
        page = (await coordinator.get(f"{BOARD}/{world.answered['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.answered['id']}/transitions",
                                   data={"status": "not_implemented", "note": "Нет финансирования",
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 303
        rec = await read_recommendation(dialogue, world.answered["id"])
        assert rec["status"] == "not_implemented"
        assert rec["history"][-1]["note"] == "Нет финансирования"

    async def test_a_step_the_service_refuses_is_said_on_the_page(self, coordinator, dialogue, world):
        page = (await coordinator.get(f"{BOARD}/{world.overdue['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.overdue['id']}/transitions",
                                   data={"status": "implemented", "note": "Готово", "csrf_token": csrf_token(page)})
        assert r.status_code == 409
        assert "Этот шаг невозможен при текущем статусе рекомендации." in visible_text(r.text)
        assert (await read_recommendation(dialogue, world.overdue["id"]))["status"] == "sent"

    async def test_escalates_to_a_republican_body(self, coordinator, dialogue, orgs, world):
        local = await move_recommendation(dialogue, (await create_recommendation(
            dialogue, [world.akimat], text="Вопрос вне компетенции"))["id"], "adopted", "sent")
        page = (await coordinator.get(f"{BOARD}/{local['id']}")).text
        assert 'id="escalate"' in page
        form = {"addressee": str(world.ministry), "reason": "Нужен закон", "csrf_token": csrf_token(page),
                "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]}
        r = await coordinator.post(f"{BOARD}/{local['id']}/escalations", data=form)
        assert r.status_code == 303
        new_id = int(r.headers["location"].rsplit("/", 1)[1])
        new = await read_recommendation(dialogue, new_id)
        assert new["escalated_from_id"] == local["id"]
        assert [a["org_id"] for a in new["addressees"]] == [world.ministry]
        # The same form sent again (a double click) makes no second escalation.
        r = await coordinator.post(f"{BOARD}/{local['id']}/escalations", data=form)
        assert (await read_recommendation(dialogue, local["id"]))["escalated_to_ids"] == [new_id]

    async def test_escalating_to_a_local_body_is_refused_on_the_form(self, coordinator, dialogue, orgs, world):
        other = await state_body(orgs, "Маслихат ВКО")
        page = (await coordinator.get(f"{BOARD}/{world.overdue['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.overdue['id']}/escalations",
                                   data={"addressee": str(other), "reason": "Причина " + XSS,
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert "Причина &lt;script&gt;" in r.text  # the input is kept, as text
        assert f'<option value="{other}" selected>' in r.text
        assert (await read_recommendation(dialogue, world.overdue["id"]))["escalated_to_ids"] == []

    async def test_escalating_without_a_body_or_reason_says_what_is_missing(self, coordinator, world):
        page = (await coordinator.get(f"{BOARD}/{world.overdue['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.overdue['id']}/escalations",
                                   data={"reason": "", "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        text = visible_text(r.text)
        assert "Форма не сохранена" in text
        assert 'id="addressee-error"' in r.text and 'id="reason-error"' in r.text

    async def test_the_picker_search_without_javascript_writes_nothing(self, coordinator, dialogue, world):
        page = (await coordinator.get(f"{BOARD}/{world.overdue['id']}")).text
        r = await coordinator.post(f"{BOARD}/{world.overdue['id']}/escalations",
                                   data={"addressee_q": "министерство", "find": "addressee", "reason": "Текст",
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 200
        assert f'<option value="{world.ministry}"' in r.text and ">Текст</textarea>" in r.text
        assert (await read_recommendation(dialogue, world.overdue["id"]))["escalated_to_ids"] == []

    async def test_a_post_without_csrf_token_is_refused(self, coordinator, dialogue, world):
        draft = await create_recommendation(dialogue, [world.akimat])
        r = await coordinator.post(f"{BOARD}/{draft['id']}/transitions", data={"status": "adopted"})
        assert r.status_code == 403
        assert (await read_recommendation(dialogue, draft["id"]))["status"] == "draft"


class TestLanguages:
    @pytest.mark.parametrize(("lang", "title"), [("ru", "Доска рекомендаций"), ("kk", "Ұсынымдар тақтасы"),
                                                 ("en", "Recommendations board")])
    async def test_renders_in_each_language(self, coordinator, world, lang, title):
        for path in (BOARD, f"{BOARD}/{world.overdue['id']}", f"{BOARD}/{world.answered['id']}"):
            r = await coordinator.get(path, params={"lang": lang})
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text
            assert title in r.text


class TestDegradation:
    async def test_with_the_dialogue_service_down_the_board_says_so(self, gateway_without_dialogue, orgs):
        await signed_in(gateway_without_dialogue, orgs, "coordinator")
        r = await gateway_without_dialogue.get(BOARD)
        assert r.status_code == 503
        assert "Сервис диалогов" in visible_text(r.text)
        r = await gateway_without_dialogue.get(f"{BOARD}/1")
        assert r.status_code == 503 and "<html" in r.text
