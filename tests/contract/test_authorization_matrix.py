# ruff: noqa: E501 - the table below is wider than a code line, and easier to read unbroken
"""Who may write what: every write endpoint (POST/PUT/PATCH/DELETE) of every service, tried as every caller, against
one table.

`+` allowed: the request (a real one: a valid body naming records that exist, a fresh target for each caller)
        succeeds with 2xx.
`-` refused: 401 without a credential the service accepts, 403 with one, as problem+json, and nothing at all is
        written (every table of both databases reads the same before and after).
`n` hidden: 404 as problem+json, nothing written: the caller may not even learn that another owner's record exists.
`.` not applicable: this caller cannot even be expressed for that service (e.g. an API key on an internal service).

The callers are the columns. `rep_body` is a representative of the body the request is about (the addressee of the
recommendation, the state owner of the action-plan item), `rep_other` one of another state body; `member` is a
member of the NGO that co-owns the action-plan item; `service` is a calling service naming itself, with no
person's roles. The table must list every write route the apps have (and only those): a new route fails
`test_the_table_lists_every_write_route` until someone decides who may call it.

The gateway's public API (`/api/v1`, its own FastAPI app mounted at `/api`) knows only API keys, issued by the
registry to one organization with scopes: `key_scoped` holds the scope the operation needs (and belongs to the body
the request is about), `key_unscoped` all the other scopes, `key_other_body` the needed scope but belongs to another
state body. A service token, a person's included, is no API key there: those callers are refused with 401. The API
key callers are `.` on the orgs and dialogue rows, which know no API keys.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import inspect, text
from starlette.routing import Mount

from services.common.db import make_engine
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from tests.conftest import TEST_SECRET, _gateway_client, actor_headers, gateway_settings
from tests.dialogue.helpers import (
    add_participant,
    answer,
    as_admin,
    as_coordinator,
    create_recommendation,
    create_session,
    ngo,
    person,
    republican_body,
    sent_recommendation,
    state_body,
)

TABLE = """
service   method  path                                                              anonymous member rep_other rep_body coordinator admin service key_scoped key_unscoped key_other_body
orgs      POST    /v1/orgs/import                                                   -         -      -         -        +           +     -       .          .            .
orgs      POST    /v1/regions                                                       -         -      -         -        +           +     -       .          .            .
orgs      POST    /v1/orgs                                                          -         -      -         -        +           +     -       .          .            .
orgs      PATCH   /v1/orgs/{org_id}                                                 -         -      -         -        +           +     -       .          .            .
orgs      DELETE  /v1/orgs/{org_id}                                                 -         -      -         -        +           +     -       .          .            .
orgs      POST    /v1/people                                                        -         -      -         -        +           +     -       .          .            .
orgs      PATCH   /v1/people/{person_id}                                            -         -      -         -        +           +     -       .          .            .
orgs      DELETE  /v1/people/{person_id}                                            -         -      -         -        +           +     -       .          .            .
orgs      POST    /v1/memberships                                                   -         -      -         -        +           +     -       .          .            .
orgs      PATCH   /v1/memberships/{membership_id}                                   -         -      -         -        +           +     -       .          .            .
orgs      DELETE  /v1/memberships/{membership_id}                                   -         -      -         -        +           +     -       .          .            .
orgs      POST    /v1/auth/login                                                    -         -      -         -        -           -     +       .          .            .
orgs      DELETE  /v1/auth/sessions/current                                         -         -      -         -        -           -     +       .          .            .
orgs      POST    /v1/auth/api-keys/verify                                          -         -      -         -        -           -     +       .          .            .
orgs      POST    /v1/accounts                                                      -         -      -         -        -           +     -       .          .            .
orgs      PATCH   /v1/accounts/{account_id}                                         -         -      -         -        -           +     -       .          .            .
orgs      POST    /v1/accounts/{account_id}/sessions/revoke                         -         -      -         -        -           +     -       .          .            .
orgs      POST    /v1/api-keys                                                      -         -      -         -        -           +     -       .          .            .
orgs      DELETE  /v1/api-keys/{key_id}                                             -         -      -         -        -           +     -       .          .            .
dialogue  POST    /v1/sessions                                                      -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/sessions/{session_id}                                         -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/transitions                             -         -      -         -        +           +     -       .          .            .
dialogue  PUT     /v1/sessions/{session_id}/head-counts                             -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/agenda                                  -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/sessions/{session_id}/agenda/{item_id}                        -         -      -         -        +           +     -       .          .            .
dialogue  DELETE  /v1/sessions/{session_id}/agenda/{item_id}                        -         -      -         -        +           +     -       .          .            .
dialogue  PUT     /v1/sessions/{session_id}/agenda/order                            -         -      -         -        +           +     -       .          .            .
dialogue  PUT     /v1/sessions/{session_id}/agenda/current                          -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/participants                            -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/sessions/{session_id}/participants/{participant_id}           -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/participants/{participant_id}/check-in  -         -      -         -        +           +     -       .          .            .
dialogue  DELETE  /v1/sessions/{session_id}/participants/{participant_id}           -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/protocol                                -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/sessions/{session_id}/protocol                                -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/protocol/publish                        -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/sessions/{session_id}/protocol/corrections                    -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/recommendations                                               -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/recommendations/{recommendation_id}                           -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/recommendations/{recommendation_id}/transitions               -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/recommendations/{recommendation_id}/responses                 -         -      -         +        -           -     -       .          .            .
dialogue  POST    /v1/recommendations/{recommendation_id}/progress                  -         -      -         +        -           -     -       .          .            .
dialogue  POST    /v1/recommendations/{recommendation_id}/escalations               -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/action-plans                                                  -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/action-plans/{plan_id}/items                                  -         -      -         -        +           +     -       .          .            .
dialogue  PATCH   /v1/action-plans/{plan_id}/items/{item_id}                        -         -      -         -        +           +     -       .          .            .
dialogue  POST    /v1/action-plans/{plan_id}/items/{item_id}/reports                -         -      -         +        +           +     -       .          .            .
dialogue  POST    /v1/webhooks                                                      -         -      -         -        -           +     +       .          .            .
dialogue  DELETE  /v1/webhooks/{webhook_id}                                         -         -      -         -        -           +     +       .          .            .
dialogue  POST    /v1/webhook-deliveries/{delivery_id}/replay                       -         -      -         -        -           +     +       .          .            .
dialogue  PUT     /v1/notification-preferences/{recipient_kind}/{recipient_id}      -         -      -         -        +           +     -       .          .            .
gateway   POST    /api/v1/recommendations/{recommendation_id}/responses             -         -      -         -        -           -     -       +          -            -
gateway   POST    /api/v1/recommendations/{recommendation_id}/progress              -         -      -         -        -           -     -       +          -            -
gateway   POST    /api/v1/webhooks                                                  -         -      -         -        -           -     -       +          -            +
gateway   DELETE  /api/v1/webhooks/{webhook_id}                                     -         -      -         -        -           -     -       +          -            n
"""


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str
    cells: dict[str, str]

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def id(self) -> str:
        return f"{self.service} {self.route}"


def parse_table(table: str) -> tuple[list[str], list[Row]]:
    header, *lines = [line.split() for line in table.strip().splitlines()]
    callers = header[3:]
    rows = []
    for cells in lines:
        service, method, path, *marks = cells
        assert len(marks) == len(callers), f"{service} {method} {path}: {len(marks)} cells for {len(callers)} callers"
        assert set(marks) <= {"+", "-", "n", "."}, f"{service} {method} {path}: cells are +, -, n or ."
        rows.append(Row(service, method, path, dict(zip(callers, marks, strict=True))))
    return callers, rows


CALLERS, ROWS = parse_table(TABLE)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes(app: Any, prefix: str = "") -> set[str]:
    """'METHOD /path' of every write operation an app serves (included routers too), under the prefix it is
    mounted at."""
    routes = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            routes |= {f"{method} {prefix}{route.path_format}" for method in route.methods & WRITE_METHODS}
    return routes


def _orgs_app() -> Any:
    from services.orgs.app import app
    return app


def _dialogue_app() -> Any:
    from services.dialogue.app import app
    return app


PUBLIC_API = "/api"  # where the gateway mounts its public API


def _public_api_app() -> Any:
    """The public API's own app, as the gateway mounts it (the gateway's HTML pages are not in this table)."""
    from services.gateway.app import app
    (api,) = [r.app for r in app.routes if isinstance(r, Mount) and r.path == PUBLIC_API]
    return api


KEY_CALLERS = frozenset({"key_scoped", "key_unscoped", "key_other_body"})


@dataclass(frozen=True)
class Service:
    app: Callable[[], Any]  # the app whose write routes the table lists
    prefix: str = ""        # where requests reach it
    # Callers holding no credential this service accepts: refused with 401 (the others with 403).
    unauthenticated: frozenset[str] = frozenset({"anonymous"})


# The services the table covers: how to list their write routes, who is not even authenticated there.
SERVICES: dict[str, Service] = {
    "orgs": Service(_orgs_app),
    "dialogue": Service(_dialogue_app),
    "gateway": Service(_public_api_app, PUBLIC_API, frozenset(CALLERS) - KEY_CALLERS),
}


def required_scope(row: Row) -> str:
    """The one API-key scope a public API operation needs, as its OpenAPI document states it."""
    operation = _public_api_app().openapi()["paths"][row.path.removeprefix(PUBLIC_API)][row.method.lower()]
    (scope,) = operation["x-required-scopes"]
    return str(scope)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_table_lists_every_write_route(service):
    listed = [row.route for row in ROWS if row.service == service]
    assert listed, f"no rows for {service}"
    assert len(listed) == len(set(listed)), "a route is listed twice"
    served = write_routes(SERVICES[service].app(), SERVICES[service].prefix)
    assert sorted(served - set(listed)) == [], "write routes missing from the table: decide who may call them"
    assert sorted(set(listed) - served) == [], "the table lists routes the service does not have"


# --- the world every request acts on -----------------------------------------------------------------

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_counter)}"


@dataclass
class World:
    orgs: httpx.AsyncClient
    dialogue: httpx.AsyncClient
    body: int          # the state body the requests are about (addressee, item owner)
    other: int         # another state body
    ngo: int           # an NGO, civil-society co-owner of action-plan items
    republican: int    # a republican state body (escalations go there)
    account_login: str
    account_password: str
    api_key: str
    dialogue_url: str
    api: httpx.AsyncClient | None = None  # the gateway, for its public API's rows only
    keys: dict[str, str] = field(default_factory=dict)  # API-key caller -> key, made for the row's scope


def caller_headers(caller: str, world: World) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller == "member":
        return actor_headers(Role.member, account_id=601, org_ids=[world.ngo])
    if caller == "rep_other":
        return actor_headers(Role.representative, account_id=502, org_ids=[world.other])
    if caller == "rep_body":
        return actor_headers(Role.representative, account_id=501, org_ids=[world.body])
    if caller == "coordinator":
        return actor_headers(Role.coordinator, account_id=401)
    if caller == "admin":
        return actor_headers(Role.admin, account_id=301)
    if caller == "service":
        token = issue_token(Actor(roles=[Role.service], service="gateway"), TEST_SECRET)
        return {"Authorization": f"Bearer {token}"}
    if caller in KEY_CALLERS:
        return {"Authorization": f"Bearer {world.keys[caller]}"}
    raise AssertionError(f"no credentials for caller {caller}")


@dataclass
class Call:
    """One request: the route's own path filled in, and what it sends."""

    path: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


Builder = Callable[[World], Awaitable[Call]]
BUILDERS: dict[str, Builder] = {}


def builds(row_id: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        BUILDERS[row_id] = builder
        return builder

    return register


def if_match(resource: Any, version: int) -> dict[str, str]:
    return {"If-Match": f'"{resource}.{version}"'}


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- orgs: requests ---------------------------------------------------------------------------------------

@builds("orgs POST /v1/orgs/import")
async def _import(w: World) -> Call:
    csv = f"kind,level,name_ru,region_code\nngo,regional,{unique('Фонд импорта')},630000000\n"
    return Call("/v1/orgs/import", content=csv.encode(), headers={"Content-Type": "text/csv"})


@builds("orgs POST /v1/regions")
async def _region(w: World) -> Call:
    return Call("/v1/regions", json={"code": f"63{next(_counter):07d}", "parent_code": "630000000",
                                     "names": {"ru": unique("Район")}})


@builds("orgs POST /v1/orgs")
async def _org(w: World) -> Call:
    return Call("/v1/orgs", json={"kind": "ngo", "level": "regional", "names": {"ru": unique("Общественный фонд")}})


async def _fresh_org(w: World) -> dict[str, Any]:
    return created(await w.orgs.post("/v1/orgs", headers=as_coordinator(), json={
        "kind": "ngo", "level": "regional", "names": {"ru": unique("Объединение")}}))


@builds("orgs PATCH /v1/orgs/{org_id}")
async def _org_patch(w: World) -> Call:
    org = await _fresh_org(w)
    return Call(f"/v1/orgs/{org['id']}", json={"short_name": "ОО"}, headers=if_match(org["id"], org["version"]))


@builds("orgs DELETE /v1/orgs/{org_id}")
async def _org_delete(w: World) -> Call:
    org = await _fresh_org(w)
    return Call(f"/v1/orgs/{org['id']}", headers=if_match(org["id"], org["version"]))


@builds("orgs POST /v1/people")
async def _person(w: World) -> Call:
    return Call("/v1/people", json={"family_name": unique("Ахметова"), "given_name": "Айгерим"})


async def _fresh_person(w: World) -> dict[str, Any]:
    return created(await w.orgs.post("/v1/people", headers=as_coordinator(),
                                     json={"family_name": unique("Серикбаев"), "given_name": "Ерлан"}))


@builds("orgs PATCH /v1/people/{person_id}")
async def _person_patch(w: World) -> Call:
    p = await _fresh_person(w)
    return Call(f"/v1/people/{p['id']}", json={"position": "эксперт"}, headers=if_match(p["id"], p["version"]))


@builds("orgs DELETE /v1/people/{person_id}")
async def _person_delete(w: World) -> Call:
    p = await _fresh_person(w)
    return Call(f"/v1/people/{p['id']}", headers=if_match(p["id"], p["version"]))


@builds("orgs POST /v1/memberships")
async def _membership(w: World) -> Call:
    p = await _fresh_person(w)
    return Call("/v1/memberships", json={"person_id": p["id"], "org_id": w.ngo, "role": "member"})


async def _fresh_membership(w: World) -> dict[str, Any]:
    p = await _fresh_person(w)
    return created(await w.orgs.post("/v1/memberships", headers=as_coordinator(),
                                     json={"person_id": p["id"], "org_id": w.ngo, "role": "member"}))


@builds("orgs PATCH /v1/memberships/{membership_id}")
async def _membership_patch(w: World) -> Call:
    m = await _fresh_membership(w)
    return Call(f"/v1/memberships/{m['id']}", json={"title": "член правления"}, headers=if_match(m["id"], m["version"]))


@builds("orgs DELETE /v1/memberships/{membership_id}")
async def _membership_delete(w: World) -> Call:
    m = await _fresh_membership(w)
    return Call(f"/v1/memberships/{m['id']}", headers=if_match(m["id"], m["version"]))


@builds("orgs POST /v1/auth/login")
async def _login(w: World) -> Call:
    return Call("/v1/auth/login", json={"login": w.account_login, "password": w.account_password})


@builds("orgs DELETE /v1/auth/sessions/current")
async def _logout(w: World) -> Call:
    r = await w.orgs.post("/v1/auth/login", headers=caller_headers("service", w),
                          json={"login": w.account_login, "password": w.account_password})
    return Call("/v1/auth/sessions/current", headers={"X-Session-Token": created(r)["token"]})


@builds("orgs POST /v1/auth/api-keys/verify")
async def _verify(w: World) -> Call:
    return Call("/v1/auth/api-keys/verify", json={"key": w.api_key})


def _account_body() -> dict[str, Any]:
    return {"login": unique("coordinator").replace(" ", "."), "display_name": "Координатор",
            "password": "correct-horse-battery", "roles": ["coordinator"]}


@builds("orgs POST /v1/accounts")
async def _account(w: World) -> Call:
    return Call("/v1/accounts", json=_account_body())


@builds("orgs PATCH /v1/accounts/{account_id}")
async def _account_patch(w: World) -> Call:
    account = created(await w.orgs.post("/v1/accounts", headers=as_admin(), json=_account_body()))
    return Call(f"/v1/accounts/{account['id']}", json={"display_name": "Секретарь совета"},
                headers=if_match(account["id"], account["version"]))


@builds("orgs POST /v1/accounts/{account_id}/sessions/revoke")
async def _revoke(w: World) -> Call:
    account = created(await w.orgs.post("/v1/accounts", headers=as_admin(), json=_account_body()))
    return Call(f"/v1/accounts/{account['id']}/sessions/revoke")


@builds("orgs POST /v1/api-keys")
async def _api_key(w: World) -> Call:
    return Call("/v1/api-keys", json={"name": unique("Ключ"), "org_id": w.body, "scopes": ["read"]})


@builds("orgs DELETE /v1/api-keys/{key_id}")
async def _api_key_delete(w: World) -> Call:
    key = created(await w.orgs.post("/v1/api-keys", headers=as_admin(),
                                    json={"name": unique("Ключ"), "org_id": w.body, "scopes": ["read"]}))
    return Call(f"/v1/api-keys/{key['id']}")


# --- dialogue: requests -----------------------------------------------------------------------------------

SESSION_BODY = {"kind": "round_table", "title": {"ru": "Круглый стол"}, "starts_at": "2025-10-14T10:00:00+05:00",
                "venue": "ВКТУ им. Д. Серикбаева"}


async def _session(w: World, status: str = "draft", agenda: tuple[str, ...] = ("Открытие",)) -> dict[str, Any]:
    return await create_session(w.dialogue, unique("Круглый стол"), agenda=agenda, status=status)


async def _agenda(w: World, session_id: int) -> list[dict[str, Any]]:
    r = await w.dialogue.get(f"/v1/sessions/{session_id}/agenda", headers=as_coordinator())
    items: list[dict[str, Any]] = r.json()
    return items


@builds("dialogue POST /v1/sessions")
async def _session_create(w: World) -> Call:
    return Call("/v1/sessions", json={**SESSION_BODY, "organizer_ids": [w.body]})


@builds("dialogue PATCH /v1/sessions/{session_id}")
async def _session_patch(w: World) -> Call:
    s = await _session(w)
    return Call(f"/v1/sessions/{s['id']}", json={"venue": "Дом дружбы"}, headers=if_match(s["id"], s["version"]))


@builds("dialogue POST /v1/sessions/{session_id}/transitions")
async def _session_transition(w: World) -> Call:
    s = await _session(w)
    return Call(f"/v1/sessions/{s['id']}/transitions", json={"status": "scheduled"})


@builds("dialogue PUT /v1/sessions/{session_id}/head-counts")
async def _head_counts(w: World) -> Call:
    s = await _session(w, "concluded")
    return Call(f"/v1/sessions/{s['id']}/head-counts", json=[{"sector": "state", "count": 35},
                                                            {"sector": "civil_society", "count": 46}])


@builds("dialogue POST /v1/sessions/{session_id}/agenda")
async def _agenda_add(w: World) -> Call:
    s = await _session(w)
    return Call(f"/v1/sessions/{s['id']}/agenda", json={"title": "Модель Ashyq", "planned_minutes": 20})


@builds("dialogue PATCH /v1/sessions/{session_id}/agenda/{item_id}")
async def _agenda_patch(w: World) -> Call:
    s = await _session(w, "in_progress")
    (item,) = await _agenda(w, s["id"])
    return Call(f"/v1/sessions/{s['id']}/agenda/{item['id']}", json={"heard": "Доклад", "decided": "Одобрить"},
                headers=if_match(item["id"], item["version"]))


@builds("dialogue DELETE /v1/sessions/{session_id}/agenda/{item_id}")
async def _agenda_delete(w: World) -> Call:
    s = await _session(w, agenda=("Открытие", "Разное"))
    item = (await _agenda(w, s["id"]))[-1]
    return Call(f"/v1/sessions/{s['id']}/agenda/{item['id']}", headers=if_match(item["id"], item["version"]))


@builds("dialogue PUT /v1/sessions/{session_id}/agenda/order")
async def _agenda_order(w: World) -> Call:
    s = await _session(w, agenda=("Открытие", "Разное"))
    ids = [i["id"] for i in await _agenda(w, s["id"])]
    return Call(f"/v1/sessions/{s['id']}/agenda/order", json={"item_ids": ids[::-1]})


@builds("dialogue PUT /v1/sessions/{session_id}/agenda/current")
async def _agenda_current(w: World) -> Call:
    s = await _session(w, "in_progress")
    (item,) = await _agenda(w, s["id"])
    return Call(f"/v1/sessions/{s['id']}/agenda/current", json={"item_id": item["id"]})


@builds("dialogue POST /v1/sessions/{session_id}/participants")
async def _participant_add(w: World) -> Call:
    s = await _session(w, "scheduled")
    return Call(f"/v1/sessions/{s['id']}/participants", json={"name": "Гость", "org_id": w.ngo, "sector": "expert"})


async def _participant(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    s = await _session(w, "scheduled")
    return s, await add_participant(w.dialogue, s["id"], name=unique("Участник"), org_id=w.body, sector="state")


@builds("dialogue PATCH /v1/sessions/{session_id}/participants/{participant_id}")
async def _participant_patch(w: World) -> Call:
    s, p = await _participant(w)
    return Call(f"/v1/sessions/{s['id']}/participants/{p['id']}", json={"role": "speaker"},
                headers=if_match(p["id"], p["version"]))


@builds("dialogue POST /v1/sessions/{session_id}/participants/{participant_id}/check-in")
async def _check_in(w: World) -> Call:
    s, p = await _participant(w)
    return Call(f"/v1/sessions/{s['id']}/participants/{p['id']}/check-in")


@builds("dialogue DELETE /v1/sessions/{session_id}/participants/{participant_id}")
async def _participant_delete(w: World) -> Call:
    s, p = await _participant(w)
    return Call(f"/v1/sessions/{s['id']}/participants/{p['id']}", headers=if_match(p["id"], p["version"]))


PROTOCOL = {"number": "7", "chair": "Председатель совета", "secretary": "Секретарь"}


@builds("dialogue POST /v1/sessions/{session_id}/protocol")
async def _protocol_start(w: World) -> Call:
    s = await _session(w, "concluded")
    return Call(f"/v1/sessions/{s['id']}/protocol", json=PROTOCOL)


async def _draft_protocol(w: World) -> tuple[dict[str, Any], str]:
    """A concluded session and the ETag of its draft protocol."""
    s = await _session(w, "concluded")
    r = await w.dialogue.post(f"/v1/sessions/{s['id']}/protocol", json=PROTOCOL, headers=as_coordinator())
    created(r)
    return s, r.headers["ETag"]


@builds("dialogue PATCH /v1/sessions/{session_id}/protocol")
async def _protocol_edit(w: World) -> Call:
    s, etag = await _draft_protocol(w)
    return Call(f"/v1/sessions/{s['id']}/protocol", json={"attendees": "35 представителей госорганов"},
                headers={"If-Match": etag})


@builds("dialogue POST /v1/sessions/{session_id}/protocol/publish")
async def _protocol_publish(w: World) -> Call:
    s, _p = await _draft_protocol(w)
    return Call(f"/v1/sessions/{s['id']}/protocol/publish")


@builds("dialogue POST /v1/sessions/{session_id}/protocol/corrections")
async def _protocol_correct(w: World) -> Call:
    s, _p = await _draft_protocol(w)
    r = await w.dialogue.post(f"/v1/sessions/{s['id']}/protocol/publish", headers=as_coordinator())
    assert r.status_code == 200, r.text
    return Call(f"/v1/sessions/{s['id']}/protocol/corrections", json={"reason": "Опечатка в фамилии"})


@builds("dialogue POST /v1/recommendations")
async def _rec_create(w: World) -> Call:
    return Call("/v1/recommendations", json={"text": "Рекомендовать модель Ashyq как пилот", "addressee_ids": [w.body]})


@builds("dialogue PATCH /v1/recommendations/{recommendation_id}")
async def _rec_patch(w: World) -> Call:
    rec = await create_recommendation(w.dialogue, [w.body])
    return Call(f"/v1/recommendations/{rec['id']}", json={"title": "Пилот"},
                headers=if_match(rec["id"], rec["version"]))


@builds("dialogue POST /v1/recommendations/{recommendation_id}/transitions")
async def _rec_transition(w: World) -> Call:
    rec = await create_recommendation(w.dialogue, [w.body])
    return Call(f"/v1/recommendations/{rec['id']}/transitions", json={"status": "adopted"})


@builds("dialogue POST /v1/recommendations/{recommendation_id}/responses")
async def _rec_answer(w: World) -> Call:
    rec = await sent_recommendation(w.dialogue, [w.body])
    return Call(f"/v1/recommendations/{rec['id']}/responses",
                json={"org_id": w.body, "decision": "accepted", "reasons": "Поддерживаем"})


@builds("dialogue POST /v1/recommendations/{recommendation_id}/progress")
async def _rec_progress(w: World) -> Call:
    rec = await sent_recommendation(w.dialogue, [w.body])
    r = await answer(w.dialogue, rec["id"], w.body, "accepted")
    assert r.status_code == 201, r.text
    return Call(f"/v1/recommendations/{rec['id']}/progress",
                json={"org_id": w.body, "percent": 40, "note": "Рабочая группа создана"})


@builds("dialogue POST /v1/recommendations/{recommendation_id}/escalations")
async def _rec_escalate(w: World) -> Call:
    rec = await sent_recommendation(w.dialogue, [w.body])
    return Call(f"/v1/recommendations/{rec['id']}/escalations",
                json={"addressee_ids": [w.republican], "reason": "Вне компетенции области"})


@builds("dialogue POST /v1/action-plans")
async def _plan_create(w: World) -> Call:
    return Call("/v1/action-plans", json={"title": {"ru": unique("План совместных действий")},
                                          "owner_ids": [w.body, w.ngo]})


async def _plan(w: World) -> dict[str, Any]:
    return created(await w.dialogue.post("/v1/action-plans", headers=as_coordinator(), json={
        "title": {"ru": unique("План")}, "owner_ids": [w.body, w.ngo]}))


ITEM = {"title": "Совместное заседание", "format": "joint_meeting"}


@builds("dialogue POST /v1/action-plans/{plan_id}/items")
async def _plan_item(w: World) -> Call:
    plan = await _plan(w)
    return Call(f"/v1/action-plans/{plan['id']}/items",
                json={**ITEM, "state_owner_ids": [w.body], "civil_owner_ids": [w.ngo]})


async def _item(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = await _plan(w)
    return plan, created(await w.dialogue.post(f"/v1/action-plans/{plan['id']}/items", headers=as_coordinator(),
                                               json={**ITEM, "state_owner_ids": [w.body], "civil_owner_ids": [w.ngo]}))


@builds("dialogue PATCH /v1/action-plans/{plan_id}/items/{item_id}")
async def _plan_item_patch(w: World) -> Call:
    plan, item = await _item(w)
    return Call(f"/v1/action-plans/{plan['id']}/items/{item['id']}", json={"description": "Отчёт акимата"},
                headers=if_match(item["id"], item["version"]))


@builds("dialogue POST /v1/action-plans/{plan_id}/items/{item_id}/reports")
async def _plan_report(w: World) -> Call:
    plan, item = await _item(w)
    return Call(f"/v1/action-plans/{plan['id']}/items/{item['id']}/reports",
                json={"org_id": w.body, "percent": 30, "note": "Заседание проведено"})


# A public address given as a literal: no name to resolve, so no network is needed.
WEBHOOK = {"url": "https://93.184.216.34/hooks/ashyq", "event_types": ["recommendation.sent"]}


@builds("dialogue POST /v1/webhooks")
async def _webhook(w: World) -> Call:
    return Call("/v1/webhooks", json={**WEBHOOK, "owner_org_id": w.body})


async def _subscription(w: World) -> dict[str, Any]:
    return created(await w.dialogue.post("/v1/webhooks", headers=as_admin(), json={**WEBHOOK, "owner_org_id": w.body}))


@builds("dialogue DELETE /v1/webhooks/{webhook_id}")
async def _webhook_delete(w: World) -> Call:
    sub = await _subscription(w)
    return Call(f"/v1/webhooks/{sub['id']}", headers=if_match(f"webhook-{sub['id']}", 1))


@builds("dialogue POST /v1/webhook-deliveries/{delivery_id}/replay")
async def _replay(w: World) -> Call:
    """A dead delivery: deliveries are made only by the worker, so it is written straight into the database."""
    sub = await _subscription(w)
    rec = await sent_recommendation(w.dialogue, [w.body])
    engine = make_engine(w.dialogue_url)
    try:
        async with engine.begin() as connection:
            event_id = (await connection.execute(text(
                "SELECT id FROM outbox_event WHERE subject = :subject ORDER BY id DESC"),
                {"subject": f"recommendation/{rec['id']}"})).scalars().first()
            delivery_id = (await connection.execute(text(
                "INSERT INTO webhook_delivery (subscription_id, event_id, event_type, message_id, status, attempts, "
                "next_attempt_at, attempt_log, created_at) VALUES (:sub, :event, 'recommendation.sent', :msg, 'dead', "
                "8, CURRENT_TIMESTAMP, '[]', CURRENT_TIMESTAMP) RETURNING id"),
                {"sub": sub["id"], "event": event_id, "msg": f"msg_{event_id}"})).scalar_one()
    finally:
        await engine.dispose()
    return Call(f"/v1/webhook-deliveries/{delivery_id}/replay")


@builds("dialogue PUT /v1/notification-preferences/{recipient_kind}/{recipient_id}")
async def _preference(w: World) -> Call:
    return Call(f"/v1/notification-preferences/org/{w.body}", json={"delivery": "digest"})


# --- the gateway's public API: requests (the caller's API key goes in the Authorization header) -------------

@builds("gateway POST /api/v1/recommendations/{recommendation_id}/responses")
async def _api_answer(w: World) -> Call:
    rec = await sent_recommendation(w.dialogue, [w.body])
    return Call(f"/api/v1/recommendations/{rec['id']}/responses",
                json={"org_id": w.body, "decision": "accepted", "reasons": "Поддерживаем"})


@builds("gateway POST /api/v1/recommendations/{recommendation_id}/progress")
async def _api_progress(w: World) -> Call:
    rec = await sent_recommendation(w.dialogue, [w.body])
    r = await answer(w.dialogue, rec["id"], w.body, "accepted")
    assert r.status_code == 201, r.text
    return Call(f"/api/v1/recommendations/{rec['id']}/progress",
                json={"org_id": w.body, "percent": 40, "note": "Рабочая группа создана"})


@builds("gateway POST /api/v1/webhooks")
async def _api_webhook(w: World) -> Call:
    return Call("/api/v1/webhooks", json=WEBHOOK)


@builds("gateway DELETE /api/v1/webhooks/{webhook_id}")
async def _api_webhook_delete(w: World) -> Call:
    sub = await _subscription(w)  # the addressed body's subscription
    return Call(f"/api/v1/webhooks/{sub['id']}", headers=if_match(f"webhook-{sub['id']}", 1))


def test_every_row_has_a_request():
    assert sorted(row.id for row in ROWS if row.id not in BUILDERS) == []
    assert sorted(set(BUILDERS) - {row.id for row in ROWS}) == []


# --- running the table ------------------------------------------------------------------------------------

@pytest.fixture
async def world(orgs: httpx.AsyncClient, dialogue: httpx.AsyncClient, dialogue_database_url: str) -> World:
    body = await state_body(orgs, "Акимат Восточно-Казахстанской области")
    other = await state_body(orgs, "Управление образования ВКО")
    civil = await ngo(orgs, "ОФ «Ashyq»")
    republican = await republican_body(orgs, "Министерство информации и общественного развития")
    login, password = "secretary.council", "correct-horse-battery"
    created(await orgs.post("/v1/accounts", headers=as_admin(), json={
        "login": login, "display_name": "Секретарь", "password": password, "roles": ["coordinator"]}))
    key = created(await orgs.post("/v1/api-keys", headers=as_admin(),
                                  json={"name": "Система акимата", "org_id": body, "scopes": ["read"]}))
    await person(orgs, "Касымова", "Жанар")
    return World(orgs=orgs, dialogue=dialogue, body=body, other=other, ngo=civil, republican=republican,
                 account_login=login, account_password=password, api_key=key["key"],
                 dialogue_url=dialogue_database_url)


async def _snapshot(*urls: str) -> dict[str, list[str]]:
    """Every row of every table of the given databases, in a stable order."""
    rows: dict[str, list[str]] = {}
    for url in urls:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                for table in sorted(tables):
                    result = await connection.execute(text(f'SELECT * FROM "{table}"'))
                    rows[f"{url} {table}"] = sorted(repr(tuple(r)) for r in result)
        finally:
            await engine.dispose()
    return rows


ALL_SCOPES = ("read", "answer", "webhooks")


@contextlib.asynccontextmanager
async def _public_api(row: Row, orgs_app: Any, dialogue_app: Any) -> AsyncIterator[httpx.AsyncClient | None]:
    """The gateway in process for the public API's rows (None for the others). API-key checks are trusted for
    the longest time allowed, so keys checked before the snapshot are not checked (nor touched) again."""
    if row.service != "gateway":
        yield None
        return
    async with contextlib.aclosing(_gateway_client(gateway_settings(api_key_cache_seconds=60), orgs_app,
                                                   dialogue_app)) as clients:
        async for client in clients:
            yield client


async def _issue_keys(w: World, row: Row) -> None:
    """The row's API-key callers, made through the registry's admin API; each is then used once, before the
    snapshot, so the registry's note of its first use (`last_used_at`) is not taken for a write by the request."""
    scope = required_scope(row)
    specs = {"key_scoped": (w.body, [scope]), "key_unscoped": (w.body, [s for s in ALL_SCOPES if s != scope]),
             "key_other_body": (w.other, [scope])}
    assert w.api is not None
    for caller, (org_id, scopes) in specs.items():
        if row.cells[caller] == ".":
            continue
        key = created(await w.orgs.post("/v1/api-keys", headers=as_admin(),
                                        json={"name": unique(caller), "org_id": org_id, "scopes": scopes}))
        w.keys[caller] = key["key"]
        r = await w.api.get(f"{PUBLIC_API}/v1/regions", headers=caller_headers(caller, w))
        assert r.status_code in (200, 403), f"{caller}: {r.status_code} {r.text}"


def refusal_status(row: Row, caller: str) -> int:
    mark = row.cells[caller]
    if mark == "n":
        return 404
    assert mark == "-"
    return 401 if caller in SERVICES[row.service].unauthenticated else 403


async def _send(w: World, row: Row, call: Call, caller: str) -> httpx.Response:
    client = {"orgs": w.orgs, "dialogue": w.dialogue, "gateway": w.api}[row.service]
    assert client is not None, row.service
    headers = {**caller_headers(caller, w), **call.headers}
    return await client.request(row.method, call.path, json=call.json, content=call.content, headers=headers)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
async def test_write_route_obeys_the_table(row, world, orgs_app, dialogue_app, orgs_database_url,
                                           dialogue_database_url):
    refused = [c for c, mark in row.cells.items() if mark in ("-", "n")]
    allowed = [c for c, mark in row.cells.items() if mark == "+"]

    async with _public_api(row, orgs_app, dialogue_app) as api:
        world.api = api
        if api is not None:
            await _issue_keys(world, row)
        call = await BUILDERS[row.id](world)
        before = await _snapshot(orgs_database_url, dialogue_database_url)
        for caller in refused:
            r = await _send(world, row, call, caller)
            expected = refusal_status(row, caller)
            assert r.status_code == expected, f"{caller}: {r.status_code} {r.text}"
            assert r.headers["content-type"].startswith("application/problem+json"), caller
            assert r.json()["status"] == expected
        assert await _snapshot(orgs_database_url, dialogue_database_url) == before, "a refused request wrote something"

        for caller in allowed:
            r = await _send(world, row, await BUILDERS[row.id](world), caller)
            assert 200 <= r.status_code < 300, f"{caller}: {r.status_code} {r.text}"
