"""HTTP routes of accounts, login sessions and API keys (`/v1/...`), called by the gateway with a service token."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from services.common.db import MAX_ID
from services.common.deps import MaybeActorDep, SessionDep, require
from services.common.http import Idempotency, check_if_match, set_etag
from services.common.openapi import declares
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT
from services.common.problems import Forbidden, Unauthorized
from services.contracts import accounts as a
from services.contracts.auth import Actor, Role
from services.orgs import accounts
from services.orgs.db import idempotency
from services.orgs.deps import IdempotencyDep, SettingsDep
from services.orgs.models import Account, ApiKey

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")]
# No length limit here: a token of the wrong length is simply unknown (401), not a validation error.
SessionToken = Annotated[str | None, Header(description="The token the login returned", alias="X-Session-Token")]
# Responses carrying a secret must not be kept by any cache on the way.
NO_STORE = "no-store"



@declares(401, 403)
async def _service(actor: MaybeActorDep) -> Actor:
    """A calling service: a token with the `service` role, or one naming its service (the `svc` claim).

    Only holders of the shared signing key can mint either, and the gateway names itself in every token it mints.
    A person's token (an admin's too) cannot check passwords or look up sessions and keys.
    """
    if actor is None:
        raise Unauthorized("This operation needs a service token.", headers={"WWW-Authenticate": "Bearer"})
    if not (actor.has(Role.service) or actor.service):
        raise Forbidden("Only a calling service (the gateway) may use this operation.")
    return actor


_admin = require(Role.admin)
AdminActor = Annotated[Actor, Depends(_admin)]

router = APIRouter(prefix="/v1")
# The role is checked before any lookup, so a caller without it cannot tell which ids exist.
auth = APIRouter(prefix="/auth", tags=["sign-in"], dependencies=[Depends(_service)])
admin = APIRouter(tags=["accounts"], dependencies=[Depends(_admin)])


async def account_by_id(account_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Account:
    return await accounts.get_account(session, account_id)


async def api_key_by_id(key_id: Annotated[int, Path(ge=1)], session: SessionDep) -> ApiKey:
    return await accounts.get_api_key(session, key_id)


AccountDep = Annotated[Account, Depends(account_by_id)]
ApiKeyDep = Annotated[ApiKey, Depends(api_key_by_id)]


# --- sign-in (service token) ---------------------------------------------------------------------

@auth.post("/login", response_model=a.LoginSession, status_code=status.HTTP_201_CREATED,
           summary="Check a login and password and open a session; the token is shown only here")
async def login(body: a.LoginRequest, session: SessionDep, settings: SettingsDep,
                response: Response) -> a.LoginSession:
    # No Idempotency-Key here: its replay store would keep the session token in clear.
    row, account, token = await accounts.login(session, body, timedelta(hours=settings.session_ttl_hours))
    response.headers["Cache-Control"] = NO_STORE
    return accounts.session_read(row, account, token)


@auth.get("/sessions/current", response_model=a.LoginSession,
          summary="The session behind X-Session-Token, with its account as it is now")
async def current_session(session: SessionDep, response: Response,
                          x_session_token: SessionToken = None) -> a.LoginSession:
    row, account = await accounts.current_session(session, x_session_token)
    response.headers["Cache-Control"] = NO_STORE
    return accounts.session_read(row, account)


@auth.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
async def logout(session: SessionDep, x_session_token: SessionToken = None) -> Response:
    await accounts.logout(session, x_session_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth.post("/api-keys/verify", response_model=a.ApiKeyRead,
           summary="The live API key behind a secret, or 401")
async def verify_api_key(body: a.ApiKeyVerify, session: SessionDep, response: Response) -> a.ApiKeyRead:
    response.headers["Cache-Control"] = NO_STORE
    return accounts.api_key_read(await accounts.verify_api_key(session, body.key))


# --- accounts (admin) ----------------------------------------------------------------------------

def _one_account(account: Account, response: Response) -> a.AccountRead:
    set_etag(response, account.id, account.version)
    return accounts.account_read(account)


@admin.get("/accounts", response_model=a.AccountPage)
async def list_accounts(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=120, description="Part of the login")] = None,
    role: Role | None = None, is_disabled: bool | None = None,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> a.AccountPage:
    rows, next_cursor = await accounts.list_accounts(session, q=q, role=role, is_disabled=is_disabled, limit=limit,
                                                     cursor=cursor)
    return a.AccountPage(items=[accounts.account_read(x) for x in rows], next_cursor=next_cursor)


@admin.post("/accounts", response_model=a.AccountRead, status_code=status.HTTP_201_CREATED)
async def create_account(body: a.AccountCreate, request: Request, session: SessionDep,
                         response: Response) -> Response | a.AccountRead:
    # The replay store fingerprints the request; a plain hash of a body holding the password would be a fast,
    # unsalted hash of it, so the fingerprint leaves the password out.
    idem = Idempotency(idempotency, session, request, body.model_dump_json(exclude={"password"}).encode())
    if (replay := await idem.replay()) is not None:
        return replay
    account = await accounts.create_account(session, body)
    read = _one_account(account, response)
    location = f"/v1/accounts/{account.id}"
    await idem.remember(201, read, location)
    response.headers["Location"] = location
    return read


@admin.get("/accounts/{account_id}", response_model=a.AccountRead)
async def read_account(account: AccountDep, response: Response) -> a.AccountRead:
    return _one_account(account, response)


@admin.patch("/accounts/{account_id}", response_model=a.AccountRead,
             summary="Change an account; disabling it or setting a new password signs it out everywhere")
async def update_account(account: AccountDep, body: a.AccountUpdate, request: Request, session: SessionDep,
                         response: Response) -> a.AccountRead:
    check_if_match(request, account.id, account.version)
    await accounts.update_account(session, account, body)
    return _one_account(account, response)


@admin.post("/accounts/{account_id}/sessions/revoke", status_code=status.HTTP_204_NO_CONTENT,
            summary="Sign an account out everywhere")
async def revoke_account_sessions(account: AccountDep, session: SessionDep) -> Response:
    await accounts.revoke_sessions(session, account.id or 0)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- API keys (admin) ----------------------------------------------------------------------------

@admin.post("/api-keys", response_model=a.ApiKeyCreated, status_code=status.HTTP_201_CREATED, tags=["api keys"],
            summary="Create an API key for an organization; the key is shown only in this response")
async def create_api_key(body: a.ApiKeyCreate, actor: AdminActor, session: SessionDep, idem: IdempotencyDep,
                         response: Response) -> a.ApiKeyCreated:
    if (replay := await idem.replay()) is not None:
        # The replay store keeps the key without its secret, which was shown once and cannot be shown again.
        key_id = json.loads(bytes(replay.body))["id"]
        raise accounts.ApiKeyAlreadyCreated(
            f"This Idempotency-Key already created API key {key_id}; its secret was shown once. If it was lost, "
            "revoke that key and create another.", api_key_id=key_id)
    key, secret = await accounts.create_api_key(session, body, actor.account_id)
    location = f"/v1/api-keys/{key.id}"
    await idem.remember(201, accounts.api_key_read(key), location)
    response.headers["Location"] = location
    response.headers["Cache-Control"] = NO_STORE
    return accounts.api_key_created(key, secret)


@admin.get("/api-keys", response_model=a.ApiKeyPage, tags=["api keys"])
async def list_api_keys(
    session: SessionDep,
    org_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    include_revoked: bool = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> a.ApiKeyPage:
    rows, next_cursor = await accounts.list_api_keys(session, org_id=org_id, include_revoked=include_revoked,
                                                     limit=limit, cursor=cursor)
    return a.ApiKeyPage(items=[accounts.api_key_read(k) for k in rows], next_cursor=next_cursor)


@admin.get("/api-keys/{key_id}", response_model=a.ApiKeyRead, tags=["api keys"])
async def read_api_key(key: ApiKeyDep) -> a.ApiKeyRead:
    return accounts.api_key_read(key)


@admin.delete("/api-keys/{key_id}", response_model=a.ApiKeyRead, tags=["api keys"],
              summary="Revoke an API key (the row stays, for the record); revoking twice changes nothing")
async def revoke_api_key(key: ApiKeyDep, session: SessionDep) -> a.ApiKeyRead:
    return accounts.api_key_read(await accounts.revoke_api_key(session, key))


router.include_router(auth)
router.include_router(admin)
