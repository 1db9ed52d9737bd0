"""Wire models of the organizations registry: regions, organizations, people, memberships."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, WithJsonSchema, field_validator

from services.contracts.identifiers import bin_problem, kato_problem

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# An e-mail address as the registry returns it: checked (EmailStr) when it was written, so reading a page of
# organizations does not run the e-mail validator again for each of them in every service that reads it.
StoredEmail = Annotated[str, WithJsonSchema({"type": "string", "format": "email"})]


class OrgKind(StrEnum):
    state_body = "state_body"
    public_council = "public_council"
    ngo = "ngo"
    research_education = "research_education"
    foundation = "foundation"
    party = "party"
    trade_union = "trade_union"
    media = "media"
    business = "business"
    international = "international"
    other = "other"


class OrgLevel(StrEnum):
    republican = "republican"
    regional = "regional"
    district = "district"


class MembershipRole(StrEnum):
    chair = "chair"
    deputy_chair = "deputy_chair"
    secretary = "secretary"
    member = "member"
    head = "head"
    deputy_head = "deputy_head"
    representative = "representative"
    employee = "employee"


class Sector(StrEnum):
    state = "state"
    civil_society = "civil_society"
    expert = "expert"
    business = "business"
    media = "media"
    international = "international"


class Names(BaseModel):
    """A name in the three languages of the platform; Russian is required, the others optional."""

    ru: Text
    kk: Text | None = None
    en: Text | None = None


class RegionCreate(BaseModel):
    code: str = Field(description="9-digit KATO code")
    parent_code: str | None = None
    names: Names

    @field_validator("code", "parent_code")
    @classmethod
    def _kato(cls, value: str | None) -> str | None:
        if value is not None and (problem := kato_problem(value)):
            raise ValueError(problem)
        return value


class RegionRead(BaseModel):
    code: str
    parent_code: str | None
    kind: str
    names: Names
    name: str


class RegionPage(BaseModel):
    items: list[RegionRead]
    next_cursor: str | None = None


class OrgContacts(BaseModel):
    """An organization's public contacts (an office, not a person)."""

    website: Annotated[str, StringConstraints(max_length=300)] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None


class OrgContactsRead(BaseModel):
    """An organization's public contacts as stored (checked when they were written)."""

    website: str | None = None
    email: StoredEmail | None = None
    phone: str | None = None
    address: str | None = None


def _check_bin(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if problem := bin_problem(value):
        raise ValueError(problem)
    return value


class OrgShape(BaseModel):
    """What an organization is, in writes and reads alike. Writes check the BIN and the contacts; reads carry them
    as stored, so reading a page of organizations does not check every BIN and e-mail again."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: OrgKind
    level: OrgLevel
    region_code: str | None = None
    parent_id: int | None = None
    attached_to_id: int | None = Field(None, description="For a public council: the state body it is attached to")
    names: Names
    short_name: ShortText | None = None
    other_names: list[ShortText] = Field(default_factory=list, max_length=20)
    bin: str | None = Field(None, description="Business identification number, 12 digits with a check digit")
    topics: list[Topic] = Field(default_factory=list, max_length=30)
    founded_on: date | None = None
    dissolved_on: date | None = None
    term_ends_on: date | None = Field(None, description="For a public council: end of the current composition's term")


class OrgFields(OrgShape):
    contacts: OrgContacts = Field(default_factory=OrgContacts)

    _bin = field_validator("bin")(classmethod(lambda cls, v: _check_bin(v)))


class OrgCreate(OrgFields):
    pass


class OrgUpdate(BaseModel):
    """Every field optional; only the fields sent are changed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: OrgKind | None = None
    level: OrgLevel | None = None
    region_code: str | None = None
    parent_id: int | None = None
    attached_to_id: int | None = None
    names: Names | None = None
    short_name: ShortText | None = None
    other_names: list[ShortText] | None = Field(None, max_length=20)
    bin: str | None = None
    topics: list[Topic] | None = Field(None, max_length=30)
    contacts: OrgContacts | None = None
    founded_on: date | None = None
    dissolved_on: date | None = None
    term_ends_on: date | None = None

    _bin = field_validator("bin")(classmethod(lambda cls, v: _check_bin(v)))


class OrgRead(OrgShape):
    contacts: OrgContactsRead = Field(default_factory=OrgContactsRead)
    id: int
    name: str = Field(description="The name in the language asked for with Accept-Language")
    is_archived: bool
    is_active: bool = Field(description="Neither archived nor dissolved")
    version: int
    created_at: datetime
    updated_at: datetime


class OrgPage(BaseModel):
    items: list[OrgRead]
    next_cursor: str | None = None


class OrgBatch(BaseModel):
    items: list[OrgRead]
    missing: list[int]


class PersonContacts(BaseModel):
    """Private: shown only to coordinators and admins, never to the public, never logged."""

    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    iin: str | None = Field(None, description="Individual identification number (personal data)")

    @field_validator("iin")
    @classmethod
    def _iin(cls, value: str | None) -> str | None:
        return _check_bin(value)


class PersonContactsRead(BaseModel):
    """A person's contacts as stored (checked when they were written); private, like PersonContacts."""

    email: StoredEmail | None = None
    phone: str | None = None
    iin: str | None = Field(None, description="Individual identification number (personal data)")


class PersonFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    family_name: ShortText
    given_name: ShortText
    patronymic: ShortText | None = None
    name_kk: ShortText | None = Field(None, description="Full name as written in Kazakh, if it differs")
    name_en: ShortText | None = Field(None, description="Full name in Latin letters")
    honorific: ShortText | None = Field(None, description="Academic degree or title, e.g. 'д.полит.н.'")
    position: Text | None = None


class PersonCreate(PersonFields):
    contacts: PersonContacts = Field(default_factory=PersonContacts)


class PersonUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    family_name: ShortText | None = None
    given_name: ShortText | None = None
    patronymic: ShortText | None = None
    name_kk: ShortText | None = None
    name_en: ShortText | None = None
    honorific: ShortText | None = None
    position: Text | None = None
    contacts: PersonContacts | None = None


class PersonRead(PersonFields):
    id: int
    full_name: str
    is_archived: bool
    version: int
    contacts: PersonContactsRead | None = Field(None, description="Only for coordinators and admins")
    created_at: datetime
    updated_at: datetime


class PersonPage(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None = None


class PersonBatch(BaseModel):
    items: list[PersonRead]
    missing: list[int]


class MembershipFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    person_id: int
    org_id: int
    role: MembershipRole
    title: Text | None = Field(None, description="Position as it is written, e.g. 'вице-министр здравоохранения'")
    on_behalf_of_id: int | None = Field(None, description="The organization the person represents here")
    start_on: date | None = None
    end_on: date | None = None


class MembershipCreate(MembershipFields):
    pass


class MembershipUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    role: MembershipRole | None = None
    title: Text | None = None
    on_behalf_of_id: int | None = None
    start_on: date | None = None
    end_on: date | None = None


class MembershipRead(MembershipFields):
    id: int
    is_current: bool
    version: int
    person_name: str
    org_name: str
    on_behalf_of_name: str | None = None


class MembershipPage(BaseModel):
    items: list[MembershipRead]
    next_cursor: str | None = None


class OrgMembers(BaseModel):
    """An organization's page data: who is in it now and who was before."""

    org: OrgRead
    current: list[MembershipRead]
    former: list[MembershipRead]
    children: list[OrgRead]


class FindingSeverity(StrEnum):
    violation = "violation"
    warning = "warning"


class CompositionFinding(BaseModel):
    code: str
    severity: FindingSeverity
    message: str
    org_ids: list[int] = Field(default_factory=list, description="Organizations the finding is about")
    person_ids: list[int] = Field(default_factory=list)


class CompositionCheck(BaseModel):
    council_id: int
    council_name: str
    member_count: int
    civil_society_count: int
    state_count: int
    size_range: tuple[int, int]
    term_ends_on: date | None
    findings: list[CompositionFinding]


class CompositionCheckPage(BaseModel):
    items: list[CompositionCheck]
    next_cursor: str | None = None


class ImportRowError(BaseModel):
    line: int
    errors: list[dict[str, str]]


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: int = 0
    updated: int = 0
    bad_rows: list[ImportRowError]
