"""Tables of the registry: regions, organizations and their topics, people, memberships."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.db import UTCDateTime, Versioned, utcnow
from services.orgs.db import OrgsBase


class Region(OrgsBase, table=True):
    code: str = Field(primary_key=True, max_length=9)
    parent_code: str | None = Field(default=None, foreign_key="region.code", index=True, max_length=9)
    kind: str = Field(max_length=20)  # oblast, city (of republican significance), district
    name_ru: str = Field(max_length=200)
    name_kk: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)


class Organization(Versioned, OrgsBase, table=True):
    __table_args__ = (
        Index("ix_organization_sort", "sort_name", "id"),
        Index("ix_organization_kind_sort", "kind", "sort_name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    level: str = Field(max_length=20, index=True)
    region_code: str | None = Field(default=None, foreign_key="region.code", index=True, max_length=9)
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    attached_to_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    name_ru: str = Field(max_length=500)
    name_kk: str | None = Field(default=None, max_length=500)
    name_en: str | None = Field(default=None, max_length=500)
    short_name: str | None = Field(default=None, max_length=200)
    other_names: list[str] = Field(default_factory=list, sa_type=JSON)
    bin: str | None = Field(default=None, unique=True, max_length=12)
    website: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    founded_on: date | None = None
    dissolved_on: date | None = None
    term_ends_on: date | None = None
    is_archived: bool = Field(default=False, index=True)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Folded in Python (services.common.text.fold) so search is the same on SQLite and PostgreSQL.
    search_text: str = Field(default="", sa_type=Text)
    sort_name: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


# Search keys compare as code points on both databases: SQLite's BINARY, PostgreSQL's "C" (prefix ranges).
SEARCH_KEY = Text().with_variant(Text(collation="C"), "postgresql")


class OrgSearchTerm(OrgsBase, table=True):
    """Search as you type: one row per word of each name of an organization, holding that name from the word
    on (services.common.text.search_terms). Written only by triggers on organization.search_text (migration
    8c4f2a61d9e3), read by services.orgs.search. On SQLite a table rebuilt by a batch migration loses its
    triggers: a migration that recreates `organization` must create them again."""

    __tablename__ = "org_search_term"
    __table_args__ = (Index("ix_org_search_term_org_id", "org_id"), {"sqlite_with_rowid": False})

    kind: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    term: str = Field(sa_column=Column(SEARCH_KEY, primary_key=True))
    org_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))


class OrgSearchWord(OrgsBase, table=True):
    """Every word ever written into an organization's search document (services.common.text.search_words):
    where matches inside words are looked for. Grows only; a word no longer used costs one empty look-up."""

    __tablename__ = "org_search_word"
    __table_args__ = ({"sqlite_with_rowid": False},)

    word: str = Field(sa_column=Column(SEARCH_KEY, primary_key=True))


class OrgTopic(OrgsBase, table=True):
    __tablename__ = "org_topic"

    """One row per (organization, topic) so topic filters are plain indexed lookups on both databases."""

    org_id: int = Field(sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"),
                                         primary_key=True))
    topic: str = Field(sa_column=Column(String(80), primary_key=True, index=True))
    label: str = Field(max_length=80)


class Person(Versioned, OrgsBase, table=True):
    __table_args__ = (Index("ix_person_sort", "sort_name", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    family_name: str = Field(max_length=200)
    given_name: str = Field(max_length=200)
    patronymic: str | None = Field(default=None, max_length=200)
    name_kk: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    honorific: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=500)
    # Personal data: never in public responses, never in logs.
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    iin: str | None = Field(default=None, max_length=12, unique=True)
    is_archived: bool = Field(default=False, index=True)
    search_text: str = Field(default="", sa_type=Text)
    sort_name: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class Membership(Versioned, OrgsBase, table=True):
    __table_args__ = (
        UniqueConstraint("person_id", "org_id", "role", "start_on", name="uq_membership_person_org_role_start"),
        Index("ix_membership_org_role", "org_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    role: str = Field(max_length=30)
    title: str | None = Field(default=None, max_length=500)
    on_behalf_of_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    start_on: date | None = None
    end_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


# --- accounts, login sessions and API keys (the gateway signs people and systems in against these) ---


class Account(Versioned, OrgsBase, table=True):
    """A person who signs in through the gateway. The password is kept only as an argon2id hash."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=120, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    org_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    person_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("person.id", ondelete="SET NULL"), index=True))
    language: str = Field(default="ru", max_length=2)
    is_disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class LoginSession(OrgsBase, table=True):
    """A signed-in browser session; the gateway holds the token, this table only its SHA-256."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False,
                                             index=True))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(OrgsBase, table=True):
    """A key another government system uses on the public API; only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    org_id: int = Field(sa_column=Column(Integer, ForeignKey("organization.id", ondelete="CASCADE"), nullable=False,
                                         index=True))
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    prefix: str = Field(max_length=8)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The admin's account id from the service token; no foreign key, as a token may name no stored account.
    created_by: int | None = None
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
