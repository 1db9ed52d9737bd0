"""ASGI middleware of the gateway: security headers on every response, the visitor's language and request id."""

from __future__ import annotations

import uuid
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logging import current_request_id
from services.gateway import i18n

LANGUAGE_COOKIE = "ashyq_lang"

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeaders:
    """CSP without inline scripts or styles, no framing, no sniffing, no referrer leaks; HSTS in production."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LanguageAndRequestId:
    """Picks the page language (?lang=, the cookie, Accept-Language; Russian by default) and a request id.

    A `?lang=` choice is remembered in a cookie, so the switcher is a plain link that works without
    JavaScript. The request id — taken from X-Request-ID when it looks like one, else made, and echoed by the
    request-id middleware outside this one (services.common.logging) — goes to the pages, which send it upstream.
    """

    def __init__(self, app: ASGIApp, *, secure_cookie: bool = False) -> None:
        self.app = app
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookie = None
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
                cookie = jar[LANGUAGE_COOKIE].value if LANGUAGE_COOKIE in jar else None
            except Exception:
                cookie = None
        language = i18n.pick_language(query, cookie, headers.get("accept-language"))
        i18n.set_language(language)
        request_id = current_request_id() or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["language"] = language
        state["request_id"] = request_id
        remember = query is not None and query.lower() in i18n.LANGUAGES and query.lower() != cookie

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Content-Language"] = language
                if remember:
                    flags = "; Secure" if self.secure_cookie else ""
                    out.append("Set-Cookie", f"{LANGUAGE_COOKIE}={language}; Path=/; Max-Age=31536000; "
                                             f"SameSite=Lax{flags}")
            await send(message)

        await self.app(scope, receive, send_wrapper)
