"""The portal's figures are counted once per change of the data. While counting is quick a reader gets fresh
figures at once; once it is slow (seconds at a million recommendations) the last figures are served and the
recount runs in the background, so no visitor of the home page waits for it."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from services.dialogue import responsiveness
from services.dialogue.responsiveness import ResponsivenessCache
from tests.dialogue.helpers import sent_recommendation, state_body


async def figures(cache: ResponsivenessCache, app: Any) -> int:
    async with app.state.sessionmaker() as session:
        report = await cache.report(session, app.state.sessionmaker)
    return report.sent


async def test_quick_counts_are_fresh_at_once(dialogue_app: Any, orgs: httpx.AsyncClient,
                                              dialogue: httpx.AsyncClient) -> None:
    body = await state_body(orgs, "Акимат ВКО")
    cache = ResponsivenessCache()
    await sent_recommendation(dialogue, [body])
    assert await figures(cache, dialogue_app) == 1
    await sent_recommendation(dialogue, [body])
    assert await figures(cache, dialogue_app) == 2
    assert cache.background is None


async def test_slow_counts_serve_the_last_figures_while_recounting(dialogue_app: Any, orgs: httpx.AsyncClient,
                                                                   dialogue: httpx.AsyncClient) -> None:
    body = await state_body(orgs, "Акимат ВКО")
    cache = ResponsivenessCache(wait_seconds=0)  # every count is "slow"
    await sent_recommendation(dialogue, [body])
    assert await figures(cache, dialogue_app) == 1  # nothing counted yet: the first reader waits
    await sent_recommendation(dialogue, [body])
    assert await figures(cache, dialogue_app) == 1  # the last figures, at once
    assert cache.background is not None
    await cache.background
    assert await figures(cache, dialogue_app) == 2
    await cache.aclose()


async def test_a_failed_background_recount_keeps_the_last_figures(
        dialogue_app: Any, orgs: httpx.AsyncClient, dialogue: httpx.AsyncClient,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    body = await state_body(orgs, "Акимат ВКО")
    cache = ResponsivenessCache(wait_seconds=0)
    await sent_recommendation(dialogue, [body])
    assert await figures(cache, dialogue_app) == 1

    async def broken(*_: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(responsiveness, "count", broken)
    await sent_recommendation(dialogue, [body])
    with caplog.at_level(logging.ERROR, logger="ashyq.dialogue.responsiveness"):
        assert await figures(cache, dialogue_app) == 1
        assert cache.background is not None
        with pytest.raises(RuntimeError):
            await cache.background
    assert "recounting responsiveness in the background failed" in caplog.text
    assert await figures(cache, dialogue_app) == 1  # still served; a later reader tries again
