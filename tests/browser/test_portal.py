"""The public portal in a real browser: htmx works under our CSP, search-as-you-type swaps results, languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect


def test_home_page_in_russian_and_kazakh(new_context: Any, screenshots: Path) -> None:
    page = new_context().new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator(".main-nav")).to_contain_text("Рекомендации")
    page.screenshot(path=screenshots / "home-ru.png", full_page=True)
    page.click("nav.languages a[lang=kk]")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator(".main-nav")).to_contain_text("Ұсынымдар")
    page.screenshot(path=screenshots / "home-kk.png", full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_registry_search_as_you_type_swaps_results_without_reloading(new_context: Any, screenshots: Path) -> None:
    page = new_context().new_page()
    page.goto("/orgs")
    page.evaluate("window.__marker = 'same page'")  # survives only if the page is not reloaded
    search = page.locator("input[name=q]").first
    search.press_sequentially("вкту", delay=60)
    expect(page).to_have_url(re.compile(r"[?&]q=(%D0%B2%D0%BA%D1%82%D1%83|вкту)"))  # the address follows the search
    first = page.locator("#results tbody tr").first
    expect(first).to_contain_text("ВКТУ")
    assert page.evaluate("window.__marker") == "same page"
    page.screenshot(path=screenshots / "registry-search.png", full_page=True)
