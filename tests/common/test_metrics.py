"""Prometheus /metrics: the text format, requests by route template, business gauges read from each database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from services.common.db import KAZAKHSTAN, today_kz
from services.common.settings import ServiceSettings
from services.contracts.auth import Role
from tests.conftest import TEST_SECRET, actor_headers, dialogue_settings
from tests.dialogue.helpers import (
    all_pages,
    answer,
    as_admin,
    create_recommendation,
    create_session,
    move_recommendation,
    ngo,
    sent_recommendation,
    state_body,
)
from tests.gateway.helpers import create_account, disable_account

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape, by name and sorted labels (the parser also proves the format is valid)."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def scrape(client: httpx.AsyncClient) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version="), r.headers["content-type"]
    return samples(r.text)


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def _client(app: Any, base_url: str, client: tuple[str, int] = ("127.0.0.1", 50000),
                  ) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=client), base_url=base_url) as http:
        yield http


@pytest.fixture
async def orgs_metrics(orgs: httpx.AsyncClient, orgs_database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another orgs app on the same (clean) database that reads its gauges afresh on every scrape."""
    from services.orgs.app import create_app
    from services.orgs.settings import OrgsSettings

    app = create_app(OrgsSettings(database_url=orgs_database_url, service_secret=TEST_SECRET, environment="test",
                                  metrics_cache_seconds=0))
    async for client in _client(app, "http://orgs"):
        yield client


@pytest.fixture
async def dialogue_metrics(dialogue: httpx.AsyncClient, dialogue_database_url: str,
                           orgs_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    from services.dialogue.app import create_app

    settings = dialogue_settings(dialogue_database_url).model_copy(update={"metrics_cache_seconds": 0})
    app = create_app(settings, orgs_transport=httpx.ASGITransport(app=orgs_app))
    async for client in _client(app, "http://dialogue"):
        yield client


class TestFormat:
    async def test_metrics_answer_in_the_prometheus_text_format(self, orgs: httpx.AsyncClient) -> None:
        await orgs.get("/v1/orgs")
        found = await scrape(orgs)
        assert value(found, "http_requests_total", handler="/v1/orgs", method="GET", status="200") >= 1
        assert ("http_request_duration_seconds_bucket",
                (("handler", "/v1/orgs"), ("le", "0.05"), ("method", "GET"))) in found

    async def test_openmetrics_is_served_when_asked_for(self, orgs: httpx.AsyncClient) -> None:
        r = await orgs.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
        assert r.headers["content-type"].startswith("application/openmetrics-text")
        assert r.text.rstrip().endswith("# EOF")

    async def test_requests_are_counted_by_route_template_never_by_raw_path(self, orgs: httpx.AsyncClient) -> None:
        assert (await orgs.get("/v1/orgs/987654")).status_code == 404
        assert (await orgs.get("/no-such-page-4242")).status_code == 404
        r = await orgs.get("/metrics")
        found = samples(r.text)
        assert value(found, "http_requests_total", handler="/v1/orgs/{org_id}", method="GET", status="404") >= 1
        # Label values only: a sample's value (a byte count, a timestamp) may hold any digits.
        labels = " ".join(v for _, pairs in found for _, v in pairs)
        assert "987654" not in labels and "no-such-page-4242" not in labels
        assert not [key for key in found if dict(key[1]).get("handler") == "/metrics"]

    @pytest.mark.parametrize(("address", "status"), [
        ("127.0.0.1", 200), ("10.89.0.7", 200), ("172.20.1.2", 200), ("192.168.1.5", 200), ("::1", 200),
        ("203.0.113.9", 404), ("8.8.8.8", 404), ("2001:db8::1", 404), ("testclient", 404),
    ])
    async def test_only_the_internal_network_may_read_them(self, orgs_app: Any, address: str, status: int) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=orgs_app, client=(address, 40000)),
                                     base_url="http://orgs") as client:
            r = await client.get("/metrics")
        assert r.status_code == status
        assert ("ashyq_" in r.text) is (status == 200)

    def test_the_allowed_networks_are_checked_at_start_up(self) -> None:
        assert ServiceSettings(metrics_allow_from=["10.20.0.0/16", "192.0.2.7"]).metrics_allow_from
        with pytest.raises(ValidationError, match="not an address or network"):
            ServiceSettings(metrics_allow_from=["the office"])


class TestOrgsGauges:
    async def test_organizations_by_kind_and_active_accounts(self, orgs: httpx.AsyncClient,
                                                             orgs_metrics: httpx.AsyncClient) -> None:
        empty = await scrape(orgs_metrics)
        assert value(empty, "ashyq_business_gauges_ok") == 1
        assert value(empty, "ashyq_organizations", kind="state_body") == 0
        assert value(empty, "ashyq_accounts_active") == 0

        await state_body(orgs, "Акимат Восточно-Казахстанской области")
        ministry = await state_body(orgs, "Министерство информации и общественного развития", level="republican",
                                    region_code=None)
        await ngo(orgs, "Центр поддержки гражданских инициатив")
        archived = await ngo(orgs, "Закрытый фонд", kind="foundation")
        r = await orgs.get(f"/v1/orgs/{archived}")
        assert (await orgs.delete(f"/v1/orgs/{archived}", headers={
            **actor_headers(Role.coordinator), "If-Match": r.headers["ETag"]})).status_code in (200, 204)
        await create_account(orgs, "aigerim", "Parol-2026-uzyn", org_ids=[ministry])
        await create_account(orgs, "daniyar", "Parol-2026-uzyn")
        await disable_account(orgs, await create_account(orgs, "ketken", "Parol-2026-uzyn"))

        found = await scrape(orgs_metrics)
        assert value(found, "ashyq_organizations", kind="state_body") == 2
        assert value(found, "ashyq_organizations", kind="ngo") == 1
        assert value(found, "ashyq_organizations", kind="foundation") == 0  # archived
        assert value(found, "ashyq_organizations", kind="party") == 0  # every kind is present
        assert value(found, "ashyq_accounts_active") == 2

    async def test_gauges_are_read_at_most_once_per_cache_period(self, orgs: httpx.AsyncClient,
                                                                 orgs_app: Any) -> None:
        assert orgs_app.state.settings.metrics_cache_seconds == 5  # the default of the session's app
        first = await scrape(orgs)
        await state_body(orgs, "Акимат города Шымкент", region_code="790000000")
        again = await scrape(orgs)
        assert value(again, "ashyq_organizations", kind="state_body") == value(
            first, "ashyq_organizations", kind="state_body")


class TestDialogueGauges:
    async def test_recommendations_sessions_today_and_outbox(self, orgs: httpx.AsyncClient,
                                                             dialogue: httpx.AsyncClient,
                                                             dialogue_metrics: httpx.AsyncClient) -> None:
        empty = await scrape(dialogue_metrics)
        for name in ("ashyq_recommendations_open", "ashyq_recommendations_overdue", "ashyq_sessions_today",
                     "ashyq_outbox_backlog", "ashyq_outbox_oldest_pending_seconds"):
            assert value(empty, name) == 0, name

        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        overdue = await sent_recommendation(dialogue, [akimat], text="Просрочено", response_due_on=_day(-5))
        await sent_recommendation(dialogue, [akimat], text="Срок впереди", response_due_on=_day(10))
        answered = await sent_recommendation(dialogue, [akimat], text="Отвечено", response_due_on=_day(-10))
        assert (await answer(dialogue, answered["id"], akimat, "accepted")).status_code == 201
        await create_recommendation(dialogue, [akimat], text="Черновик")
        adopted = await create_recommendation(dialogue, [akimat], text="Принято")
        await move_recommendation(dialogue, adopted["id"], "adopted")

        midnight = datetime(*today_kz().timetuple()[:3], tzinfo=KAZAKHSTAN)
        await create_session(dialogue, "Сегодня утром", status="scheduled",
                             starts_at=(midnight + timedelta(minutes=1)).isoformat())
        await create_session(dialogue, "Сегодня, отменено", status="cancelled",
                             starts_at=(midnight + timedelta(hours=10)).isoformat())
        await create_session(dialogue, "Сегодня, черновик", starts_at=(midnight + timedelta(hours=11)).isoformat())
        await create_session(dialogue, "Вчера поздно", status="scheduled",
                             starts_at=(midnight - timedelta(minutes=1)).isoformat())
        await create_session(dialogue, "Завтра", status="scheduled",
                             starts_at=(midnight + timedelta(days=1)).isoformat())

        pending = await all_pages(dialogue, "/v1/events", headers=as_admin(), pending="true")
        found = await scrape(dialogue_metrics)
        assert value(found, "ashyq_business_gauges_ok") == 1
        assert value(found, "ashyq_recommendations", status="sent") == 2
        assert value(found, "ashyq_recommendations", status="answered") == 1
        assert value(found, "ashyq_recommendations", status="adopted") == 1
        assert value(found, "ashyq_recommendations", status="draft") == 1
        assert value(found, "ashyq_recommendations", status="implemented") == 0
        assert value(found, "ashyq_recommendations_open") == 3
        assert value(found, "ashyq_recommendations_overdue") == 1
        assert value(found, "ashyq_sessions_today") == 1
        assert len(pending) > 0 and value(found, "ashyq_outbox_backlog") == len(pending)
        assert value(found, "ashyq_outbox_oldest_pending_seconds") >= 0
        assert overdue["is_overdue"] is True  # the service's own rule agrees with the gauge

    async def test_a_database_that_cannot_be_read_leaves_the_gauges_out(self) -> None:
        from services.dialogue.app import create_app

        settings = dialogue_settings("postgresql://postgres@127.0.0.1:9/unreachable")
        app = create_app(settings.model_copy(update={"metrics_cache_seconds": 0}))
        async for client in _client(app, "http://dialogue"):
            found = await scrape(client)
        assert value(found, "ashyq_business_gauges_ok") == 0
        assert not [name for name, _ in found if name.startswith("ashyq_recommendations")]


class TestGatewayMetrics:
    async def test_upstream_outages_are_counted(self, gateway_without_dialogue: httpx.AsyncClient) -> None:
        before = await scrape(gateway_without_dialogue)
        assert not [key for key in before if key[0] == "ashyq_upstream_errors_total"]
        page = await gateway_without_dialogue.get("/")
        assert page.status_code in (200, 503)
        found = await scrape(gateway_without_dialogue)
        assert value(found, "ashyq_upstream_errors_total", upstream="dialogue", reason="ConnectError") >= 1
        assert value(found, "http_requests_total", handler="/", method="GET", status=str(page.status_code)) == 1

    async def test_the_public_site_does_not_show_them(self, gateway: httpx.AsyncClient) -> None:
        app = gateway.app  # type: ignore[attr-defined]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("198.51.100.20", 443)),
                                     base_url="http://testserver") as visitor:
            r = await visitor.get("/metrics")
        assert r.status_code == 404 and "http_requests_total" not in r.text

    async def test_open_live_streams_are_a_gauge(self, gateway: httpx.AsyncClient) -> None:
        from services.gateway.live import hub_of

        hub = hub_of(gateway.app)  # type: ignore[attr-defined]
        assert value(await scrape(gateway), "ashyq_live_streams") == 0
        with hub.watch(1), hub.watch(2):
            assert value(await scrape(gateway), "ashyq_live_streams") == 2
        assert value(await scrape(gateway), "ashyq_live_streams") == 0

    async def test_pages_are_counted_by_route_template(self, gateway: httpx.AsyncClient) -> None:
        await gateway.get("/orgs/424242")
        r = await gateway.get("/metrics")
        assert 'handler="/orgs/{org_id}"' in r.text and "424242" not in r.text


def _day(days: int) -> str:
    return (today_kz() + timedelta(days=days)).isoformat()
