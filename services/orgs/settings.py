"""Settings of the orgs service (environment variables prefixed ORGS_)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, sqlite_url


class OrgsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORGS_")

    # Public-council composition rules. Law of RK "On public councils" No. 383-V, art. 9 p. 3: republican
    # councils have 15-30 members; local sizes are set by the model regulation, so they are settings.
    council_size_republican: tuple[int, int] = (15, 30)
    council_size_local: tuple[int, int] = (7, 30)
    council_civil_share: float = 2 / 3
    council_renewal_days: int = 61  # art. 9 p. 2: forming a new composition starts two months before the term ends
    import_max_bytes: int = 50 * 1024 * 1024
    session_ttl_hours: float = Field(12, gt=0)  # a login session ends this long after sign-in

    @model_validator(mode="after")
    def _default_database(self) -> "OrgsSettings":
        if not self.database_url:
            self.database_url = sqlite_url("orgs")
        return self
