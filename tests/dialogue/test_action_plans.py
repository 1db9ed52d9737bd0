"""Joint action plans: items co-owned by state bodies and civil society, reported on by both sides."""

from __future__ import annotations

import pytest

from tests.dialogue.helpers import (
    ASTANA,
    BEYOND_ID_RANGE,
    all_pages,
    as_coordinator,
    as_representative,
    create_session,
    days_from_today,
    error_fields,
    events,
    forged_cursor,
    ngo,
    problem,
    republican_body,
    state_body,
)


@pytest.fixture
async def sides(orgs):
    """The city police department and the city's public council: one owner on each side."""
    return {
        "police": await state_body(orgs, "Департамент полиции города Нур-Султан", region_code=ASTANA),
        "ministry": await republican_body(orgs, "Министерство информации и общественного развития"),
        "council": await ngo(orgs, "Общественный совет города Нур-Султан", kind="public_council",
                             region_code=ASTANA),
        "other_ngo": await ngo(orgs, "ОО «Молодёжная инициатива»", region_code=ASTANA),
    }


async def _plan(dialogue, **fields):
    r = await dialogue.post("/v1/action-plans", headers=as_coordinator(),
                            json={"title": {"ru": "План совместной деятельности"}, **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def _add_item(dialogue, plan_id, **fields):
    body = {"title": "Совместное заседание: отчёт полиции", "format": "joint_meeting", **fields}
    return await dialogue.post(f"/v1/action-plans/{plan_id}/items", json=body, headers=as_coordinator())


async def _item(dialogue, plan_id, **fields):
    r = await _add_item(dialogue, plan_id, **fields)
    assert r.status_code == 201, r.text
    return r.json()


async def _report(dialogue, plan_id, item_id, org_id, headers, **fields):
    return await dialogue.post(f"/v1/action-plans/{plan_id}/items/{item_id}/reports", headers=headers,
                               json={"org_id": org_id, "note": "Проведено заседание", **fields})


class TestPlans:
    async def test_a_plan_agreed_at_sessions_reads_back(self, dialogue, sides):
        session = await create_session(dialogue, "Диалоговая площадка", status="concluded")
        plan = await _plan(dialogue, session_ids=[session["id"]], owner_ids=[sides["council"], sides["police"]],
                           starts_on="2022-09-01", ends_on="2023-06-30")
        read = (await dialogue.get(f"/v1/action-plans/{plan['id']}")).json()
        assert read["session_ids"] == [session["id"]]
        assert read["owner_ids"] == [sides["council"], sides["police"]]
        assert (read["starts_on"], read["ends_on"], read["items"]) == ("2022-09-01", "2023-06-30", [])
        assert [p["id"] for p in await all_pages(dialogue, "/v1/action-plans", session_id=session["id"])] == [
            plan["id"]]
        assert [p["id"] for p in await all_pages(dialogue, "/v1/action-plans", owner_id=sides["police"])] == [
            plan["id"]]

    async def test_a_plan_refers_to_existing_sessions_and_organizations(self, dialogue, sides):
        r = await dialogue.post("/v1/action-plans", headers=as_coordinator(),
                                json={"title": {"ru": "План"}, "session_ids": [999999]})
        assert "session_ids" in error_fields(problem(r, 422))
        r = await dialogue.post("/v1/action-plans", headers=as_coordinator(),
                                json={"title": {"ru": "План"}, "owner_ids": [999999]})
        assert "owner_ids" in error_fields(problem(r, 422))

    async def test_a_plan_ends_after_it_starts(self, dialogue):
        r = await dialogue.post("/v1/action-plans", headers=as_coordinator(), json={
            "title": {"ru": "План"}, "starts_on": "2023-01-01", "ends_on": "2022-01-01"})
        assert "ends_on" in error_fields(problem(r, 422))


class TestBadInput:
    async def test_an_id_beyond_the_id_range_names_no_plan_or_item(self, dialogue, sides):
        plan = await _plan(dialogue)
        problem(await dialogue.get(f"/v1/action-plans/{BEYOND_ID_RANGE}"), 404)
        r = await dialogue.patch(f"/v1/action-plans/{plan['id']}/items/{BEYOND_ID_RANGE}", json={"status": "done"},
                                 headers={**as_coordinator(), "If-Match": "*"})
        problem(r, 404)
        problem(await _report(dialogue, plan["id"], BEYOND_ID_RANGE, sides["council"], as_coordinator()), 404)
        for name in ("session_id", "owner_id"):
            r = await dialogue.get("/v1/action-plans", params={name: BEYOND_ID_RANGE})
            assert error_fields(problem(r, 422)) == {name}

    async def test_a_reference_beyond_the_id_range_is_refused(self, dialogue, sides):
        for field in ("session_ids", "owner_ids"):
            r = await dialogue.post("/v1/action-plans", headers=as_coordinator(),
                                    json={"title": {"ru": "План"}, field: [BEYOND_ID_RANGE]})
            assert error_fields(problem(r, 422)) == {field}
        plan = await _plan(dialogue)
        r = await _add_item(dialogue, plan["id"], state_owner_ids=[sides["police"]],
                            civil_owner_ids=[sides["council"]], recommendation_id=BEYOND_ID_RANGE)
        assert error_fields(problem(r, 422)) == {"recommendation_id"}

    @pytest.mark.parametrize("values", [("7",), (BEYOND_ID_RANGE,), (1, 2)])
    async def test_a_forged_cursor_is_refused(self, dialogue, values):
        r = await dialogue.get("/v1/action-plans", params={"cursor": forged_cursor(*values)})
        assert error_fields(problem(r, 422)) == {"cursor"}


class TestPlanItems:
    async def test_an_item_is_owned_by_both_sides(self, dialogue, sides):
        plan = await _plan(dialogue)
        item = await _item(dialogue, plan["id"], state_owner_ids=[sides["police"], sides["ministry"]],
                           civil_owner_ids=[sides["council"]], due_on="2022-12-01",
                           description="Заслушивание отчётов полиции о профилактике правонарушений")
        assert (item["state_owner_ids"], item["civil_owner_ids"]) == ([sides["police"], sides["ministry"]],
                                                                      [sides["council"]])
        assert (item["format"], item["status"], item["reports"]) == ("joint_meeting", "planned", [])

    async def test_state_owners_must_be_state_bodies(self, dialogue, sides):
        plan = await _plan(dialogue)
        r = await _add_item(dialogue, plan["id"], state_owner_ids=[sides["police"], sides["other_ngo"]],
                            civil_owner_ids=[sides["council"]])
        body = problem(r, 422)
        assert error_fields(body) == {"state_owner_ids"}
        assert (await dialogue.get(f"/v1/action-plans/{plan['id']}")).json()["items"] == []

    async def test_civil_owners_must_not_be_state_bodies(self, dialogue, sides):
        plan = await _plan(dialogue)
        r = await _add_item(dialogue, plan["id"], state_owner_ids=[sides["police"]],
                            civil_owner_ids=[sides["council"], sides["ministry"]])
        assert error_fields(problem(r, 422)) == {"civil_owner_ids"}

    async def test_both_sides_are_required(self, dialogue, sides):
        plan = await _plan(dialogue)
        r = await _add_item(dialogue, plan["id"], state_owner_ids=[sides["police"]], civil_owner_ids=[])
        assert "civil_owner_ids" in error_fields(problem(r, 422))

    async def test_an_owner_missing_from_the_registry_is_refused(self, dialogue, sides):
        plan = await _plan(dialogue)
        r = await _add_item(dialogue, plan["id"], state_owner_ids=[999999], civil_owner_ids=[sides["council"]])
        problem(r, 422)

    async def test_an_item_is_overdue_while_open_past_its_due_date(self, dialogue, sides):
        plan = await _plan(dialogue)
        owners = {"state_owner_ids": [sides["police"]], "civil_owner_ids": [sides["council"]]}
        late = await _item(dialogue, plan["id"], title="Мониторинг госсоцзаказа", format="monitoring",
                           due_on=days_from_today(-1), **owners)
        on_time = await _item(dialogue, plan["id"], title="Рабочая группа", format="working_group",
                              due_on=days_from_today(1), **owners)
        undated = await _item(dialogue, plan["id"], title="Информационная работа", format="information_work",
                              **owners)
        assert (late["is_overdue"], on_time["is_overdue"], undated["is_overdue"]) == (True, False, False)

        r = await dialogue.patch(f"/v1/action-plans/{plan['id']}/items/{late['id']}", json={"status": "done"},
                                 headers={**as_coordinator(), "If-Match": f'"{late["id"]}.{late["version"]}"'})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["is_overdue"]) == ("done", False)
        items = (await dialogue.get(f"/v1/action-plans/{plan['id']}")).json()["items"]
        assert {i["id"]: i["is_overdue"] for i in items} == {late["id"]: False, on_time["id"]: False,
                                                            undated["id"]: False}
        (event,) = await events(dialogue, "action_plan.item_changed")
        assert event["payload"] == {"plan_id": plan["id"], "item_id": late["id"], "status": "done"}


class TestReports:
    @pytest.fixture
    async def item(self, dialogue, sides):
        plan = await _plan(dialogue)
        item = await _item(dialogue, plan["id"], state_owner_ids=[sides["police"]],
                           civil_owner_ids=[sides["council"]])
        return plan["id"], item["id"]

    async def test_each_side_reports_under_its_own_side(self, dialogue, sides, item):
        plan_id, item_id = item
        r = await _report(dialogue, plan_id, item_id, sides["police"], as_representative(sides["police"]),
                          percent=50, note="Отчёт заслушан на совместном заседании",
                          evidence_urls=["https://police.astana.kz/report-2022"])
        assert r.status_code == 201, r.text
        assert (r.json()["side"], r.json()["percent"], r.json()["reported_by"]) == ("state", 50, 501)
        r = await _report(dialogue, plan_id, item_id, sides["council"],
                          as_representative(sides["council"], account_id=502), note="Подготовлены предложения")
        assert r.status_code == 201, r.text
        assert r.json()["side"] == "civil_society"
        r = await _report(dialogue, plan_id, item_id, sides["council"], as_coordinator(), note="Внесено секретарём")
        assert r.status_code == 201, r.text
        assert r.json()["side"] == "civil_society"

        (read,) = (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()["items"]
        assert read["status"] == "in_progress"
        assert [(x["org_id"], x["side"]) for x in read["reports"]] == [
            (sides["police"], "state"), (sides["council"], "civil_society"), (sides["council"], "civil_society")]
        assert read["reports"][0]["evidence_urls"] == ["https://police.astana.kz/report-2022"]
        assert [e["payload"]["side"] for e in await events(dialogue, "action_plan.reported")] == [
            "state", "civil_society", "civil_society"]

    async def test_a_report_comes_from_an_organization_that_owns_the_item(self, dialogue, sides, item):
        plan_id, item_id = item
        r = await _report(dialogue, plan_id, item_id, sides["other_ngo"], as_representative(sides["other_ngo"]))
        assert error_fields(problem(r, 422)) == {"org_id"}
        assert (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()["items"][0]["reports"] == []

    async def test_a_representative_reports_only_for_their_own_organization(self, dialogue, sides, item):
        plan_id, item_id = item
        r = await _report(dialogue, plan_id, item_id, sides["council"], as_representative(sides["other_ngo"]))
        problem(r, 403)
        r = await _report(dialogue, plan_id, item_id, sides["police"], as_representative(sides["council"]))
        problem(r, 403)
        (read,) = (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()["items"]
        assert (read["status"], read["reports"]) == ("planned", [])
        assert await events(dialogue, "action_plan.reported") == []

    async def test_an_anonymous_report_is_refused(self, dialogue, sides, item):
        plan_id, item_id = item
        problem(await _report(dialogue, plan_id, item_id, sides["council"], {}), 401)

    async def test_a_cancelled_item_takes_no_reports(self, dialogue, sides, item):
        plan_id, item_id = item
        (read,) = (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()["items"]
        r = await dialogue.patch(f"/v1/action-plans/{plan_id}/items/{item_id}", json={"status": "cancelled"},
                                 headers={**as_coordinator(), "If-Match": f'"{item_id}.{read["version"]}"'})
        assert r.status_code == 200, r.text
        problem(await _report(dialogue, plan_id, item_id, sides["council"], as_representative(sides["council"])), 409)
