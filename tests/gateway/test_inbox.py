"""A state body's inbox: its representative sees what is addressed to the body, answers and reports progress;
another body's recommendation cannot be answered, in the page or by posting the form anyway."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.dialogue.helpers import (
    create_recommendation,
    days_from_today,
    move_recommendation,
    read_recommendation,
    sent_recommendation,
)
from tests.gateway.helpers import XSS, build_world, create_account, csrf_token, sign_in, visible_text

PASSWORD = "correct horse battery"
INBOX = "/workspace/inbox"


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
async def ministry_rep(gateway, orgs, world):
    """The representative of the ministry, to which the overdue recommendation is addressed."""
    await signed_in(gateway, orgs, "representative", org_ids=[world.ministry])
    return gateway


@pytest.fixture
async def akimat_rep(gateway, orgs, world):
    """The representative of the akimat, which has answered its recommendation (accepted)."""
    await signed_in(gateway, orgs, "representative", org_ids=[world.akimat])
    return gateway


def row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<th scope="row"><a href="/workspace/inbox/(\d+)">', page)]


def form_key(page: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match
    return match[1]


class TestAccess:
    async def test_anonymous_is_sent_to_sign_in(self, gateway):
        r = await gateway.get(INBOX)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fworkspace%2Finbox"

    @pytest.mark.parametrize("role", ["member", "coordinator", "admin"])
    async def test_only_representatives_open_it(self, gateway, orgs, world, role):
        await signed_in(gateway, orgs, role, org_ids=[world.akimat] if role == "member" else None)
        r = await gateway.get(INBOX)
        assert r.status_code == 403

    async def test_a_representative_opens_it(self, ministry_rep):
        r = await ministry_rep.get(INBOX)
        assert r.status_code == 200
        assert "Входящие" in r.text


class TestList:
    async def test_shows_only_the_bodys_recommendations_unanswered_and_overdue_first(self, akimat_rep, dialogue,
                                                                                     world):
        later = await sent_recommendation(dialogue, [world.akimat], text="Срок не скоро",
                                          response_due_on=days_from_today(40))
        soon = await sent_recommendation(dialogue, [world.akimat, world.ministry], text="Срок скоро",
                                         response_due_on=days_from_today(2))
        late = await sent_recommendation(dialogue, [world.akimat], text="Срок прошёл", response_due_on="2024-01-10")
        await create_recommendation(dialogue, [world.akimat], text="Черновик не виден")
        page = (await akimat_rep.get(INBOX)).text
        # Overdue and unanswered first, then unanswered by deadline, then what the body answered.
        assert row_ids(page) == [late["id"], soon["id"], later["id"], world.answered["id"]]
        assert world.overdue["id"] not in row_ids(page)  # the ministry's
        text = visible_text(page)
        assert "Черновик не виден" not in text
        assert "Срок ответа истёк" in text and "Ожидается ваш ответ" in text

    async def test_closed_ones_are_on_their_own_tab(self, akimat_rep, dialogue, world):
        await move_recommendation(dialogue, world.answered["id"], "not_implemented", note="Нет средств")
        assert row_ids((await akimat_rep.get(INBOX)).text) == []
        assert row_ids((await akimat_rep.get(INBOX, params={"show": "closed"})).text) == [world.answered["id"]]

    async def test_a_script_in_a_text_is_shown_as_text(self, ministry_rep, world):
        page = (await ministry_rep.get(INBOX)).text
        assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestAnswer:
    async def test_answers_and_the_answer_is_public(self, ministry_rep, dialogue, world):
        page = (await ministry_rep.get(f"{INBOX}/{world.overdue['id']}")).text
        assert f'action="/workspace/inbox/{world.overdue["id"]}/answer"' in page
        r = await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(world.ministry), "decision": "partially_accepted",
            "reasons": "Частично учтено в плане министерства " + XSS, "idempotency_key": form_key(page),
            "csrf_token": csrf_token(page)})
        assert r.status_code == 303 and r.headers["location"] == f"{INBOX}/{world.overdue['id']}"
        assert "Ответ на рекомендацию" in visible_text((await ministry_rep.get(r.headers["location"])).text)
        rec = await read_recommendation(dialogue, world.overdue["id"])
        assert rec["status"] == "answered" and rec["responses"][0]["decision"] == "partially_accepted"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ministry_rep.app),
                                     base_url="http://testserver") as visitor:  # anonymous, in Kazakh
            public = await visitor.get(f"/recommendations/{world.overdue['id']}", params={"lang": "kk"})
        assert public.status_code == 200
        text = visible_text(public.text)
        assert "Частично учтено в плане министерства" in text and XSS in text
        assert XSS not in public.text  # shown as text, never as markup

    async def test_the_answer_is_public_in_russian_too(self, ministry_rep, world):
        page = (await ministry_rep.get(f"{INBOX}/{world.overdue['id']}")).text
        await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(world.ministry), "decision": "rejected", "reasons": "Вне компетенции министерства",
            "csrf_token": csrf_token(page)})
        text = visible_text((await ministry_rep.get(f"/recommendations/{world.overdue['id']}")).text)
        assert "Отклонена" in text and "Вне компетенции министерства" in text

    async def test_a_form_sent_twice_answers_once(self, ministry_rep, dialogue, world):
        page = (await ministry_rep.get(f"{INBOX}/{world.overdue['id']}")).text
        data = {"org_id": str(world.ministry), "decision": "accepted", "reasons": "Принято",
                "idempotency_key": form_key(page), "csrf_token": csrf_token(page)}
        assert (await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data=data)).status_code == 303
        assert (await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data=data)).status_code == 303
        assert len((await read_recommendation(dialogue, world.overdue["id"]))["responses"]) == 1

    async def test_a_bad_form_says_what_is_wrong_and_keeps_the_input(self, ministry_rep, dialogue, world):
        page = (await ministry_rep.get(f"{INBOX}/{world.overdue['id']}")).text
        r = await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(world.ministry), "reasons": "Текст без решения", "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert 'id="decision-error"' in r.text
        assert "Текст без решения</textarea>" in r.text
        r = await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(world.ministry), "decision": "rejected", "reasons": "   ", "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert 'id="reasons-error"' in r.text and "Заполните это поле." in visible_text(r.text)
        assert 'value="rejected" checked' in r.text
        assert (await read_recommendation(dialogue, world.overdue["id"]))["responses"] == []


class TestAnotherBody:
    async def test_the_form_is_not_offered(self, akimat_rep, world):
        r = await akimat_rep.get(f"{INBOX}/{world.overdue['id']}")
        assert r.status_code == 403
        assert "/answer" not in r.text
        assert "не адресована вашей организации" in visible_text(r.text)

    @pytest.mark.parametrize("as_org", ["ministry", "akimat"])
    async def test_posting_an_answer_anyway_is_refused_and_nothing_is_written(self, akimat_rep, dialogue, world,
                                                                              as_org):
        page = (await akimat_rep.get(INBOX)).text
        r = await akimat_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(getattr(world, as_org)), "decision": "accepted", "reasons": "Чужой ответ",
            "csrf_token": csrf_token(page)})
        assert r.status_code == 403
        assert "Доступ запрещён" in r.text and "Ничего не сохранено" in r.text
        rec = await read_recommendation(dialogue, world.overdue["id"])
        assert rec["responses"] == [] and rec["status"] == "sent"

    async def test_posting_progress_anyway_is_refused(self, ministry_rep, dialogue, world):
        page = (await ministry_rep.get(INBOX)).text
        r = await ministry_rep.post(f"{INBOX}/{world.answered['id']}/progress", data={
            "org_id": str(world.akimat), "percent": "50", "note": "Чужой отчёт", "csrf_token": csrf_token(page)})
        assert r.status_code == 403
        assert (await read_recommendation(dialogue, world.answered["id"]))["progress"] == []

    async def test_a_post_without_csrf_token_is_refused(self, ministry_rep, dialogue, world):
        r = await ministry_rep.post(f"{INBOX}/{world.overdue['id']}/answer", data={
            "org_id": str(world.ministry), "decision": "accepted", "reasons": "Без токена"})
        assert r.status_code == 403
        assert (await read_recommendation(dialogue, world.overdue["id"]))["responses"] == []


class TestProgress:
    async def test_reports_progress_with_evidence_and_it_is_public(self, akimat_rep, dialogue, world):
        page = (await akimat_rep.get(f"{INBOX}/{world.answered['id']}")).text
        assert f'action="/workspace/inbox/{world.answered["id"]}/progress"' in page
        assert "/answer" not in page  # already answered
        r = await akimat_rep.post(f"{INBOX}/{world.answered['id']}/progress", data={
            "org_id": str(world.akimat), "percent": "40", "note": "Пилот начат в двух районах",
            "evidence_urls": "https://akimat.example.kz/pilot\n\nhttps://akimat.example.kz/order-12",
            "idempotency_key": form_key(page), "csrf_token": csrf_token(page)})
        assert r.status_code == 303
        rec = await read_recommendation(dialogue, world.answered["id"])
        assert rec["status"] == "in_progress" and rec["progress_percent"] == 40
        assert rec["progress"][0]["evidence_urls"] == ["https://akimat.example.kz/pilot",
                                                       "https://akimat.example.kz/order-12"]
        public = visible_text((await akimat_rep.get(f"/recommendations/{world.answered['id']}")).text)
        assert "Пилот начат в двух районах" in public and "https://akimat.example.kz/order-12" in public

    async def test_a_bad_report_says_what_is_wrong_and_keeps_the_input(self, akimat_rep, dialogue, world):
        page = (await akimat_rep.get(f"{INBOX}/{world.answered['id']}")).text
        r = await akimat_rep.post(f"{INBOX}/{world.answered['id']}/progress", data={
            "org_id": str(world.akimat), "percent": "140", "note": "Сделано",
            "evidence_urls": "не ссылка", "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert 'id="percent-error"' in r.text and 'id="evidence_urls-error"' in r.text
        assert ">не ссылка</textarea>" in r.text and 'value="140"' in r.text
        r = await akimat_rep.post(f"{INBOX}/{world.answered['id']}/progress", data={
            "org_id": str(world.akimat), "percent": "10", "note": "", "csrf_token": csrf_token(page)})
        assert r.status_code == 422 and 'id="note-error"' in r.text
        assert (await read_recommendation(dialogue, world.answered["id"]))["progress"] == []


class TestLanguages:
    @pytest.mark.parametrize(("lang", "word"), [("ru", "Входящие"), ("kk", "Кіріс хаттар"), ("en", "Inbox")])
    async def test_renders_in_each_language(self, akimat_rep, world, lang, word):
        for path in (INBOX, f"{INBOX}?show=closed", f"{INBOX}/{world.answered['id']}"):
            r = await akimat_rep.get(path, params={"lang": lang})
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text and word in r.text
