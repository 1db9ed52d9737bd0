"""/readyz compares the database with the migrations without importing Alembic: the same answers as Alembic's."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from services.common import migrations
from services.common.db import make_engine
from services.common.migrations import (
    current_revisions,
    declared_heads,
    head_revisions,
    stored_revisions,
    upgrade,
)


@pytest.mark.parametrize("service", ["orgs", "dialogue"])
def test_declared_heads_are_alembics_heads(service: str) -> None:
    assert declared_heads(service) == head_revisions(service)


def _revision(versions: Path, rev: str, down: str, depends: str = "None", labels: str = "None") -> None:
    (versions / f"{rev}.py").write_text(
        f'"""{rev}"""\n\nfrom collections.abc import Sequence\n\n'
        f"revision: str = {rev!r}\ndown_revision: str | Sequence[str] | None = {down}\n"
        f"branch_labels: str | Sequence[str] | None = {labels}\ndepends_on = {depends}\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root with alembic.ini and an empty migrations/scratch/versions."""
    (tmp_path / "alembic.ini").write_text("[scratch]\nscript_location = %(here)s/migrations/scratch\n")
    versions = tmp_path / "migrations" / "scratch" / "versions"
    versions.mkdir(parents=True)
    (versions.parent / "script.py.mako").write_text("")
    monkeypatch.setattr(migrations, "REPO_ROOT", tmp_path)
    return versions


def test_branches_merges_and_dependencies(scratch: Path) -> None:
    _revision(scratch, "aaa", "None")
    _revision(scratch, "bbb", "'aaa'")
    _revision(scratch, "ccc", "'aaa'")  # a branch
    assert declared_heads("scratch") == head_revisions("scratch") == {"bbb", "ccc"}
    _revision(scratch, "ddd", "('bbb', 'ccc')")  # a merge
    assert declared_heads("scratch") == head_revisions("scratch") == {"ddd"}
    _revision(scratch, "eee", "None", depends="'ddd'")  # another base, depending on the merge: still two heads
    _revision(scratch, "fff", "'eee'", depends="['ddd']")
    assert declared_heads("scratch") == head_revisions("scratch") == {"ddd", "fff"}


def test_what_it_cannot_read_is_left_to_alembic(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _revision(scratch, "aaa", "None")
    (scratch / "bbb.py").write_text("revision = 'b' + 'bb'\ndown_revision = 'aaa'\n")  # not a literal
    alembic = head_revisions("scratch")
    asked = []
    monkeypatch.setattr(migrations, "head_revisions", lambda service: asked.append(service) or alembic)
    assert declared_heads("scratch") == alembic == {"bbb"} and asked == ["scratch"]
    (scratch / "bbb.py").write_text("revision = 'bbb'\ndown_revision = 'zzz'\n")  # names no revision here
    assert declared_heads("scratch") == alembic and asked == ["scratch", "scratch"]


def test_stored_revisions_read_what_alembic_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orgs.sqlite3'}"

    async def both() -> tuple[set[str], set[str]]:
        engine = make_engine(url)
        try:
            return await stored_revisions(engine), await current_revisions(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(both()) == (set(), set())  # no alembic_version table yet
    upgrade("orgs", url)
    assert asyncio.run(both()) == (head_revisions("orgs"), head_revisions("orgs"))


def test_a_service_does_not_load_alembic() -> None:
    """Alembic (with Mako and its DDL for every dialect) is ~12 MB a process; only migrating needs it."""
    code = ("import sys\nimport services.orgs.app, services.dialogue.app, services.gateway.app\n"
            "from services.common.migrations import declared_heads\n"
            "declared_heads('orgs'); declared_heads('dialogue')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako', 'openpyxl', 'icalendar')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
