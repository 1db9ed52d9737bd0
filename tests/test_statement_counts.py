"""A page of 200 costs the same number of SQL statements and upstream calls as a page of 10.

The services run in process over a few hundred generated rows (bench.generate's tiny scale, the same
generator as the national-scale benchmark); statements are counted with a SQLAlchemy event listener on
each service's engine, upstream calls by the gateway's transports. A count is not a timing: an N+1 query
or a per-row upstream call makes these fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench import datasets, inprocess
from bench.generate import TINY, generate
from bench.run import page_size
from services.common.migrations import upgrade

SIZES = (10, 50, 200)
API_KEY_HEADERS = {"Authorization": f"Bearer {datasets.API_KEY}"}


@pytest.fixture(scope="module")
def tiny_databases(databases: Any) -> tuple[str, str]:
    orgs_url, dialogue_url = databases.new("counts_orgs"), databases.new("counts_dialogue")
    upgrade("orgs", orgs_url)
    upgrade("dialogue", dialogue_url)
    generate(TINY, orgs_url, dialogue_url, log=lambda _: None)
    datasets.ensure_api_key(orgs_url)
    return orgs_url, dialogue_url


@pytest.fixture(scope="module")
async def stack(tiny_databases: tuple[str, str]) -> AsyncIterator[inprocess.Services]:
    async with inprocess.services(*tiny_databases) as services:
        yield services


async def _counts(stack: inprocess.Services, client: Any, path: str,
                  headers: dict[str, str] | None = None) -> dict[int, tuple[dict[str, int], dict[str, int]]]:
    out = {}
    for size in SIZES:
        with page_size(size):
            status, statements, upstream = await inprocess.measure(client, stack.counters,
                                                                   path.replace("{n}", str(size)), headers)
        assert status == 200, path
        out[size] = (dict(statements), dict(upstream))
    return out


def _constant(counts: dict[int, tuple[dict[str, int], dict[str, int]]]) -> tuple[dict[str, int], dict[str, int]]:
    assert counts[10] == counts[50] == counts[200], counts
    return counts[10]


class TestServiceLists:
    @pytest.mark.parametrize(("path", "key"), [
        ("/v1/orgs?limit={n}", "items"),
        ("/v1/orgs?q=3&limit={n}", "items"),  # search as you type, one character: every BIN here starts with 3
        ("/v1/people?limit={n}", "items"),
    ])
    async def test_orgs_lists(self, stack: inprocess.Services, path: str, key: str) -> None:
        page = (await stack.orgs.get(path.replace("{n}", "200"))).json()
        assert len(page[key]) == 200  # the data really fill the largest page
        statements, _ = _constant(await _counts(stack, stack.orgs, path))
        assert 0 < statements["orgs"] <= 3

    @pytest.mark.parametrize("path", [
        "/v1/recommendations?limit={n}",
        "/v1/recommendations?order=recent&limit={n}",
        "/v1/recommendations?overdue=true&limit={n}",
    ])
    async def test_recommendation_lists(self, stack: inprocess.Services, path: str) -> None:
        if "overdue" not in path:
            assert len((await stack.dialogue.get(path.replace("{n}", "200"))).json()["items"]) == 200
        statements, _ = _constant(await _counts(stack, stack.dialogue, path))
        assert 0 < statements["dialogue"] <= 4


class TestGateway:
    @pytest.mark.parametrize("path", ["/recommendations", "/orgs", "/orgs?q=%D0%B6%D0%B0", "/sessions"])
    async def test_list_pages(self, stack: inprocess.Services, path: str) -> None:
        statements, upstream = _constant(await _counts(stack, stack.gateway, path))
        assert sum(upstream.values()) <= 4
        assert sum(statements.values()) <= 10

    @pytest.mark.parametrize("path", ["/api/v1/recommendations?limit={n}", "/api/v1/organizations?limit={n}"])
    async def test_public_api_lists(self, stack: inprocess.Services, path: str) -> None:
        _, upstream = _constant(await _counts(stack, stack.gateway, path, API_KEY_HEADERS))
        assert sum(upstream.values()) == 1  # the key's verdict is cached; the list is one call

    async def test_pages_of_one_session_and_the_home_page(self, stack: inprocess.Services) -> None:
        for path in (f"/sessions/{TINY.sessions // 2 + 1}", "/"):
            statements, upstream = _constant(await _counts(stack, stack.gateway, path))
            assert sum(upstream.values()) <= 8, path
            assert sum(statements.values()) <= 30, path


class TestDeadlineOrder:
    async def test_pages_walk_overdue_first_then_by_deadline_without_gaps(self, stack: inprocess.Services) -> None:
        """The index-ordered reads give exactly ORDER BY overdue, coalesce(deadline, far), id, page after page."""
        seen, cursor = [], None
        while True:
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            page = (await stack.dialogue.get("/v1/recommendations", params=params)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        expected = sorted(seen, key=lambda r: (not r["is_overdue"], r["response_due_on"] or "9999-12-31", r["id"]))
        assert [r["id"] for r in seen] == [r["id"] for r in expected]
        assert len({r["id"] for r in seen}) == len(seen)
        everything = (await stack.dialogue.get("/v1/recommendations", params={"limit": 200, "order": "recent"})).json()
        rest = (await stack.dialogue.get("/v1/recommendations", params={"limit": 200, "order": "recent",
                                                                      "cursor": everything["next_cursor"]})).json()
        assert len(seen) == len(everything["items"]) + len(rest["items"])  # every public one, once
        assert any(r["is_overdue"] for r in seen) and any(not r["is_overdue"] for r in seen)
        for overdue in ("true", "false"):  # each filter reads only its own index walks, and gives the same order
            part, cursor = [], None
            while True:
                params = {"limit": 5, "overdue": overdue, **({"cursor": cursor} if cursor else {})}
                page = (await stack.dialogue.get("/v1/recommendations", params=params)).json()
                part += page["items"]
                if (cursor := page["next_cursor"]) is None:
                    break
            assert [r["id"] for r in part] == [r["id"] for r in seen if r["is_overdue"] == (overdue == "true")]


class TestResponsivenessFigures:
    async def test_counted_in_the_service_as_the_portal_counts_them_from_every_recommendation(
            self, stack: inprocess.Services) -> None:
        from services.contracts.dialogue import RecommendationRead
        from services.gateway.responsiveness import responsiveness

        recs, cursor = [], None
        while True:
            page = (await stack.dialogue.get("/v1/recommendations", params={
                "limit": 200, "status": ["sent", "answered", "in_progress", "implemented", "not_implemented"],
                **({"cursor": cursor} if cursor else {})})).json()
            recs += [RecommendationRead.model_validate(r) for r in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        expected = responsiveness(recs)
        report = (await stack.dialogue.get("/v1/responsiveness", params={"limit": 200})).json()
        assert report["sent"] == len(recs)
        assert report["overdue"] == sum(r.is_overdue for r in recs) > 0
        assert {b["org_id"]: (b["sent"], b["answered_on_time"], b["answered_late"], b["awaiting"], b["overdue"])
                for b in report["bodies"]} == {
            k: (v.sent, v.answered_on_time, v.answered_late, v.awaiting, v.overdue) for k, v in expected.items()}
        keys = [(-b["overdue"], -b["sent"], b["org_id"]) for b in report["bodies"]]
        assert keys == sorted(keys)
        one = next(iter(expected))
        only = (await stack.dialogue.get("/v1/responsiveness", params={"org_id": one})).json()
        assert [b["org_id"] for b in only["bodies"]] == [one]

    async def test_home_page_reads_the_figures_not_every_recommendation(self, stack: inprocess.Services) -> None:
        status, _, upstream = await inprocess.measure(stack.gateway, stack.counters, "/")
        assert status == 200
        assert upstream["dialogue"] == 4  # sessions, latest answers, figures, five longest overdue
