"""Shared steps for gateway tests: a small registry and dialogue history made through the real services'
APIs, and reading pages as a browser would (CSRF tokens, visible text)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx

from services.contracts.auth import Role
from tests.conftest import actor_headers
from tests.dialogue.helpers import (
    EAST_KAZAKHSTAN,
    add_participant,
    answer,
    as_coordinator,
    create_session,
    move_session,
    ngo,
    person,
    publish_protocol,
    record_on_item,
    republican_body,
    sent_recommendation,
    set_head_counts,
    state_body,
)

XSS = "<script>alert(1)</script>"
PERSON_EMAIL = "aigerim.private@example.kz"
PERSON_PHONE = "+7 701 555 12 34"
PERSON_IIN = "061211600012"


@dataclass
class World:
    akimat: int
    ministry: int
    vktu: int
    fund: int
    xss_org: int
    council: int
    person: int
    session: dict[str, Any]
    answered: dict[str, Any]
    overdue: dict[str, Any]


async def build_world(orgs: httpx.AsyncClient, dialogue: httpx.AsyncClient) -> World:
    """The seed story in miniature: a round table at ВКТУ with a published protocol, one answered
    recommendation and one overdue; a person with private contacts; an org whose name is a script."""
    akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области",
                              names={"ru": "Акимат Восточно-Казахстанской области",
                                     "kk": "Шығыс Қазақстан облысының әкімдігі",
                                     "en": "Akimat of East Kazakhstan Region"})
    ministry = await republican_body(orgs, "Министерство информации и общественного развития РК",
                                     names={"ru": "Министерство информации и общественного развития РК",
                                            "kk": "ҚР Ақпарат және қоғамдық даму министрлігі"})
    vktu = await ngo(orgs, "Восточно-Казахстанский технический университет им. Д. Серикбаева",
                     kind="research_education", short_name="ВКТУ",
                     names={"ru": "Восточно-Казахстанский технический университет им. Д. Серикбаева",
                            "kk": "Д. Серікбаев атындағы Шығыс Қазақстан техникалық университеті"})
    fund = await ngo(orgs, "Общественный фонд «Қазақстан халқына»", kind="foundation", level="republican",
                     region_code=None)
    xss_org = await ngo(orgs, XSS)
    council = await ngo(orgs, "Общественный совет ВКО", kind="public_council", attached_to_id=akimat)
    someone = await person(orgs, "Нургазиева", "Бану", contacts={"email": PERSON_EMAIL, "phone": PERSON_PHONE,
                                                                 "iin": PERSON_IIN})
    r = await orgs.post("/v1/memberships", headers=as_coordinator(),
                        json={"person_id": someone, "org_id": council, "role": "chair", "on_behalf_of_id": xss_org})
    assert r.status_code == 201, r.text

    session = await create_session(
        dialogue, "Поиск системного взаимодействия", organizer_ids=[vktu, xss_org], region_code=EAST_KAZAKHSTAN,
        starts_at="2025-10-14T10:00:00+05:00", topics=["гражданское общество"],
        agenda=[{"title": "Модель Ashyq", "speakers": [{"person_id": someone, "org_id": xss_org}]},
                {"title": XSS, "speakers": [{"name": XSS, "affiliation": XSS}]}],
        status="in_progress")
    await add_participant(dialogue, session["id"], person_id=someone, sector="civil_society", checked_in=True)
    await set_head_counts(dialogue, session["id"], state=35, civil_society=46)
    items = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda")).json()
    await record_on_item(dialogue, session["id"], items[0]["id"], heard=XSS, decided="Рекомендовать модель")
    session = await move_session(dialogue, session["id"], "concluded")
    await publish_protocol(dialogue, session["id"], number="1", chair=XSS, place="ВКТУ",
                           items=[{"title": "Модель Ashyq", "heard": XSS, "decided": "Рекомендовать модель"}])
    answered = await sent_recommendation(dialogue, [akimat], text="Рекомендовать модель Ashyq как пилот",
                                         session_id=session["id"], response_due_on="2099-01-01")
    r = await answer(dialogue, answered["id"], akimat, "accepted", reasons="Включено в план акимата")
    assert r.status_code == 201, r.text
    overdue = await sent_recommendation(dialogue, [ministry], text=f"Рассмотреть вопрос {XSS}",
                                        response_due_on="2022-04-17")
    return World(akimat=akimat, ministry=ministry, vktu=vktu, fund=fund, xss_org=xss_org, council=council,
                 person=someone, session=session, answered=answered, overdue=overdue)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'"X-CSRF-Token": "([^"]+)"', page)
    assert match, "the page carries no CSRF token"
    return match[1]


def visible_text(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded), whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())


async def create_account(orgs: httpx.AsyncClient, login: str, password: str, *, roles: list[str] | None = None,
                         display_name: str = "Айгерим Координатор", org_ids: list[int] | None = None) -> dict[str, Any]:
    r = await orgs.post("/v1/accounts", headers=actor_headers(Role.admin),
                        json={"login": login, "display_name": display_name, "password": password,
                              "roles": roles or ["coordinator"], "org_ids": org_ids or []})
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    return account


async def disable_account(orgs: httpx.AsyncClient, account: dict[str, Any]) -> None:
    r = await orgs.get(f"/v1/accounts/{account['id']}", headers=actor_headers(Role.admin))
    r = await orgs.patch(f"/v1/accounts/{account['id']}", json={"is_disabled": True},
                         headers={**actor_headers(Role.admin), "If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text


async def sign_in(gateway: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    page = (await gateway.get("/login")).text
    return await gateway.post("/login", data={"login": login, "password": password, "csrf_token": csrf_token(page),
                                              "next": "/"})
