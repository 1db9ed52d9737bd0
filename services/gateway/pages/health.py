"""/livez and /readyz of the gateway. Ready means serving: an upstream outage degrades pages, not readiness."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/livez")
async def livez() -> dict[str, str]:
    return {"status": "ok", "service": "gateway"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, object]:
    async def probe(name: str) -> str:
        upstream = getattr(request.app.state, name)
        try:
            response = await upstream.http.get("/livez", timeout=2.0)
        except httpx.HTTPError as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok" if response.status_code == 200 else f"HTTP {response.status_code}"

    orgs, dialogue = await asyncio.gather(probe("orgs"), probe("dialogue"))
    return {"status": "ok", "service": "gateway", "upstreams": {"orgs": orgs, "dialogue": dialogue}}
