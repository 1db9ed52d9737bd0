"""What every service's FastAPI app shares: lifespan-owned engine, problem handlers, health, metrics, logs."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import make_engine, make_sessionmaker
from services.common.health import health_router
from services.common.logging import install_request_logging
from services.common.metrics import BUSINESS_GAUGES, install_metrics
from services.common.openapi import document_problems
from services.common.problems import install_problem_handlers
from services.common.settings import ServiceSettings


def settle_garbage_collector(environment: str) -> None:
    """Once a server has started: what it imported and built lives as long as the process, so it leaves the
    cyclic collector's generations (`gc.freeze`), and young collections run every 10,000 allocations instead
    of 700 — a list request allocates thousands of short-lived objects. Measured on the dialogue service with
    1,000,000 recommendations: collector time per `GET /v1/recommendations` 1.45 ms → 0.13 ms of 10.7 ms, and
    no more full collections re-scanning ~180,000 objects in the middle of a request. Not in tests, whose
    process starts hundreds of apps (frozen objects are never collected)."""
    if environment == "test":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def service_app(
    name: str,
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str = "1",
    on_startup: Callable[[FastAPI], Any] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        shutdown = None
        try:
            if on_startup is not None:
                shutdown = await on_startup(app)
            settle_garbage_collector(settings.environment)
            yield
        finally:
            if shutdown is not None:
                await shutdown()
            await engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    install_problem_handlers(app)
    document_problems(app)

    def get_engine(request: Request) -> AsyncEngine:
        engine: AsyncEngine = request.app.state.engine
        return engine

    app.include_router(health_router(name, get_engine))
    install_metrics(app, allow_from=settings.metrics_allow_from, gauges=BUSINESS_GAUGES.get(name),
                    cache_seconds=settings.metrics_cache_seconds, get_engine=get_engine)
    install_request_logging(app)  # last: the request id is set before anything else runs
    return app
