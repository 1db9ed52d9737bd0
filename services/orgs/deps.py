"""Dependencies of the orgs service: settings, Idempotency-Key, lookups that can 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from services.common.deps import (
    AdminDep,
    EditorDep,
    LanguageDep,
    MaybeActorDep,
    SessionDep,
    idempotency_dependency,
)
from services.common.http import Idempotency
from services.orgs import service
from services.orgs.db import idempotency
from services.orgs.models import Membership, Organization, Person
from services.orgs.settings import OrgsSettings

# Re-exported for the routers, beside this module's own dependencies.
__all__ = ["AdminDep", "EditorDep", "LanguageDep", "MaybeActorDep", "SessionDep", "idempotency_dependency"]


def get_settings(request: Request) -> OrgsSettings:
    settings: OrgsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[OrgsSettings, Depends(get_settings)]
IdempotencyDep = Annotated[Idempotency, Depends(idempotency_dependency(idempotency))]


async def org_by_id(org_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Organization:
    return await service.get_org(session, org_id)


async def person_by_id(person_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Person:
    return await service.get_person(session, person_id)


async def membership_by_id(membership_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Membership:
    return await service.get_membership(session, membership_id)


OrgDep = Annotated[Organization, Depends(org_by_id)]
PersonDep = Annotated[Person, Depends(person_by_id)]
MembershipDep = Annotated[Membership, Depends(membership_by_id)]
