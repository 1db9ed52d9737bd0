"""Contract fuzzing of the dialogue service: every operation of its OpenAPI, fuzzed through the ASGI app as an
admin coordinator service (so writes are exercised), on SQLite and PostgreSQL, against the four seed events; the
registry it asks over HTTP is the real orgs service, in process."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from services.dialogue.app import app as documented_app
from tests.contract.conftest import ContractServices, known_path_parameters
from tests.contract.fuzz import fuzz, operation_labels

SESSIONS = "SELECT id AS session_id FROM dialogue_session"
RECOMMENDATIONS = "SELECT id AS recommendation_id FROM recommendation"
# Path parameters of records the seed events hold, so about half the cases reach an existing record.
KNOWN = {
    **{path: SESSIONS for path in (
        "/v1/sessions/{session_id}", "/v1/sessions/{session_id}/protocol.docx",
        "/v1/sessions/{session_id}/protocol.pdf", "/v1/sessions/{session_id}.ics",
        "/v1/sessions/{session_id}/transitions", "/v1/sessions/{session_id}/attendance",
        "/v1/sessions/{session_id}/head-counts", "/v1/sessions/{session_id}/agenda",
        "/v1/sessions/{session_id}/agenda/order", "/v1/sessions/{session_id}/agenda/current",
        "/v1/sessions/{session_id}/participants", "/v1/sessions/{session_id}/protocol",
        "/v1/sessions/{session_id}/protocol/publish", "/v1/sessions/{session_id}/protocol/corrections",
        "/v1/sessions/{session_id}/protocol/versions")},
    "/v1/sessions/{session_id}/agenda/{item_id}": "SELECT session_id, id AS item_id FROM agenda_item",
    "/v1/sessions/{session_id}/participants/{participant_id}":
        "SELECT session_id, id AS participant_id FROM participant",
    "/v1/sessions/{session_id}/participants/{participant_id}/check-in":
        "SELECT session_id, id AS participant_id FROM participant",
    "/v1/sessions/{session_id}/protocol/versions/{version}":
        "SELECT session_id, number_version AS version FROM protocol",
    "/v1/calendars/orgs/{org_id}.ics": "SELECT DISTINCT org_id FROM session_organizer",
    "/v1/calendars/regions/{kato}.ics": "SELECT DISTINCT region_code AS kato FROM dialogue_session "
                                        "WHERE region_code IS NOT NULL",
    **{path: RECOMMENDATIONS for path in (
        "/v1/recommendations/{recommendation_id}", "/v1/recommendations/{recommendation_id}/chain",
        "/v1/recommendations/{recommendation_id}/transitions", "/v1/recommendations/{recommendation_id}/responses",
        "/v1/recommendations/{recommendation_id}/progress", "/v1/recommendations/{recommendation_id}/escalations")},
    "/v1/action-plans/{plan_id}": "SELECT id AS plan_id FROM action_plan",
    "/v1/action-plans/{plan_id}/items": "SELECT id AS plan_id FROM action_plan",
    "/v1/action-plans/{plan_id}/items/{item_id}": "SELECT plan_id, id AS item_id FROM action_plan_item",
    "/v1/action-plans/{plan_id}/items/{item_id}/reports": "SELECT plan_id, id AS item_id FROM action_plan_item",
    "/v1/webhooks/{webhook_id}": "SELECT id AS webhook_id FROM webhook_subscription",
    "/v1/webhooks/{webhook_id}/deliveries": "SELECT id AS webhook_id FROM webhook_subscription",
    "/v1/webhook-deliveries/{delivery_id}/replay": "SELECT id AS delivery_id FROM webhook_delivery",
    "/v1/notification-preferences/{recipient_kind}/{recipient_id}":
        "SELECT 'org' AS recipient_kind, org_id AS recipient_id FROM recommendation_addressee",
}


def public_webhook_url(case: schemathesis.Case) -> schemathesis.Case:
    """A subscription body with a public address given as a literal, so the case gets past the destination check
    (random host names never resolve) to the rest of the rules and the database."""
    if isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = "https://93.184.216.34/hooks/ashyq"
    return case


TWEAKS = {"POST /v1/webhooks": public_webhook_url}


@pytest.fixture(scope="module")
def dialogue_contract(contract_services: ContractServices) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract_services.dialogue)
    return schema, known_path_parameters(contract_services.dialogue_url, KNOWN)


@pytest.mark.parametrize("label", operation_labels(documented_app.openapi()))
def test_operation_keeps_its_contract(dialogue_contract, label):
    schema, known = dialogue_contract
    fuzz(schema, label, known.get(label.split(" ", 1)[1], []), tweak=TWEAKS.get(label))
