"""Every error of the ERP mock is Business Central's ``{"error": {"code", "message"}}`` with
BC's code and status, whoever raises it (a route, the body parser, routing itself); only the
token endpoint, which is Entra ID's, keeps its RFC 6749 errors."""

from __future__ import annotations

import httpx
import pytest

from contracts.specs import load
from tests.mocks.test_behaviour import ErpWorld
from tests.support.contracts import bc_error, problem


@pytest.fixture(scope="module")
def world() -> ErpWorld:
    return ErpWorld()


def _raw(world: ErpWorld) -> httpx.Client:
    """A client that does not check answers against the spec (to send what it refuses)."""
    return httpx.Client(transport=world.erp.app.transport(), base_url="http://x")


def test_routing_errors_in_bcs_words(world: ErpWorld) -> None:
    with _raw(world) as http:
        missing = http.get("/api/v2.0/nowhere")
        assert "no route" in bc_error(missing, 404, "BadRequest_ResourceNotFound")
        wrong = http.delete(f"{world.co}/customers")
        bc_error(wrong, 405, "BadRequest_MethodNotAllowed")
        assert "POST" in wrong.headers["allow"]
        record = http.get(f"{world.co}/customers(00000000-0000-0000-0000-000000000000)")
        bc_error(record, 404, "Internal_RecordNotFound")


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        (
            {"displayName": "x" * 101, "country": "DE", "currencyCode": "EUR"},
            "Application_StringExceededLength",
            "displayName",
        ),
        *(
            (
                {"displayName": "x", "country": "DE", "currencyCode": "EUR", field: "x" * (n + 1)},
                "Application_StringExceededLength",
                field,
            )
            # BC's Customer table lengths (contracts/erp.yaml cites them)
            for field, n in [
                ("addressLine1", 100),
                ("city", 30),
                ("state", 30),
                ("postalCode", 20),
                ("email", 80),
                ("taxRegistrationNumber", 20),
            ]
        ),
        (
            {"displayName": "x", "currencyCode": "EUR"},
            "BadRequest_RequiredParamNotProvided",
            "country",
        ),
        (
            {"displayName": "x", "country": "DE", "currencyCode": "EUR", "vat": 1},
            "BadRequest",
            "vat",
        ),
        ({"displayName": 7, "country": "DE", "currencyCode": "EUR"}, "BadRequest", "displayName"),
        (
            {"displayName": "x", "country": "Germany", "currencyCode": "EUR"},
            "Application_DialogException",
            "country",
        ),
    ],
)
def test_a_refused_body_is_400_with_bcs_code_naming_the_field(
    world: ErpWorld, body: dict[str, object], code: str, named: str
) -> None:
    """Never a 422: BC refuses every body 400, its code telling why."""
    with _raw(world) as http:
        answer = http.post(f"{world.co}/customers", json=body)
    assert named in bc_error(answer, 400, code)


def test_texts_at_bcs_lengths_are_taken(world: ErpWorld) -> None:
    """The longest values BC's Customer table holds are accepted, and the spec says the same."""
    longest = {"addressLine1": 100, "city": 30, "state": 30, "postalCode": 20, "email": 80,
               "taxRegistrationNumber": 20}  # fmt: skip
    body = {"displayName": "x", "country": "DE", "currencyCode": "EUR"}
    body |= {field: "x" * n for field, n in longest.items()}
    with _raw(world) as http:
        assert http.post(f"{world.co}/customers", json=body).status_code == 201
    schemas = load("erp")["components"]["schemas"]
    declared = schemas["CustomerCreate"]["properties"]
    assert {field: declared[field]["maxLength"] for field in longest} == longest
    patchable = schemas["CustomerUpdate"]["properties"]
    assert {f: patchable[f]["maxLength"] for f in longest if f in patchable} == {
        f: n for f, n in longest.items() if f != "postalCode"
    }


def test_media_type_and_json_errors_in_bcs_words(world: ErpWorld) -> None:
    with _raw(world) as http:
        text = http.post(
            f"{world.co}/customers", content=b"{}", headers={"content-type": "text/plain"}
        )
        bc_error(text, 415, "BadRequest")
        broken = http.post(
            f"{world.co}/customers", content=b"{", headers={"content-type": "application/json"}
        )
        assert "not valid JSON" in bc_error(broken, 400, "BadRequest")


def test_the_token_endpoint_keeps_rfc_6749_errors(world: ErpWorld) -> None:
    """Entra ID issues BC's tokens: its errors are OAuth's, not BC's."""
    with _raw(world) as http:
        answer = http.post(world.erp.auth.token_path, data={"grant_type": "password"})
    assert problem(answer, 400)["errors"][0]["message"] == "unsupported_grant_type"
