"""Typed clients of the orgs and dialogue services, bound to one caller; methods return contract models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from services.contracts import dialogue as d
from services.contracts import orgs as o
from services.contracts.accounts import LoginRequest, LoginSession
from services.gateway.upstream import Caller, Params, Upstream, UpstreamProblem

MAX_BATCH = 500
PAGE = 200  # the services' largest page


class OrgsClient:
    """The registry, as the pages need it. People come without contacts: no page ever shows them."""

    def __init__(self, upstream: Upstream, caller: Caller) -> None:
        self.up, self.caller = upstream, caller

    async def list_orgs(self, *, q: str | None = None, kind: list[str] | None = None, level: str | None = None,
                        region: str | None = None, parent_id: int | None = None,
                        attached_to_id: int | None = None, limit: int = 25, cursor: str | None = None) -> o.OrgPage:
        params: Params = {"q": q, "kind": kind or [], "level": level, "region": region, "parent_id": parent_id,
                          "attached_to_id": attached_to_id, "limit": limit, "cursor": cursor}
        return await self.up.get("/v1/orgs", self.caller, o.OrgPage, params=params)

    async def org(self, org_id: int) -> o.OrgRead:
        return await self.up.get(f"/v1/orgs/{org_id}", self.caller, o.OrgRead)

    async def org_members(self, org_id: int) -> o.OrgMembers:
        return await self.up.get(f"/v1/orgs/{org_id}/members", self.caller, o.OrgMembers)

    async def orgs_by_id(self, ids: Iterable[int]) -> dict[int, o.OrgRead]:
        wanted = sorted({i for i in ids if i})
        found: dict[int, o.OrgRead] = {}
        for start in range(0, len(wanted), MAX_BATCH):
            chunk = wanted[start:start + MAX_BATCH]
            batch = await self.up.get("/v1/orgs/batch", self.caller, o.OrgBatch,
                                      params={"ids": ",".join(map(str, chunk))})
            found.update((org.id, org) for org in batch.items)
        return found

    async def people_by_id(self, ids: Iterable[int]) -> dict[int, o.PersonRead]:
        wanted = sorted({i for i in ids if i})
        found: dict[int, o.PersonRead] = {}
        for start in range(0, len(wanted), MAX_BATCH):
            chunk = wanted[start:start + MAX_BATCH]
            batch = await self.up.get("/v1/people/batch", self.caller, o.PersonBatch,
                                      params={"ids": ",".join(map(str, chunk))})
            # Contacts are private: dropped here, so no template can show them by mistake.
            found.update((p.id, p.model_copy(update={"contacts": None})) for p in batch.items)
        return found

    async def regions(self, *, parent_code: str | None = None, top_level: bool = False) -> list[o.RegionRead]:
        page = await self.up.get("/v1/regions", self.caller, o.RegionPage,
                                 params={"parent_code": parent_code, "top_level": top_level or None, "limit": PAGE})
        return page.items

    async def composition(self, org_id: int) -> o.CompositionCheck:
        return await self.up.get(f"/v1/orgs/{org_id}/composition", self.caller, o.CompositionCheck)

    async def composition_checks(self, *, region: str | None = None, with_findings_only: bool = False,
                                 limit: int = 50, cursor: str | None = None) -> o.CompositionCheckPage:
        return await self.up.get("/v1/composition-checks", self.caller, o.CompositionCheckPage,
                                 params={"region": region, "with_findings_only": with_findings_only or None,
                                         "limit": limit, "cursor": cursor})

    # --- sign-in (orgs stores accounts and login sessions) ---------------------------------------

    async def login(self, login: str, password: str) -> LoginSession:
        body = LoginRequest(login=login, password=password).model_dump()
        response = await self.up.send("POST", "/v1/auth/login", self.caller, json=body)
        return self.up.parse(response, LoginSession)

    async def current_session(self, token: str) -> LoginSession | None:
        """The login session behind `token`, or None when it ended (expired, revoked, account disabled)."""
        try:
            return await self.up.get("/v1/auth/sessions/current", self.caller_with(token), LoginSession)
        except UpstreamProblem as exc:
            if exc.status in (401, 403, 404):
                return None
            raise

    async def logout(self, token: str) -> None:
        with contextlib.suppress(UpstreamProblem):  # already ended
            await self.up.send("DELETE", "/v1/auth/sessions/current", self.caller_with(token))

    # --- admin: accounts and API keys -------------------------------------------------------------

    def caller_with(self, token: str) -> Caller:
        return Caller(actor=self.caller.actor, language=self.caller.language, request_id=self.caller.request_id,
                      session_token=token)


class DialogueClient:
    """Sessions, protocols and recommendations, as the pages need them."""

    def __init__(self, upstream: Upstream, caller: Caller) -> None:
        self.up, self.caller = upstream, caller

    async def list_sessions(self, *, q: str | None = None, status: list[str] | None = None,
                            kind: list[str] | None = None, region: str | None = None,
                            organizer_id: int | None = None, parent_id: int | None = None,
                            starts_from: str | None = None, starts_before: str | None = None,
                            limit: int = 20, cursor: str | None = None) -> d.SessionPage:
        params: Params = {"q": q, "status": status or [], "kind": kind or [], "region": region,
                          "organizer_id": organizer_id, "parent_id": parent_id, "starts_from": starts_from,
                          "starts_before": starts_before, "limit": limit, "cursor": cursor}
        return await self.up.get("/v1/sessions", self.caller, d.SessionPage, params=params)

    async def session(self, session_id: int) -> d.SessionRead:
        return await self.up.get(f"/v1/sessions/{session_id}", self.caller, d.SessionRead)

    async def agenda(self, session_id: int) -> list[d.AgendaItemRead]:
        return await self.up.get_list(f"/v1/sessions/{session_id}/agenda", self.caller, d.AgendaItemRead)

    async def attendance(self, session_id: int) -> d.Attendance:
        return await self.up.get(f"/v1/sessions/{session_id}/attendance", self.caller, d.Attendance)

    async def protocol_versions(self, session_id: int) -> list[d.ProtocolRead]:
        return await self.up.get_list(f"/v1/sessions/{session_id}/protocol/versions", self.caller, d.ProtocolRead)

    async def list_recommendations(self, *, status: list[str] | None = None, addressee_id: int | None = None,
                                   region: str | None = None, session_id: int | None = None,
                                   overdue: bool | None = None, q: str | None = None, order: str = "deadline",
                                   limit: int = 20, cursor: str | None = None) -> d.RecommendationPage:
        params: Params = {"status": status or [], "addressee_id": addressee_id, "region": region,
                          "session_id": session_id, "overdue": overdue, "q": q, "order": order, "limit": limit,
                          "cursor": cursor}
        return await self.up.get("/v1/recommendations", self.caller, d.RecommendationPage, params=params)

    async def all_recommendations(self, *, max_pages: int = 10, **filters: Any) -> list[d.RecommendationRead]:
        """Every recommendation matching `filters`, page by page, up to max_pages × 200 (responsiveness counts)."""
        items: list[d.RecommendationRead] = []
        cursor = None
        for _ in range(max_pages):
            page = await self.list_recommendations(limit=PAGE, cursor=cursor, **filters)
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        return items

    async def recommendation(self, recommendation_id: int) -> d.RecommendationDetail:
        return await self.up.get(f"/v1/recommendations/{recommendation_id}", self.caller, d.RecommendationDetail)

    async def chain(self, recommendation_id: int) -> list[int]:
        return await self.up.get_ids(f"/v1/recommendations/{recommendation_id}/chain", self.caller)

    # --- planner and protocol editor (session, agenda, participants, breakouts, protocol writes) ----------

    # --- live console (current item, check-in, head counts, decisions) --------------------------------

    # --- recommendations board and inbox (transitions, answers, progress) ------------------------------

