"""Shared steps for dialogue tests: registry records made through the orgs API, sessions and
recommendations walked through their lifecycle, lists and the outbox read back page by page."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx

from services.common.db import today_kz
from services.contracts.auth import Role
from tests.conftest import actor_headers

EAST_KAZAKHSTAN = "630000000"
ASTANA = "710000000"

PROBLEM_JSON = "application/problem+json"
# Larger than any id column holds (32-bit on PostgreSQL): names no record, and must never reach the database.
BEYOND_ID_RANGE = 2**40

# The statuses a session passes through to reach each status from a draft.
SESSION_PATH = {
    "draft": (),
    "scheduled": ("scheduled",),
    "in_progress": ("scheduled", "in_progress"),
    "concluded": ("scheduled", "in_progress", "concluded"),
    "cancelled": ("cancelled",),
}


# --- who is acting -----------------------------------------------------------------------------------

def as_coordinator() -> dict[str, str]:
    return actor_headers(Role.coordinator)


def as_admin() -> dict[str, str]:
    return actor_headers(Role.admin)


def as_representative(*org_ids: int, account_id: int = 501) -> dict[str, str]:
    """A state-body (or NGO) official speaking for the given organizations."""
    return actor_headers(Role.representative, account_id=account_id, org_ids=list(org_ids))


def as_member(*org_ids: int, account_id: int = 601) -> dict[str, str]:
    return actor_headers(Role.member, account_id=account_id, org_ids=list(org_ids))


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of a refused request, after checking that it is one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


def forged_cursor(*values: Any) -> str:
    """A cursor as a client could hand-craft one: the service's encoding around values it never issued."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


# --- the registry (orgs service) ---------------------------------------------------------------------

async def create_org(orgs: httpx.AsyncClient, name: str, *, kind: str, level: str,
                     region_code: str | None = None, **fields: Any) -> int:
    body = {"kind": kind, "level": level, "names": {"ru": name}, "region_code": region_code, **fields}
    r = await orgs.post("/v1/orgs", json=body, headers=as_coordinator())
    assert r.status_code == 201, r.text
    org_id: int = r.json()["id"]
    return org_id


async def state_body(orgs: httpx.AsyncClient, name: str, *, level: str = "regional",
                     region_code: str | None = EAST_KAZAKHSTAN, **fields: Any) -> int:
    """An akimat, a maslikhat, a department: a regional state body unless told otherwise."""
    return await create_org(orgs, name, kind="state_body", level=level, region_code=region_code, **fields)


async def republican_body(orgs: httpx.AsyncClient, name: str, **fields: Any) -> int:
    """A ministry, a committee, the Senate: a state body at the republican level."""
    return await create_org(orgs, name, kind="state_body", level="republican", region_code=None, **fields)


async def ngo(orgs: httpx.AsyncClient, name: str, *, kind: str = "ngo", level: str = "regional",
              region_code: str | None = EAST_KAZAKHSTAN, **fields: Any) -> int:
    """A civil-society organization (an NGO by default; also a public council, university, foundation)."""
    return await create_org(orgs, name, kind=kind, level=level, region_code=region_code, **fields)


async def person(orgs: httpx.AsyncClient, family_name: str, given_name: str, patronymic: str | None = None,
                 **fields: Any) -> int:
    body = {"family_name": family_name, "given_name": given_name, "patronymic": patronymic, **fields}
    r = await orgs.post("/v1/people", json=body, headers=as_coordinator())
    assert r.status_code == 201, r.text
    person_id: int = r.json()["id"]
    return person_id


# --- sessions ----------------------------------------------------------------------------------------

async def create_session(dialogue: httpx.AsyncClient, title: str = "Круглый стол", *, kind: str = "round_table",
                         agenda: tuple[str, ...] | list[Any] = ("Открытие",), status: str = "draft",
                         **fields: Any) -> dict[str, Any]:
    """A session with its agenda (titles or full item bodies), moved on to `status`."""
    body: dict[str, Any] = {"kind": kind, "title": {"ru": title}, "starts_at": "2025-10-14T10:00:00+05:00"}
    if fields.get("format", "offline") != "online":
        body["venue"] = "ВКТУ им. Д. Серикбаева, Усть-Каменогорск"
    body.update(fields)
    r = await dialogue.post("/v1/sessions", json=body, headers=as_coordinator())
    assert r.status_code == 201, r.text
    session: dict[str, Any] = r.json()
    for item in agenda:
        await add_agenda_item(dialogue, session["id"], item)
    if status != "draft":
        session = await move_session(dialogue, session["id"], *SESSION_PATH[status])
    return session


async def add_agenda_item(dialogue: httpx.AsyncClient, session_id: int, item: str | dict[str, Any]) -> dict[str, Any]:
    body = {"title": item} if isinstance(item, str) else item
    r = await dialogue.post(f"/v1/sessions/{session_id}/agenda", json=body, headers=as_coordinator())
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def move_session(dialogue: httpx.AsyncClient, session_id: int, *statuses: str) -> dict[str, Any]:
    r: httpx.Response | None = None
    for status in statuses:
        r = await dialogue.post(f"/v1/sessions/{session_id}/transitions", json={"status": status},
                                headers=as_coordinator())
        assert r.status_code == 200, r.text
    if r is None:
        r = await dialogue.get(f"/v1/sessions/{session_id}", headers=as_coordinator())
    session: dict[str, Any] = r.json()
    return session


async def add_participant(dialogue: httpx.AsyncClient, session_id: int, **body: Any) -> dict[str, Any]:
    r = await dialogue.post(f"/v1/sessions/{session_id}/participants", json=body, headers=as_coordinator())
    assert r.status_code == 201, r.text
    participant: dict[str, Any] = r.json()
    return participant


async def set_head_counts(dialogue: httpx.AsyncClient, session_id: int, **counts: int) -> dict[str, Any]:
    r = await dialogue.put(f"/v1/sessions/{session_id}/head-counts", headers=as_coordinator(),
                           json=[{"sector": sector, "count": n} for sector, n in counts.items()])
    assert r.status_code == 200, r.text
    attendance: dict[str, Any] = r.json()
    return attendance


async def record_on_item(dialogue: httpx.AsyncClient, session_id: int, item_id: int, **fields: Any) -> dict[str, Any]:
    """Record what was heard / decided on an agenda item (If-Match from a fresh read)."""
    agenda = (await dialogue.get(f"/v1/sessions/{session_id}/agenda", headers=as_coordinator())).json()
    version = next(i["version"] for i in agenda if i["id"] == item_id)
    r = await dialogue.patch(f"/v1/sessions/{session_id}/agenda/{item_id}", json=fields,
                             headers={**as_coordinator(), "If-Match": f'"{item_id}.{version}"'})
    assert r.status_code == 200, r.text
    item: dict[str, Any] = r.json()
    return item


async def publish_protocol(dialogue: httpx.AsyncClient, session_id: int, **fields: Any) -> dict[str, Any]:
    """Start the protocol of a concluded session with `fields` and publish it."""
    r = await dialogue.post(f"/v1/sessions/{session_id}/protocol", json=fields, headers=as_coordinator())
    assert r.status_code == 201, r.text
    r = await dialogue.post(f"/v1/sessions/{session_id}/protocol/publish", headers=as_coordinator())
    assert r.status_code == 200, r.text
    protocol: dict[str, Any] = r.json()
    return protocol


# --- recommendations ---------------------------------------------------------------------------------

async def create_recommendation(dialogue: httpx.AsyncClient, addressee_ids: list[int], *,
                                text: str = "Рекомендовать модель как пилот", **fields: Any) -> dict[str, Any]:
    r = await dialogue.post("/v1/recommendations", json={"text": text, "addressee_ids": addressee_ids, **fields},
                            headers=as_coordinator())
    assert r.status_code == 201, r.text
    rec: dict[str, Any] = r.json()
    return rec


async def move_recommendation(dialogue: httpx.AsyncClient, rec_id: int, *statuses: str,
                              note: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for status in statuses:
        r = await dialogue.post(f"/v1/recommendations/{rec_id}/transitions", json={"status": status, "note": note},
                                headers=as_coordinator())
        assert r.status_code == 200, r.text
        rec = r.json()
    return rec


async def sent_recommendation(dialogue: httpx.AsyncClient, addressee_ids: list[int], **fields: Any) -> dict[str, Any]:
    """A recommendation adopted and sent to its addressees (no session: adopted by a coordinator)."""
    rec = await create_recommendation(dialogue, addressee_ids, **fields)
    return await move_recommendation(dialogue, rec["id"], "adopted", "sent")


async def answer(dialogue: httpx.AsyncClient, rec_id: int, org_id: int, decision: str,
                 reasons: str = "Рассмотрено на совещании акимата", *,
                 headers: dict[str, str] | None = None) -> httpx.Response:
    """The addressee body's answer, by its representative unless other `headers` are given."""
    return await dialogue.post(f"/v1/recommendations/{rec_id}/responses",
                               json={"org_id": org_id, "decision": decision, "reasons": reasons},
                               headers=as_representative(org_id) if headers is None else headers)


async def read_recommendation(dialogue: httpx.AsyncClient, rec_id: int) -> dict[str, Any]:
    r = await dialogue.get(f"/v1/recommendations/{rec_id}", headers=as_coordinator())
    assert r.status_code == 200, r.text
    rec: dict[str, Any] = r.json()
    return rec


def days_from_today(days: int) -> str:
    return (today_kz() + timedelta(days=days)).isoformat()


# --- lists and the outbox ----------------------------------------------------------------------------

async def all_pages(client: httpx.AsyncClient, path: str, *, headers: dict[str, str] | None = None,
                    limit: int = 50, **params: Any) -> list[dict[str, Any]]:
    """Every item of a keyset-paged list, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get(path, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError(f"{path} never ran out of pages")


async def events(dialogue: httpx.AsyncClient, type_: str, subject: str | None = None) -> list[dict[str, Any]]:
    """Outbox events of one type (optionally about one subject), read by an admin."""
    params = {"type": type_, **({"subject": subject} if subject else {})}
    return await all_pages(dialogue, "/v1/events", headers=as_admin(), **params)
