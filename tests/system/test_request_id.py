"""One request's id, sent to the gateway as X-Request-ID, is found in the logs of all three services."""

from __future__ import annotations

import time
import uuid

import httpx

from services.contracts.auth import Role
from tests.system.conftest import System
from tests.system.steps import create_org


class TestRequestId:
    def test_the_gateways_request_id_reaches_every_services_log(self, system: System) -> None:
        akimat = create_org(system, "Акимат Абайской области", region_code="100000000")
        with httpx.Client(base_url=system.dialogue.url, headers=system.headers(Role.coordinator), timeout=10) as api:
            r = api.post("/v1/recommendations", json={"text": "Открыть общественную приёмную",
                                                      "addressee_ids": [akimat]})
            assert r.status_code == 201, r.text
            rec_id = r.json()["id"]
            for status in ("adopted", "sent"):
                assert api.post(f"/v1/recommendations/{rec_id}/transitions", json={"status": status}).status_code == 200

        request_id = f"system-{uuid.uuid4().hex}"
        # The recommendation's page asks dialogue for the recommendation and the registry for its addressee.
        page = httpx.get(f"{system.gateway.url}/recommendations/{rec_id}", headers={"X-Request-ID": request_id},
                         timeout=15)
        assert page.status_code == 200, page.text
        assert page.headers.get("x-request-id") == request_id

        deadline = time.monotonic() + 10
        missing = ["orgs", "dialogue", "gateway"]
        while missing and time.monotonic() < deadline:
            missing = [name for name in missing if request_id not in system.services[name].log_text()]
            time.sleep(0.2)
        assert not missing, f"the request id {request_id} is not in the log of {missing}"
