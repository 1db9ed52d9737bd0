"""National-scale data written straight into the migrated orgs and dialogue schemas, in bulk.

SQLite: executemany in batches of BATCH rows over one transaction (values converted by the tables' own
SQLAlchemy bind processors, so they read back exactly as the services store them). PostgreSQL: COPY
through psycopg, foreign-key triggers off while loading (the rows are consistent by construction),
sequences moved past the ids written, then VACUUM ANALYZE. Deterministic for a given scale.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from bench import names as n
from services.common.db import today_kz
from services.common.text import fold, search_document
from services.contracts.identifiers import check_digit

GENERATOR_VERSION = 2
BATCH = 20_000


@dataclass(frozen=True)
class Scale:
    name: str
    ngos: int
    state_bodies: int
    councils: int
    people: int
    sessions: int
    recommendations: int


FULL = Scale("full", ngos=25_000, state_bodies=3_000, councils=300, people=100_000, sessions=50_000,
             recommendations=1_000_000)
# The 1,000-recommendation counterpart: dialogue at 1/1000, the registry at 1/10, the same proportions.
SMALL = Scale("small", ngos=2_500, state_bodies=300, councils=30, people=10_000, sessions=50, recommendations=1_000)
# For tests: a few hundred rows, enough for pages of 200.
TINY = Scale("tiny", ngos=150, state_bodies=60, councils=6, people=400, sessions=12, recommendations=260)
SCALES = {s.name: s for s in (FULL, SMALL, TINY)}


# --- writers -----------------------------------------------------------------------------------

class Writer:
    """Buffers rows per table (tuples in the table's column order) and writes them in big batches."""

    def __init__(self) -> None:
        self.buffers: dict[str, list[tuple[Any, ...]]] = {}
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Table, row: tuple[Any, ...]) -> None:
        buffer = self.buffers.setdefault(table.name, [])
        self.tables[table.name] = table
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush(table.name)

    def flush(self, name: str) -> None:
        rows = self.buffers.get(name)
        if rows:
            self.write(self.tables[name], rows)
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            self.buffers[name] = []

    def finish(self) -> dict[str, int]:
        for name in list(self.buffers):
            self.flush(name)
        self.close()
        return dict(self.counts)

    def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    def __init__(self, url: str) -> None:
        super().__init__()
        database = make_url(url).database
        assert database
        self.connection = sqlite3.connect(database, isolation_level=None)
        # One big transaction written once: no rollback journal (a failed run leaves no manifest and is redone).
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA cache_size=-400000")
        self.connection.execute("BEGIN")
        self.dialect = sqlite_dialect.dialect()
        self.statements: dict[str, tuple[str, list[Callable[[Any], Any] | None]]] = {}

    def _statement(self, table: Table) -> tuple[str, list[Callable[[Any], Any] | None]]:
        if table.name not in self.statements:
            columns = list(table.columns)
            sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{c.name}" for c in columns)}) '  # noqa: S608
                   f'VALUES ({", ".join("?" for _ in columns)})')  # names from the table metadata
            self.statements[table.name] = (sql, [c.type.dialect_impl(self.dialect).bind_processor(self.dialect)
                                                 for c in columns])
        return self.statements[table.name]

    def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        sql, processors = self._statement(table)
        active = [(i, p) for i, p in enumerate(processors) if p is not None]
        converted = []
        for row in rows:
            values = list(row)
            for i, process in active:
                if values[i] is not None:
                    values[i] = process(values[i])
            converted.append(values)
        self.connection.executemany(sql, converted)

    def close(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.execute("ANALYZE")
        self.connection.execute("PRAGMA journal_mode=WAL")  # as the services open it
        self.connection.close()


class PostgresWriter(Writer):
    def __init__(self, url: str) -> None:
        import psycopg

        super().__init__()
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conninfo = conninfo
        self.connection = psycopg.connect(conninfo)
        # Foreign keys are checked by triggers; the generator writes consistent rows, so skip them while loading.
        self.connection.execute("SET session_replication_role = replica")
        self.json_columns: dict[str, list[int]] = {}

    def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        columns = list(table.columns)
        if table.name not in self.json_columns:
            self.json_columns[table.name] = [i for i, c in enumerate(columns) if isinstance(c.type, JSON)]
        json_at = self.json_columns[table.name]
        names = ", ".join(f'"{c.name}"' for c in columns)
        with self.connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                if json_at:
                    values = list(row)
                    for i in json_at:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
                    copy.write_row(values)
                else:
                    copy.write_row(row)

    def close(self) -> None:
        self.connection.execute("SET session_replication_role = DEFAULT")
        for name, table in self.tables.items():
            if "id" in table.columns and table.columns["id"].primary_key:
                self.connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608 - metadata names
                    f"GREATEST((SELECT max(id) FROM \"{name}\"), 1))")
        self.connection.commit()
        self.connection.close()
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")


def writer_for(url: str) -> Writer:
    return SqliteWriter(url) if make_url(url).get_backend_name() == "sqlite" else PostgresWriter(url)


# --- helpers -----------------------------------------------------------------------------------

def valid_bins(start: int, count: int) -> list[str]:
    out, number = [], start
    while len(out) < count:
        digit = check_digit(f"{number:011d}")
        if digit is not None:
            out.append(f"{number:011d}{digit}")
        number += 1
    return out


def weighted(rng: random.Random, options: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(options, weights=[o[1] for o in options])[0]


def at_noon(day: date, hour: int = 5) -> datetime:
    """A UTC timestamp on `day` (05:00 UTC is 10:00 in Kazakhstan)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


# --- the registry ------------------------------------------------------------------------------

@dataclass
class Registry:
    """What the dialogue data needs to know about the registry it points at."""

    state_bodies: list[tuple[int, str, str]]  # (id, region_code, level)
    republican_bodies: list[int]
    ngos: list[int]
    people: list[tuple[int, str]]  # (id, full name)
    org_names: dict[int, str]
    bodies_by_region: dict[str, list[int]]


def _state_body_rows() -> list[dict[str, Any]]:
    """State bodies in order of importance (the first N are taken): ministries, committees, akimats,
    maslikhats and departments of regions, then districts and territorial departments."""
    out: list[dict[str, Any]] = []
    for ru, ru_gen, kk, en, short in n.MINISTRIES:
        out.append({"level": "republican", "region": "710000000", "ru": ru, "kk": kk, "en": en, "short": short,
                    "key": ("ministry", ru), "gen": ru_gen})
    for ru, _ru_gen, _kk, en, _short in n.MINISTRIES:
        for c_ru, c_kk, c_en in n.COMMITTEES:
            out.append({"level": "republican", "region": "710000000", "parent": ("ministry", ru),
                        "ru": f"Комитет {c_ru} {_ru_gen}", "kk": f"{_kk} {c_kk} комитеті",
                        "en": f"Committee for {c_en}, {en}", "key": ("committee", ru, c_ru)})
    for code, ru_gen, kk_gen, en, _c, _ck in n.REGIONS:
        out.append({"level": "regional", "region": code, "ru": f"Аппарат акима {ru_gen}",
                    "kk": f"{kk_gen} әкімі аппараты", "en": f"Akimat of {en}", "key": ("akimat", code),
                    "gen": f"акимата {ru_gen}"})
        out.append({"level": "regional", "region": code, "ru": f"Маслихат {ru_gen}", "kk": f"{kk_gen} мәслихаты",
                    "en": f"Maslikhat of {en}", "key": ("maslikhat", code)})
    for s_ru, s_kk, s_en in n.SECTORS:
        for code, ru_gen, kk_gen, en, _c, _ck in n.REGIONS:
            out.append({"level": "regional", "region": code, "parent": ("akimat", code),
                        "ru": f"Управление {s_ru} {ru_gen}", "kk": f"{kk_gen} {s_kk} басқармасы",
                        "en": f"{en} Department of {s_en}", "key": ("department", code, s_ru)})
    districts = [(code, d) for i, d in enumerate(n.DISTRICTS) for code in [n.REGIONS[i % 17][0]]]
    for code, (d_ru, d_kk, d_en) in districts:
        out.append({"level": "district", "region": code, "parent": ("akimat", code),
                    "ru": f"Аппарат акима {d_ru} района", "kk": f"{d_kk} ауданы әкімінің аппараты",
                    "en": f"Akimat of {d_en} District", "key": ("district", code, d_ru), "gen": f"{d_ru} района"})
    for code, (d_ru, d_kk, d_en) in districts:
        out.append({"level": "district", "region": code, "ru": f"Маслихат {d_ru} района",
                    "kk": f"{d_kk} аудандық мәслихаты", "en": f"{d_en} District Maslikhat"})
    for s_ru, s_kk, s_en in n.SECTORS:
        for code, (d_ru, d_kk, d_en) in districts:
            out.append({"level": "district", "region": code, "parent": ("district", code, d_ru),
                        "ru": f"Отдел {s_ru} {d_ru} района", "kk": f"{d_kk} ауданының {s_kk} бөлімі",
                        "en": f"{d_en} District Division of {s_en}", "key": ("ddept", code, d_ru, s_ru)})
    for ru, ru_gen, kk, en, _short in n.MINISTRIES:
        for c_ru, c_kk, c_en in n.COMMITTEES:
            for code, region_gen, kk_gen, r_en, _c, _ck in n.REGIONS:
                out.append({"level": "regional", "region": code, "parent": ("committee", ru, c_ru),
                            "ru": f"Департамент Комитета {c_ru} {ru_gen} по {region_gen}",
                            "kk": f"{kk} {c_kk} комитетінің {kk_gen} департаменті",
                            "en": f"{r_en} Department of the Committee for {c_en}, {en}"})
    interior = n.MINISTRIES[9][0]
    for code, ru_gen, kk_gen, en, _c, _ck in n.REGIONS:
        out.append({"level": "regional", "region": code, "parent": ("ministry", interior),
                    "ru": f"Департамент полиции {ru_gen}", "kk": f"{kk_gen} полиция департаменті",
                    "en": f"Police Department of {en}"})
    for r_kk, r_en in n.RURAL_DISTRICTS:
        for code, (d_ru, d_kk, d_en) in districts:
            out.append({"level": "district", "region": code, "parent": ("district", code, d_ru),
                        "ru": f"Аппарат акима сельского округа {r_kk} {d_ru} района",
                        "kk": f"{d_kk} ауданы {r_kk} ауылдық округі әкімінің аппараты",
                        "en": f"Office of the Akim of {r_en} Rural District, {d_en} District"})
    return out


def write_registry(writer: Writer, scale: Scale, rng: random.Random, now: datetime) -> Registry:
    from services.orgs.models import Membership, Organization, OrgTopic, Person

    org_t, topic_t, person_t, member_t = (Organization.__table__, OrgTopic.__table__, Person.__table__,
                                          Membership.__table__)  # type: ignore[attr-defined]
    today = now.date()
    total = scale.state_bodies + scale.councils + scale.ngos
    bins = valid_bins(30_100_000_000, total)
    created = now - timedelta(days=400)
    registry = Registry([], [], [], [], {}, {})

    def org(oid: int, kind: str, level: str, region: str, ru: str, kk: str, en: str, *, parent: int | None = None,
            attached: int | None = None, short: str | None = None, archived: bool = False,
            founded: date | None = None, term_ends: date | None = None, website: str | None = None,
            email: str | None = None, phone: str | None = None, address: str | None = None) -> None:
        bin_ = bins[oid - 1]
        writer.add(org_t, (
            oid, kind, level, region, parent, attached, ru, kk, en, short, [], bin_, website, email, phone, address,
            founded, today - timedelta(days=30) if archived else None, term_ends, archived,
            now - timedelta(days=30) if archived else None,
            search_document([ru, kk, en, short, bin_]), fold(ru)[:500], created, created, 1,
        ))
        registry.org_names[oid] = ru

    # State bodies
    bodies = _state_body_rows()[:scale.state_bodies]
    id_of: dict[Any, int] = {}
    for i, body in enumerate(bodies, start=1):
        if "key" in body:
            id_of[body["key"]] = i
    for i, body in enumerate(bodies, start=1):
        parent = id_of.get(body.get("parent"))
        org(i, "state_body", body["level"], body["region"], body["ru"], body["kk"], body["en"], parent=parent,
            short=body.get("short"), founded=date(1992 + i % 30, 1 + i % 12, 1 + i % 28),
            website=f"https://www.gov.kz/memleket/entities/body{i}", email=f"kense{i}@gov.kz",
            phone=f"+7 (7172) {740000 + i:06d}", address="г. Астана, проспект Мәңгілік Ел, 8")
        registry.state_bodies.append((i, body["region"], body["level"]))
        registry.bodies_by_region.setdefault(body["region"], []).append(i)
        if body["level"] == "republican":
            registry.republican_bodies.append(i)
    # Public councils, attached to the bodies that have a genitive form (ministries, akimats, districts).
    hosts = [(id_of[b["key"]], b) for b in bodies if "gen" in b]
    next_id = scale.state_bodies + 1
    councils: list[tuple[int, str]] = []
    for k in range(scale.councils):
        host_id, host = hosts[k % len(hosts)]
        suffix = f" ({k // len(hosts) + 1}-й состав)" if k >= len(hosts) else ""
        org(next_id, "public_council", host["level"], host["region"], f"Общественный совет {host['gen']}{suffix}",
            f"{host['kk']} жанындағы қоғамдық кеңес", f"Public Council of the {host['en']}", attached=host_id,
            founded=date(2016, 3, 1), term_ends=today + timedelta(days=rng.randint(-60, 900)))
        councils.append((next_id, host["region"]))
        next_id += 1
    # NGOs and the other civil-society organizations
    forms = n.NGO_FORMS
    for k in range(scale.ngos):
        kind, _share, f_ru, f_kk, f_en = weighted(rng, forms)
        w_kk, w_ru, w_en = n.NGO_WORDS[rng.randrange(len(n.NGO_WORDS))]
        code, _g, _k, r_en, city_ru, city_kk = n.REGIONS[rng.randrange(len(n.REGIONS))]
        style = rng.random()
        if style < 0.45:
            proper_ru, proper_kk, proper_en = w_kk, w_kk, w_en
        elif style < 0.75:
            proper_ru, proper_kk, proper_en = f"{w_kk} {city_ru}", f"{w_kk} {city_kk}", f"{w_en} {r_en}"
        else:
            proper_ru, proper_kk, proper_en = w_ru, w_kk, w_en
        number = k // (len(n.NGO_WORDS) * 3)
        if number:
            proper_ru, proper_kk, proper_en = (f"{proper_ru}-{number}", f"{proper_kk}-{number}",
                                               f"{proper_en}-{number}")
        oid = next_id + k
        org(oid, kind, "regional" if rng.random() < 0.8 else "republican", code, f"{f_ru} «{proper_ru}»",
            f"«{proper_kk}» {f_kk}", f"{f_en} «{proper_en}»", archived=rng.random() < 0.02,
            founded=date(1995, 1, 1) + timedelta(days=rng.randrange(10_000)),
            website=f"https://ngo{oid}.kz" if rng.random() < 0.4 else None, email=f"info@ngo{oid}.kz",
            phone=f"+7 (7{rng.randrange(10, 99)}) {rng.randrange(1_000_000):07d}",
            address=f"г. {city_ru}, ул. Абая, {rng.randrange(1, 200)}")
        for label in rng.sample(n.ORG_TOPICS, rng.choice((1, 1, 2, 3))):
            writer.add(topic_t, (oid, fold(label)[:80], label))
        registry.ngos.append(oid)
    # People and their memberships
    member_id = 0
    for pid in range(1, scale.people + 1):
        female = rng.random() < 0.5
        kazakh = rng.random() < 0.75
        if kazakh:
            given = rng.choice(n.KK_FEMALE if female else n.KK_MALE)
            family = rng.choice(n.KK_FAMILY)[1 if female else 0]
            father = rng.choice(n.KK_MALE)
            patronymic = f"{father}{'қызы' if female else 'ұлы'}" if rng.random() < 0.5 else \
                f"{father}{'овна' if female else 'ович'}"
        else:
            given = rng.choice(n.RU_FEMALE if female else n.RU_MALE)
            family = rng.choice(n.RU_FAMILY)[1 if female else 0]
            patronymic = f"{rng.choice(n.RU_MALE)}{'овна' if female else 'ович'}"
        position = rng.choice(n.POSITIONS)
        full = f"{family} {given} {patronymic}"
        writer.add(person_t, (
            pid, family, given, patronymic, full if kazakh else None, None, None, position,
            f"person{pid}@mail.kz", f"+7 70{rng.randrange(10)} {rng.randrange(10_000_000):07d}", None, False,
            search_document([full, f"{given} {family}", full if kazakh else None, None, position]), fold(full)[:500],
            created, created, 1,
        ))
        registry.people.append((pid, full))
        if rng.random() < 0.35:
            org_id = rng.choice(registry.state_bodies)[0]
            role = "employee"
        else:
            org_id = rng.choice(registry.ngos) if registry.ngos else 1
            role = rng.choice(("member", "head", "employee"))
        member_id += 1
        writer.add(member_t, (member_id, pid, org_id, role, position, None,
                              today - timedelta(days=rng.randrange(30, 3000)), None, created, created, 1))
    # Council members: chair, secretary and members, each on behalf of a different NGO.
    for council_id, _region in councils:
        size = rng.randint(15, 25)
        on_behalf = rng.sample(registry.ngos, min(size, len(registry.ngos)))
        people = rng.sample(range(1, scale.people + 1), size)
        for j, pid in enumerate(people):
            role = "chair" if j == 0 else "secretary" if j == 1 else "member"
            member_id += 1
            writer.add(member_t, (member_id, pid, council_id, role, None,
                                  on_behalf[j] if j < len(on_behalf) and j % 4 else None,
                                  today - timedelta(days=rng.randrange(100, 900)), None, created, created, 1))
    return registry


# --- dialogue ----------------------------------------------------------------------------------

def write_dialogue(writer: Writer, scale: Scale, registry: Registry, rng: random.Random, now: datetime) -> None:
    from services.dialogue.models import (
        AgendaItem,
        DialogueSession,
        Participant,
        ProgressReport,
        Protocol,
        Recommendation,
        RecommendationAddressee,
        RecommendationResponse,
        RecommendationTopic,
        SessionOrganizer,
        StatusHistory,
    )

    t_session, t_org, t_item, t_part, t_proto = (
        DialogueSession.__table__, SessionOrganizer.__table__, AgendaItem.__table__,  # type: ignore[attr-defined]
        Participant.__table__, Protocol.__table__)  # type: ignore[attr-defined]
    t_rec, t_addr, t_topic, t_resp, t_prog, t_hist = (
        Recommendation.__table__, RecommendationAddressee.__table__,  # type: ignore[attr-defined]
        RecommendationTopic.__table__, RecommendationResponse.__table__,  # type: ignore[attr-defined]
        ProgressReport.__table__, StatusHistory.__table__)  # type: ignore[attr-defined]
    today = now.date()
    first_day = today - timedelta(days=5 * 365)
    span = (today + timedelta(days=60) - first_day).days
    sectors = ["state", "civil_society", "civil_society", "expert", "business", "media"]
    region_gen = {r[0]: r[1] for r in n.REGIONS}
    texts: dict[tuple[int, int, str], tuple[str, str, str]] = {}
    # Recommendations go to past sessions only; spread so the total comes out exact.
    past = [i for i in range(scale.sessions) if first_day + timedelta(days=span * i // scale.sessions) <= today]
    per_session = {sid: scale.recommendations // len(past) for sid in past}
    for sid in past[:scale.recommendations % len(past)]:
        per_session[sid] += 1
    rec_id = item_id = part_id = proto_id = hist_id = resp_id = prog_id = 0
    forum_of: dict[int, int] = {}
    for index in range(scale.sessions):
        sid = index + 1
        day = first_day + timedelta(days=span * index // scale.sessions)
        starts = at_noon(day, 4 + index % 8)
        topic_i = rng.randrange(len(n.SESSION_TOPICS))
        t_ru, t_kk, t_en = n.SESSION_TOPICS[topic_i]
        kind, _s, k_ru, k_kk, k_en = weighted(rng, n.SESSION_KINDS)
        parent = forum_of.get(index)
        if parent is not None:
            kind, k_ru, k_kk, k_en = "breakout", "Секция форума", "форум секциясы", "Forum breakout"
        elif index % 100 == 0 and index + 3 < scale.sessions:
            kind, k_ru, k_kk, k_en = "civic_forum", "Гражданский форум", "азаматтық форумы", "Civic forum"
            for child in (index + 1, index + 2, index + 3):
                forum_of[child] = sid
        body_id, region, _level = rng.choice(registry.state_bodies)
        organizers = [body_id] + ([rng.choice(registry.ngos)] if registry.ngos and rng.random() < 0.6 else [])
        if day > today:
            roll = rng.random()
            status = "draft" if roll < 0.2 else "cancelled" if roll < 0.23 else "scheduled"
        else:
            status = "in_progress" if day == today else "concluded"
        title_ru, title_kk, title_en = f"{k_ru} «{t_ru}»", f"«{t_kk}» {k_kk}", f"{k_en} «{t_en}»"
        venue = f"{rng.choice(n.VENUES)}, г. {next(r[4] for r in n.REGIONS if r[0] == region)}"
        heads = ({"state": rng.randint(5, 40), "civil_society": rng.randint(10, 60), "expert": rng.randint(0, 10)}
                 if status == "concluded" else {})
        writer.add(t_session, (
            sid, kind, rng.choice(("offline", "offline", "online", "hybrid")), title_ru, title_kk, title_en,
            f"Обсуждение вопросов: {t_ru.lower()}.", venue, None, region, [t_ru], organizers, starts,
            starts + timedelta(hours=3), parent, status, None, heads,
            search_document([title_ru, title_kk, title_en, venue, t_ru]), 0, starts - timedelta(days=20),
            starts - timedelta(days=1), 1,
        ))
        for org_id in organizers:
            writer.add(t_org, (sid, org_id))
        items = []
        for position in range(1, 4):
            item_id += 1
            speaker_pid, speaker_name = rng.choice(registry.people)
            title = f"{position}. {t_ru}: {('доклад', 'содоклад', 'обсуждение')[position - 1]}"
            decided = "Рекомендовать государственным органам принять меры." if status == "concluded" else None
            writer.add(t_item, (item_id, sid, position, title, 20 + 10 * (position % 2),
                                [{"person_id": speaker_pid, "name": speaker_name}],
                                "Выступили представители НПО и государственных органов." if decided else None,
                                decided, 1))
            items.append((item_id, title, decided))
        for pid, name in rng.sample(registry.people, 6):
            org_id = rng.choice(registry.ngos) if rng.random() < 0.6 else rng.choice(registry.state_bodies)[0]
            part_id += 1
            org_name = registry.org_names[org_id]
            writer.add(t_part, (part_id, sid, pid, name, org_id, org_name, rng.choice(sectors),
                                "participant", search_document([name, org_name]), starts - timedelta(days=3),
                                starts if status == "concluded" else None, 1))
        if status == "concluded":
            proto_id += 1
            writer.add(t_proto, (
                proto_id, sid, 1, "published", f"{sid}-ОС", day, venue, registry.people[sid % len(registry.people)][1],
                None, "Представители государственных органов, НПО и экспертного сообщества.", heads,
                [{"title": title, "heard": "Выступили участники.", "decided": decided} for _, title, decided in items],
                None, min(starts + timedelta(days=2), now), starts + timedelta(days=1), 1,
            ))
        # Recommendations of this session
        count = per_session.get(index, 0)
        age = (today - day).days
        bodies_here = registry.bodies_by_region.get(region) or [b[0] for b in registry.state_bodies]
        for j in range(count):
            rec_id += 1
            action = rng.randrange(len(n.REC_ACTIONS))
            key = (action, topic_i, region)
            if key not in texts:
                title, wording = n.REC_ACTIONS[action]
                text = wording.format(topic=t_ru.lower(), region=region_gen[region])
                texts[key] = (title, text, search_document([title, text]))
            title, text, search = texts[key]
            addressees = rng.sample(bodies_here, min(len(bodies_here), rng.choice((1, 1, 1, 2, 2, 3))))
            adopted_at = starts + timedelta(hours=2)
            status, sent_at, due, closed_at, progress = _rec_state(rng, age)
            sent_ts = at_noon(day + timedelta(days=sent_at)) if sent_at is not None else None
            due_on = day + timedelta(days=sent_at + due) if sent_at is not None and due is not None else None
            decisions: list[tuple[int, str | None, datetime | None]] = []
            answered_all = status not in ("draft", "adopted", "sent")
            for k_, org_id in enumerate(addressees):
                if answered_all or (status == "sent" and k_ == 0 and len(addressees) > 1 and rng.random() < 0.3):
                    decision = rng.choices(("accepted", "partially_accepted", "rejected"), (60, 25, 15))[0]
                    late = rng.random() < 0.2
                    shift = rng.randint(1, 20) if late else -rng.randint(0, 20)
                    answered_on = (due_on or today) + timedelta(days=shift)
                    answered_on = max(min(answered_on, today), day + timedelta(days=(sent_at or 0)))
                    decisions.append((org_id, decision, at_noon(answered_on, 9)))
                else:
                    decisions.append((org_id, None, None))
            if status in ("in_progress", "implemented") and all(d == "rejected" for _, d, _ in decisions):
                decisions[0] = (decisions[0][0], "accepted", decisions[0][2])
            overdue = status == "sent" and due_on is not None and due_on < today and any(
                d is None for _, d, _ in decisions)
            escalated_from = rec_id - 1 if j > 0 and rng.random() < 0.002 else None
            writer.add(t_rec, (
                rec_id, title, text, status, sid, items[j % 3][0], [t_ru], region, due_on, progress,
                adopted_at if status != "draft" else None, sent_ts,
                at_noon(today - timedelta(days=min(age, closed_at)), 10) if closed_at is not None else None,
                at_noon(due_on + timedelta(days=1), 0) if overdue and due_on else None,
                escalated_from, "Вопрос вне компетенции местного органа." if escalated_from else None, search,
                starts + timedelta(hours=2, seconds=j), now - timedelta(days=min(age, 30)), 1,
            ))
            for org_id, decision, answered_at in decisions:
                writer.add(t_addr, (rec_id, org_id, decision, answered_at))
                if decision is not None:
                    resp_id += 1
                    writer.add(t_resp, (resp_id, rec_id, org_id, decision, n.REASONS[decision], None, answered_at))
            writer.add(t_topic, (rec_id, fold(t_ru)[:80]))
            if progress is not None:
                prog_id += 1
                org_id = next((o for o, d, _ in decisions if d and d != "rejected"), decisions[0][0])
                writer.add(t_prog, (prog_id, rec_id, org_id, progress, n.PROGRESS_NOTES[min(2, progress // 40)],
                                    [f"https://gov.kz/reports/{rec_id}"], None, now - timedelta(days=min(age, 20))))
            hist_id += 1
            writer.add(t_hist, (hist_id, rec_id, status, None, None, sent_ts or adopted_at))


def _rec_state(rng: random.Random, age: int) -> tuple[str, int | None, int | None, int | None, int | None]:
    """(status, days from session to sending, days to answer, closed how many days ago, progress)."""
    if age < 3:
        roll = rng.random()
        if roll < 0.35:
            return "draft", None, None, None, None
        if roll < 0.7:
            return "adopted", None, None, None, None
    sent = min(age, rng.randint(1, 7))
    due = rng.choice((15, 30, 30, 30, 60))
    answer_chance = 0.15 if age < sent + due else (0.6 if age < 120 else 0.95)
    if rng.random() >= answer_chance:
        return "sent", sent, due, None, None
    roll = rng.random()
    if age < 60 or roll < 0.25:
        return "answered", sent, due, None, None
    if roll < 0.55:
        return "in_progress", sent, due, None, rng.randrange(10, 95, 5)
    if roll < 0.9:
        return "implemented", sent, due, rng.randrange(0, max(1, age - 60)), 100
    return "not_implemented", sent, due, rng.randrange(0, max(1, age - 60)), None


# --- entry point -------------------------------------------------------------------------------

def generate(scale: Scale, orgs_url: str, dialogue_url: str, *, seed: int = 7,
             log: Callable[[str], None] = print) -> dict[str, int]:
    """Write `scale` into migrated, empty orgs and dialogue databases; returns rows written per table."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    now = at_noon(today_kz(), 6)
    started = time.perf_counter()
    orgs_writer = writer_for(orgs_url)
    registry = write_registry(orgs_writer, scale, rng, now)
    counts = orgs_writer.finish()
    log(f"  registry written in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    dialogue_writer = writer_for(dialogue_url)
    write_dialogue(dialogue_writer, scale, registry, rng, now)
    counts.update(dialogue_writer.finish())
    log(f"  dialogue written in {time.perf_counter() - started:.0f} s")
    return counts


def summary(counts: dict[str, int], tables: Iterable[str] = ("organization", "person", "membership",
                                                                "dialogue_session", "recommendation",
                                                                "recommendation_addressee")) -> str:
    return ", ".join(f"{t} {counts.get(t, 0):,}" for t in tables)
