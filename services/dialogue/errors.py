"""Domain errors of the dialogue service."""

from collections.abc import Sequence

from services.common.problems import Conflict, Forbidden, NotFound, Unprocessable


class SessionNotFound(NotFound):
    title = "Session not found"
    slug = "session-not-found"


class AgendaItemNotFound(NotFound):
    title = "Agenda item not found"
    slug = "agenda-item-not-found"


class ParticipantNotFound(NotFound):
    title = "Participant not found"
    slug = "participant-not-found"


class ProtocolNotFound(NotFound):
    title = "Protocol not found"
    slug = "protocol-not-found"


class RecommendationNotFound(NotFound):
    title = "Recommendation not found"
    slug = "recommendation-not-found"


class PlanNotFound(NotFound):
    title = "Action plan not found"
    slug = "action-plan-not-found"


class IllegalTransition(Conflict):
    title = "This status change is not allowed"
    slug = "illegal-transition"

    def __init__(self, current: str, wanted: str, allowed: Sequence[str], detail: str | None = None) -> None:
        allowed_list = list(allowed)
        super().__init__(
            detail or f"Cannot go from '{current}' to '{wanted}'. Allowed from '{current}': "
            f"{', '.join(allowed_list) if allowed_list else 'nothing (final state)'}.",
            current=current, requested=wanted, allowed=allowed_list,
        )


class ProtocolFrozen(Conflict):
    title = "A published protocol cannot be edited"
    slug = "protocol-published"


class StateConflict(Conflict):
    title = "The record is not in a state that allows this"
    slug = "state-conflict"


class InvalidReference(Unprocessable):
    title = "A referenced record does not exist or cannot be used here"
    slug = "invalid-reference"


class NotYourBody(Forbidden):
    title = "You do not represent this body"
    slug = "not-your-body"
