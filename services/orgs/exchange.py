"""Bulk exchange of the registry: CSV import of organizations; CSV, XLSX and Popolo JSON exports."""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import sqlite3
import sys
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any, Literal, NamedTuple, TypeVar, cast

import anyio.to_thread
from pydantic import Field, ValidationError
from sqlalchemy import JSON, Table, and_, bindparam, delete, false, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from services.common.db import MAX_ID, AsyncSession, utcnow
from services.common.problems import Unprocessable
from services.contracts import orgs as c
from services.contracts.emails import Email
from services.orgs import service
from services.orgs.errors import DuplicateRecord
from services.orgs.models import Membership, Organization, OrgTopic, Person, Region

# The column order of every export; an import accepts any order and any subset.
COLUMNS: tuple[str, ...] = (
    "id", "bin", "kind", "level", "region_code", "parent", "attached_to", "name_ru", "name_kk", "name_en",
    "short_name", "other_names", "topics", "website", "email", "phone", "address", "founded_on",
    "dissolved_on", "term_ends_on",
)
LIST_SEPARATOR = " | "
PAGE_SIZE = 1000  # rows per keyset page of an export
LOOKUP_CHUNK = 1000  # values per IN (...) list while checking an import
WRITE_CHUNK = 5000  # parameter sets per executemany while writing an import

_LIST_COLUMNS = frozenset({"other_names", "topics"})
_DATE_COLUMNS = frozenset({"founded_on", "dissolved_on", "term_ends_on"})
_REFERENCE_COLUMNS = ("parent", "attached_to")
_REQUIRED_FOR_CREATE = ("kind", "level", "name_ru")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BIN = re.compile(r"\d{12}")
_ID = re.compile(r"\d{1,11}")  # ids above MAX_ID are well-formed but name no organization

ORG = cast(Table, Organization.__table__)  # type: ignore[attr-defined]
TOPIC = cast(Table, OrgTopic.__table__)  # type: ignore[attr-defined]
PERSON = cast(Table, Person.__table__)  # type: ignore[attr-defined]
MEMBERSHIP = cast(Table, Membership.__table__)  # type: ignore[attr-defined]
REGION = cast(Table, Region.__table__)  # type: ignore[attr-defined]

Cell = str | int | date | None


# ---------------------------------------------------------------------------------------------
# Spreadsheet formula injection


def excel_safe(value: str) -> str:
    """Quote a cell a spreadsheet would run as a formula (first character = + - @ tab or CR).

    A value that already starts with apostrophes before such a character gets one more, so
    `from_excel_safe` removes exactly what was added and an export re-imports unchanged.
    """
    return "'" + value if value.lstrip("'").startswith(_FORMULA_STARTS) else value


def from_excel_safe(value: str) -> str:
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_STARTS) else value


# ---------------------------------------------------------------------------------------------
# Import: parse every row, check every row, then write all of them or none


class _ImportedContacts(c.OrgContacts):
    email: Email | None = None


class ImportedOrg(c.OrgCreate):
    """A row as the import checks it: the API's OrgCreate, e-mail checked by `Email`.

    `Email` accepts, normalizes and refuses exactly as OrgCreate's EmailStr (same messages), but
    decides plain ASCII addresses without email_validator, which was over half of checking a file.
    """

    contacts: _ImportedContacts = Field(default_factory=_ImportedContacts)


Target = tuple[Literal["row", "db"], int]  # another row of the file (by index) or a stored organization


class Known(NamedTuple):
    """What the checks need to know about a stored organization."""

    id: int
    bin: str | None
    kind: str
    is_archived: bool
    parent_id: int | None


@dataclass
class ImportRow:
    line: int
    cells: dict[str, str | None] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    existing: RowMapping | None = None  # the stored organization an update changes
    existing_id: int | None = None
    new_id: int | None = None
    dates: dict[str, date] = field(default_factory=dict)
    data: c.OrgCreate | None = None
    bin: str | None = None  # the BIN the organization will have, as written in the file
    parent: Target | None = None
    attached_to: Target | None = None

    def error(self, column: str, message: str) -> None:
        entry = {"field": column, "message": message}
        if entry not in self.errors:
            self.errors.append(entry)

    @property
    def org_id(self) -> int | None:
        return self.existing_id if self.existing_id is not None else self.new_id


@dataclass
class ParsedFile:
    columns: list[str]
    rows: list[ImportRow]
    file_errors: list[c.ImportRowError]


def parse_csv(payload: bytes) -> ParsedFile:
    """Split the file into rows that remember their physical line (header = line 1)."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        return ParsedFile([], [], [_file_error(line, "file", "not UTF-8 text: save the table as «CSV UTF-8»")])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return ParsedFile([], [], [_file_error(1, "header", f"unreadable CSV: {exc}")])
    if header is None or not any(h.strip() for h in header):
        return ParsedFile([], [], [_file_error(1, "header", "the first line must name the columns")])
    columns = [h.strip().lower() for h in header]
    header_errors = _check_header(columns)

    rows: list[ImportRow] = []
    file_errors = [c.ImportRowError(line=1, errors=header_errors)] if header_errors else []
    while True:
        line = reader.line_num + 1  # line_num counts physical lines, newlines inside quotes included
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            file_errors.append(_file_error(line, "row", f"unreadable CSV: {exc}"))
            break
        if not any(value.strip() for value in record):
            continue  # blank lines, and the empty rows spreadsheets leave at the end
        row = ImportRow(line=line)
        rows.append(row)
        if len(record) != len(columns):
            row.error("row", f"{len(record)} cells, but the header names {len(columns)} columns")
            continue
        cells = row.cells
        for name, value in zip(columns, record, strict=True):
            value = value.strip()
            if value.startswith("'"):  # only then can from_excel_safe change it
                value = from_excel_safe(value).strip()
            if "\x00" in value:
                row.error(name, "contains a NUL character")
                value = value.replace("\x00", "")
            cells[name] = value or None
    return ParsedFile(columns, rows, file_errors)


def _check_header(columns: list[str]) -> list[dict[str, str]]:
    errors = []
    for position, name in enumerate(columns):
        if not name:
            errors.append({"field": f"column {position + 1}", "message": "the column has no name"})
        elif name not in COLUMNS:
            errors.append({"field": name, "message": "unknown column; known ones are " + ", ".join(COLUMNS)})
        elif columns.index(name) != position:
            errors.append({"field": name, "message": "the column appears twice"})
    if "id" not in columns:  # then every row creates an organization
        for name in _REQUIRED_FOR_CREATE:
            if name not in columns:
                errors.append({"field": name, "message": "required column is missing"})
    return errors


def _file_error(line: int, column: str, message: str) -> c.ImportRowError:
    return c.ImportRowError(line=line, errors=[{"field": column, "message": message}])


@contextmanager
def _bulk_step() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector around a synchronous step over every row of a file.

    Such a step creates tens of thousands of objects that live on (rows, dicts, models), and the
    allocation counts make CPython run full collections that walk the whole heap, several per import:
    a quarter of its time. Reference counting still frees what the step drops (its objects form no
    cycles; any that did would be collected once the collector resumes, right after the step), and no
    other task runs meanwhile, since a step never awaits.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def import_orgs(session: AsyncSession, payload: bytes, *, dry_run: bool) -> c.ImportReport:
    """Check every row like the API would; write all rows in the session's transaction, or none.

    A dry run only reports. A commit with any bad row raises 422 listing them (and writes nothing);
    `created`/`updated` always say what a commit of this file does.
    """
    with _bulk_step():
        parsed = parse_csv(payload)
    connection = await session.connection()
    rows = parsed.rows
    if not parsed.file_errors:
        await _check_rows(connection, rows)
    bad_rows = parsed.file_errors + [
        c.ImportRowError(line=row.line, errors=row.errors) for row in rows if row.errors
    ]
    bad_rows.sort(key=lambda r: r.line)
    creates = sum(1 for row in rows if row.existing_id is None)
    report = c.ImportReport(dry_run=dry_run, rows=len(rows), bad_rows=bad_rows,
                            created=0 if bad_rows else creates,
                            updated=0 if bad_rows else len(rows) - creates)
    if bad_rows and not dry_run:
        raise Unprocessable(
            f"{len(bad_rows)} line(s) of the file have errors; nothing was imported.",
            rows=len(rows), bad_rows=[r.model_dump() for r in bad_rows],
        )
    if not dry_run and rows:
        await _write_rows(connection, rows, set(parsed.columns))
    return report


async def _check_rows(connection: AsyncConnection, rows: list[ImportRow]) -> None:
    with _bulk_step():
        for row in rows:
            if row.cells:
                _parse_cells(row)
    await _load_updated(connection, rows)
    with _bulk_step():
        for row in rows:
            if row.cells:
                _validate_contract(row)
        row_of_id = _index_updates(rows)
    known = await _load_referenced(connection, rows)
    _check_bins(rows, known)
    await _check_regions(connection, rows)
    with _bulk_step():
        _resolve_references(rows, known, row_of_id)
    if row_of_id:  # only an update can close a loop through organizations already stored
        await _load_ancestors(connection, rows, known, row_of_id)
    with _bulk_step():
        _check_cycles(rows, known, row_of_id)


def _parse_cells(row: ImportRow) -> None:
    raw_id = row.cells.get("id")
    if raw_id is not None:
        if _ID.fullmatch(raw_id) and 0 < int(raw_id) <= MAX_ID:
            row.existing_id = int(raw_id)
        elif _ID.fullmatch(raw_id) and int(raw_id) > MAX_ID:
            row.error("id", f"no organization with id {raw_id}")
        else:
            row.error("id", "must be the number of an existing organization (or empty to create one)")
    for name in _DATE_COLUMNS:
        value = row.cells.get(name)
        if value is None:
            continue
        try:
            if not _ISO_DATE.fullmatch(value):
                raise ValueError(value)
            row.dates[name] = date.fromisoformat(value)
        except ValueError:
            row.error(name, "a date YYYY-MM-DD expected")
    for name in _REFERENCE_COLUMNS:
        value = row.cells.get(name)
        if value is not None and not (_BIN.fullmatch(value) or _ID.fullmatch(value)):
            row.error(name, "an organization's id or its 12-digit BIN expected")


async def _load_updated(connection: AsyncConnection, rows: list[ImportRow]) -> None:
    ids = {row.existing_id for row in rows if row.existing_id is not None}
    found: dict[int, RowMapping] = {}
    for chunk in _chunks(sorted(ids), LOOKUP_CHUNK):
        for mapping in (await connection.execute(select(ORG).where(ORG.c.id.in_(chunk)))).mappings():
            found[mapping["id"]] = mapping
    for row in rows:
        if row.existing_id is None:
            continue
        row.existing = found.get(row.existing_id)
        if row.existing is None:
            row.error("id", f"no organization with id {row.existing_id}")


def _stored_values(org: RowMapping) -> dict[str, Any]:
    """A stored organization as import cells, the base an update row overrides column by column."""
    return {
        "bin": org["bin"], "kind": org["kind"], "level": org["level"], "region_code": org["region_code"],
        "name_ru": org["name_ru"], "name_kk": org["name_kk"], "name_en": org["name_en"],
        "short_name": org["short_name"], "other_names": list(org["other_names"] or []),
        "website": org["website"], "email": org["email"], "phone": org["phone"], "address": org["address"],
        "founded_on": org["founded_on"], "dissolved_on": org["dissolved_on"], "term_ends_on": org["term_ends_on"],
    }


# Where a column goes in the OrgCreate document; the other columns are its top-level fields.
_DOCUMENT_SECTIONS = {"name_ru": ("names", "ru"), "name_kk": ("names", "kk"), "name_en": ("names", "en"),
                      "website": ("contacts", "website"), "email": ("contacts", "email"),
                      "phone": ("contacts", "phone"), "address": ("contacts", "address")}
_NOT_IN_DOCUMENT = frozenset({"id", *_REFERENCE_COLUMNS})


def _validate_contract(row: ImportRow) -> None:
    """The API's own contract (OrgCreate) checks BIN check digits, kinds, levels, lengths, e-mails."""
    values = _stored_values(row.existing) if row.existing is not None else {}
    for name, value in row.cells.items():
        if name in _NOT_IN_DOCUMENT:
            continue
        if name in _LIST_COLUMNS:
            values[name] = [] if value is None else [p.strip() for p in value.split(LIST_SEPARATOR) if p.strip()]
        elif name in _DATE_COLUMNS:
            values[name] = row.dates.get(name)
        else:
            values[name] = value
    row.bin = values.get("bin")
    if row.cells.get("id") is not None and row.existing is None:
        return  # reported already: an update of nothing, whose other errors would only mislead
    # Empty cells are left out, so a required one is reported as required rather than as invalid.
    document: dict[str, Any] = {"names": {}, "contacts": {}}
    for name, value in values.items():
        if value is None:
            continue
        if (section := _DOCUMENT_SECTIONS.get(name)) is not None:
            document[section[0]][section[1]] = value
        else:
            document[name] = value
    try:
        row.data = ImportedOrg.model_validate(document)
    except ValidationError as exc:
        for err in exc.errors():
            column, message = _column_of(err["loc"]), str(err["msg"]).removeprefix("Value error, ")
            if len(err["loc"]) > 1 and isinstance(err["loc"][-1], int):
                message = f"item {err['loc'][-1] + 1}: {message}"
            row.error(column, message)
        return
    data = row.data
    if data.dissolved_on and data.founded_on and data.dissolved_on < data.founded_on:
        row.error("dissolved_on", "cannot be before founded_on")


def _column_of(loc: Sequence[int | str]) -> str:
    if loc and loc[0] == "names" and len(loc) > 1:
        return f"name_{loc[1]}"
    if loc and loc[0] == "contacts" and len(loc) > 1:
        return str(loc[1])
    return str(loc[0]) if loc else "row"


def _index_updates(rows: list[ImportRow]) -> dict[int, int]:
    """Organization id → the row updating it; the same id twice is an error on both lines."""
    row_of_id: dict[int, int] = {}
    lines: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row.existing is not None and row.existing_id is not None:
            row_of_id.setdefault(row.existing_id, index)
            lines[row.existing_id].append(row.line)
    for index, row in enumerate(rows):
        if row.existing_id is not None and len(lines.get(row.existing_id, [])) > 1:
            others = ", ".join(str(n) for n in lines[row.existing_id] if n != row.line)
            rows[index].error("id", f"organization {row.existing_id} is updated on line {others} too")
    return row_of_id


async def _load_referenced(connection: AsyncConnection, rows: list[ImportRow]) -> dict[int | str, Known]:
    """Stored organizations the file names: by the BINs rows will have and by parent/attached_to."""
    bins: set[str] = set()
    ids: set[int] = set()
    for row in rows:
        if row.bin and _BIN.fullmatch(row.bin):
            bins.add(row.bin)
        for name in _REFERENCE_COLUMNS:
            value = row.cells.get(name)
            if value is not None and _BIN.fullmatch(value):
                bins.add(value)
            elif value is not None and _ID.fullmatch(value) and int(value) <= MAX_ID:
                ids.add(int(value))
        if row.existing is not None:
            ids.update(i for i in (row.existing["parent_id"], row.existing["attached_to_id"]) if i)
    known: dict[int | str, Known] = {}
    await _load_known(connection, known, ORG.c.bin, sorted(bins))
    await _load_known(connection, known, ORG.c.id, sorted(ids - {k for k in known if isinstance(k, int)}))
    return known


async def _load_known(connection: AsyncConnection, known: dict[int | str, Known], column: Any,
                      values: Sequence[Any]) -> None:
    """Fill `known` by id (int keys) and by BIN (str keys)."""
    columns = (ORG.c.id, ORG.c.bin, ORG.c.kind, ORG.c.is_archived, ORG.c.parent_id)
    for chunk in _chunks(values, LOOKUP_CHUNK):
        for r in await connection.execute(select(*columns).where(column.in_(chunk))):
            org = Known(r.id, r.bin, r.kind, bool(r.is_archived), r.parent_id)
            known[org.id] = org
            if org.bin:
                known[org.bin] = org


def _check_bins(rows: list[ImportRow], known: Mapping[int | str, Known]) -> None:
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.bin:
            lines[row.bin].append(row.line)
    for row in rows:
        if not row.bin:
            continue
        if len(lines[row.bin]) > 1:
            others = ", ".join(str(n) for n in lines[row.bin] if n != row.line)
            row.error("bin", f"the same BIN is on line {others} too")
        holder = known.get(row.bin)
        if holder is not None and holder.id != row.existing_id:
            row.error("bin", f"already registered to organization {holder.id}")


async def _check_regions(connection: AsyncConnection, rows: list[ImportRow]) -> None:
    codes = {row.data.region_code for row in rows if row.data is not None and row.data.region_code}
    found: set[str] = set()
    for chunk in _chunks(sorted(codes), LOOKUP_CHUNK):
        found.update((await connection.execute(select(REGION.c.code).where(REGION.c.code.in_(chunk)))).scalars())
    for row in rows:
        if row.data is not None and row.data.region_code and row.data.region_code not in found:
            row.error("region_code", "no such region (a 9-digit KATO code of the registry expected)")


def _resolve_references(rows: list[ImportRow], known: Mapping[int | str, Known], row_of_id: Mapping[int, int]) -> None:
    """parent/attached_to name a row of the file (by BIN) or a stored organization (by BIN or id)."""
    row_of_bin: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row.bin:
            row_of_bin.setdefault(row.bin, index)

    def stored(org_id: int) -> Target:
        return ("row", row_of_id[org_id]) if org_id in row_of_id else ("db", org_id)

    def resolve(row: ImportRow, name: str) -> Target | None:
        value = row.cells.get(name)
        if value is None:
            return None
        if _BIN.fullmatch(value):
            if value in row_of_bin:
                return ("row", row_of_bin[value])
            if value in known:
                return stored(known[value].id)
            row.error(name, f"no organization with BIN {value} in the file or in the registry")
        elif _ID.fullmatch(value):
            if int(value) in known:
                return stored(int(value))
            row.error(name, f"no organization with id {value}")
        return None

    def kind_of(target: Target) -> str | None:
        if target[0] == "row":
            data = rows[target[1]].data
            return data.kind.value if data is not None else None
        return known[target[1]].kind

    def archived(target: Target) -> bool:
        if target[0] == "row":
            existing = rows[target[1]].existing
            return bool(existing["is_archived"]) if existing is not None else False
        return known[target[1]].is_archived

    for row in rows:
        stored_parent = row.existing["parent_id"] if row.existing is not None else None
        stored_attached = row.existing["attached_to_id"] if row.existing is not None else None
        if "parent" in row.cells:
            row.parent = resolve(row, "parent")
        elif stored_parent is not None:
            row.parent = stored(stored_parent)
        if "attached_to" in row.cells:
            row.attached_to = resolve(row, "attached_to")
        elif stored_attached is not None:
            row.attached_to = stored(stored_attached)
        if row.data is None:
            continue
        # Like the API, a new link to an archived parent is refused; a link that was already there stays.
        if row.parent is not None and archived(row.parent) and _target_id(row.parent, rows) != stored_parent:
            row.error("parent", "the parent organization is archived")
        if row.attached_to is not None:
            if row.data.kind != c.OrgKind.public_council:
                row.error("attached_to", "only a public council is attached to a state body")
            elif (kind := kind_of(row.attached_to)) is not None and kind != c.OrgKind.state_body:
                row.error("attached_to", "a public council is attached to a state body")


def _target_id(target: Target, rows: Sequence[ImportRow]) -> int | None:
    return rows[target[1]].org_id if target[0] == "row" else target[1]


async def _load_ancestors(connection: AsyncConnection, rows: list[ImportRow], known: dict[int | str, Known],
                          row_of_id: Mapping[int, int]) -> None:
    """Stored parents of stored parents, level by level, so a loop through them can be found."""
    frontier = {row.parent[1] for row in rows if row.parent is not None and row.parent[0] == "db"}
    seen: set[int] = set()
    while frontier:
        seen |= frontier
        await _load_known(connection, known, ORG.c.id, sorted(i for i in frontier if i not in known))
        frontier = {
            org.parent_id for i in frontier if (org := known.get(i)) is not None
            and org.parent_id is not None and org.parent_id not in row_of_id and org.parent_id not in seen
        }


def _check_cycles(rows: list[ImportRow], known: Mapping[int | str, Known], row_of_id: Mapping[int, int]) -> None:
    def parent_of(node: Target) -> Target | None:
        if node[0] == "row":
            return rows[node[1]].parent
        org = known.get(node[1])
        if org is None or org.parent_id is None:
            return None
        return ("row", row_of_id[org.parent_id]) if org.parent_id in row_of_id else ("db", org.parent_id)

    done: set[Target] = set()
    for index in range(len(rows)):
        path: list[Target] = []
        on_path: set[Target] = set()
        node: Target | None = ("row", index)
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent_of(node)
        if node is not None and node in on_path:
            for member in path[path.index(node):]:
                if member[0] == "row":
                    rows[member[1]].error("parent", "an organization cannot be its own ancestor")
        done.update(path)


# --- writing -----------------------------------------------------------------------------------


@dataclass
class _SearchFields:
    """The attributes service.refresh_org_search reads and sets.

    A transient Organization would do, but building one costs ~0.3 ms (seven seconds for 20,000
    rows). This keeps one definition of the search document at a fraction of the cost.
    """

    name_ru: str
    name_kk: str | None
    name_en: str | None
    short_name: str | None
    other_names: list[str]
    bin: str | None
    search_text: str = ""
    sort_name: str = ""


def _org_values(data: c.OrgCreate) -> dict[str, Any]:
    names, contacts = data.names, data.contacts
    search = _SearchFields(names.ru, names.kk, names.en, data.short_name, list(data.other_names), data.bin)
    service.refresh_org_search(cast(Organization, search))
    return {
        "kind": data.kind.value, "level": data.level.value, "region_code": data.region_code,
        "name_ru": names.ru, "name_kk": names.kk, "name_en": names.en, "short_name": data.short_name,
        "other_names": list(data.other_names), "bin": data.bin, "website": contacts.website,
        "email": contacts.email, "phone": contacts.phone, "address": contacts.address,
        "founded_on": data.founded_on, "dissolved_on": data.dissolved_on, "term_ends_on": data.term_ends_on,
        "search_text": search.search_text, "sort_name": search.sort_name,
    }


def _topic_rows(org_id: int, labels: Iterable[str],
                cache: dict[tuple[str, ...], list[tuple[str, str]]]) -> list[dict[str, Any]]:
    """The same de-duplication as service._set_topics: one row per folded topic, first label wins.

    Files repeat a small vocabulary of topics: `cache` folds each distinct list once per import.
    """
    key = tuple(labels)
    if (unique := cache.get(key)) is None:
        unique = cache[key] = list(service.unique_topics(key).items())
    return [{"org_id": org_id, "topic": topic, "label": label} for topic, label in unique]


def _insertion_order(rows: Sequence[ImportRow]) -> list[int]:
    """Indexes of the new rows, each after the new rows it names as parent or state body.

    Then every reference is written with the row itself, and the foreign keys hold after each row. Only a
    loop (possible through parent and attached_to together; a loop of parents alone is refused) leaves a
    reference to a row not written yet: `_write_rows` links such a row with an update afterwards.
    """
    def new_targets(index: int) -> list[int]:
        row = rows[index]
        return [t[1] for t in (row.parent, row.attached_to)
                if t is not None and t[0] == "row" and rows[t[1]].existing_id is None]

    seen: set[int] = set()
    order: list[int] = []
    for start, row in enumerate(rows):
        if row.existing_id is not None or start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(new_targets(start)))]
        while stack:  # iterative: a chain of parents may be as long as the file
            index, pending = stack[-1]
            for target in pending:
                if target not in seen:
                    seen.add(target)
                    stack.append((target, iter(new_targets(target))))
                    break
            else:
                stack.pop()
                order.append(index)
    return order


async def reserve_org_ids(connection: AsyncConnection, count: int) -> list[int]:
    """Ids for new organizations, taken before inserting so rows can point at each other in one pass."""
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence("organization", "id")
        result = await connection.execute(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count)))
        return [int(i) for i in result.scalars()]
    # SQLite gives a new row max(id) + 1. A write statement (even one that changes nothing) takes
    # the database's only write lock until commit, so nobody can take these ids after we read max.
    await connection.execute(update(ORG).where(false()).values(id=ORG.c.id))
    top = (await connection.execute(select(func.max(ORG.c.id)))).scalar() or 0
    return list(range(top + 1, top + 1 + count))


def _values_to_write(rows: list[ImportRow], creates: list[ImportRow], updates: list[ImportRow], columns: set[str],
                     now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]],
                                             list[dict[str, Any]]]:
    """Parameters of the writes: new organizations (in `_insertion_order`), links made after them,
    changed organizations, topics."""
    def link(target: Target | None) -> int | None:
        return None if target is None else _target_id(target, rows)

    order = _insertion_order(rows)
    position = {index: at for at, index in enumerate(order)}

    def inserted_later(target: Target | None, at: int) -> bool:
        return target is not None and target[0] == "row" and position.get(target[1], -1) >= at

    new_orgs: list[dict[str, Any]] = []
    linked_later: list[dict[str, Any]] = []
    for at, index in enumerate(order):
        row = rows[index]
        assert row.data is not None
        later = inserted_later(row.parent, at) or inserted_later(row.attached_to, at)
        if later:
            linked_later.append({"b_id": row.new_id, "b_parent_id": link(row.parent),
                                 "b_attached_to_id": link(row.attached_to)})
        new_orgs.append({
            **_org_values(row.data), "id": row.new_id,
            "parent_id": None if later else link(row.parent),
            "attached_to_id": None if later else link(row.attached_to),
            "is_archived": False, "archived_at": None, "created_at": now, "updated_at": now, "version": 1,
        })
    changed_orgs: list[dict[str, Any]] = []
    for row in updates:
        assert row.data is not None
        values = {**_org_values(row.data), "parent_id": link(row.parent), "attached_to_id": link(row.attached_to)}
        changed_orgs.append({"b_id": row.existing_id, "b_updated_at": now, **{f"b_{k}": v for k, v in values.items()}})

    topic_owners = creates + (updates if "topics" in columns else [])
    folded: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    topics = [t for row in topic_owners if row.data is not None and row.org_id is not None
              for t in _topic_rows(row.org_id, row.data.topics, folded)]
    return new_orgs, linked_later, changed_orgs, topics


async def _write_rows(connection: AsyncConnection, rows: list[ImportRow], columns: set[str]) -> None:
    """A few bulk statements: seconds for tens of thousands of rows."""
    now = utcnow()
    creates = [row for row in rows if row.existing_id is None]
    updates = [row for row in rows if row.existing_id is not None]
    for row, new_id in zip(creates, await reserve_org_ids(connection, len(creates)), strict=True):
        row.new_id = new_id

    with _bulk_step():
        new_orgs, linked_later, changed_orgs, topics = _values_to_write(rows, creates, updates, columns, now)
    try:
        await _insert_many(connection, ORG, new_orgs)
        if changed_orgs:
            # Core does not step the ORM's version counter: do it here so ETags change.
            keys = [k.removeprefix("b_") for k in changed_orgs[0] if k not in ("b_id", "b_updated_at")]
            statement = (update(ORG).where(ORG.c.id == bindparam("b_id"))
                         .values(version=ORG.c.version + 1, updated_at=bindparam("b_updated_at"),
                                 **{k: bindparam(f"b_{k}") for k in keys}))
            for chunk in _chunks(changed_orgs, WRITE_CHUNK):
                await connection.execute(statement, chunk)
        if linked_later:
            # Parents and councils' state bodies that are new rows of the same file exist only now.
            statement = (update(ORG).where(ORG.c.id == bindparam("b_id"))
                         .values(parent_id=bindparam("b_parent_id"), attached_to_id=bindparam("b_attached_to_id")))
            for chunk in _chunks(linked_later, WRITE_CHUNK):
                await connection.execute(statement, chunk)
        if "topics" in columns:
            for ids in _chunks([row.existing_id for row in updates], LOOKUP_CHUNK):
                await connection.execute(delete(TOPIC).where(TOPIC.c.org_id.in_(ids)))
        await _insert_many(connection, TOPIC, topics)
    except _integrity_errors() as exc:
        raise DuplicateRecord("The registry changed while the file was imported (a BIN or a reference); "
                              "check the file again and retry.") from exc


def _integrity_errors() -> tuple[type[Exception], ...]:
    """What a write that breaks a constraint raises: SQLAlchemy's error, or the driver's own from `_insert_many`.

    asyncpg is not imported here for its exception class: a service on SQLite never loads it (memory),
    and where it is not loaded nothing can raise its errors.
    """
    errors: tuple[type[Exception], ...] = (IntegrityError, sqlite3.IntegrityError)
    if (asyncpg := sys.modules.get("asyncpg")) is not None:
        errors += (asyncpg.IntegrityConstraintViolationError,)
    return errors


async def _insert_many(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """New rows in bulk, in the session's transaction, without SQLAlchemy's per-row parameter processing
    (most of the write time of a 20,000-row import on PostgreSQL, a quarter of it on SQLite).

    PostgreSQL: a binary COPY (asyncpg). SQLite: the driver's executemany, each value converted by its
    column's own bind processor, i.e. exactly what SQLAlchemy would have sent. Both go past the engine's
    NUL listener: parse_csv already refuses NUL in every cell these rows are made of.
    """
    if not rows:
        return
    columns = list(rows[0])
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
        with _bulk_step():
            records = [tuple(json.dumps(row[name], ensure_ascii=False) if name in as_json else row[name]
                             for name in columns) for row in rows]
        await driver.copy_records_to_table(table.name, records=records, columns=columns)
        return
    dialect = connection.dialect
    processors = [(position, process) for position, name in enumerate(columns)
                  if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['?'] * len(columns))})")  # names from the table's metadata
    for chunk in _chunks(rows, WRITE_CHUNK):
        with _bulk_step():
            parameters: list[list[Any]] = []
            for row in chunk:
                values = [row[name] for name in columns]
                for position, process in processors:
                    values[position] = process(values[position])
                parameters.append(values)
        cursor = await driver.executemany(sql, parameters)
        await cursor.close()


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------------------------------------
# Exports: keyset pages in one read-only snapshot, so memory stays bounded whatever the size


async def _snapshot(session: AsyncSession) -> AsyncConnection:
    """The session's connection; on PostgreSQL it reads every page of an export from one snapshot."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        return await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return await session.connection()


async def org_pages(
    sessionmaker: async_sessionmaker[AsyncSession], filters: service.OrgFilters, page_size: int = PAGE_SIZE,
) -> AsyncIterator[list[list[Cell]]]:
    """Export rows (COLUMNS order) page by page, with the same filters and order as GET /v1/orgs."""
    async with sessionmaker() as session:
        connection = await _snapshot(session)
        cursor: str | None = None
        while True:
            orgs, cursor = await service.list_orgs(session, filters, limit=page_size, cursor=cursor)
            topics = await _topic_labels(connection, [o.id for o in orgs if o.id is not None])
            linked = {i for o in orgs for i in (o.parent_id, o.attached_to_id) if i is not None}
            labels = await _reference_labels(connection, linked)
            yield [_export_row(o, topics.get(o.id or 0, []), labels) for o in orgs]
            session.expunge_all()  # keep the identity map as small as one page
            if cursor is None:
                return


async def _topic_labels(connection: AsyncConnection, org_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if org_ids:
        result = await connection.execute(select(TOPIC.c.org_id, TOPIC.c.label).where(TOPIC.c.org_id.in_(org_ids)))
        for org_id, label in result:
            out[org_id].append(label)
    for labels in out.values():
        labels.sort()  # in Python: the same order whatever the database's collation
    return out


async def _reference_labels(connection: AsyncConnection, org_ids: set[int]) -> dict[int, str]:
    """How a parent/attached_to cell names an organization: its BIN when it has one, else its id."""
    if not org_ids:
        return {}
    result = await connection.execute(select(ORG.c.id, ORG.c.bin).where(ORG.c.id.in_(sorted(org_ids))))
    return {org_id: bin_value or str(org_id) for org_id, bin_value in result}


def _export_row(org: Organization, topics: list[str], labels: Mapping[int, str]) -> list[Cell]:
    return [
        org.id, org.bin, org.kind, org.level, org.region_code,
        labels.get(org.parent_id) if org.parent_id else None,
        labels.get(org.attached_to_id) if org.attached_to_id else None,
        org.name_ru, org.name_kk, org.name_en, org.short_name,
        LIST_SEPARATOR.join(org.other_names or []) or None, LIST_SEPARATOR.join(topics) or None,
        org.website, org.email, org.phone, org.address, org.founded_on, org.dissolved_on, org.term_ends_on,
    ]


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return excel_safe(value)


async def csv_stream(
    sessionmaker: async_sessionmaker[AsyncSession], filters: service.OrgFilters,
) -> AsyncIterator[bytes]:
    """UTF-8 with a BOM (so Excel reads Cyrillic right), one chunk per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for page in org_pages(sessionmaker, filters):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(v) for v in row] for row in page)
        yield buffer.getvalue().encode()


def _xlsx_row(sheet: Any, row: Sequence[Cell]) -> list[Any]:
    # openpyxl (with lxml and Pillow, ~12 MB resident) is loaded by the first XLSX export, not at start.
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    out: list[Any] = []
    for value in row:
        if not isinstance(value, str):
            out.append(value)
            continue
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters are not allowed in XLSX
        if value.startswith(_FORMULA_STARTS) or value in ERROR_CODES:
            # A typed text cell is never run as a formula; quotePrefix keeps it text when edited.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            out.append(cell)
        else:
            out.append(value)
    return out


def _append_rows(sheet: Any, rows: Sequence[Sequence[Cell]]) -> None:
    for row in rows:
        sheet.append(_xlsx_row(sheet, row))


async def write_xlsx(sessionmaker: async_sessionmaker[AsyncSession], filters: service.OrgFilters) -> IO[bytes]:
    """The export as an XLSX workbook in an anonymous temporary file, positioned at its start.

    openpyxl's write-only mode keeps memory flat; the file has no name, so the operating system
    removes it when it is closed, whether or not the download completes.
    """
    from openpyxl import Workbook  # on first use: see _xlsx_row

    file = tempfile.TemporaryFile(prefix="ashyq-orgs-", suffix=".xlsx")  # noqa: SIM115 - the response closes it
    try:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("organizations")
        sheet.freeze_panes = "A2"
        sheet.append(list(COLUMNS))
        async for page in org_pages(sessionmaker, filters):
            await anyio.to_thread.run_sync(_append_rows, sheet, page)
        await anyio.to_thread.run_sync(workbook.save, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


async def file_chunks(file: IO[bytes], size: int = 64 * 1024) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(file.read, size):
            yield chunk
    finally:
        file.close()


# ---------------------------------------------------------------------------------------------
# Popolo JSON (https://www.popoloproject.com): organizations, persons, memberships


def _popolo_id(kind: str, value: int | None) -> str | None:
    return f"{kind}/{value}" if value is not None else None


def _drop_empty(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v not in (None, [], "")}


_LANGUAGE_NOTES = {"ru": "name in Russian", "kk": "name in Kazakh", "en": "name in English"}


def _popolo_org(org: RowMapping, language: str, exported_parents: set[int]) -> dict[str, Any]:
    names = {"ru": org["name_ru"], "kk": org["name_kk"], "en": org["name_en"]}
    name = names.get(language) or names["ru"]
    other_names = [{"name": n, "lang": lang, "note": _LANGUAGE_NOTES[lang]}
                   for lang, n in names.items() if n and n != name]
    if org["short_name"]:
        other_names.append({"name": org["short_name"], "note": "short name"})
    other_names += [{"name": n, "note": "other name"} for n in org["other_names"] or []]
    contact_details = [{"type": kind, "value": org[column]}
                       for kind, column in (("email", "email"), ("voice", "phone"), ("address", "address"),
                                            ("url", "website")) if org[column]]
    parent = org["parent_id"] if org["parent_id"] in exported_parents else None
    return _drop_empty({
        "id": _popolo_id("org", org["id"]), "name": name, "other_names": other_names,
        "identifiers": [{"scheme": "KZ-BIN", "identifier": org["bin"]}] if org["bin"] else [],
        "classification": org["kind"], "parent_id": _popolo_id("org", parent),
        "founding_date": org["founded_on"].isoformat() if org["founded_on"] else None,
        "dissolution_date": org["dissolved_on"].isoformat() if org["dissolved_on"] else None,
        "area_id": org["region_code"], "contact_details": contact_details,
    })


# Persons are read column by column: contacts and the IIN are personal data and never leave.
_PUBLIC_PERSON_COLUMNS = (PERSON.c.id, PERSON.c.family_name, PERSON.c.given_name, PERSON.c.patronymic,
                          PERSON.c.name_kk, PERSON.c.name_en, PERSON.c.honorific)


def _popolo_person(person: RowMapping) -> dict[str, Any]:
    full = " ".join(p for p in (person["family_name"], person["given_name"], person["patronymic"]) if p)
    other_names = [{"name": person[f"name_{lang}"], "lang": lang, "note": _LANGUAGE_NOTES[lang]}
                   for lang in ("kk", "en") if person[f"name_{lang}"]]
    return _drop_empty({
        "id": _popolo_id("person", person["id"]), "name": full, "family_name": person["family_name"],
        "given_name": person["given_name"], "additional_name": person["patronymic"],
        "honorific_suffix": person["honorific"], "other_names": other_names,
    })


def _popolo_membership(m: RowMapping, exported_behalf: set[int]) -> dict[str, Any]:
    behalf = m["on_behalf_of_id"] if m["on_behalf_of_id"] in exported_behalf else None
    return _drop_empty({
        "id": _popolo_id("membership", m["id"]), "person_id": _popolo_id("person", m["person_id"]),
        "organization_id": _popolo_id("org", m["org_id"]), "role": m["role"], "label": m["title"],
        "on_behalf_of_id": _popolo_id("org", behalf),
        "start_date": m["start_on"].isoformat() if m["start_on"] else None,
        "end_date": m["end_on"].isoformat() if m["end_on"] else None,
    })


async def _exported_orgs(connection: AsyncConnection, ids: set[int], include_archived: bool) -> set[int]:
    """Which of `ids` are in the export, so no reference points at an organization left out."""
    if not ids:
        return set()
    query = select(ORG.c.id).where(ORG.c.id.in_(sorted(ids)))
    if not include_archived:
        query = query.where(ORG.c.is_archived.is_(False))
    return set((await connection.execute(query)).scalars())


async def _keyset(connection: AsyncConnection, query: Any, key: Any) -> AsyncIterator[list[RowMapping]]:
    last = 0
    while True:
        page = list((await connection.execute(query.where(key > last).order_by(key).limit(PAGE_SIZE))).mappings())
        if page:
            yield page
        if len(page) < PAGE_SIZE:
            return
        last = page[-1][key.name]


async def popolo_stream(
    sessionmaker: async_sessionmaker[AsyncSession], *, language: str, include_archived: bool,
) -> AsyncIterator[bytes]:
    """One JSON document, written page by page."""
    def dump(item: dict[str, Any]) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":"))

    async with sessionmaker() as session:
        connection = await _snapshot(session)
        live = [] if include_archived else [ORG.c.is_archived.is_(False)]

        yield b'{"organizations":['
        first = True
        async for page in _keyset(connection, select(ORG).where(*live), ORG.c.id):
            parents = await _exported_orgs(connection, {o["parent_id"] for o in page if o["parent_id"]},
                                           include_archived)
            chunk = ",".join(dump(_popolo_org(o, language, parents)) for o in page)
            yield (("" if first else ",") + chunk).encode()
            first = False

        yield b'],"persons":['
        first = True
        people = select(*_PUBLIC_PERSON_COLUMNS)
        if not include_archived:
            people = people.where(PERSON.c.is_archived.is_(False))
        async for page in _keyset(connection, people, PERSON.c.id):
            yield (("" if first else ",") + ",".join(dump(_popolo_person(p)) for p in page)).encode()
            first = False

        yield b'],"memberships":['
        first = True
        memberships = select(MEMBERSHIP)
        if not include_archived:
            memberships = memberships.where(
                MEMBERSHIP.c.person_id.in_(select(PERSON.c.id).where(PERSON.c.is_archived.is_(False))),
                MEMBERSHIP.c.org_id.in_(select(ORG.c.id).where(and_(*live))),
            )
        async for page in _keyset(connection, memberships, MEMBERSHIP.c.id):
            behalf = await _exported_orgs(
                connection, {m["on_behalf_of_id"] for m in page if m["on_behalf_of_id"]}, include_archived)
            yield (("" if first else ",") + ",".join(dump(_popolo_membership(m, behalf)) for m in page)).encode()
            first = False
        yield b"]}"
