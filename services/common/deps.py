"""FastAPI dependencies every service shares: the transaction, the language, Idempotency-Key, the actor."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Table

from services.common.db import AsyncSession
from services.common.http import Idempotency
from services.common.openapi import declares
from services.common.tokens import actor_dependencies
from services.contracts.auth import Actor, Role

SUPPORTED_LANGUAGES = ("ru", "kk", "en")


@declares(503)  # the database down or restarting
async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The transaction of one request: committed when the route returns, rolled back on any error."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response is sent, so an acknowledged write is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_language(request: Request) -> str:
    """The first supported language in Accept-Language (kk, ru, en); Russian by default."""
    header = request.headers.get("accept-language", "")
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary == "kz":  # a common mistake for Kazakh
            primary = "kk"
        if primary in SUPPORTED_LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "ru"


LanguageDep = Annotated[str, Depends(get_language)]


def idempotency_dependency(table: Table) -> Callable[..., Coroutine[Any, Any, Idempotency]]:
    async def get_idempotency(request: Request, session: SessionDep) -> Idempotency:
        return Idempotency(table, session, request, await request.body())

    return get_idempotency


optional_actor, require = actor_dependencies(lambda request: request.app.state.settings.accepted_service_secrets())
MaybeActorDep = Annotated[Actor | None, Depends(optional_actor)]
ActorDep = Annotated[Actor, Depends(require())]
EditorDep = Annotated[Actor, Depends(require(Role.admin, Role.coordinator))]
AdminDep = Annotated[Actor, Depends(require(Role.admin))]


def is_editor(actor: Actor | None) -> bool:
    return actor is not None and actor.has(Role.admin, Role.coordinator)
