"""SIGKILL of the dialogue service in the middle of a burst of writes, then a restart with the same command.

Every write that was acknowledged (2xx) must be there; nothing may be half-written (a recommendation without
its addressees or history, an outbox event without its participant, a replayable answer naming no record);
retrying what was not acknowledged with the same Idempotency-Key must give exactly one record per key.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.contracts.auth import Role
from tests.system.conftest import System
from tests.system.steps import create_org, unique

RECOMMENDATIONS = 120
PARTICIPANTS = 80
CLIENTS = 8
KILL_AFTER_ACKNOWLEDGED = 60


@dataclass
class Write:
    key: str
    path: str
    body: dict[str, Any]
    kind: str  # "recommendation" | "participant"
    outcome: str = "unsent"  # "acknowledged" | "failed" | "unsent"
    response: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def _people(system: System, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=system.orgs.url, headers=system.headers(Role.coordinator),
                                 timeout=20) as orgs:
        async def one(i: int) -> int:
            r = await orgs.post("/v1/people", json={"family_name": f"Участник{i:03d}", "given_name": "Айдана"})
            assert r.status_code == 201, r.text
            person_id: int = r.json()["id"]
            return person_id

        ids: list[int] = []
        for start in range(0, count, 20):
            ids += await asyncio.gather(*(one(i) for i in range(start, min(count, start + 20))))
        return ids


def _writes(tag: str, session_id: int, addressees: list[int], people: list[int]) -> list[Write]:
    writes = [Write(key=f"{tag}-rec-{i}", path="/v1/recommendations", kind="recommendation",
                    body={"text": f"{tag} рекомендация №{i}", "addressee_ids": addressees,
                          "response_due_on": "2099-06-30"})
              for i in range(RECOMMENDATIONS)]
    writes += [Write(key=f"{tag}-participant-{i}", path=f"/v1/sessions/{session_id}/participants",
                     kind="participant", body={"person_id": person_id, "sector": "civil_society"})
               for i, person_id in enumerate(people)]
    random.Random(tag).shuffle(writes)
    return writes


async def _burst(system: System, writes: list[Write], headers: dict[str, str]) -> None:
    """CLIENTS concurrent clients work through the writes; the service is SIGKILLed once enough are acknowledged."""
    queue: asyncio.Queue[Write] = asyncio.Queue()
    for write in writes:
        queue.put_nowait(write)
    acknowledged = asyncio.Event()
    counter = {"acknowledged": 0}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=system.dialogue.url, headers=headers,
                                     timeout=httpx.Timeout(10, connect=2)) as http:
            while not queue.empty():
                write = queue.get_nowait()
                try:
                    r = await http.post(write.path, json=write.body, headers={"Idempotency-Key": write.key})
                except httpx.HTTPError as exc:  # killed mid-request, or refused once it is gone
                    write.outcome = "failed"
                    write.errors.append(type(exc).__name__)
                    continue
                if r.status_code == 201:
                    write.outcome, write.response = "acknowledged", r.json()
                    counter["acknowledged"] += 1
                    if counter["acknowledged"] >= KILL_AFTER_ACKNOWLEDGED:
                        acknowledged.set()
                else:
                    write.outcome = "failed"
                    write.errors.append(f"HTTP {r.status_code}: {r.text[:200]}")

    async def killer() -> None:
        await asyncio.wait_for(acknowledged.wait(), timeout=60)
        system.dialogue.kill()

    await asyncio.wait_for(asyncio.gather(killer(), *(client() for _ in range(CLIENTS))), timeout=120)


class TestSigkillDuringWrites:
    async def test_acknowledged_writes_survive_and_retries_make_exactly_one_record(self, system: System) -> None:
        tag = unique("burst")
        akimat = create_org(system, f"Акимат {tag}")
        ministry = create_org(system, f"Министерство {tag}", level="republican", region_code=None)
        people = await _people(system, PARTICIPANTS)
        headers = system.headers(Role.coordinator)
        async with httpx.AsyncClient(base_url=system.dialogue.url, headers=headers, timeout=10) as http:
            r = await http.post("/v1/sessions", json={
                "kind": "civic_forum", "format": "offline", "venue": "Усть-Каменогорск", "title": {"ru": tag},
                "starts_at": "2099-05-20T10:00:00+05:00"})
            assert r.status_code == 201, r.text
            session_id = r.json()["id"]
            r = await http.post(f"/v1/sessions/{session_id}/transitions", json={"status": "scheduled"})
            assert r.status_code == 200, r.text
        writes = _writes(tag, session_id, [akimat, ministry], people)

        await _burst(system, writes, headers)
        assert not system.dialogue.running()
        acked = [w for w in writes if w.outcome == "acknowledged"]
        unacked = [w for w in writes if w.outcome != "acknowledged"]
        assert len(acked) >= KILL_AFTER_ACKNOWLEDGED and unacked, "the kill did not land in the middle of the burst"
        # Before the kill every request succeeded; after it, only the connection failed (never a 5xx answer).
        assert all(e.startswith(("Remote", "Read", "Connect", "Write")) for w in unacked for e in w.errors), \
            [w.errors for w in unacked if w.errors]

        system.restart("dialogue")  # the same command, the same port

        self._assert_acknowledged_present(system, acked, headers, session_id)
        self._assert_nothing_half_written(system)

        # Retry everything not acknowledged (and a few that were) with the same keys.
        retried = unacked + acked[:5]
        async with httpx.AsyncClient(base_url=system.dialogue.url, headers=headers, timeout=20) as http:
            gate = asyncio.Semaphore(CLIENTS)

            async def retry(write: Write) -> httpx.Response:
                async with gate:
                    return await http.post(write.path, json=write.body, headers={"Idempotency-Key": write.key})

            answers = await asyncio.gather(*(retry(w) for w in retried))
        for write, answer in zip(retried, answers, strict=True):
            assert answer.status_code == 201, (write.key, answer.text)
            if write.outcome == "acknowledged":
                assert answer.headers.get("idempotent-replayed") == "true"
                assert answer.json()["id"] == write.response["id"]
            write.outcome, write.response = "acknowledged", answer.json()

        self._assert_exactly_one_record_per_key(system, tag, writes, session_id)
        self._assert_nothing_half_written(system)

    @staticmethod
    def _assert_acknowledged_present(system: System, acked: list[Write], headers: dict[str, str],
                                     session_id: int) -> None:
        with httpx.Client(base_url=system.dialogue.url, headers=headers, timeout=10) as http:
            registered: dict[int, dict[str, Any]] = {}
            cursor = None
            for _ in range(100):
                r = http.get(f"/v1/sessions/{session_id}/participants",
                             params={"limit": 200, **({"cursor": cursor} if cursor else {})})
                assert r.status_code == 200, r.text
                registered |= {p["id"]: p for p in r.json()["items"]}
                if (cursor := r.json()["next_cursor"]) is None:
                    break
            for write in acked:
                if write.kind == "recommendation":
                    r = http.get(f"/v1/recommendations/{write.response['id']}")
                    assert r.status_code == 200, (write.key, r.text)
                    assert r.json()["text"] == write.body["text"]
                    assert sorted(a["org_id"] for a in r.json()["addressees"]) == sorted(write.body["addressee_ids"])
                else:
                    assert write.response["id"] in registered, write.key
                    assert registered[write.response["id"]]["person_id"] == write.body["person_id"]


    @staticmethod
    def _assert_nothing_half_written(system: System) -> None:
        with system.cluster.connect("dialogue") as db:
            lonely = db.execute("SELECT r.id FROM recommendation r WHERE NOT EXISTS (SELECT 1 FROM "
                                "recommendation_addressee a WHERE a.recommendation_id = r.id)").fetchall()
            assert lonely == [], f"recommendations without addressees: {lonely}"
            unrecorded = db.execute("SELECT r.id FROM recommendation r WHERE NOT EXISTS (SELECT 1 FROM "
                                    "recommendation_status_history h WHERE h.recommendation_id = r.id)").fetchall()
            assert unrecorded == [], f"recommendations without their history: {unrecorded}"
            orphans = db.execute(
                "SELECT e.id FROM outbox_event e WHERE e.type = 'session.participant_added' AND NOT EXISTS "
                "(SELECT 1 FROM participant p WHERE p.id = (e.payload->>'participant_id')::int)").fetchall()
            assert orphans == [], f"outbox events without their participant: {orphans}"
            unannounced = db.execute(
                "SELECT p.id FROM participant p JOIN dialogue_session s ON s.id = p.session_id "
                "WHERE s.status = 'scheduled' AND p.person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox_event e "
                "WHERE e.type = 'session.participant_added' AND (e.payload->>'participant_id')::int = p.id)").fetchall()
            assert unannounced == [], f"participants registered without their outbox event: {unannounced}"
            dangling = db.execute(
                "SELECT i.key FROM idempotency_record i WHERE i.key LIKE 'POST /v1/recommendations %' AND NOT EXISTS "
                "(SELECT 1 FROM recommendation r WHERE r.id = (i.body::json->>'id')::int)").fetchall()
            assert dangling == [], f"stored answers naming no recommendation: {dangling}"
            dangling = db.execute(
                "SELECT i.key FROM idempotency_record i WHERE i.key LIKE 'POST /v1/sessions/%/participants %' AND "
                "NOT EXISTS (SELECT 1 FROM participant p WHERE p.id = (i.body::json->>'id')::int)").fetchall()
            assert dangling == [], f"stored answers naming no participant: {dangling}"

    @staticmethod
    def _assert_exactly_one_record_per_key(system: System, tag: str, writes: list[Write], session_id: int) -> None:
        with system.cluster.connect("dialogue") as db:
            texts = dict(db.execute("SELECT text, count(*) FROM recommendation WHERE text LIKE %s GROUP BY text",
                                    (f"{tag} %",)).fetchall())
            ids = dict(db.execute("SELECT text, min(id) FROM recommendation WHERE text LIKE %s GROUP BY text",
                                  (f"{tag} %",)).fetchall())
            people = dict(db.execute("SELECT person_id, count(*) FROM participant WHERE session_id = %s "
                                     "GROUP BY person_id", (session_id,)).fetchall())
            participant_ids = dict(db.execute("SELECT person_id, id FROM participant WHERE session_id = %s",
                                              (session_id,)).fetchall())
        recommendations = [w for w in writes if w.kind == "recommendation"]
        participants = [w for w in writes if w.kind == "participant"]
        assert len(texts) == RECOMMENDATIONS and set(texts.values()) == {1}, \
            {text: n for text, n in texts.items() if n != 1} or f"{len(texts)} of {RECOMMENDATIONS} recorded"
        assert len(people) == PARTICIPANTS and set(people.values()) == {1}
        for write in recommendations:
            assert write.response["id"] == ids[write.body["text"]], write.key
        for write in participants:
            assert write.response["id"] == participant_ids[write.body["person_id"]], write.key
