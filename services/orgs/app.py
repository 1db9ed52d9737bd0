"""The organizations registry service: regions, organizations, people, memberships."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import service_app
from services.orgs.api import router
from services.orgs.api_accounts import router as accounts_router
from services.orgs.api_exchange import router as exchange_router
from services.orgs.settings import OrgsSettings


def create_app(settings: OrgsSettings | None = None) -> FastAPI:
    settings = settings or OrgsSettings()
    app = service_app(
        "orgs", settings, title="Ashyq registry",
        description="State bodies, public councils, NGOs and the people in them.",
    )
    app.include_router(exchange_router)  # first: /v1/orgs/export.csv is not /v1/orgs/{org_id}
    app.include_router(router)
    app.include_router(accounts_router)
    return app


app = create_app()
