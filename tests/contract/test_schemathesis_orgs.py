"""Contract fuzzing of the orgs service: every operation of its OpenAPI, fuzzed through the ASGI app as an admin
coordinator service (so writes are exercised), on SQLite and PostgreSQL, against the demo registry."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from services.orgs.app import app as documented_app
from tests.contract.conftest import ContractServices, known_path_parameters
from tests.contract.fuzz import fuzz, operation_labels

# Path parameters of records the demo data holds, so about half the cases reach an existing record.
KNOWN = {
    "/v1/regions/{code}": "SELECT code FROM region",
    "/v1/orgs/{org_id}": "SELECT id AS org_id FROM organization",
    "/v1/orgs/{org_id}/members": "SELECT id AS org_id FROM organization",
    "/v1/orgs/{org_id}/composition": "SELECT id AS org_id FROM organization WHERE kind = 'public_council'",
    "/v1/people/{person_id}": "SELECT id AS person_id FROM person",
    "/v1/memberships/{membership_id}": "SELECT id AS membership_id FROM membership",
    "/v1/accounts/{account_id}": "SELECT id AS account_id FROM account",
    "/v1/accounts/{account_id}/sessions/revoke": "SELECT id AS account_id FROM account",
    "/v1/api-keys/{key_id}": "SELECT id AS key_id FROM api_key",
}


@pytest.fixture(scope="module")
def orgs_contract(contract_services: ContractServices) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract_services.orgs)
    return schema, known_path_parameters(contract_services.orgs_url, KNOWN)


@pytest.mark.parametrize("label", operation_labels(documented_app.openapi()))
def test_operation_keeps_its_contract(orgs_contract, label):
    schema, known = orgs_contract
    fuzz(schema, label, known.get(label.split(" ", 1)[1], []))
