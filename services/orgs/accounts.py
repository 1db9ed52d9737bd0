"""Accounts, login sessions and API keys: the rules behind the gateway's sign-in. Flush, never commit."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import string
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, String, cast, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select

from services.common.db import MAX_ID, AsyncSession, utcnow
from services.common.pagination import decode_cursor, encode_cursor
from services.common.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    field_error,
)
from services.common.text import like_escape
from services.contracts import accounts as a
from services.contracts.auth import Role
from services.contracts.problems import FieldError
from services.orgs.errors import InvalidReference
from services.orgs.models import Account, ApiKey, LoginSession, Organization, Person
from services.orgs.service import org_is_active

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile). When they change, hashes made with the
# old parameters are redone at the next successful login (check_needs_rehash).
PASSWORDS = PasswordHasher()

API_KEY_PREFIX = "ashyq_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# last_seen_at / last_used_at are written at most this often, so busy sessions and keys don't write on every call.
TOUCH_INTERVAL = timedelta(minutes=1)
# Ended sessions are kept this long (for the record), then removed when their account signs in again.
ENDED_SESSION_RETENTION = timedelta(days=30)
MAX_ORG_IDS = 100
MAX_TOKEN_LENGTH = 200  # ours are 43 characters; anything much longer is not worth hashing


# ---------------------------------------------------------------------------------------------
# Errors (kept beside the rules they belong to)


class AccountNotFound(NotFound):
    title = "Account not found"
    slug = "account-not-found"


class ApiKeyNotFound(NotFound):
    title = "API key not found"
    slug = "api-key-not-found"


class DuplicateLogin(Conflict):
    title = "An account with this login already exists"
    slug = "duplicate-login"


class LastAdmin(Conflict):
    title = "The last active admin must stay an active admin"
    slug = "last-admin"


class LoginFailed(Unauthorized):
    """The same answer for an unknown login and a wrong password, so logins cannot be enumerated."""

    title = "Login failed"
    slug = "login-failed"

    def __init__(self) -> None:
        super().__init__("The login or the password is wrong.")


class AccountDisabled(Forbidden):
    title = "Account disabled"
    slug = "account-disabled"

    def __init__(self) -> None:
        super().__init__("This account is disabled; ask an administrator.")


class SessionInvalid(Unauthorized):
    title = "Not signed in"
    slug = "session-invalid"

    def __init__(self) -> None:
        super().__init__("The session is unknown, expired or ended; sign in again.")


class ApiKeyInvalid(Unauthorized):
    title = "API key not accepted"
    slug = "api-key-invalid"

    def __init__(self) -> None:
        super().__init__("The API key is unknown or revoked.")


class ApiKeyAlreadyCreated(Conflict):
    title = "This request already created an API key"
    slug = "api-key-already-created"


# ---------------------------------------------------------------------------------------------
# Presentation: table rows → contracts


def account_read(account: Account) -> a.AccountRead:
    return a.AccountRead(
        id=account.id or 0, login=account.login, display_name=account.display_name,
        roles=[Role(r) for r in account.roles], org_ids=list(account.org_ids), person_id=account.person_id,
        language=account.language, is_disabled=account.is_disabled, created_at=account.created_at,
        version=account.version,
    )


def session_read(row: LoginSession, account: Account, token: str | None = None) -> a.LoginSession:
    return a.LoginSession(token=token, session_id=row.id or 0, account=account_read(account),
                          created_at=row.created_at, expires_at=row.expires_at)


def api_key_read(key: ApiKey) -> a.ApiKeyRead:
    return a.ApiKeyRead(id=key.id or 0, name=key.name, org_id=key.org_id, scopes=[a.Scope(s) for s in key.scopes],
                        prefix=key.prefix, created_at=key.created_at, created_by=key.created_by,
                        last_used_at=key.last_used_at, revoked_at=key.revoked_at)


def api_key_created(key: ApiKey, secret: str) -> a.ApiKeyCreated:
    return a.ApiKeyCreated(**api_key_read(key).model_dump(), key=secret)


# ---------------------------------------------------------------------------------------------
# Secrets


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def hash_password(password: str) -> str:
    # Hashing takes tens of milliseconds of CPU on purpose; a thread keeps the event loop free meanwhile.
    return await asyncio.to_thread(PASSWORDS.hash, password)


async def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(PASSWORDS.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash nobody's password matches, verified for unknown logins so they take as long as known ones."""
    return PASSWORDS.hash(secrets.token_urlsafe(32))


def new_api_key() -> tuple[str, str]:
    """(prefix, key): `ashyq_<prefix>_<secret>`, the prefix 8 letters and digits to recognise the key by."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    return prefix, f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


# ---------------------------------------------------------------------------------------------
# Accounts

_Row = TypeVar("_Row", Account, ApiKey, Organization, Person)


async def _by_id(session: AsyncSession, model: type[_Row], ident: int) -> _Row | None:
    if not 0 < ident <= MAX_ID:
        return None
    return await session.get(model, ident)


async def get_account(session: AsyncSession, account_id: int) -> Account:
    account = await _by_id(session, Account, account_id)
    if account is None:
        raise AccountNotFound(f"No account with id {account_id}.")
    return account


async def _check_account(
    session: AsyncSession, *, roles: Sequence[str], org_ids: Sequence[int], person_id: int | None,
    new_org_ids: set[int],
) -> None:
    """Representatives speak for at least one organization; every organization and the person exist."""
    errors: list[FieldError] = []
    if Role.service in roles:
        errors.append(field_error("roles", "'service' is the role of a calling service, not of an account"))
    if Role.representative in roles and not org_ids:
        errors.append(field_error("org_ids", "a representative speaks for at least one organization"))
    if len(org_ids) > MAX_ORG_IDS:
        errors.append(field_error("org_ids", f"at most {MAX_ORG_IDS} organizations"))
    elif org_ids:
        in_range = [i for i in org_ids if 0 < i <= MAX_ID]
        found = {o.id: o for o in (await session.exec(
            select(Organization).where(col(Organization.id).in_(in_range))))} if in_range else {}
        for org_id in org_ids:
            org = found.get(org_id)
            if org is None:
                errors.append(field_error("org_ids", f"no organization with id {org_id}"))
            elif org_id in new_org_ids and org.is_archived:
                errors.append(field_error("org_ids", f"organization {org_id} is archived"))
    if person_id is not None and await _by_id(session, Person, person_id) is None:
        errors.append(field_error("person_id", "no such person"))
    if errors:
        raise InvalidReference(errors=errors)


async def _check_login_free(session: AsyncSession, login: str) -> None:
    if (await session.exec(select(col(Account.id)).where(col(Account.login) == login))).first() is not None:
        raise DuplicateLogin(f"The login {login!r} is taken.", errors=[field_error("login", "already taken")])


async def create_account(session: AsyncSession, data: a.AccountCreate) -> Account:
    roles = [r.value for r in dict.fromkeys(data.roles)]
    org_ids = list(dict.fromkeys(data.org_ids))
    await _check_account(session, roles=roles, org_ids=org_ids, person_id=data.person_id, new_org_ids=set(org_ids))
    await _check_login_free(session, data.login)
    account = Account(login=data.login, display_name=data.display_name, roles=roles, org_ids=org_ids,
                      person_id=data.person_id, language=data.language,
                      password_hash=await hash_password(data.password))
    session.add(account)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same login created concurrently
        raise DuplicateLogin(f"The login {data.login!r} is taken.",
                             errors=[field_error("login", "already taken")]) from exc
    return account


def _is_active_admin(roles: Sequence[str], is_disabled: bool) -> bool:
    return Role.admin in roles and not is_disabled


async def _other_active_admins(session: AsyncSession, account_id: int) -> int:
    # roles is a JSON list we write ourselves, so its text holds "admin" (quoted) exactly when the role is there.
    rows = await session.exec(select(col(Account.roles)).where(
        col(Account.id) != account_id, col(Account.is_disabled).is_(False),
        cast(col(Account.roles), String).like('%"admin"%')))
    return sum(1 for roles in rows if Role.admin in roles)


async def update_account(session: AsyncSession, account: Account, data: a.AccountUpdate) -> Account:
    fields = data.model_dump(exclude_unset=True)
    for required in ("display_name", "password", "roles", "language", "is_disabled"):
        if required in fields and fields[required] is None:
            raise InvalidReference(errors=[field_error(required, "cannot be removed")])
    roles = [Role(r).value for r in dict.fromkeys(fields.get("roles", account.roles))]
    org_ids = list(dict.fromkeys(fields.get("org_ids", account.org_ids) or []))
    person_id = fields.get("person_id", account.person_id)
    is_disabled = fields.get("is_disabled", account.is_disabled)
    await _check_account(session, roles=roles, org_ids=org_ids, person_id=person_id,
                         new_org_ids=set(org_ids) - set(account.org_ids))
    if (_is_active_admin(account.roles, account.is_disabled) and not _is_active_admin(roles, is_disabled)
            and await _other_active_admins(session, account.id or 0) == 0):
        raise LastAdmin("Another active admin account must exist before this one is disabled or loses the admin "
                        "role.")
    now = utcnow()
    ends_sessions = "password" in fields or (is_disabled and not account.is_disabled)
    with session.no_autoflush:
        if "display_name" in fields:
            account.display_name = fields["display_name"]
        if "language" in fields:
            account.language = fields["language"]
        if "password" in fields:
            account.password_hash = await hash_password(fields["password"])
        account.roles, account.org_ids, account.person_id, account.is_disabled = roles, org_ids, person_id, is_disabled
        account.updated_at = now
    try:
        await session.flush()
    except StaleDataError as exc:  # changed by another request between our read and this write
        raise PreconditionFailed("The account changed meanwhile; read it again and retry.") from exc
    if ends_sessions:
        # A disabled account, or one whose password was reset, is signed out everywhere.
        await revoke_sessions(session, account.id or 0, now)
    return account


async def list_accounts(
    session: AsyncSession, *, q: str | None, role: Role | None, is_disabled: bool | None, limit: int,
    cursor: str | None,
) -> tuple[list[Account], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if q and q.strip():
        conditions.append(col(Account.login).like(f"%{like_escape(q.strip().lower())}%", escape="\\"))
    if role is not None:
        conditions.append(cast(col(Account.roles), String).like(f'%"{role.value}"%'))
    if is_disabled is not None:
        conditions.append(col(Account.is_disabled).is_(is_disabled))
    if cursor:
        (last,) = decode_cursor(cursor, 1, [str])
        conditions.append(col(Account.login) > last)
    rows = list(await session.exec(select(Account).where(*conditions).order_by(col(Account.login)).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].login]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# ---------------------------------------------------------------------------------------------
# Login sessions


async def revoke_sessions(session: AsyncSession, account_id: int, now: datetime | None = None) -> None:
    await session.exec(
        update(LoginSession)
        .where(col(LoginSession.account_id) == account_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


async def login(session: AsyncSession, data: a.LoginRequest, ttl: timedelta) -> tuple[LoginSession, Account, str]:
    """A new session for the right login and password; returns the token, which is stored only as its hash."""
    account = (await session.exec(select(Account).where(col(Account.login) == data.login))).first()
    if account is None:
        await _password_matches(_dummy_hash(), data.password)
        raise LoginFailed()
    if not await _password_matches(account.password_hash, data.password):
        raise LoginFailed()
    # Checked after the password, so only someone who knows it learns that the account is disabled.
    if account.is_disabled:
        raise AccountDisabled()
    if PASSWORDS.check_needs_rehash(account.password_hash):
        # A plain UPDATE guarded by the old hash: it neither bumps the version (no ETag change for the admin) nor
        # overwrites a password an admin set meanwhile.
        old, new = account.password_hash, await hash_password(data.password)
        await session.exec(
            update(Account).where(col(Account.id) == account.id, col(Account.password_hash) == old)
            .values(password_hash=new).execution_options(synchronize_session=False))
    now = utcnow()
    await session.exec(
        delete(LoginSession).where(
            col(LoginSession.account_id) == account.id,
            (col(LoginSession.expires_at) < now - ENDED_SESSION_RETENTION)
            | (col(LoginSession.revoked_at) < now - ENDED_SESSION_RETENTION)))
    token = secrets.token_urlsafe(32)
    row = LoginSession(account_id=account.id or 0, token_hash=sha256(token), created_at=now, expires_at=now + ttl,
                       last_seen_at=now)
    session.add(row)
    await session.flush()
    return row, account, token


async def _session_by_token(session: AsyncSession, token: str) -> LoginSession | None:
    return (await session.exec(select(LoginSession).where(col(LoginSession.token_hash) == sha256(token)))).first()


async def current_session(session: AsyncSession, token: str | None) -> tuple[LoginSession, Account]:
    """The live session behind `token`, refused when unknown, expired, revoked or its account disabled."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SessionInvalid()
    row = await _session_by_token(session, token)
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise SessionInvalid()
    account = await session.get(Account, row.account_id)
    if account is None or account.is_disabled:
        raise SessionInvalid()
    if row.last_seen_at <= now - TOUCH_INTERVAL:
        row.last_seen_at = now
        await session.flush()
    return row, account


async def logout(session: AsyncSession, token: str | None) -> None:
    """Ends the session behind `token`; ending an unknown or ended one is not an error (logout is idempotent)."""
    if not token:
        raise SessionInvalid()
    row = await _session_by_token(session, token)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()


# ---------------------------------------------------------------------------------------------
# API keys


async def get_api_key(session: AsyncSession, key_id: int) -> ApiKey:
    key = await _by_id(session, ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key with id {key_id}.")
    return key


async def create_api_key(session: AsyncSession, data: a.ApiKeyCreate, created_by: int | None) -> tuple[ApiKey, str]:
    org = await _by_id(session, Organization, data.org_id)
    if org is None:
        raise InvalidReference(errors=[field_error("org_id", "no such organization")])
    if not org_is_active(org):
        raise InvalidReference(errors=[field_error("org_id", "the organization is archived or dissolved")])
    prefix, secret = new_api_key()
    key = ApiKey(name=data.name, org_id=data.org_id, scopes=[s.value for s in dict.fromkeys(data.scopes)],
                 prefix=prefix, key_hash=sha256(secret), created_by=created_by)
    session.add(key)
    await session.flush()
    return key, secret


async def verify_api_key(session: AsyncSession, secret: str) -> ApiKey:
    """The key behind `secret` if it is live and its organization still active; notes when it was last used."""
    if not secret.startswith(API_KEY_PREFIX):
        raise ApiKeyInvalid()
    key = (await session.exec(select(ApiKey).where(col(ApiKey.key_hash) == sha256(secret)))).first()
    if key is None or key.revoked_at is not None:
        raise ApiKeyInvalid()
    org = await session.get(Organization, key.org_id)
    if org is None or not org_is_active(org):
        raise ApiKeyInvalid()
    now = utcnow()
    if key.last_used_at is None or key.last_used_at <= now - TOUCH_INTERVAL:
        key.last_used_at = now
        await session.flush()
    return key


async def revoke_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


async def list_api_keys(
    session: AsyncSession, *, org_id: int | None, include_revoked: bool, limit: int, cursor: str | None,
) -> tuple[list[ApiKey], str | None]:
    conditions: list[Any] = []
    if org_id is not None:
        conditions.append(col(ApiKey.org_id) == org_id)
    if not include_revoked:
        conditions.append(col(ApiKey.revoked_at).is_(None))
    if cursor:
        (last,) = decode_cursor(cursor, 1, [int])
        conditions.append(col(ApiKey.id) > last)
    rows = list(await session.exec(select(ApiKey).where(*conditions).order_by(col(ApiKey.id)).limit(limit + 1)))
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor
