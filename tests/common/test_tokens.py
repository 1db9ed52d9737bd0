"""Service tokens: short-lived signed JWTs naming the acting account and its roles."""

import jwt
import pytest

from services.common.problems import Unauthorized
from services.common.tokens import issue_token, read_token
from services.contracts.auth import Actor, Role

SECRET = "unit-test-secret-0123456789-abcdefghij"


class TestServiceToken:
    def test_round_trips_the_actor(self):
        actor = Actor(account_id=7, roles=[Role.representative, Role.member], org_ids=[3, 5], service="gateway")
        assert read_token(issue_token(actor, SECRET), SECRET) == actor

    def test_round_trips_an_anonymous_service_caller(self):
        actor = Actor(roles=[Role.service], service="dialogue")
        read = read_token(issue_token(actor, SECRET), SECRET)
        assert read.account_id is None
        assert read.roles == [Role.service]
        assert read.service == "dialogue"

    def test_is_short_lived(self):
        token = issue_token(Actor(account_id=1, roles=[Role.admin]), SECRET, ttl_seconds=120)
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="ashyq-services")
        assert claims["exp"] - claims["iat"] == 120

    def test_refuses_expired_token(self):
        token = issue_token(Actor(account_id=1, roles=[Role.admin]), SECRET, ttl_seconds=-60)
        with pytest.raises(Unauthorized, match="expired"):
            read_token(token, SECRET)

    def test_refuses_token_signed_with_another_secret(self):
        token = issue_token(Actor(account_id=1, roles=[Role.admin]), "another-secret-0123456789-abcdefghij")
        with pytest.raises(Unauthorized, match="not valid"):
            read_token(token, SECRET)

    def test_refuses_garbage(self):
        with pytest.raises(Unauthorized):
            read_token("not.a.token", SECRET)

    def test_refuses_token_for_another_audience(self):
        token = jwt.encode({"aud": "somebody-else", "roles": ["admin"]}, SECRET, algorithm="HS256")
        with pytest.raises(Unauthorized):
            read_token(token, SECRET)

    def test_refuses_unknown_role(self):
        token = jwt.encode({"aud": "ashyq-services", "roles": ["superuser"]}, SECRET, algorithm="HS256")
        with pytest.raises(Unauthorized, match="malformed"):
            read_token(token, SECRET)

    def test_refuses_unsigned_token(self):
        token = jwt.encode({"aud": "ashyq-services", "roles": ["admin"]}, key=None, algorithm="none")
        with pytest.raises(Unauthorized):
            read_token(token, SECRET)
