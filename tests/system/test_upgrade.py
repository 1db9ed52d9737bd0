"""An installation still on the first schema of each service, holding data, upgraded with `ashyq migrate`.

The old schema is made by Alembic (upgraded to each service's first revision only), the data is
written with SQL as that version of Ashyq stored it, then the migrate command an upgrade runs brings both
databases to head; the rows are all still there and the services, started on them, serve them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from services.common.migrations import head_revisions, upgrade
from services.common.text import fold, search_document
from tests.system.conftest import System
from tests.system.steps import first_revision, unique

NOW = datetime(2025, 10, 14, 5, 0, tzinfo=UTC)
MINISTRY = "Министерство информации и общественного развития РК"
NGO = "Общественный фонд «Қазақстан халқына»"
TITLE = "Гражданский форум «Голос региона»"
RECOMMENDATION = "Создать региональный центр поддержки гражданских инициатив"
REASONS = "Центр открыт при управлении внутренней политики"


def _old_orgs_rows(system: System, database: str) -> dict[str, int]:
    with system.cluster.connect(database) as db:
        ids = {}
        for key, kind, level, name in (("ministry", "state_body", "republican", MINISTRY),
                                       ("ngo", "foundation", "republican", NGO)):
            ids[key] = db.execute(
                "INSERT INTO organization (kind, level, region_code, name_ru, name_kk, other_names, is_archived, "
                "search_text, sort_name, created_at, updated_at, version) VALUES (%s, %s, NULL, %s, %s, '[]', false, "
                "%s, %s, %s, %s, 1) RETURNING id",
                (kind, level, name, "ҚР Ақпарат және қоғамдық даму министрлігі" if key == "ministry" else None,
                 search_document([name]), fold(name), NOW, NOW)).fetchone()[0]
        ids["person"] = db.execute(
            "INSERT INTO person (family_name, given_name, patronymic, email, phone, is_archived, search_text, "
            "sort_name, created_at, updated_at, version) VALUES ('Жакупова', 'Айгуль', 'Сериковна', "
            "'aigul@example.kz', '+7 777 123 45 67', false, %s, %s, %s, %s, 1) RETURNING id",
            (search_document(["Жакупова Айгуль Сериковна"]), fold("Жакупова Айгуль Сериковна"), NOW, NOW)).fetchone()[0]
        ids["membership"] = db.execute(
            "INSERT INTO membership (person_id, org_id, role, start_on, created_at, updated_at, version) "
            "VALUES (%s, %s, 'chair', '2024-01-15', %s, %s, 1) RETURNING id",
            (ids["person"], ids["ngo"], NOW, NOW)).fetchone()[0]
    return ids


def _old_dialogue_rows(system: System, database: str, orgs: dict[str, int]) -> dict[str, int]:
    with system.cluster.connect(database) as db:
        ids = {}
        ids["session"] = db.execute(
            "INSERT INTO dialogue_session (kind, format, title_ru, venue, region_code, topics, organizer_ids, "
            "starts_at, status, head_counts, search_text, created_at, updated_at, version) VALUES ('civic_forum', "
            "'offline', %s, 'Усть-Каменогорск', '630000000', '[]', %s, %s, 'concluded', %s, %s, %s, %s, 1) "
            "RETURNING id",
            (TITLE, json.dumps([orgs["ngo"]]), NOW, json.dumps({"state": 35, "civil_society": 46}),
             search_document([TITLE]), NOW, NOW)).fetchone()[0]
        db.execute("INSERT INTO session_organizer (session_id, org_id) VALUES (%s, %s)", (ids["session"], orgs["ngo"]))
        db.execute("INSERT INTO agenda_item (session_id, position, title, speakers, decided, version) "
                   "VALUES (%s, 1, 'Пленарное заседание', '[]', 'Рекомендовать создать центр', 1)", (ids["session"],))
        db.execute("INSERT INTO protocol (session_id, number_version, status, number, chair, attendance, items, "
                   "published_at, created_at, version) VALUES (%s, 1, 'published', '3', 'А. Жакупова', '{}', '[]', "
                   "%s, %s, 1)", (ids["session"], NOW, NOW))
        ids["recommendation"] = db.execute(
            "INSERT INTO recommendation (text, status, session_id, topics, response_due_on, adopted_at, sent_at, "
            "search_text, created_at, updated_at, version) VALUES (%s, 'answered', %s, '[]', '2025-11-14', %s, %s, "
            "%s, %s, %s, 1) RETURNING id",
            (RECOMMENDATION, ids["session"], NOW, NOW, search_document([RECOMMENDATION]), NOW, NOW)).fetchone()[0]
        db.execute("INSERT INTO recommendation_addressee (recommendation_id, org_id, decision, answered_at) "
                   "VALUES (%s, %s, 'accepted', %s)", (ids["recommendation"], orgs["ministry"], NOW))
        db.execute("INSERT INTO recommendation_response (recommendation_id, org_id, decision, reasons, answered_at) "
                   "VALUES (%s, %s, 'accepted', %s, %s)", (ids["recommendation"], orgs["ministry"], REASONS, NOW))
        for status in ("draft", "adopted", "sent", "answered"):
            db.execute("INSERT INTO recommendation_status_history (recommendation_id, status, changed_at) "
                       "VALUES (%s, %s, %s)", (ids["recommendation"], status, NOW))
        db.execute("INSERT INTO outbox_event (type, subject, payload, occurred_at, attempts) VALUES "
                   "('recommendation.answered', %s, %s, %s, 0)",
                   (f"recommendation/{ids['recommendation']}", json.dumps({"recommendation_id": ids["recommendation"]}),
                    NOW))
    return ids


def _counts(system: System, database: str) -> dict[str, int]:
    with system.cluster.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                               "'public' AND table_type = 'BASE TABLE' AND table_name <> "
                                               "'alembic_version'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _revisions(system: System, database: str) -> list[str]:
    with system.cluster.connect(database) as db:
        return sorted(row[0] for row in db.execute("SELECT version_num FROM alembic_version"))


class TestUpgradeFromTheFirstSchema:
    def test_data_survives_the_upgrade_and_is_served(self, system: System) -> None:
        names = {service: unique(f"upgrade_{service}").replace("-", "_") for service in ("orgs", "dialogue")}
        urls = {service: system.cluster.create_database(name) for service, name in names.items()}
        env = {"ORGS_DATABASE_URL": urls["orgs"], "DIALOGUE_DATABASE_URL": urls["dialogue"]}
        started = []
        try:
            for service in ("orgs", "dialogue"):
                upgrade(service, urls[service], first_revision(service))
                assert _revisions(system, names[service]) == [first_revision(service)]
            orgs_ids = _old_orgs_rows(system, names["orgs"])
            dialogue_ids = _old_dialogue_rows(system, names["dialogue"], orgs_ids)
            before = {service: _counts(system, names[service]) for service in names}

            done = system.ashyq("migrate", "all", env=env)
            assert done.returncode == 0, done.stderr
            for service in names:
                assert _revisions(system, names[service]) == sorted(head_revisions(service))
                after = _counts(system, names[service])  # migrations may add rows (the KATO regions), never lose any
                kept = {t: after[t] for t, n in before[service].items() if n}
                assert kept == {t: n for t, n in before[service].items() if n}, service

            orgs = system.start_service("orgs", env=env)
            dialogue_env = {**env, "DIALOGUE_ORGS_URL": orgs.url}
            dialogue = system.start_service("dialogue", env=dialogue_env)
            started += [orgs, dialogue]
            orgs.wait_ready()
            dialogue.wait_ready()

            with httpx.Client(timeout=15) as http:
                r = http.get(f"{orgs.url}/v1/orgs/{orgs_ids['ministry']}", headers={"Accept-Language": "kk"})
                assert r.status_code == 200, r.text
                assert r.json()["names"]["ru"] == MINISTRY
                assert r.json()["name"] == "ҚР Ақпарат және қоғамдық даму министрлігі"
                r = http.get(f"{orgs.url}/v1/orgs/{orgs_ids['ngo']}/members")
                assert r.status_code == 200, r.text
                assert "Жакупова" in r.text
                r = http.get(f"{dialogue.url}/v1/sessions/{dialogue_ids['session']}")
                assert r.status_code == 200, r.text
                assert r.json()["title"]["ru"] == TITLE and r.json()["status"] == "concluded"
                r = http.get(f"{dialogue.url}/v1/sessions/{dialogue_ids['session']}/protocol")
                assert r.status_code == 200 and r.json()["number"] == "3", r.text
                r = http.get(f"{dialogue.url}/v1/recommendations/{dialogue_ids['recommendation']}")
                assert r.status_code == 200, r.text
                rec = r.json()
                assert rec["text"] == RECOMMENDATION and rec["status"] == "answered"
                assert [(a["org_id"], a["decision"]) for a in rec["addressees"]] == [(orgs_ids["ministry"], "accepted")]
                assert [x["reasons"] for x in rec["responses"]] == [REASONS]
                # The calendar export needs a column the first schema did not have (its SEQUENCE).
                r = http.get(f"{dialogue.url}/v1/sessions/{dialogue_ids['session']}.ics")
                assert r.status_code == 200, r.text
                assert "SEQUENCE:0" in r.text.replace("\r\n ", "")
        finally:
            for process in started:
                process.stop()
            for name in names.values():
                system.cluster.drop_database(name)
