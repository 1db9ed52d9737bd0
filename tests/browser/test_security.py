"""What a hostile name, a forged form and a representative of another body meet in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, sign_in

XSS = "<script>alert(1)</script>"


def test_a_script_as_a_name_is_shown_as_text_and_never_runs(stack: Stack, new_context: Any,
                                                            screenshots: Path) -> None:
    page = new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login, password = stack.accounts["coordinator"]
    sign_in(page, login, password)
    page.goto("/workspace/sessions/new")
    page.select_option("select[name=kind]", "round_table")
    page.select_option("select[name=format]", "offline")
    page.fill("input[name=title_ru]", XSS)
    page.fill("input[name=starts_at]", "2027-03-01T10:00")
    page.fill("input[name=venue]", XSS)
    page.locator("input[name=organizers_q]").press_sequentially("вкту", delay=40)
    page.locator("label").filter(has_text="ВКТУ").first.locator("input").check()
    page.locator("button[name=action][value=save]").click()
    expect(page).to_have_url(re.compile(r"/workspace/sessions/\d+"))
    session_id = re.search(r"/workspace/sessions/(\d+)", page.url).group(1)
    page.fill("#participant-name", XSS)
    page.select_option("#sector", "civil_society")
    page.locator("#participant-name").locator("xpath=ancestor::form").locator(
        "button[name=action][value=save]").click()
    for path in (f"/workspace/sessions/{session_id}", f"/workspace/sessions/{session_id}/console",
                 "/workspace/sessions"):
        page.goto(path)
        expect(page.locator("main")).to_contain_text(XSS)  # the text itself, as typed
    page.screenshot(path=screenshots / "xss-as-text.png", full_page=True)
    assert dialogs == []


def test_a_form_without_its_csrf_token_is_refused(stack: Stack, new_context: Any) -> None:
    page = new_context().new_page()
    login, password = stack.accounts["coordinator"]
    sign_in(page, login, password)
    # Another site's form would post with the visitor's cookies but without the token of our page.
    response = page.request.post("/workspace/sessions/new", form={
        "kind": "round_table", "format": "offline", "title_ru": "Подделка", "starts_at": "2027-03-01T10:00",
        "action": "save"}, max_redirects=0)
    assert response.status == 403
    page.goto("/workspace/sessions?q=Подделка")
    expect(page.locator("main")).not_to_contain_text("Подделка")


def test_a_representative_cannot_answer_for_another_body(stack: Stack, new_context: Any) -> None:
    """The akimat's representative opens a recommendation addressed to someone else: no form, and a forged
    answer is refused."""
    visitor = new_context().new_page()
    visitor.goto("/recommendations")
    ids = [int(m) for m in re.findall(r'href="/recommendations/(\d+)"', visitor.content())]
    assert ids
    page = new_context().new_page()
    login, password = stack.accounts["representative"]
    sign_in(page, login, password)
    page.goto("/workspace/inbox")
    mine = {int(m) for m in re.findall(r'href="/workspace/inbox/(\d+)', page.content())}
    others = [i for i in ids if i not in mine]
    assert others, "the demo data has recommendations addressed to other bodies"
    response = page.goto(f"/workspace/inbox/{others[0]}")
    assert response is not None and response.status == 403
    expect(page.locator("form.answer-form")).to_have_count(0)
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    forged = page.request.post(f"/workspace/inbox/{others[0]}/answer", form={
        "csrf_token": token, "org_id": "1", "decision": "accepted", "reasons": "Подделанный ответ"})
    assert forged.status == 403
    visitor.goto(f"/recommendations/{others[0]}")
    expect(visitor.locator("main")).not_to_contain_text("Подделанный ответ")
