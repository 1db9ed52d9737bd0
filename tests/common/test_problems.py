"""Every error leaves a service as application/problem+json, whatever raised it."""

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.orm.exc import StaleDataError

from services.common.problems import Conflict, install_problem_handlers, problem_body
from services.contracts.problems import FieldError


class Body(BaseModel):
    count: int


@pytest.fixture
async def client():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already there.", errors=[FieldError(field="bin", message="already registered")],
                       existing_id=3)

    @app.get("/http")
    async def http() -> None:
        raise HTTPException(status_code=403, detail="Not yours.")

    @app.patch("/stale")
    async def stale() -> None:
        raise StaleDataError("UPDATE statement on table 'organization' expected to update 1 row(s); 0 were matched.")

    @app.post("/body")
    async def body(payload: Body) -> Body:
        return payload

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    return body


class TestProblemHandlers:
    async def test_domain_error_keeps_its_fields_and_extras(self, client):
        body = problem(await client.get("/conflict"), 409)
        assert body == {"type": "https://ashyq.kz/problems/conflict", "title": "Conflict", "status": 409,
                        "detail": "Already there.", "errors": [{"field": "bin", "message": "already registered"}],
                        "existing_id": 3}

    async def test_http_exception_becomes_a_problem(self, client):
        assert problem(await client.get("/http"), 403)["detail"] == "Not yours."

    async def test_unknown_route_becomes_a_problem(self, client):
        problem(await client.get("/nowhere"), 404)

    async def test_validation_names_the_field_without_its_source(self, client):
        body = problem(await client.post("/body", json={"count": "many"}), 422)
        assert [e["field"] for e in body["errors"]] == ["count"]

    async def test_concurrent_change_with_if_match_is_412(self, client):
        problem(await client.patch("/stale", headers={"If-Match": '"1.1"'}), 412)

    async def test_concurrent_change_without_if_match_is_409(self, client):
        problem(await client.patch("/stale"), 409)

    async def test_crash_is_a_500_problem_without_internals(self, client):
        response = await client.get("/crash")
        body = problem(response, 500)
        assert "secret internals" not in response.text
        assert "Traceback" not in response.text
        assert body["title"] == "Internal server error"


class TestProblemBody:
    def test_minimal_body_has_type_title_status(self):
        assert problem_body(404, "Not found") == {"type": "about:blank", "title": "Not found", "status": 404}
