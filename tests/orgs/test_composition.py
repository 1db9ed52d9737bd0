"""Public-council composition against the law "On public councils": size, civil-society share, one seat
per NGO, a chair from outside public service, renewal before the term ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from services.common.db import today_kz
from services.orgs.settings import OrgsSettings

SETTINGS = OrgsSettings(database_url="sqlite://")
REPUBLICAN_MIN, REPUBLICAN_MAX = SETTINGS.council_size_republican
LOCAL_MIN, LOCAL_MAX = SETTINGS.council_size_local


def days(n: int) -> str:
    return (today_kz() + timedelta(days=n)).isoformat()


async def post(orgs, headers, path: str, body: dict) -> dict:
    response = await orgs.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class Council:
    """A council being composed through the API, and the people put on it."""

    orgs: object
    headers: dict
    id: int
    state_body_id: int
    chair_id: int | None = None
    civil: list[int] = field(default_factory=list)
    state: list[int] = field(default_factory=list)
    ngo_ids: list[int] = field(default_factory=list)

    async def seat(self, family: str, *, on_behalf_of_id: int | None, role: str = "member",
                   start_on: str | None = "2024-01-15", end_on: str | None = None) -> int:
        person = await post(self.orgs, self.headers, "/v1/people", {"family_name": family, "given_name": "Член"})
        await post(self.orgs, self.headers, "/v1/memberships", {
            "person_id": person["id"], "org_id": self.id, "role": role, "on_behalf_of_id": on_behalf_of_id,
            "start_on": start_on, "end_on": end_on})
        return int(person["id"])

    async def ngo(self, name: str) -> int:
        created = await post(self.orgs, self.headers, "/v1/orgs", {
            "kind": "ngo", "level": "regional", "region_code": "630000000", "names": {"ru": name}})
        self.ngo_ids.append(created["id"])
        return int(created["id"])

    async def add_civil(self, count: int, *, chair: bool = False) -> None:
        for _ in range(count):
            n = len(self.civil) + 1
            ngo = await self.ngo(f"ОО «Гражданская инициатива № {n}»")
            role = "chair" if chair and self.chair_id is None else "member"
            person = await self.seat(f"Гражданский{n}", on_behalf_of_id=ngo, role=role)
            if role == "chair":
                self.chair_id = person
            self.civil.append(person)

    async def add_state(self, count: int) -> None:
        for _ in range(count):
            self.state.append(await self.seat(f"Госслужащий{len(self.state) + 1}",
                                              on_behalf_of_id=self.state_body_id))

    async def check(self) -> dict:
        response = await self.orgs.get(f"/v1/orgs/{self.id}/composition")
        assert response.status_code == 200, response.text
        return response.json()


def codes(check: dict, severity: str | None = None) -> set[str]:
    return {f["code"] for f in check["findings"] if severity is None or f["severity"] == severity}


def finding(check: dict, code: str) -> dict:
    (found,) = [f for f in check["findings"] if f["code"] == code]
    return found


@pytest.fixture
def new_council(orgs, coordinator):
    async def make(*, level: str = "republican", term_ends_on: str | None = None, civil: int = 0, state: int = 0,
                   attached: bool = True, region_code: str = "710000000") -> Council:
        ministry = await post(orgs, coordinator, "/v1/orgs", {
            "kind": "state_body", "level": level, "region_code": region_code,
            "names": {"ru": f"Государственный орган ({level}, {region_code})"}})
        body = {"kind": "public_council", "level": level, "region_code": region_code,
                "names": {"ru": f"Общественный совет при государственном органе ({level}, {region_code})"},
                "term_ends_on": term_ends_on or days(400)}
        if attached:
            body["attached_to_id"] = ministry["id"]
        council = await post(orgs, coordinator, "/v1/orgs", body)
        made = Council(orgs, coordinator, council["id"], ministry["id"])
        await made.add_civil(civil, chair=True)
        await made.add_state(state)
        return made

    return make


class TestCompliantCouncil:
    async def test_has_no_findings(self, new_council):
        council = await new_council(civil=10, state=5)
        check = await council.check()
        assert check["findings"] == []
        assert check["council_id"] == council.id
        assert (check["member_count"], check["civil_society_count"], check["state_count"]) == (15, 10, 5)
        assert check["size_range"] == [REPUBLICAN_MIN, REPUBLICAN_MAX] == [15, 30]

    async def test_state_representatives_from_one_body_are_not_an_ngo_duplicate(self, new_council):
        council = await new_council(civil=12, state=3)
        assert "several_members_from_one_ngo" not in codes(await council.check())

    async def test_members_without_an_organization_count_as_civil_society(self, new_council):
        council = await new_council(civil=9, state=5)
        await council.seat("Эксперт", on_behalf_of_id=None)
        check = await council.check()
        assert (check["civil_society_count"], check["state_count"]) == (10, 5)
        assert codes(check, "violation") == set()


class TestCouncilSize:
    async def test_too_few_members_is_a_violation(self, new_council):
        council = await new_council(civil=10, state=4)
        check = await council.check()
        assert check["member_count"] == 14
        assert codes(check, "violation") == {"size_below_minimum"}
        assert "15" in finding(check, "size_below_minimum")["message"]

    async def test_too_many_members_is_a_violation(self, new_council):
        council = await new_council(civil=21, state=10)
        check = await council.check()
        assert check["member_count"] == 31
        assert codes(check, "violation") == {"size_above_maximum"}

    async def test_thirty_members_is_within_the_range(self, new_council):
        council = await new_council(civil=20, state=10)
        assert codes(await council.check(), "violation") == set()

    async def test_local_council_uses_the_local_size_range(self, new_council):
        council = await new_council(level="regional", region_code="630000000", civil=LOCAL_MIN, state=0)
        check = await council.check()
        assert check["size_range"] == [LOCAL_MIN, LOCAL_MAX]
        assert codes(check, "violation") == set()

    async def test_former_and_future_members_are_not_counted(self, new_council):
        council = await new_council(civil=10, state=5)
        await council.seat("Бывший", on_behalf_of_id=None, start_on="2019-01-01", end_on="2023-12-31")
        await council.seat("Будущий", on_behalf_of_id=None, start_on=days(30))
        assert (await council.check())["member_count"] == 15

    async def test_a_person_with_two_roles_is_one_member(self, new_council, orgs, coordinator):
        council = await new_council(civil=10, state=5)
        await post(orgs, coordinator, "/v1/memberships", {
            "person_id": council.civil[1], "org_id": council.id, "role": "secretary",
            "on_behalf_of_id": council.ngo_ids[1]})
        check = await council.check()
        assert check["member_count"] == 15
        assert check["findings"] == []


class TestCivilSocietyShare:
    async def test_share_below_two_thirds_is_a_violation(self, new_council):
        council = await new_council(civil=9, state=6)
        check = await council.check()
        assert (check["civil_society_count"], check["state_count"]) == (9, 6)
        assert codes(check, "violation") == {"civil_society_share_too_low"}
        assert finding(check, "civil_society_share_too_low")["person_ids"] == sorted(council.state)

    async def test_exactly_two_thirds_is_enough(self, new_council):
        council = await new_council(civil=10, state=5)
        assert "civil_society_share_too_low" not in codes(await council.check())

    async def test_members_on_behalf_of_any_state_body_count_as_state(self, new_council, orgs, coordinator):
        council = await new_council(civil=10, state=4)
        akimat = await post(orgs, coordinator, "/v1/orgs", {
            "kind": "state_body", "level": "regional", "region_code": "630000000",
            "names": {"ru": "Акимат Восточно-Казахстанской области"}})
        akimat_official = await council.seat("Аппарат акима", on_behalf_of_id=akimat["id"])
        check = await council.check()
        assert (check["member_count"], check["civil_society_count"], check["state_count"]) == (15, 10, 5)
        assert "civil_society_share_too_low" not in codes(check)
        second_official = await council.seat("Заместитель акима", on_behalf_of_id=akimat["id"])
        check = await council.check()
        assert (check["civil_society_count"], check["state_count"]) == (10, 6)
        assert finding(check, "civil_society_share_too_low")["person_ids"] == sorted(
            [*council.state, akimat_official, second_official])

    async def test_a_member_who_now_represents_a_state_body_counts_as_state(self, new_council, orgs, coordinator):
        council = await new_council(civil=10, state=5)
        # One civil member takes up public service: the registry now says they speak for the ministry.
        membership = (await orgs.get("/v1/memberships", params={"person_id": council.civil[-1]})).json()["items"][0]
        read = await orgs.get(f"/v1/memberships/{membership['id']}")
        response = await orgs.patch(f"/v1/memberships/{membership['id']}",
                                    json={"on_behalf_of_id": council.state_body_id},
                                    headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert response.status_code == 200, response.text
        check = await council.check()
        assert (check["civil_society_count"], check["state_count"]) == (9, 6)
        assert "civil_society_share_too_low" in codes(check, "violation")


class TestOneSeatPerNgo:
    async def test_two_members_on_behalf_of_the_same_ngo_is_a_violation(self, new_council):
        council = await new_council(civil=10, state=4)
        second = await council.seat("Второй представитель", on_behalf_of_id=council.ngo_ids[2])
        check = await council.check()
        assert codes(check, "violation") == {"several_members_from_one_ngo"}
        duplicate = finding(check, "several_members_from_one_ngo")
        assert duplicate["org_ids"] == [council.ngo_ids[2]]
        assert duplicate["person_ids"] == sorted([council.civil[2], second])
        assert "ОО «Гражданская инициатива № 3»" in duplicate["message"]

    async def test_a_former_representative_of_the_same_ngo_is_no_duplicate(self, new_council):
        council = await new_council(civil=10, state=5)
        await council.seat("Предшественник", on_behalf_of_id=council.ngo_ids[2], start_on="2020-01-01",
                           end_on="2023-12-31")
        assert (await council.check())["findings"] == []


class TestChair:
    async def test_chair_on_behalf_of_a_state_body_is_a_violation(self, new_council):
        council = await new_council(civil=10, state=4)
        chair = await council.seat("Председатель", on_behalf_of_id=council.state_body_id, role="chair")
        check = await council.check()
        assert "chair_from_state_body" in codes(check, "violation")
        assert finding(check, "chair_from_state_body")["person_ids"] == [chair]

    async def test_council_without_a_chair_gets_a_warning(self, new_council):
        council = await new_council(civil=0, state=0)
        await council.add_civil(10)
        await council.add_state(5)
        check = await council.check()
        assert codes(check) == {"no_chair"}
        assert finding(check, "no_chair")["severity"] == "warning"


class TestTerm:
    async def test_term_ending_within_two_months_is_a_renewal_warning(self, new_council):
        council = await new_council(civil=10, state=5, term_ends_on=days(30))
        check = await council.check()
        assert check["term_ends_on"] == days(30)
        assert codes(check) == {"renewal_due"}
        assert finding(check, "renewal_due")["severity"] == "warning"
        assert codes(check, "violation") == set()

    @pytest.mark.parametrize("ends_in", [0, 1, 59])
    async def test_renewal_is_due_up_to_the_last_day(self, new_council, ends_in):
        council = await new_council(term_ends_on=days(ends_in))
        assert "renewal_due" in codes(await council.check())

    async def test_term_three_months_away_needs_no_renewal_yet(self, new_council):
        council = await new_council(civil=10, state=5, term_ends_on=days(92))
        assert (await council.check())["findings"] == []

    async def test_expired_term_is_a_violation(self, new_council):
        council = await new_council(civil=10, state=5, term_ends_on=days(-1))
        check = await council.check()
        assert codes(check, "violation") == {"term_expired"}
        assert "renewal_due" not in codes(check)

    async def test_unknown_term_is_a_warning(self, new_council, orgs, coordinator):
        council = await new_council(civil=10, state=5)
        read = await orgs.get(f"/v1/orgs/{council.id}")
        await orgs.patch(f"/v1/orgs/{council.id}", json={"term_ends_on": None},
                         headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert codes(await council.check()) == {"term_unknown"}


class TestAttachment:
    async def test_council_not_attached_to_a_state_body_gets_a_warning(self, new_council):
        council = await new_council(civil=10, state=5, attached=False)
        assert codes(await council.check()) == {"not_attached"}


class TestCompositionEndpoint:
    async def test_check_on_a_non_council_is_a_422_problem(self, orgs, coordinator):
        ngo = await post(orgs, coordinator, "/v1/orgs", {"kind": "ngo", "level": "regional",
                                                         "names": {"ru": "ОО «Ашық қоғам»"}})
        response = await orgs.get(f"/v1/orgs/{ngo['id']}/composition")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert (body["status"], body["type"]) == (422, "https://ashyq.kz/problems/not-a-council")
        assert body["title"]

    async def test_unknown_org_is_404_problem(self, orgs):
        response = await orgs.get("/v1/orgs/987654/composition")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_council_name_follows_accept_language(self, orgs, coordinator):
        state_body = await post(orgs, coordinator, "/v1/orgs", {"kind": "state_body", "level": "regional",
                                                                "names": {"ru": "Акимат"}})
        council = await post(orgs, coordinator, "/v1/orgs", {
            "kind": "public_council", "level": "regional", "attached_to_id": state_body["id"],
            "names": {"ru": "Общественный совет ВКО", "kk": "ШҚО Қоғамдық кеңесі"}})
        response = await orgs.get(f"/v1/orgs/{council['id']}/composition", headers={"Accept-Language": "kk"})
        assert response.json()["council_name"] == "ШҚО Қоғамдық кеңесі"


class TestCompositionChecks:
    async def test_lists_every_council_with_its_findings(self, new_council):
        compliant = await new_council(civil=10, state=5)
        small = await new_council(civil=3, state=0, region_code="750000000")
        checks = (await compliant.orgs.get("/v1/composition-checks")).json()["items"]
        by_id = {c["council_id"]: c for c in checks}
        assert set(by_id) == {compliant.id, small.id}
        assert by_id[compliant.id]["findings"] == []
        assert "size_below_minimum" in codes(by_id[small.id], "violation")

    async def test_agrees_with_the_single_council_check(self, new_council):
        council = await new_council(civil=9, state=6, term_ends_on=days(10))
        listed = (await council.orgs.get("/v1/composition-checks")).json()["items"]
        assert listed == [await council.check()]

    async def test_with_findings_only_leaves_out_compliant_councils(self, new_council):
        compliant = await new_council(civil=10, state=5)
        small = await new_council(civil=3, state=0, region_code="750000000")
        response = await compliant.orgs.get("/v1/composition-checks", params={"with_findings_only": True})
        assert [c["council_id"] for c in response.json()["items"]] == [small.id]

    async def test_filters_by_region(self, new_council):
        await new_council(civil=10, state=5)
        almaty = await new_council(civil=3, state=0, region_code="750000000")
        response = await almaty.orgs.get("/v1/composition-checks", params={"region": "750000000"})
        assert [c["council_id"] for c in response.json()["items"]] == [almaty.id]

    async def test_leaves_out_archived_councils_and_other_kinds(self, new_council, orgs, coordinator):
        council = await new_council(civil=3)
        read = await orgs.get(f"/v1/orgs/{council.id}")
        await orgs.delete(f"/v1/orgs/{council.id}", headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert (await orgs.get("/v1/composition-checks")).json()["items"] == []
