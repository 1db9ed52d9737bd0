"""Signed service tokens: short-lived JWTs naming the acting account and its roles."""


from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from services.common.db import utcnow
from services.common.openapi import declares
from services.common.problems import Forbidden, Unauthorized
from services.contracts.auth import Actor, Role

ALGORITHM = "HS256"
AUDIENCE = "ashyq-services"


def issue_token(actor: Actor, secret: str, ttl_seconds: int = 120) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now - timedelta(seconds=5),
        "exp": now + timedelta(seconds=ttl_seconds),
        "roles": [str(r) for r in actor.roles],
        "orgs": actor.org_ids,
    }
    if actor.account_id is not None:
        claims["sub"] = str(actor.account_id)
    if actor.service:
        claims["svc"] = actor.service
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _decode(token: str, secrets: Sequence[str]) -> dict[str, Any]:
    """The claims, checked against each accepted secret in turn (the current one first)."""
    for secret in secrets[:-1]:
        try:
            return dict(jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, leeway=5))
        except jwt.InvalidSignatureError:
            continue
    return dict(jwt.decode(token, secrets[-1], algorithms=[ALGORITHM], audience=AUDIENCE, leeway=5))


def read_token(token: str, secret: str | Sequence[str]) -> Actor:
    """`secret` may list several: the current one, then one still accepted while a new one rolls out."""
    secrets = [secret] if isinstance(secret, str) else [s for s in secret if s]
    try:
        claims = _decode(token, secrets)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The service token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The service token is not valid.") from exc
    try:
        return Actor(
            account_id=int(claims["sub"]) if "sub" in claims else None,
            roles=[Role(r) for r in claims.get("roles", [])],
            org_ids=[int(o) for o in claims.get("orgs", [])],
            service=claims.get("svc"),
        )
    except (ValueError, TypeError) as exc:
        raise Unauthorized("The service token has malformed claims.") from exc


def actor_dependencies(
    get_secret: Callable[[Request], str | Sequence[str]],
) -> tuple[
    Callable[[Request], Coroutine[Any, Any, Actor | None]],
    Callable[..., Callable[..., Coroutine[Any, Any, Actor]]],
]:
    """Build `optional_actor` and `require(*roles)` dependencies for one service."""

    @declares(401)
    async def optional_actor(request: Request) -> Actor | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Use 'Authorization: Bearer <service token>'.")
        return read_token(token, get_secret(request))

    def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Actor]]:
        @declares(*((401, 403) if roles else (401,)))
        async def dependency(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
            if actor is None:
                raise Unauthorized("This operation needs a service token.", headers={"WWW-Authenticate": "Bearer"})
            if roles and not actor.has(*roles):
                raise Forbidden(f"This operation needs one of the roles: {', '.join(roles)}.")
            return actor

        return dependency

    return optional_actor, require
