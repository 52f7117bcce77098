"""The stateful phase's requests made the way a real client makes them.

Schemathesis' stateful phase follows the specs' links: it takes ids from one answer into the
next request and generates everything else from the schema. Generated at random, the rest is
mostly what no integration sends, so the chains the links describe break one step in:

- a list read through a link carries random filter values (``$filter``, ``workspace_id``,
  ``page=3196``) and comes back empty or refused, so there is no first record to follow;
- a tax document is a ``SalesOrder`` estimate (never stored) or is sold from a country no tax
  profile covers;
- an ERP line's stated amount disagrees with its quantity and price (where the contract has
  the client state it) or names no G/L account of the company's chart.

This module registers one Schemathesis ``map_case`` hook that, for **positive cases of the
stateful phase only**, sends what a client following the link would send: a GET with only the
query parameters some link of the spec sets (the link's values) and the required ones (the
optional filters no link sets are dropped), a tax document an invoicing integration records
(a ``SalesInvoice`` with a code, sold from a country the default tax profiles cover, amounts
in whole cents) and ERP lines whose figures the ERP accepts. Every other phase, and the
stateful phase's negative cases, still fuzz every parameter and body. ``contracts.conformance``
imports this module; a hand run loads it with ``SCHEMATHESIS_HOOKS=contracts.hooks`` (which
imports it).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

__all__ = ["as_a_client"]

# Sellers whose tax profile the tax mock's default rule book holds (EU VAT, UK VAT, US sales
# tax): mocks/_tax_defaults.py. A buyer in each one's own country is a domestic sale.
_SELLERS = (("DE", None), ("FR", None), ("GB", None), ("US", "WA"))
_TAX_DOCUMENTS = {"createTransaction": None, "createOrAdjustTransaction": "createTransactionModel"}
_ERP_DOCUMENTS = {
    "createSalesInvoice": "salesInvoiceLines",
    "createSalesCreditMemo": "salesCreditMemoLines",
}
# The chart of accounts every sandbox company has (erp.yaml, lineObjectNumber): services.
_SERVICES_ACCOUNT = "40100"
_CENT = Decimal("0.01")


def as_a_client(case: Any) -> Any:
    """``case`` as a client following the spec's links would send it (see the module doc);
    any case outside the stateful phase's positive ones is returned untouched."""
    meta = case.meta
    if (
        meta is None
        or meta.phase.name != TestPhase.STATEFUL
        or meta.generation.mode != GenerationMode.POSITIVE
    ):
        return case
    operation = case.operation
    operation_id = operation.definition.raw.get("operationId", "")
    if operation.method.upper() == "GET" and case.query:
        kept = _linked_query(operation.schema.raw_schema).get(operation_id, frozenset())
        kept |= {p.name for p in operation.query if p.is_required}
        case.query = {k: v for k, v in case.query.items() if k in kept}
    if operation_id in _TAX_DOCUMENTS and isinstance(case.body, dict):
        member = _TAX_DOCUMENTS[operation_id]
        document = case.body.get(member) if member is not None else case.body
        if isinstance(document, dict):
            _tax_document(document)
    if operation_id in _ERP_DOCUMENTS and isinstance(case.body, dict):
        lines = case.body.get(_ERP_DOCUMENTS[operation_id])
        for line in lines if isinstance(lines, list) else []:
            if isinstance(line, dict):
                _erp_line(line)
    return case


# id of a loaded spec -> (the spec, held so that its id is not reused; its links' parameters)
_LINKED: dict[int, tuple[dict[str, Any], dict[str, frozenset[str]]]] = {}


def _linked_query(raw: dict[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the parameter names some link of the spec sets on it (read once per
    loaded spec)."""
    known = _LINKED.get(id(raw))
    if known is not None and known[0] is raw:
        return known[1]
    names: dict[str, set[str]] = {}
    for item in raw.get("paths", {}).values():
        for operation in item.values() if isinstance(item, dict) else []:
            if not isinstance(operation, dict):
                continue
            for answer in operation.get("responses", {}).values():
                links = answer.get("links", {}) if isinstance(answer, dict) else {}
                for link in links.values():
                    target = names.setdefault(link.get("operationId", ""), set())
                    target.update(p.rpartition(".")[2] for p in link.get("parameters", {}))
    found = {k: frozenset(v) for k, v in names.items()}
    _LINKED[id(raw)] = (raw, found)
    return found


def _tax_document(document: dict[str, Any]) -> None:
    """A ``SalesInvoice`` as an invoicing integration records it: coded, in euros, sold from
    a seller the default profiles cover to a buyer in the same country, cent amounts."""
    document["type"] = "SalesInvoice"
    document["companyCode"] = document.get("companyCode") or "DEFAULT"  # the links name it
    customer = str(document.get("customerCode") or "C")
    document["code"] = document.get("code") or f"INV-{customer[:40]}"
    country, region = _SELLERS[len(customer) % len(_SELLERS)]
    address = {"country": country, **({"region": region} if region else {})}
    document["addresses"] = {"shipFrom": address, "shipTo": dict(address)}
    document["currencyCode"] = "USD" if country == "US" else "EUR"
    document.pop("businessIdentificationNo", None)
    lines = document.get("lines")
    for k, line in enumerate(lines if isinstance(lines, list) else []):
        if isinstance(line, dict):
            line["amount"] = float(_cents(line.get("amount"), Decimal(100)))
            line["number"] = str(k + 1)


def _erp_line(line: dict[str, Any]) -> None:
    """Figures the ERP takes: a stated ``amountExcludingTax`` that is quantity x price to the
    cent, or (where the ERP computes it) an Account line on the services account with a
    positive quantity; a tax amount in cents."""
    quantity = abs(_cents(line.get("quantity"), Decimal(1))) or Decimal(1)
    price = abs(_cents(line.get("unitPrice"), Decimal(100)))
    if "amountExcludingTax" in line:
        line.update(quantity=float(quantity), unitPrice=float(price))
        line["amountExcludingTax"] = float((quantity * price).quantize(_CENT, ROUND_HALF_UP))
    elif line.get("lineType") == "Account":
        line.update(
            lineObjectNumber=_SERVICES_ACCOUNT, quantity=float(quantity), unitPrice=float(price)
        )
        line.pop("discountAmount", None)
    elif line.get("lineType") == "Comment":  # a comment carries no figures
        for name in ("quantity", "unitPrice", "discountAmount", "totalTaxAmount"):
            line.pop(name, None)
    if "totalTaxAmount" in line:
        line["totalTaxAmount"] = float(abs(_cents(line["totalTaxAmount"], Decimal(0))))


def _cents(value: Any, fallback: Decimal) -> Decimal:
    """``value`` rounded to cents, or ``fallback`` when it is no number of sane size."""
    try:
        number = Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return fallback
    return number if abs(number) < Decimal(10) ** 9 else fallback


@schemathesis.hook("map_case")
def _as_a_client(context: schemathesis.HookContext, case: Any) -> Any:
    return as_a_client(case)
