"""The contract fuzzer shared by the services' tests: schemathesis cases for one operation, sent through the ASGI
app, checked for server errors, schema, status and content-type conformance, and problem+json errors.

Schemathesis' own pytest integration (`from_fixture`) does not run under pytest 9 (it sets `Function._nodeid`,
which pytest 9 no longer has), so each operation is its own pytest test that runs a Hypothesis `@given` over
the operation's schemathesis strategy: positive cases (valid by the schema) and negative ones (invalid on purpose).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.common.tokens import issue_token
from services.contracts.auth import Actor, Role
from tests.conftest import TEST_SECRET

# Examples per operation for each way of drawing a case (positive or negative data; random ids or existing
# records; as generated or tweaked); ASHYQ_CONTRACT_EXAMPLES=50 makes a longer hunt.
MAX_EXAMPLES = int(os.environ.get("ASHYQ_CONTRACT_EXAMPLES", "5"))
# Fixed examples (derandomized) keep CI repeatable; ASHYQ_CONTRACT_RANDOM=1 draws new ones each run.
DERANDOMIZE = os.environ.get("ASHYQ_CONTRACT_RANDOM", "") != "1"
PROBLEM_JSON = "application/problem+json"


@schemathesis.check
def errors_are_problems(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool | None:
    """Every 4xx/5xx is RFC 9457 problem+json with type, title and the response's own status."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip().lower()
    if media_type != PROBLEM_JSON:
        raise AssertionError(f"{response.status_code} answered as {media_type or 'no content type'}, "
                             f"not {PROBLEM_JSON}: {response.text[:300]}")
    body = response.json()
    if not isinstance(body, dict):
        raise AssertionError(f"the problem is not a JSON object: {response.text[:300]}")
    if not isinstance(body.get("type"), str) or not isinstance(body.get("title"), str):
        raise AssertionError(f"the problem lacks a type or a title: {body}")
    if body.get("status") != response.status_code:
        raise AssertionError(f"the problem's status {body.get('status')} is not the response's {response.status_code}")
    for error in body.get("errors") or []:
        if not (isinstance(error, dict) and isinstance(error.get("field"), str)
                and isinstance(error.get("message"), str)):
            raise AssertionError(f"a field error lacks field or message: {error}")
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          errors_are_problems]


def operation_labels(openapi: Mapping[str, Any]) -> list[str]:
    """Every operation of an OpenAPI document as 'METHOD /path', for pytest ids."""
    return [f"{method.upper()} {path}" for path, item in openapi["paths"].items() for method in item
            if method in {"get", "put", "post", "patch", "delete"}]


def editor_headers() -> dict[str, str]:
    """A token able to write everywhere (a fresh one per call: a run outlasts a token's two minutes)."""
    actor = Actor(account_id=1, roles=[Role.admin, Role.coordinator, Role.service], service="contract-tests")
    return {"Authorization": f"Bearer {issue_token(actor, TEST_SECRET)}"}


def fuzz(schema: schemathesis.BaseSchema, label: str, known: Sequence[Mapping[str, Any]] = (),
         headers: Callable[[], dict[str, str]] = editor_headers,
         tweak: Callable[[schemathesis.Case], schemathesis.Case] | None = None) -> None:
    """Run positive and negative cases of one operation; `known` holds path parameters of existing records,
    drawn for about half the cases so the fuzzer reaches past 404; `tweak`, when given, also sends the cases
    changed by it (to get past a check random data never passes, e.g. a URL that must resolve)."""
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if known:
            strategies.append(st.sampled_from(list(known)).flatmap(
                lambda row, mode=mode: operation.as_strategy(generation_mode=mode, path_parameters=dict(row))))

    if tweak is not None:
        strategies += [strategy.map(tweak) for strategy in strategies]

    @settings(max_examples=MAX_EXAMPLES * len(strategies), deadline=None, derandomize=DERANDOMIZE, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=st.one_of(strategies))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers(), checks=CHECKS)

    run()
