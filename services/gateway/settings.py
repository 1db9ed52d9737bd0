"""Settings of the gateway (environment variables prefixed GATEWAY_)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import DEV_SECRET, PRIVATE_NETWORKS, LogFormat, LogLevel, check_networks

DEV_SESSION_SECRET = "ashyq-development-session-secret-change-me"  # noqa: S105 - refused outside development
REPO_ROOT = Path(__file__).resolve().parents[2]


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore",
                                      secrets_dir=os.environ.get("ASHYQ_SECRETS_DIR"))

    environment: Literal["development", "test", "production"] = "development"
    orgs_url: str = "http://127.0.0.1:8001"
    dialogue_url: str = "http://127.0.0.1:8002"
    upstream_timeout_seconds: float = Field(5.0, gt=0)
    service_secret: SecretStr = SecretStr(DEV_SECRET)
    service_token_ttl_seconds: int = Field(60, ge=10, le=600)
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    session_max_age_seconds: int = Field(12 * 3600, ge=60)
    # A disabled account or a revoked login session is noticed within this time.
    session_revalidate_seconds: float = Field(60, ge=0, le=60)
    login_attempts_per_minute: int = Field(5, ge=1)
    # Live console: each open screen's stream asks the dialogue service this often whether anything changed
    # (writes through this process wake its streams at once), and a process serves at most this many streams.
    live_poll_seconds: float = Field(1.0, ge=0.2, le=30)
    live_max_streams: int = Field(200, ge=1, le=10000)
    live_heartbeat_seconds: float = Field(15, ge=1, le=300)
    # The public API trusts what the registry said about an API key this long: a revoked key stops within it.
    api_key_cache_seconds: float = Field(30, ge=0, le=60)
    # Public pages (visitors not signed in) and public API reads are shared for this long; a write through this
    # process drops every copy at once; writes made elsewhere show within it. 0 turns it off
    # (services/gateway/public_copies.py).
    public_copy_seconds: float = Field(3.0, ge=0, le=60)
    web_dir: Path = REPO_ROOT / "web"
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"  # one JSON object per line; "console" reads better in a terminal
    # /metrics answers these clients only: this port is the public site (see services/common/metrics.py).
    metrics_allow_from: list[str] = Field(default_factory=lambda: list(PRIVATE_NETWORKS))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("metrics_allow_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return check_networks(value)

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> GatewaySettings:
        if self.environment == "production":
            if self.service_secret.get_secret_value() == DEV_SECRET:
                raise ValueError("service_secret must be set in production (the development default is public)")
            if self.session_secret.get_secret_value() == DEV_SESSION_SECRET:
                raise ValueError("session_secret must be set in production (the development default is public)")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production"
