"""The whole story, as its users live it, in a real browser — in Russian, then in Kazakh.

A coordinator plans a round table, runs it from the live console while a second browser watches the same console
update, records a recommendation to a state body and publishes the protocol; that body's representative answers it
from the inbox; an anonymous visitor sees the answer on the public portal.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Stack, sign_in

AKIMAT_NAME = {"ru": "Акимат Восточно-Казахстанской области", "kk": "Шығыс Қазақстан облысының әкімдігі"}
AKIMAT_QUERY = {"ru": "акимат восточно", "kk": "шығыс қазақстан облысының әкім"}
# Words of the pages themselves, as the catalogs translate them.
SCHEDULED = {"ru": "Запланировано", "kk": "Жоспарланған"}
IN_PROGRESS = {"ru": "Идёт", "kk": "Өтіп жатыр"}
CONCLUDED = {"ru": "Состоялось", "kk": "Өтті"}
MARK_HEARD = {"ru": "Отметить как заслушанный", "kk": "Тыңдалды деп белгілеу"}
ITEM_HEARD = {"ru": "Заслушан", "kk": "Тыңдалды"}
CIVIL_SOCIETY = {"ru": "Гражданское общество", "kk": "Азаматтық қоғам"}

# What the story writes, in each language: the people type it in the language they work in.
STORY = {
    "ru": {
        "title": "Круглый стол «Молодёжь и занятость в ВКО» (браузерный тест)",
        "item": "Трудоустройство выпускников колледжей",
        "walk_in": "Нұрлан Сейітқазы",
        "chair": "Ахметова Г. К., проректор ВКТУ",
        "search": "сейіт",
        "recommendation": "Акимату ВКО рассмотреть квоты рабочих мест для выпускников колледжей в 2027 году.",
        "answer": "Квоты будут рассмотрены на заседании акимата в первом квартале 2027 года.",
    },
    "kk": {
        "title": "«ШҚО-дағы жастар және жұмыспен қамту» дөңгелек үстелі (браузер сынағы)",
        "item": "Колледж түлектерін жұмысқа орналастыру",
        "walk_in": "Әйгерім Құрманғалиқызы",
        "chair": "Ахметова Г. Қ., ШҚТУ проректоры",
        "search": "құрман",
        "recommendation": "ШҚО әкімдігіне 2027 жылы колледж түлектеріне жұмыс орындарының квотасын қарастыру"
                          " ұсынылсын.",
        "answer": "Квоталар 2027 жылдың бірінші тоқсанында әкімдік отырысында қаралады.",
    },
}


def choose_in_picker(page: Page, picker: str, query: str, name: str) -> None:
    """Types into a registry picker and ticks the match (htmx fills the matches as one types)."""
    page.locator(f"input[name={picker}_q]").press_sequentially(query, delay=40)
    match = page.locator(f"#{_picker_choices(page, picker)} label").filter(has_text=name).first
    match.locator("input").check()


def _picker_choices(page: Page, picker: str) -> str:
    box = page.locator(f"input[name={picker}_q]")
    controls = box.get_attribute("aria-controls")
    assert controls, f"picker {picker} has no results region"
    return controls


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_from_round_table_to_the_state_bodys_answer(lang: str, stack: Stack, new_context: Any,
                                                     screenshots: Path) -> None:
    words = STORY[lang]
    locale = "ru-RU" if lang == "ru" else "kk-KZ"
    shots = screenshots / lang
    shots.mkdir(exist_ok=True)

    # --- the coordinator plans the session ----------------------------------------------------------------------
    coordinator = new_context(locale).new_page()
    login, password = stack.accounts["coordinator"]
    sign_in(coordinator, login, password)
    coordinator.goto(f"/workspace/sessions/new?lang={lang}")
    expect(coordinator.locator("html")).to_have_attribute("lang", lang)
    coordinator.select_option("select[name=kind]", "round_table")
    coordinator.select_option("select[name=format]", "offline")
    coordinator.fill(f"input[name=title_{lang}]", words["title"])
    if lang != "ru":
        coordinator.fill("input[name=title_ru]", STORY["ru"]["title"] + " (kk)")
    coordinator.fill("input[name=starts_at]", "2027-02-10T10:00")
    coordinator.fill("input[name=ends_at]", "2027-02-10T13:00")
    coordinator.fill("input[name=venue]", "Усть-Каменогорск, ВКТУ, ауд. 101")
    choose_in_picker(coordinator, "organizers", "вкту", "ВКТУ")
    coordinator.screenshot(path=shots / "planner-new.png", full_page=True)
    coordinator.locator("button[name=action][value=save]").click()
    expect(coordinator).to_have_url(re.compile(r"/workspace/sessions/\d+(\?|$)"))
    session_id = int(re.search(r"/workspace/sessions/(\d+)", coordinator.url).group(1))

    coordinator.fill("#agenda-title-input", words["item"])
    coordinator.locator("#agenda-title-input").locator("xpath=ancestor::form").locator(
        "button[name=action][value=save]").click()
    expect(coordinator.locator("main")).to_contain_text(words["item"])
    coordinator.fill("#participant-name", words["walk_in"])
    coordinator.select_option("#sector", "civil_society")
    coordinator.locator("#participant-name").locator("xpath=ancestor::form").locator(
        "button[name=action][value=save]").click()
    expect(coordinator.locator("main")).to_contain_text(words["walk_in"])
    coordinator.locator(f"form[action='/workspace/sessions/{session_id}/transitions'] "
                        "input[name=status][value=scheduled]").locator("xpath=..").locator("button").click()
    expect(coordinator.locator("main")).to_contain_text(SCHEDULED[lang], ignore_case=True)
    coordinator.screenshot(path=shots / "planner.png", full_page=True)

    # --- the coordinator runs it from the live console; a second browser watches the same console --------------
    console = f"/workspace/sessions/{session_id}/console"
    coordinator.on("dialog", lambda dialog: dialog.accept())  # "Conclude the session?" is asked before concluding
    coordinator.goto(console)
    watcher = new_context(locale).new_page()
    sign_in(watcher, login, password)
    watcher.goto(console)
    expect(watcher.locator("#console-status")).to_contain_text(SCHEDULED[lang])

    coordinator.locator("#console-status input[name=status][value=in_progress]").locator("xpath=..").locator(
        "button").click()
    expect(watcher.locator("#console-status")).to_contain_text(IN_PROGRESS[lang])  # pushed, not reloaded

    # Starting takes up the first item at once: the watching screen shows it under discussion.
    expect(watcher.locator("#console-current .console-item-title")).to_contain_text(words["item"])
    coordinator.locator("#console-current").get_by_role("button", name=MARK_HEARD[lang]).click()
    expect(watcher.locator("#console-current")).to_contain_text(ITEM_HEARD[lang])

    coordinator.locator("#console-q").press_sequentially(words["search"], delay=40)
    row = coordinator.locator("#console-people tr, #console-people li").filter(has_text=words["walk_in"]).first
    row.locator("button.console-check-in").click()
    expect(watcher.locator("#console-counts")).to_contain_text(CIVIL_SOCIETY[lang])
    expect(watcher.locator("#console-counts")).to_contain_text("1")

    coordinator.fill("#console-rec-text", words["recommendation"])
    coordinator.locator("#console-addressee-q").press_sequentially(AKIMAT_QUERY[lang], delay=40)
    coordinator.locator("#console-addressees label").filter(has_text=AKIMAT_NAME[lang]).first.locator(
        "input").check()
    coordinator.locator("#console-decide-form > button[type=submit]").click()
    expect(watcher.locator("#console-decisions")).to_contain_text(words["recommendation"][:60])
    watcher.screenshot(path=shots / "console-watching.png", full_page=True)
    coordinator.screenshot(path=shots / "console.png", full_page=True)

    coordinator.locator("#console-status input[name=status][value=concluded]").locator("xpath=..").locator(
        "button").click()
    expect(watcher.locator("#console-status")).to_contain_text(CONCLUDED[lang])

    # --- the protocol: started pre-filled from the session, published; publishing sends the recommendation ------
    coordinator.goto(f"/workspace/sessions/{session_id}/protocol")
    start = coordinator.locator(f"form[action='/workspace/sessions/{session_id}/protocol/start']")
    start.locator("input[name=number]").fill("1")
    start.locator("input[name=chair]").fill(words["chair"])
    start.locator("button[type=submit]").click()
    expect(coordinator.locator("form.protocol-form")).to_be_visible()
    coordinator.screenshot(path=shots / "protocol-editor.png", full_page=True)
    publish = coordinator.locator(f"form[action='/workspace/sessions/{session_id}/protocol/publish']")
    publish.locator("input[name=confirm]").check()
    publish.locator("button[type=submit]").click()
    expect(coordinator.locator(f"form[action='/workspace/sessions/{session_id}/protocol/corrections']")).to_be_visible()

    # --- the akimat's representative answers from the inbox ------------------------------------------------------
    representative = new_context(locale).new_page()
    rep_login, rep_password = stack.accounts["representative"]
    sign_in(representative, rep_login, rep_password)
    representative.goto(f"/workspace/inbox?lang={lang}")
    representative.screenshot(path=shots / "inbox.png", full_page=True)
    link = representative.locator("main a[href^='/workspace/inbox/']").filter(has_text=words["recommendation"][:40])
    href = link.first.get_attribute("href")
    assert href
    recommendation_id = int(re.search(r"/workspace/inbox/(\d+)", href).group(1))
    link.first.click()
    answer = representative.locator("form.answer-form").first
    answer.locator("input[name=decision][value=accepted]").check()
    answer.locator("textarea[name=reasons]").fill(words["answer"])
    answer.locator("button[type=submit]").click()
    expect(representative.locator("main")).to_contain_text(words["answer"])
    representative.screenshot(path=shots / "inbox-answered.png", full_page=True)

    # --- an anonymous visitor sees the answer on the public portal ----------------------------------------------
    visitor = new_context(locale).new_page()
    visitor.goto(f"/recommendations/{recommendation_id}?lang={lang}")
    expect(visitor.locator("main")).to_contain_text(words["recommendation"][:60])
    expect(visitor.locator("main")).to_contain_text(words["answer"])
    expect(visitor.locator("main")).to_contain_text(AKIMAT_NAME[lang])
    visitor.screenshot(path=shots / "public-recommendation.png", full_page=True)
    visitor.goto(f"/sessions/{session_id}?lang={lang}")
    expect(visitor.locator("main")).to_contain_text(words["title"] if lang == "ru" else words["title"][:20])
    visitor.screenshot(path=shots / "public-session.png", full_page=True)
