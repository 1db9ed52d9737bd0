"""The dialogue service: sessions, agenda, participants, protocols, recommendations, action plans, outbox."""

import asyncio
import contextlib
import logging
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.app import service_app
from services.dialogue.api import router
from services.dialogue.api_exports import router as exports_router
from services.dialogue.api_outbound import router as outbound_router
from services.dialogue.api_responsiveness import router as responsiveness_router
from services.dialogue.orgs_client import OrgsClient
from services.dialogue.recommendations import sweep_overdue
from services.dialogue.responsiveness import ResponsivenessCache
from services.dialogue.settings import DialogueSettings

log = logging.getLogger("ashyq.dialogue")


async def _overdue_sweeper(app: FastAPI, every: float) -> None:
    """Notes newly overdue recommendations in the outbox; runs on every replica, which is safe:
    each recommendation is noted once (overdue_noted_at) in the same transaction as its event."""
    while True:
        await asyncio.sleep(every)
        try:
            async with app.state.sessionmaker() as session:
                await sweep_overdue(session)
                await session.commit()
        except Exception:
            log.exception("overdue sweep failed; retrying at the next interval")


def create_app(
    settings: DialogueSettings | None = None, orgs_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or DialogueSettings()

    async def startup(app: FastAPI) -> Any:
        app.state.orgs = OrgsClient(settings.orgs_url, settings.orgs_timeout_seconds, transport=orgs_transport)
        app.state.responsiveness = ResponsivenessCache()
        sweeper = asyncio.create_task(_overdue_sweeper(app, settings.overdue_sweep_seconds))

        async def shutdown() -> None:
            await app.state.responsiveness.aclose()
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await app.state.orgs.aclose()

        return shutdown

    app = service_app(
        "dialogue", settings, title="Ashyq dialogue",
        description="Sessions, protocols and recommendations, followed to the state body's answer.",
        on_startup=startup,
    )
    app.include_router(exports_router)  # before `router`: /v1/sessions/{id}.ics must win over /v1/sessions/{id}
    app.include_router(router)
    app.include_router(outbound_router)
    app.include_router(responsiveness_router)
    return app


app = create_app()
