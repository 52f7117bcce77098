"""The ERP's tax: Avalara's AvaTax connector for Business Central, as the ERP mock runs it.

Business Central computes a sales document's tax itself; a line's ``totalTaxAmount`` is
read-only in API v2.0. A firm that uses AvaTax installs Avalara's connector in BC: customers
get the tax area ``AVATAX``, and BC sends each sales document to AvaTax (ship-from the company's
address, ship-to the customer's, the customer's "Tax ID No." as the business identification
number that enables VAT reverse charge, the posting date as the document date, each line's
amount and tax code) and writes the tax AvaTax answers onto the lines (Avalara Help Center,
"AvaTax for Microsoft Dynamics 365 Business Central": "What does AvaTax look at on
transactions from Business Central?" and "Fields on customer records ... that interact with
AvaTax", consulted 2026-12-07). A line whose tax code is AvaTax's ``NT`` is not taxed.

The sandbox runs the connector when a document is created: it asks the tax engine mock for an
estimate (``TaxMock.estimate``, a ``SalesOrder`` that is never stored), in process, and writes
each line's tax. Simplifications, stated in erp.yaml: the connector's calls bypass the fault
layer and count in no vendor's API calls; the connector does not commit the document at
posting (the real one does, under BC's document number): the integration keeps recording and
committing its own tax document, which is what the sandbox's tax books hold. An ERP without a
connector (``tax_connector`` unset: a company with no tax set up) taxes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from mocks._erp_errors import business_rule
from mocks._http import Problem

__all__ = ["TaxConnector", "line_taxes"]

# (tenant, AvaTax CreateTransactionModel) -> the calculated transaction (AvaTax's answer)
TaxConnector = Callable[[str, dict[str, Any]], dict[str, Any]]
BIN_LENGTH = 25  # AvaTax: businessIdentificationNo is at most 25 characters


def _address(country: str, region: str | None) -> dict[str, str]:
    return {"country": country, **({"region": region} if region else {})}


def line_taxes(
    connector: TaxConnector | None,
    tenant: str,
    document: tuple[str, date, str],
    company: dict[str, Any],
    customer: dict[str, Any],
    lines: Sequence[tuple[Decimal, str | None]],
    sign: int = 1,
) -> list[Decimal]:
    """Each line's tax, as the connector writes it: ``document`` is (number, date,
    currency), ``lines`` (net amount, tax code) in order. A credit memo (``sign`` -1) is
    sent as a return, its amounts negative, and its tax given back positive. A refusal of
    the tax engine is BC's 400 naming the connector (BC shows the connector's error and
    keeps nothing)."""
    if connector is None or all(net == 0 for net, _ in lines):
        return [Decimal(0) for _ in lines]
    number, day, currency = document
    model: dict[str, Any] = {
        "code": number,
        "companyCode": company["name"],
        "date": day.isoformat(),
        "customerCode": customer["number"],
        "currencyCode": currency,
        "addresses": {
            "shipFrom": _address(company["countryCode"], company.get("region")),
            "shipTo": _address(customer["country"], customer.get("state")),
        },
        "lines": [
            {"number": str(k + 1), "amount": sign * net, **({"taxCode": code} if code else {})}
            for k, (net, code) in enumerate(lines)
        ],
    }
    if customer.get("taxRegistrationNumber"):
        model["businessIdentificationNo"] = customer["taxRegistrationNumber"][:BIN_LENGTH]
    try:
        answer = connector(tenant, model)
    except (ValidationError, Problem) as exc:
        raise business_rule(f"AvaTax could not calculate the tax of {number}: {exc}") from None
    by_number = {str(line["lineNumber"]): Decimal(line["tax"]) for line in answer["lines"]}
    return [sign * by_number[str(k + 1)] for k in range(len(lines))]
