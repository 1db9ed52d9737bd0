"""JSON logs: one object per line with the request id, the id taken, echoed and sent on, personal data masked."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.common.logging import MASK, configure_logging, mask_personal_data, mask_text
from services.common.settings import ServiceSettings
from services.gateway.settings import GatewaySettings
from tests.dialogue.helpers import as_coordinator, create_recommendation, state_body
from tests.gateway.helpers import create_account, sign_in

REQUIRED_KEYS = {"timestamp", "level", "logger", "event", "service", "request_id"}
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")

EMAIL = "aigerim.nurlanovna@example.kz"
PHONE = "+7 701 234 56 78"
IIN = "061211600012"  # a valid IIN (FIELD-NOTES): personal data
PASSWORD = "Parol-Qupiya-2026!"


class Logs:
    """What this process logged while a test ran, one parsed JSON object per line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def access(self, path_prefix: str = "") -> list[dict[str, Any]]:
        return [line for line in self.lines()
                if line["logger"] == "ashyq.access" and line["path"].startswith(path_prefix)]


@pytest.fixture
def logs() -> Iterator[Logs]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    captured = Logs()
    configure_logging("test", level="DEBUG", stream=captured.stream)
    try:
        yield captured
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


class TestLineFormat:
    def test_every_line_is_one_json_object_with_the_required_keys(self, logs: Logs) -> None:
        logging.getLogger("ashyq.test").info("first %s", "line", extra={"org_id": 7})
        try:
            raise ValueError("broken")
        except ValueError:
            logging.getLogger("ashyq.test").exception("second line")
        first, second = logs.lines()
        assert first.keys() >= REQUIRED_KEYS and second.keys() >= REQUIRED_KEYS
        assert first["event"] == "first line" and first["org_id"] == 7 and first["service"] == "test"
        assert first["level"] == "info" and second["level"] == "error"
        assert first["logger"] == "ashyq.test" and first["request_id"] is None
        assert first["timestamp"].endswith("Z")
        assert "ValueError: broken" in second["exception"]

    def test_console_format_is_one_readable_line(self) -> None:
        stream = io.StringIO()
        root = logging.getLogger()
        handlers = list(root.handlers)
        configure_logging("orgs", fmt="console", stream=stream)
        try:
            logging.getLogger("ashyq.test").warning("readable %s", IIN)
        finally:
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
        text = stream.getvalue()
        assert "readable" in text and "warning" in text and IIN not in text
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)

    def test_settings_name_the_level_and_format_per_service(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GATEWAY_LOG_LEVEL", "debug")
        monkeypatch.setenv("GATEWAY_LOG_FORMAT", "console")
        settings = GatewaySettings()
        assert (settings.log_level, settings.log_format) == ("DEBUG", "console")
        assert ServiceSettings().log_format == "json"
        with pytest.raises(ValueError, match="log_format"):
            ServiceSettings(log_format="xml")


class TestMasking:
    @pytest.mark.parametrize("value", [
        EMAIL, "+77012345678", "8 (701) 234-56-78", "87012345678", PHONE, IIN,
        "Bearer abc.def-ghi", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "ashyq_Ab3dE5gH_" + "x" * 43, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ])
    def test_personal_data_and_secrets_in_any_text_are_masked(self, value: str) -> None:
        assert mask_text(f"before {value} after") == f"before {MASK} after"

    @pytest.mark.parametrize("value", [
        "GET /v1/orgs/42 200", "0f8b9c2d4e6a41b3a5c7d9e1f3a5b7c9", "BIN-less text 2026-11-10T10:00:00+05:00",
        "req-2026.11.10_abc", "took 812.5 ms", "/v1/calendars/regions/630000000.ics",
    ])
    def test_ordinary_values_are_left_alone(self, value: str) -> None:
        assert mask_text(value) == value

    def test_sensitive_keys_are_masked_whatever_the_value(self) -> None:
        event = mask_personal_data(None, "info", {
            "event": "login", "password": "short", "email": "not-an-address", "api_key": "k",
            "nested": {"phone": "1", "Authorization": "x", "org_id": 5, "note": f"from {EMAIL}"},
            "items": [IIN, "plain"], "session_token": "t", "request_id": "abc", "count": 3,
        })
        assert event["password"] == event["email"] == event["api_key"] == event["session_token"] == MASK
        assert event["nested"] == {"phone": MASK, "Authorization": MASK, "org_id": 5, "note": f"from {MASK}"}
        assert event["items"] == [MASK, "plain"]
        assert (event["request_id"], event["count"], event["event"]) == ("abc", 3, "login")


class TestRequestIds:
    async def test_a_well_formed_id_is_kept_echoed_and_logged(self, logs: Logs, orgs: httpx.AsyncClient) -> None:
        r = await orgs.get("/v1/orgs", headers={"X-Request-ID": "portal-2026.11.10_0042"})
        assert r.status_code == 200
        assert r.headers["x-request-id"] == "portal-2026.11.10_0042"
        (line,) = logs.access("/v1/orgs")
        assert line["request_id"] == "portal-2026.11.10_0042"
        assert (line["method"], line["status"]) == ("GET", 200) and line["duration_ms"] >= 0

    @pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 101, "<script>", "semi;colon"])
    async def test_a_missing_or_malformed_id_is_replaced(self, logs: Logs, orgs: httpx.AsyncClient,
                                                         sent: str | None) -> None:
        r = await orgs.get("/livez", headers={"X-Request-ID": sent} if sent is not None else {})
        made = r.headers["x-request-id"]
        assert GENERATED_ID.match(made) and made != sent
        assert [line["request_id"] for line in logs.access("/livez")] == [made]

    async def test_each_request_gets_its_own_id(self, orgs: httpx.AsyncClient) -> None:
        first, second = (await orgs.get("/livez"), await orgs.get("/livez"))
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    async def test_lines_logged_while_serving_carry_the_id(self, logs: Logs, dialogue: httpx.AsyncClient) -> None:
        r = await dialogue.get("/v1/recommendations/abc", headers={"X-Request-ID": "trace-1"})
        assert r.status_code == 422
        assert {line["request_id"] for line in logs.lines() if line["logger"] == "ashyq.access"} == {"trace-1"}

    async def test_the_gateway_sends_its_request_id_to_both_services(self, logs: Logs,
                                                                     gateway: httpx.AsyncClient) -> None:
        for page in ("/", "/orgs"):  # the home page asks dialogue, the registry page asks orgs
            r = await gateway.get(page, headers={"X-Request-ID": "visit-7f3a"})
            assert r.status_code == 200
            assert r.headers["x-request-id"] == "visit-7f3a"
        upstream = logs.access("/v1/")
        assert {line["path"].split("/")[2] for line in upstream} >= {"orgs", "sessions", "recommendations"}
        assert {line["request_id"] for line in upstream} == {"visit-7f3a"}
        assert {line["request_id"] for line in logs.access("/") if line["path"] in ("/", "/orgs")} == {"visit-7f3a"}

    async def test_the_gateway_makes_an_id_when_none_is_sent_and_passes_it_on(self, logs: Logs,
                                                                                gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/orgs")
        made = r.headers["x-request-id"]
        assert GENERATED_ID.match(made)
        assert {line["request_id"] for line in logs.access("/v1/")} == {made}

    async def test_dialogue_passes_the_id_on_to_the_registry(self, logs: Logs, orgs: httpx.AsyncClient,
                                                             dialogue: httpx.AsyncClient) -> None:
        akimat = await state_body(orgs, "Акимат области Абай")
        r = await dialogue.post("/v1/recommendations", json={"text": "Открыть данные", "addressee_ids": [akimat]},
                                headers={**as_coordinator(), "X-Request-ID": "write-99"})
        assert r.status_code == 201, r.text
        (batch,) = logs.access("/v1/orgs/batch")
        assert batch["request_id"] == "write-99"

    async def test_an_unexpected_error_still_echoes_the_id(self, logs: Logs, orgs_app: Any) -> None:
        from services.common.app import service_app
        from services.orgs.settings import OrgsSettings

        app = service_app("orgs", OrgsSettings(database_url=orgs_app.state.settings.database_url,
                                               environment="test"), title="t", description="d")

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError(f"failed for {EMAIL}")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                        base_url="http://orgs") as client:
            r = await client.get("/boom", headers={"X-Request-ID": "crash-1"})
        assert r.status_code == 500 and r.headers["x-request-id"] == "crash-1"
        assert r.headers["content-type"].startswith("application/problem+json")
        errors = [line for line in logs.lines() if line["level"] == "error"]
        assert errors and all(line["request_id"] == "crash-1" for line in errors)
        assert logs.access("/boom")[0]["status"] == 500
        assert EMAIL not in logs.text


class TestNoPersonalDataInLogs:
    async def test_contacts_written_searched_and_refused_never_reach_a_log_line(
            self, logs: Logs, orgs: httpx.AsyncClient) -> None:
        person = {"family_name": "Нурланова", "given_name": "Айгерим",
                  "contacts": {"email": EMAIL, "phone": PHONE, "iin": IIN}}
        r = await orgs.post("/v1/people", json=person, headers=as_coordinator())
        assert r.status_code == 201, r.text
        bad = {**person, "contacts": {"email": "not-an-email " + EMAIL, "phone": PHONE, "iin": IIN[:-1] + "9"}}
        assert (await orgs.post("/v1/people", json=bad, headers=as_coordinator())).status_code == 422
        await orgs.get("/v1/people", params={"q": EMAIL})
        await orgs.get("/v1/orgs", params={"q": f"{IIN} {PHONE}"})
        await orgs.get(f"/v1/people/{IIN}")  # an IIN where an id goes: 422, and the path is logged masked
        logging.getLogger("ashyq.test").warning("careless %s %s", EMAIL, PHONE, extra={"iin": IIN})

        assert logs.access("/v1/people") and logs.access("/v1/orgs")
        for value in (EMAIL, PHONE, IIN, "7012345678", "701 234 56 78"):
            assert value not in logs.text
        assert all("?" not in line["path"] for line in logs.access())
        assert f"/v1/people/{MASK}" in {line["path"] for line in logs.access()}

    async def test_a_sign_in_never_logs_the_password_or_the_session_token(
            self, logs: Logs, orgs: httpx.AsyncClient, gateway: httpx.AsyncClient) -> None:
        await create_account(orgs, "aigerim", PASSWORD)
        refused = await sign_in(gateway, EMAIL, PASSWORD + "x")
        assert refused.status_code == 401
        r = await sign_in(gateway, "aigerim", PASSWORD)
        assert r.status_code == 303, r.text
        assert logs.access("/login") and logs.access("/v1/auth")
        for value in (PASSWORD, EMAIL, gateway.cookies.get("ashyq_session") or "no cookie"):
            assert value not in logs.text

    async def test_a_recommendation_write_logs_no_bearer_token(self, logs: Logs, orgs: httpx.AsyncClient,
                                                               dialogue: httpx.AsyncClient) -> None:
        akimat = await state_body(orgs, "Акимат города Астаны", region_code="710000000")
        await create_recommendation(dialogue, [akimat])
        token = as_coordinator()["Authorization"].removeprefix("Bearer ")
        assert logs.access("/v1/recommendations")
        assert token.split(".")[1] not in logs.text  # the claims: who is acting
