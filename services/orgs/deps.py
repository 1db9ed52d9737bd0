"""Dependencies of the orgs service: session, acting account, language, lookups that can 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.http import Idempotency
from services.common.tokens import actor_dependencies
from services.contracts.auth import Actor, Role
from services.orgs import service
from services.orgs.db import idempotency
from services.orgs.models import Membership, Organization, Person
from services.orgs.settings import OrgsSettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def get_settings(request: Request) -> OrgsSettings:
    settings: OrgsSettings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[OrgsSettings, Depends(get_settings)]

optional_actor, require = actor_dependencies(
    lambda request: request.app.state.settings.service_secret.get_secret_value()
)
MaybeActorDep = Annotated[Actor | None, Depends(optional_actor)]
EditorDep = Annotated[Actor, Depends(require(Role.admin, Role.coordinator))]
AdminDep = Annotated[Actor, Depends(require(Role.admin))]

SUPPORTED_LANGUAGES = ("ru", "kk", "en")


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


async def get_idempotency(request: Request, session: SessionDep) -> Idempotency:
    return Idempotency(idempotency, session, request, await request.body())


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


async def org_by_id(org_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Organization:
    return await service.get_org(session, org_id)


async def person_by_id(person_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Person:
    return await service.get_person(session, person_id)


async def membership_by_id(membership_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Membership:
    return await service.get_membership(session, membership_id)


OrgDep = Annotated[Organization, Depends(org_by_id)]
PersonDep = Annotated[Person, Depends(person_by_id)]
MembershipDep = Annotated[Membership, Depends(membership_by_id)]
