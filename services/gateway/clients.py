"""Typed clients of the orgs and dialogue services, bound to one caller; methods return contract models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from typing import Any

import httpx

from services.contracts import dialogue as d
from services.contracts import orgs as o
from services.contracts.accounts import (
    AccountPage,
    AccountRead,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    LoginRequest,
    LoginSession,
)
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

    # --- planner and protocol editor (people picker) ---------------------------------------------

    async def list_people(self, *, q: str | None = None, limit: int = 10) -> list[o.PersonRead]:
        """People found by name, without contacts (the pickers show names and positions only)."""
        page = await self.up.get("/v1/people", self.caller, o.PersonPage, params={"q": q, "limit": limit})
        return [p.model_copy(update={"contacts": None}) for p in page.items]

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

    async def list_accounts(self, *, q: str | None = None, role: str | None = None, is_disabled: bool | None = None,
                            limit: int = 25, cursor: str | None = None) -> AccountPage:
        params: Params = {"q": q, "role": role, "is_disabled": is_disabled, "limit": limit, "cursor": cursor}
        return await self.up.get("/v1/accounts", self.caller, AccountPage, params=params)

    async def account(self, account_id: int) -> AccountRead:
        return await self.up.get(f"/v1/accounts/{account_id}", self.caller, AccountRead)

    async def create_account(self, body: dict[str, Any], idempotency_key: str | None = None) -> AccountRead:
        """`body` as AccountCreate (the registry validates it; the password is hashed there, never kept here)."""
        response = await self.up.send("POST", "/v1/accounts", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, AccountRead)

    async def update_account(self, account_id: int, version: int, body: dict[str, Any]) -> AccountRead:
        """Changes what `body` sets (as AccountUpdate), if the account is still at `version` (else a 412 problem)."""
        response = await self.up.send("PATCH", f"/v1/accounts/{account_id}", self.caller, json=body,
                                      headers={"If-Match": _etag(account_id, version)})
        return self.up.parse(response, AccountRead)

    async def list_api_keys(self, *, org_id: int | None = None, include_revoked: bool = False, limit: int = 25,
                            cursor: str | None = None) -> ApiKeyPage:
        params: Params = {"org_id": org_id, "include_revoked": include_revoked or None, "limit": limit,
                          "cursor": cursor}
        return await self.up.get("/v1/api-keys", self.caller, ApiKeyPage, params=params)

    async def create_api_key(self, body: dict[str, Any], idempotency_key: str | None = None) -> ApiKeyCreated:
        """`body` as ApiKeyCreate. The answer holds the secret: shown once to the admin, never stored or logged here."""
        response = await self.up.send("POST", "/v1/api-keys", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, ApiKeyCreated)

    async def revoke_api_key(self, key_id: int) -> ApiKeyRead:
        response = await self.up.send("DELETE", f"/v1/api-keys/{key_id}", self.caller)
        return self.up.parse(response, ApiKeyRead)


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

    async def create_session(self, body: dict[str, Any], idempotency_key: str | None = None) -> d.SessionRead:
        """`body` is the posted form shaped as d.SessionCreate; the service validates it (its problem says what)."""
        response = await self.up.send("POST", "/v1/sessions", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.SessionRead)

    async def update_session(self, session_id: int, version: int, body: dict[str, Any]) -> d.SessionRead:
        """Changes the session if it is still at `version` (else a 412 problem). `body` as d.SessionUpdate."""
        response = await self.up.send("PATCH", f"/v1/sessions/{session_id}", self.caller, json=body,
                                      headers={"If-Match": _etag(session_id, version)})
        return self.up.parse(response, d.SessionRead)

    async def transition_session(self, session_id: int, status: str, reason: str | None = None) -> d.SessionRead:
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/transitions", self.caller,
                                      json={"status": status, "reason": reason})
        return self.up.parse(response, d.SessionRead)

    async def add_agenda_item(self, session_id: int, body: dict[str, Any],
                              idempotency_key: str | None = None) -> d.AgendaItemRead:
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/agenda", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.AgendaItemRead)

    async def remove_agenda_item(self, session_id: int, item_id: int, version: int) -> None:
        await self.up.send("DELETE", f"/v1/sessions/{session_id}/agenda/{item_id}", self.caller,
                           headers={"If-Match": _etag(item_id, version)})

    async def reorder_agenda(self, session_id: int, item_ids: list[int]) -> None:
        """`item_ids`: every item of the agenda, in the new order."""
        await self.up.send("PUT", f"/v1/sessions/{session_id}/agenda/order", self.caller, json={"item_ids": item_ids})

    async def participants(self, session_id: int, *, q: str | None = None, limit: int = PAGE,
                           cursor: str | None = None) -> d.ParticipantPage:
        """By name too (check-in): the service folds case and Kazakh letters the same way on every database."""
        return await self.up.get(f"/v1/sessions/{session_id}/participants", self.caller, d.ParticipantPage,
                                 params={"q": q, "limit": limit, "cursor": cursor})

    async def add_participant(self, session_id: int, body: dict[str, Any],
                              idempotency_key: str | None = None) -> d.ParticipantRead:
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/participants", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.ParticipantRead)

    async def remove_participant(self, session_id: int, participant_id: int, version: int) -> None:
        await self.up.send("DELETE", f"/v1/sessions/{session_id}/participants/{participant_id}", self.caller,
                           headers={"If-Match": _etag(participant_id, version)})

    async def start_protocol(self, session_id: int, body: dict[str, Any],
                             idempotency_key: str | None = None) -> d.ProtocolRead:
        """Version 1, pre-filled by the service from the agenda and attendance (`body` overrides, as ProtocolFields)."""
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/protocol", self.caller, json=body,
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.ProtocolRead)

    async def edit_protocol(self, session_id: int, protocol_id: int, etag_version: int,
                            body: dict[str, Any]) -> d.ProtocolRead:
        """Changes the draft if it is still at `etag_version` (else a 412 problem); `body` as ProtocolFields."""
        response = await self.up.send("PATCH", f"/v1/sessions/{session_id}/protocol", self.caller, json=body,
                                      headers={"If-Match": _etag(f"protocol-{protocol_id}", etag_version)})
        return self.up.parse(response, d.ProtocolRead)

    async def publish_protocol(self, session_id: int) -> d.ProtocolRead:
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/protocol/publish", self.caller)
        return self.up.parse(response, d.ProtocolRead)

    async def correct_protocol(self, session_id: int, reason: str) -> d.ProtocolRead:
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/protocol/corrections", self.caller,
                                      json={"reason": reason})
        return self.up.parse(response, d.ProtocolRead)

    async def protocol_document(self, session_id: int, extension: str, version: int | None) -> httpx.Response:
        """The protocol as PDF or DOCX, in the page's language (drafts only for editors, as the service decides)."""
        return await self.up.send("GET", f"/v1/sessions/{session_id}/protocol.{extension}", self.caller,
                                  params={"version": version})


    # --- live console (current item, check-in, head counts, decisions) --------------------------------

    async def live_state(self, session_id: int) -> d.LiveState:
        """The few tokens that move whenever anything a console shows moves (polled by every open console)."""
        return await self.up.get(f"/v1/sessions/{session_id}/live", self.caller, d.LiveState)

    async def set_current_item(self, session_id: int, item_id: int | None) -> d.SessionRead:
        response = await self.up.send("PUT", f"/v1/sessions/{session_id}/agenda/current", self.caller,
                                      json={"item_id": item_id})
        return self.up.parse(response, d.SessionRead)

    async def record_on_item(self, session_id: int, item_id: int, version: int,
                             body: d.AgendaItemUpdate) -> d.AgendaItemRead:
        """What was heard and decided on an item, if it is still at `version` (else a 412 problem)."""
        response = await self.up.send("PATCH", f"/v1/sessions/{session_id}/agenda/{item_id}", self.caller,
                                      json=body.model_dump(mode="json", exclude_unset=True),
                                      headers={"If-Match": _etag(item_id, version)})
        return self.up.parse(response, d.AgendaItemRead)

    async def check_in(self, session_id: int, participant_id: int) -> d.ParticipantRead:
        """Idempotent: a participant checked in twice keeps the first time."""
        response = await self.up.send("POST", f"/v1/sessions/{session_id}/participants/{participant_id}/check-in",
                                      self.caller)
        return self.up.parse(response, d.ParticipantRead)

    async def set_head_counts(self, session_id: int, counts: list[d.HeadCount]) -> d.Attendance:
        response = await self.up.send("PUT", f"/v1/sessions/{session_id}/head-counts", self.caller,
                                      json=[c.model_dump(mode="json") for c in counts])
        return self.up.parse(response, d.Attendance)

    async def record_recommendation(self, body: d.RecommendationCreate,
                                    idempotency_key: str | None = None) -> d.RecommendationDetail:
        """A draft recommendation (the registry confirms the addressees are active state bodies)."""
        response = await self.up.send("POST", "/v1/recommendations", self.caller, json=body.model_dump(mode="json"),
                                      headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.RecommendationDetail)

    # --- recommendations board and inbox (transitions, answers, progress) ------------------------------

    async def board_recommendations(self, *, status: list[str] | None = None, addressee_id: int | None = None,
                                    session_id: int | None = None, overdue: bool | None = None,
                                    due_from: date | None = None, due_before: date | None = None,
                                    q: str | None = None, limit: int = 25,
                                    cursor: str | None = None) -> d.RecommendationPage:
        """The coordinators' board: drafts included (the service shows them to editors), overdue first."""
        params: Params = {"status": status or [], "addressee_id": addressee_id, "session_id": session_id,
                          "overdue": overdue, "due_from": due_from.isoformat() if due_from else None,
                          "due_before": due_before.isoformat() if due_before else None, "q": q,
                          "order": "deadline", "limit": limit, "cursor": cursor}
        return await self.up.get("/v1/recommendations", self.caller, d.RecommendationPage, params=params)

    async def transition_recommendation(self, recommendation_id: int, status: str,
                                        note: str | None = None) -> d.RecommendationDetail:
        """Adopt, send or close (d.RecommendationTransition); the service refuses an illegal step with a 409."""
        response = await self.up.send("POST", f"/v1/recommendations/{recommendation_id}/transitions", self.caller,
                                      json={"status": status, "note": note})
        return self.up.parse(response, d.RecommendationDetail)

    async def escalate_recommendation(self, recommendation_id: int, body: dict[str, Any],
                                      idempotency_key: str | None = None) -> d.RecommendationDetail:
        """`body` as d.Escalation; the answer is the new recommendation to the republican bodies."""
        response = await self.up.send("POST", f"/v1/recommendations/{recommendation_id}/escalations", self.caller,
                                      json=body, headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.RecommendationDetail)

    async def answer_recommendation(self, recommendation_id: int, body: dict[str, Any],
                                    idempotency_key: str | None = None) -> d.ResponseRead:
        """`body` as d.ResponseCreate; only a representative of that addressee body may answer (else 403)."""
        response = await self.up.send("POST", f"/v1/recommendations/{recommendation_id}/responses", self.caller,
                                      json=body, headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.ResponseRead)

    async def report_progress(self, recommendation_id: int, body: dict[str, Any],
                              idempotency_key: str | None = None) -> d.ProgressRead:
        """`body` as d.ProgressCreate; the addressee body's representatives only (else 403)."""
        response = await self.up.send("POST", f"/v1/recommendations/{recommendation_id}/progress", self.caller,
                                      json=body, headers=_idempotent(idempotency_key))
        return self.up.parse(response, d.ProgressRead)

    # --- performance (issue 7): figures the service counts over every row -----------------------------

    async def responsiveness(self, *, limit: int = 10, org_ids: list[int] | None = None) -> d.ResponsivenessReport:
        """Totals and each body's responsiveness, counted by the service (not from pages of recommendations)."""
        return await self.up.get("/v1/responsiveness", self.caller, d.ResponsivenessReport,
                                 params={"limit": limit, "org_id": org_ids or []})


def _idempotent(key: str | None) -> dict[str, str]:
    """A form's Idempotency-Key: the same form sent twice makes one record upstream."""
    return {"Idempotency-Key": key} if key else {}


def _etag(resource_id: int | str, version: int) -> str:
    """The services' ETag of a record at a version (services/common/http.py), for If-Match."""
    return f'"{resource_id}.{version}"'
