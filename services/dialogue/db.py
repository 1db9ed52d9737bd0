"""The dialogue service's own metadata and its table base class."""

from sqlmodel import SQLModel

from services.common.db import get_by_id, make_registry
from services.common.http import idempotency_table

dialogue_registry = make_registry()


class DialogueBase(SQLModel, registry=dialogue_registry):
    pass


metadata = DialogueBase.metadata
idempotency = idempotency_table(metadata)

__all__ = ["DialogueBase", "get_by_id", "idempotency", "metadata"]
