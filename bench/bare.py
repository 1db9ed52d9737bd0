"""The yardstick: a bare FastAPI endpoint returning a fixed JSON body, served exactly like the services."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI(title="bare")

BODY: dict[str, Any] = {
    "items": [{"id": i, "name": f"Общественное объединение «Жасыл әлем-{i}»", "kind": "ngo"} for i in range(3)],
    "next_cursor": None,
}


@app.get("/bare")
async def bare() -> dict[str, Any]:
    return BODY
