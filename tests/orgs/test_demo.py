"""The registry's demo data (the seed articles' organizations and people), loaded and read back over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.common.db import make_engine, make_sessionmaker
from services.orgs import demo
from services.orgs.models import Membership, Organization, OrgTopic, Person, Region


async def _load(url: str) -> demo.DemoResult:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await demo.load(session)
            await session.commit()
    finally:
        await engine.dispose()
    return result


async def _row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            counts = {}
            for model in (Organization, Person, Membership, OrgTopic, Region):
                counts[model.__name__] = (await session.exec(select(func.count()).select_from(model))).one()[0]
    finally:
        await engine.dispose()
    return counts


async def _all(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


@pytest.fixture
async def loaded(orgs: httpx.AsyncClient, orgs_database_url: str) -> demo.DemoResult:
    return await _load(orgs_database_url)


async def test_load_enters_every_organization_person_and_membership(loaded, orgs):
    assert loaded.organizations == len(demo.ORGS)
    assert loaded.people == len(demo.PEOPLE)
    assert loaded.memberships == len(demo.MEMBERSHIPS)
    org_ids = {o["id"] for o in await _all(orgs, "/v1/orgs")}
    person_ids = {p["id"] for p in await _all(orgs, "/v1/people")}
    assert len(org_ids) == loaded.organizations and len(person_ids) == loaded.people
    # The ids dict covers every organization and person, under distinct keys.
    assert {v for k, v in loaded.ids.items() if k.startswith("org:")} == org_ids
    assert {v for k, v in loaded.ids.items() if k.startswith("person:")} == person_ids
    assert len(loaded.ids) == loaded.organizations + loaded.people
    memberships = await _all(orgs, "/v1/memberships")
    assert len(memberships) == loaded.memberships


async def test_second_load_refuses_and_changes_nothing(loaded, orgs, orgs_database_url):
    before = await _row_counts(orgs_database_url)
    with pytest.raises(demo.NotEmpty):
        await _load(orgs_database_url)
    assert await _row_counts(orgs_database_url) == before


async def test_refuses_a_registry_with_only_a_person(orgs, orgs_database_url, coordinator):
    response = await orgs.post("/v1/people", json={"family_name": "Иванова", "given_name": "Анна"},
                               headers=coordinator)
    assert response.status_code == 201, response.text
    with pytest.raises(demo.NotEmpty):
        await _load(orgs_database_url)
    assert (await _row_counts(orgs_database_url))["Organization"] == 0


async def test_every_record_names_its_source_article(loaded):
    for spec in (*demo.ORGS, *demo.PEOPLE):
        assert set(spec.sources) <= set(demo.SEEDS), spec.key
    # Only structural parents / attached-to bodies lack a naming article.
    unnamed = {spec.key for spec in demo.ORGS if not spec.sources}
    assert unnamed == {"org:parliament", "org:akimat_astana", "org:mvd"}
    assert all(spec.sources for spec in demo.PEOPLE)


async def test_search_finds_the_foundation_by_its_kazakh_name(loaded, orgs):
    found = await _all(orgs, "/v1/orgs", q="қазақстан")
    fund = next(o for o in found if o["id"] == loaded.ids["org:qazaqstan_halqyna"])
    assert fund["kind"] == "foundation"
    assert fund["names"]["kk"] == "«Қазақстан халқына» қоғамдық қоры"
    assert "Народу Казахстана" in fund["other_names"]
    # The upper-case Kazakh letters fold the same way.
    assert loaded.ids["org:qazaqstan_halqyna"] in {o["id"] for o in await _all(orgs, "/v1/orgs", q="ҚАЗАҚСТАН ХАЛҚЫНА")}


async def test_search_finds_the_university_by_its_short_name(loaded, orgs):
    response = await orgs.get("/v1/orgs", params={"q": "вкту"})
    items = response.json()["items"]
    assert items[0]["id"] == loaded.ids["org:vktu"]
    assert items[0]["short_name"] == "ВКТУ"
    assert items[0]["region_code"] == demo.UST_KAMENOGORSK
    assert loaded.ids["org:dsr"] in {o["id"] for o in items}


async def test_search_finds_public_councils(loaded, orgs):
    found = await _all(orgs, "/v1/orgs", q="ОБЩЕСТВЕННЫЙ")
    councils = {o["id"] for o in found if o["kind"] == "public_council"}
    assert councils == {loaded.ids["org:astana_public_council"], loaded.ids["org:mior_public_council"]}
    # The city's old name still finds its council.
    old_name = await _all(orgs, "/v1/orgs", q="Нур-Султан", kind="public_council")
    assert [o["id"] for o in old_name] == [loaded.ids["org:astana_public_council"]]


async def test_nurgazieva_is_president_of_the_civil_alliance(loaded, orgs):
    person_id = loaded.ids["person:nurgazieva"]
    person = (await orgs.get(f"/v1/people/{person_id}")).json()
    assert person["full_name"] == "Нургазиева Бану"
    assert person["contacts"] is None  # the public sees no contacts (and none were entered)
    memberships = await _all(orgs, "/v1/memberships", person_id=person_id)
    assert [(m["org_id"], m["role"], m["title"]) for m in memberships] == [
        (loaded.ids["org:civil_alliance"], "head", "президент Гражданского Альянса Казахстана")]
    assert memberships[0]["org_name"] == "Объединение юридических лиц «Гражданский Альянс Казахстана»"
    assert memberships[0]["is_current"] is True


async def test_titles_are_kept_as_written(loaded, orgs):
    memberships = await _all(orgs, "/v1/memberships", person_id=loaded.ids["person:burkitbaev"])
    assert [(m["org_id"], m["role"], m["title"]) for m in memberships] == [
        (loaded.ids["org:moh"], "deputy_head", "вице-министр здравоохранения")]
    zheksenbay = await _all(orgs, "/v1/memberships", person_id=loaded.ids["person:zheksenbay"])
    assert {(m["org_id"], m["role"]) for m in zheksenbay} == {
        (loaded.ids["org:senate"], "member"), (loaded.ids["org:kurultai"], "deputy_chair")}


async def test_hierarchy(loaded, orgs):
    ids = loaded.ids
    committee = (await orgs.get(f"/v1/orgs/{ids['org:mki_civil_society_committee']}")).json()
    assert committee["parent_id"] == ids["org:mki"]
    assert committee["kind"] == "state_body" and committee["level"] == "republican"
    page = (await orgs.get(f"/v1/orgs/{ids['org:vktu']}/members")).json()
    assert [c["id"] for c in page["children"]] == [ids["org:dsr"]]
    assert [(m["person_id"], m["role"]) for m in page["current"]] == [(ids["person:rakhmetullina"], "head")]
    expected_parents = {
        "org:enu_ank_department": "org:enu", "org:apa_vko": "org:apa", "org:senate": "org:parliament",
        "org:mior_ngo_council": "org:mior", "org:astana_police": "org:mvd",
    }
    for child, parent in expected_parents.items():
        assert (await orgs.get(f"/v1/orgs/{ids[child]}")).json()["parent_id"] == ids[parent], child
    council = (await orgs.get(f"/v1/orgs/{ids['org:mior_public_council']}")).json()
    assert council["attached_to_id"] == ids["org:mior"]


async def test_regions(loaded, orgs):
    city = (await orgs.get(f"/v1/regions/{demo.UST_KAMENOGORSK}")).json()
    assert city["parent_code"] == demo.EAST_KAZAKHSTAN and city["names"]["kk"] == "Өскемен қаласы"
    in_vko = {o["id"] for o in await _all(orgs, "/v1/orgs", region=demo.EAST_KAZAKHSTAN)}
    assert {loaded.ids[k] for k in ("org:vktu", "org:dsr", "org:akimat_vko", "org:left_bank_museum",
                                    "org:apa_vko")} <= in_vko
    in_astana = {o["id"] for o in await _all(orgs, "/v1/orgs", region=demo.ASTANA)}
    assert loaded.ids["org:astana_public_council"] in in_astana and not in_vko & in_astana


async def test_names_in_three_languages(loaded, orgs):
    for spec in demo.ORGS:
        assert spec.names.kk and spec.names.en, spec.key
    response = await orgs.get(f"/v1/orgs/{loaded.ids['org:mior']}", headers={"Accept-Language": "kk"})
    assert response.json()["name"] == "Қазақстан Республикасының Ақпарат және қоғамдық даму министрлігі"
    response = await orgs.get(f"/v1/orgs/{loaded.ids['org:mior']}", headers={"Accept-Language": "en"})
    assert response.json()["name"] == "Ministry of Information and Social Development of the Republic of Kazakhstan"


async def test_no_invented_identifiers_or_contacts(loaded, orgs, coordinator):
    for org in await _all(orgs, "/v1/orgs"):
        assert org["bin"] is None
        assert org["contacts"]["email"] is None and org["contacts"]["phone"] is None
    response = await orgs.get("/v1/people", params={"limit": 200}, headers=coordinator)
    for person in response.json()["items"]:
        assert person["contacts"] == {"email": None, "phone": None, "iin": None}


async def test_the_capital_council_is_checked_honestly(loaded, orgs):
    council_id = loaded.ids["org:astana_public_council"]
    council = (await orgs.get(f"/v1/orgs/{council_id}")).json()
    assert council["attached_to_id"] == loaded.ids["org:akimat_astana"]
    check = (await orgs.get(f"/v1/orgs/{council_id}/composition")).json()
    assert check["member_count"] == 0  # the articles name none of its members
    codes = {f["code"] for f in check["findings"]}
    assert {"size_below_minimum", "no_chair", "term_unknown"} <= codes
    assert "not_attached" not in codes


async def test_the_coordination_council_is_not_a_public_council(loaded, orgs):
    council = (await orgs.get(f"/v1/orgs/{loaded.ids['org:mior_ngo_council']}")).json()
    assert council["kind"] == "other"
    response = await orgs.get(f"/v1/orgs/{loaded.ids['org:mior_ngo_council']}/composition")
    assert response.status_code == 422
    chair = await _all(orgs, "/v1/memberships", org_id=loaded.ids["org:mior_ngo_council"])
    assert [(m["person_id"], m["role"]) for m in chair] == [(loaded.ids["person:umarov"], "chair")]


async def test_topics_are_filterable(loaded, orgs):
    found = {o["id"] for o in await _all(orgs, "/v1/orgs", topic="государственный социальный заказ")}
    assert {loaded.ids["org:mior"], loaded.ids["org:mior_public_council"], loaded.ids["org:mior_ngo_council"]} <= found
