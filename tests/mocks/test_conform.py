"""The mocks answer as their contracts say: every route is specified, and a body a spec refuses
the mock refuses too.

Each vendor's conformance sequence is a module of its own (``test_conform_crm``, ``_clm``,
``_psa``, ``_erp``): a realistic sequence (create, read, list across pages, update, bad
requests) through an httpx client whose response hook checks each answer against the spec:
the status must be declared, the media type too, and the body must match the declared schema;
a request the mock accepted must also satisfy the spec's request schema. The sequence must
touch every operation in the spec. The tax and payments mocks' are in ``test_tax_documents``
and ``test_payments_objects``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from mocks import ClmMock, CrmMock, ErpMock, PsaMock
from tests.support.conform import _psa_world, _terms
from tests.support.contracts import CONFORMED, Contract
from tests.support.mock_worlds import clock


def _mock(vendor: str) -> Any:
    if vendor == "erp":
        return ErpMock(clock)
    if vendor == "psa":
        return PsaMock(clock)  # Kantata pushes no webhooks: no sink
    return {"crm": CrmMock, "clm": ClmMock}[vendor](clock, lambda _: None)


@pytest.mark.parametrize("vendor", CONFORMED)
def test_mock_routes_equal_spec_operations(vendor: str) -> None:
    """Every route the mock registers is in the spec, and every spec operation is routed."""
    routes = {(method, pattern) for method, pattern in _mock(vendor).app.routes()}
    assert routes == Contract(vendor).operations()


def _world(vendor: str) -> tuple[Any, dict[str, str]]:
    """A mock with one record of each kind the write routes need, and concrete paths."""
    if vendor == "crm":
        crm = CrmMock(clock, lambda _: None)
        account = crm.create("default", "Account", {"Name": "Acme"})
        api = "/services/data/v60.0/sobjects"
        return crm, {"POST": f"{api}/Account", "PATCH": f"{api}/Account/{account}"}
    if vendor == "clm":
        clm = ClmMock(clock, lambda _: None)
        launch = {
            "template": "statementOfWork",
            "attributes": {"counterpartyName": "Acme", "opportunityId": "006"},
        }
        workflow = clm.app.handle(
            httpx.Request("POST", "http://x/public/api/v1/workflows", json=launch)
        )
        record = clm.execute("default", workflow.json()["id"], _terms())
        return clm, {
            "POST": "/public/api/v1/workflows",
            "PATCH": f"/public/api/v1/records/{record['id']}",
        }
    if vendor == "psa":
        psa, ids = _psa_world()
        ws = psa.app.handle(
            httpx.Request(
                "POST",
                "http://x/api/v1/workspaces",
                json={"workspace": {"title": "W", "currency": "EUR"}},
            )
        ).json()["results"][0]["id"]
        entry = psa.log_time("default", ids["user"], ws, date(2024, 3, 4), 60, "x")
        return psa, {
            "POST": "/api/v1/workspaces",
            "PUT": f"/api/v1/time_entries/{entry}",
            "POST invoices": "/api/v1/invoices",
        }
    erp = ErpMock(clock)
    co = erp.add_company("default", "ACME-DE", "DE", "EUR")
    journals = erp.app.handle(
        httpx.Request("GET", f"http://x/api/v2.0/companies({co})/customerPaymentJournals")
    ).json()["value"]
    return erp, {
        "POST customers": f"/api/v2.0/companies({co})/customers",
        "POST salesInvoices": f"/api/v2.0/companies({co})/salesInvoices",
        "POST customerPayments": (
            f"/api/v2.0/companies({co})/customerPaymentJournals({journals[0]['id']})"
            "/customerPayments"
        ),
        "POST salesCreditMemos": f"/api/v2.0/companies({co})/salesCreditMemos",
    }


_INVOICE_WITHOUT_LINES = {
    "customerId": "c",
    "invoiceDate": "2024-01-01",
    "currencyCode": "EUR",
    "salesInvoiceLines": [],
}
_CREDIT_MEMO_WITHOUT_CUSTOMER = {
    "creditMemoDate": "2024-01-01",
    "currencyCode": "EUR",
    "salesCreditMemoLines": [
        {
            "lineType": "Account",
            "lineObjectNumber": "40100",
            "description": "x",
            "quantity": 1,
            "unitPrice": 1,
        }
    ],
}
_PAYMENTS = (
    "/api/v2.0/companies({company_id})/customerPaymentJournals({journal_id})/customerPayments"
)


_ANSWERS_400 = ("erp", "crm", "clm")


@pytest.mark.parametrize(
    ("vendor", "route", "template", "body"),
    [
        ("crm", "POST", "/services/data/v60.0/sobjects/Account", {"Name": 5}),
        ("crm", "POST", "/services/data/v60.0/sobjects/Account", {"Name": "x", "Foo": 1}),
        ("crm", "PATCH", "/services/data/v60.0/sobjects/Account/{id}", {"Name": None}),
        ("clm", "POST", "/public/api/v1/workflows", {"template": "statementOfWork"}),
        ("clm", "PATCH", "/public/api/v1/records/{id}", {}),
        ("psa", "POST", "/api/v1/workspaces", {"workspace": {"title": "x", "currency": "eur"}}),
        ("psa", "PUT", "/api/v1/time_entries/{id}", {"time_entry": {"time_in_minutes": 1441}}),
        ("psa", "PUT", "/api/v1/time_entries/{id}", {"time_entry": {"billable": None}}),
        (
            "psa",
            "POST invoices",
            "/api/v1/invoices",
            {"invoice": {"workspace_id": "1", "invoice_date": "2024-03-31", "expense_ids": "1"}},
        ),
        (
            "erp",
            "POST customers",
            "/api/v2.0/companies({company_id})/customers",
            {"displayName": "x"},
        ),
        (
            "erp",
            "POST salesInvoices",
            "/api/v2.0/companies({company_id})/salesInvoices",
            _INVOICE_WITHOUT_LINES,
        ),
        (
            "erp",
            "POST customerPayments",
            _PAYMENTS,
            {"customerId": "c", "appliesToInvoiceId": "i", "amount": 0},
        ),
        ("erp", "POST customerPayments", _PAYMENTS, {"customerId": "c", "amount": 1}),
        ("erp", "POST customerPayments", _PAYMENTS, {"appliesToInvoiceNumber": None, "amount": 1}),
        (
            "erp",
            "POST salesCreditMemos",
            "/api/v2.0/companies({company_id})/salesCreditMemos",
            _CREDIT_MEMO_WITHOUT_CUSTOMER,
        ),
    ],
)
def test_spec_and_mock_reject_the_same_bodies(
    vendor: str, route: str, template: str, body: dict[str, Any]
) -> None:
    """A body the spec's request schema refuses is refused by the mock too: with the status
    its vendor answers (Kantata 422; Business Central and Salesforce 400; Ironclad as kept)."""
    spec = Contract(vendor)
    assert spec.rejects(route.split()[0], template, body)
    mock, paths = _world(vendor)
    with spec.client(mock.app) as http:
        status = http.request(route.split()[0], paths[route], json=body).status_code
        assert status == (400 if vendor in _ANSWERS_400 else 422)
