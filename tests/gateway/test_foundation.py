"""The gateway's foundation: settings, catalogs, the typed upstream clients."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from pydantic import ValidationError

from services.common.settings import DEV_SECRET
from services.common.tokens import read_token
from services.contracts.orgs import OrgPage
from services.gateway.settings import DEV_SESSION_SECRET, GatewaySettings
from services.gateway.upstream import Caller, Upstream, UpstreamProblem, UpstreamUnavailable
from tests.conftest import TEST_SECRET

WEB = Path(__file__).resolve().parents[2] / "web"
KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("GATEWAY_ENVIRONMENT", "GATEWAY_SERVICE_SECRET", "GATEWAY_SESSION_SECRET"):
        monkeypatch.delenv(name, raising=False)


class TestSettings:
    def test_defaults_work_on_a_laptop(self):
        settings = GatewaySettings()
        assert settings.orgs_url == "http://127.0.0.1:8001"
        assert settings.dialogue_url == "http://127.0.0.1:8002"

    def test_reads_the_gateway_prefix(self, monkeypatch):
        monkeypatch.setenv("GATEWAY_ORGS_URL", "http://orgs:8001")
        assert GatewaySettings().orgs_url == "http://orgs:8001"

    def test_refuses_default_service_secret_in_production(self):
        with pytest.raises(ValidationError, match="service_secret"):
            GatewaySettings(environment="production", session_secret="a-real-session-secret-0123456789")

    def test_refuses_default_session_secret_in_production(self):
        with pytest.raises(ValidationError, match="session_secret"):
            GatewaySettings(environment="production", service_secret="a-real-service-secret-0123456789",
                            session_secret=DEV_SESSION_SECRET)

    def test_accepts_real_secrets_in_production(self):
        settings = GatewaySettings(environment="production", service_secret="a-real-service-secret-0123456789",
                                   session_secret="a-real-session-secret-0123456789")
        assert settings.secure_cookies
        assert settings.service_secret.get_secret_value() != DEV_SECRET


def catalog(language: str):
    with (WEB / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


class TestCatalogs:
    @pytest.mark.parametrize("language", ["ru", "kk"])
    def test_every_message_is_translated(self, language):
        untranslated = [m.id for m in catalog(language) if m.id and (
            not m.string or (isinstance(m.string, tuple) and not all(m.string)) or "fuzzy" in m.flags)]
        assert untranslated == []

    @pytest.mark.parametrize("language", ["ru", "kk", "en"])
    def test_placeholders_are_kept(self, language):
        for m in catalog(language):
            if not m.id or not m.string:
                continue
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            strings = [m.string] if isinstance(m.string, str) else list(m.string)
            wanted = set(PLACEHOLDER.findall(ids[-1])) - {""}
            for s in strings:
                assert set(PLACEHOLDER.findall(s)) - {""} <= wanted | {"num"}, (m.id, s)
                assert wanted - {"num"} <= set(PLACEHOLDER.findall(s)), (m.id, s)

    def test_kazakh_is_kazakh_not_russian(self):
        kk = {m.id: m.string for m in catalog("kk") if m.id}
        ru = {m.id: m.string for m in catalog("ru") if m.id}
        same = [i for i in kk if kk[i] == ru[i] and kk[i] not in ("Бизнес", "Онлайн", "Модератор", "Логин", "Сектор")
                and not isinstance(i, tuple)]
        assert len(same) <= 5, same
        with_letters = [s for s in kk.values() if isinstance(s, str) and KAZAKH_LETTERS & set(s)]
        assert len(with_letters) > len(kk) / 2

    def test_the_template_has_every_message_of_the_catalogs(self):
        with (WEB / "translations" / "messages.pot").open("rb") as handle:
            template = {m.id for m in read_po(handle) if m.id}
        for language in ("ru", "kk", "en"):
            assert {m.id for m in catalog(language) if m.id} == template, language

    def test_no_compiled_catalogs_are_kept(self):
        assert not list((WEB / "translations").rglob("*.mo"))


def orgs_transport(handler):
    return httpx.MockTransport(handler)


class TestUpstream:
    async def test_every_call_names_the_actor_and_language(self):
        seen = {}

        def handler(request: httpx.Request) -> httpx.Response:
            seen.update(request.headers)
            return httpx.Response(200, json={"items": [], "next_cursor": None})

        upstream = Upstream("orgs", "http://orgs", timeout=1, secret=TEST_SECRET, token_ttl=60,
                            transport=orgs_transport(handler))
        from services.contracts.auth import Actor, Role

        caller = Caller(actor=Actor(account_id=7, roles=[Role.coordinator], service="gateway"), language="kk",
                        request_id="req-1")
        page = await upstream.get("/v1/orgs", caller, OrgPage)
        await upstream.aclose()
        assert page.items == []
        assert seen["accept-language"] == "kk" and seen["x-request-id"] == "req-1"
        actor = read_token(seen["authorization"].removeprefix("Bearer "), TEST_SECRET)
        assert actor.account_id == 7 and actor.roles == [Role.coordinator] and actor.service == "gateway"

    async def test_gets_are_retried_once(self):
        calls = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request.method)
            if len(calls) == 1:
                return httpx.Response(503)
            return httpx.Response(200, json={"items": [], "next_cursor": None})

        upstream = Upstream("orgs", "http://orgs", timeout=1, secret=TEST_SECRET, token_ttl=60,
                            transport=orgs_transport(handler))
        await upstream.get("/v1/orgs", Caller(), OrgPage)
        await upstream.aclose()
        assert calls == ["GET", "GET"]

    async def test_writes_are_never_retried(self):
        calls = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request.method)
            return httpx.Response(502)

        upstream = Upstream("orgs", "http://orgs", timeout=1, secret=TEST_SECRET, token_ttl=60,
                            transport=orgs_transport(handler))
        with pytest.raises(UpstreamUnavailable):
            await upstream.send("POST", "/v1/auth/login", Caller(), json={})
        await upstream.aclose()
        assert calls == ["POST"]

    async def test_problems_become_exceptions(self):
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"type": "https://ashyq.kz/problems/not-found", "title": "Not found",
                                             "status": 404}, headers={"content-type": "application/problem+json"})

        upstream = Upstream("orgs", "http://orgs", timeout=1, secret=TEST_SECRET, token_ttl=60,
                            transport=orgs_transport(handler))
        with pytest.raises(UpstreamProblem) as caught:
            await upstream.get("/v1/orgs/5", Caller(), OrgPage)
        await upstream.aclose()
        assert caught.value.status == 404

    async def test_an_unreadable_answer_is_an_outage(self):
        upstream = Upstream("orgs", "http://orgs", timeout=1, secret=TEST_SECRET, token_ttl=60,
                            transport=orgs_transport(lambda request: httpx.Response(200, json={"nope": 1})))
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/v1/orgs", Caller(), OrgPage)
        await upstream.aclose()

    async def test_a_closed_port_is_an_outage(self):
        upstream = Upstream("dialogue", "http://127.0.0.1:9", timeout=1, secret=TEST_SECRET, token_ttl=60)
        with pytest.raises(UpstreamUnavailable) as caught:
            await upstream.get("/v1/sessions", Caller(), OrgPage)
        await upstream.aclose()
        assert caught.value.service == "dialogue"
