"""A first walk through the dialogue service: a round table to the state body's answer."""

from services.contracts.auth import Role
from tests.conftest import actor_headers


async def test_round_table_to_answer(orgs, dialogue, coordinator):
    body = (await orgs.post("/v1/orgs", json={"kind": "state_body", "level": "regional", "region_code": "630000000",
                                              "names": {"ru": "Акимат Восточно-Казахстанской области"}},
                            headers=coordinator)).json()
    r = await dialogue.post("/v1/sessions", headers=coordinator, json={
        "kind": "round_table", "format": "offline", "venue": "ВКТУ", "region_code": "630000000",
        "title": {"ru": "Поиск системного взаимодействия"}, "starts_at": "2025-10-14T10:00:00+05:00",
        "organizer_ids": [body["id"]]})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = await dialogue.post(f"/v1/sessions/{sid}/agenda", headers=coordinator, json={"title": "Модель Ashyq"})
    assert r.status_code == 201, r.text
    for st in ("scheduled", "in_progress"):
        r = await dialogue.post(f"/v1/sessions/{sid}/transitions", headers=coordinator, json={"status": st})
        assert r.status_code == 200, r.text
    r = await dialogue.post("/v1/recommendations", headers=coordinator, json={
        "text": "Рекомендовать модель как пилот", "addressee_ids": [body["id"]], "session_id": sid})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = await dialogue.post(f"/v1/recommendations/{rid}/transitions", headers=coordinator, json={"status": "adopted"})
    assert r.status_code == 200, r.text
    r = await dialogue.post(f"/v1/sessions/{sid}/transitions", headers=coordinator, json={"status": "concluded"})
    assert r.status_code == 200, r.text
    r = await dialogue.post(f"/v1/sessions/{sid}/protocol", headers=coordinator,
                            json={"number": "1", "chair": "С. Рахметуллина"})
    assert r.status_code == 201, r.text
    r = await dialogue.post(f"/v1/sessions/{sid}/protocol/publish", headers=coordinator)
    assert r.status_code == 200, r.text
    rec = (await dialogue.get(f"/v1/recommendations/{rid}")).json()
    assert rec["status"] == "sent"
    rep = actor_headers(Role.representative, account_id=7, org_ids=[body["id"]])
    r = await dialogue.post(f"/v1/recommendations/{rid}/responses", headers=rep,
                            json={"org_id": body["id"], "decision": "accepted", "reasons": "Поддерживаем"})
    assert r.status_code == 201, r.text
    assert (await dialogue.get(f"/v1/recommendations/{rid}")).json()["status"] == "answered"
