"""The orgs service's own metadata and its table base class."""

from sqlmodel import SQLModel

from services.common.db import make_registry
from services.common.http import idempotency_table

orgs_registry = make_registry()


class OrgsBase(SQLModel, registry=orgs_registry):
    pass


metadata = OrgsBase.metadata
idempotency = idempotency_table(metadata)
