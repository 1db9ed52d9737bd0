"""Demo accounts of `ashyq up`: one per role beside the demo registry, signing in with the printed passwords."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services import cli
from services.common.db import make_engine, make_sessionmaker
from services.contracts.auth import Role
from services.orgs import demo
from services.orgs.models import Account, ApiKey
from tests.conftest import actor_headers


def as_service() -> dict[str, str]:
    """A calling service's token, fresh for each call (a test run outlasts a token's two minutes)."""
    return actor_headers(Role.service, account_id=0)


async def _in_session(url: str, work: Any) -> Any:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def load_registry(url: str) -> demo.DemoResult:
    return await _in_session(url, demo.load)  # type: ignore[no-any-return]


async def load_accounts(url: str, environment: str = "development") -> demo.DemoAccounts:
    async def work(session: Any) -> demo.DemoAccounts:
        return await demo.load_accounts(session, environment=environment)

    return await _in_session(url, work)  # type: ignore[no-any-return]


async def count(url: str, model: Any) -> int:
    async def work(session: Any) -> int:
        return int((await session.exec(select(func.count()).select_from(model))).one()[0])

    return await _in_session(url, work)  # type: ignore[no-any-return]


async def login(orgs: httpx.AsyncClient, login_name: str, password: str) -> httpx.Response:
    return await orgs.post("/v1/auth/login", json={"login": login_name, "password": password}, headers=as_service())


@pytest.fixture
async def registry(orgs: httpx.AsyncClient, orgs_database_url: str) -> demo.DemoResult:
    return await load_registry(orgs_database_url)


class TestDemoAccounts:
    async def test_every_role_signs_in_with_its_printed_password(self, orgs, orgs_database_url, registry, capsys):
        loaded = await load_accounts(orgs_database_url)
        assert sorted(loaded.created) == sorted(spec.login for spec in demo.DEMO_ACCOUNTS)
        cli._print_demo_accounts(loaded, "http://127.0.0.1:8000/")
        printed = capsys.readouterr().out
        roles = {}
        for account in loaded.accounts:
            assert account.password is not None
            assert f"{account.login}" in printed and account.password in printed
            r = await login(orgs, account.login, account.password)
            assert r.status_code == 201, r.text
            roles[account.role] = r.json()["account"]
        assert set(roles) == {Role.admin, Role.coordinator, Role.representative, Role.member}
        assert roles[Role.representative]["org_ids"] == [registry.ids["org:akimat_vko"]]
        assert roles[Role.member]["org_ids"] == [registry.ids["org:astana_public_council"]]
        assert roles[Role.admin]["roles"] == ["admin"]

    async def test_the_akimats_api_key_is_shown_once_and_answers_for_the_akimat(self, orgs, orgs_database_url,
                                                                               registry, capsys):
        first = await load_accounts(orgs_database_url)
        assert first.api_key and first.api_key.startswith(f"ashyq_{first.api_key_prefix}_")
        r = await orgs.post("/v1/auth/api-keys/verify", json={"key": first.api_key}, headers=as_service())
        assert r.status_code == 200, r.text
        assert r.json()["org_id"] == registry.ids["org:akimat_vko"]
        assert sorted(r.json()["scopes"]) == ["answer", "read"]
        second = await load_accounts(orgs_database_url)
        assert second.api_key is None and second.api_key_prefix == first.api_key_prefix
        cli._print_demo_accounts(second, "http://127.0.0.1:8000/")
        printed = capsys.readouterr().out
        assert first.api_key not in printed and f"ashyq_{first.api_key_prefix}_…" in printed

    async def test_loading_twice_duplicates_nothing_and_lists_the_same_logins(self, orgs, orgs_database_url,
                                                                            registry):
        first = await load_accounts(orgs_database_url)
        second = await load_accounts(orgs_database_url)
        assert second.created == []
        assert [a.login for a in second.accounts] == [a.login for a in first.accounts]
        assert [a.password for a in second.accounts] == [a.password for a in first.accounts]
        assert await count(orgs_database_url, Account) == len(demo.DEMO_ACCOUNTS)
        assert await count(orgs_database_url, ApiKey) == 1

    async def test_a_changed_password_is_not_printed_as_if_it_still_worked(self, orgs, orgs_database_url, registry):
        await load_accounts(orgs_database_url)
        listed = (await orgs.get("/v1/accounts", params={"q": "demo.akimat"},
                                 headers=actor_headers(Role.admin))).json()["items"]
        (account,) = listed
        r = await orgs.get(f"/v1/accounts/{account['id']}", headers=actor_headers(Role.admin))
        r = await orgs.patch(f"/v1/accounts/{account['id']}", json={"password": "a-new-secret-password"},
                             headers={**actor_headers(Role.admin), "If-Match": r.headers["ETag"]})
        assert r.status_code == 200, r.text
        again = await load_accounts(orgs_database_url)
        akimat = next(a for a in again.accounts if a.login == "demo.akimat")
        assert akimat.password is None and akimat.note == "password changed"
        assert (await login(orgs, "demo.akimat", "ashyq-demo-akimat")).status_code == 401

    async def test_refused_in_production(self, orgs, orgs_database_url, registry):
        with pytest.raises(demo.DemoAccountsRefused, match="production"):
            await load_accounts(orgs_database_url, environment="production")
        assert await count(orgs_database_url, Account) == 0

    async def test_refused_without_the_demo_registry(self, orgs, orgs_database_url):
        with pytest.raises(demo.DemoAccountsRefused, match="demo organizations"):
            await load_accounts(orgs_database_url)
        assert await count(orgs_database_url, Account) == 0
