"""The settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "ashyq-development-secret-change-me"  # noqa: S105 - refused outside development
# Who may read /metrics: loopback and private networks (the services' own network), not the public.
PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["json", "console"]


def check_networks(value: list[str]) -> list[str]:
    """Addresses or CIDR networks, refused at start-up when one is not."""
    import ipaddress

    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ValueError(f"not an address or network: {network!r}") from exc
    return value


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
    # Still accepted on incoming tokens (never used to sign) while a new service_secret rolls out service by
    # service (docs/operations.md, "Rotate secrets"); unset once every service signs with the new one.
    service_secret_previous: SecretStr | None = None
    service_token_ttl_seconds: int = 120
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"  # one JSON object per line; "console" reads better in a terminal
    metrics_allow_from: list[str] = Field(default_factory=lambda: list(PRIVATE_NETWORKS))
    metrics_cache_seconds: float = Field(5.0, ge=0)  # business gauges are read from the database at most this often

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("metrics_allow_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return check_networks(value)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> ServiceSettings:
        if self.environment == "production" and DEV_SECRET in self.accepted_service_secrets():
            raise ValueError("service_secret must be set in production (the development default is public)")
        return self

    def accepted_service_secrets(self) -> list[str]:
        """The secrets an incoming service token may be signed with: the current one, then the previous one."""
        previous = self.service_secret_previous.get_secret_value() if self.service_secret_previous else ""
        return [self.service_secret.get_secret_value(), *([previous] if previous else [])]
