"""How the CSV import writes in bulk: new rows in reference order, loops linked afterwards, nothing left paused."""

from __future__ import annotations

import gc

from services.orgs import exchange
from tests.orgs.test_exchange import import_csv, org_row, to_csv, valid_bins


def test_new_rows_go_in_after_the_new_rows_they_name() -> None:
    def row(parent: int | None = None, attached: int | None = None, existing: int | None = None) -> exchange.ImportRow:
        r = exchange.ImportRow(line=0, existing_id=existing)
        r.parent = ("row", parent) if parent is not None else None
        r.attached_to = ("row", attached) if attached is not None else None
        return r

    rows = [row(parent=3), row(), row(parent=0), row(parent=4), row(existing=7), row(attached=6), row(parent=5)]
    order = exchange._insertion_order(rows)
    assert sorted(order) == [0, 1, 2, 3, 5, 6]  # every new row once; the stored one (4) is not inserted
    assert order.index(3) < order.index(0) < order.index(2)
    assert order.index(6) < order.index(5)  # a loop: the row met first goes last, its link to 6 made afterwards
    chain = [row(parent=i + 1) for i in range(49_999)] + [row()]
    assert exchange._insertion_order(chain) == list(range(49_999, -1, -1))  # no recursion limit


class TestBulkWrites:
    async def test_a_loop_through_parent_and_attached_to_is_written_whole(self, orgs, coordinator):
        body_bin, council_bin = valid_bins(2, start=10_500_000_000)
        rows = [
            org_row(name_ru="Совет при акимате", kind="public_council", bin=council_bin, attached_to=body_bin),
            org_row(name_ru="Акимат при совете", kind="state_body", bin=body_bin, parent=council_bin),
            org_row(name_ru="Отдел акимата", kind="state_body", parent=body_bin),
        ]
        body, _ = to_csv(rows, ["name_ru", "kind", "level", "region_code", "bin", "parent", "attached_to"])
        r = await import_csv(orgs, body, coordinator, dry_run=False)
        assert r.status_code == 200, r.text
        assert r.json()["created"] == 3
        items = {o["names"]["ru"]: o for o in (await orgs.get("/v1/orgs", params={"limit": 10})).json()["items"]}
        council, body_, department = items["Совет при акимате"], items["Акимат при совете"], items["Отдел акимата"]
        assert council["attached_to_id"] == body_["id"] and body_["parent_id"] == council["id"]
        assert department["parent_id"] == body_["id"]
        assert council["version"] == body_["version"] == 1
        found = (await orgs.get("/v1/orgs", params={"q": "акимат"})).json()["items"]  # the search text is filled
        assert {o["id"] for o in found} == {council["id"], body_["id"], department["id"]}

    async def test_the_garbage_collector_runs_again_after_any_import(self, orgs, coordinator):
        good, _ = to_csv([org_row(name_ru="Фонд")], ["name_ru", "kind", "level", "region_code"])
        bad, _ = to_csv([org_row(name_ru="Фонд", level="nowhere")], ["name_ru", "kind", "level", "region_code"])
        for body, dry_run, status in ((good, True, 200), (bad, True, 200), (bad, False, 422), (good, False, 200),
                                      (b"\xff\xfe", False, 422)):
            r = await import_csv(orgs, body, coordinator, dry_run=dry_run)
            assert r.status_code == status, r.text
            assert gc.isenabled()
