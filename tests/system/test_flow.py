"""A round table from planning to the state body's answer, across the three running services.

Accounts are real (`ashyq create-admin`, then the registry's account API); people sign in at the gateway's
login form; the writes go to the services' JSON APIs with service tokens naming those accounts (as the
gateway's workspace pages send them); the public reads the outcome on the gateway's pages, signed out.
"""

from __future__ import annotations

import httpx

from services.contracts.auth import Role
from tests.gateway.helpers import visible_text
from tests.system.conftest import System
from tests.system.steps import create_account, create_admin, create_org, sign_in, unique


class TestSessionToAnswer:
    def test_a_round_table_ends_with_the_answer_on_the_public_page(self, system: System) -> None:
        admin_id = create_admin(system)
        akimat = create_org(system, "Акимат Восточно-Казахстанской области")
        university = create_org(system, "ВКТУ им. Д. Серикбаева", kind="research_education")
        coordinator_login, representative_login = unique("coordinator"), unique("akimat")
        coordinator = create_account(system, admin_id, coordinator_login, "Сауле Координатор", ["coordinator"])
        representative = create_account(system, admin_id, representative_login, "Ерлан Представитель",
                                        ["representative"], org_ids=[akimat])

        # The coordinator signs in through the gateway's form and is greeted by name.
        with httpx.Client(base_url=system.gateway.url, timeout=15) as browser:
            r = sign_in(browser, coordinator_login)
            assert r.status_code == 303, r.text
            assert "Сауле Координатор" in visible_text(browser.get("/").text)

        as_coordinator = system.headers(Role.coordinator, account_id=coordinator["id"])
        with httpx.Client(base_url=system.dialogue.url, headers=as_coordinator, timeout=15) as dialogue:
            r = dialogue.post("/v1/sessions", json={
                "kind": "round_table", "format": "offline", "venue": "ВКТУ, Усть-Каменогорск",
                "region_code": "630000000", "title": {"ru": "Поиск системного взаимодействия"},
                "starts_at": "2025-10-14T10:00:00+05:00", "organizer_ids": [university]})
            assert r.status_code == 201, r.text
            session_id = r.json()["id"]
            r = dialogue.post(f"/v1/sessions/{session_id}/agenda", json={"title": "Модель Ashyq"})
            assert r.status_code == 201, r.text
            for status in ("scheduled", "in_progress"):
                r = dialogue.post(f"/v1/sessions/{session_id}/transitions", json={"status": status})
                assert r.status_code == 200, r.text
            r = dialogue.post("/v1/recommendations", headers={"Idempotency-Key": unique("rec")}, json={
                "text": "Рекомендовать модель Ashyq как пилотную", "addressee_ids": [akimat],
                "session_id": session_id, "response_due_on": "2099-12-31"})
            assert r.status_code == 201, r.text
            rec_id = r.json()["id"]
            r = dialogue.post(f"/v1/recommendations/{rec_id}/transitions", json={"status": "adopted"})
            assert r.status_code == 200, r.text
            r = dialogue.post(f"/v1/sessions/{session_id}/transitions", json={"status": "concluded"})
            assert r.status_code == 200, r.text
            r = dialogue.post(f"/v1/sessions/{session_id}/protocol", json={
                "number": "7", "chair": "С. Рахметуллина", "place": "ВКТУ",
                "items": [{"title": "Модель Ashyq", "decided": "Рекомендовать модель как пилотную"}]})
            assert r.status_code == 201, r.text
            r = dialogue.post(f"/v1/sessions/{session_id}/protocol/publish")
            assert r.status_code == 200, r.text
            assert dialogue.get(f"/v1/recommendations/{rec_id}").json()["status"] == "sent"

        # The akimat's representative signs in too, and answers for the akimat.
        with httpx.Client(base_url=system.gateway.url, timeout=15) as browser:
            assert sign_in(browser, representative_login).status_code == 303
            assert "Ерлан Представитель" in visible_text(browser.get("/").text)
        as_representative = system.headers(Role.representative, account_id=representative["id"], org_ids=[akimat])
        r = httpx.post(f"{system.dialogue.url}/v1/recommendations/{rec_id}/responses", headers=as_representative,
                       timeout=15, json={"org_id": akimat, "decision": "accepted",
                                         "reasons": "Включено в план работы акимата на 2026 год"})
        assert r.status_code == 201, r.text

        # Anyone, signed out, reads it on the portal.
        with httpx.Client(base_url=system.gateway.url, timeout=15) as anonymous:
            page = anonymous.get(f"/recommendations/{rec_id}")
            assert page.status_code == 200, page.text
            text = visible_text(page.text)
            assert "Рекомендовать модель Ashyq как пилотную" in text
            assert "Включено в план работы акимата на 2026 год" in text
            assert "Акимат Восточно-Казахстанской области" in text
            session_page = anonymous.get(f"/sessions/{session_id}")
            assert session_page.status_code == 200, session_page.text
            assert "Поиск системного взаимодействия" in visible_text(session_page.text)
            assert "Рекомендовать модель Ashyq как пилотную" in visible_text(session_page.text)
