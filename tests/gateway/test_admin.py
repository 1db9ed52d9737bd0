"""The admin pages: accounts (create, edit, disable, reset a password) and API keys (the secret shown once)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from services.contracts.auth import Role
from tests.conftest import actor_headers
from tests.dialogue.helpers import state_body
from tests.gateway.helpers import XSS, create_account, csrf_token, sign_in, visible_text

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another horse battery"
ACCOUNTS = "/admin/accounts"
KEYS = "/admin/api-keys"


async def signed_in(gateway: httpx.AsyncClient, orgs: httpx.AsyncClient, *roles: str,
                    org_ids: list[int] | None = None) -> dict:
    login = f"{roles[0]}.{uuid.uuid4().hex[:8]}"
    account = await create_account(orgs, login, PASSWORD, roles=list(roles), org_ids=org_ids)
    r = await sign_in(gateway, login, PASSWORD)
    assert r.status_code == 303, r.text
    return account


@asynccontextmanager
async def another_browser(gateway: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (own cookies) on the same gateway."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app), base_url="http://testserver") as b:
        yield b


@pytest.fixture
async def akimat(orgs):
    return await state_body(orgs, "Акимат Восточно-Казахстанской области")


@pytest.fixture
async def admin(gateway, orgs, dialogue):
    await signed_in(gateway, orgs, "admin")
    return gateway


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match[1]


async def create_via_form(admin: httpx.AsyncClient, **fields: object) -> httpx.Response:
    page = (await admin.get(f"{ACCOUNTS}/new")).text
    data = {"csrf_token": csrf_token(page), "idempotency_key": hidden(page, "idempotency_key"), "language": "ru",
            **fields}
    return await admin.post(ACCOUNTS, data=data)


async def verify(orgs: httpx.AsyncClient, key: str) -> int:
    r = await orgs.post("/v1/auth/api-keys/verify", json={"key": key}, headers=actor_headers(Role.service))
    return r.status_code


class TestAccess:
    @pytest.mark.parametrize("path", [ACCOUNTS, f"{ACCOUNTS}/new", KEYS, f"{KEYS}/new"])
    async def test_anonymous_is_sent_to_sign_in(self, gateway, path):
        r = await gateway.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")

    @pytest.mark.parametrize("roles", [("coordinator",), ("member",), ("representative",)])
    async def test_only_admins_open_them(self, gateway, orgs, akimat, roles):
        await signed_in(gateway, orgs, *roles, org_ids=[akimat])
        for path in (ACCOUNTS, f"{ACCOUNTS}/new", KEYS, f"{KEYS}/new"):
            assert (await gateway.get(path)).status_code == 403, path
        token = csrf_token((await gateway.get("/")).text)
        r = await gateway.post(KEYS, data={"name": "x", "org": str(akimat), "scopes": "read", "csrf_token": token})
        assert r.status_code == 403

    async def test_an_admin_opens_them(self, admin):
        for path in (ACCOUNTS, f"{ACCOUNTS}/new", KEYS, f"{KEYS}/new"):
            r = await admin.get(path)
            assert r.status_code == 200, path


class TestAccounts:
    async def test_creates_an_account_that_can_sign_in(self, admin, orgs, akimat):
        r = await create_via_form(admin, login="Rep.Akimat", display_name="Ержан Представитель",
                                  roles=["representative"], orgs=str(akimat), password=PASSWORD,
                                  password_confirm=PASSWORD)
        assert r.status_code == 303, visible_text(r.text)
        page = (await admin.get(r.headers["location"])).text
        assert "rep.akimat" in page and "можно войти" in visible_text(page)
        # The header still names the admin who is signed in, not the account on the page.
        assert '<span class="account-name">Айгерим Координатор</span>' in page
        assert PASSWORD not in page
        async with another_browser(admin) as browser:
            assert (await sign_in(browser, "rep.akimat", PASSWORD)).status_code == 303
            assert (await browser.get("/workspace/inbox")).status_code == 200

    async def test_lists_and_searches_accounts(self, admin, orgs):
        await create_account(orgs, "aigerim.b", PASSWORD, display_name=XSS)
        await create_account(orgs, "bolat.k", PASSWORD)
        page = (await admin.get(ACCOUNTS, params={"q": "aigerim"})).text
        assert "aigerim.b" in page and "bolat.k" not in page
        assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        r = await admin.get(ACCOUNTS, params={"q": "bolat"}, headers={"HX-Request": "true", "HX-Target": "results"})
        assert "<html" not in r.text and "bolat.k" in r.text

    async def test_a_bad_form_keeps_the_input_but_never_the_password(self, admin, orgs):
        r = await create_via_form(admin, login="rep.x", display_name="Имя " + XSS, roles=["representative"],
                                  password="short", password_confirm="short")
        assert r.status_code == 422
        assert "Пароль должен быть не короче 10 символов." in visible_text(r.text)
        assert 'value="rep.x"' in r.text and "Имя &lt;script&gt;" in r.text
        assert 'value="short"' not in r.text and "short" not in visible_text(r.text)
        r = await create_via_form(admin, login="rep.x", display_name="Имя", roles=["representative"],
                                  password=PASSWORD, password_confirm=PASSWORD)
        assert r.status_code == 422
        assert 'id="orgs-error"' in r.text
        assert "Представитель говорит от имени хотя бы одной организации" in visible_text(r.text)
        assert PASSWORD not in r.text
        page = await orgs.get("/v1/accounts", params={"q": "rep.x"}, headers=actor_headers(Role.admin))
        assert page.json()["items"] == []

    async def test_a_taken_login_is_said_at_the_login(self, admin, orgs):
        await create_account(orgs, "taken.login", PASSWORD)
        r = await create_via_form(admin, login="taken.login", display_name="Другой", roles=["coordinator"],
                                  password=PASSWORD, password_confirm=PASSWORD)
        assert r.status_code == 409
        assert 'id="login-error"' in r.text and "Этот логин уже занят." in visible_text(r.text)

    async def test_passwords_must_match(self, admin):
        r = await create_via_form(admin, login="two.passwords", display_name="Имя", roles=["coordinator"],
                                  password=PASSWORD, password_confirm=NEW_PASSWORD)
        assert r.status_code == 422 and 'id="password_confirm-error"' in r.text

    async def test_edits_roles_and_organizations(self, admin, orgs, akimat):
        account = await create_account(orgs, "member.one", PASSWORD, roles=["member"], org_ids=[akimat])
        page = (await admin.get(f"{ACCOUNTS}/{account['id']}")).text
        assert f'<option value="{akimat}" selected>' in page
        r = await admin.post(f"{ACCOUNTS}/{account['id']}", data={
            "csrf_token": csrf_token(page), "version": hidden(page, "version"), "display_name": "Член совета",
            "roles": ["member", "representative"], "orgs": str(akimat), "language": "kk"})
        assert r.status_code == 303
        saved = (await orgs.get(f"/v1/accounts/{account['id']}", headers=actor_headers(Role.admin))).json()
        assert saved["roles"] == ["member", "representative"] and saved["language"] == "kk"
        assert saved["display_name"] == "Член совета"

    async def test_a_stale_form_says_the_account_changed_meanwhile(self, admin, orgs):
        account = await create_account(orgs, "stale.one", PASSWORD)
        page = (await admin.get(f"{ACCOUNTS}/{account['id']}")).text
        r = await orgs.get(f"/v1/accounts/{account['id']}", headers=actor_headers(Role.admin))
        await orgs.patch(f"/v1/accounts/{account['id']}", json={"display_name": "Изменено"},
                         headers={**actor_headers(Role.admin), "If-Match": r.headers["ETag"]})
        r = await admin.post(f"{ACCOUNTS}/{account['id']}", data={
            "csrf_token": csrf_token(page), "version": hidden(page, "version"), "display_name": "Моё имя",
            "roles": ["coordinator"], "language": "ru"})
        assert r.status_code == 412
        assert "изменил эту запись" in visible_text(r.text)
        assert 'value="Моё имя"' in r.text
        saved = (await orgs.get(f"/v1/accounts/{account['id']}", headers=actor_headers(Role.admin))).json()
        assert saved["display_name"] == "Изменено"

    async def test_a_disabled_account_is_out_once_the_cache_expires(self, admin, orgs):
        account = await create_account(orgs, "soon.disabled", PASSWORD, display_name="Скоро отключён")
        async with another_browser(admin) as browser:
            await sign_in(browser, "soon.disabled", PASSWORD)
            assert "Скоро отключён" in (await browser.get("/")).text
            page = (await admin.get(ACCOUNTS)).text
            r = await admin.post(f"{ACCOUNTS}/{account['id']}/disable",
                                 data={"csrf_token": csrf_token(page), "version": str(account["version"]),
                                       "back": ACCOUNTS})
            assert r.status_code == 303 and r.headers["location"] == ACCOUNTS
            assert "отключена" in visible_text((await admin.get(ACCOUNTS)).text)
            admin.app.state.session_cache.ttl = 0  # the settings allow it; in production at most a minute
            assert "Скоро отключён" not in (await browser.get("/")).text
            assert (await sign_in(browser, "soon.disabled", PASSWORD)).status_code == 401
        page = (await admin.get(f"{ACCOUNTS}/{account['id']}")).text
        r = await admin.post(f"{ACCOUNTS}/{account['id']}/enable",
                             data={"csrf_token": csrf_token(page), "version": hidden(page, "version")})
        assert r.status_code == 303
        async with another_browser(admin) as browser:
            assert (await sign_in(browser, "soon.disabled", PASSWORD)).status_code == 303

    async def test_the_last_admin_cannot_disable_itself(self, gateway, orgs):
        me = await signed_in(gateway, orgs, "admin")
        page = (await gateway.get(f"{ACCOUNTS}/{me['id']}")).text
        r = await gateway.post(f"{ACCOUNTS}/{me['id']}/disable",
                               data={"csrf_token": csrf_token(page), "version": hidden(page, "version")})
        assert r.status_code == 409
        assert "последний активный администратор" in visible_text(r.text)

    async def test_resets_a_password(self, admin, orgs):
        account = await create_account(orgs, "forgot.password", PASSWORD)
        page = (await admin.get(f"{ACCOUNTS}/{account['id']}")).text
        r = await admin.post(f"{ACCOUNTS}/{account['id']}/password",
                             data={"csrf_token": csrf_token(page), "password": NEW_PASSWORD,
                                   "password_confirm": "something else"})
        assert r.status_code == 422 and NEW_PASSWORD not in r.text
        r = await admin.post(f"{ACCOUNTS}/{account['id']}/password",
                             data={"csrf_token": csrf_token(page), "password": NEW_PASSWORD,
                                   "password_confirm": NEW_PASSWORD})
        assert r.status_code == 303
        async with another_browser(admin) as browser:
            assert (await sign_in(browser, "forgot.password", PASSWORD)).status_code == 401
            assert (await sign_in(browser, "forgot.password", NEW_PASSWORD)).status_code == 303

    async def test_a_post_without_csrf_token_is_refused(self, admin, orgs):
        r = await admin.post(ACCOUNTS, data={"login": "no.token", "display_name": "Без токена",
                                             "roles": "coordinator", "password": PASSWORD,
                                             "password_confirm": PASSWORD})
        assert r.status_code == 403
        page = await orgs.get("/v1/accounts", params={"q": "no.token"}, headers=actor_headers(Role.admin))
        assert page.json()["items"] == []


class TestApiKeys:
    async def test_the_secret_is_shown_once_verifies_and_stops_when_revoked(self, admin, orgs, akimat):
        page = (await admin.get(f"{KEYS}/new")).text
        r = await admin.post(KEYS, data={"name": "e-Otinish ВКО", "org": str(akimat), "scopes": ["read", "answer"],
                                         "idempotency_key": hidden(page, "idempotency_key"),
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 201
        assert r.headers["cache-control"] == "no-store"
        secret = re.search(r'id="secret" type="text" class="mono secret" value="(ashyq_[^"]+)"', r.text)[1]
        assert await verify(orgs, secret) == 200
        listing = (await admin.get(KEYS)).text
        assert "e-Otinish ВКО" in listing and secret not in listing
        prefix = secret.split("_")[1]
        assert f"ashyq_{prefix}_…" in listing
        # The same form sent again (reload, double click) makes no second key and shows no secret.
        again = await admin.post(KEYS, data={"name": "e-Otinish ВКО", "org": str(akimat), "scopes": ["read", "answer"],
                                             "idempotency_key": hidden(page, "idempotency_key"),
                                             "csrf_token": csrf_token(page)})
        assert again.status_code == 409 and secret not in again.text
        assert "секрет был показан" in visible_text(again.text)
        key_id = re.search(r'action="/admin/api-keys/(\d+)/revoke"', listing)[1]
        r = await admin.post(f"{KEYS}/{key_id}/revoke", data={"csrf_token": csrf_token(listing)})
        assert r.status_code == 303 and r.headers["location"] == KEYS
        assert await verify(orgs, secret) == 401
        listing = (await admin.get(KEYS)).text
        assert "отозван" in visible_text(listing)
        assert '<th scope="row">e-Otinish ВКО</th>' not in listing
        assert '<th scope="row">e-Otinish ВКО</th>' in (await admin.get(KEYS, params={"revoked": "1"})).text

    async def test_a_bad_form_says_what_is_wrong(self, admin, akimat):
        page = (await admin.get(f"{KEYS}/new")).text
        r = await admin.post(KEYS, data={"name": XSS, "csrf_token": csrf_token(page)})
        assert r.status_code == 422
        assert 'id="org-error"' in r.text and 'id="scopes-error"' in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and XSS not in r.text
        r = await admin.post(KEYS, data={"name": "", "org": str(akimat), "scopes": "read",
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 422 and 'id="name-error"' in r.text
        assert f'<option value="{akimat}" selected>' in r.text

    async def test_the_organization_picker_searches_without_javascript(self, admin, akimat):
        page = (await admin.get(f"{KEYS}/new")).text
        r = await admin.post(KEYS, data={"name": "Ключ", "org_q": "акимат", "find": "org",
                                         "csrf_token": csrf_token(page)})
        assert r.status_code == 200
        assert f'<option value="{akimat}"' in r.text and 'value="Ключ"' in r.text


class TestLanguages:
    @pytest.mark.parametrize(("lang", "word"), [("ru", "Учётные записи"), ("kk", "Есептік жазбалар"),
                                                ("en", "Accounts")])
    async def test_renders_in_each_language(self, admin, orgs, lang, word):
        account = await create_account(orgs, "some.one", PASSWORD)
        for path in (ACCOUNTS, f"{ACCOUNTS}/new", f"{ACCOUNTS}/{account['id']}", KEYS, f"{KEYS}/new"):
            r = await admin.get(path, params={"lang": lang})
            assert r.status_code == 200, path
            assert f'<html lang="{lang}">' in r.text and word in r.text


class TestDegradation:
    async def test_the_admin_pages_need_only_the_registry(self, gateway_without_dialogue, orgs):
        await signed_in(gateway_without_dialogue, orgs, "admin")
        for path in (ACCOUNTS, f"{ACCOUNTS}/new", KEYS, f"{KEYS}/new"):
            r = await gateway_without_dialogue.get(path)
            assert r.status_code == 200, path
