"""Our vendor contracts are valid OpenAPI 3.1 documents whose links and ids hang together."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from contracts.specs import PROTOCOLS
from mocks import Mount, build
from tests.support.contracts import CONTRACTED, CONTRACTS, METHODS, load_spec

_LOCATIONS = ("path", "query", "header", "cookie")
# A later version of a vendor's contract kept beside it for drift tests (erp-v2.yaml).
_VERSIONED = sorted(p for p in CONTRACTS.glob("*.yaml") if re.search(r"-v\d+$", p.stem))


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """operationId -> operation, over paths and webhooks."""
    found: dict[str, dict[str, Any]] = {}
    for section in ("paths", "webhooks"):
        for item in spec.get(section, {}).values():
            for method, operation in item.items():
                if method in METHODS:
                    assert operation["operationId"] not in found, operation["operationId"]
                    found[operation["operationId"]] = {**operation, "_item": item}
    return found


def test_every_vendor_has_a_contract() -> None:
    """contracts/ holds exactly one spec per mocked vendor, besides versioned drift copies and
    the sandbox's own protocols."""
    current = [p.stem for p in CONTRACTS.glob("*.yaml") if p not in _VERSIONED]
    assert sorted(current) == sorted((*CONTRACTED, *PROTOCOLS))
    assert all(re.sub(r"-v\d+$", "", p.stem) in CONTRACTED for p in _VERSIONED)


@pytest.mark.parametrize("path", _VERSIONED, ids=lambda p: p.name)
def test_versioned_contract_is_valid_openapi_31(path: Path) -> None:
    """A versioned drift copy of a vendor's spec is itself a valid OpenAPI 3.1 document."""
    spec = yaml.safe_load(path.read_text())
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_protocol_is_valid_openapi_31(protocol: str) -> None:
    """The design protocol passes openapi-spec-validator as an OpenAPI 3.1 document, and every
    operation says why it mirrors no vendor."""
    spec = load_spec(protocol)
    assert spec["openapi"].startswith("3.1.")
    validate(spec)
    operations = _operations(spec)
    assert operations
    assert all(len(op.get("x-sandbox-only", "")) > 20 for op in operations.values())


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_contract_is_valid_openapi_31(vendor: str) -> None:
    """The spec passes openapi-spec-validator as an OpenAPI 3.1 document."""
    spec = load_spec(vendor)
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_contract_names_its_real_vendor_and_deviations(vendor: str) -> None:
    """info.description says which vendor it mirrors and lists where it deviates."""
    description = load_spec(vendor)["info"]["description"]
    assert "Mirrors" in description
    assert "deviates" in description


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_links_point_at_real_operations_and_parameters(vendor: str) -> None:
    """Every link targets an existing operationId and only sets parameters it declares."""
    spec = load_spec(vendor)
    operations = _operations(spec)
    links = [
        link
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert links, f"{vendor}.yaml has no links for stateful testing"
    for link in links:
        target = operations[link["operationId"]]
        declared = {
            (p["in"], p["name"])
            for p in target.get("parameters", []) + target["_item"].get("parameters", [])
            for p in [_deref(spec, p)]
        }
        for name in link.get("parameters", {}):
            where, _, bare = name.partition(".")
            if where in _LOCATIONS:
                ok = (where, bare) in declared
            else:  # an unqualified name may be in any location
                ok = any(n == name for _, n in declared)
            assert ok, f"{vendor}: link to {link['operationId']} sets unknown parameter {name}"


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_every_operation_documents_tenant_header(vendor: str) -> None:
    """Every scoped operation accepts the X-Tenant header that selects the tenant when auth is
    not enforced (the token endpoint's tenant is the client's)."""
    spec = load_spec(vendor)
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS or operation.get("security") == []:
                continue
            names = {
                _deref(spec, p)["name"]
                for p in item.get("parameters", []) + operation.get("parameters", [])
            }
            assert "X-Tenant" in names, f"{method.upper()} {template} lacks X-Tenant"


# the vendors that answer in their own error shape (application/json): every one
NATIVE_ERRORS = ("erp", "crm", "tax", "payments", "psa", "clm")


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_error_responses_are_the_vendors_own(vendor: str) -> None:
    """Every 4xx response is declared in the vendor's own error shape as application/json
    (Business Central's, Salesforce's, AvaTax's, Stripe's, Kantata's, Ironclad's), but for the
    token endpoints' own 400 and 401 (RFC 6749 errors as problem documents) and `q2c serve`'s
    HTTP-level refusals where a spec declares them (413, 414, 431: ``sim.app._limits``,
    generic problem documents on every vendor, as the README's known differences say)."""
    spec = load_spec(vendor)
    native = vendor.startswith(NATIVE_ERRORS)
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    content = _deref(spec, response)["content"]
                    # the token endpoints, told apart by their path (a $batch is public too:
                    # its inner requests carry the scopes)
                    token = template.endswith("/token") and status in ("400", "401")
                    served = status in ("413", "414", "431")
                    generic = token or served
                    media = (
                        "application/json" if native and not generic else "application/problem+json"
                    )
                    assert list(content) == [media], f"{method.upper()} {template} {status}"
                    assert status != "422" or vendor == "psa", (template, status)  # Kantata's


def _deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _clock() -> datetime:
    return datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("vendor", CONTRACTED)
def test_mock_serves_its_own_spec(vendor: str) -> None:
    """GET /openapi.json answers the vendor's contract as JSON, equal to contracts/<vendor>.yaml."""
    app = build(vendor, _clock).app
    with httpx.Client(transport=app.transport(), base_url="http://mock") as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    expected = json.loads(json.dumps(load_spec(vendor), default=str))
    assert served == expected
    validate(served)


def test_mounted_spec_names_its_prefix() -> None:
    """Served under /erp, the spec's server is /erp, so its operations resolve under the mount."""
    served = build("erp", _clock)
    app = Mount({"erp": served.app})

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await http.get("/erp/openapi.json")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    assert [s["url"] for s in response.json()["servers"]] == ["/erp"]
    direct = httpx.Client(transport=served.app.transport(), base_url="http://mock")
    assert [s["url"] for s in direct.get("/openapi.json").json()["servers"]] == ["/"]
