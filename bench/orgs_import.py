"""Benchmark: CSV import of 20,000 organizations (dry run and commit), then CSV and XLSX export.

Runs the orgs service in process (httpx over ASGI, so HTTP parsing and validation count) against a
fresh SQLite file and a fresh PostgreSQL database, and prints wall-clock figures. Not a test: run it
with `.venv/bin/python -m bench.orgs_import [--rows N] [--backend sqlite|postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.common.migrations import upgrade
from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from services.contracts.identifiers import check_digit

SECRET = "bench-secret-not-for-production-0123456789"  # noqa: S105
PG_URL = os.environ.get("ASHYQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COLUMNS = ["id", "bin", "kind", "level", "region_code", "parent", "attached_to", "name_ru", "name_kk", "name_en",
           "short_name", "other_names", "topics", "website", "email", "phone", "address", "founded_on",
           "dissolved_on", "term_ends_on"]
KATO = ["100000000", "190000000", "630000000", "710000000", "750000000", "790000000"]


def bins(count: int) -> list[str]:
    out, number = [], 20_100_000_000
    while len(out) < count:
        digit = check_digit(f"{number:011d}")
        if digit is not None:
            out.append(f"{number:011d}{digit}")
        number += 1
    return out


def csv_body(count: int) -> bytes:
    numbers = bins(count)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i in range(count):
        kind = "state_body" if i % 10 == 2 else ("public_council" if i % 10 == 7 else "ngo")
        writer.writerow([
            "", numbers[i], kind, ["republican", "regional", "district"][i % 3], KATO[i % len(KATO)],
            numbers[i - 3] if i % 10 == 5 else "", numbers[i - 5] if kind == "public_council" else "",
            f"Общественное объединение «Жасыл әлем-{i}»", f"«Жасыл әлем-{i}» қоғамдық бірлестігі", f"Green {i}",
            f"ЖӘ-{i}", f"Green-{i}", "экология | білім беру", f"https://org{i}.example.kz", f"info{i}@org{i}.kz",
            f"'+7 (7172) {i:06d}", f"г. Алматы, ул. Абая, {i}",
            (date(1995, 1, 1) + timedelta(days=i % 9000)).isoformat(),
            "", "2027-06-30" if kind == "public_council" else "",
        ])
    return buffer.getvalue().encode()


def new_database(backend: str, tmp: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:8]}.sqlite3", None
    name = f"ashyq_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str) -> None:
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def measure(url: str, body: bytes, figures: dict[str, list[float]]) -> None:
    from services.orgs.app import create_app
    from services.orgs.settings import OrgsSettings

    token = issue_token(Actor(account_id=1, roles=[Role.coordinator]), SECRET, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    app = create_app(OrgsSettings(database_url=url, service_secret=SECRET, environment="test"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://orgs", timeout=600) as client:
        for label, dry in (("dry run", "true"), ("commit", "false")):
            started = time.perf_counter()
            response = await client.post("/v1/orgs/import", params={"dry_run": dry}, content=body, headers=headers)
            figures[label].append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:500]
        for label, path in (("export csv", "/v1/orgs/export.csv"), ("export xlsx", "/v1/orgs/export.xlsx")):
            started = time.perf_counter()
            response = await client.get(path)
            figures[label].append(time.perf_counter() - started)
            assert response.status_code == 200


def run(backend: str, rows: int, repeat: int) -> dict[str, list[float]]:
    body = csv_body(rows)
    figures: dict[str, list[float]] = {"dry run": [], "commit": [], "export csv": [], "export xlsx": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            url, pg_name = new_database(backend, tmp)
            try:
                upgrade("orgs", url)  # Alembic runs its own event loop: before ours
                asyncio.run(measure(url, body, figures))
            finally:
                if pg_name:
                    drop_database(pg_name)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    print(f"CSV import/export of {args.rows} organizations, median of {args.repeat} runs (seconds)")
    print(f"{'backend':<12}{'dry run':>10}{'commit':>10}{'csv':>10}{'xlsx':>10}")
    for backend in args.backend or ["sqlite", "postgresql"]:
        figures = run(backend, args.rows, args.repeat)
        cells = "".join(f"{statistics.median(figures[k]):>10.2f}" for k in ("dry run", "commit", "export csv",
                                                                             "export xlsx"))
        print(f"{backend:<12}{cells}")


if __name__ == "__main__":
    main()
