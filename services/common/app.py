"""What every service's FastAPI app shares: lifespan-owned engine, problem handlers, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import make_engine, make_sessionmaker
from services.common.health import health_router
from services.common.problems import install_problem_handlers
from services.common.settings import ServiceSettings


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
            yield
        finally:
            if shutdown is not None:
                await shutdown()
            await engine.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    install_problem_handlers(app)

    def get_engine(request: Request) -> AsyncEngine:
        engine: AsyncEngine = request.app.state.engine
        return engine

    app.include_router(health_router(name, get_engine))
    return app
