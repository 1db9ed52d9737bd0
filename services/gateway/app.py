"""The gateway: the web app (server-rendered pages with htmx) in front of the orgs and dialogue services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from prometheus_client import Gauge
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from services.common.app import settle_garbage_collector
from services.common.logging import install_request_logging
from services.common.metrics import install_metrics, upstream_errors
from services.gateway import i18n
from services.gateway.api.app import create_api_app
from services.gateway.auth import SESSION_KEY, RateLimiter, SessionCache
from services.gateway.errors import CatchAll, install_error_pages
from services.gateway.forms import FLASH_KEY
from services.gateway.live import hub_of
from services.gateway.middleware import LanguageAndRequestId, SecurityHeaders
from services.gateway.pages import (
    admin,
    board,
    console,
    health,
    inbox,
    open_data,
    planner,
    portal,
    protocol_editor,
    registry,
    signin,
)
from services.gateway.public_copies import CopiesMetrics, PageCopies, PublicCopies
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstream
from services.gateway.web import CSRF_SESSION_KEY, Templates, new_csrf_token

log = logging.getLogger("ashyq.gateway")

SESSION_COOKIE = "ashyq_session"


def create_app(settings: GatewaySettings | None = None,
               orgs_transport: httpx.AsyncBaseTransport | None = None,
               dialogue_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    web_dir = settings.web_dir
    i18n.load_catalogs(web_dir / "translations")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        def upstream(service: str, url: str, transport: httpx.AsyncBaseTransport | None) -> Upstream:
            return Upstream(service, url, timeout=settings.upstream_timeout_seconds, transport=transport,
                            secret=settings.service_secret.get_secret_value(),
                            token_ttl=settings.service_token_ttl_seconds)

        app.state.orgs = upstream("orgs", settings.orgs_url, orgs_transport)
        app.state.dialogue = upstream("dialogue", settings.dialogue_url, dialogue_transport)
        app.state.orgs.on_unavailable = app.state.dialogue.on_unavailable = app.state.count_upstream_error
        settle_garbage_collector(settings.environment)
        try:
            yield
        finally:
            await app.state.orgs.aclose()
            await app.state.dialogue.aclose()

    app = FastAPI(title="Ashyq", description="Public portal and workspace of Ashyq.", version="1",
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.templates = Templates(web_dir / "templates")
    app.state.session_cache = SessionCache(settings.session_revalidate_seconds)
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute)
    app.state.reference_cache = {}
    app.state.public_copies = PublicCopies(settings.public_copy_seconds)

    vendor = web_dir / "node_modules"
    if not (vendor / "htmx.org").is_dir():
        log.warning("web/node_modules is missing (run `npm ci --prefix web`): pages work, without htmx")
    app.mount("/static/vendor", StaticFiles(directory=vendor, check_dir=False), name="vendor")
    app.mount("/static", StaticFiles(directory=web_dir / "static"), name="static")

    install_error_pages(app)
    for module in (health, portal, registry, open_data, signin, board, inbox, admin, planner, protocol_editor,
                   console):
        app.include_router(module.router)
    app.mount("/api", create_api_app(app))  # the public JSON API, with its own OpenAPI document

    # Added innermost first: CatchAll sees every error inside the session and the security headers.
    app.add_middleware(CatchAll)
    app.add_middleware(PageCopies, copies=app.state.public_copies, skip_prefix="/api/",
                       private_session_keys=(SESSION_KEY, FLASH_KEY), csrf_key=CSRF_SESSION_KEY,
                       new_token=new_csrf_token)
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret.get_secret_value(),
                       session_cookie=SESSION_COOKIE, max_age=settings.session_max_age_seconds,
                       same_site="lax", https_only=settings.secure_cookies)
    app.add_middleware(LanguageAndRequestId, secure_cookie=settings.secure_cookies)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    # Outermost: requests counted by route template, one access-log line each, and the request id taken or
    # made before anything else runs (LanguageAndRequestId hands it to the pages, which send it upstream).
    metrics = install_metrics(app, allow_from=settings.metrics_allow_from)
    app.state.count_upstream_error = upstream_errors(metrics)
    Gauge("ashyq_live_streams", "Live console streams (server-sent events) open in this process",
          registry=metrics).set_function(lambda: hub_of(app).open_streams)
    metrics.register(CopiesMetrics(app.state.public_copies))
    install_request_logging(app)
    return app


app = create_app()
