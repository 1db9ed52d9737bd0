"""Open data at stable addresses of the gateway: the registry's exports relayed, recommendations as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from services.contracts.dialogue import RecommendationRead
from services.gateway import labels
from services.gateway.deps import PageDep
from services.gateway.pages.common import choice, kato, orgs_by_id, text
from services.gateway.upstream import Upstream

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECOMMENDATION_COLUMNS = [
    "id", "title", "text", "status", "session_id", "addressee_ids", "addressees", "decisions", "response_due_on",
    "is_overdue", "progress_percent", "adopted_at", "sent_at", "closed_at", "escalated_from_id", "region_code",
]


@router.get("/open-data")
async def open_data(page: PageDep) -> Response:
    return page.render("open_data.html", {}, public=True)


async def _relay(upstream: Upstream, page: PageDep, path: str, params: dict[str, str | None],
                 filename: str) -> StreamingResponse:
    """The upstream's export, streamed through; an outage before the first byte is a 503 page."""
    stack = AsyncExitStack()
    response = await stack.enter_async_context(upstream.stream(path, page.caller, params=params))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        finally:
            await stack.aclose()

    stem, _, extension = filename.rpartition(".")
    headers = {"Content-Disposition": f'attachment; filename="ashyq-{stem}-{date.today().isoformat()}.{extension}"'}
    if language := response.headers.get("content-language"):
        headers["Content-Language"] = language
    # The background task closes the upstream stream even when the visitor leaves before the end.
    return StreamingResponse(body(), media_type=response.headers.get("content-type"), headers=headers,
                             background=BackgroundTask(stack.aclose))


def _org_filters(q: str | None, kind: str | None, level: str | None, region: str | None) -> dict[str, str | None]:
    return {"q": text(q), "kind": choice(kind, labels.ORG_KIND), "level": choice(level, labels.ORG_LEVEL),
            "region": kato(region)}


Filter = Annotated[str | None, Query(max_length=200)]


@router.get("/open-data/organizations.csv")
async def organizations_csv(page: PageDep, q: Filter = None, kind: Filter = None, level: Filter = None,
                            region: Filter = None) -> Response:
    return await _relay(page.request.app.state.orgs, page, "/v1/orgs/export.csv",
                        _org_filters(q, kind, level, region), "organizations.csv")


@router.get("/open-data/organizations.xlsx")
async def organizations_xlsx(page: PageDep, q: Filter = None, kind: Filter = None, level: Filter = None,
                             region: Filter = None) -> Response:
    return await _relay(page.request.app.state.orgs, page, "/v1/orgs/export.xlsx",
                        _org_filters(q, kind, level, region), "organizations.xlsx")


@router.get("/open-data/popolo.json")
async def popolo(page: PageDep) -> Response:
    return await _relay(page.request.app.state.orgs, page, "/v1/exports/popolo.json", {}, "popolo.json")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    cell = "" if value is None else str(value)
    if cell and cell[0] in "=+-@\t\r":
        return "'" + cell
    return cell


@router.get("/open-data/recommendations.csv")
async def recommendations_csv(page: PageDep) -> Response:
    """Every public recommendation with its addressees' decisions (UTF-8 with BOM, injection-safe)."""
    recs = await page.dialogue.all_recommendations(order="recent", max_pages=50)
    names = {i: o.name for i, o in (await orgs_by_id(page, {a.org_id for r in recs for a in r.addressees})).items()}
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECOMMENDATION_COLUMNS)
    for rec in recs:
        writer.writerow([safe_cell(v) for v in _row(rec, names)])
    return Response(buffer.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="ashyq-recommendations-{date.today().isoformat()}.csv"'})


def _row(rec: RecommendationRead, names: dict[int, str]) -> list[object]:
    return [
        rec.id, rec.title, rec.text, rec.status.value, rec.session_id,
        ";".join(str(a.org_id) for a in rec.addressees),
        "; ".join(names.get(a.org_id, "") for a in rec.addressees),
        ";".join(f"{a.org_id}:{a.decision.value if a.decision else ''}" for a in rec.addressees),
        rec.response_due_on.isoformat() if rec.response_due_on else "", "true" if rec.is_overdue else "false",
        rec.progress_percent, rec.adopted_at.isoformat() if rec.adopted_at else "",
        rec.sent_at.isoformat() if rec.sent_at else "", rec.closed_at.isoformat() if rec.closed_at else "",
        rec.escalated_from_id, rec.region_code,
    ]
