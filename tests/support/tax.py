"""The tax engine mock as the tax tests drive it: a client whose response hook checks every
answer against ``contracts/tax.yaml`` (declared status and media type, body schema, and the
request schema for accepted writes), and the SalesInvoice bodies they send. Amounts are read
back as ``Decimal`` so that cents are compared exactly.

Shared here, not in one test module, because every ``tests/mocks/test_tax_*`` module sends the
same documents to the same kind of account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import simplejson

from mocks import TaxMock, TaxRules
from tests.support.contracts import Contract
from tests.support.mock_worlds import _json, clock

CREATE = "/api/v2/transactions/create"
ADJUST = "/api/v2/transactions/createoradjust"
CO = "/api/v2/companies/ACME-DE/transactions"
D = Decimal


def _addr(country: str, region: str | None = None) -> dict[str, Any]:
    return {"country": country} if region is None else {"country": country, "region": region}


def _doc(
    *amounts: str,
    code: str | None = "INV-1",
    seller: dict[str, Any] | None = None,
    buyer: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A SalesInvoice from ACME-DE (Berlin) to a German client, one line per amount."""
    body: dict[str, Any] = {
        "type": "SalesInvoice",
        "companyCode": "ACME-DE",
        "date": "2024-03-31",
        "customerCode": "CUST-1",
        "currencyCode": "EUR",
        "addresses": {
            "shipFrom": seller or {"line1": "Unter den Linden 1", "city": "Berlin", **_addr("DE")},
            "shipTo": buyer or _addr("DE"),
        },
        "lines": [{"amount": D(a), "description": f"line {k + 1}"} for k, a in enumerate(amounts)],
        **fields,
    }
    if code is not None:
        body["code"] = code
    return body


class World:
    """A tax mock, its contract and a spec-checking client (tenant ``default`` unless told)."""

    def __init__(self, rules: TaxRules | None = None, tenant: str | None = None) -> None:
        self.mock = TaxMock(clock, rules or TaxRules.default())
        self.spec = Contract("tax")
        self.http = self.spec.client(self.mock.app, tenant)

    def post(self, path: str, body: Any, tenant: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if tenant is not None:
            headers["X-Tenant"] = tenant
        return self.http.post(path, content=_json(body), headers=headers)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return _ok(self.post(CREATE, body))

    def adjust(self, body: dict[str, Any], **fields: Any) -> httpx.Response:
        return self.post(ADJUST, {"createTransactionModel": body, **fields})

    def get(self, code: str, tenant: str | None = None) -> httpx.Response:
        headers = {"X-Tenant": tenant} if tenant is not None else {}
        return self.http.get(f"{CO}/{code}", headers=headers)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = simplejson.loads(response.content, use_decimal=True)
    return body


def _taxes(doc: dict[str, Any]) -> list[Decimal]:
    return [line["tax"] for line in doc["lines"]]


def _rules(**update: Any) -> TaxRules:
    return TaxRules.model_validate({**TaxRules.default().model_dump(), **update})
