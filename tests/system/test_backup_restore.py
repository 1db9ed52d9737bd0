"""`ashyq backup` and `ashyq restore` on the running system: back up, wipe, restore, find every row as it was.

The restore also refuses what would do harm: an older backup over a newer schema, a damaged archive, and any
restore without --yes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from services.common.migrations import head_revisions, upgrade
from services.contracts.auth import Role
from services.ops import sha256
from tests.gateway.helpers import visible_text
from tests.system.conftest import System
from tests.system.steps import create_org, first_revision, sequence_values, table_fingerprints, unique

DATABASES = ("orgs", "dialogue")


def _some_of_everything(system: System) -> int:
    """A body, a person with contacts, a session with its agenda and a sent recommendation answered; returns the
    recommendation's id."""
    akimat = create_org(system, "Акимат города Усть-Каменогорска")
    coordinator = system.headers(Role.coordinator)
    r = httpx.post(system.orgs.url + "/v1/people", headers=coordinator, timeout=10,
                   json={"family_name": "Рахметуллина", "given_name": "Сауле",
                         "contacts": {"email": "saule@example.kz", "phone": "+7 701 000 00 00"}})
    assert r.status_code == 201, r.text
    with httpx.Client(base_url=system.dialogue.url, headers=coordinator, timeout=10) as dialogue:
        r = dialogue.post("/v1/sessions", json={"kind": "dialogue_platform", "format": "offline", "venue": "Акимат",
                                                "title": {"ru": "Диалоговая площадка", "kk": "Диалог алаңы"},
                                                "starts_at": "2025-11-20T15:00:00+05:00", "organizer_ids": [akimat]})
        assert r.status_code == 201, r.text
        session_id = r.json()["id"]
        assert dialogue.post(f"/v1/sessions/{session_id}/agenda", json={"title": "Доступная среда"}).status_code == 201
        r = dialogue.post("/v1/recommendations", json={"text": "Обеспечить доступную среду в поликлиниках",
                                                       "addressee_ids": [akimat], "session_id": session_id})
        assert r.status_code == 201, r.text
        rec_id: int = r.json()["id"]
        for status in ("scheduled", "in_progress"):
            assert dialogue.post(f"/v1/sessions/{session_id}/transitions", json={"status": status}).status_code == 200
        for status in ("adopted", "sent"):
            r = dialogue.post(f"/v1/recommendations/{rec_id}/transitions", json={"status": status})
            assert r.status_code == 200, r.text
    r = httpx.post(f"{system.dialogue.url}/v1/recommendations/{rec_id}/responses", timeout=10,
                   headers=system.headers(Role.representative, account_id=77, org_ids=[akimat]),
                   json={"org_id": akimat, "decision": "partially_accepted", "reasons": "Пандусы — в 2026 году"})
    assert r.status_code == 201, r.text
    return rec_id


def _backup(system: System, to: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    done = system.ashyq("backup", *args, "--to", str(to), env=env)
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.parent == to and (folder / "manifest.json").is_file()
    return folder


def _wait_ready(system: System, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    for process in (system.orgs, system.dialogue):
        while httpx.get(process.url + "/readyz", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, f"{process.name} not ready again after the restore"
            time.sleep(0.2)


@pytest.fixture
def scratch_databases(system: System):
    """Databases a test makes in the throwaway cluster, dropped afterwards."""
    made: list[str] = []

    def make(prefix: str) -> str:
        name = unique(prefix).replace("-", "_")
        made.append(name)
        return system.cluster.create_database(name)

    yield make
    for name in made:
        system.cluster.drop_database(name)


class TestBackupWipeRestore:
    def test_every_row_comes_back_and_the_services_serve_it(self, system: System, tmp_path: Path) -> None:
        rec_id = _some_of_everything(system)
        before = {db: table_fingerprints(system, db) for db in DATABASES}
        sequences = {db: sequence_values(system, db) for db in DATABASES}

        folder = _backup(system, tmp_path)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL)")
        with system.cluster.connect() as connection:
            server_version = connection.execute("SHOW server_version").fetchone()[0]
        for db in DATABASES:
            entry = manifest["databases"][db]
            archive = folder / entry["file"]
            assert archive.stat().st_size == entry["bytes"] and sha256(archive) == entry["sha256"]
            assert entry["alembic_revisions"] == sorted(head_revisions(db))
            assert entry["database"] == db and entry["server_version"] == server_version

        for db in DATABASES:  # the disaster: both databases gone, empty ones in their place
            system.cluster.drop_database(db)
            system.cluster.create_database(db)
        assert all(table_fingerprints(system, db) == {} for db in DATABASES)
        assert httpx.get(system.dialogue.url + "/readyz", timeout=5).status_code == 503

        refused = system.ashyq("restore", str(folder))
        assert refused.returncode == 2 and "--yes" in refused.stderr
        assert table_fingerprints(system, "orgs") == {}

        done = system.ashyq("restore", str(folder), "--yes")
        assert done.returncode == 0, done.stderr
        for db in DATABASES:
            assert table_fingerprints(system, db) == before[db], db
            assert sequence_values(system, db) == sequences[db], db

        # The running services reconnect by themselves and serve the restored data.
        _wait_ready(system)
        page = httpx.get(f"{system.gateway.url}/recommendations/{rec_id}", timeout=15)
        assert page.status_code == 200, page.text
        assert "Пандусы — в 2026 году" in visible_text(page.text)
        r = httpx.post(system.orgs.url + "/v1/orgs", headers=system.headers(Role.coordinator), timeout=10,
                       json={"kind": "ngo", "level": "regional", "region_code": "630000000",
                             "names": {"ru": "Новая организация после восстановления"}})
        assert r.status_code == 201, r.text  # ids go on from where they stood: no clash with restored rows


class TestRestoreRefuses:
    def test_an_older_backup_over_a_newer_schema(self, system: System, tmp_path: Path, scratch_databases) -> None:
        old = scratch_databases("old_orgs")
        base = first_revision("orgs")
        upgrade("orgs", old, base)
        folder = _backup(system, tmp_path, "orgs", env={"ORGS_DATABASE_URL": old})
        assert json.loads((folder / "manifest.json").read_text())["databases"]["orgs"]["alembic_revisions"] == [base]
        before = table_fingerprints(system, "orgs")

        refused = system.ashyq("restore", str(folder), "orgs", "--yes")
        assert refused.returncode == 1, refused.stderr
        assert "refusing to restore" in refused.stderr and "newer than the backup" in refused.stderr
        assert table_fingerprints(system, "orgs") == before

        # Into an empty database it goes, and `ashyq migrate` brings it to head.
        empty = scratch_databases("empty_orgs")
        done = system.ashyq("restore", str(folder), "orgs", "--yes", env={"ORGS_DATABASE_URL": empty})
        assert done.returncode == 0, done.stderr
        assert "run `ashyq migrate orgs`" in done.stderr
        assert system.ashyq("migrate", "orgs", env={"ORGS_DATABASE_URL": empty}).returncode == 0

    def test_a_damaged_archive(self, system: System, tmp_path: Path) -> None:
        folder = _backup(system, tmp_path, "orgs")
        archive = folder / "orgs.dump"
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF
        archive.write_bytes(bytes(data))
        before = table_fingerprints(system, "orgs")
        refused = system.ashyq("restore", str(folder), "--yes")
        assert refused.returncode == 1
        assert "does not match the manifest" in refused.stderr
        assert table_fingerprints(system, "orgs") == before
