"""The vendors' own documented error answers validate against our specs' error schemas: a
client written against the real vendor's errors reads ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.contracts import Contract

REAL = Path(__file__).resolve().parents[3] / "shared" / "vendor-specs"

# Each vendor's documented example (consulted 2026-12-07), in the vendor's own words.
DOCUMENTED: list[tuple[str, str, Any]] = [
    # REST API Developer Guide, "Status Codes and Error Responses" (developer.salesforce.com/
    # docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm)
    ("crm", "Error", [{"fields": ["Id"], "errorCode": "MALFORMED_ID",
                       "message": "Account ID: id value of incorrect type: 001900K0001pPuOAAU"}]),
    # developer.kantata.com/kantata/specification/section/errors
    ("psa", "Errors", {"errors": [{"type": "oauth", "message": "Invalid OAuth 2 Request"}]}),
    ("psa", "Errors", {"errors": [
        {"type": "validation", "message": "Please give your project a title", "field": "title"},
        {"type": "validation", "message": "Please select a role for this project",
         "field": "creator_role"},
    ]}),
    # docs.stripe.com/api/errors (an invalid_request_error with code and param)
    ("payments", "Error", {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                     "param": "customer", "message": "No such customer: 'cus_x'",
                                     "doc_url": "https://stripe.com/docs/error-codes/resource-missing"}}),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "schema", "body"), DOCUMENTED)
def test_a_documented_error_validates(vendor: str, schema: str, body: Any) -> None:
    problems = Contract(vendor).errors(f"/components/schemas/{schema}", body)
    assert not problems, problems


def test_avataxs_own_example_error_validates() -> None:
    """The example error in AvaTax's spec (ErrorTransactionOutputModel.avataxErrorJson)."""
    spec = REAL / "avatax.yaml"
    if not spec.exists():
        pytest.skip(f"{spec} is not present")
    schemas = yaml.safe_load(spec.read_text())["components"]["schemas"]
    example = json.loads(
        schemas["ErrorTransactionOutputModel"]["properties"]["avataxErrorJson"]["example"]
    )
    problems = Contract("tax").errors("/components/schemas/Error", example)
    assert not problems, problems
