"""Search as you type over its index: the order the tiers promise, every page of it, and the index kept right.

The order is checked against a model written here in Python from the rules in services/orgs/search.py
(tiers, keys, the driving word), over a registry of generated Kazakh and Russian names; the index is checked
against services.common.text.search_terms / search_words after every kind of write, on both databases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, text

from services.common.migrations import downgrade, upgrade
from services.common.pagination import encode_cursor
from services.common.text import INSIDE_WORD_MIN, SEARCH_TERM_LENGTH, fold, search_document, search_terms, search_words
from services.orgs.search import DRIVER_COUNT_CAP, parse
from tests.orgs.test_exchange import import_csv, org_row, to_csv
from tests.test_migrations import sync_engine

BEFORE_INDEX = "2a6af58e195a"  # the orgs revision before the search index
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@dataclass
class Row:
    id: int
    doc: str
    sort_name: str
    kind: str
    archived: bool


def registry_rows(url: str) -> list[Row]:
    with sync_engine(url) as engine, engine.connect() as connection:
        return [Row(*r) for r in connection.execute(text(
            "SELECT id, search_text, sort_name, kind, is_archived FROM organization"))]


def assert_index_matches_documents(url: str) -> None:
    """org_search_term holds exactly the terms of every document; the vocabulary every word of them."""
    with sync_engine(url) as engine, engine.connect() as connection:
        docs = dict(connection.execute(text("SELECT id, search_text FROM organization")).all())
        stored = set(connection.execute(text("SELECT kind, term, org_id FROM org_search_term")).all())
        vocabulary = {r[0] for r in connection.execute(text("SELECT word FROM org_search_word"))}
    expected = {(kind, term, org_id) for org_id, doc in docs.items() for kind, term in search_terms(doc)}
    assert stored == expected
    assert set().union(*(search_words(doc) for doc in docs.values())) <= vocabulary


# --- the model of the order -------------------------------------------------------------------------------


def expected_order(rows: list[Row], q: str, *, include_archived: bool = False,
                   kind: str | None = None) -> list[int]:
    """Ids in the order services/orgs/search.py promises, computed from the documents alone."""
    query = parse(q)
    assert query is not None
    phrase, words = query.phrase, query.words
    terms = {r.id: search_terms(r.doc) for r in rows}

    def cut(t: str) -> bool:
        return len(t) > SEARCH_TERM_LENGTH

    def entries(org: int, prefix: str, kind_: int | None = None) -> list[str]:
        low = prefix[:SEARCH_TERM_LENGTH]
        return sorted(t for k, t in terms[org] if t.startswith(low) and kind_ in (None, k))

    def starts(r: Row, prefix: str, kind_: int | None = None) -> bool:
        found = bool(entries(r.id, prefix, kind_))
        return found and (not cut(prefix) or ("| " if kind_ == 1 else " ") + prefix in r.doc)

    driver = 0
    if query.drivers:  # counted over every organization, archived too, as the service counts
        counts = {i: min(DRIVER_COUNT_CAP, sum(len(entries(r.id, words[i])) for r in rows)) for i in query.drivers}
        driver = min(query.drivers, key=lambda i: counts[i])

    keyed = []
    for r in rows:
        if (r.archived and not include_archived) or (kind is not None and r.kind != kind):
            continue
        key: tuple[int, int, str] | None = None
        name_starts, word_starts = entries(r.id, phrase, 1), entries(r.id, phrase, 2)
        if name_starts and (not cut(phrase) or starts(r, phrase, 1)):
            key = (0, 0, name_starts[0])
        elif word_starts and not starts(r, phrase, 1) and (not cut(phrase) or starts(r, phrase)):
            key = (1, 0, word_starts[0])
        elif len(words) > 1 and all(starts(r, w) for w in words) and not starts(r, phrase):
            first, later = entries(r.id, words[driver], 1), entries(r.id, words[driver], 2)
            key = (2, driver, first[0]) if first else (3, driver, later[0])
        elif (query.inside
              and all((w in r.doc) if len(w) >= INSIDE_WORD_MIN else (" " + w in r.doc) for w in words)
              and not all(" " + w in r.doc for w in words)):
            key = (4, 0, r.sort_name)
        if key is not None:
            keyed.append((*key, r.id))
    return [k[-1] for k in sorted(keyed)]


async def walk(orgs: Any, q: str, limit: int, **params: Any) -> list[int]:
    """Every page of a search, `limit` at a time."""
    served: list[int] = []
    cursor = None
    for _ in range(1000):
        page = await orgs.get("/v1/orgs", params={"q": q, "limit": limit, **params,
                                                  **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= limit
        served += [o["id"] for o in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return served
    raise AssertionError("the pages never end")


# Words that are prefixes of one another, that occur inside others, Kazakh letters, ё.
RU = ["Общественное", "объединение", "фонд", "Зелёный", "мир", "молодёжный", "совет", "горсовет", "единство",
      "содружество", "общество", "жас", "ёлка", "елочка", "Экология"]
KK = ["қоғамдық", "бірлестігі", "жасыл", "әлем", "жастар", "әкімдігі", "ақпарат", "ұлттық", "һауа", "үкімет",
      "ғылым", "өңір", "іскер", "Қазақстан", "жасылдандыру", "ажасыл"]
LONG = "Общественное объединение молодёжный совет единство содружество"  # longer than the index keeps


def generated_rows(count: int) -> list[dict[str, str]]:
    rng = random.Random(7)
    rows = []
    for i in range(count):
        words = rng.sample(RU + KK, rng.randint(1, 5))
        if rng.random() < 0.3:
            words = [w.upper() for w in words]
        row = org_row(name_ru=" ".join(words), kind=rng.choice(["ngo", "foundation", "media"]))
        if rng.random() < 0.5:
            row["name_kk"] = " ".join(rng.sample(KK, rng.randint(1, 4)))
        if rng.random() < 0.2:
            row["short_name"] = rng.choice(["ЖАС", "ОО", "Жасыл-Әлем", "ЕДИН"]) + f"-{i % 7}"
        if rng.random() < 0.2:
            row["other_names"] = " | ".join(rng.sample(RU + KK, 2))
        rows.append(row)
    rows += [org_row(name_ru=LONG), org_row(name_ru=LONG + " первый"), org_row(name_ru=LONG + " второй"),
             org_row(name_ru="Жас"), org_row(name_ru="жас"), org_row(name_ru="Жасыл әлем", name_kk="Жасыл әлем")]
    return rows


QUERIES = ["ж", "жа", "жас", "ЖАСЫ", "жасыл", "қ", "қо", "қоғ", "ә", "әкі", "зелё", "зеле", "о", "об", "общ",
           "с", "сов", "совет", "ство", "асыл", "лем", "ы", "ұлт", "һ", "і", "ёлк", "елк", "жас қоғ",
           "қоғамдық жас", "әлем жасыл", "мир зел", "фонд ед", "ж ә", "ОБЩЕСТВЕННОЕ ОБЪЕДИНЕНИЕ", "ед сов ж",
           LONG, LONG[:40], LONG + " пер", "молодёжный совет единство содружество общес", "несуществующее"]


@pytest.fixture
async def generated(orgs, coordinator, orgs_database_url) -> list[Row]:
    body, _ = to_csv(generated_rows(90))
    response = await import_csv(orgs, body, coordinator, dry_run=False)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 96
    listing = (await orgs.get("/v1/orgs", params={"limit": 200})).json()["items"]
    for org in listing[::9]:  # a few archived: left out unless asked for
        read = await orgs.get(f"/v1/orgs/{org['id']}")
        archived = await orgs.delete(f"/v1/orgs/{org['id']}", headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert archived.status_code == 200, archived.text
    return registry_rows(orgs_database_url)


class TestOrder:
    async def test_every_query_serves_the_modelled_order_in_one_page(self, orgs, generated):
        for q in QUERIES:
            expected = expected_order(generated, q)
            response = (await orgs.get("/v1/orgs", params={"q": q, "limit": 200})).json()
            assert [o["id"] for o in response["items"]] == expected, q
            assert response["next_cursor"] is None

    @pytest.mark.parametrize("limit", [1, 3, 7])
    async def test_walking_the_pages_serves_every_match_once_in_the_same_order(self, orgs, generated, limit):
        for q in QUERIES:
            served = await walk(orgs, q, limit)
            assert served == expected_order(generated, q), q
            assert len(served) == len(set(served)), q

    async def test_filters_and_archived_page_the_same_way(self, orgs, generated):
        for q in ["жас", "ж ә", "ство", "қоғамдық жас"]:
            assert await walk(orgs, q, 2, kind="media") == expected_order(generated, q, kind="media"), q
            assert await walk(orgs, q, 4, include_archived="true") == expected_order(
                generated, q, include_archived=True), q

    async def test_the_model_is_not_trivial(self, generated):
        """Every tier occurs among the queries above (so the comparisons test each of them)."""
        tiers = set()
        for q in QUERIES:
            query = parse(q)
            assert query is not None
            ids = expected_order(generated, q)
            docs = {r.id: r.doc for r in generated}
            for org in ids:
                doc = docs[org]
                if f"| {query.phrase}" in doc:
                    tiers.add(0)
                elif f" {query.phrase}" in doc:
                    tiers.add(1)
                elif all(f" {w}" in doc for w in query.words):
                    tiers.add(2)
                else:
                    tiers.add(4)
        assert tiers == {0, 1, 2, 4}
        assert len(expected_order(generated, "жас")) > 20


async def create(orgs, headers, **body) -> dict[str, Any]:
    response = await orgs.post("/v1/orgs", json={"kind": "ngo", "level": "regional", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def search(orgs, q: str) -> list[str]:
    response = await orgs.get("/v1/orgs", params={"q": q, "limit": 200})
    assert response.status_code == 200, response.text
    return [o["names"]["ru"] for o in response.json()["items"]]


class TestRanking:
    async def test_names_starting_with_the_query_then_words_then_inside_words(self, orgs, coordinator):
        for name in ("Горсовет Риддера", "Молодёжный совет", "Совет ветеранов", "Совет", "Советская улица"):
            await create(orgs, coordinator, names={"ru": name})
        assert await search(orgs, "совет") == [
            "Совет", "Совет ветеранов", "Советская улица", "Молодёжный совет", "Горсовет Риддера"]
        # Two letters: inside words no longer count.
        assert await search(orgs, "со") == [
            "Совет", "Совет ветеранов", "Советская улица", "Молодёжный совет"]

    async def test_kazakh_letters_fold_in_any_case_and_stay_distinct(self, orgs, coordinator):
        await create(orgs, coordinator, names={"ru": "Фонд развития", "kk": "ӘДІЛЕТ ҮКІМЕТІ ҰЛТТЫҚ ҒЫЛЫМ ӨҢІР ҺАУА"})
        await create(orgs, coordinator, names={"ru": "Адилет"})
        for q in ["ә", "әді", "Ү", "үкімет", "ұлт", "ғы", "өң", "һ", "ІЛЕТ"]:
            assert await search(orgs, q) == ["Фонд развития"], q
        assert await search(orgs, "ад") == ["Адилет"]

    async def test_yo_is_e(self, orgs, coordinator):
        await create(orgs, coordinator, names={"ru": "Ёлочка"})
        await create(orgs, coordinator, names={"ru": "Зелёный мир"})
        assert await search(orgs, "ел") == ["Ёлочка"]
        assert await search(orgs, "ЁЛ") == ["Ёлочка"]
        assert await search(orgs, "зелё") == await search(orgs, "зеле") == ["Зелёный мир"]

    async def test_every_word_must_match_in_any_order(self, orgs, coordinator):
        await create(orgs, coordinator, names={"ru": "Жасыл әлем", "kk": "Қоғамдық бірлестік"})
        await create(orgs, coordinator, names={"ru": "Әлем жастары"})
        await create(orgs, coordinator, names={"ru": "Жасыл ел"})
        assert await search(orgs, "жасыл ә") == ["Жасыл әлем"]
        assert await search(orgs, "әлем жас") == ["Әлем жастары", "Жасыл әлем"]  # the phrase first
        assert await search(orgs, "жас қоғ") == ["Жасыл әлем"]  # words of different names
        assert await search(orgs, "жасыл мир") == []

    async def test_a_query_longer_than_the_index_keeps(self, orgs, coordinator):
        await create(orgs, coordinator, names={"ru": LONG + " первый"})
        await create(orgs, coordinator, names={"ru": LONG + " второй"})
        await create(orgs, coordinator, names={"ru": "Совет " + LONG})
        assert await search(orgs, LONG + " пер") == [LONG + " первый"]
        # Both names start with the 32 characters kept: equal keys, so the order of creation decides.
        assert await search(orgs, LONG) == [LONG + " первый", LONG + " второй", "Совет " + LONG]


class TestCursors:
    @pytest.mark.parametrize(("q", "cursor"), [
        ("жас", [9, 0, "жас", 1]),  # no such tier
        ("жас", [0, 1, "жас", 1]),  # tiers 0 and 1 have no driving word
        ("жас", [2, 0, "жас", 1]),  # one word: no tiers 2-3
        ("жас әлем", [3, 5, "жас", 1]),  # no fifth word
        ("жа", [4, 0, "жас", 1]),  # two letters never match inside words
        ("жас", [0, 0, "жас"]),  # the cursor of another list
        ("жас", ["0", 0, "жас", 1]),
    ])
    async def test_a_cursor_that_does_not_fit_is_refused(self, orgs, coordinator, q, cursor):
        await create(orgs, coordinator, names={"ru": "Жас әлем"})
        response = await orgs.get("/v1/orgs", params={"q": q, "cursor": encode_cursor(cursor)})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


class TestIndexKeptRight:
    async def test_create_update_archive(self, orgs, coordinator, orgs_database_url):
        org = await create(orgs, coordinator, names={"ru": "Старое название", "kk": "Ескі атау"},
                           short_name="СН", other_names=["Ёлка"])
        assert_index_matches_documents(orgs_database_url)
        read = await orgs.get(f"/v1/orgs/{org['id']}")
        changed = await orgs.patch(f"/v1/orgs/{org['id']}", headers={**coordinator, "If-Match": read.headers["ETag"]},
                                   json={"names": {"ru": "Новое название"}, "other_names": ["Жаңа"]})
        assert changed.status_code == 200, changed.text
        assert_index_matches_documents(orgs_database_url)
        assert await search(orgs, "нов") == ["Новое название"]
        assert await search(orgs, "стар") == []
        assert await search(orgs, "жаң") == ["Новое название"]
        read = await orgs.get(f"/v1/orgs/{org['id']}")
        archived = await orgs.delete(f"/v1/orgs/{org['id']}", headers={**coordinator, "If-Match": read.headers["ETag"]})
        assert archived.status_code == 200
        assert_index_matches_documents(orgs_database_url)
        assert await search(orgs, "нов") == []
        found = (await orgs.get("/v1/orgs", params={"q": "нов", "include_archived": "true"})).json()["items"]
        assert [o["id"] for o in found] == [org["id"]]

    async def test_import_creates_and_updates(self, orgs, coordinator, orgs_database_url):
        body, _ = to_csv([org_row(name_ru=f"Импорт {i}", name_kk=f"Импорт қоры {i}") for i in range(30)])
        assert (await import_csv(orgs, body, coordinator, dry_run=False)).json()["created"] == 30
        assert_index_matches_documents(orgs_database_url)
        first = (await orgs.get("/v1/orgs", params={"q": "импорт 1", "limit": 1})).json()["items"][0]
        body, _ = to_csv([{"id": str(first["id"]), "name_ru": "Переименованная"}], ["id", "name_ru"])
        assert (await import_csv(orgs, body, coordinator, dry_run=False)).json()["updated"] == 1
        assert_index_matches_documents(orgs_database_url)
        assert await search(orgs, "переим") == ["Переименованная"]
        # The Kazakh name was not in the file: kept, and still found.
        found = (await orgs.get("/v1/orgs", params={"q": "импорт қоры 1"})).json()["items"]
        assert found[0]["id"] == first["id"]

    async def test_sql_written_by_hand(self, orgs, orgs_database_url, backend):
        """Whoever writes the table (here plain SQL), the triggers keep the index: on PostgreSQL also in the
        replica mode bulk loads use to skip foreign-key triggers (the benchmark's generator does)."""
        org_ids = []
        with sync_engine(orgs_database_url) as engine, engine.begin() as connection:
            if backend == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for name in ("Первая запись", "Екінші жазба"):
                org_ids.append(connection.execute(text(
                    "INSERT INTO organization (kind, level, name_ru, other_names, is_archived, search_text, sort_name, "
                    "created_at, updated_at, version) VALUES ('ngo', 'regional', :n, '[]', false, :d, :s, :t, :t, 1) "
                    "RETURNING id"), {"n": name, "d": search_document([name]), "s": fold(name), "t": NOW}).scalar_one())
        assert_index_matches_documents(orgs_database_url)
        with sync_engine(orgs_database_url) as engine, engine.begin() as connection:
            connection.execute(text("UPDATE organization SET search_text = :d WHERE id = :id"),
                               {"d": search_document(["Третья запись", "Үшінші"]), "id": org_ids[0]})
            connection.execute(text("UPDATE organization SET version = version + 1"))  # the text unchanged
        assert_index_matches_documents(orgs_database_url)
        assert await search(orgs, "үш") == ["Первая запись"]
        with sync_engine(orgs_database_url) as engine, engine.begin() as connection:
            connection.execute(text("DELETE FROM organization WHERE id = :id"), {"id": org_ids[1]})
            left = connection.execute(text("SELECT count(*) FROM org_search_term WHERE org_id = :id"),
                                      {"id": org_ids[1]}).scalar_one()
        assert left == 0
        assert_index_matches_documents(orgs_database_url)


def _insert_old_rows(url: str, names: list[str]) -> None:
    with sync_engine(url) as engine, engine.begin() as connection:
        for name in names:
            connection.execute(text(
                "INSERT INTO organization (kind, level, name_ru, other_names, is_archived, search_text, sort_name, "
                "created_at, updated_at, version) VALUES ('ngo', 'regional', :n, '[]', false, :d, :s, :t, :t, 1)"),
                {"n": name, "d": search_document([name, f"{name} қоры"]), "s": fold(name), "t": NOW})


def _search_objects(url: str) -> set[str]:
    with sync_engine(url) as engine, engine.connect() as connection:
        names = set(inspect(engine).get_table_names())
        if engine.dialect.name == "postgresql":
            names |= {r[0] for r in connection.execute(text(
                "SELECT proname FROM pg_proc WHERE proname LIKE 'org_search%' UNION "
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'org_search%'"))}
        else:
            names |= {r[0] for r in connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    return {n for n in names if n.startswith("org_search")}


class TestMigration:
    def test_upgrade_fills_the_index_for_existing_rows_and_downgrade_removes_it(self, databases):
        url = databases.new("search_index")
        upgrade("orgs", url, BEFORE_INDEX)
        _insert_old_rows(url, ["Общественный фонд «Жасыл әлем»", "Ассоциация «Ёлка»", "ВКТУ-Медиа"])
        upgrade("orgs", url)
        assert_index_matches_documents(url)
        with sync_engine(url) as engine, engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM org_search_word WHERE word = 'елка'")).scalar_one()
        assert "org_search_term" in _search_objects(url)

        downgrade("orgs", url, BEFORE_INDEX)
        assert _search_objects(url) == set()
        _insert_old_rows(url, ["Добавлена без индекса"])  # no trigger is left behind to fail
        upgrade("orgs", url)
        assert_index_matches_documents(url)
        with sync_engine(url) as engine, engine.connect() as connection:
            assert connection.execute(text(
                "SELECT count(*) FROM org_search_term WHERE term = 'добавлена без индекса'")).scalar_one() == 1

    def test_emptying_the_table_empties_the_index(self, databases, backend):
        url = databases.new("search_truncate")
        upgrade("orgs", url)
        _insert_old_rows(url, ["Удаляемая", "Тоже"])
        # TRUNCATE on PostgreSQL (a trigger of its own); SQLite has only DELETE.
        statement = "TRUNCATE organization CASCADE" if backend == "postgresql" else "DELETE FROM organization"
        with sync_engine(url) as engine, engine.begin() as connection:
            connection.execute(text(statement))
            assert connection.execute(text("SELECT count(*) FROM org_search_term")).scalar_one() == 0
        assert_index_matches_documents(url)
