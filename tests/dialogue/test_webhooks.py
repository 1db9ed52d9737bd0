"""Webhooks: subscriptions only to public addresses (unless an admin allows one), Standard Webhooks signatures
checked by a real receiver on loopback, retries with the same webhook-id, dead letters and replays."""

import asyncio
import json

import pytest
from standardwebhooks.webhooks import Webhook

from services.contracts.auth import Role
from tests.conftest import actor_headers
from tests.dialogue.helpers import (
    BEYOND_ID_RANGE,
    as_admin,
    as_coordinator,
    problem,
    sent_recommendation,
    state_body,
)
from tests.dialogue.outbound import webhook_receiver, workers


@pytest.fixture
def allow_loopback(dialogue_app, monkeypatch):
    """The admin's allow-list (DIALOGUE_WEBHOOK_ALLOWED_HOSTS) lets this test's receiver on 127.0.0.1 in."""
    monkeypatch.setattr(dialogue_app.state.settings, "webhook_allowed_hosts", ["127.0.0.1"])


async def subscribe(dialogue, url: str, *types: str, headers=None) -> dict:
    r = await dialogue.post("/v1/webhooks", json={"url": url, "event_types": list(types) or ["recommendation.sent"],
                                                  "owner_org_id": 7, "owner_api_key_id": 11},
                            headers=headers or as_admin())
    assert r.status_code == 201, r.text
    created: dict = r.json()
    return created


async def until_settled(pool, dialogue, webhook_id: int, rounds: int = 40) -> list[dict]:
    """Run the workers until no delivery of the subscription is pending (retries are 50 ms apart here)."""
    deliveries: list[dict] = []
    for _ in range(rounds):
        await asyncio.gather(*(w.run_once() for w in pool))
        deliveries = (await dialogue.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=as_admin())).json()["items"]
        if deliveries and all(d["status"] != "pending" for d in deliveries):
            return deliveries
        await asyncio.sleep(0.06)
    return deliveries


class TestSubscriptions:
    @pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://192.168.0.10/",
                                     "http://169.254.169.254/latest/meta-data", "http://[::1]/hook",
                                     "http://localhost/hook", "http://100.64.0.1/"])
    async def test_private_and_loopback_addresses_are_refused(self, dialogue, url):
        body = problem(await dialogue.post("/v1/webhooks", json={"url": url, "event_types": ["recommendation.sent"]},
                                           headers=as_admin()), 422)
        assert [e["field"] for e in body["errors"]] == ["url"]

    async def test_an_allowed_address_is_accepted_and_the_secret_shown_once(self, dialogue, allow_loopback):
        created = await subscribe(dialogue, "http://127.0.0.1:8080/hook", "recommendation.sent", "session.cancelled")
        assert created["secret"].startswith("whsec_")
        read = await dialogue.get(f"/v1/webhooks/{created['id']}", headers=as_admin())
        assert "secret" not in read.json() and created["secret"] not in read.text
        listed = (await dialogue.get("/v1/webhooks", params={"owner_api_key_id": 11}, headers=as_admin())).json()
        assert [w["id"] for w in listed["items"]] == [created["id"]]
        assert created["secret"] not in json.dumps(listed)

    async def test_only_admins_and_services_manage_webhooks(self, dialogue, allow_loopback):
        problem(await dialogue.get("/v1/webhooks"), 401)
        problem(await dialogue.get("/v1/webhooks", headers=as_coordinator()), 403)
        service = actor_headers(Role.service)
        problem(await dialogue.post("/v1/webhooks", json={"url": "http://127.0.0.1/h", "event_types": [
            "recommendation.sent"]}, headers=service), 422)  # a service names the owning API key
        await subscribe(dialogue, "http://127.0.0.1/h", headers=service)

    async def test_unknown_event_types_are_refused(self, dialogue, allow_loopback):
        body = problem(await dialogue.post("/v1/webhooks", json={"url": "http://127.0.0.1/h",
                                                                 "event_types": ["everything"]},
                                           headers=as_admin()), 422)
        assert body["errors"][0]["field"].startswith("event_types")

    @pytest.mark.parametrize("owner", ["owner_org_id", "owner_api_key_id"])
    async def test_an_owner_id_beyond_the_id_range_is_a_validation_error(self, dialogue, allow_loopback, owner):
        # Found by the contract fuzzer: the id went to a 32-bit column and PostgreSQL failed the insert (500).
        body = problem(await dialogue.post("/v1/webhooks", headers=as_admin(), json={
            "url": "http://127.0.0.1/h", "event_types": ["recommendation.sent"], owner: BEYOND_ID_RANGE}), 422)
        assert [e["field"] for e in body["errors"]] == [owner]
        assert (await dialogue.get("/v1/webhooks", headers=as_admin())).json()["items"] == []

    async def test_the_role_is_checked_before_the_lookup(self, dialogue):
        """A caller without the role cannot tell which subscription ids exist: 401/403 before any 404."""
        problem(await dialogue.get("/v1/webhooks/999"), 401)
        problem(await dialogue.delete("/v1/webhooks/999", headers=as_coordinator()), 403)
        problem(await dialogue.get("/v1/webhooks/999/deliveries", headers=as_coordinator()), 403)
        problem(await dialogue.get("/v1/webhooks/999", headers=as_admin()), 404)

    async def test_delete_needs_if_match_and_keeps_the_log(self, dialogue, allow_loopback):
        created = await subscribe(dialogue, "http://127.0.0.1/h")
        problem(await dialogue.delete(f"/v1/webhooks/{created['id']}", headers=as_admin()), 428)
        etag = (await dialogue.get(f"/v1/webhooks/{created['id']}", headers=as_admin())).headers["ETag"]
        r = await dialogue.delete(f"/v1/webhooks/{created['id']}", headers={**as_admin(), "If-Match": etag})
        assert r.status_code == 204
        gone = (await dialogue.get(f"/v1/webhooks/{created['id']}", headers=as_admin())).json()
        assert gone["is_active"] is False and gone["deleted_at"]
        assert (await dialogue.get("/v1/webhooks", headers=as_admin())).json()["items"] == []


class TestDelivery:
    async def test_the_receiver_verifies_the_signature(self, dialogue, orgs, orgs_app, dialogue_database_url,
                                                       allow_loopback):
        body = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        with webhook_receiver() as receiver:
            created = await subscribe(dialogue, receiver.url, "recommendation.sent")
            receiver.secret = created["secret"]
            rec = await sent_recommendation(dialogue, [body])
            async with workers(dialogue_database_url, orgs_app) as pool:
                (delivery,) = await until_settled(pool, dialogue, created["id"])
        (request,) = receiver.requests
        assert request["verified"] is True
        assert delivery["status"] == "succeeded" and delivery["message_id"] == request["headers"]["webhook-id"]
        payload = Webhook(created["secret"]).verify(request["body"], request["headers"])
        assert payload["type"] == "recommendation.sent"
        assert payload["data"]["recommendation_id"] == rec["id"] and payload["data"]["addressee_ids"] == [body]
        tampered = request["body"].replace(b'"recommendation.sent"', b'"recommendation.closed"')
        with pytest.raises(Exception, match="signature"):
            Webhook(created["secret"]).verify(tampered, request["headers"])

    async def test_a_receiver_that_fails_three_times_gets_the_event_when_back_with_the_same_id(
            self, dialogue, orgs, orgs_app, dialogue_database_url, allow_loopback):
        body = await state_body(orgs, "Акимат города Астаны")
        with webhook_receiver() as receiver:
            created = await subscribe(dialogue, receiver.url, "recommendation.sent")
            receiver.secret, receiver.failures = created["secret"], 3
            await sent_recommendation(dialogue, [body])
            async with workers(dialogue_database_url, orgs_app, count=2) as pool:
                (delivery,) = await until_settled(pool, dialogue, created["id"])
        assert [r["answered"] for r in receiver.requests] == [500, 500, 500, 200]
        assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
        assert all(r["verified"] for r in receiver.requests)
        assert delivery["status"] == "succeeded" and delivery["attempts"] == 4
        assert [entry["status_code"] for entry in delivery["log"]] == [500, 500, 500, 200]

    async def test_dead_after_max_attempts_then_replayed_by_an_admin(self, dialogue, orgs, orgs_app,
                                                                    dialogue_database_url, allow_loopback):
        body = await state_body(orgs, "Министерство внутренних дел", level="republican", region_code=None)
        with webhook_receiver() as receiver:
            created = await subscribe(dialogue, receiver.url, "recommendation.sent")
            receiver.secret, receiver.failures = created["secret"], 3
            await sent_recommendation(dialogue, [body])
            async with workers(dialogue_database_url, orgs_app, webhook_max_attempts=3) as pool:
                (dead,) = await until_settled(pool, dialogue, created["id"])
                assert dead["status"] == "dead" and dead["attempts"] == 3
                problem(await dialogue.post(f"/v1/webhook-deliveries/{dead['id']}/replay",
                                            headers=as_coordinator()), 403)
                replayed = await dialogue.post(f"/v1/webhook-deliveries/{dead['id']}/replay", headers=as_admin())
                assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
                (delivered,) = await until_settled(pool, dialogue, created["id"])
        assert delivered["status"] == "succeeded"
        assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
        assert [r["answered"] for r in receiver.requests] == [500, 500, 500, 200]

    async def test_nothing_is_sent_to_an_address_no_longer_allowed(self, dialogue, orgs, orgs_app,
                                                                    dialogue_database_url, allow_loopback):
        body = await state_body(orgs, "Акимат Туркестанской области")
        with webhook_receiver() as receiver:
            created = await subscribe(dialogue, receiver.url, "recommendation.sent")
            await sent_recommendation(dialogue, [body])
            # The worker's own settings do not allow loopback: it checks the address again before sending.
            async with workers(dialogue_database_url, orgs_app, webhook_allowed_hosts=[],
                               webhook_max_attempts=2) as pool:
                (delivery,) = await until_settled(pool, dialogue, created["id"])
        assert receiver.requests == []
        assert delivery["status"] == "dead" and delivery["last_error"].startswith("refused:")

    async def test_unsubscribed_event_types_are_not_delivered(self, dialogue, orgs, orgs_app, dialogue_database_url,
                                                              allow_loopback):
        body = await state_body(orgs, "Акимат Павлодарской области")
        with webhook_receiver() as receiver:
            created = await subscribe(dialogue, receiver.url, "session.cancelled")
            await sent_recommendation(dialogue, [body])
            async with workers(dialogue_database_url, orgs_app) as pool:
                await asyncio.gather(*(w.run_once() for w in pool))
        assert receiver.requests == []
        assert (await dialogue.get(f"/v1/webhooks/{created['id']}/deliveries", headers=as_admin())
                ).json()["items"] == []
