"""Contract fuzzing of the public API: every operation of /api/v1/openapi.json, fuzzed through the gateway's ASGI
app with a live API key of the akimat (scopes read, answer and webhooks), in front of the real orgs and dialogue
services holding the demo data, on SQLite and PostgreSQL. No 5xx; responses match the schema; errors are
problem+json (the shared fuzzer in tests/contract/fuzz.py checks all three)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from sqlmodel import select

from services.common.db import make_engine, make_sessionmaker
from services.contracts.accounts import ApiKeyCreate, Scope
from services.gateway.app import create_app
from tests.conftest import gateway_settings
from tests.contract import fuzz as fuzzer
from tests.contract.conftest import ContractServices, contract_services, known_path_parameters  # noqa: F401
from tests.contract.fuzz import fuzz, operation_labels

# Each operation here goes through the gateway and a service: fewer examples than the services' own contract tests
# keep this file within a minute (ASHYQ_PUBLIC_API_EXAMPLES raises it for a longer hunt).
EXAMPLES = int(os.environ.get("ASHYQ_PUBLIC_API_EXAMPLES", "3"))

# Path parameters of records the demo data holds, so about half the cases reach an existing record.
KNOWN_ORGS = {
    "/v1/regions/{code}": "SELECT code FROM region",
    "/v1/organizations/{org_id}": "SELECT id AS org_id FROM organization",
    "/v1/organizations/{org_id}/members": "SELECT id AS org_id FROM organization",
    "/v1/organizations/{org_id}/composition":
        "SELECT id AS org_id FROM organization WHERE kind = 'public_council'",
}
KNOWN_DIALOGUE = {
    "/v1/sessions/{session_id}": "SELECT id AS session_id FROM dialogue_session",
    "/v1/sessions/{session_id}/protocol": "SELECT session_id FROM protocol",
    "/v1/sessions/{session_id}/protocol/versions": "SELECT session_id FROM protocol",
    "/v1/recommendations/{recommendation_id}": "SELECT id AS recommendation_id FROM recommendation",
    "/v1/recommendations/{recommendation_id}/responses":
        "SELECT recommendation_id FROM recommendation_addressee",
    "/v1/recommendations/{recommendation_id}/progress":
        "SELECT recommendation_id FROM recommendation_addressee",
    "/v1/webhooks/{webhook_id}": "SELECT id AS webhook_id FROM webhook_subscription",
    "/v1/webhooks/{webhook_id}/deliveries": "SELECT id AS webhook_id FROM webhook_subscription",
}


AKIMAT = "Акимат Восточно-Казахстанской области"  # a state body of the demo data with recommendations addressed


async def _api_key(orgs_url: str) -> str:
    """A key of the akimat made straight in the registry's database, as `ashyq up` makes the demo key."""
    from services.orgs import accounts
    from services.orgs.models import Organization

    engine = make_engine(orgs_url)
    try:
        async with make_sessionmaker(engine)() as session:
            org_id = (await session.exec(select(Organization.id).where(Organization.name_ru == AKIMAT))).one()
            _, secret = await accounts.create_api_key(session, ApiKeyCreate(
                name="Schemathesis", org_id=org_id, scopes=[Scope.read, Scope.answer, Scope.webhooks]), None)
            await session.commit()
    finally:
        await engine.dispose()
    return secret


def _gateway(services: ContractServices) -> FastAPI:
    from schemathesis.python import asgi

    # The gateway reaches both services through httpx's ASGI transport, which runs no lifespan: the dialogue
    # service's starts here, in schemathesis' event loop, where the gateway's own lifespan will run too.
    with asgi.get_client(services.dialogue) as client:
        assert client.get("/readyz").status_code == 200
    return create_app(gateway_settings(api_key_cache_seconds=60),
                      orgs_transport=httpx.ASGITransport(app=services.orgs),
                      dialogue_transport=httpx.ASGITransport(app=services.dialogue))


@pytest.fixture(scope="module")
def public_api_contract(contract_services: ContractServices,  # noqa: F811
                        ) -> Iterator[tuple[Any, dict[str, list[dict[str, Any]]], dict[str, str]]]:
    secret = asyncio.run(_api_key(contract_services.orgs_url))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _gateway(contract_services))
    known = (known_path_parameters(contract_services.orgs_url, KNOWN_ORGS)
             | known_path_parameters(contract_services.dialogue_url, KNOWN_DIALOGUE))
    yield schema, known, {"Authorization": f"Bearer {secret}"}


def _labels() -> list[str]:
    from services.gateway.app import app

    for route in app.routes:
        if getattr(route, "path", None) == "/api":
            return operation_labels(route.app.openapi())  # type: ignore[attr-defined]
    raise AssertionError("the gateway mounts no /api")


@pytest.mark.parametrize("label", _labels())
def test_operation_keeps_its_contract(public_api_contract, label, monkeypatch):
    schema, known, headers = public_api_contract
    monkeypatch.setattr(fuzzer, "MAX_EXAMPLES", EXAMPLES)
    fuzz(schema, label, known.get(label.split(" ", 1)[1], []), headers=lambda: headers)
