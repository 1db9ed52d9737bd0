"""Shared copies of public pages and public API reads (services/gateway/public_copies.py): who gets a copy, what a
copy never carries (another visitor's CSRF token or cookie), and that a write through the gateway is seen at once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.contracts.auth import Role
from services.gateway.public_copies import Copy, PublicCopies
from tests.conftest import _gateway_client, actor_headers, gateway_settings
from tests.dialogue.helpers import sent_recommendation
from tests.gateway.helpers import build_world, create_account, csrf_token, sign_in


@pytest.fixture
async def shared(orgs_app: Any, dialogue_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with copies kept for a minute (longer than any test), so only a write can make them stale."""
    async for client in _gateway_client(gateway_settings(public_copy_seconds=60), orgs_app, dialogue_app):
        yield client


def copies(client: httpx.AsyncClient) -> PublicCopies:
    store: PublicCopies = client.app.state.public_copies  # type: ignore[attr-defined]
    return store


def visitor(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser: the same app, its own cookie jar."""
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def new_key(orgs: httpx.AsyncClient, org_id: int, scopes: list[str]) -> str:
    r = await orgs.post("/v1/api-keys", json={"name": "ИС", "org_id": org_id, "scopes": scopes},
                        headers=actor_headers(Role.admin))
    assert r.status_code == 201, r.text
    key: str = r.json()["key"]
    return key


class TestPages:
    async def test_anonymous_visitors_share_a_copy_with_their_own_csrf_token(self, shared, orgs, dialogue):
        await build_world(orgs, dialogue)
        first = await shared.get("/recommendations")
        assert first.status_code == 200
        assert (copies(shared).misses, copies(shared).hits) == (1, 0)
        async with visitor(shared) as other:
            second = await other.get("/recommendations")
            assert second.status_code == 200
            assert copies(shared).hits == 1
            # The same page, except each visitor's own token, which is also the one in their own session cookie.
            assert csrf_token(first.text) != csrf_token(second.text)
            assert first.text.replace(csrf_token(first.text), "T") == second.text.replace(csrf_token(second.text), "T")
            assert second.headers["set-cookie"] != first.headers["set-cookie"]
            # The visitor's token works for their own form posts: the sign-in form is accepted past CSRF.
            login = await other.post("/login", data={"login": "nobody", "password": "wrong-password-123",
                                                     "csrf_token": csrf_token(second.text), "next": "/"})
            assert login.status_code != 403, login.text
        assert "x-ashyq-public-copy" not in {k.lower() for k in second.headers}
        assert second.headers["vary"] == first.headers["vary"]
        assert second.headers["content-length"] == str(len(second.content))

    async def test_a_copy_is_per_address_language_and_htmx_target(self, shared, orgs, dialogue):
        await build_world(orgs, dialogue)
        ru = await shared.get("/orgs")
        kk = await shared.get("/orgs", params={"lang": "kk"})
        query = await shared.get("/orgs", params={"q": "акимат"})
        fragment = await shared.get("/orgs", headers={"HX-Request": "true"})
        assert copies(shared).hits == 0 and copies(shared).misses == 4
        assert '<html lang="kk">' in kk.text and '<html lang="ru">' in ru.text
        assert "<!doctype html>" not in fragment.text.lower()
        assert query.text != ru.text

    async def test_a_write_through_the_gateway_is_seen_at_once(self, shared, orgs, dialogue):
        world = await build_world(orgs, dialogue)
        before = await shared.get(f"/recommendations/{world.overdue['id']}")
        assert "Принято" not in before.text
        await create_account(orgs, "akimat.rep", "a-long-password-1", roles=["representative"],
                             org_ids=[world.ministry])
        async with visitor(shared) as rep:
            assert (await sign_in(rep, "akimat.rep", "a-long-password-1")).status_code == 303
            page = await rep.get("/workspace/inbox")
            r = await rep.post(f"/workspace/inbox/{world.overdue['id']}/answer",
                               data={"org_id": world.ministry, "decision": "accepted", "reasons": "Принято в работу",
                                     "csrf_token": csrf_token(page.text)})
            assert r.status_code in (200, 303), r.text
        assert len(copies(shared)) == 0
        after = await shared.get(f"/recommendations/{world.overdue['id']}")
        assert "Принято в работу" in after.text

    async def test_signed_in_visitors_never_get_or_make_copies(self, shared, orgs, dialogue):
        await build_world(orgs, dialogue)
        await create_account(orgs, "coord", "a-long-password-1")
        async with visitor(shared) as coordinator:
            await sign_in(coordinator, "coord", "a-long-password-1")  # a POST: it drops every copy
            await shared.get("/")  # an anonymous copy of the home page
            hits = copies(shared).hits
            page = await coordinator.get("/")
            assert copies(shared).hits == hits  # rendered for them, with their name in the navigation
            assert "Айгерим Координатор" in page.text
            assert len(copies(shared)) == 1  # and not kept for anyone else

    async def test_writes_elsewhere_show_once_the_copy_is_old(self, orgs_app, dialogue_app, dialogue, orgs):
        world = await build_world(orgs, dialogue)
        async for gateway in _gateway_client(gateway_settings(public_copy_seconds=0.3), orgs_app, dialogue_app):
            await gateway.get("/recommendations")
            await sent_recommendation(dialogue, [world.akimat], text="Новая рекомендация прямо через сервис",
                                      response_due_on="2099-01-01")
            assert "Новая рекомендация" not in (await gateway.get("/recommendations")).text  # the copy, still young
            await asyncio.sleep(0.35)
            assert "Новая рекомендация" in (await gateway.get("/recommendations")).text

    async def test_the_counters_are_on_metrics(self, shared, orgs, dialogue):
        from tests.common.test_metrics import scrape, value

        await build_world(orgs, dialogue)
        await shared.get("/orgs")
        async with visitor(shared) as other:
            await other.get("/orgs")
            await other.get("/orgs")
        found = await scrape(shared)
        assert value(found, "ashyq_public_copy_misses_total") == 1
        assert value(found, "ashyq_public_copy_hits_total") == 2
        assert value(found, "ashyq_public_copies") == 1
        assert value(found, "ashyq_public_copy_bytes") > 1000
        assert value(found, "ashyq_public_copy_drops_total") == 0
        await create_account(orgs, "coord", "a-long-password-1")
        assert (await sign_in(shared, "coord", "a-long-password-1")).status_code == 303  # a write: drops them all
        found = await scrape(shared)
        assert value(found, "ashyq_public_copy_drops_total") == 1
        assert value(found, "ashyq_public_copies") == 0 and value(found, "ashyq_public_copy_bytes") == 0

    async def test_turned_off_it_keeps_nothing(self, gateway, orgs, dialogue):
        await build_world(orgs, dialogue)
        await gateway.get("/")
        await gateway.get("/")
        store = copies(gateway)
        assert (len(store), store.hits, store.misses) == (0, 0, 0)


class TestApi:
    async def test_keys_with_read_share_a_copy_once_checked(self, shared, orgs, dialogue):
        world = await build_world(orgs, dialogue)
        one, two = await new_key(orgs, world.akimat, ["read"]), await new_key(orgs, world.ministry, ["read"])
        first = await shared.get("/api/v1/recommendations", headers={"Authorization": f"Bearer {one}"})
        assert first.status_code == 200 and copies(shared).misses == 0  # not checked before: no copy made
        again = await shared.get("/api/v1/recommendations", headers={"Authorization": f"Bearer {one}"})
        assert copies(shared).misses == 1
        await shared.get("/api/v1/regions", headers={"X-API-Key": two})  # two is checked now
        other = await shared.get("/api/v1/recommendations", headers={"X-API-Key": two})
        assert copies(shared).hits == 1
        assert other.json() == again.json() == first.json()
        assert other.headers["cache-control"] == "no-store"

    async def test_no_copy_for_a_missing_scope_an_unknown_key_or_no_key(self, shared, orgs, dialogue):
        world = await build_world(orgs, dialogue)
        reader, answerer = await new_key(orgs, world.akimat, ["read"]), await new_key(orgs, world.akimat, ["answer"])
        for _ in range(2):
            assert (await shared.get("/api/v1/recommendations", headers={"X-API-Key": reader})).status_code == 200
        assert len(copies(shared)) == 1
        for headers, status in (({"X-API-Key": answerer}, 403), ({}, 401),
                                ({"Authorization": "Bearer ashyq_abcdefgh_unknown-key-0123456789"}, 401)):
            for _ in range(2):
                r = await shared.get("/api/v1/recommendations", headers=headers)
                assert r.status_code == status, r.text
        assert copies(shared).hits == 0

    async def test_an_answer_through_the_api_drops_the_copies(self, shared, orgs, dialogue):
        world = await build_world(orgs, dialogue)
        key = await new_key(orgs, world.ministry, ["read", "answer"])
        path = f"/api/v1/recommendations/{world.overdue['id']}"
        for _ in range(2):
            assert (await shared.get(path, headers={"X-API-Key": key})).json()["status"] == "sent"
        await shared.get("/")
        r = await shared.post(f"{path}/responses", headers={"X-API-Key": key},
                              json={"org_id": world.ministry, "decision": "rejected", "reasons": "Вне компетенции"})
        assert r.status_code == 201, r.text
        assert len(copies(shared)) == 0
        assert (await shared.get(path, headers={"X-API-Key": key})).json()["status"] == "answered"


class TestStore:
    def test_bounded_in_bytes_oldest_first(self):
        store = PublicCopies(60, max_bytes=10_000)
        for n in range(10):
            store.put(n, Copy(0.0 + 10**9, 200, [], b"x" * 2_000), store.generation)
        assert len(store) == 4 and store.get(0) is None and store.get(9) is not None

    def test_an_answer_begun_before_a_write_is_not_kept(self):
        store = PublicCopies(60)
        generation = store.generation
        store.drop_all()
        store.put("page", Copy(10.0**9, 200, [], b"old"), generation)
        assert store.get("page") is None

    async def test_concurrent_visitors_wait_for_one_answer(self, shared, orgs, dialogue):
        await build_world(orgs, dialogue)
        calls = 0
        upstream = shared.app.state.dialogue  # type: ignore[attr-defined]
        send = upstream.send

        async def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return await send(*args, **kwargs)

        upstream.send = counting
        pages = await asyncio.gather(*(shared.get("/sessions") for _ in range(6)))
        assert all(p.status_code == 200 for p in pages)
        assert copies(shared).misses == 1 and copies(shared).hits == 5
        single = calls
        copies(shared).drop_all()
        await shared.get("/sessions")
        assert calls == 2 * single  # the six visitors cost what one costs
        assert re.search(r"<title>", pages[5].text)
