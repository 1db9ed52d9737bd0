"""Open data at stable gateway addresses: the registry's exports relayed, recommendations as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.gateway.helpers import PERSON_EMAIL, PERSON_IIN, PERSON_PHONE, build_world


@pytest.fixture
async def world(orgs, dialogue):
    return await build_world(orgs, dialogue)


class TestRegistryExports:
    async def test_organizations_csv_is_relayed(self, gateway, world):
        r = await gateway.get("/open-data/organizations.csv")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert 'filename="ashyq-organizations-' in r.headers["content-disposition"]
        assert r.content.startswith(b"\xef\xbb\xbf")
        assert "Акимат Восточно-Казахстанской области" in r.content.decode("utf-8-sig")

    async def test_organizations_csv_follows_the_list_filters(self, gateway, world):
        text = (await gateway.get("/open-data/organizations.csv", params={"kind": "state_body"})).content.decode(
            "utf-8-sig")
        assert "Акимат Восточно-Казахстанской области" in text
        assert "ВКТУ" not in text

    async def test_organizations_xlsx_is_relayed(self, gateway, world):
        r = await gateway.get("/open-data/organizations.xlsx")
        assert r.status_code == 200
        assert r.content[:2] == b"PK"  # a zip container, as XLSX is

    async def test_popolo_has_no_personal_contacts(self, gateway, world):
        r = await gateway.get("/open-data/popolo.json", params={"lang": "kk"})
        assert r.status_code == 200
        body = r.json()
        assert body["organizations"] and body["persons"]
        for secret in (PERSON_EMAIL, PERSON_PHONE, PERSON_IIN):
            assert secret not in r.text
        assert "Шығыс Қазақстан облысының әкімдігі" in r.text  # names in the page's language


class TestRecommendationsCsv:
    async def test_every_public_recommendation_with_decisions(self, gateway, world):
        r = await gateway.get("/open-data/recommendations.csv")
        assert r.status_code == 200
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        by_id = {int(row["id"]): row for row in rows}
        answered = by_id[world.answered["id"]]
        assert answered["decisions"] == f"{world.akimat}:accepted"
        assert answered["addressees"] == "Акимат Восточно-Казахстанской области"
        assert by_id[world.overdue["id"]]["is_overdue"] == "true"

    async def test_cells_cannot_run_as_formulas(self, gateway, orgs, dialogue):
        from tests.dialogue.helpers import sent_recommendation, state_body

        body = await state_body(orgs, "=HYPERLINK(\"http://evil\")")
        await sent_recommendation(dialogue, [body], text="=1+1 и +7 и -3 и @SUM(A1)")
        rows = list(csv.reader(io.StringIO((await gateway.get("/open-data/recommendations.csv")).content.decode(
            "utf-8-sig"))))
        for row in rows[1:]:
            for cell in row:
                assert not cell or cell[0] not in "=+-@", cell
