"""Where the generated data sets live, and reusing them between runs (`--reuse`).

SQLite: files under data/bench/<backend>-<scale>/ (or $ASHYQ_BENCH_DIR). PostgreSQL: databases
ashyq_bench_<scale>_orgs and ashyq_bench_<scale>_dialogue on the server of ASHYQ_TEST_POSTGRES_URL. A
manifest beside them records the generator version and the row counts; a data set is reused only if
its manifest matches. Reused databases are still upgraded to the migrations' head (new indexes apply).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.generate import GENERATOR_VERSION, Scale, generate, summary
from services.common.migrations import upgrade

# A read-scoped key of the public API, stored (as its SHA-256, like every key) in each generated registry.
API_KEY = "ashyq_bench001_not-a-secret-only-for-benchmarks-0123456789"
PG_URL = os.environ.get("ASHYQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DIR = Path(os.environ.get("ASHYQ_BENCH_DIR", Path(__file__).resolve().parents[1] / "data" / "bench"))


@dataclass(frozen=True)
class Dataset:
    backend: str
    scale: Scale
    orgs_url: str
    dialogue_url: str
    counts: dict[str, int]


def _admin():  # type: ignore[no-untyped-def]
    return create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


def _pg_exists(name: str) -> bool:
    engine = _admin()
    with engine.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def _pg_recreate(name: str) -> None:
    engine = _admin()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    engine.dispose()


def locations(backend: str, scale: Scale) -> tuple[str, str, Path]:
    """(orgs URL, dialogue URL, manifest path) of a data set."""
    folder = BENCH_DIR / f"{backend}-{scale.name}"
    if backend == "sqlite":
        return (f"sqlite:///{folder / 'orgs.sqlite3'}", f"sqlite:///{folder / 'dialogue.sqlite3'}",
                folder / "manifest.json")
    base = make_url(PG_URL)
    return (base.set(database=f"ashyq_bench_{scale.name}_orgs").render_as_string(hide_password=False),
            base.set(database=f"ashyq_bench_{scale.name}_dialogue").render_as_string(hide_password=False),
            folder / "manifest.json")


def _reusable(backend: str, scale: Scale, manifest: Path, orgs_url: str, dialogue_url: str) -> dict[str, int] | None:
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    if data.get("generator_version") != GENERATOR_VERSION or data.get("scale") != scale.__dict__:
        return None
    if backend == "sqlite":
        present = all(Path(str(make_url(u).database)).exists() for u in (orgs_url, dialogue_url))
    else:
        present = all(_pg_exists(str(make_url(u).database)) for u in (orgs_url, dialogue_url))
    return dict(data["counts"]) if present else None


def ensure_api_key(orgs_url: str) -> None:
    """The benchmark's API key (scope read), owned by the first state body; added once."""
    from services.orgs.models import ApiKey

    engine = create_engine(make_url(orgs_url).set(
        drivername="postgresql+psycopg" if make_url(orgs_url).get_backend_name() == "postgresql" else "sqlite"))
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    with engine.begin() as connection:
        if connection.execute(text("SELECT 1 FROM api_key WHERE key_hash = :h"), {"h": digest}).first() is None:
            connection.execute(ApiKey.__table__.insert().values(  # type: ignore[attr-defined]
                name="Бенчмарк", org_id=1, scopes=["read"], prefix="bench001", key_hash=digest,
                created_at=datetime.now(UTC)))
    engine.dispose()


def ensure(backend: str, scale: Scale, *, reuse: bool, log=print) -> Dataset:  # type: ignore[no-untyped-def]
    orgs_url, dialogue_url, manifest = locations(backend, scale)
    counts = _reusable(backend, scale, manifest, orgs_url, dialogue_url) if reuse else None
    if counts is not None:
        log(f"{backend}/{scale.name}: reusing the generated data ({summary(counts)})")
        upgrade("orgs", orgs_url)
        upgrade("dialogue", dialogue_url)
        ensure_api_key(orgs_url)
        return Dataset(backend, scale, orgs_url, dialogue_url, counts)
    log(f"{backend}/{scale.name}: generating …")
    started = time.perf_counter()
    folder = manifest.parent
    if backend == "sqlite":
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    if backend == "postgresql":
        for url in (orgs_url, dialogue_url):
            _pg_recreate(str(make_url(url).database))
    upgrade("orgs", orgs_url)
    upgrade("dialogue", dialogue_url)
    counts = generate(scale, orgs_url, dialogue_url, log=log)
    ensure_api_key(orgs_url)
    seconds = time.perf_counter() - started
    manifest.write_text(json.dumps({"generator_version": GENERATOR_VERSION, "scale": scale.__dict__,
                                    "counts": counts, "seconds": round(seconds, 1),
                                    "generated_at": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    log(f"{backend}/{scale.name}: generated in {seconds:.0f} s ({summary(counts)})")
    return Dataset(backend, scale, orgs_url, dialogue_url, counts)


def generation_seconds(backend: str, scale: Scale) -> float | None:
    manifest = locations(backend, scale)[2]
    if not manifest.exists():
        return None
    return float(json.loads(manifest.read_text()).get("seconds", 0)) or None
