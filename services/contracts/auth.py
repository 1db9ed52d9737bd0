"""Who is acting: carried between services inside a short-lived signed token."""

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    representative = "representative"
    member = "member"
    service = "service"


class Actor(BaseModel):
    """The account on whose behalf a request is made.

    `org_ids` are the organizations a representative may speak for; `service` names the calling
    service for machine-to-machine reads.
    """

    account_id: int | None = None
    roles: list[Role] = []
    org_ids: list[int] = []
    service: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)
