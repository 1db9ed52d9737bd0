"""The demo data: the four seed events load through the real rules and read back over the API."""

import httpx
import pytest

from services.common.db import make_engine, make_sessionmaker
from services.dialogue import demo as dialogue_demo
from services.dialogue.orgs_client import OrgsClient
from services.orgs import demo as orgs_demo


@pytest.fixture
async def demo_ids(orgs, dialogue, orgs_app, orgs_database_url, dialogue_database_url):
    engines = [make_engine(orgs_database_url), make_engine(dialogue_database_url)]
    try:
        async with make_sessionmaker(engines[0])() as orgs_db:
            registry = await orgs_demo.load(orgs_db)
            await orgs_db.commit()
        client = OrgsClient("http://orgs", 5.0, transport=httpx.ASGITransport(app=orgs_app))
        async with make_sessionmaker(engines[1])() as dialogue_db:
            events = await dialogue_demo.load(dialogue_db, client, registry.ids)
            await dialogue_db.commit()
        await client.aclose()
    finally:
        for engine in engines:
            await engine.dispose()
    return registry.ids | events.ids


class TestSeedEventsDemo:
    async def test_round_table_recommends_the_model_as_a_pilot_to_the_akimat(self, dialogue, demo_ids):
        session = (await dialogue.get(f"/v1/sessions/{demo_ids['session:round_table']}")).json()
        assert session["status"] == "concluded"
        assert demo_ids["org:vktu"] in session["organizer_ids"]
        protocol = (await dialogue.get(f"/v1/sessions/{session['id']}/protocol")).json()
        assert protocol["status"] == "published"
        assert any("пилот" in (item["decided"] or "") for item in protocol["items"])
        rec = (await dialogue.get(f"/v1/recommendations/{demo_ids['recommendation:pilot']}")).json()
        assert rec["status"] == "sent"
        assert [a["org_id"] for a in rec["addressees"]] == [demo_ids["org:akimat_vko"]]
        assert rec["sent_at"].startswith("2025-10")

    async def test_forum_has_six_yurt_breakouts_and_a_plenary(self, dialogue, demo_ids):
        forum = (await dialogue.get(f"/v1/sessions/{demo_ids['session:forum']}")).json()
        assert forum["kind"] == "civic_forum"
        assert len(forum["child_ids"]) == 7
        attendance = (await dialogue.get(f"/v1/sessions/{forum['id']}/attendance")).json()
        assert attendance["attended_with_breakouts"]["total"] > 100

    async def test_coordination_council_counts_35_state_and_46_civil_society(self, dialogue, demo_ids):
        sid = demo_ids["session:coordination_council"]
        attendance = (await dialogue.get(f"/v1/sessions/{sid}/attendance")).json()["attended"]
        # The reported totals include the named speakers who were checked in.
        assert attendance["state"] == 35
        assert attendance["civil_society"] == 46
        recs = (await dialogue.get("/v1/recommendations", params={"session_id": sid})).json()["items"]
        assert {r["status"] for r in recs} == {"sent"}
        assert len(recs) == 2

    async def test_local_issue_is_escalated_to_the_republican_level(self, dialogue, demo_ids):
        origin = demo_ids["recommendation:migration"]
        escalated = demo_ids["recommendation:migration_escalated"]
        assert (await dialogue.get(f"/v1/recommendations/{origin}")).json()["escalated_to_ids"] == [escalated]
        assert (await dialogue.get(f"/v1/recommendations/{escalated}/chain")).json() == [origin, escalated]

    async def test_joint_plan_has_items_owned_by_both_sides(self, dialogue, demo_ids):
        plan = (await dialogue.get(f"/v1/action-plans/{demo_ids['plan:astana']}")).json()
        assert {i["format"] for i in plan["items"]} == {
            "joint_meeting", "working_group", "monitoring", "expert_support", "information_work"}
        monitoring = next(i for i in plan["items"] if i["format"] == "monitoring")
        assert {r["side"] for r in monitoring["reports"]} == {"state", "civil_society"}

    async def test_second_load_is_refused(self, dialogue_database_url, demo_ids, orgs_app):
        engine = make_engine(dialogue_database_url)
        client = OrgsClient("http://orgs", 5.0, transport=httpx.ASGITransport(app=orgs_app))
        try:
            async with make_sessionmaker(engine)() as db:
                with pytest.raises(dialogue_demo.NotEmpty):
                    await dialogue_demo.load(db, client, demo_ids)
        finally:
            await client.aclose()
            await engine.dispose()
