"""Search as you type over the registry: index walks that stop after a page, the same on SQLite and PostgreSQL.

A query is folded (services.common.text.fold) into a phrase and its words; every word must match. What
is found, best first (tiers), and in which order inside a tier (the key, then the organization's id):

0. a name starts with the phrase — key: that name (so a name equal to the query comes first);
1. a later word of a name starts with the phrase — key: the name from that word on;
2. (several words) every word starts a word somewhere in the names, not as the phrase, and the driving word
   starts a name — key: that name;
3. the same where the driving word starts a later word only — key: the name from that word on;
4. matches inside words, for queries with a word of at least INSIDE_WORD_MIN letters: every such word occurs
   anywhere in the names, every shorter word starts a word, and the record is in no tier above — key: the
   sort name. A letter or two inside words matches nearly every name: those matches are left out.

Keys are the first SEARCH_TERM_LENGTH characters, compared as code points («е» stands for «ё»).

Tiers 0–3 walk `org_search_term` (kept by triggers, see its model) along its primary key (kind, term,
org_id) from the query's prefix: each organization is served once, at its first entry in that order (an
entry is skipped when the same organization has an earlier one), and the walk stops once the page is full.
The driving word of tiers 2–3 is the query word with the fewest index entries (counted up to
DRIVER_COUNT_CAP by one small statement first, only for queries of several words); the cursor carries it.
Tier 4 looks the query words up inside the vocabulary (`org_search_word`), then sorts the organizations
holding those words (on PostgreSQL through the function org_search_holders, whose row estimate the planner
can use). The search itself is one statement: each tier is a CTE whose LIMIT is what the tiers before it
left of the page, so a tier the page does not reach costs nothing (a LIMIT 0 is not executed). Statements
are built once per shape of query and reused, the query's text going in as parameters.

The cursor is [tier, driver, key, id] of the last organization served.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import (
    ARRAY,
    CTE,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)

from services.common.db import AsyncSession
from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import Unprocessable, field_error
from services.common.text import INSIDE_WORD_MIN, NAME_START, SEARCH_TERM_LENGTH, WORD_START, fold, like_escape
from services.orgs.models import Organization, OrgSearchTerm, OrgSearchWord

NAME_STARTS, WORD_STARTS, WORDS_NAME, WORDS_WORD, INSIDE = 0, 1, 2, 3, 4
DRIVER_CANDIDATES = 6  # the longest distinct words of a query that may drive tiers 2-3
DRIVER_COUNT_CAP = 5000
CACHED_PLANS = 256

TERM: Table = OrgSearchTerm.__table__  # type: ignore[attr-defined]
WORD: Table = OrgSearchWord.__table__  # type: ignore[attr-defined]
ORG: Table = Organization.__table__  # type: ignore[attr-defined]
_TOP = "\U0010ffff"  # above every character a folded name can hold
_CURSOR_TYPES = [int, int, str, int]


@dataclass(frozen=True)
class Query:
    phrase: str
    words: tuple[str, ...]  # distinct, in the order typed

    @property
    def inside(self) -> bool:
        return any(len(w) >= INSIDE_WORD_MIN for w in self.words)

    @property
    def drivers(self) -> list[int]:
        """Words that may drive tiers 2-3 (indexes into `words`), longest first; none for a single word."""
        if len(self.words) < 2:
            return []
        return sorted(range(len(self.words)), key=lambda i: (-len(self.words[i]), i))[:DRIVER_CANDIDATES]

    def params(self) -> dict[str, Any]:
        """The values a plan's statement is executed with: `phrase`, `w0`, `w1`… and each `…_lo`, the part
        of it the index keeps."""
        texts = {"phrase": self.phrase, **{f"w{i}": w for i, w in enumerate(self.words)}}
        return {"top": _TOP, **texts, **{f"{name}_lo": text[:SEARCH_TERM_LENGTH] for name, text in texts.items()}}


def parse(q: str | None) -> Query | None:
    phrase = fold(q)
    if not phrase:
        return None
    return Query(phrase, tuple(dict.fromkeys(phrase.split(" "))))


def _cut(text: str) -> bool:
    return len(text) > SEARCH_TERM_LENGTH


def _text(name: str) -> BindParameter[str]:
    return bindparam(name, type_=Text())


def _probe(rows: Select[Any]) -> ColumnElement[bool]:
    """EXISTS, checked row by row as a walk meets each candidate. OFFSET 0 keeps PostgreSQL from turning it
    into a join: it then ordered the joins itself (a sequential scan of the index table first, the walk's order
    lost) and took tens of milliseconds to plan a query of several words."""
    found: ColumnElement[bool] = rows.offset(0).exists()
    return found


@dataclass(frozen=True)
class _Shape:
    """Everything a statement's structure depends on; the values come as parameters (Query.params)."""

    dialect: str
    limit: int
    start: int  # the tier the cursor is in (NAME_STARTS without a cursor)
    cursor: bool
    words: int
    cut: tuple[bool, ...]  # per word, whether it is longer than the index keeps
    phrase_cut: bool
    inside: tuple[bool, ...]  # per word, whether it may match inside words
    driver: int  # the driving word of tiers 2-3 (0 for one word)
    checks: tuple[int, ...]  # the other words, in the order a candidate of tiers 2-3 is checked for them


class _Plan:
    """Builds the search statement of one shape."""

    def __init__(self, shape: _Shape, filters: Sequence[ColumnElement[bool]]) -> None:
        self.shape, self.filters = shape, list(filters)
        self.postgresql = shape.dialect == "postgresql"
        self.ctes: list[CTE] = []

    def _contains(self, haystack: Any, needle: Any) -> ColumnElement[int]:
        """1-based position of `needle` in `haystack`, 0 when absent."""
        return (func.strpos if self.postgresql else func.instr)(haystack, needle)

    @staticmethod
    def low(name: str) -> ColumnElement[str]:
        return _text(f"{name}_lo")

    @staticmethod
    def high(name: str) -> ColumnElement[str]:
        return _text(f"{name}_lo") + _text("top")

    # --- predicates on the organization row (ORG) --------------------------------------------------

    def has(self, name: str, kind: int | None = None) -> ColumnElement[bool]:
        """The organization has an index entry (of `kind`, or either) starting with the text `name`."""
        e = TERM.alias()
        probe = select(e.c.org_id).where(e.c.org_id == ORG.c.id, e.c.term >= self.low(name), e.c.term < self.high(name))
        if kind is not None:  # `+ 0`: the probe goes by org_id (a few entries), not along the kind's whole range
            probe = probe.where(e.c.kind + 0 == kind)
        return _probe(probe)

    def starts(self, name: str, cut: bool, kind: int | None = None) -> ColumnElement[bool]:
        """A name (kind NAME_START) or a word (either kind) of the organization starts with the text `name`."""
        found = self.has(name, kind)
        if cut:  # the index keeps SEARCH_TERM_LENGTH characters: the document says the rest
            prefix = "| " if kind == NAME_START else " "
            found = and_(found, self._contains(ORG.c.search_text, prefix + _text(name)) > 0)
        return found

    # --- the tiers: each a CTE whose LIMIT is what the tiers before it left of the page ------------

    def remaining(self) -> ColumnElement[Any]:
        """limit + 1 rows (one more tells a next page exists) less those the tiers so far found."""
        left: ColumnElement[Any] = literal_column(str(self.shape.limit + 1), Integer)
        for cte in self.ctes:
            left = left - select(func.count()).select_from(cte).scalar_subquery()
        return left

    def walk(self, tier: int, name: str, kind: int, members: list[ColumnElement[bool]]) -> None:
        """Index entries of `kind` starting with the text `name`, in order, each organization at its first."""
        t, earlier = TERM.alias(f"t{tier}"), TERM.alias(f"e{tier}")
        first = not_(_probe(select(earlier.c.org_id).where(
            earlier.c.org_id == t.c.org_id, earlier.c.kind == kind, earlier.c.term >= self.low(name),
            earlier.c.term < t.c.term)))
        driver = self.shape.driver if tier in (WORDS_NAME, WORDS_WORD) else 0
        rows = (select(literal_column(str(tier), Integer).label("tier"),
                       literal_column(str(driver), Integer).label("driver"),
                       t.c.term.label("key"), t.c.org_id.label("org_id"))
                .select_from(t.join(ORG, ORG.c.id == t.c.org_id))
                .where(t.c.kind == kind, t.c.term >= self.low(name), t.c.term < self.high(name), *self.filters,
                       *members, first))
        if tier == self.shape.start and self.shape.cursor:
            key, org_id = _text("after_key"), bindparam("after_id", type_=Integer())
            rows = rows.where(t.c.term >= key, or_(t.c.term > key, t.c.org_id > org_id))
        self.ctes.append(rows.order_by(t.c.term, t.c.org_id).limit(self.remaining()).cte(f"tier{tier}"))

    def inside(self) -> None:
        """Organizations holding a word that contains a query word (the vocabulary says which words do)."""
        shape = self.shape
        names = [f"w{i}" for i in range(shape.words)]
        holders: Any
        if self.postgresql:
            # A function walks the index once per vocabulary word: the planner cannot estimate a join on
            # prefix ranges, and its guess (thousands of rows per word) made it sort, hash or JIT-compile.
            holders = select(func.org_search_holders(bindparam("patterns", type_=ARRAY(Text()))))
        else:
            # The matching words first (materialized), then an index walk for each: SQLite otherwise drove
            # the join from the index and looked each entry's first word up in the vocabulary.
            matched = (select(WORD.c.word)
                       .where(or_(*(func.instr(WORD.c.word, _text(n)) > 1
                                    for n, inside in zip(names, shape.inside, strict=True) if inside)))
                       .cte("matched").prefix_with("MATERIALIZED"))
            k = TERM.alias("k")
            holders = select(k.c.org_id).select_from(matched.join(k, and_(
                k.c.kind.in_([NAME_START, WORD_START]), k.c.term >= matched.c.word,
                k.c.term < matched.c.word + _text("top"))))
        key = ORG.c.sort_name.collate("C") if self.postgresql else ORG.c.sort_name
        everywhere = [self._contains(ORG.c.search_text, _text(n) if inside else " " + _text(n)) > 0
                      for n, inside in zip(names, shape.inside, strict=True)]
        at_starts = [self._contains(ORG.c.search_text, " " + _text(n)) > 0 for n in names]
        rows = (select(literal_column(str(INSIDE), Integer).label("tier"), literal_column("0", Integer).label("driver"),
                       key.label("key"), ORG.c.id.label("org_id"))
                .where(ORG.c.id.in_(holders), *self.filters, *everywhere, not_(and_(*at_starts))))
        if shape.start == INSIDE and shape.cursor:
            last, org_id = _text("after_key"), bindparam("after_id", type_=Integer())
            rows = rows.where(key >= last, or_(key > last, ORG.c.id > org_id))
        self.ctes.append(rows.order_by(key, ORG.c.id).limit(self.remaining()).cte("tier4"))

    def build(self) -> Select[Any]:
        shape = self.shape
        if shape.start <= NAME_STARTS:
            self.walk(NAME_STARTS, "phrase", NAME_START,
                      [self.starts("phrase", True, NAME_START)] if shape.phrase_cut else [])
        if shape.start <= WORD_STARTS:
            self.walk(WORD_STARTS, "phrase", WORD_START,
                      [not_(self.starts("phrase", shape.phrase_cut, NAME_START)),
                       *([self.starts("phrase", True)] if shape.phrase_cut else [])])
        if shape.words > 1 and shape.start <= WORDS_WORD:
            # Every word starts a word somewhere, not all as the phrase: walked along the driving word's
            # entries, the other words checked rarest first (a candidate fails early).
            driver = f"w{shape.driver}"
            members = [*(self.starts(f"w{i}", shape.cut[i]) for i in shape.checks),
                       not_(self.starts("phrase", shape.phrase_cut))]
            if shape.cut[shape.driver]:
                members.append(self.starts(driver, True))
            if shape.start <= WORDS_NAME:
                self.walk(WORDS_NAME, driver, NAME_START, members)
            self.walk(WORDS_WORD, driver, WORD_START, [not_(self.has(driver, NAME_START)), *members])
        if any(shape.inside):
            self.inside()
        found = union_all(*(select(cte) for cte in self.ctes)).subquery("found")
        return (select(Organization, found.c.tier, found.c.driver, found.c.key)
                .join(found, ORG.c.id == found.c.org_id)
                .order_by(found.c.tier, found.c.driver, found.c.key, found.c.org_id)
                .limit(shape.limit + 1))


# Statements by shape and filters: building one costs more than running it (1-2 ms of Python). Kept only for
# filters without values of their own (those would be frozen into the statement).
_plans: OrderedDict[tuple[Any, ...], Select[Any]] = OrderedDict()
_plans_lock = Lock()


def _statement(shape: _Shape, filters: Sequence[ColumnElement[bool]]) -> Select[Any]:
    keys = [f._generate_cache_key() for f in filters]
    if any(k is None or k.bindparams for k in keys):
        return _Plan(shape, filters).build()
    cache_key = (shape, tuple(k.key for k in keys if k is not None))
    with _plans_lock:
        statement = _plans.get(cache_key)
        if statement is not None:
            _plans.move_to_end(cache_key)
            return statement
    statement = _Plan(shape, filters).build()
    with _plans_lock:
        _plans[cache_key] = statement
        while len(_plans) > CACHED_PLANS:
            _plans.popitem(last=False)
    return statement


async def _counts(session: AsyncSession, query: Query) -> dict[int, int]:
    """Index entries of each word that may drive tiers 2-3, counted up to DRIVER_COUNT_CAP. One small statement
    before the search, so that the walk's bounds are parameters the planner sees (with bounds computed inside
    the statement PostgreSQL sorted the entries instead of walking them)."""
    counts = []
    for i in query.drivers:
        entries = (select(TERM.c.org_id)
                   .where(TERM.c.kind.in_([NAME_START, WORD_START]), TERM.c.term >= _Plan.low(f"w{i}"),
                          TERM.c.term < _Plan.high(f"w{i}"))
                   .limit(DRIVER_COUNT_CAP).subquery())
        counts.append(select(func.count()).select_from(entries).scalar_subquery())
    params = query.params()
    found = (await session.exec(select(*counts), params=params)).one()
    return dict(zip(query.drivers, found, strict=True))


def _cursor(cursor: str, query: Query) -> tuple[int, int, str, int]:
    tier, driver, key, org_id = decode_cursor(cursor, 4, _CURSOR_TYPES)
    valid = ((tier in (NAME_STARTS, WORD_STARTS) and driver == 0)
             or (tier in (WORDS_NAME, WORDS_WORD) and driver in query.drivers)
             or (tier == INSIDE and driver == 0 and query.inside))
    if not valid:
        raise Unprocessable("The cursor does not fit this list.", errors=[field_error("cursor", "malformed cursor")])
    return tier, driver, key, org_id


async def search_orgs(session: AsyncSession, query: Query, filters: Sequence[ColumnElement[bool]], *, limit: int,
                      cursor: str | None) -> tuple[list[Organization], str | None]:
    """A page of organizations matching `query` (and `filters`, conditions on the organization), best first."""
    params = query.params()
    start, driver = NAME_STARTS, 0
    if cursor is not None:
        start, driver, params["after_key"], params["after_id"] = _cursor(cursor, query)
    words = query.words
    checks: tuple[int, ...] = ()
    if query.drivers and start <= WORDS_WORD:
        # The driving word of tiers 2-3: the fewest index entries, then the longest, then the first typed
        # (a cursor in those tiers names it); the other words are checked rarest first.
        counts = await _counts(session, query) if start < WORDS_NAME or len(words) > 2 else {}
        if start < WORDS_NAME:
            driver = min(query.drivers, key=lambda i: counts[i])  # drivers come longest first: ties go to them
        rarest = sorted(range(len(words)), key=lambda i: (counts.get(i, DRIVER_COUNT_CAP + 1), i))
        checks = tuple(i for i in rarest if i != driver)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and query.inside:
        params["patterns"] = [f"_%{like_escape(w)}%" for w in words if len(w) >= INSIDE_WORD_MIN]
    shape = _Shape(dialect=dialect, limit=limit, start=start, cursor=cursor is not None, words=len(words),
                   cut=tuple(_cut(w) for w in words), phrase_cut=_cut(query.phrase),
                   inside=tuple(len(w) >= INSIDE_WORD_MIN for w in words), driver=driver, checks=checks)
    rows: Sequence[Any] = (await session.exec(_statement(shape, filters), params=params)).all()
    orgs = [row[0] for row in rows]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last[1], last[2], last[3], last[0].id])
    return orgs[:limit], next_cursor
