"""Rolling a new service secret out: a service accepts tokens signed with its previous secret, and only that one."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from services.common.problems import Unauthorized
from services.common.settings import DEV_SECRET
from services.common.tokens import issue_token, read_token
from services.contracts.auth import Actor, Role
from services.orgs.settings import OrgsSettings

OLD = "old-service-secret-0123456789-abcdefghij"
NEW = "new-service-secret-0123456789-abcdefghij"
OTHER = "some-other-secret-0123456789-abcdefghij"
ACTOR = Actor(account_id=3, roles=[Role.admin])


class TestReadTokenWithSeveralSecrets:
    def test_accepts_the_current_and_the_previous_secret(self):
        assert read_token(issue_token(ACTOR, NEW), [NEW, OLD]) == ACTOR
        assert read_token(issue_token(ACTOR, OLD), [NEW, OLD]) == ACTOR

    def test_refuses_any_other_secret(self):
        with pytest.raises(Unauthorized, match="not valid"):
            read_token(issue_token(ACTOR, OTHER), [NEW, OLD])

    def test_an_expired_token_is_expired_whichever_secret_signed_it(self):
        with pytest.raises(Unauthorized, match="expired"):
            read_token(issue_token(ACTOR, OLD, ttl_seconds=-60), [NEW, OLD])


class TestSettings:
    def test_previous_secret_is_accepted_after_the_current_one(self):
        settings = OrgsSettings(service_secret=NEW, service_secret_previous=OLD, database_url="sqlite://")
        assert settings.accepted_service_secrets() == [NEW, OLD]
        assert OrgsSettings(service_secret=NEW, database_url="sqlite://").accepted_service_secrets() == [NEW]

    def test_production_refuses_the_development_secret_as_the_previous_one(self):
        with pytest.raises(ValidationError, match="service_secret must be set in production"):
            OrgsSettings(environment="production", service_secret=NEW, service_secret_previous=DEV_SECRET,
                         database_url="sqlite://")


class TestService:
    async def test_a_service_in_the_middle_of_a_rotation_takes_both_and_nothing_else(self, orgs_database_url):
        from services.orgs.app import create_app

        app = create_app(OrgsSettings(database_url=orgs_database_url, service_secret=NEW,
                                      service_secret_previous=OLD, environment="test"))
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://orgs") as client):
            for secret, status in ((NEW, 200), (OLD, 200), (OTHER, 401)):
                r = await client.get("/v1/accounts", headers={"Authorization": f"Bearer {issue_token(ACTOR, secret)}"})
                assert r.status_code == status, (secret, r.text)
