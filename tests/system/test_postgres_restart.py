"""PostgreSQL restarted, then stopped and started again, under a steady load of reads and writes.

The services are not restarted: while the database is away they answer 503 problems (the gateway a 503
page) and /readyz says unready — never a 500 —, and once it is back every kind of request succeeds again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.contracts.auth import Role
from tests.system.conftest import System
from tests.system.steps import PROBLEM_JSON, unique

WAIT_SECONDS = 45


@dataclass
class Outcome:
    at: float
    status: int | None  # None: the service could not be reached at all
    problem: bool
    detail: str = ""


@dataclass
class Load:
    """Clients that each repeat one kind of request until told to stop, recording every outcome."""

    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, name: str, send: Callable[[int], Coroutine[Any, Any, httpx.Response]]) -> None:
        record = self.outcomes.setdefault(name, [])
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                r = await send(n)
            except httpx.HTTPError as exc:
                record.append(Outcome(time.monotonic(), None, False, type(exc).__name__))
            else:
                problem = r.headers.get("content-type", "").startswith(PROBLEM_JSON)
                record.append(Outcome(time.monotonic(), r.status_code, problem, r.text[:300]))
            await asyncio.sleep(0.05)

    def since(self, moment: float) -> dict[str, list[Outcome]]:
        return {name: [o for o in record if o.at >= moment] for name, record in self.outcomes.items()}

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            broken = {name: [(o.status, o.detail) for o in record if o.status is not None and o.status >= 500
                             and o.status != 503][:2] for name, record in self.outcomes.items()}
            if any(broken.values()):  # no need to wait: an outage must never be a 500
                raise AssertionError(f"answers other than 503 while waiting until {what}: {broken}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {WAIT_SECONDS} s: {what}; outcomes: {self.summary()}")
            await asyncio.sleep(0.1)

    def summary(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for name, record in self.outcomes.items():
            for o in record:
                counts.setdefault(name, {}).setdefault(str(o.status), 0)
                counts[name][str(o.status)] += 1
        return counts


class TestPostgresRestart:
    async def test_services_recover_without_being_restarted(self, system: System) -> None:
        pids = {name: process.pid for name, process in system.services.items()}
        coordinator = system.headers(Role.coordinator)
        tag = unique("restart")
        load = Load()
        async with (httpx.AsyncClient(base_url=system.orgs.url, headers=coordinator, timeout=10) as orgs,
                    httpx.AsyncClient(base_url=system.dialogue.url, headers=coordinator, timeout=10) as dialogue,
                    httpx.AsyncClient(base_url=system.gateway.url, timeout=15) as gateway,
                    httpx.AsyncClient(timeout=5) as probe):
            kinds: dict[str, Callable[[int], Coroutine[Any, Any, httpx.Response]]] = {
                "orgs read": lambda n: orgs.get("/v1/orgs", params={"limit": 5}),
                "orgs write": lambda n: orgs.post("/v1/orgs", headers={"Idempotency-Key": f"{tag}-org-{n}"},
                                                  json={"kind": "ngo", "level": "regional", "region_code": "630000000",
                                                        "names": {"ru": f"{tag} фонд {n}"}}),
                "dialogue read": lambda n: dialogue.get("/v1/recommendations", params={"limit": 5}),
                "dialogue write": lambda n: dialogue.post(
                    "/v1/sessions", headers={"Idempotency-Key": f"{tag}-session-{n}"},
                    json={"kind": "round_table", "format": "online", "online_url": "https://meet.example.kz/r",
                          "title": {"ru": f"{tag} встреча {n}"}, "starts_at": "2099-03-01T10:00:00+05:00"}),
                "gateway page": lambda n: gateway.get("/sessions"),
                "orgs readyz": lambda n: probe.get(system.orgs.url + "/readyz"),
                "dialogue readyz": lambda n: probe.get(system.dialogue.url + "/readyz"),
            }
            tasks = [asyncio.create_task(load.run(name, send)) for name, send in kinds.items()]
            try:
                def all_succeed_since(moment: float) -> bool:
                    return all(any(o.status is not None and o.status < 300 for o in record)
                               for record in load.since(moment).values()) and len(load.since(moment)) == len(kinds)

                await load.until(lambda: all_succeed_since(0), "every kind of request succeeds before the restart")

                # 1. pg_ctl restart -m fast while the load runs.
                await asyncio.to_thread(system.cluster.restart, "fast")
                restarted = time.monotonic()
                await load.until(lambda: all_succeed_since(restarted), "every kind succeeds after the restart")

                # 2. A longer outage, to watch the services say so: stop, then start again.
                await asyncio.to_thread(system.cluster.stop, "fast")
                stopped = time.monotonic()
                await load.until(lambda: all(any(o.status == 503 for o in load.since(stopped)[name])
                                             for name in kinds), "every kind of request answered 503")
                await asyncio.to_thread(system.cluster.start)
                started = time.monotonic()
                await load.until(lambda: all_succeed_since(started), "every kind succeeds once PostgreSQL is back")
                await asyncio.sleep(1)  # a little more load on the recovered system
            finally:
                load.stop.set()
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)

        outcomes = load.outcomes
        unreachable = {name: [o.detail for o in record if o.status is None] for name, record in outcomes.items()}
        assert not any(unreachable.values()), f"a service stopped answering: {unreachable}"
        failures = {name: [(o.status, o.detail) for o in record if o.status is not None and o.status >= 500
                           and o.status != 503] for name, record in outcomes.items()}
        assert not any(failures.values()), f"answers other than 503 during the outage: {failures}"
        for name, record in outcomes.items():
            if name != "gateway page" and not name.endswith("readyz"):
                unexplained = [o.detail for o in record if o.status == 503 and not o.problem]
                assert not unexplained, f"{name}: 503 without a problem body: {unexplained[:3]}"
        for name in kinds:
            after = load.since(started)[name]
            last = after[-1]
            assert last.status is not None and last.status < 300, f"{name} still failing: {last}"
        assert {name: process.pid for name, process in system.services.items()} == pids
        assert all(process.running() for process in system.services.values())
