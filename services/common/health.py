"""/livez and /readyz: alive, and ready when the database answers and migrations are at head."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.migrations import declared_heads, stored_revisions


def health_router(service: str, get_engine: Callable[[Request], AsyncEngine]) -> APIRouter:
    router = APIRouter(tags=["health"])
    heads = declared_heads(service)  # without Alembic: see services.common.migrations

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        engine = get_engine(request)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current = await stored_revisions(engine)
            checks["migrations"] = "ok" if current == heads else f"at {sorted(current)}, head is {sorted(heads)}"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ready else "unavailable", "service": service, "checks": checks},
                            status_code=200 if ready else 503)

    return router
