"""The settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "ashyq-development-secret-change-me"  # noqa: S105 - refused outside development


def data_dir() -> Path:
    """Where the embedded default keeps its SQLite files (`./data` or ASHYQ_DATA_DIR)."""
    return Path(os.environ.get("ASHYQ_DATA_DIR", "data")).resolve()


def sqlite_url(name: str) -> str:
    return f"sqlite:///{data_dir() / (name + '.sqlite3')}"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", secrets_dir=os.environ.get("ASHYQ_SECRETS_DIR"))

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    service_secret: SecretStr = SecretStr(DEV_SECRET)
    service_token_ttl_seconds: int = 120
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.service_secret.get_secret_value() == DEV_SECRET:
            raise ValueError("service_secret must be set in production (the development default is public)")
        return self
