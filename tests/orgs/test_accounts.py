"""Accounts, login sessions and API keys as the gateway uses them — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import re
import sys
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from services import cli
from services.common.db import UTCDateTime
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from tests.conftest import TEST_SECRET, actor_headers

PROBLEM_JSON = "application/problem+json"
PASSWORD = "correct horse battery staple"
KEY_FORMAT = re.compile(r"^ashyq_([a-z0-9]{8})_[A-Za-z0-9_-]{40,}$")


def service() -> dict[str, str]:
    """What the gateway sends: a token of the calling service, not of a person."""
    return actor_headers(Role.service)


def admin() -> dict[str, str]:
    return actor_headers(Role.admin)


def session_header(token: str) -> dict[str, str]:
    return {**service(), "X-Session-Token": token}


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    assert "Traceback" not in response.text
    if fields:
        assert set(fields) <= {e["field"] for e in body["errors"]}, body
    return body


@pytest.fixture
async def orgs(orgs, orgs_app):
    """The shared clean orgs service, with no accounts, sessions or API keys left by an earlier test either."""
    async with orgs_app.state.engine.begin() as connection:
        for table in ("login_session", "api_key", "account"):
            await connection.execute(text(f"DELETE FROM {table}"))
    return orgs


async def sql(orgs_app, statement: str, **params):
    async with orgs_app.state.engine.begin() as connection:
        return (await connection.execute(text(statement), params)).all()


async def execute(orgs_app, statement: str, **params) -> None:
    """Timestamps are bound as the tables store them (UTC, in each database's own format)."""
    clause = text(statement).bindparams(*(bindparam(name, type_=UTCDateTime()) for name, value in params.items()
                                          if isinstance(value, datetime)))
    async with orgs_app.state.engine.begin() as connection:
        await connection.execute(clause, params)


async def create_org(orgs, name: str = "Департамент внутренней политики ВКО", kind: str = "state_body") -> dict:
    body = {"kind": kind, "level": "regional", "region_code": "630000000", "names": {"ru": name}}
    response = await orgs.post("/v1/orgs", json=body, headers=admin())
    assert response.status_code == 201, response.text
    return response.json()


def account_body(login: str = "aigerim.b", **overrides) -> dict:
    return {"login": login, "display_name": "Айгерим Бекова", "password": PASSWORD, "roles": ["coordinator"],
            "language": "kk", **overrides}


async def create_account(orgs, login: str = "aigerim.b", **overrides) -> dict:
    response = await orgs.post("/v1/accounts", json=account_body(login, **overrides), headers=admin())
    assert response.status_code == 201, response.text
    return response.json()


async def sign_in(orgs, login: str = "aigerim.b", password: str = PASSWORD):
    return await orgs.post("/v1/auth/login", json={"login": login, "password": password}, headers=service())


async def token_of(orgs, login: str = "aigerim.b") -> str:
    response = await sign_in(orgs, login)
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def patch_account(orgs, account_id: int, **changes):
    etag = (await orgs.get(f"/v1/accounts/{account_id}", headers=admin())).headers["ETag"]
    return await orgs.patch(f"/v1/accounts/{account_id}", json=changes, headers={**admin(), "If-Match": etag})


async def create_key(orgs, org_id: int, **overrides) -> dict:
    body = {"name": "e-Otinish integration", "org_id": org_id, "scopes": ["read", "answer"], **overrides}
    response = await orgs.post("/v1/api-keys", json=body, headers=admin())
    assert response.status_code == 201, response.text
    return response.json()


class TestLogin:
    async def test_signs_in_with_the_right_password(self, orgs):
        account = await create_account(orgs)
        response = await sign_in(orgs, "  Aigerim.B ")  # logins are case- and space-insensitive
        assert response.status_code == 201, response.text
        assert response.headers["Cache-Control"] == "no-store"
        body = response.json()
        assert len(body["token"]) >= 40
        assert body["account"] == account
        expires = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
        assert expires == timedelta(hours=12)

    async def test_wrong_password_and_unknown_login_get_the_same_answer(self, orgs):
        await create_account(orgs)
        wrong_password = await sign_in(orgs, "aigerim.b", "not the password at all")
        unknown_login = await sign_in(orgs, "nobody.here", PASSWORD)
        assert_problem(wrong_password, 401)
        assert_problem(unknown_login, 401)
        assert wrong_password.json() == unknown_login.json()
        assert wrong_password.headers["content-type"] == unknown_login.headers["content-type"]

    async def test_stores_an_argon2id_hash_never_the_password(self, orgs, orgs_app):
        await create_account(orgs)
        ((stored,),) = await sql(orgs_app, "SELECT password_hash FROM account WHERE login = 'aigerim.b'")
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored

    async def test_a_hash_made_with_old_parameters_is_redone_at_login(self, orgs, orgs_app):
        account = await create_account(orgs)
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
        await execute(orgs_app, "UPDATE account SET password_hash = :h WHERE id = :id", h=weak, id=account["id"])
        assert (await sign_in(orgs)).status_code == 201
        ((stored,),) = await sql(orgs_app, "SELECT password_hash FROM account WHERE id = :id", id=account["id"])
        assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
        # Not a change the admin made: the account's version (its ETag) stays.
        assert (await orgs.get(f"/v1/accounts/{account['id']}", headers=admin())).json()["version"] == 1
        assert (await sign_in(orgs)).status_code == 201

    async def test_a_disabled_account_is_refused_and_its_open_session_at_once(self, orgs):
        account = await create_account(orgs)
        token = await token_of(orgs)
        assert (await orgs.get("/v1/auth/sessions/current", headers=session_header(token))).status_code == 200
        assert (await patch_account(orgs, account["id"], is_disabled=True)).status_code == 200
        assert_problem(await orgs.get("/v1/auth/sessions/current", headers=session_header(token)), 401)
        assert_problem(await sign_in(orgs), 403)
        # Without the password nobody learns that the account exists, disabled or not.
        assert_problem(await sign_in(orgs, "aigerim.b", "not the password at all"), 401)

    async def test_an_enabled_again_account_signs_in_again(self, orgs):
        account = await create_account(orgs)
        await patch_account(orgs, account["id"], is_disabled=True)
        assert (await patch_account(orgs, account["id"], is_disabled=False)).status_code == 200
        assert (await sign_in(orgs)).status_code == 201

    async def test_a_token_naming_its_service_may_sign_in(self, orgs):
        """The gateway names itself (`svc`) in the tokens it mints; that is a service token too."""
        await create_account(orgs)
        token = issue_token(Actor(service="gateway"), TEST_SECRET)
        response = await orgs.post("/v1/auth/login", json={"login": "aigerim.b", "password": PASSWORD},
                                   headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("headers", [{}, {"role": "admin"}, {"role": "coordinator"}])
    async def test_only_a_service_may_check_passwords(self, orgs, headers):
        await create_account(orgs)
        sent = actor_headers(Role(headers["role"])) if headers else {}
        response = await orgs.post("/v1/auth/login", json={"login": "aigerim.b", "password": PASSWORD}, headers=sent)
        assert_problem(response, 403 if headers else 401)


class TestSessions:
    async def test_the_current_session_names_the_account_but_not_the_token(self, orgs):
        account = await create_account(orgs)
        login = (await sign_in(orgs)).json()
        response = await orgs.get("/v1/auth/sessions/current", headers=session_header(login["token"]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token"] is None
        assert body["session_id"] == login["session_id"] and body["account"] == account

    @pytest.mark.parametrize("token", [None, "", "no-such-token", "x" * 5000])
    async def test_an_unknown_or_missing_token_is_refused(self, orgs, token):
        headers = service() if token is None else session_header(token)
        assert_problem(await orgs.get("/v1/auth/sessions/current", headers=headers), 401)

    async def test_an_expired_session_is_refused(self, orgs, orgs_app):
        await create_account(orgs)
        login = (await sign_in(orgs)).json()
        past = datetime.now(UTC) - timedelta(minutes=1)
        await execute(orgs_app, "UPDATE login_session SET expires_at = :t WHERE id = :id", t=past,
                      id=login["session_id"])
        assert_problem(await orgs.get("/v1/auth/sessions/current", headers=session_header(login["token"])), 401)

    async def test_the_store_keeps_only_the_tokens_hash(self, orgs, orgs_app):
        await create_account(orgs)
        token = await token_of(orgs)
        rows = await sql(orgs_app, "SELECT * FROM login_session")
        assert len(rows) == 1
        assert hashlib.sha256(token.encode()).hexdigest() in rows[0]
        assert not any(token in str(value) for value in rows[0])

    async def test_logout_ends_the_session_and_may_be_repeated(self, orgs):
        await create_account(orgs)
        token = await token_of(orgs)
        other = await token_of(orgs)
        response = await orgs.delete("/v1/auth/sessions/current", headers=session_header(token))
        assert response.status_code == 204
        assert_problem(await orgs.get("/v1/auth/sessions/current", headers=session_header(token)), 401)
        assert (await orgs.delete("/v1/auth/sessions/current", headers=session_header(token))).status_code == 204
        # Other browsers of the same account stay signed in.
        assert (await orgs.get("/v1/auth/sessions/current", headers=session_header(other))).status_code == 200

    async def test_an_admin_signs_an_account_out_everywhere(self, orgs):
        account = await create_account(orgs)
        tokens = [await token_of(orgs), await token_of(orgs)]
        response = await orgs.post(f"/v1/accounts/{account['id']}/sessions/revoke", headers=admin())
        assert response.status_code == 204, response.text
        for token in tokens:
            assert_problem(await orgs.get("/v1/auth/sessions/current", headers=session_header(token)), 401)
        assert (await sign_in(orgs)).status_code == 201

    async def test_a_new_password_signs_out_and_replaces_the_old_one(self, orgs):
        account = await create_account(orgs)
        token = await token_of(orgs)
        assert (await patch_account(orgs, account["id"], password="a brand new passphrase")).status_code == 200
        assert_problem(await orgs.get("/v1/auth/sessions/current", headers=session_header(token)), 401)
        assert_problem(await sign_in(orgs), 401)
        assert (await sign_in(orgs, "aigerim.b", "a brand new passphrase")).status_code == 201

    async def test_last_seen_is_written_at_most_once_a_minute(self, orgs, orgs_app):
        await create_account(orgs)
        login = (await sign_in(orgs)).json()
        headers = session_header(login["token"])
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        await execute(orgs_app, "UPDATE login_session SET last_seen_at = :t", t=long_ago)
        await orgs.get("/v1/auth/sessions/current", headers=headers)
        ((seen,),) = await sql(orgs_app, "SELECT last_seen_at FROM login_session")
        await orgs.get("/v1/auth/sessions/current", headers=headers)
        ((seen_again,),) = await sql(orgs_app, "SELECT last_seen_at FROM login_session")
        assert seen_again == seen
        seen = seen if isinstance(seen, datetime) else datetime.fromisoformat(seen)
        assert seen.replace(tzinfo=seen.tzinfo or UTC) > long_ago + timedelta(minutes=4)

    async def test_session_endpoints_need_a_service_token(self, orgs):
        await create_account(orgs)
        token = await token_of(orgs)
        response = await orgs.get("/v1/auth/sessions/current", headers={"X-Session-Token": token})
        assert_problem(response, 401)


class TestAccounts:
    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "/v1/accounts"), ("POST", "/v1/accounts"), ("GET", "/v1/accounts/1"), ("PATCH", "/v1/accounts/1"),
        ("POST", "/v1/accounts/1/sessions/revoke"), ("GET", "/v1/api-keys"), ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys/1"), ("DELETE", "/v1/api-keys/1"),
    ])
    async def test_only_admins_manage_accounts_and_keys(self, orgs, method, path):
        body = account_body() if path == "/v1/accounts" and method == "POST" else None
        assert_problem(await orgs.request(method, path, json=body), 401)
        for role in (Role.coordinator, Role.representative, Role.service):
            assert_problem(await orgs.request(method, path, json=body, headers=actor_headers(role, org_ids=[1])), 403)

    async def test_creates_reads_and_lists_without_the_password(self, orgs):
        created = await orgs.post("/v1/accounts", json=account_body(), headers=admin())
        assert created.status_code == 201, created.text
        account = created.json()
        assert created.headers["Location"] == f"/v1/accounts/{account['id']}"
        assert account["roles"] == ["coordinator"] and account["language"] == "kk" and not account["is_disabled"]
        read = await orgs.get(f"/v1/accounts/{account['id']}", headers=admin())
        listed = await orgs.get("/v1/accounts", headers=admin())
        login = await sign_in(orgs)
        current = await orgs.get("/v1/auth/sessions/current", headers=session_header(login.json()["token"]))
        changed = await patch_account(orgs, account["id"], display_name="Айгерим Бекқызы")
        for response in (created, read, listed, login, current, changed):
            assert response.status_code in (200, 201), response.text
            assert PASSWORD not in response.text and "password" not in response.text

    async def test_a_representative_speaks_for_an_organization(self, orgs):
        response = await orgs.post("/v1/accounts", json=account_body(roles=["representative"]), headers=admin())
        assert_problem(response, 422, "org_ids")
        body = assert_problem(await orgs.post("/v1/accounts", json=account_body(roles=["representative"], org_ids=[]),
                                              headers=admin()), 422, "org_ids")
        assert "representative" in body["errors"][0]["message"]
        org = await create_org(orgs)
        account = await create_account(orgs, roles=["representative"], org_ids=[org["id"]])
        assert account["org_ids"] == [org["id"]]
        # ... and cannot be left without one later.
        assert_problem(await patch_account(orgs, account["id"], org_ids=[]), 422, "org_ids")

    async def test_organizations_and_person_must_exist(self, orgs):
        org = await create_org(orgs)
        body = account_body(roles=["representative"], org_ids=[org["id"], 999_999, 2**40], person_id=999_999)
        problem = assert_problem(await orgs.post("/v1/accounts", json=body, headers=admin()), 422, "org_ids",
                                 "person_id")
        assert {e["message"] for e in problem["errors"] if e["field"] == "org_ids"} == {
            "no organization with id 999999", f"no organization with id {2**40}"}
        person = (await orgs.post("/v1/people", json={"family_name": "Бекова", "given_name": "Айгерим"},
                                  headers=admin())).json()
        account = await create_account(orgs, roles=["representative"], org_ids=[org["id"]], person_id=person["id"])
        assert account["person_id"] == person["id"]

    async def test_the_service_role_is_not_for_people(self, orgs):
        response = await orgs.post("/v1/accounts", json=account_body(roles=["service"]), headers=admin())
        assert_problem(response, 422, "roles")

    async def test_bad_fields_are_named(self, orgs):
        body = account_body("x", password="short", roles=[], language="kz")
        assert_problem(await orgs.post("/v1/accounts", json=body, headers=admin()), 422, "login", "password", "roles",
                       "language")

    async def test_a_login_is_taken_once(self, orgs):
        await create_account(orgs)
        response = await orgs.post("/v1/accounts", json=account_body("AIGERIM.B"), headers=admin())
        assert_problem(response, 409, "login")

    async def test_a_retried_create_with_the_same_idempotency_key_makes_one_account(self, orgs):
        headers = {**admin(), "Idempotency-Key": "create-aigerim"}
        first = await orgs.post("/v1/accounts", json=account_body(), headers=headers)
        again = await orgs.post("/v1/accounts", json=account_body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
        different = await orgs.post("/v1/accounts", json=account_body(display_name="Другая"), headers=headers)
        assert_problem(different, 422)

    async def test_patch_needs_the_current_etag(self, orgs):
        account = await create_account(orgs)
        path = f"/v1/accounts/{account['id']}"
        read = await orgs.get(path, headers=admin())
        assert read.headers["ETag"] == f'"{account["id"]}.1"'
        assert_problem(await orgs.patch(path, json={"display_name": "А"}, headers=admin()), 428)
        changed = await orgs.patch(path, json={"display_name": "А", "roles": ["coordinator", "member"]},
                                   headers={**admin(), "If-Match": read.headers["ETag"]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["roles"] == ["coordinator", "member"]
        assert changed.headers["ETag"] == f'"{account["id"]}.2"'
        stale = await orgs.patch(path, json={"display_name": "Б"},
                                 headers={**admin(), "If-Match": read.headers["ETag"]})
        assert_problem(stale, 412)
        removed = await orgs.patch(path, json={"display_name": None},
                                   headers={**admin(), "If-Match": changed.headers["ETag"]})
        assert_problem(removed, 422, "display_name")

    async def test_an_unknown_account_is_a_404_problem(self, orgs):
        assert_problem(await orgs.get("/v1/accounts/999999", headers=admin()), 404)
        assert_problem(await orgs.get(f"/v1/accounts/{2**40}", headers=admin()), 404)

    async def test_lists_page_by_page_in_login_order_with_filters(self, orgs):
        for login in ("dana", "bolat", "asel"):
            await create_account(orgs, login)
        await create_account(orgs, "yerlan", roles=["admin"])
        first = (await orgs.get("/v1/accounts", params={"limit": 2}, headers=admin())).json()
        assert [x["login"] for x in first["items"]] == ["asel", "bolat"]
        second = (await orgs.get("/v1/accounts", params={"limit": 2, "cursor": first["next_cursor"]},
                                 headers=admin())).json()
        assert [x["login"] for x in second["items"]] == ["dana", "yerlan"] and second["next_cursor"] is None
        admins = (await orgs.get("/v1/accounts", params={"role": "admin"}, headers=admin())).json()
        assert [x["login"] for x in admins["items"]] == ["yerlan"]
        searched = (await orgs.get("/v1/accounts", params={"q": "OL"}, headers=admin())).json()
        assert [x["login"] for x in searched["items"]] == ["bolat"]
        assert_problem(await orgs.get("/v1/accounts", params={"cursor": "garbage"}, headers=admin()), 422, "cursor")

    async def test_the_last_active_admin_stays_one(self, orgs):
        only = await create_account(orgs, "root", roles=["admin"])
        assert_problem(await patch_account(orgs, only["id"], is_disabled=True), 409)
        assert_problem(await patch_account(orgs, only["id"], roles=["coordinator"]), 409)
        await create_account(orgs, "second.admin", roles=["admin", "coordinator"])
        assert (await patch_account(orgs, only["id"], is_disabled=True)).status_code == 200


class TestApiKeys:
    async def test_the_key_is_shown_once_and_verifies(self, orgs):
        org = await create_org(orgs)
        created = await orgs.post("/v1/api-keys", json={"name": "e-Otinish", "org_id": org["id"],
                                                        "scopes": ["read", "answer", "read"]},
                                  headers=actor_headers(Role.admin, account_id=7))
        assert created.status_code == 201, created.text
        assert created.headers["Cache-Control"] == "no-store"
        key = created.json()
        match = KEY_FORMAT.match(key["key"])
        assert match and match.group(1) == key["prefix"]
        assert key["scopes"] == ["read", "answer"] and key["created_by"] == 7 and key["last_used_at"] is None
        listed = await orgs.get("/v1/api-keys", headers=admin())
        read = await orgs.get(f"/v1/api-keys/{key['id']}", headers=admin())
        for response in (listed, read):
            assert response.status_code == 200 and key["key"] not in response.text and '"key"' not in response.text
        verified = await orgs.post("/v1/auth/api-keys/verify", json={"key": key["key"]}, headers=service())
        assert verified.status_code == 200, verified.text
        body = verified.json()
        assert "key" not in body and body["id"] == key["id"] and body["org_id"] == org["id"]
        assert body["last_used_at"] is not None

    async def test_only_the_hash_is_stored(self, orgs, orgs_app):
        org = await create_org(orgs)
        key = await create_key(orgs, org["id"])
        rows = await sql(orgs_app, "SELECT * FROM api_key")
        assert len(rows) == 1
        assert hashlib.sha256(key["key"].encode()).hexdigest() in rows[0]
        secret = key["key"].split("_", 2)[2]
        assert not any(secret in str(value) for value in rows[0])
        stored = await sql(orgs_app, "SELECT body FROM idempotency_record")
        assert not any(secret in row[0] for row in stored)

    async def test_a_revoked_key_is_refused_and_kept(self, orgs):
        org = await create_org(orgs)
        key = await create_key(orgs, org["id"])
        revoked = await orgs.delete(f"/v1/api-keys/{key['id']}", headers=admin())
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None
        assert (await orgs.delete(f"/v1/api-keys/{key['id']}", headers=admin())).json() == revoked.json()
        refused = await orgs.post("/v1/auth/api-keys/verify", json={"key": key["key"]}, headers=service())
        assert_problem(refused, 401)
        live = (await orgs.get("/v1/api-keys", headers=admin())).json()["items"]
        everything = (await orgs.get("/v1/api-keys", params={"include_revoked": True}, headers=admin())).json()
        assert live == [] and [k["id"] for k in everything["items"]] == [key["id"]]

    @pytest.mark.parametrize("secret", ["", "garbage", "ashyq_abcdefgh_not-a-real-secret-at-all-0123456789abcdef"])
    async def test_an_unknown_key_is_refused(self, orgs, secret):
        response = await orgs.post("/v1/auth/api-keys/verify", json={"key": secret}, headers=service())
        assert_problem(response, 401)

    async def test_a_key_of_an_archived_organization_is_refused(self, orgs):
        org = await create_org(orgs)
        key = await create_key(orgs, org["id"])
        etag = (await orgs.get(f"/v1/orgs/{org['id']}")).headers["ETag"]
        assert (await orgs.delete(f"/v1/orgs/{org['id']}", headers={**admin(), "If-Match": etag})).status_code == 200
        response = await orgs.post("/v1/auth/api-keys/verify", json={"key": key["key"]}, headers=service())
        assert_problem(response, 401)
        body = {"name": "late", "org_id": org["id"], "scopes": ["read"]}
        assert_problem(await orgs.post("/v1/api-keys", json=body, headers=admin()), 422, "org_id")

    async def test_the_organization_must_exist(self, orgs):
        body = {"name": "nowhere", "org_id": 999_999, "scopes": ["read"]}
        assert_problem(await orgs.post("/v1/api-keys", json=body, headers=admin()), 422, "org_id")
        assert_problem(await orgs.post("/v1/api-keys", json={**body, "scopes": []}, headers=admin()), 422, "scopes")

    async def test_a_retried_create_makes_one_key_and_does_not_show_it_again(self, orgs):
        org = await create_org(orgs)
        body = {"name": "e-Otinish", "org_id": org["id"], "scopes": ["read"]}
        headers = {**admin(), "Idempotency-Key": "key-for-e-otinish"}
        first = await orgs.post("/v1/api-keys", json=body, headers=headers)
        assert first.status_code == 201
        again = assert_problem(await orgs.post("/v1/api-keys", json=body, headers=headers), 409)
        assert again["api_key_id"] == first.json()["id"] and first.json()["key"] not in str(again)
        assert len((await orgs.get("/v1/api-keys", headers=admin())).json()["items"]) == 1

    async def test_lists_page_by_page_and_by_organization(self, orgs):
        one, two = await create_org(orgs), await create_org(orgs, "Общественный совет ВКО", "public_council")
        keys = [await create_key(orgs, one["id"]), await create_key(orgs, two["id"]), await create_key(orgs, one["id"])]
        first = (await orgs.get("/v1/api-keys", params={"limit": 2}, headers=admin())).json()
        second = (await orgs.get("/v1/api-keys", params={"limit": 2, "cursor": first["next_cursor"]},
                                 headers=admin())).json()
        assert [k["id"] for k in first["items"] + second["items"]] == [k["id"] for k in keys]
        of_one = (await orgs.get("/v1/api-keys", params={"org_id": one["id"]}, headers=admin())).json()
        assert [k["id"] for k in of_one["items"]] == [keys[0]["id"], keys[2]["id"]]

    @pytest.mark.parametrize("role", [None, Role.admin, Role.coordinator])
    async def test_verifying_needs_a_service_token(self, orgs, role):
        headers = actor_headers(role) if role else {}
        response = await orgs.post("/v1/auth/api-keys/verify", json={"key": "ashyq_x"}, headers=headers)
        assert_problem(response, 403 if role else 401)


class TestCreateAdmin:
    """`ashyq create-admin` writes straight into the orgs database, migrating it first."""

    @pytest.fixture
    def database(self, databases, monkeypatch) -> str:
        url = databases.new("cli")
        monkeypatch.setenv("ORGS_DATABASE_URL", url)
        return url

    def run(self, monkeypatch, argv: list[str], stdin: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return cli.main(["create-admin", *argv])

    def accounts(self, url: str) -> list:
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed)
        try:
            with engine.connect() as connection:
                query = text("SELECT id, login, display_name, roles, password_hash FROM account")
                return list(connection.execute(query).all())
        finally:
            engine.dispose()

    def test_reads_everything_from_stdin_and_prints_the_id(self, database, monkeypatch, capsys):
        assert self.run(monkeypatch, [], f"Root\nАдминистратор Ashyq\n{PASSWORD}\n") == 0
        out, err = capsys.readouterr()
        ((account_id, login, display_name, roles, password_hash),) = self.accounts(database)
        assert out.strip() == str(account_id)
        assert (login, display_name) == ("root", "Администратор Ashyq")
        assert roles in (["admin"], '["admin"]')
        assert password_hash.startswith("$argon2id$")
        assert PASSWORD not in out + err

    def test_takes_login_and_name_as_options(self, database, monkeypatch, capsys):
        assert self.run(monkeypatch, ["--login", "ops", "--display-name", "Ops"], PASSWORD + "\n") == 0
        assert [row[1] for row in self.accounts(database)] == ["ops"]

    def test_refuses_a_login_that_is_taken(self, database, monkeypatch, capsys):
        assert self.run(monkeypatch, ["--login", "root", "--display-name", "Root"], PASSWORD + "\n") == 0
        capsys.readouterr()
        assert self.run(monkeypatch, ["--login", "ROOT", "--display-name", "Other"], PASSWORD + "\n") == 1
        out, err = capsys.readouterr()
        assert out == "" and "'root' already exists" in err
        assert len(self.accounts(database)) == 1

    def test_refuses_a_short_password_without_echoing_it(self, database, monkeypatch, capsys):
        assert self.run(monkeypatch, ["--login", "root", "--display-name", "Root"], "hunter2\n") == 1
        _, err = capsys.readouterr()
        assert "password" in err and "hunter2" not in err
