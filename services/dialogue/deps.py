"""Dependencies of the dialogue service: settings, the registry client, lookups that can 404."""

from typing import Annotated

from fastapi import Depends, Path, Request

from services.common.deps import (
    ActorDep,
    AdminDep,
    EditorDep,
    LanguageDep,
    MaybeActorDep,
    SessionDep,
    idempotency_dependency,
    is_editor,
)
from services.common.http import Idempotency
from services.common.openapi import declares
from services.dialogue import plans, recommendations, sessions
from services.dialogue.db import idempotency
from services.dialogue.models import ActionPlan, DialogueSession, Recommendation
from services.dialogue.orgs_client import OrgsClient
from services.dialogue.settings import DialogueSettings

# Re-exported for the routers, beside this module's own dependencies.
__all__ = ["ActorDep", "AdminDep", "EditorDep", "LanguageDep", "MaybeActorDep", "SessionDep", "idempotency_dependency",
           "is_editor"]


def get_settings(request: Request) -> DialogueSettings:
    settings: DialogueSettings = request.app.state.settings
    return settings


@declares(503)  # the registry down: writes that check addressees are refused
def get_orgs(request: Request) -> OrgsClient:
    client: OrgsClient = request.app.state.orgs
    return client


SettingsDep = Annotated[DialogueSettings, Depends(get_settings)]
OrgsDep = Annotated[OrgsClient, Depends(get_orgs)]
IdempotencyDep = Annotated[Idempotency, Depends(idempotency_dependency(idempotency))]


async def session_by_id(session_id: Annotated[int, Path(ge=1)], db: SessionDep,
                        actor: MaybeActorDep) -> DialogueSession:
    """Drafts are private: only coordinators and admins see a session before it is scheduled."""
    return await sessions.get_session(db, session_id, include_drafts=is_editor(actor))


async def recommendation_by_id(recommendation_id: Annotated[int, Path(ge=1)], db: SessionDep,
                               actor: MaybeActorDep) -> Recommendation:
    return await recommendations.get_recommendation(db, recommendation_id, include_drafts=is_editor(actor))


async def plan_by_id(plan_id: Annotated[int, Path(ge=1)], db: SessionDep) -> ActionPlan:
    return await plans.get_plan(db, plan_id)


DialogueSessionDep = Annotated[DialogueSession, Depends(session_by_id)]
RecommendationDep = Annotated[Recommendation, Depends(recommendation_by_id)]
PlanDep = Annotated[ActionPlan, Depends(plan_by_id)]
