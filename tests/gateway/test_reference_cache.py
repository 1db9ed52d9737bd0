"""Reference data around the pages (region names, the state bodies of a filter) is kept per language for a
while, so a page view does not fetch and parse it again; when its service is down the last copy is served."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from services.gateway.deps import Page
from services.gateway.i18n import set_language
from services.gateway.pages.common import reference


def fake_page() -> Page:
    state = SimpleNamespace(reference_cache={})
    return cast(Page, SimpleNamespace(request=SimpleNamespace(app=SimpleNamespace(state=state))))


class Loader:
    def __init__(self, *answers: Any) -> None:
        self.answers, self.calls = list(answers), 0

    async def __call__(self) -> Any:
        self.calls += 1
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def russian() -> None:
    set_language("ru")


async def test_a_second_view_within_the_time_reads_no_upstream() -> None:
    page, load = fake_page(), Loader(["Абай"], ["Абай облысы"])
    assert await reference(page, "regions", load, 60) == ["Абай"]
    assert await reference(page, "regions", load, 60) == ["Абай"]
    assert load.calls == 1


async def test_after_the_time_it_is_read_again() -> None:
    page, load = fake_page(), Loader(["old"], ["new"])
    assert await reference(page, "bodies", load, 0) == ["old"]
    assert await reference(page, "bodies", load, 0) == ["new"]
    assert load.calls == 2


async def test_each_language_has_its_own_copy() -> None:
    page, load = fake_page(), Loader(["Абай облысы"], ["Абай облысы (kk)"])
    assert await reference(page, "regions", load, 60) == ["Абай облысы"]
    set_language("kk")
    assert await reference(page, "regions", load, 60) == ["Абай облысы (kk)"]
    set_language("ru")
    assert await reference(page, "regions", load, 60) == ["Абай облысы"]
    assert load.calls == 2


async def test_a_service_that_is_down_gets_the_last_copy_or_nothing() -> None:
    page = fake_page()
    assert await reference(page, "bodies", Loader(None), 60) is None  # nothing yet: the caller shows its default
    assert await reference(page, "bodies", Loader(["Акимат ВКО"]), 0) == ["Акимат ВКО"]
    down = Loader(None)
    assert await reference(page, "bodies", down, 0) == ["Акимат ВКО"]
    assert down.calls == 1
