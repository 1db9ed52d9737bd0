"""People and their roles in organizations over time; contacts are personal data, shown to coordinators only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common.db import today_kz
from services.contracts.auth import Role
from tests.conftest import actor_headers

IIN = "061211600012"
OTHER_IIN = "880514300705"
PROBLEM_JSON = "application/problem+json"


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    if fields:
        assert set(fields) <= {e["field"] for e in body["errors"]}, body
    return body


def person_body(family: str = "Серикбаев", given: str = "Даулет", **overrides) -> dict:
    return {"family_name": family, "given_name": given, "patronymic": "Маратович", "position": "эксперт",
            **overrides}


async def create_person(orgs, headers, **overrides) -> dict:
    response = await orgs.post("/v1/people", json=person_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_org(orgs, headers, name: str, kind: str = "ngo", **overrides) -> dict:
    body = {"kind": kind, "level": "regional", "region_code": "630000000", "names": {"ru": name}, **overrides}
    response = await orgs.post("/v1/orgs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_membership(orgs, headers, **body) -> dict:
    response = await orgs.post("/v1/memberships", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def days(n: int) -> str:
    return (today_kz() + timedelta(days=n)).isoformat()


@pytest.fixture
async def person_with_contacts(orgs, coordinator) -> dict:
    return await create_person(orgs, coordinator, contacts={"email": "d.serikbayev@example.kz",
                                                            "phone": "+7 701 000 00 00", "iin": IIN})


CONTACTS = {"email": "d.serikbayev@example.kz", "phone": "+7 701 000 00 00", "iin": IIN}


class TestPersonContacts:
    @pytest.mark.parametrize("role", [Role.coordinator, Role.admin])
    async def test_coordinators_and_admins_see_contacts(self, orgs, person_with_contacts, role):
        response = await orgs.get(f"/v1/people/{person_with_contacts['id']}", headers=actor_headers(role))
        assert response.status_code == 200
        assert response.json()["contacts"] == CONTACTS

    async def test_creator_gets_contacts_back(self, person_with_contacts):
        assert person_with_contacts["contacts"] == CONTACTS

    @pytest.mark.parametrize("role", [None, Role.member, Role.representative, Role.service])
    async def test_everyone_else_gets_no_contacts(self, orgs, person_with_contacts, role):
        headers = actor_headers(role) if role else {}
        response = await orgs.get(f"/v1/people/{person_with_contacts['id']}", headers=headers)
        assert response.status_code == 200
        assert response.json()["contacts"] is None
        assert IIN not in response.text and "d.serikbayev" not in response.text
        assert "Authorization" in response.headers["Vary"]
        assert response.json()["full_name"] == "Серикбаев Даулет Маратович"

    @pytest.mark.parametrize("role", [None, Role.member])
    async def test_public_lists_and_batches_carry_no_contacts(self, orgs, person_with_contacts, role):
        headers = actor_headers(role) if role else {}
        listed = await orgs.get("/v1/people", headers=headers)
        batch = await orgs.get("/v1/people/batch", params={"ids": str(person_with_contacts["id"])}, headers=headers)
        for response in (listed, batch):
            assert response.status_code == 200
            assert [p["contacts"] for p in response.json()["items"]] == [None]
            assert IIN not in response.text and "d.serikbayev" not in response.text

    async def test_coordinator_lists_carry_contacts(self, orgs, person_with_contacts, coordinator):
        listed = await orgs.get("/v1/people", headers=coordinator)
        batch = await orgs.get("/v1/people/batch", params={"ids": str(person_with_contacts["id"])},
                               headers=coordinator)
        assert [p["contacts"] for p in listed.json()["items"]] == [CONTACTS]
        assert [p["contacts"] for p in batch.json()["items"]] == [CONTACTS]

    async def test_contacts_are_not_searchable(self, orgs, person_with_contacts):
        for query in (IIN, "d.serikbayev@example.kz", "701 000"):
            assert (await orgs.get("/v1/people", params={"q": query})).json()["items"] == [], query

    async def test_memberships_do_not_carry_contacts(self, orgs, person_with_contacts, coordinator):
        council = await create_org(orgs, coordinator, "Общественный совет ВКО", kind="public_council")
        await create_membership(orgs, coordinator, person_id=person_with_contacts["id"], org_id=council["id"],
                                role="member")
        for path in (f"/v1/orgs/{council['id']}/members", "/v1/memberships"):
            response = await orgs.get(path)
            assert response.status_code == 200
            assert IIN not in response.text and "d.serikbayev" not in response.text

    async def test_invalid_token_is_refused_rather_than_read_as_public(self, orgs, person_with_contacts):
        response = await orgs.get(f"/v1/people/{person_with_contacts['id']}",
                                  headers={"Authorization": "Bearer forged"})
        assert_problem(response, 401)


class TestCreatePerson:
    async def test_rejects_iin_with_wrong_check_digit(self, orgs, coordinator):
        response = await orgs.post("/v1/people", headers=coordinator,
                                   json=person_body(contacts={"iin": "061211600013"}))
        assert_problem(response, 422, "contacts.iin")
        assert (await orgs.get("/v1/people", headers=coordinator)).json()["items"] == []

    async def test_rejects_invalid_email(self, orgs, coordinator):
        response = await orgs.post("/v1/people", headers=coordinator,
                                   json=person_body(contacts={"email": "not-an-address"}))
        assert_problem(response, 422, "contacts.email")

    async def test_rejects_duplicate_iin_without_revealing_it(self, orgs, coordinator, person_with_contacts):
        response = await orgs.post("/v1/people", headers=coordinator,
                                   json=person_body("Ахметова", "Айгерим", contacts={"iin": IIN}))
        assert_problem(response, 409, "contacts.iin")
        assert IIN not in response.text
        assert "Серикбаев" not in response.text

    async def test_requires_family_and_given_name(self, orgs, coordinator):
        response = await orgs.post("/v1/people", headers=coordinator, json={"family_name": " "})
        assert_problem(response, 422, "family_name", "given_name")

    async def test_keeps_kazakh_and_latin_spellings(self, orgs, coordinator):
        created = await create_person(orgs, coordinator, name_kk="Серікбаев Дәулет Маратұлы",
                                      name_en="Daulet Serikbayev", honorific="к.т.н.")
        read = (await orgs.get(f"/v1/people/{created['id']}")).json()
        assert (read["name_kk"], read["name_en"], read["honorific"]) == (
            "Серікбаев Дәулет Маратұлы", "Daulet Serikbayev", "к.т.н.")

    async def test_people_are_searchable_by_name_in_any_case_and_order(self, orgs, coordinator):
        created = await create_person(orgs, coordinator, name_kk="Серікбаев Дәулет")
        await create_person(orgs, coordinator, family="Ахметова", given="Айгерим")
        for query in ("серикбаев", "ДАУЛЕТ СЕРИКБАЕВ", "дәулет", "эксперт"):
            found = (await orgs.get("/v1/people", params={"q": query})).json()["items"]
            assert created["id"] in [p["id"] for p in found], query
        found = (await orgs.get("/v1/people", params={"q": "серікбаев"})).json()["items"]
        assert [p["id"] for p in found] == [created["id"]]

    @pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.member, 403), (Role.representative, 403)])
    async def test_writes_need_an_editor(self, orgs, role, status):
        headers = actor_headers(role) if role else {}
        assert_problem(await orgs.post("/v1/people", json=person_body(), headers=headers), status)

    async def test_retried_create_makes_one_person(self, orgs, coordinator):
        headers = {**coordinator, "Idempotency-Key": "person-1"}
        first = await orgs.post("/v1/people", json=person_body(), headers=headers)
        retry = await orgs.post("/v1/people", json=person_body(), headers=headers)
        assert retry.json() == first.json()
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert len((await orgs.get("/v1/people")).json()["items"]) == 1


class TestUpdatePerson:
    async def test_changes_only_the_fields_sent(self, orgs, coordinator, person_with_contacts):
        read = await orgs.get(f"/v1/people/{person_with_contacts['id']}")
        response = await orgs.patch(f"/v1/people/{person_with_contacts['id']}", json={"position": "председатель"},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["position"] == "председатель"
        assert updated["version"] == person_with_contacts["version"] + 1
        assert updated["contacts"] == CONTACTS
        assert updated["family_name"] == person_with_contacts["family_name"]

    async def test_if_match_is_required_and_checked(self, orgs, coordinator, person_with_contacts):
        path = f"/v1/people/{person_with_contacts['id']}"
        assert_problem(await orgs.patch(path, json={"position": "x"}, headers=coordinator), 428)
        assert_problem(await orgs.patch(path, json={"position": "x"}, headers={**coordinator, "If-Match": '"1.99"'}),
                       412)

    async def test_refuses_invalid_iin(self, orgs, coordinator, person_with_contacts):
        read = await orgs.get(f"/v1/people/{person_with_contacts['id']}")
        response = await orgs.patch(f"/v1/people/{person_with_contacts['id']}", json={"contacts": {"iin": "123"}},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert_problem(response, 422, "contacts.iin")

    async def test_changing_one_contact_keeps_the_others(self, orgs, coordinator, person_with_contacts):
        read = await orgs.get(f"/v1/people/{person_with_contacts['id']}")
        response = await orgs.patch(f"/v1/people/{person_with_contacts['id']}",
                                    json={"contacts": {"phone": "+7 777 111 11 11"}},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        assert response.json()["contacts"] == {**CONTACTS, "phone": "+7 777 111 11 11"}

    async def test_a_contact_sent_as_null_is_removed(self, orgs, coordinator, person_with_contacts):
        read = await orgs.get(f"/v1/people/{person_with_contacts['id']}")
        response = await orgs.patch(f"/v1/people/{person_with_contacts['id']}", json={"contacts": {"iin": None}},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.json()["contacts"] == {**CONTACTS, "iin": None}

    async def test_refuses_another_persons_iin(self, orgs, coordinator, person_with_contacts):
        other = await create_person(orgs, coordinator, family="Ахметова", given="Айгерим",
                                    contacts={"iin": OTHER_IIN})
        read = await orgs.get(f"/v1/people/{other['id']}")
        response = await orgs.patch(f"/v1/people/{other['id']}", json={"contacts": {"iin": IIN}},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert_problem(response, 409, "contacts.iin")


class TestArchivePerson:
    async def test_delete_archives_and_the_person_stays_readable(self, orgs, coordinator, person_with_contacts):
        path = f"/v1/people/{person_with_contacts['id']}"
        read = await orgs.get(path)
        response = await orgs.delete(path, headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        assert (await orgs.get(path)).json()["is_archived"] is True
        assert (await orgs.get("/v1/people")).json()["items"] == []
        assert len((await orgs.get("/v1/people", params={"include_archived": True})).json()["items"]) == 1

    async def test_archived_person_cannot_take_a_new_role(self, orgs, coordinator, person_with_contacts):
        path = f"/v1/people/{person_with_contacts['id']}"
        read = await orgs.get(path)
        await orgs.delete(path, headers={**coordinator, "If-Match": read.headers["ETag"]})
        org = await create_org(orgs, coordinator, "ОО «Ашық қоғам»")
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": person_with_contacts["id"], "org_id": org["id"], "role": "member"})
        assert_problem(response, 422, "person_id")


@pytest.fixture
async def council_setup(orgs, coordinator) -> dict:
    akimat = await create_org(orgs, coordinator, "Акимат Восточно-Казахстанской области", kind="state_body",
                              names={"ru": "Акимат Восточно-Казахстанской области",
                                     "kk": "Шығыс Қазақстан облысының әкімдігі"})
    council = await create_org(orgs, coordinator, "Общественный совет ВКО", kind="public_council",
                               attached_to_id=akimat["id"],
                               names={"ru": "Общественный совет ВКО", "kk": "ШҚО Қоғамдық кеңесі"})
    ngo = await create_org(orgs, coordinator, "ОО «Ашық қоғам»")
    person = await create_person(orgs, coordinator)
    return {"akimat": akimat, "council": council, "ngo": ngo, "person": person}


class TestCreateMembership:
    async def test_names_the_person_the_org_and_whom_the_member_represents(self, orgs, coordinator, council_setup):
        s = council_setup
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "chair",
            "title": "председатель Общественного совета", "on_behalf_of_id": s["ngo"]["id"],
            "start_on": "2024-03-01"})
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["Location"] == f"/v1/memberships/{created['id']}"
        assert created["person_name"] == "Серикбаев Даулет Маратович"
        assert created["org_name"] == "Общественный совет ВКО"
        assert created["on_behalf_of_name"] == "ОО «Ашық қоғам»"
        assert created["is_current"] is True
        assert (created["role"], created["title"], created["start_on"], created["end_on"]) == (
            "chair", "председатель Общественного совета", "2024-03-01", None)
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        assert read.json() == created
        assert read.headers["ETag"] == response.headers["ETag"]

    async def test_org_names_follow_accept_language(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member",
                                          on_behalf_of_id=s["akimat"]["id"])
        read = (await orgs.get(f"/v1/memberships/{created['id']}", headers={"Accept-Language": "kk"})).json()
        assert read["org_name"] == "ШҚО Қоғамдық кеңесі"
        assert read["on_behalf_of_name"] == "Шығыс Қазақстан облысының әкімдігі"

    async def test_refuses_end_before_start(self, orgs, coordinator, council_setup):
        s = council_setup
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "member",
            "start_on": "2024-03-01", "end_on": "2024-02-29"})
        assert_problem(response, 422, "end_on")
        assert (await orgs.get("/v1/memberships")).json()["items"] == []

    async def test_refuses_representing_the_org_itself(self, orgs, coordinator, council_setup):
        s = council_setup
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "member",
            "on_behalf_of_id": s["council"]["id"]})
        assert_problem(response, 422, "on_behalf_of_id")

    @pytest.mark.parametrize("field", ["person_id", "org_id", "on_behalf_of_id"])
    async def test_refuses_unknown_references(self, orgs, coordinator, council_setup, field):
        s = council_setup
        body = {"person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "member",
                "on_behalf_of_id": s["ngo"]["id"], field: 987654}
        assert_problem(await orgs.post("/v1/memberships", headers=coordinator, json=body), 422, field)

    async def test_refuses_archived_org(self, orgs, coordinator, council_setup):
        s = council_setup
        read = await orgs.get(f"/v1/orgs/{s['ngo']['id']}")
        await orgs.delete(f"/v1/orgs/{s['ngo']['id']}", headers={**coordinator, "If-Match": read.headers["ETag"]})
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": s["person"]["id"], "org_id": s["ngo"]["id"], "role": "member"})
        assert_problem(response, 422, "org_id")

    async def test_refuses_unknown_role(self, orgs, coordinator, council_setup):
        s = council_setup
        response = await orgs.post("/v1/memberships", headers=coordinator, json={
            "person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "boss"})
        assert_problem(response, 422, "role")

    async def test_refuses_the_same_role_starting_the_same_day_twice(self, orgs, coordinator, council_setup):
        s = council_setup
        body = {"person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "member",
                "start_on": "2024-03-01"}
        await create_membership(orgs, coordinator, **body)
        assert_problem(await orgs.post("/v1/memberships", headers=coordinator, json=body), 409)

    @pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.member, 403), (Role.representative, 403)])
    async def test_writes_need_an_editor(self, orgs, council_setup, role, status):
        s = council_setup
        headers = actor_headers(role) if role else {}
        response = await orgs.post("/v1/memberships", headers=headers, json={
            "person_id": s["person"]["id"], "org_id": s["council"]["id"], "role": "member"})
        assert_problem(response, status)


class TestChangeMembership:
    async def test_ending_a_membership_makes_it_former(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member", start_on="2021-01-01")
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        response = await orgs.patch(f"/v1/memberships/{created['id']}", json={"end_on": days(-1)},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        assert response.json()["is_current"] is False
        assert response.json()["version"] == 2
        members = (await orgs.get(f"/v1/orgs/{s['council']['id']}/members")).json()
        assert [m["id"] for m in members["former"]] == [created["id"]]
        assert members["current"] == []

    async def test_refuses_end_before_start_on_change(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member", start_on="2024-03-01")
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        response = await orgs.patch(f"/v1/memberships/{created['id']}", json={"end_on": "2023-12-31"},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert_problem(response, 422, "end_on")
        assert (await orgs.get(f"/v1/memberships/{created['id']}")).json()["end_on"] is None

    async def test_membership_of_an_archived_person_can_still_be_ended(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member", start_on="2021-01-01")
        person = await orgs.get(f"/v1/people/{s['person']['id']}")
        await orgs.delete(f"/v1/people/{s['person']['id']}",
                          headers={**coordinator, "If-Match": person.headers["ETag"]})
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        response = await orgs.patch(f"/v1/memberships/{created['id']}", json={"end_on": days(-1)},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        assert response.json()["is_current"] is False

    async def test_membership_in_an_archived_org_can_still_be_ended(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"], org_id=s["ngo"]["id"],
                                          role="head", start_on="2021-01-01")
        org = await orgs.get(f"/v1/orgs/{s['ngo']['id']}")
        await orgs.delete(f"/v1/orgs/{s['ngo']['id']}", headers={**coordinator, "If-Match": org.headers["ETag"]})
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        response = await orgs.patch(f"/v1/memberships/{created['id']}", json={"end_on": days(-1)},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text

    async def test_if_match_is_required_and_checked(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member")
        path = f"/v1/memberships/{created['id']}"
        assert_problem(await orgs.patch(path, json={"role": "secretary"}, headers=coordinator), 428)
        assert_problem(await orgs.delete(path, headers=coordinator), 428)
        stale = {**coordinator, "If-Match": f'"{created["id"]}.7"'}
        assert_problem(await orgs.patch(path, json={"role": "secretary"}, headers=stale), 412)
        assert_problem(await orgs.delete(path, headers=stale), 412)

    async def test_delete_removes_a_membership_entered_by_mistake(self, orgs, coordinator, council_setup):
        s = council_setup
        created = await create_membership(orgs, coordinator, person_id=s["person"]["id"],
                                          org_id=s["council"]["id"], role="member")
        read = await orgs.get(f"/v1/memberships/{created['id']}")
        response = await orgs.delete(f"/v1/memberships/{created['id']}",
                                     headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 204
        assert_problem(await orgs.get(f"/v1/memberships/{created['id']}"), 404)


class TestOrgMembers:
    async def test_splits_current_and_former_members_by_end_date(self, orgs, coordinator, council_setup):
        s = council_setup
        council = s["council"]["id"]
        people = [await create_person(orgs, coordinator, family=f, given="Тест")
                  for f in ("Абаев", "Бекова", "Ванина", "Гусейнов")]
        ongoing = await create_membership(orgs, coordinator, person_id=people[0]["id"], org_id=council,
                                          role="chair", start_on="2022-01-01", on_behalf_of_id=s["ngo"]["id"])
        ends_today = await create_membership(orgs, coordinator, person_id=people[1]["id"], org_id=council,
                                             role="member", start_on="2022-01-01", end_on=days(0))
        ended = await create_membership(orgs, coordinator, person_id=people[2]["id"], org_id=council,
                                        role="member", start_on="2019-01-01", end_on="2021-12-31")
        ended_yesterday = await create_membership(orgs, coordinator, person_id=people[3]["id"], org_id=council,
                                                  role="secretary", start_on="2020-01-01", end_on=days(-1))
        response = await orgs.get(f"/v1/orgs/{council}/members")
        assert response.status_code == 200
        members = response.json()
        assert members["org"]["id"] == council
        assert {m["id"] for m in members["current"]} == {ongoing["id"], ends_today["id"]}
        assert [m["id"] for m in members["former"]] == [ended_yesterday["id"], ended["id"]]
        assert all(m["is_current"] for m in members["current"])
        assert not any(m["is_current"] for m in members["former"])
        chair = next(m for m in members["current"] if m["id"] == ongoing["id"])
        assert (chair["person_name"], chair["on_behalf_of_name"]) == ("Абаев Тест Маратович", "ОО «Ашық қоғам»")

    async def test_lists_sub_organizations_but_not_archived_ones(self, orgs, coordinator, council_setup):
        akimat = council_setup["akimat"]["id"]
        kept = await create_org(orgs, coordinator, "Управление внутренней политики", kind="state_body",
                                parent_id=akimat)
        gone = await create_org(orgs, coordinator, "Упразднённое управление", kind="state_body", parent_id=akimat)
        read = await orgs.get(f"/v1/orgs/{gone['id']}")
        await orgs.delete(f"/v1/orgs/{gone['id']}", headers={**coordinator, "If-Match": read.headers["ETag"]})
        members = (await orgs.get(f"/v1/orgs/{akimat}/members")).json()
        assert [c["id"] for c in members["children"]] == [kept["id"]]

    async def test_unknown_org_is_404_problem(self, orgs):
        assert_problem(await orgs.get("/v1/orgs/987654/members"), 404)


class TestListMemberships:
    async def test_filters_by_person_org_role_and_currency(self, orgs, coordinator, council_setup):
        s = council_setup
        other = await create_person(orgs, coordinator, family="Ахметова", given="Айгерим")
        chair = await create_membership(orgs, coordinator, person_id=s["person"]["id"], org_id=s["council"]["id"],
                                        role="chair")
        staff = await create_membership(orgs, coordinator, person_id=s["person"]["id"], org_id=s["ngo"]["id"],
                                        role="head", start_on="2015-01-01", end_on="2020-01-01")
        member = await create_membership(orgs, coordinator, person_id=other["id"], org_id=s["council"]["id"],
                                         role="member")

        async def ids(**params) -> list[int]:
            response = await orgs.get("/v1/memberships", params=params)
            assert response.status_code == 200, response.text
            return [m["id"] for m in response.json()["items"]]

        assert await ids(person_id=s["person"]["id"]) == [chair["id"], staff["id"]]
        assert await ids(org_id=s["council"]["id"]) == [chair["id"], member["id"]]
        assert await ids(role="chair") == [chair["id"]]
        assert await ids(current=True) == [chair["id"], member["id"]]
        assert await ids(current=False) == [staff["id"]]
        assert await ids(person_id=s["person"]["id"], current=True) == [chair["id"]]

    async def test_pages_through_every_membership_once(self, orgs, coordinator, council_setup):
        s = council_setup
        made = []
        for family in ("Абаев", "Бекова", "Ванина", "Гусейнов", "Дюсенов"):
            p = await create_person(orgs, coordinator, family=family)
            made.append((await create_membership(orgs, coordinator, person_id=p["id"], org_id=s["council"]["id"],
                                                 role="member"))["id"])
        served, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await orgs.get("/v1/memberships", params=params)).json()
            served += [m["id"] for m in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert served == made

    @pytest.mark.parametrize("path", ["/v1/memberships", "/v1/people"])
    async def test_malformed_cursor_is_422_problem(self, orgs, path):
        assert_problem(await orgs.get(path, params={"cursor": "!!not-ours"}), 422, "cursor")
        assert_problem(await orgs.get(path, params={"cursor": "WyJ4Il0"}), 422, "cursor")  # ["x"]
