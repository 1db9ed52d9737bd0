"""Signing in and out against the registry's accounts: CSRF, cookie, re-validation, rate limit."""

from __future__ import annotations

import uuid

import pytest

from tests.gateway.helpers import create_account, csrf_token, disable_account, sign_in, visible_text

PASSWORD = "correct horse battery"


@pytest.fixture
def login():
    return f"coordinator.{uuid.uuid4().hex[:8]}"


class TestCsrf:
    async def test_a_post_without_token_is_refused(self, gateway, login):
        await gateway.get("/login")  # a session with a token exists, the form just does not send it
        r = await gateway.post("/login", data={"login": login, "password": PASSWORD})
        assert r.status_code == 403
        assert "Срок действия формы истёк" in r.text
        assert r.headers["content-type"].startswith("text/html")

    async def test_a_post_with_a_wrong_token_is_refused(self, gateway, login):
        await gateway.get("/login")
        r = await gateway.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": "forged"})
        assert r.status_code == 403

    async def test_a_post_without_any_session_is_refused(self, gateway):
        r = await gateway.post("/logout")
        assert r.status_code == 403

    async def test_htmx_sends_the_token_in_a_header(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        page = (await gateway.get("/login")).text
        assert '<body hx-headers=\'{"X-CSRF-Token": "' in page
        r = await gateway.post("/login", data={"login": login, "password": PASSWORD},
                               headers={"X-CSRF-Token": csrf_token(page), "HX-Request": "true",
                                        "HX-Target": "login-form"})
        assert r.status_code == 200
        assert r.headers["hx-redirect"] == "/"

    async def test_every_form_carries_a_token(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        await sign_in(gateway, login, PASSWORD)
        page = (await gateway.get("/")).text
        assert '<form method="post" action="/logout"' in page
        assert 'name="csrf_token" value="' in page


class TestLogin:
    async def test_signs_in_and_shows_the_account(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD, display_name="Айгерим Сапарова")
        r = await sign_in(gateway, login, PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        assert "ashyq_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "secure" not in cookie.lower()  # only in production
        assert "Айгерим Сапарова" in (await gateway.get("/")).text

    async def test_the_cookie_does_not_hold_the_password(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        r = await sign_in(gateway, login, PASSWORD)
        assert PASSWORD not in r.headers["set-cookie"]

    async def test_wrong_password_is_said_on_the_form_with_the_login_kept(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        r = await sign_in(gateway, login, "wrong password!")
        assert r.status_code == 401
        text = visible_text(r.text)
        assert "Неверный логин или пароль" in text
        assert f'value="{login}"' in r.text
        assert "wrong password!" not in r.text

    async def test_empty_form_is_refused_on_the_form(self, gateway):
        r = await sign_in(gateway, "", "")
        assert r.status_code == 422
        assert "Введите логин и пароль" in r.text

    async def test_goes_back_only_to_a_local_page(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        page = (await gateway.get("/login")).text
        r = await gateway.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(page),
                                               "next": "//evil.example/"})
        assert r.headers["location"] == "/"

    async def test_signs_out(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD, display_name="Айгерим Сапарова")
        await sign_in(gateway, login, PASSWORD)
        page = (await gateway.get("/")).text
        r = await gateway.post("/logout", data={"csrf_token": csrf_token(page)})
        assert r.status_code == 303
        assert "Айгерим Сапарова" not in (await gateway.get("/")).text

    async def test_a_disabled_account_is_out_once_the_cache_expires(self, gateway, orgs, login):
        account = await create_account(orgs, login, PASSWORD, display_name="Айгерим Сапарова")
        await sign_in(gateway, login, PASSWORD)
        assert "Айгерим Сапарова" in (await gateway.get("/")).text
        await disable_account(orgs, account)
        # Within the minute the gateway still trusts what the registry said; then it asks again.
        assert "Айгерим Сапарова" in (await gateway.get("/")).text
        gateway.app.state.session_cache.ttl = 0
        assert "Айгерим Сапарова" not in (await gateway.get("/")).text

    async def test_the_cache_lasts_at_most_a_minute(self):
        from services.gateway.settings import GatewaySettings

        assert GatewaySettings().session_revalidate_seconds <= 60
        with pytest.raises(ValueError):
            GatewaySettings(session_revalidate_seconds=600)


class TestRateLimit:
    async def test_too_many_attempts_get_429_on_the_form(self, gateway, orgs, login):
        await create_account(orgs, login, PASSWORD)
        limit = gateway.app.state.settings.login_attempts_per_minute
        for _ in range(limit):
            r = await sign_in(gateway, login, "wrong password!")
            assert r.status_code == 401
        r = await sign_in(gateway, login, PASSWORD)
        assert r.status_code == 429
        assert "Слишком много попыток входа" in r.text
        assert f'value="{login}"' in r.text

    async def test_successful_sign_ins_do_not_use_up_the_limit(self, gateway, orgs, login):
        """Colleagues behind one address sign in one after another: only failures count."""
        await create_account(orgs, login, PASSWORD)
        limit = gateway.app.state.settings.login_attempts_per_minute
        for _ in range(limit + 2):
            r = await sign_in(gateway, login, PASSWORD)
            assert r.status_code == 303, r.status_code
            r = await gateway.post("/logout", data={"csrf_token": csrf_token((await gateway.get("/")).text)})
            assert r.status_code == 303, r.status_code
        r = await sign_in(gateway, login, "wrong password!")
        assert r.status_code == 401  # failures are still counted from zero: the first one is not yet refused
