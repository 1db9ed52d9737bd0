"""Small helpers the pages share: reading filters from the address, names of regions and organizations."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from services.contracts.orgs import OrgRead
from services.gateway.deps import Page
from services.gateway.i18n import current_language

REGION_CACHE_SECONDS = 600
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


async def region_names(page: Page) -> dict[str, str]:
    """Every KATO region's name in the page language; cached ten minutes (regions hardly ever change)."""
    language = current_language()
    cache: dict[str, tuple[float, dict[str, str]]] = page.request.app.state.region_cache
    hit = cache.get(language)
    if hit and time.monotonic() - hit[0] < REGION_CACHE_SECONDS:
        return hit[1]
    regions = await page.soft(page.orgs.regions(), None)
    if regions is None:
        return hit[1] if hit else {}
    names = {r.code: r.name for r in regions}
    cache[language] = (time.monotonic(), names)
    return names


async def top_regions(page: Page) -> list[tuple[str, str]]:
    """The 20 top-level regions (oblasts and the three cities), for filters."""
    regions = await page.soft(page.orgs.regions(top_level=True), [])
    return sorted(((r.code, r.name) for r in regions), key=lambda pair: pair[1])


async def orgs_by_id(page: Page, ids: Iterable[int]) -> dict[int, OrgRead]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return await page.soft(page.orgs.orgs_by_id(ids), {})
