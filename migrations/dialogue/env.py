"""Alembic environment of the dialogue service."""

from services.common.alembic_env import run
from services.dialogue import models  # noqa: F401 - registers the tables on the metadata
from services.dialogue.db import metadata
from services.dialogue.settings import DialogueSettings

run(metadata, lambda: DialogueSettings().database_url)
