"""Fixtures of the contract tests: the orgs and dialogue services on their own throwaway databases, holding the
demo data (the seed articles), so fuzzed ids and bodies meet real records and the rules behind them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import select

from services.common.db import make_engine, make_sessionmaker
from services.common.migrations import upgrade
from services.contracts.accounts import AccountCreate, ApiKeyCreate, Scope
from services.contracts.auth import Role
from services.orgs import accounts
from tests.conftest import TEST_SECRET, Databases, dialogue_settings


@dataclass(frozen=True)
class ContractServices:
    """The two services as schemathesis reaches them (ASGI, in process), and their databases."""

    orgs: FastAPI
    dialogue: FastAPI
    orgs_url: str
    dialogue_url: str


async def _webhook_with_delivery(db: Any) -> None:
    """A subscription and one delivery of an outbox event (never sent: no worker runs here)."""
    from services.dialogue.models import OutboxEvent, WebhookDelivery, WebhookSubscription

    event = (await db.exec(select(OutboxEvent).limit(1))).first()
    subscription = WebhookSubscription(url="https://hooks.example.org/ashyq", event_types=[event.type],
                                       secret="whsec_" + "0" * 32, description="contract tests")
    db.add(subscription)
    await db.flush()
    db.add(WebhookDelivery(subscription_id=subscription.id, event_id=event.id, event_type=event.type,
                           message_id=f"msg_{event.id}", status="dead", attempts=8))
    await db.flush()


async def _load_demo(orgs_url: str, dialogue_url: str) -> None:
    """The registry's seed organizations and people, then the four seed events through the dialogue rules."""
    from services.dialogue import demo as dialogue_demo
    from services.dialogue.orgs_client import OrgsClient
    from services.orgs import demo as orgs_demo
    from services.orgs.app import create_app as create_orgs_app
    from services.orgs.settings import OrgsSettings

    orgs_engine, dialogue_engine = make_engine(orgs_url), make_engine(dialogue_url)
    try:
        async with make_sessionmaker(orgs_engine)() as orgs_db:
            registry = await orgs_demo.load(orgs_db)
            # An account and an API key, so their routes meet existing records too.
            await accounts.create_account(orgs_db, AccountCreate(
                login="contract.admin", display_name="Contract admin", password="contract-password-0123",
                roles=[Role.admin]))
            await accounts.create_api_key(orgs_db, ApiKeyCreate(
                name="Contract key", org_id=min(registry.ids.values()), scopes=[Scope.read]), None)
            await orgs_db.commit()
        orgs_app = create_orgs_app(OrgsSettings(database_url=orgs_url, service_secret=TEST_SECRET, environment="test"))
        async with (orgs_app.router.lifespan_context(orgs_app), make_sessionmaker(dialogue_engine)() as dialogue_db):
            client = OrgsClient("http://orgs", 10.0, transport=httpx.ASGITransport(app=orgs_app))
            try:
                await dialogue_demo.load(dialogue_db, client, registry.ids)
                await _webhook_with_delivery(dialogue_db)
                await dialogue_db.commit()
            finally:
                await client.aclose()
    finally:
        await orgs_engine.dispose()
        await dialogue_engine.dispose()


@pytest.fixture(scope="session")
def contract_services(databases: Databases) -> Iterator[ContractServices]:
    """Both services with the demo data, their lifespans run by schemathesis' ASGI transport (its own event loop,
    in a thread): the apps are made here rather than shared with the async fixtures, whose engines live on
    pytest-asyncio's loop."""
    from schemathesis.python import asgi

    from services.dialogue.app import create_app as create_dialogue_app
    from services.orgs.app import create_app as create_orgs_app
    from services.orgs.settings import OrgsSettings

    orgs_url, dialogue_url = databases.new("contract_orgs"), databases.new("contract_dialogue")
    upgrade("orgs", orgs_url)
    upgrade("dialogue", dialogue_url)
    asyncio.run(_load_demo(orgs_url, dialogue_url))
    orgs = create_orgs_app(OrgsSettings(database_url=orgs_url, service_secret=TEST_SECRET, environment="test"))
    dialogue = create_dialogue_app(dialogue_settings(dialogue_url), orgs_transport=httpx.ASGITransport(app=orgs))
    # The dialogue service calls the registry inside schemathesis' loop, so the registry's lifespan starts there.
    with asgi.get_client(orgs) as client:
        assert client.get("/readyz").status_code == 200
    yield ContractServices(orgs=orgs, dialogue=dialogue, orgs_url=orgs_url, dialogue_url=dialogue_url)
    asgi.shutdown_lifespans()


def known_path_parameters(url: str, queries: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Path parameters of records that exist, by path template: each query's columns are named like the path's
    parameters (`SELECT session_id, id AS item_id FROM agenda_item`)."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                return {path: [dict(row._mapping) for row in await connection.execute(text(sql))]
                        for path, sql in queries.items()}
        finally:
            await engine.dispose()

    return asyncio.run(read())
