"""The public JSON API (`/api/v1`): API keys with scopes, public reads, answers for the key's own body, webhooks.

The gateway runs in process in front of the real orgs and dialogue services (both clean for each test); API keys
are made through the registry's admin API, exactly as an administrator makes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.contracts.accounts import ApiKeyRead
from services.contracts.auth import Role
from services.gateway.api.auth import KeyCache
from services.gateway.api.deps import Api
from tests.conftest import CLOSED_PORT_URL, _gateway_client, actor_headers, gateway_settings
from tests.dialogue.helpers import as_coordinator, create_session, sent_recommendation
from tests.gateway.helpers import PERSON_EMAIL, PERSON_IIN, PERSON_PHONE, World, build_world

PROBLEM_JSON = "application/problem+json"
ALL_SCOPES = ["read", "answer", "webhooks"]
PUBLIC_IP_URL = "https://93.184.215.14/ashyq-hook"  # a public address: no name to resolve in the test machine


@pytest.fixture
async def api(orgs_app: Any, dialogue_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with the key cache off, so a revoked key is refused on the next request."""
    async for client in _gateway_client(gateway_settings(api_key_cache_seconds=0), orgs_app, dialogue_app):
        yield client


@pytest.fixture
async def api_without_dialogue(orgs_app: Any, dialogue: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _gateway_client(gateway_settings(dialogue_url=CLOSED_PORT_URL, api_key_cache_seconds=0),
                                        orgs_app, None):
        yield client


@pytest.fixture
async def world(orgs: httpx.AsyncClient, dialogue: httpx.AsyncClient) -> World:
    return await build_world(orgs, dialogue)


async def new_key(orgs: httpx.AsyncClient, org_id: int, scopes: list[str], name: str = "ИС акимата") -> str:
    r = await orgs.post("/v1/api-keys", json={"name": name, "org_id": org_id, "scopes": scopes},
                        headers=actor_headers(Role.admin))
    assert r.status_code == 201, r.text
    secret: str = r.json()["key"]
    return secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


async def operations(api: httpx.AsyncClient) -> list[tuple[str, str, list[str]]]:
    """(method, path under /api, scopes) of every documented operation."""
    document = (await api.get("/api/v1/openapi.json")).json()
    prefix = document["servers"][0]["url"]
    return [(method.upper(), prefix + path, op["x-required-scopes"])
            for path, item in document["paths"].items() for method, op in item.items()]


def concrete(path: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    return path


# --- authentication and scopes -------------------------------------------------------------------

class TestAuthentication:
    async def test_every_operation_refuses_a_request_without_a_key(self, api):
        ops = await operations(api)
        assert len(ops) >= 20
        for method, path, _ in ops:
            r = await api.request(method, concrete(path, {"org_id": 1, "session_id": 1, "recommendation_id": 1,
                                                          "webhook_id": 1, "code": "630000000"}))
            body = problem(r, 401)
            assert body["type"].endswith("/api-key-required"), (method, path, body)
            assert r.headers["www-authenticate"].startswith("Bearer"), (method, path)

    async def test_unknown_or_malformed_keys_are_refused(self, api, orgs):
        for key in ("ashyq_abcdefgh_not-a-key-the-registry-issued", "not-even-our-format", "ashyq_" + "x" * 300):
            body = problem(await api.get("/api/v1/regions", headers=bearer(key)), 401)
            assert body["type"].endswith("/api-key-invalid")

    async def test_a_key_is_accepted_as_bearer_and_in_x_api_key(self, api, orgs, world):
        key = await new_key(orgs, world.akimat, ["read"])
        assert (await api.get("/api/v1/regions", headers=bearer(key))).status_code == 200
        r = await api.get("/api/v1/regions", headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        assert {region["code"] for region in r.json()["items"]} >= {"630000000", "710000000"}

    async def test_every_operation_refuses_a_key_without_its_scope(self, api, orgs, world):
        keys = {scope: await new_key(orgs, world.akimat, [s for s in ALL_SCOPES if s != scope], f"без {scope}")
                for scope in ALL_SCOPES}
        ids = {"org_id": world.akimat, "session_id": world.session["id"], "recommendation_id": world.answered["id"],
               "webhook_id": 1, "code": "630000000"}
        for method, path, scopes in await operations(api):
            (scope,) = scopes
            r = await api.request(method, concrete(path, ids), headers=bearer(keys[scope]), json={})
            body = problem(r, 403)
            assert body["required_scope"] == scope, (method, path)

    async def test_revoked_key_is_refused_at_once_when_the_cache_is_off(self, api, orgs, world):
        key = await new_key(orgs, world.akimat, ["read"])
        assert (await api.get("/api/v1/regions", headers=bearer(key))).status_code == 200
        listed = (await orgs.get("/v1/api-keys", params={"org_id": world.akimat},
                                 headers=actor_headers(Role.admin))).json()["items"]
        (key_id,) = [k["id"] for k in listed]
        r = await orgs.delete(f"/v1/api-keys/{key_id}", headers=actor_headers(Role.admin))
        assert r.status_code == 200, r.text
        body = problem(await api.get("/api/v1/regions", headers=bearer(key)), 401)
        assert body["type"].endswith("/api-key-invalid")

    async def test_registry_is_asked_once_per_key_within_the_cache_time(self, orgs_app, dialogue_app, dialogue,
                                                                       orgs, world):
        key = await new_key(orgs, world.akimat, ["read"])
        async for client in _gateway_client(gateway_settings(api_key_cache_seconds=60), orgs_app, dialogue_app):
            assert (await client.get("/api/v1/regions", headers=bearer(key))).status_code == 200
            listed = (await orgs.get("/v1/api-keys", headers=actor_headers(Role.admin))).json()["items"]
            await orgs.delete(f"/v1/api-keys/{listed[0]['id']}", headers=actor_headers(Role.admin))
            # Still trusted from the cache: revocation takes effect within api_key_cache_seconds, not at once.
            assert (await client.get("/api/v1/regions", headers=bearer(key))).status_code == 200

    async def test_key_of_an_archived_organization_is_refused(self, api, orgs, world):
        key = await new_key(orgs, world.fund, ["read"])
        r = await orgs.get(f"/v1/orgs/{world.fund}")
        r = await orgs.delete(f"/v1/orgs/{world.fund}", headers={**as_coordinator(), "If-Match": r.headers["ETag"]})
        assert r.status_code == 200, r.text
        problem(await api.get("/api/v1/regions", headers=bearer(key)), 401)


class TestKeyCache:
    def test_forgets_a_verdict_after_its_time(self, monkeypatch):
        now = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: now[0])
        cache = KeyCache(30)
        key = ApiKeyRead(id=1, name="k", org_id=2, scopes=["read"], prefix="abcdefgh", created_at="2026-01-01T00:00Z",
                         last_used_at=None, revoked_at=None)
        cache.put("ashyq_abcdefgh_secret", key)
        assert cache.get("ashyq_abcdefgh_secret") == (True, key)
        now[0] += 29.9
        assert cache.get("ashyq_abcdefgh_secret") == (True, key)
        now[0] += 0.2
        assert cache.get("ashyq_abcdefgh_secret") == (False, None)

    def test_keeps_only_hashes_of_keys(self):
        cache = KeyCache(30)
        cache.put("ashyq_abcdefgh_secret", None)
        assert cache.get("ashyq_abcdefgh_secret") == (True, None)
        assert "ashyq_abcdefgh_secret" not in repr(cache.__dict__)

    def test_zero_time_keeps_nothing(self):
        cache = KeyCache(0)
        cache.put("ashyq_abcdefgh_secret", None)
        assert cache.get("ashyq_abcdefgh_secret") == (False, None)


# --- the OpenAPI document and the docs page ------------------------------------------------------

class TestDocumentation:
    async def test_openapi_declares_both_security_schemes_on_every_operation(self, api):
        document = (await api.get("/api/v1/openapi.json")).json()
        schemes = document["components"]["securitySchemes"]
        assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
        assert schemes["ApiKeyHeader"] == {**schemes["ApiKeyHeader"], "type": "apiKey", "in": "header",
                                           "name": "X-API-Key"}
        for path, item in document["paths"].items():
            for method, op in item.items():
                names = [next(iter(requirement)) for requirement in op["security"]]
                assert names == ["BearerAuth", "ApiKeyHeader"], (method, path)
                assert op["x-required-scopes"] in (["read"], ["answer"], ["webhooks"]), (method, path)
                for status, response in op["responses"].items():
                    if int(status) >= 400:
                        assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)

    async def test_openapi_names_the_api_prefix_as_its_server(self, api):
        document = (await api.get("/api/v1/openapi.json")).json()
        assert document["servers"][0]["url"] == "/api"
        assert "/v1/recommendations/{recommendation_id}/responses" in document["paths"]

    async def test_docs_page_lists_the_operations_without_inline_script(self, api):
        r = await api.get("/api/docs", headers={"Accept-Language": "kk"})
        assert r.status_code == 200
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "/api/v1/recommendations/{recommendation_id}/responses" in r.text
        assert 'href="/api/v1/openapi.json"' in r.text
        assert "<script>" not in r.text and "cdn" not in r.text.lower()
        assert (await api.get("/api/", follow_redirects=False)).headers["location"] == "/api/docs"

    async def test_unknown_api_address_is_a_problem_not_a_page(self, api):
        problem(await api.get("/api/v1/nothing-here"), 404)

    async def test_a_bug_is_a_500_problem_without_a_trace(self, api, orgs, world, monkeypatch):
        key = bearer(await new_key(orgs, world.akimat, ["read"]))

        async def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("a bug with a secret detail")

        monkeypatch.setattr(Api, "get", broken)
        r = await api.get("/api/v1/regions", headers=key)
        body = problem(r, 500)
        assert "secret detail" not in r.text and body["type"].endswith("/internal")


# --- reads -------------------------------------------------------------------------------------------

@pytest.fixture
async def reader(orgs: httpx.AsyncClient, world: World) -> dict[str, str]:
    return bearer(await new_key(orgs, world.vktu, ["read"], "ИС ВКТУ"))


class TestRegistryReads:
    async def test_organizations_with_search_and_filters(self, api, world, reader):
        r = await api.get("/api/v1/organizations", params={"q": "восточно-казахстанской", "kind": "state_body"},
                          headers=reader)
        assert r.status_code == 200, r.text
        assert [o["id"] for o in r.json()["items"]] == [world.akimat]
        page = (await api.get("/api/v1/organizations", params={"limit": 2}, headers=reader)).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (await api.get("/api/v1/organizations", params={"limit": 200, "cursor": page["next_cursor"]},
                              headers=reader)).json()
        assert not {o["id"] for o in page["items"]} & {o["id"] for o in rest["items"]}
        problem(await api.get("/api/v1/organizations", params={"cursor": "garbage"}, headers=reader), 422)

    async def test_one_organization_in_the_language_asked_with_its_etag(self, api, world, reader):
        r = await api.get(f"/api/v1/organizations/{world.akimat}", headers={**reader, "Accept-Language": "kk"})
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Шығыс Қазақстан облысының әкімдігі"
        assert r.headers["etag"]
        problem(await api.get("/api/v1/organizations/999999", headers=reader), 404)
        problem(await api.get("/api/v1/organizations/0", headers=reader), 422)

    async def test_members_and_council_composition(self, api, world, reader):
        members = (await api.get(f"/api/v1/organizations/{world.council}/members", headers=reader)).json()
        assert [m["person_name"] for m in members["current"]] == ["Нургазиева Бану"]
        check = (await api.get(f"/api/v1/organizations/{world.council}/composition", headers=reader)).json()
        assert check["council_id"] == world.council and check["member_count"] == 1
        checks = (await api.get("/api/v1/public-councils/composition", headers=reader)).json()
        assert [c["council_id"] for c in checks["items"]] == [world.council]
        problem(await api.get(f"/api/v1/organizations/{world.akimat}/composition", headers=reader), 422)

    async def test_exports_are_relayed(self, api, reader):
        csv = await api.get("/api/v1/exports/organizations.csv", params={"kind": "state_body"}, headers=reader)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "Акимат Восточно-Казахстанской области" in csv.text
        popolo = await api.get("/api/v1/exports/popolo.json", headers=reader)
        assert popolo.status_code == 200 and popolo.json()["organizations"]


class TestResultReads:
    async def test_sessions_are_public_only(self, api, dialogue, world, reader):
        draft = await create_session(dialogue, "Черновик совещания")
        listed = (await api.get("/api/v1/sessions", headers=reader)).json()["items"]
        assert [s["id"] for s in listed] == [world.session["id"]]
        problem(await api.get(f"/api/v1/sessions/{draft['id']}", headers=reader), 404)
        problem(await api.get("/api/v1/sessions", params={"status": "draft"}, headers=reader), 422)

    async def test_one_session_with_agenda_attendance_and_protocol(self, api, world, reader):
        r = await api.get(f"/api/v1/sessions/{world.session['id']}", headers=reader)
        assert r.status_code == 200, r.text
        detail = r.json()
        assert detail["session"]["status"] == "concluded" and r.headers["etag"]
        assert detail["agenda"][0]["title"] == "Модель Ashyq"
        assert detail["attendance"]["attended"]["state"] == 35
        protocol = (await api.get(f"/api/v1/sessions/{world.session['id']}/protocol", headers=reader)).json()
        assert protocol["status"] == "published" and protocol["number"] == "1"
        versions = (await api.get(f"/api/v1/sessions/{world.session['id']}/protocol/versions", headers=reader)).json()
        assert [v["version"] for v in versions] == [1]

    async def test_recommendations_overdue_first_and_filters(self, api, world, reader):
        items = (await api.get("/api/v1/recommendations", headers=reader)).json()["items"]
        assert [r["id"] for r in items] == [world.overdue["id"], world.answered["id"]]
        assert items[0]["is_overdue"]
        mine = (await api.get("/api/v1/recommendations", params={"addressee_id": world.akimat},
                              headers=reader)).json()["items"]
        assert [r["id"] for r in mine] == [world.answered["id"]]
        overdue = (await api.get("/api/v1/recommendations", params={"overdue": "true"}, headers=reader)).json()
        assert [r["id"] for r in overdue["items"]] == [world.overdue["id"]]

    async def test_one_recommendation_with_answers_and_escalation_chain(self, api, dialogue, world, reader):
        r = await dialogue.post(f"/v1/recommendations/{world.overdue['id']}/escalations", headers=as_coordinator(),
                                json={"addressee_ids": [world.ministry], "reason": "Вне компетенции"})
        assert r.status_code == 201, r.text
        escalated = r.json()["id"]
        full = (await api.get(f"/api/v1/recommendations/{escalated}", headers=reader)).json()
        assert full["escalation_chain"] == [world.overdue["id"], escalated]
        answered = await api.get(f"/api/v1/recommendations/{world.answered['id']}", headers=reader)
        assert answered.headers["etag"]
        assert [(x["org_id"], x["decision"]) for x in answered.json()["responses"]] == [(world.akimat, "accepted")]

    async def test_no_personal_contacts_in_any_read(self, api, world, reader):
        paths = [
            "/api/v1/regions", "/api/v1/organizations?limit=200", f"/api/v1/organizations/{world.council}",
            f"/api/v1/organizations/{world.council}/members", f"/api/v1/organizations/{world.xss_org}/members",
            f"/api/v1/organizations/{world.council}/composition", "/api/v1/public-councils/composition",
            "/api/v1/sessions", f"/api/v1/sessions/{world.session['id']}",
            f"/api/v1/sessions/{world.session['id']}/protocol",
            f"/api/v1/sessions/{world.session['id']}/protocol/versions", "/api/v1/recommendations",
            f"/api/v1/recommendations/{world.answered['id']}", "/api/v1/exports/organizations.csv",
            "/api/v1/exports/popolo.json",
        ]
        for path in paths:
            r = await api.get(path, headers=reader)
            assert r.status_code == 200, (path, r.text)
            for secret in (PERSON_EMAIL, PERSON_PHONE, PERSON_IIN):
                assert secret not in r.text, (path, secret)

    async def test_session_reads_say_the_dialogue_service_is_down_and_the_registry_still_answers(
            self, api_without_dialogue, orgs, world):
        key = bearer(await new_key(orgs, world.akimat, ["read"]))
        r = await api_without_dialogue.get("/api/v1/sessions", headers=key)
        body = problem(r, 503)
        assert body["service"] == "dialogue" and r.headers["retry-after"]
        assert (await api_without_dialogue.get("/api/v1/organizations", headers=key)).status_code == 200


# --- answers ----------------------------------------------------------------------------------------

@pytest.fixture
async def akimat_key(orgs: httpx.AsyncClient, world: World) -> dict[str, str]:
    return bearer(await new_key(orgs, world.akimat, ["read", "answer"]))


async def responses_of(dialogue: httpx.AsyncClient, rec_id: int) -> list[dict[str, Any]]:
    r = await dialogue.get(f"/v1/recommendations/{rec_id}", headers=as_coordinator())
    assert r.status_code == 200, r.text
    responses: list[dict[str, Any]] = r.json()["responses"]
    return responses


class TestAnswers:
    async def test_answer_and_progress_for_the_own_body_reach_the_dialogue_service(self, api, dialogue, world,
                                                                                   akimat_key):
        rec = await sent_recommendation(dialogue, [world.akimat], text="Открыть центр поддержки НПО")
        r = await api.post(f"/api/v1/recommendations/{rec['id']}/responses", headers=akimat_key,
                           json={"org_id": world.akimat, "decision": "partially_accepted",
                                 "reasons": "Центр откроется в 2027 году"})
        assert r.status_code == 201, r.text
        assert r.headers["location"] == f"/api/v1/recommendations/{rec['id']}"
        assert r.json()["decision"] == "partially_accepted"
        stored = await responses_of(dialogue, rec["id"])
        assert [(x["org_id"], x["decision"], x["reasons"]) for x in stored] == [
            (world.akimat, "partially_accepted", "Центр откроется в 2027 году")]
        r = await api.post(f"/api/v1/recommendations/{rec['id']}/progress", headers=akimat_key,
                           json={"org_id": world.akimat, "percent": 40, "note": "Помещение выделено",
                                 "evidence_urls": ["https://vko.gov.kz/news/1"]})
        assert r.status_code == 201, r.text
        public = (await api.get(f"/api/v1/recommendations/{rec['id']}", headers=akimat_key)).json()
        assert public["status"] == "in_progress" and public["progress_percent"] == 40

    async def test_another_bodys_recommendation_is_refused_and_nothing_is_written(self, api, dialogue, world,
                                                                                  akimat_key):
        body = problem(await api.post(f"/api/v1/recommendations/{world.overdue['id']}/responses", headers=akimat_key,
                                      json={"org_id": world.ministry, "decision": "accepted", "reasons": "Чужое"}),
                       403)
        assert body["type"].endswith("/not-your-body")
        problem(await api.post(f"/api/v1/recommendations/{world.overdue['id']}/progress", headers=akimat_key,
                               json={"org_id": world.ministry, "percent": 10, "note": "Чужое"}), 403)
        # Naming its own body on a recommendation not addressed to it is refused as well.
        problem(await api.post(f"/api/v1/recommendations/{world.overdue['id']}/responses", headers=akimat_key,
                               json={"org_id": world.akimat, "decision": "accepted", "reasons": "Чужое"}), 422)
        assert await responses_of(dialogue, world.overdue["id"]) == []
        rec = (await dialogue.get(f"/v1/recommendations/{world.overdue['id']}")).json()
        assert rec["status"] == "sent" and rec["addressees"][0]["decision"] is None

    async def test_retry_with_the_same_idempotency_key_makes_one_answer(self, api, dialogue, world, akimat_key):
        rec = await sent_recommendation(dialogue, [world.akimat])
        send = {"org_id": world.akimat, "decision": "accepted", "reasons": "Принято"}
        headers = {**akimat_key, "Idempotency-Key": "answer-2026-0001"}
        first = await api.post(f"/api/v1/recommendations/{rec['id']}/responses", headers=headers, json=send)
        again = await api.post(f"/api/v1/recommendations/{rec['id']}/responses", headers=headers, json=send)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
        assert len(await responses_of(dialogue, rec["id"])) == 1
        # Without the key, the second answer is a state conflict.
        problem(await api.post(f"/api/v1/recommendations/{rec['id']}/responses", headers=akimat_key, json=send), 409)

    async def test_invalid_answers_are_problems_naming_the_field(self, api, dialogue, world, akimat_key):
        rec = await sent_recommendation(dialogue, [world.akimat])
        path = f"/api/v1/recommendations/{rec['id']}/responses"
        body = problem(await api.post(path, headers=akimat_key, json={"org_id": world.akimat, "decision": "maybe",
                                                                      "reasons": "?"}), 422)
        assert [e["field"] for e in body["errors"]] == ["decision"]
        body = problem(await api.post(path, headers={**akimat_key, "Content-Type": "application/json"},
                                      content=json.dumps({"org_id": world.akimat, "decision": "accepted",
                                                          "reasons": "нуль\u0000"})), 422)
        assert [e["field"] for e in body["errors"]] == ["reasons"]
        problem(await api.post(path, headers={**akimat_key, "Idempotency-Key": "x" * 101},
                               json={"org_id": world.akimat, "decision": "accepted", "reasons": "Да"}), 422)
        problem(await api.post("/api/v1/recommendations/999999/responses", headers=akimat_key,
                               json={"org_id": world.akimat, "decision": "accepted", "reasons": "Да"}), 404)
        assert await responses_of(dialogue, rec["id"]) == []


# --- webhooks --------------------------------------------------------------------------------------

class TestWebhooks:
    async def test_subscriptions_belong_to_the_keys_organization(self, api, orgs, world):
        mine = bearer(await new_key(orgs, world.akimat, ["webhooks"]))
        theirs = bearer(await new_key(orgs, world.ministry, ["webhooks"], "ИС министерства"))
        r = await api.post("/api/v1/webhooks", headers=mine,
                           json={"url": PUBLIC_IP_URL, "event_types": ["recommendation.sent"]})
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["secret"].startswith("whsec_") and created["owner_org_id"] == world.akimat
        assert r.headers["cache-control"] == "no-store"
        path = f"/api/v1/webhooks/{created['id']}"
        assert [w["id"] for w in (await api.get("/api/v1/webhooks", headers=mine)).json()["items"]] == [created["id"]]
        assert (await api.get("/api/v1/webhooks", headers=theirs)).json()["items"] == []
        problem(await api.get(path, headers=theirs), 404)
        problem(await api.delete(path, headers={**theirs, "If-Match": "*"}), 404)
        problem(await api.get(f"{path}/deliveries", headers=theirs), 404)
        assert (await api.get(f"{path}/deliveries", headers=mine)).json()["items"] == []
        read = await api.get(path, headers=mine)
        problem(await api.delete(path, headers=mine), 428)
        assert (await api.delete(path, headers={**mine, "If-Match": read.headers["etag"]})).status_code == 204
        assert (await api.get("/api/v1/webhooks", headers=mine)).json()["items"] == []

    async def test_private_destinations_are_refused(self, api, orgs, world):
        mine = bearer(await new_key(orgs, world.akimat, ["webhooks"]))
        r = await api.post("/api/v1/webhooks", headers=mine,
                           json={"url": "http://127.0.0.1:8000/hook", "event_types": ["protocol.published"]})
        body = problem(r, 422)
        assert [e["field"] for e in body["errors"]] == ["url"]
