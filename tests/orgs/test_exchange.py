"""Bulk exchange of the registry: CSV import, CSV/XLSX export, Popolo JSON."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest

from services.contracts.auth import Role
from services.contracts.identifiers import check_digit
from tests.conftest import actor_headers

COLUMNS = [
    "id", "bin", "kind", "level", "region_code", "parent", "attached_to", "name_ru", "name_kk", "name_en",
    "short_name", "other_names", "topics", "website", "email", "phone", "address", "founded_on",
    "dissolved_on", "term_ends_on",
]
KATO = ["100000000", "110000000", "150000000", "190000000", "230000000", "270000000", "310000000", "330000000",
        "350000000", "390000000", "430000000", "470000000", "550000000", "590000000", "610000000", "620000000",
        "630000000", "710000000", "750000000", "790000000"]
TOPICS = ["білім беру", "денсаулық сақтау", "экология", "молодёжная политика", "цифровизация"]
OTHER_KINDS = ["ngo", "foundation", "research_education", "media", "business", "trade_union"]
FORMULA_NAME = '=HYPERLINK("http://evil.example","Нажмите")'


def valid_bins(count: int, start: int) -> list[str]:
    out = []
    number = start
    while len(out) < count:
        first11 = f"{number:011d}"
        digit = check_digit(first11)
        if digit is not None:
            out.append(first11 + str(digit))
        number += 1
    return out


def sheet_safe(value: str) -> str:
    """What a spreadsheet-safe CSV holds for a value (the rule the service promises)."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def to_csv(rows: list[dict[str, str]], columns: list[str] = COLUMNS, *, bom: bool = False) -> tuple[bytes, list[int]]:
    """The file, and the physical line on which each row starts (header = line 1)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    lines, line = [], 2
    for row in rows:
        cells = [sheet_safe(row.get(c, "")) for c in columns]
        writer.writerow(cells)
        lines.append(line)
        line += 1 + sum(cell.count("\n") for cell in cells)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(), lines


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


async def import_csv(client: Any, body: bytes, headers: dict[str, str], *, dry_run: bool, **extra: Any) -> Any:
    return await client.post("/v1/orgs/import", params={"dry_run": str(dry_run).lower()}, content=body,
                             headers={**headers, "Content-Type": "text/csv", **extra})


def org_row(**cells: str) -> dict[str, str]:
    return {"kind": "ngo", "level": "regional", "region_code": "750000000", **cells}


def synthetic_rows(count: int) -> list[dict[str, str]]:
    """Valid organizations: state bodies with councils attached, parents named by BIN before and after."""
    bins = valid_bins(count, start=10_400_000_000)
    founded = date(1992, 1, 1)
    rows = []
    for i in range(count):
        slot = i % 10
        kind = {2: "state_body", 7: "public_council"}.get(slot, OTHER_KINDS[i % len(OTHER_KINDS)])
        level = ["republican", "regional", "district"][i % 3]
        row = {
            "id": "", "bin": bins[i] if slot != 9 else "", "kind": kind, "level": level,
            "region_code": "" if i % 11 == 0 else KATO[i % len(KATO)],
            "parent": "", "attached_to": "",
            "name_ru": f"Общественное объединение «Ёлка-{i}»",
            "name_kk": f"«Жасыл әлем-{i}» қоғамдық бірлестігі",
            "name_en": f"Green World {i}" if i % 2 else "",
            "short_name": f"ОО-{i}" if i % 4 == 0 else "",
            "other_names": f"ЖӘ-{i} | Green-{i}" if i % 3 == 0 else "",
            "topics": " | ".join(sorted({TOPICS[i % 5], TOPICS[(i // 5) % 5]})),
            "website": f"https://org{i}.example.kz" if i % 2 == 0 else "",
            "email": f"info{i}@org{i}.kz" if i % 2 == 0 else "",
            "phone": f"+7 (7172) {i:06d}",
            "address": (f"г. Астана,\nпр. Мәңгілік Ел, {i}" if i % 500 == 17 else f"г. Алматы, ул. Абая, {i}"),
            "founded_on": (founded + timedelta(days=i % 10_000)).isoformat() if slot != 8 else "",
            "dissolved_on": (founded + timedelta(days=i % 10_000 + 900)).isoformat() if i % 97 == 0 else "",
            "term_ends_on": "2027-06-30" if kind == "public_council" else "",
        }
        if slot == 0 and i + 3 < count:
            row["parent"] = bins[i + 3]  # a parent further down the file
        if slot == 5:
            row["parent"] = bins[i - 3]  # a parent further up
        if slot == 7:
            row["attached_to"] = bins[i - 5]  # the state body of slot 2
        rows.append(row)
    rows[4321]["name_ru"] = FORMULA_NAME
    rows[4322]["name_ru"] = "-минус в начале"
    rows[4323]["short_name"] = "@упоминание"
    return rows


class TestImportTwentyThousandRows:
    async def test_reports_three_bad_rows_then_imports_and_exports_the_same_data(self, orgs, coordinator, backend):
        rows = synthetic_rows(20_000)
        bad_bin, bad_kind, bad_parent = 1234, 9876, 17001
        broken = [dict(r) for r in rows]
        wrong_digit = (int(rows[bad_bin]["bin"][-1]) + 1) % 10
        broken[bad_bin]["bin"] = rows[bad_bin]["bin"][:11] + str(wrong_digit)
        broken[bad_kind]["kind"] = "ministry"
        nowhere = valid_bins(1, start=99_900_000_000)[0]
        broken[bad_parent]["parent"] = nowhere
        body, lines = to_csv(broken)
        assert lines[-1] > len(rows) + 1  # some addresses span two lines

        started = time.perf_counter()
        r = await import_csv(orgs, body, coordinator, dry_run=True)
        dry_run_seconds = time.perf_counter() - started
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["dry_run"] is True and report["rows"] == 20_000
        assert [(b["line"], [e["field"] for e in b["errors"]]) for b in report["bad_rows"]] == [
            (lines[bad_bin], ["bin"]), (lines[bad_kind], ["kind"]), (lines[bad_parent], ["parent"])]
        assert "check digit" in report["bad_rows"][0]["errors"][0]["message"]
        assert nowhere in report["bad_rows"][2]["errors"][0]["message"]

        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [b["line"] for b in r.json()["bad_rows"]] == [lines[bad_bin], lines[bad_kind], lines[bad_parent]]
        r = await orgs.get("/v1/orgs", params={"include_archived": True, "limit": 1})
        assert r.json()["items"] == []

        body, _ = to_csv(rows)
        started = time.perf_counter()
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        commit_seconds = time.perf_counter() - started
        assert r.status_code == 200, r.text[:2000]
        assert r.json() == {"dry_run": False, "rows": 20_000, "created": 20_000, "updated": 0, "bad_rows": []}
        print(f"\n[{backend}] 20,000 rows: dry run {dry_run_seconds:.1f} s, commit {commit_seconds:.1f} s")

        started = time.perf_counter()
        r = await orgs.get("/v1/orgs/export.csv")
        assert r.status_code == 200
        assert r.content.startswith("\ufeff".encode())
        assert r.headers["content-disposition"].startswith("attachment")
        exported = read_csv(r.content)
        assert exported[0] == COLUMNS
        assert len(exported) == 20_001
        by_bin = {row[1]: row for row in exported[1:] if row[1]}
        assert by_bin[rows[4321]["bin"]][7] == "'" + FORMULA_NAME
        assert by_bin[rows[4321]["bin"]][15].startswith("'+7 ")
        expected = sorted(tuple(sheet_safe(row[c]) for c in COLUMNS[1:]) for row in rows)
        actual = sorted(tuple(row[1:]) for row in exported[1:])
        missing, extra = set(expected) - set(actual), set(actual) - set(expected)
        assert not missing and not extra, (sorted(missing)[:3], sorted(extra)[:3])
        assert actual == expected

        r = await orgs.get("/v1/orgs/export.xlsx")
        assert r.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == COLUMNS
        assert len(values) == 20_001
        assert {v[7] for v in values if v[1] == rows[4321]["bin"]} == {FORMULA_NAME}
        print(f"[{backend}] exports (CSV + XLSX): {time.perf_counter() - started:.1f} s")


class TestImportChecks:
    async def test_bom_is_optional(self, orgs, coordinator):
        rows = [org_row(name_ru="Фонд «Самұрық»"), org_row(name_ru="Союз «Әділет»", kind="trade_union")]
        for bom in (True, False):
            body, _ = to_csv(rows, ["name_ru", "kind", "level", "region_code"], bom=bom)
            r = await import_csv(orgs, body, coordinator, dry_run=True)
            assert r.status_code == 200
            assert r.json() == {"dry_run": True, "rows": 2, "created": 2, "updated": 0, "bad_rows": []}
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.json()["created"] == 2
        names = {o["names"]["ru"] for o in (await orgs.get("/v1/orgs")).json()["items"]}
        assert names == {"Фонд «Самұрық»", "Союз «Әділет»"}

    async def test_duplicate_bin_within_a_file_is_reported_on_both_lines(self, orgs, coordinator):
        body, _ = to_csv([org_row(name_ru="Первая", bin="000740000728"), org_row(name_ru="Другая"),
                          org_row(name_ru="Вторая", bin="000740000728")])
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        assert [(b["line"], b["errors"][0]["field"]) for b in report["bad_rows"]] == [(2, "bin"), (4, "bin")]
        assert "line 4" in report["bad_rows"][0]["errors"][0]["message"]

    async def test_bin_already_in_the_registry_is_refused(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "ngo", "level": "regional", "names": {"ru": "Есть"},
                                              "bin": "000740000728"}, headers=coordinator)
        assert r.status_code == 201
        body, _ = to_csv([org_row(name_ru="Новая", bin="000740000728")])
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        assert report["bad_rows"][0]["errors"] == [
            {"field": "bin", "message": f"already registered to organization {r.json()['id']}"}]

    async def test_updates_an_organization_by_id(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "ngo", "level": "district", "names": {"ru": "Старое имя"},
                                              "topics": ["экология"], "contacts": {"phone": "+7 701 000 0000"}},
                            headers=coordinator)
        org = r.json()
        body, _ = to_csv([{"id": str(org["id"]), "name_ru": "Новое имя", "topics": "білім беру | экология"}],
                         ["id", "name_ru", "topics"])
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.json() == {"dry_run": False, "rows": 1, "created": 0, "updated": 1, "bad_rows": []}
        r = await orgs.get(f"/v1/orgs/{org['id']}")
        after = r.json()
        assert after["names"]["ru"] == "Новое имя"
        assert after["level"] == "district" and after["contacts"]["phone"] == "+7 701 000 0000"  # columns not sent
        assert sorted(after["topics"]) == ["білім беру", "экология"]
        assert after["version"] == org["version"] + 1
        found = (await orgs.get("/v1/orgs", params={"q": "новое"})).json()["items"]
        assert [o["id"] for o in found] == [org["id"]]

    async def test_update_of_an_unknown_id_is_a_bad_row(self, orgs, coordinator):
        body, _ = to_csv([{"id": "987654", "name_ru": "Нет такой"}, {"id": "99999999999", "name_ru": "Тоже"}],
                         ["id", "name_ru"])
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        assert [(b["line"], b["errors"][0]["field"]) for b in report["bad_rows"]] == [(2, "id"), (3, "id")]

    async def test_references_by_id_and_by_bin_in_any_order(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "state_body", "level": "republican",
                                              "names": {"ru": "Министерство"}}, headers=coordinator)
        ministry = r.json()["id"]
        body, _ = to_csv([
            org_row(name_ru="Совет", kind="public_council", attached_to="000740000728"),
            org_row(name_ru="Комитет", kind="state_body", bin="000740000728", parent=str(ministry)),
            org_row(name_ru="Отдел", kind="state_body", parent="000740000728"),
        ])
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.json()["created"] == 3, r.text
        items = {o["names"]["ru"]: o for o in (await orgs.get("/v1/orgs", params={"limit": 10})).json()["items"]}
        committee = items["Комитет"]["id"]
        assert items["Комитет"]["parent_id"] == ministry
        assert items["Отдел"]["parent_id"] == committee
        assert items["Совет"]["attached_to_id"] == committee
        exported = {row[7]: row for row in read_csv((await orgs.get("/v1/orgs/export.csv")).content)[1:]}
        assert exported["Комитет"][5] == str(ministry)  # the ministry has no BIN: its id
        assert exported["Отдел"][5] == "000740000728"

    async def test_reference_rules_of_the_api(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "ngo", "level": "regional", "names": {"ru": "НКО"},
                                              "bin": "000740000728"}, headers=coordinator)
        assert r.status_code == 201
        body, _ = to_csv([
            org_row(name_ru="Совет при НКО", kind="public_council", attached_to="000740000728"),
            org_row(name_ru="НКО при НКО", attached_to="000740000728"),
            org_row(name_ru="Нет региона", region_code="999999999"),
            org_row(name_ru="Круг А", bin="061211600012", parent="100140011059"),
            org_row(name_ru="Круг Б", bin="100140011059", parent="061211600012"),
            org_row(name_ru="Даты", founded_on="2020-01-01", dissolved_on="2019-01-01"),
            org_row(name_ru="Плохая дата", founded_on="01.02.2020"),
        ])
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        fields = {b["line"]: [e["field"] for e in b["errors"]] for b in report["bad_rows"]}
        assert fields == {2: ["attached_to"], 3: ["attached_to"], 4: ["region_code"], 5: ["parent"],
                          6: ["parent"], 7: ["dissolved_on"], 8: ["founded_on"]}

    async def test_header_problems_are_reported_on_line_one(self, orgs, coordinator):
        body = "name_ru,kind,level,colour\nФонд,ngo,regional,red\n".encode()
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        assert report["bad_rows"] == [{"line": 1, "errors": [{"field": "colour", "message": report["bad_rows"][0]
                                                               ["errors"][0]["message"]}]}]
        assert report["rows"] == 1 and report["created"] == 0

    async def test_lines_count_newlines_inside_quoted_cells(self, orgs, coordinator):
        body = ('name_ru,kind,level,address\n'
                'Первая,ngo,regional,"ул. Абая,\nдом 1\nофис 2"\n'
                'Вторая,ngo,nowhere,ул. Сейфуллина\n').encode()
        report = (await import_csv(orgs, body, coordinator, dry_run=True)).json()
        assert [(b["line"], b["errors"][0]["field"]) for b in report["bad_rows"]] == [(5, "level")]

    async def test_accepts_a_multipart_upload(self, orgs, coordinator):
        body, _ = to_csv([org_row(name_ru="Из формы")], ["name_ru", "kind", "level", "region_code"])
        r = await orgs.post("/v1/orgs/import", params={"dry_run": "false"}, headers=coordinator,
                            files={"file": ("orgs.csv", body, "text/csv")})
        assert r.status_code == 200, r.text
        assert r.json()["created"] == 1

    async def test_a_malformed_upload_or_media_type_is_a_documented_problem(self, orgs, coordinator):
        """Found by the contract fuzzer: a broken multipart body answers 400, which the OpenAPI did not list."""
        boundary = "4bea7452f2ee0b8418ae8c1020a88206"
        r = await orgs.post("/v1/orgs/import", content=f"--{boundary}\r\n--{boundary}--\r\n".encode(),
                            headers={**coordinator, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert (r.status_code, r.headers["content-type"]) == (400, "application/problem+json")
        r = await orgs.post("/v1/orgs/import", content=b"{}", headers={**coordinator, "Content-Type": "image/png"})
        assert (r.status_code, r.headers["content-type"]) == (415, "application/problem+json")
        documented = (await orgs.get("/openapi.json")).json()["paths"]["/v1/orgs/import"]["post"]["responses"]
        assert {"400", "413", "415", "422"} <= set(documented)
        assert (await orgs.get("/v1/orgs")).json()["items"] == []

    async def test_a_retried_commit_with_the_same_idempotency_key_imports_once(self, orgs, coordinator):
        body, _ = to_csv([org_row(name_ru="Один раз")], ["name_ru", "kind", "level", "region_code"])
        first = await import_csv(orgs, body, coordinator, dry_run=False, **{"Idempotency-Key": "import-1"})
        again = await import_csv(orgs, body, coordinator, dry_run=False, **{"Idempotency-Key": "import-1"})
        assert first.json() == again.json() and again.headers.get("idempotent-replayed") == "true"
        assert len((await orgs.get("/v1/orgs")).json()["items"]) == 1


class TestImportAccess:
    async def test_needs_a_token(self, orgs):
        body, _ = to_csv([org_row(name_ru="Фонд")])
        r = await import_csv(orgs, body, {}, dry_run=True)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_a_member_may_not_import(self, orgs):
        body, _ = to_csv([org_row(name_ru="Фонд")])
        r = await import_csv(orgs, body, actor_headers(Role.member), dry_run=True)
        assert r.status_code == 403

    async def test_refuses_a_file_over_the_limit(self, orgs, orgs_app, coordinator, monkeypatch):
        monkeypatch.setattr(orgs_app.state.settings, "import_max_bytes", 1000)
        body, _ = to_csv([org_row(name_ru=f"Фонд {i}") for i in range(40)])
        assert len(body) > 1000
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("application/problem+json")

        async def chunks():  # no Content-Length: the limit still holds
            for start in range(0, len(body), 256):
                yield body[start:start + 256]

        r = await orgs.post("/v1/orgs/import", content=chunks(), headers={**coordinator, "Content-Type": "text/csv"})
        assert r.status_code == 413
        assert (await orgs.get("/v1/orgs")).json()["items"] == []


class TestExports:
    async def test_a_cell_starting_with_a_formula_character_is_quoted(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "ngo", "level": "regional", "names": {"ru": "=1+2"},
                                              "contacts": {"phone": "+7 701 000 0000"}}, headers=coordinator)
        assert r.status_code == 201
        header, row = read_csv((await orgs.get("/v1/orgs/export.csv")).content)
        cells = dict(zip(header, row, strict=True))
        assert cells["name_ru"] == "'=1+2" and cells["phone"] == "'+7 701 000 0000"

        sheet = openpyxl.load_workbook(io.BytesIO((await orgs.get("/v1/orgs/export.xlsx")).content)).active
        assert sheet["H2"].value == "=1+2" and sheet["H2"].data_type == "s"

        # ...and the quoted file imports back to the same values.
        exported = (await orgs.get("/v1/orgs/export.csv")).content
        r = await import_csv(orgs, exported, coordinator, dry_run=False)
        assert r.json()["updated"] == 1, r.text
        org = (await orgs.get("/v1/orgs")).json()["items"][0]
        assert org["names"]["ru"] == "=1+2" and org["contacts"]["phone"] == "+7 701 000 0000"

    async def test_uses_the_filters_of_the_list(self, orgs, coordinator):
        for kind, name in (("state_body", "Акимат"), ("ngo", "Фонд")):
            await orgs.post("/v1/orgs", json={"kind": kind, "level": "regional", "names": {"ru": name}},
                            headers=coordinator)
        rows = read_csv((await orgs.get("/v1/orgs/export.csv", params={"kind": "state_body"})).content)
        assert [r[7] for r in rows[1:]] == ["Акимат"]

    async def test_popolo_has_bin_identifiers_and_no_personal_contacts(self, orgs, coordinator):
        r = await orgs.post("/v1/orgs", json={"kind": "public_council", "level": "regional",
                                              "names": {"ru": "Общественный совет", "kk": "Қоғамдық кеңес"},
                                              "bin": "000740000728", "region_code": "630000000",
                                              "contacts": {"email": "council@akimat.kz"}}, headers=coordinator)
        org = r.json()
        r = await orgs.post("/v1/people", json={
            "family_name": "Сейтқали", "given_name": "Айгүл", "patronymic": "Маратқызы",
            "contacts": {"email": "aigul.private@mail.kz", "phone": "+7 777 123 4567", "iin": "061211600012"},
        }, headers=coordinator)
        person = r.json()
        r = await orgs.post("/v1/memberships", json={"person_id": person["id"], "org_id": org["id"], "role": "chair",
                                                     "title": "председатель", "start_on": "2025-01-15"},
                            headers=coordinator)
        membership = r.json()

        r = await orgs.get("/v1/exports/popolo.json")
        assert r.status_code == 200
        for private in ("aigul.private@mail.kz", "+7 777 123 4567", "061211600012"):
            assert private not in r.text
        data = json.loads(r.content)
        (popolo_org,) = data["organizations"]
        assert popolo_org["id"] == f"org/{org['id']}"
        assert popolo_org["identifiers"] == [{"scheme": "KZ-BIN", "identifier": "000740000728"}]
        assert popolo_org["classification"] == "public_council" and popolo_org["area_id"] == "630000000"
        assert {"type": "email", "value": "council@akimat.kz"} in popolo_org["contact_details"]
        assert {"name": "Қоғамдық кеңес", "lang": "kk", "note": "name in Kazakh"} in popolo_org["other_names"]
        (popolo_person,) = data["persons"]
        assert popolo_person == {"id": f"person/{person['id']}", "name": "Сейтқали Айгүл Маратқызы",
                                 "family_name": "Сейтқали", "given_name": "Айгүл", "additional_name": "Маратқызы"}
        assert data["memberships"] == [{
            "id": f"membership/{membership['id']}", "person_id": f"person/{person['id']}",
            "organization_id": f"org/{org['id']}", "role": "chair", "label": "председатель",
            "start_date": "2025-01-15",
        }]

    @pytest.mark.parametrize("path", ["/v1/orgs/export.csv", "/v1/orgs/export.xlsx", "/v1/exports/popolo.json"])
    async def test_exports_are_public_and_work_on_an_empty_registry(self, orgs, path):
        r = await orgs.get(path)
        assert r.status_code == 200
