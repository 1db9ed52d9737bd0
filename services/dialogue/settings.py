"""Settings of the dialogue service (environment variables prefixed DIALOGUE_)."""

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, sqlite_url

TEMPLATES = Path(__file__).parent / "templates"


class DialogueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DIALOGUE_")

    orgs_url: str = "http://127.0.0.1:8001"
    orgs_timeout_seconds: float = 5.0
    response_days: int = 30  # default time a state body has to answer a recommendation
    overdue_sweep_seconds: float = 60.0

    # What leaves the system (issue 6): documents, calendars, e-mail, webhooks, the worker.
    public_url: str = "http://127.0.0.1:8000"  # the portal, for links in e-mails and calendar entries
    protocol_docx_template: Path = TEMPLATES / "protocol.docx"
    smtp_host: str = ""  # empty: e-mail is off (notices are recorded as skipped)
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "Ashyq <noreply@ashyq.kz>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0
    reminder_days: int = 5  # remind a body this many days before its response deadline
    digest_hour: int = 9  # local (Asia/Almaty) hour at which daily digests go out
    mail_max_attempts: int = 5
    webhook_max_attempts: int = 8
    webhook_retry_seconds: list[float] = Field(
        default_factory=lambda: [10.0, 60.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0])
    webhook_timeout_seconds: float = 10.0
    # Host names, addresses or networks (CIDR) exempt from the ban on private and loopback destinations.
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    worker_poll_seconds: float = 2.0
    worker_lease_seconds: float = 120.0
    worker_batch: int = 50

    @model_validator(mode="after")
    def _default_database(self) -> "DialogueSettings":
        if not self.database_url:
            self.database_url = sqlite_url("dialogue")
        return self
