"""The protocol editor: start (pre-filled by the service), edit the draft, publish after confirming, read-only once
published, corrections as new versions, documents; access, CSRF, escaping, languages."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.dialogue.helpers import as_coordinator, create_session, record_on_item, state_body
from tests.gateway.helpers import XSS, csrf_token, visible_text
from tests.gateway.test_planner import post_form, signed_in


async def concluded_session(dialogue: httpx.AsyncClient, title: str = "Поиск системного взаимодействия",
                            item: str = "Модель Ashyq") -> dict[str, Any]:
    session = await create_session(dialogue, title, agenda=(item, "Разное"), status="in_progress")
    agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda", headers=as_coordinator())).json()
    await record_on_item(dialogue, session["id"], agenda[0]["id"], heard="Доклад о модели",
                         decided="Рекомендовать модель как пилот")
    r = await dialogue.post(f"/v1/sessions/{session['id']}/transitions", json={"status": "concluded"},
                            headers=as_coordinator())
    assert r.status_code == 200, r.text
    concluded: dict[str, Any] = r.json()
    return concluded


async def versions(dialogue: httpx.AsyncClient, session_id: int) -> list[dict[str, Any]]:
    r = await dialogue.get(f"/v1/sessions/{session_id}/protocol/versions", headers=as_coordinator())
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


def draft_form(page: str, **changes: str) -> dict[str, str]:
    """The editor's draft form as the page shows it (every input's value), with some changed."""
    form: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', page):
        if name not in ("csrf_token", "confirm") and not name.endswith("-remove"):
            form[name] = html.unescape(value)
    for name, value in re.findall(r'<textarea[^>]*\bname="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        form[name] = html.unescape(value)
    form.pop("reason", None)
    form.update(changes)
    return form


class TestAccess:
    async def test_anonymous_is_sent_to_sign_in(self, gateway, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        r = await gateway.get(f"/workspace/sessions/{session['id']}/protocol")
        assert r.status_code == 303
        assert r.headers["location"] == f"/login?next=%2Fworkspace%2Fsessions%2F{session['id']}%2Fprotocol"

    async def test_a_representative_gets_403(self, gateway, orgs, dialogue):
        body = await state_body(orgs, "Акимат ВКО")
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs, "representative", org_ids=[body])
        r = await gateway.get(f"/workspace/sessions/{session['id']}/protocol")
        assert r.status_code == 403
        page = (await gateway.get("/")).text
        r = await gateway.post(f"/workspace/sessions/{session['id']}/protocol/start",
                               data={"csrf_token": csrf_token(page)})
        assert r.status_code == 403
        assert await versions(dialogue, session["id"]) == []

    async def test_a_post_without_csrf_token_is_refused(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        r = await gateway.post(f"/workspace/sessions/{session['id']}/protocol/start", data={"number": "1"})
        assert r.status_code == 403
        assert await versions(dialogue, session["id"]) == []


class TestProtocolEditor:
    async def test_start_edit_publish_then_correct(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"

        # start: the service fills it in from the agenda
        r = await post_form(gateway, editor, f"{editor}/start", {"number": "7", "chair": "Д. Серикбаев"})
        assert r.status_code == 303 and r.headers["location"] == f"{editor}?done=started"
        page = (await gateway.get(r.headers["location"])).text
        assert 'value="Модель Ashyq"' in page and "Рекомендовать модель как пилот" in page
        assert 'value="7"' in page and "Протокол начат" in visible_text(page)

        # edit while a draft
        form = draft_form(page, secretary="А. Секретарь", **{"item-0-decided": "Рекомендовать модель Ashyq"})
        r = await post_form(gateway, editor, editor, {**form, "action": "save"})
        assert r.status_code == 303 and r.headers["location"] == f"{editor}?done=saved"
        (draft,) = await versions(dialogue, session["id"])
        assert draft["status"] == "draft" and draft["secretary"] == "А. Секретарь"
        assert draft["items"][0]["decided"] == "Рекомендовать модель Ashyq"
        assert [i["title"] for i in draft["items"]] == ["Модель Ashyq", "Разное"]

        # publish: not without ticking the confirmation
        r = await post_form(gateway, editor, f"{editor}/publish", {})
        assert r.status_code == 422
        assert "Отметьте флажок" in visible_text(r.text)
        assert (await versions(dialogue, session["id"]))[0]["status"] == "draft"
        r = await post_form(gateway, editor, f"{editor}/publish", {"confirm": "1"})
        assert r.status_code == 303 and r.headers["location"] == f"{editor}?done=published"

        # published: read-only, and a stale form posted anyway is refused
        page = (await gateway.get(editor)).text
        assert "Сохранить черновик" not in page and "Внести исправление" in page
        r = await post_form(gateway, editor, editor, {**form, "action": "save", "number": "8"})
        assert r.status_code == 409
        assert "Опубликованный протокол изменить нельзя" in visible_text(r.text)
        r = await post_form(gateway, editor, f"{editor}/publish", {"confirm": "1"})  # sent twice
        assert r.status_code == 409
        assert "Эта версия уже опубликована" in visible_text(r.text)
        (published,) = await versions(dialogue, session["id"])
        assert published["status"] == "published" and published["number"] == "7"

        # correction: a reason is required; then version 2 is a draft and version 1 stays readable
        r = await post_form(gateway, editor, f"{editor}/corrections", {"reason": "  "})
        assert r.status_code == 422 and "reason-error" in r.text
        assert len(await versions(dialogue, session["id"])) == 1
        r = await post_form(gateway, editor, f"{editor}/corrections", {"reason": "Опечатка в фамилии председателя"})
        assert r.status_code == 303 and r.headers["location"] == f"{editor}?done=corrected"
        first, second = await versions(dialogue, session["id"])
        assert (first["version"], first["status"]) == (1, "published")
        assert (second["version"], second["status"], second["correction_reason"]) == \
            (2, "draft", "Опечатка в фамилии председателя")
        page = (await gateway.get(editor)).text
        text = visible_text(page)
        assert "Черновик версии 2" in text and "Опечатка в фамилии председателя" in text
        assert f'href="/sessions/{session["id"]}?protocol=1#protocol"' in page
        public = await gateway.get(f"/sessions/{session['id']}", params={"protocol": "1"})
        assert public.status_code == 200 and "Протокол № 7" in visible_text(public.text)

        # the correction is edited and published as version 2
        r = await post_form(gateway, editor, editor, {**draft_form(page, chair="Д. Серікбаев"), "action": "save"})
        assert r.status_code == 303
        r = await post_form(gateway, editor, f"{editor}/publish", {"confirm": "1"})
        assert r.status_code == 303
        first, second = await versions(dialogue, session["id"])
        assert (first["chair"], second["chair"], second["status"]) == ("Д. Серикбаев", "Д. Серікбаев", "published")

    async def test_publishing_an_incomplete_protocol_marks_what_is_missing(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        await post_form(gateway, editor, f"{editor}/start", {})
        r = await post_form(gateway, editor, f"{editor}/publish", {"confirm": "1"})
        assert r.status_code == 422
        assert "number-error" in r.text and "chair-error" in r.text
        assert "Обязательно для публикации" in visible_text(r.text)
        assert (await versions(dialogue, session["id"]))[0]["status"] == "draft"

    async def test_a_stale_draft_edit_says_the_data_changed(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        await post_form(gateway, editor, f"{editor}/start", {"number": "1"})
        page = (await gateway.get(editor)).text
        first = draft_form(page, place="Актовый зал")
        r = await post_form(gateway, editor, editor, {**first, "action": "save"})
        assert r.status_code == 303
        r = await post_form(gateway, editor, editor, {**draft_form(page, place="Конференц-зал"), "action": "save"})
        assert r.status_code == 412
        assert "изменил эту запись" in visible_text(r.text)
        assert 'value="Актовый зал"' in r.text  # the form shows what is saved now
        (draft,) = await versions(dialogue, session["id"])
        assert draft["place"] == "Актовый зал"

    async def test_items_are_added_left_out_and_checked(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        await post_form(gateway, editor, f"{editor}/start", {"number": "1"})
        page = (await gateway.get(editor)).text
        form = draft_form(page)
        r = await post_form(gateway, editor, editor, {**form, "action": "add_row"})
        assert r.status_code == 200
        assert 'name="item-3-title"' in r.text  # two items, the blank row, and one more
        r = await post_form(gateway, editor, editor, {**form, "action": "save", "item-1-remove": "1",
                                                      "item-2-heard": "Выступили без заголовка"})
        assert r.status_code == 422
        assert "item-2-title-error" in r.text and "Выступили без заголовка" in r.text
        r = await post_form(gateway, editor, editor, {**form, "action": "save", "item-1-remove": "1",
                                                      "item-2-title": "Дополнительный вопрос"})
        assert r.status_code == 303
        (draft,) = await versions(dialogue, session["id"])
        assert [i["title"] for i in draft["items"]] == ["Модель Ashyq", "Дополнительный вопрос"]

    async def test_a_draft_session_has_no_protocol_yet(self, gateway, orgs, dialogue):
        session = await create_session(dialogue, "Круглый стол")
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        r = await post_form(gateway, editor, f"{editor}/start", {})
        assert r.status_code == 409
        assert "сначала назначьте его в планировщике" in visible_text(r.text)
        assert await versions(dialogue, session["id"]) == []

    async def test_the_pdf_is_relayed_at_the_portal_address(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue)
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol", headers=as_coordinator(),
                                json={"number": "3", "chair": "Председатель"})
        assert r.status_code == 201, r.text
        assert (await gateway.get(f"/sessions/{session['id']}/protocol.pdf")).status_code == 404  # a draft
        r = await dialogue.post(f"/v1/sessions/{session['id']}/protocol/publish", headers=as_coordinator())
        assert r.status_code == 200, r.text
        r = await gateway.get(f"/sessions/{session['id']}/protocol.pdf", params={"version": "1"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
        assert "attachment" in r.headers["content-disposition"] or "inline" in r.headers["content-disposition"]


class TestEscaping:
    async def test_a_script_in_the_protocol_is_shown_as_text(self, gateway, orgs, dialogue):
        session = await concluded_session(dialogue, title=XSS, item=XSS)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        await post_form(gateway, editor, f"{editor}/start", {"chair": XSS})
        r = await gateway.get(editor)
        assert r.status_code == 200
        assert XSS not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


class TestLanguages:
    @pytest.mark.parametrize(("lang", "word"), [("ru", "Редактор протокола"), ("kk", "Хаттама редакторы")])
    async def test_the_editor_renders_in_russian_and_kazakh(self, gateway, orgs, dialogue, lang, word):
        session = await concluded_session(dialogue)
        await signed_in(gateway, orgs)
        editor = f"/workspace/sessions/{session['id']}/protocol"
        r = await gateway.get(editor, params={"lang": lang})  # not started yet
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text and word in r.text
        await post_form(gateway, editor, f"{editor}/start", {"number": "1", "chair": "Председатель"})
        r = await gateway.get(editor, params={"lang": lang})  # a draft
        assert r.status_code == 200 and word in r.text
        await post_form(gateway, editor, f"{editor}/publish", {"confirm": "1"})
        r = await gateway.get(editor, params={"lang": lang})  # published
        assert r.status_code == 200 and word in r.text
