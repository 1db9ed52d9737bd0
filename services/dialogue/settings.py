"""Settings of the dialogue service (environment variables prefixed DIALOGUE_)."""

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, sqlite_url


class DialogueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DIALOGUE_")

    orgs_url: str = "http://127.0.0.1:8001"
    orgs_timeout_seconds: float = 5.0
    response_days: int = 30  # default time a state body has to answer a recommendation
    overdue_sweep_seconds: float = 60.0

    @model_validator(mode="after")
    def _default_database(self) -> "DialogueSettings":
        if not self.database_url:
            self.database_url = sqlite_url("dialogue")
        return self
