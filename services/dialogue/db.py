"""The dialogue service's own metadata and its table base class."""

from sqlmodel import SQLModel

from services.common.db import make_registry
from services.common.http import idempotency_table

dialogue_registry = make_registry()


class DialogueBase(SQLModel, registry=dialogue_registry):
    pass


metadata = DialogueBase.metadata
idempotency = idempotency_table(metadata)
