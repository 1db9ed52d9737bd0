"""The seed events, entered through the API alone (registry, then dialogue), read back with all their parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.dialogue.helpers import (
    ASTANA,
    EAST_KAZAKHSTAN,
    add_participant,
    all_pages,
    as_coordinator,
    as_representative,
    create_org,
    create_recommendation,
    create_session,
    days_from_today,
    events,
    move_recommendation,
    move_session,
    ngo,
    person,
    publish_protocol,
    record_on_item,
    republican_body,
    set_head_counts,
    state_body,
)

ROUND_TABLE_TITLE = "Поиск системного взаимодействия региональных государственных структур и гражданских институтов"
MODEL = "Ashyq, yntymaqtastyq, kollaborativtik"
FORUM_TITLE = "Голос региона: Общественные советы как драйвер перемен"
ETHNO_VILLAGE = "Этнодеревня Левобережного музея-заповедника"
COLUMN_HALL = "Колонный зал ВКТУ им. Д. Серикбаева"
HOUSE_OF_FRIENDSHIP = "Дом Дружбы, г. Нур-Султан"


async def read_back(dialogue, session_id: int) -> dict[str, Any]:
    """Everything the public portal shows about a held session, read without a token."""
    session = await dialogue.get(f"/v1/sessions/{session_id}")
    assert session.status_code == 200, session.text
    parts: dict[str, Any] = {"session": session.json()}
    for part in ("agenda", "attendance", "protocol"):
        r = await dialogue.get(f"/v1/sessions/{session_id}/{part}")
        assert r.status_code == 200, r.text
        parts[part] = r.json()
    parts["recommendations"] = await all_pages(dialogue, "/v1/recommendations", session_id=session_id)
    return parts


def speakers_of(agenda: list[dict[str, Any]]) -> list[list[tuple[str, str | None]]]:
    return [[(s["name"], s.get("affiliation")) for s in item["speakers"]] for item in agenda]


class TestRoundTableInUstKamenogorsk:
    """Seeds 000 and 001: the round table at ВКТУ where the model Ashyq was recommended as a pilot."""

    async def test_reads_back_with_speakers_recommendation_and_protocol(self, orgs, dialogue, coordinator):
        senate = await republican_body(orgs, "Сенат Парламента Республики Казахстан")
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        academy = await ngo(orgs, "Восточно-Казахстанский филиал Академии государственного управления при "
                                  "Президенте Республики Казахстан", kind="research_education")
        university = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        research_centre = await ngo(orgs, "Международный научный центр «Digital Social Research»",
                                    kind="research_education", parent_id=university)
        enu = await ngo(orgs, "ЕНУ им. Л. Гумилева", kind="research_education", level="republican",
                        region_code=ASTANA)
        rector = await person(orgs, "Рахметуллина", "Сауле", position="Председатель Правления — Ректор ВКТУ")
        kalashnikova = await person(orgs, "Калашникова", "Наталья", honorific="д.полит.н.",
                                    position="заведующая кафедрой АНК ЕНУ")
        aubakirova = await person(orgs, "Аубакирова", "Жанна", honorific="к.и.н.")

        session = await create_session(
            dialogue, ROUND_TABLE_TITLE, kind="round_table", format="offline", venue="ВКТУ им. Д. Серикбаева",
            region_code=EAST_KAZAKHSTAN, organizer_ids=[university, research_centre],
            topics=["межэтнические отношения", "социально-демографическая сфера", "модель Ashyq"],
            starts_at="2025-10-14T10:00:00+05:00", ends_at="2025-10-14T13:00:00+05:00",
            agenda=[
                {"title": f"Модель системного регионального взаимодействия {MODEL}", "planned_minutes": 30,
                 "speakers": [{"person_id": rector, "org_id": university},
                              {"person_id": aubakirova, "org_id": research_centre}]},
                {"title": "Доклады государственных структур и научного сообщества", "planned_minutes": 90,
                 "speakers": [{"name": "Депутат Сената", "org_id": senate},
                              {"name": "Представитель акимата", "org_id": akimat},
                              {"name": "Представитель филиала", "org_id": academy},
                              {"person_id": kalashnikova, "org_id": enu},
                              {"name": "Элеонора Столярова", "affiliation": "социолог, кандидат наук"}]},
            ])
        await move_session(dialogue, session["id"], "scheduled", "in_progress")
        for name, sector in [("Госслужащий акимата", "state"), ("Член АНК", "civil_society"),
                             ("Студент ВКТУ", "civil_society"), ("Исследователь DSR", "expert")]:
            await add_participant(dialogue, session["id"], name=name, sector=sector, checked_in=True)
        await add_participant(dialogue, session["id"], person_id=rector, org_id=university, sector="expert",
                              role="moderator", checked_in=True)
        model_item, _reports = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda")).json()
        await record_on_item(dialogue, session["id"], model_item["id"],
                             heard="С. Рахметуллина: принципы модели — открытость, единство, сотрудничество",
                             decided=f"Рекомендовать модель {MODEL} как пилот")
        pilot = await create_recommendation(dialogue, [akimat], title="Пилот модели Ashyq",
                                            text=f"Рекомендовать модель {MODEL} для внедрения как пилот",
                                            session_id=session["id"], agenda_item_id=model_item["id"],
                                            topics=["модель Ashyq"])
        await move_recommendation(dialogue, pilot["id"], "adopted")
        await move_session(dialogue, session["id"], "concluded")
        await publish_protocol(dialogue, session["id"], number="1", chair="С. Рахметуллина")

        seen = await read_back(dialogue, session["id"])
        s = seen["session"]
        assert (s["kind"], s["format"], s["status"]) == ("round_table", "offline", "concluded")
        assert (s["name"], s["venue"], s["region_code"]) == (ROUND_TABLE_TITLE, "ВКТУ им. Д. Серикбаева",
                                                              EAST_KAZAKHSTAN)
        assert s["organizer_ids"] == [university, research_centre]
        assert "модель Ashyq" in s["topics"]
        assert [(i["position"], i["title"]) for i in seen["agenda"]] == [
            (1, f"Модель системного регионального взаимодействия {MODEL}"),
            (2, "Доклады государственных структур и научного сообщества")]
        assert speakers_of(seen["agenda"]) == [
            [("Рахметуллина Сауле", "ВКТУ им. Д. Серикбаева"),
             ("Аубакирова Жанна", "Международный научный центр «Digital Social Research»")],
            [("Депутат Сената", "Сенат Парламента Республики Казахстан"),
             ("Представитель акимата", "Акимат Восточно-Казахстанской области"),
             ("Представитель филиала", "Восточно-Казахстанский филиал Академии государственного управления при "
                                       "Президенте Республики Казахстан"),
             ("Калашникова Наталья", "ЕНУ им. Л. Гумилева"),
             ("Элеонора Столярова", "социолог, кандидат наук")],
        ]
        assert seen["agenda"][0]["decided"] == f"Рекомендовать модель {MODEL} как пилот"
        attended = seen["attendance"]["attended"]
        assert (attended["state"], attended["civil_society"], attended["expert"], attended["total"]) == (1, 2, 2, 5)
        protocol = seen["protocol"]
        assert (protocol["status"], protocol["number"], protocol["chair"]) == ("published", "1", "С. Рахметуллина")
        assert (protocol["held_on"], protocol["place"]) == ("2025-10-14", "ВКТУ им. Д. Серикбаева")
        assert protocol["items"][0]["decided"] == f"Рекомендовать модель {MODEL} как пилот"
        assert protocol["attendance"]["total"] == 5
        (rec,) = seen["recommendations"]
        assert (rec["id"], rec["status"], rec["agenda_item_id"]) == (pilot["id"], "sent", model_item["id"])
        assert [a["org_id"] for a in rec["addressees"]] == [akimat]
        assert (rec["region_code"], rec["topics"]) == (EAST_KAZAKHSTAN, ["модель Ashyq"])
        assert rec["response_due_on"] == days_from_today(30)
        moderator = await all_pages(dialogue, f"/v1/sessions/{session['id']}/participants", headers=coordinator,
                                    q="рахметуллина")
        assert [(p["name"], p["role"], p["org_name"]) for p in moderator] == [
            ("Рахметуллина Сауле", "moderator", "ВКТУ им. Д. Серикбаева")]


class TestCivicForumVoiceOfTheRegion:
    """Seed 002: breakouts in yurts at the ethno-village, a plenary in the Column Hall, over 100 participants."""

    async def test_reads_back_as_a_forum_of_breakouts_and_a_plenary(self, orgs, dialogue, coordinator):
        akimat = await state_body(orgs, "Акимат Восточно-Казахстанской области")
        senate = await republican_body(orgs, "Сенат Парламента Республики Казахстан")
        ministry = await republican_body(orgs, "Министерство культуры и информации Республики Казахстан")
        committee = await republican_body(orgs, "Комитет по делам гражданского общества", parent_id=ministry)
        alliance = await ngo(orgs, "ОЮЛ «Гражданский Альянс Казахстана»", level="republican", region_code=None)
        university = await ngo(orgs, "ВКТУ им. Д. Серикбаева", kind="research_education")
        deputy_akim = await person(orgs, "Нургалиев", "Ербол", position="заместитель акима ВКО")
        senator = await person(orgs, "Жексенбай", "Бибигуль", position="депутат Сената")
        sultanova = await person(orgs, "Султанова", "Гульбара")
        nurgazieva = await person(orgs, "Нургазиева", "Бану")

        forum = await create_session(
            dialogue, FORUM_TITLE, kind="civic_forum", agenda=[], venue=f"{ETHNO_VILLAGE}; {COLUMN_HALL}",
            region_code=EAST_KAZAKHSTAN, organizer_ids=[akimat], starts_at="2025-10-10T10:00:00+05:00",
            topics=["общественные советы", "общественный контроль", "вовлечение граждан"], status="scheduled")
        yurts = {"Развитие законодательства": (12, 3, 2), "НПО": (17, 2, 1), "Инклюзия": (13, 2, 2),
                 "Экология": (14, 1, 2), "Молодёжная активность": (19, 1, 1),
                 "Устойчивое развитие сельских территорий": (11, 3, 1)}
        breakouts = []
        for topic, (civil, state, expert) in yurts.items():
            breakout = await create_session(dialogue, f"Юрта: {topic}", kind="breakout", agenda=[topic],
                                            parent_id=forum["id"], venue=f"{ETHNO_VILLAGE}, юрта",
                                            region_code=EAST_KAZAKHSTAN, topics=[topic],
                                            starts_at="2025-10-10T10:00:00+05:00", status="in_progress")
            await set_head_counts(dialogue, breakout["id"], civil_society=civil, state=state, expert=expert)
            await move_session(dialogue, breakout["id"], "concluded")
            breakouts.append(breakout["id"])
        plenary = await create_session(
            dialogue, "Пленарное заседание", kind="plenary", parent_id=forum["id"], venue=COLUMN_HALL,
            region_code=EAST_KAZAKHSTAN, starts_at="2025-10-10T15:00:00+05:00",
            agenda=[{"title": "Выступления", "speakers": [
                        {"person_id": deputy_akim, "org_id": akimat}, {"person_id": senator, "org_id": senate},
                        {"person_id": sultanova, "org_id": committee}, {"person_id": nurgazieva, "org_id": alliance}]},
                    "Церемония награждения активных представителей гражданского сектора"],
            status="in_progress")
        for who, org, sector in [(deputy_akim, akimat, "state"), (senator, senate, "state"),
                                 (sultanova, committee, "state"), (nurgazieva, alliance, "civil_society")]:
            await add_participant(dialogue, plenary["id"], person_id=who, org_id=org, sector=sector,
                                  role="speaker", checked_in=True)
        await add_participant(dialogue, plenary["id"], name="Представитель ВКТУ", org_id=university, sector="expert",
                              checked_in=True)
        grants = await create_recommendation(
            dialogue, [akimat, committee], session_id=plenary["id"],
            text="Усилить ресурсную и грантовую поддержку НПО и общественных советов", topics=["гранты"])
        await move_recommendation(dialogue, grants["id"], "adopted")
        await move_session(dialogue, plenary["id"], "concluded")
        await publish_protocol(dialogue, plenary["id"], number="1", chair="Е. Нургалиев")
        await move_session(dialogue, forum["id"], "in_progress", "concluded")

        read = (await dialogue.get(f"/v1/sessions/{forum['id']}")).json()
        assert (read["kind"], read["name"], read["status"]) == ("civic_forum", FORUM_TITLE, "concluded")
        assert read["child_ids"] == [*breakouts, plenary["id"]]
        children = {s["id"]: s for s in await all_pages(dialogue, "/v1/sessions", parent_id=forum["id"])}
        assert sorted(s["name"].removeprefix("Юрта: ") for s in children.values() if s["kind"] == "breakout") == \
            sorted(yurts)
        assert all(children[b]["venue"].startswith(ETHNO_VILLAGE) for b in breakouts)
        assert (children[plenary["id"]]["kind"], children[plenary["id"]]["venue"]) == ("plenary", COLUMN_HALL)
        assert all(s["parent_id"] == forum["id"] for s in children.values())

        rolled = (await dialogue.get(f"/v1/sessions/{forum['id']}/attendance")).json()["attended_with_breakouts"]
        civil = sum(c for c, _, _ in yurts.values()) + 1
        state = sum(s for _, s, _ in yurts.values()) + 3
        expert = sum(e for _, _, e in yurts.values()) + 1
        assert (rolled["civil_society"], rolled["state"], rolled["expert"]) == (civil, state, expert)
        assert rolled["total"] == civil + state + expert > 100
        ecology = next(b for b in breakouts if children[b]["name"] == "Юрта: Экология")
        assert (await dialogue.get(f"/v1/sessions/{ecology}/attendance")).json()["attended"]["total"] == 17

        plenary_seen = await read_back(dialogue, plenary["id"])
        assert speakers_of(plenary_seen["agenda"])[0] == [
            ("Нургалиев Ербол", "Акимат Восточно-Казахстанской области"),
            ("Жексенбай Бибигуль", "Сенат Парламента Республики Казахстан"),
            ("Султанова Гульбара", "Комитет по делам гражданского общества"),
            ("Нургазиева Бану", "ОЮЛ «Гражданский Альянс Казахстана»")]
        assert plenary_seen["attendance"]["attended"]["total"] == 5
        assert plenary_seen["protocol"]["status"] == "published"
        (rec,) = plenary_seen["recommendations"]
        assert rec["status"] == "sent"
        assert {a["org_id"] for a in rec["addressees"]} == {akimat, committee}
        assert rec["region_code"] == EAST_KAZAKHSTAN


class TestDialoguePlatformsAtTheHouseOfFriendship:
    """Seed 003: two hybrid dialogue platforms on 26 July 2022 and the joint action plan they agreed."""

    async def test_reads_back_as_two_hybrid_platforms_and_their_joint_plan(self, orgs, dialogue):
        akimat = await state_body(orgs, "Акимат города Нур-Султан", region_code=ASTANA)
        interior = await republican_body(orgs, "Министерство внутренних дел Республики Казахстан")
        information = await republican_body(orgs, "Министерство информации и общественного развития")
        police = await state_body(orgs, "Департамент полиции города Нур-Султан", region_code=ASTANA,
                                  parent_id=interior)
        city_council = await ngo(orgs, "Общественный совет города Нур-Султан", kind="public_council",
                                 region_code=ASTANA, attached_to_id=akimat)
        interior_council = await ngo(orgs, "Общественный совет МВД", kind="public_council", level="republican",
                                     region_code=None, attached_to_id=interior)
        information_council = await ngo(orgs, "Общественный совет МИОР", kind="public_council",
                                        level="republican", region_code=None, attached_to_id=information)

        platforms = []
        for title, council, starts_at in [
            ("Коллаборация ОС г. Нур-Султан и ОС МВД: профилактика правонарушений", interior_council,
             "2022-07-26T10:00:00+06:00"),
            ("Коллаборация ОС г. Нур-Султан и ОС МИОР: государственный социальный заказ", information_council,
             "2022-07-26T15:00:00+06:00"),
        ]:
            platform = await create_session(
                dialogue, title, kind="dialogue_platform", format="hybrid", venue=HOUSE_OF_FRIENDSHIP,
                online_url="https://zoom.us/j/2607202201", region_code=ASTANA, starts_at=starts_at,
                organizer_ids=[city_council, council], topics=["межуровневое взаимодействие"],
                agenda=["Оценка необходимости коллаборации ОС г. Нур-Султан с ОС республиканского уровня для "
                        "решения вопросов, выходящих за рамки компетенции МИО"],
                status="concluded")
            platforms.append(platform["id"])

        r = await dialogue.post("/v1/action-plans", headers=as_coordinator(), json={
            "title": {"ru": "План совместной деятельности по социально-значимым вопросам"},
            "session_ids": platforms, "owner_ids": [city_council, interior_council, information_council],
            "starts_on": "2022-09-01", "ends_on": "2023-08-31"})
        assert r.status_code == 201, r.text
        plan_id = r.json()["id"]
        items = [
            ("joint_meeting", "Совместные заседания по заслушиванию отчётов полиции", [police],
             [city_council, interior_council]),
            ("working_group", "Рабочая группа по профилактике наркомании среди молодёжи", [police, akimat],
             [city_council]),
            ("expert_support", "Аналитическое и экспертное сопровождение: правовая оценка причин социальной "
                               "напряжённости", [akimat], [city_council, interior_council]),
            ("monitoring", "Мониторинг государственного социального заказа: содержание проектов, эффективность, "
                           "соответствие тематики лотов общественным потребностям", [information],
             [information_council, city_council]),
            ("information_work", "Информационно-разъяснительная работа", [akimat], [city_council]),
        ]
        for format_, title, state_owners, civil_owners in items:
            r = await dialogue.post(f"/v1/action-plans/{plan_id}/items", headers=as_coordinator(), json={
                "title": title, "format": format_, "state_owner_ids": state_owners,
                "civil_owner_ids": civil_owners, "due_on": "2022-12-31"})
            assert r.status_code == 201, r.text
        plan = (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()
        police_meetings = plan["items"][0]["id"]
        for org_id, note in [(police, "Отчёт о профилактике правонарушений представлен"),
                             (city_council, "Совместное заседание проведено, рекомендации подготовлены")]:
            r = await dialogue.post(f"/v1/action-plans/{plan_id}/items/{police_meetings}/reports",
                                    headers=as_representative(org_id), json={"org_id": org_id, "note": note})
            assert r.status_code == 201, r.text

        for platform_id in platforms:
            s = (await dialogue.get(f"/v1/sessions/{platform_id}")).json()
            assert (s["kind"], s["format"], s["venue"]) == ("dialogue_platform", "hybrid", HOUSE_OF_FRIENDSHIP)
            assert s["online_url"] == "https://zoom.us/j/2607202201"
            assert datetime.fromisoformat(s["starts_at"]).date().isoformat() == "2022-07-26"
            assert city_council in s["organizer_ids"]
        on_the_day = await all_pages(dialogue, "/v1/sessions", starts_from="2022-07-26T00:00:00+06:00",
                                     starts_before="2022-07-27T00:00:00+06:00")
        assert sorted(s["id"] for s in on_the_day) == sorted(platforms)

        for platform_id in platforms:
            (listed,) = await all_pages(dialogue, "/v1/action-plans", session_id=platform_id)
            assert listed["id"] == plan_id
        plan = (await dialogue.get(f"/v1/action-plans/{plan_id}")).json()
        assert plan["session_ids"] == platforms
        assert [i["format"] for i in plan["items"]] == [f for f, _, _, _ in items]
        for item, (_, title, state_owners, civil_owners) in zip(plan["items"], items, strict=True):
            assert (item["title"], item["state_owner_ids"], item["civil_owner_ids"]) == (title, state_owners,
                                                                                        civil_owners)
        reports = plan["items"][0]["reports"]
        assert [(x["org_id"], x["side"]) for x in reports] == [(police, "state"), (city_council, "civil_society")]
        assert plan["items"][0]["status"] == "in_progress"
        assert all(i["is_overdue"] for i in plan["items"])  # due at the end of 2022 and never closed


class TestCoordinationCouncilWithNgos:
    """Seed 004: the council chaired by the minister; its protocol is sent to state bodies for work."""

    async def test_reads_back_with_head_counts_protocol_and_sent_recommendations(self, orgs, dialogue, coordinator):
        information = await republican_body(orgs, "Министерство информации и общественного развития")
        health = await republican_body(orgs, "Министерство здравоохранения Республики Казахстан")
        fund = await create_org(orgs, "ОФ «Қазақстан халқына»", kind="foundation", level="republican")
        alliance = await ngo(orgs, "ОЮЛ «Гражданский Альянс Казахстана»", level="republican", region_code=None)
        minister = await person(orgs, "Умаров", "Аскар", position="Министр информации и общественного развития")
        burkitbayev = await person(orgs, "Буркитбаев", "Жандос", position="вице-министр здравоохранения")
        kadyrov = await person(orgs, "Кадиров", "Данияр",
                               position="вице-министр информации и общественного развития")
        zhamishev = await person(orgs, "Жамишев", "Болат", position="Председатель Правления")
        nurgazieva = await person(orgs, "Нургазиева", "Бану", position="президент")

        session = await create_session(
            dialogue, "Заседание Координационного совета по взаимодействию с НПО", kind="coordination_council",
            venue="Министерство информации и общественного развития", region_code=ASTANA,
            organizer_ids=[information], starts_at="2022-03-15T11:00:00+06:00",
            agenda=[{"title": "Вступительное слово Министра", "speakers": [
                        {"person_id": minister, "org_id": information}]},
                    {"title": "О создании общественного фонда «Қазақстан халқына»", "speakers": [
                        {"person_id": burkitbayev, "org_id": health}, {"person_id": zhamishev, "org_id": fund}]},
                    {"title": "Роль организаций гражданского общества", "speakers": [
                        {"person_id": kadyrov, "org_id": information}, {"person_id": nurgazieva, "org_id": alliance}]},
                    "Планирование тематики и оценка эффективности государственного социального заказа на "
                    "региональном уровне"])
        chair = await add_participant(dialogue, session["id"], person_id=minister, org_id=information,
                                      sector="state", role="chair")
        await move_session(dialogue, session["id"], "scheduled", "in_progress")
        agenda = (await dialogue.get(f"/v1/sessions/{session['id']}/agenda")).json()
        social_order = agenda[3]["id"]
        await record_on_item(dialogue, session["id"], social_order,
                             heard="Проблемные вопросы планирования тематики госсоцзаказа в регионах",
                             decided="Рекомендовать совершенствовать планирование и оценку эффективности")
        planning = await create_recommendation(
            dialogue, [information], session_id=session["id"], agenda_item_id=social_order,
            text="Совершенствовать планирование тематики и оценку эффективности государственного социального "
                 "заказа на региональном уровне", topics=["госсоцзаказ"])
        renewal = await create_recommendation(
            dialogue, [information, health], session_id=session["id"],
            text="Обеспечить качественное обновление составов общественных советов", topics=["общественные советы"])
        for rec in (planning, renewal):
            await move_recommendation(dialogue, rec["id"], "adopted")
        await move_session(dialogue, session["id"], "concluded")
        await set_head_counts(dialogue, session["id"], state=35, civil_society=46)
        await publish_protocol(dialogue, session["id"], number="1", chair="А. Умаров", secretary="Секретарь Совета")

        seen = await read_back(dialogue, session["id"])
        assert (seen["session"]["kind"], seen["session"]["status"]) == ("coordination_council", "concluded")
        assert seen["session"]["organizer_ids"] == [information]
        assert speakers_of(seen["agenda"]) == [
            [("Умаров Аскар", "Министерство информации и общественного развития")],
            [("Буркитбаев Жандос", "Министерство здравоохранения Республики Казахстан"),
             ("Жамишев Болат", "ОФ «Қазақстан халқына»")],
            [("Кадиров Данияр", "Министерство информации и общественного развития"),
             ("Нургазиева Бану", "ОЮЛ «Гражданский Альянс Казахстана»")],
            []]
        attended = seen["attendance"]["attended"]
        assert (attended["state"], attended["civil_society"], attended["total"]) == (35, 46, 81)
        assert seen["attendance"]["registered"]["state"] == 1
        protocol = seen["protocol"]
        assert (protocol["status"], protocol["version"], protocol["chair"]) == ("published", 1, "А. Умаров")
        assert (protocol["attendance"]["state"], protocol["attendance"]["civil_society"]) == (35, 46)
        assert [i["title"] for i in protocol["items"]] == [i["title"] for i in agenda]
        assert protocol["items"][3]["decided"] == "Рекомендовать совершенствовать планирование и оценку эффективности"
        # «Sent to state bodies for work»: publishing sent every adopted recommendation to its bodies.
        recs = {r["id"]: r for r in seen["recommendations"]}
        assert set(recs) == {planning["id"], renewal["id"]}
        assert all(r["status"] == "sent" and r["response_due_on"] == days_from_today(30) for r in recs.values())
        assert {a["org_id"] for a in recs[renewal["id"]]["addressees"]} == {information, health}
        assert recs[planning["id"]]["agenda_item_id"] == social_order
        sent = await events(dialogue, "recommendation.sent")
        assert sorted(e["payload"]["recommendation_id"] for e in sent) == sorted(recs)
        (published,) = await events(dialogue, "protocol.published", f"session/{session['id']}")
        assert published["payload"]["number"] == "1"
        participants = (await dialogue.get(f"/v1/sessions/{session['id']}/participants", headers=coordinator)).json()
        assert [(p["id"], p["name"], p["role"]) for p in participants["items"]] == [
            (chair["id"], "Умаров Аскар", "chair")]
        # Each body sees what was sent to it and answers for itself.
        inbox = await all_pages(dialogue, "/v1/recommendations", addressee_id=health, status="sent")
        assert [r["id"] for r in inbox] == [renewal["id"]]
