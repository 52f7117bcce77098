"""The ERP's tax, as Business Central computes it through Avalara's AvaTax connector: the client
writes no tax; BC sends the document to the tax engine and writes what it answers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from mocks import ErpMock, TaxMock
from tests.support.contracts import Contract
from tests.support.mock_worlds import JSON, ErpWorld, _bc, _json


def _clock() -> datetime:
    return datetime(2026, 3, 31, tzinfo=UTC)


def _line(price: str, **extra: Any) -> dict[str, Any]:
    return {"lineType": "Account", "lineObjectNumber": "40100", "description": "[x@r/v1] work",
            "quantity": 1, "unitPrice": Decimal(price), **extra}  # fmt: skip


def _us_erp(connector: bool = True) -> tuple[ErpMock, httpx.Client, str, dict[str, str]]:
    """A Washington company and two customers: one in Washington, one in Oregon."""
    erp = ErpMock(_clock)
    if connector:
        erp.tax_connector = TaxMock(_clock).estimate
    company = erp.add_company("default", "ACME-US", "US", "USD", region="WA")
    http = Contract("erp").client(erp.app)
    co = f"/api/v2.0/companies({company})"
    customers = {}
    for state in ("WA", "OR"):
        body = {"displayName": f"Client {state}", "country": "US", "state": state,
                "currencyCode": "USD"}  # fmt: skip
        customers[state] = http.post(f"{co}/customers", json=body).json()["id"]
    return erp, http, co, customers


def _invoice(http: httpx.Client, co: str, customer: str, *lines: dict[str, Any]) -> httpx.Response:
    body = {"customerId": customer, "invoiceDate": "2026-03-31", "currencyCode": "USD",
            "salesInvoiceLines": list(lines)}  # fmt: skip
    return http.post(f"{co}/salesInvoices", content=_json(body), headers=JSON)


def test_the_connector_taxes_by_where_the_customer_is() -> None:
    """Ship-to is the customer's state: Washington taxes services (6.5% here), Oregon has no
    sales tax; a line coded NT (AvaTax's non-taxable code) is taxed nothing."""
    _, http, co, customers = _us_erp()
    wa = _invoice(http, co, customers["WA"], _line("1000"), _line("200", taxCode="NT")).json()
    assert [x["totalTaxAmount"] for x in wa["salesInvoiceLines"]] == [65, 0]
    assert (wa["totalTaxAmount"], wa["totalAmountIncludingTax"]) == (65, 1265)
    oregon = _invoice(http, co, customers["OR"], _line("1000")).json()
    assert oregon["totalTaxAmount"] == 0


def test_a_credit_memo_gives_its_tax_back_as_a_positive_amount() -> None:
    """A credit memo is sent as a return (negative amounts); its tax is stated positive."""
    _, http, co, customers = _us_erp()
    body = {"customerId": customers["WA"], "creditMemoDate": "2026-03-31",
            "currencyCode": "USD", "salesCreditMemoLines": [_line("100")]}  # fmt: skip
    memo = http.post(f"{co}/salesCreditMemos", content=_json(body), headers=JSON).json()
    assert (memo["totalTaxAmount"], memo["totalAmountIncludingTax"]) == (6.5, 106.5)


def test_without_a_connector_nothing_is_taxed() -> None:
    """An ERP set up with no tax calculation (a unit test's) computes no tax at all."""
    _, http, co, customers = _us_erp(connector=False)
    assert _invoice(http, co, customers["WA"], _line("1000")).json()["totalTaxAmount"] == 0


def test_a_refusal_of_the_tax_engine_is_bcs_400_and_keeps_nothing() -> None:
    """The connector's error surfaces as BC's: a 400 naming AvaTax; no invoice is made."""
    world = ErpWorld()
    customer = {"displayName": "Odd", "country": "US", "state": "NOT-A-STATE",
                "currencyCode": "EUR"}  # fmt: skip
    odd = world.http.post(f"{world.co}/customers", json=customer).json()["id"]
    response = world.create({**world.body(("1", "10", "10")), "customerId": odd})
    _bc(response, "AvaTax could not calculate the tax")
    assert world.erp.invoices("default") == []


def test_the_client_cannot_write_the_tax() -> None:
    """totalTaxAmount is computed by BC: sending it is the read-only refusal."""
    _, http, co, customers = _us_erp()
    response = _invoice(http, co, customers["WA"], _line("10", totalTaxAmount="0.65"))
    _bc(response, "Control 'totalTaxAmount' is read-only")
