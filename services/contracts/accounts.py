"""Wire models of accounts, login sessions and API keys (stored by the orgs service, used by the gateway)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.contracts.auth import Role

# Pydantic matches `pattern` against the raw input, before stripping and lower-casing: the pattern admits what
# those two then normalise ("  Aigerim.B " is the login "aigerim.b").
Login = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=120,
                                         pattern=r"^\s*[A-Za-z0-9._@+-]+\s*$")]
Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class Scope(StrEnum):
    """What an API key may do through the gateway's public API."""

    read = "read"                      # the registry and results (what the public portal shows, as JSON)
    answer = "answer"                  # answer recommendations and report progress for the key's organization
    webhooks = "webhooks"              # manage webhook subscriptions (issue 6)


class AccountCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    login: Login
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    password: Password
    roles: list[Role] = Field(min_length=1)
    org_ids: list[int] = Field(default_factory=list, description="Bodies a representative or member speaks for")
    person_id: int | None = None
    language: Annotated[str, StringConstraints(pattern="^(ru|kk|en)$")] = "ru"


class AccountUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    password: Password | None = None
    roles: list[Role] | None = Field(None, min_length=1)
    org_ids: list[int] | None = None
    person_id: int | None = None
    language: Annotated[str, StringConstraints(pattern="^(ru|kk|en)$")] | None = None
    is_disabled: bool | None = None


class AccountRead(BaseModel):
    id: int
    login: str
    display_name: str
    roles: list[Role]
    org_ids: list[int]
    person_id: int | None
    language: str
    is_disabled: bool
    created_at: datetime
    version: int


class AccountPage(BaseModel):
    items: list[AccountRead]
    next_cursor: str | None = None


class LoginRequest(BaseModel):
    login: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=120)]
    password: Annotated[str, StringConstraints(max_length=200)]


class LoginSession(BaseModel):
    """A signed-in browser session. `token` is shown once, at login; the store keeps only its hash."""

    token: str | None = None
    session_id: int
    account: AccountRead
    created_at: datetime
    expires_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    org_id: int = Field(description="The organization the key acts for")
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyRead(BaseModel):
    id: int
    name: str
    org_id: int
    scopes: list[Scope]
    prefix: str = Field(description="The first characters of the key, to recognise it in lists")
    created_at: datetime
    created_by: int | None = Field(None, description="The account of the admin who created the key")
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret itself: shown once, stored only as a hash")


class ApiKeyVerify(BaseModel):
    key: Annotated[str, StringConstraints(max_length=200)]


class ApiKeyPage(BaseModel):
    items: list[ApiKeyRead]
    next_cursor: str | None = None
