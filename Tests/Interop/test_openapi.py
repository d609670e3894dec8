"""`openapi.yaml` (repository root) is a valid OpenAPI document, and the live server keeps to it.

Schemathesis generates requests from the document for every operation and checks each answer:
no 5xx, a documented status, the documented content type and headers, a body that matches the
response schema. The number of examples per operation is bounded to keep the run short.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from conftest import REPO
from floe_server import FloeLauncher, FloeServer

SPEC = REPO / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_openapi_document_is_valid():
    document, _ = read_from_filename(str(SPEC))
    validate(document)


def test_openapi_document_describes_every_route():
    document, _ = read_from_filename(str(SPEC))
    routes = {(method.upper(), path) for path, item in document["paths"].items() for method in item
              if method in ("get", "post", "put", "delete", "patch", "options")}
    wanted = {("POST", p) for p in ["/v1/batch", "/v1/import", "/v1/b", "/beacon/v1/batch", "/events", "/events/batch", "/debug/flush",
                                    "/debug/flush/{type}"]}
    wanted |= {("POST", f"/v1/{kind}") for kind in ["track", "identify", "page", "screen", "group", "alias",
                                                    "t", "i", "p", "s", "g", "a"]}
    wanted |= {("GET", p) for p in ["/health", "/health/ready", "/metrics", "/debug/status", "/debug/status/{type}",
                                    "/debug/list-r2"]}
    assert routes == wanted, f"missing {sorted(wanted - routes)}, unexpected {sorted(routes - wanted)}"
    schemes = set(document["components"]["securitySchemes"])
    assert {"bearerAuth", "basicAuth", "apiKeyAuth"} <= schemes, schemes


@pytest.fixture(scope="module")
def spec_server(floe_launcher: FloeLauncher):
    server = floe_launcher.new("openapi").start()
    yield server
    server.stop()


SCHEMA = schemathesis.openapi.from_path(SPEC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


# Negative cases (data that does not fit the document) only where there is a body to spoil.
CASES = [(operation, mode) for operation in OPERATIONS for mode in GenerationMode
         if mode == GenerationMode.POSITIVE or len(operation.body) > 0]


@pytest.mark.parametrize("operation,mode", CASES, ids=[f"{op.label} {mode}" for op, mode in CASES])
def test_the_server_keeps_to_the_openapi_document(spec_server: FloeServer, operation, mode: GenerationMode):
    """Up to 25 generated requests per operation, fitting the document (positive) or not (negative).

    Schemathesis' pytest loader (`schemathesis.pytest.from_fixture`) does not run on pytest 9, so the
    operation's Hypothesis strategy is driven directly; the checks are the same."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=spec_server.url, checks=CHECKS, timeout=30)

    run()
