"""schemathesis against /api/v1/openapi.json on the served app: every operation, with a token of
the role it documents, valid and invalid input — zero 5xx, every answer as documented (status,
content type, headers, body schema), invalid input refused, and problem+json on every error.

Bounded (`EXAMPLES` cases a mode per operation, derandomized): part of `make test`, well under a
few minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from tests.fixtures.identity import purchase, subscribe
from tests.integration.api.conftest import PROBLEM, SERVICE_TOKEN

EXAMPLES = 12
TOKENS = {
    "user": "dev:shopper:fuzz-user",
    "service": SERVICE_TOKEN,
    "staff": "dev:admin:fuzz-admin",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app_overrides() -> dict:
    # A fuzzer sends many requests a second with one token: no limit gets in its way here
    # (the limits have their own tests).
    return {"MARKETPLACE_API_TOKENS": (SERVICE_TOKEN,), "API_RATE_LIMIT": "100000/minute"}


@pytest.fixture
def served(app, session, catalog) -> Iterator[str]:
    """The app served over HTTP on a free port, one request at a time (its database session
    is one rolled-back transaction), with a catalog, orders and a subscription to find."""
    purchase(session, "fuzz-user", catalog.tts)
    subscribe(session, "fuzz-user", catalog.stt)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def problem_json_on_errors(ctx, response, case) -> bool | None:
    """Every error under /api is application/problem+json with the RFC 9457 members."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), f"{response.status_code} answered {content_type}"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["status"] == response.status_code
    return True


def token_for(operation) -> dict[str, str]:
    schemes = [name for item in operation.definition.raw.get("security", []) for name in item]
    return {"Authorization": f"Bearer {TOKENS[schemes[0]]}"} if schemes else {}


def run_operation(operation, base_url: str, mode: GenerationMode) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case) -> None:
        headers = token_for(operation)
        if "Idempotency-Key" in (case.headers or {}) or operation.method.upper() == "POST":
            headers.setdefault("Content-Type", "application/json")
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=checks,
            additional_checks=[problem_json_on_errors],
        )

    try:
        exercise()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no parameters, no body).
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_every_operation_holds_to_the_document(served):
    schema = schemathesis.openapi.from_url(f"{served}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run_operation(operation, served, mode)
