"""The dialogue service's typed client of the orgs service: one AsyncClient, explicit timeouts."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from pydantic import ValidationError

from services.common.problems import ServiceUnavailable
from services.contracts.orgs import OrgBatch, OrgRead, PersonBatch, PersonRead


class OrgsUnavailable(ServiceUnavailable):
    title = "The registry (orgs service) is unavailable"
    slug = "orgs-unavailable"


class OrgsClient:
    """Batch reads of organizations and people. GETs are retried once; anything else is an outage."""

    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            headers={"User-Agent": "ashyq-dialogue"},
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str, params: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        last: Exception | None = None
        for _attempt in range(2):
            try:
                response = await self.http.get(path, params=params, headers=headers)
            except httpx.HTTPError as exc:
                last = exc
                continue
            if response.status_code >= 500:
                last = RuntimeError(f"orgs answered {response.status_code}")
                continue
            return response
        raise OrgsUnavailable("The registry could not be reached to check the organizations; nothing was written. "
                              "Try again shortly.") from last

    async def orgs(self, ids: Sequence[int], request_id: str | None = None) -> tuple[dict[int, OrgRead], list[int]]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}, []
        headers = {"X-Request-ID": request_id} if request_id else None
        response = await self._get("/v1/orgs/batch", {"ids": ",".join(map(str, wanted))}, headers)
        try:
            batch = OrgBatch.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrgsUnavailable("The registry gave an answer this service does not understand.") from exc
        return {o.id: o for o in batch.items}, batch.missing

    async def people(self, ids: Sequence[int]) -> tuple[dict[int, PersonRead], list[int]]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}, []
        response = await self._get("/v1/people/batch", {"ids": ",".join(map(str, wanted))})
        try:
            batch = PersonBatch.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrgsUnavailable("The registry gave an answer this service does not understand.") from exc
        return {p.id: p for p in batch.items}, batch.missing
