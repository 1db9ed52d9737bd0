"""The dialogue service's typed client of the orgs service: one AsyncClient, explicit timeouts."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from pydantic import ValidationError

from services.common.db import MAX_ID
from services.common.logging import forward_request_id
from services.common.problems import ServiceUnavailable
from services.contracts.orgs import OrgBatch, OrgRead, PersonBatch, PersonRead


class OrgsUnavailable(ServiceUnavailable):
    title = "The registry (orgs service) is unavailable"
    slug = "orgs-unavailable"


def _askable(ids: Sequence[int]) -> tuple[list[int], list[int]]:
    """Ids worth asking the registry about, and those that cannot name a record there (0, negative, too large):
    the latter are simply missing — sending them would make the registry refuse the whole batch."""
    wanted = sorted(set(ids))
    return [i for i in wanted if 0 < i <= MAX_ID], [i for i in wanted if not 0 < i <= MAX_ID]


class OrgsClient:
    """Batch reads of organizations and people. GETs are retried once; anything else is an outage."""

    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            headers={"User-Agent": "ashyq-dialogue"},
            event_hooks={"request": [forward_request_id]},  # the request being served goes on with its id
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
        wanted, impossible = _askable(ids)
        if not wanted:
            return {}, impossible
        headers = {"X-Request-ID": request_id} if request_id else None
        response = await self._get("/v1/orgs/batch", {"ids": ",".join(map(str, wanted))}, headers)
        try:
            batch = OrgBatch.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrgsUnavailable("The registry gave an answer this service does not understand.") from exc
        return {o.id: o for o in batch.items}, [*batch.missing, *impossible]

    async def people(self, ids: Sequence[int]) -> tuple[dict[int, PersonRead], list[int]]:
        wanted, impossible = _askable(ids)
        if not wanted:
            return {}, impossible
        response = await self._get("/v1/people/batch", {"ids": ",".join(map(str, wanted))})
        try:
            batch = PersonBatch.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrgsUnavailable("The registry gave an answer this service does not understand.") from exc
        return {p.id: p for p in batch.items}, [*batch.missing, *impossible]

    async def people_with_contacts(self, ids: Sequence[int], token: str) -> dict[int, PersonRead]:
        """People with their private contacts, read with a service token (the worker, to mail invitations).
        What is read here is used to send one message and never stored or logged."""
        wanted, _ = _askable(ids)
        if not wanted:
            return {}
        response = await self._get("/v1/people/batch", {"ids": ",".join(map(str, wanted))},
                                   {"Authorization": f"Bearer {token}"})
        try:
            batch = PersonBatch.model_validate_json(response.content)
        except ValidationError as exc:
            raise OrgsUnavailable("The registry gave an answer this service does not understand.") from exc
        return {p.id: p for p in batch.items}
