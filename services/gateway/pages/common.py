"""Small helpers the pages share: reading filters from the address, names of regions and organizations."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from services.contracts.orgs import OrgRead
from services.gateway.deps import Page
from services.gateway.i18n import current_language

REGION_CACHE_SECONDS = 600  # regions hardly ever change
BODIES_CACHE_SECONDS = 60  # a state body added to the registry is offered in the filters within a minute
T = TypeVar("T")
_KATO = re.compile(r"^\d{9}$")
_CURSOR = re.compile(r"^[A-Za-z0-9_\-=]{1,2000}$")


def choice(value: str | None, allowed: Iterable[str]) -> str | None:
    """A filter value if it is one of the allowed codes; anything else (incl. "All" = "") means no filter."""
    return value if value and value in set(allowed) else None


def choices(values: list[str], allowed: Iterable[str]) -> list[str]:
    allowed = set(allowed)
    return [v for v in values if v in allowed]


def kato(value: str | None) -> str | None:
    return value if value and _KATO.match(value) else None


def cursor(value: str | None) -> str | None:
    return value if value and _CURSOR.match(value) else None


def text(value: str | None, limit: int = 200) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def positive_int(value: str | None) -> int | None:
    if value and value.isdigit() and 0 < int(value) < 2**31:
        return int(value)
    return None


async def reference(page: Page, key: str, load: Callable[[], Awaitable[T | None]], seconds: float) -> T | None:
    """Reference data shown around a page's content (region names, the state bodies of a filter), kept `seconds`
    per language in this process, so a page view does not fetch and parse it again. `load` answers None when its
    service is down (`page.soft`); the last copy is served then, however old, or None if there is none."""
    cache: dict[tuple[str, str], tuple[float, object]] = page.request.app.state.reference_cache
    cache_key = (key, current_language())
    hit = cache.get(cache_key)
    if hit and time.monotonic() - hit[0] < seconds:
        return hit[1]  # type: ignore[return-value]  # stored under this key by this function with the same T
    value = await load()
    if value is None:
        return hit[1] if hit else None  # type: ignore[return-value]
    cache[cache_key] = (time.monotonic(), value)
    return value


async def region_names(page: Page) -> dict[str, str]:
    """Every KATO region's name in the page language."""
    async def load() -> dict[str, str] | None:
        regions = await page.soft(page.orgs.regions(), None)
        return None if regions is None else {r.code: r.name for r in regions}

    return await reference(page, "region_names", load, REGION_CACHE_SECONDS) or {}


async def top_regions(page: Page) -> list[tuple[str, str]]:
    """The 20 top-level regions (oblasts and the three cities), for filters."""
    async def load() -> list[tuple[str, str]] | None:
        regions = await page.soft(page.orgs.regions(top_level=True), None)
        return None if regions is None else sorted(((r.code, r.name) for r in regions), key=lambda pair: pair[1])

    return await reference(page, "top_regions", load, REGION_CACHE_SECONDS) or []


async def state_bodies(page: Page, limit: int = 200) -> list[OrgRead]:
    """State bodies (the first `limit` in the registry's order) sorted by name, for the addressee filters."""
    async def load() -> list[OrgRead] | None:
        bodies = await page.soft(page.orgs.list_orgs(kind=["state_body"], limit=limit), None)
        return None if bodies is None else sorted(bodies.items, key=lambda o: o.name)

    return await reference(page, f"state_bodies:{limit}", load, BODIES_CACHE_SECONDS) or []


async def orgs_by_id(page: Page, ids: Iterable[int]) -> dict[int, OrgRead]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return await page.soft(page.orgs.orgs_by_id(ids), {})
