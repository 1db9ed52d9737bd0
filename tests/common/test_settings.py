"""Settings: defaults that run on a laptop, and no public default secret in production."""

import pytest
from pydantic import ValidationError

from services.common.settings import DEV_SECRET, ServiceSettings
from services.orgs.settings import OrgsSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("ORGS_ENVIRONMENT", "ORGS_SERVICE_SECRET", "ORGS_DATABASE_URL", "ENVIRONMENT", "SERVICE_SECRET",
                 "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASHYQ_DATA_DIR", str(tmp_path))


class TestProductionSecret:
    def test_refuses_default_secret_in_production(self):
        with pytest.raises(ValidationError, match="service_secret must be set in production"):
            OrgsSettings(environment="production")

    def test_refuses_default_secret_given_explicitly_in_production(self):
        with pytest.raises(ValidationError, match="service_secret"):
            ServiceSettings(environment="production", service_secret=DEV_SECRET)

    def test_refuses_default_secret_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("ORGS_ENVIRONMENT", "production")
        with pytest.raises(ValidationError, match="service_secret"):
            OrgsSettings()

    def test_accepts_a_real_secret_in_production(self, monkeypatch):
        monkeypatch.setenv("ORGS_ENVIRONMENT", "production")
        monkeypatch.setenv("ORGS_SERVICE_SECRET", "a-real-secret-from-the-vault-0123456789")
        settings = OrgsSettings()
        assert settings.environment == "production"
        assert settings.service_secret.get_secret_value() == "a-real-secret-from-the-vault-0123456789"

    def test_allows_default_secret_in_development(self):
        assert OrgsSettings().service_secret.get_secret_value() == DEV_SECRET

    def test_secret_is_not_shown_in_repr(self):
        settings = OrgsSettings(service_secret="do-not-print-me-0123456789")
        assert "do-not-print-me" not in repr(settings)


class TestOrgsDefaults:
    def test_database_defaults_to_sqlite_under_the_data_directory(self, tmp_path):
        assert OrgsSettings().database_url == f"sqlite:///{tmp_path / 'orgs.sqlite3'}"

    def test_reads_prefixed_environment(self, monkeypatch):
        monkeypatch.setenv("ORGS_DATABASE_URL", "postgresql://db/orgs")
        assert OrgsSettings().database_url == "postgresql://db/orgs"

    def test_republican_council_size_range_is_fifteen_to_thirty(self):
        assert OrgsSettings().council_size_republican == (15, 30)
