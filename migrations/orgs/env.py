"""Alembic environment of the orgs service."""

from services.common.alembic_env import run
from services.orgs import models  # noqa: F401 - registers the tables on the metadata
from services.orgs.db import metadata
from services.orgs.settings import OrgsSettings

run(metadata, lambda: OrgsSettings().database_url)
