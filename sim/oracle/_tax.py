"""The tax every posted invoice should carry, worked out from the scenario's jurisdiction rules
with the oracle's own code (never the tax engine's, never the core's).

Services, sold by the contracting legal entity to the client:

- VAT seller, buyer in the same country: that country's VAT;
- two different EU members: reverse charge (no tax) when the client's VAT id is valid, else the
  seller's VAT (B2C services are taxed where the supplier is);
- any other VAT seller/buyer pair: out of scope, no tax;
- US seller and buyer: the buyer's state rate if that state taxes services, else none;
- Indian seller and buyer: GST, split CGST + SGST within one state, IGST across states.

A service credit is taxed by the contract's reading (``service_level.vat_treatment``): as a
price reduction it reduces the VAT base like any line; as compensation it is outside the scope
of VAT and carries no tax (a line taxed under the other reading is ``credit_vat_treatment``).

Rounding is the taxing country's rule: ``line`` rounds each line's tax per levy, ``document``
rounds each levy's total once. Half cents round up (away from zero), as tax authorities do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sim.oracle._items import ItemVerdict, OracleReport, Violation
from sim.scenario.format import CURRENCIES, EU_MEMBERS, ClientSpec, LegalEntitySpec, Scenario

__all__ = ["check_tax", "expected_levies"]

Levy = tuple[str, Decimal]


def expected_levies(
    s: Scenario, seller: LegalEntitySpec, buyer: ClientSpec
) -> tuple[list[Levy], str]:
    """(levies as (name, rate), rounding level) for services ``seller`` sells ``buyer``."""
    t = s.tax
    rounding = t.rounding.get(seller.country, t.default_rounding)
    if seller.country in t.vat_rates:
        vat = [("VAT", t.vat_rates[seller.country])]
        if buyer.country == seller.country:
            return vat, rounding
        if seller.country in EU_MEMBERS and buyer.country in EU_MEMBERS:
            return ([] if buyer.vat_id == "valid" else vat), rounding
        return [], rounding
    if seller.country == "US" == buyer.country:
        rate = t.us_service_rates.get(buyer.region or "")
        return ([(f"US-{buyer.region}", rate)] if rate is not None else []), rounding
    if seller.country == "IN" == buyer.country:
        if seller.region == buyer.region:
            half = t.gst_rate / 2
            return [("CGST", half), ("SGST", half)], rounding
        return [("IGST", t.gst_rate)], rounding
    return [], rounding


_OTHER_READING = {"price_reduction": "compensation", "compensation": "price_reduction"}


def _tax_base(lines: list[dict[str, Any]], reading: str) -> list[Decimal]:
    """Each line's contribution to the VAT base: its net, except a service credit the contract
    treats as compensation (damages, outside the scope of VAT: German UStAE 1.3), which adds
    nothing; as a price reduction (EU VAT Directive 2006/112/EC Art. 90) it reduces the base."""
    return [
        Decimal(0)
        if reading == "compensation" and x.get("billingRole") == "credit"
        else Decimal(x["amountExcludingTax"])
        for x in lines
    ]


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-CURRENCIES[currency]), rounding=ROUND_HALF_UP)


def _expected_tax(
    lines: list[Decimal], levies: list[Levy], rounding: str, currency: str
) -> tuple[list[Decimal] | None, Decimal]:
    """(per-line tax when the level is ``line``, else None; the invoice's total tax)."""
    if rounding == "line":
        per_line = [sum((_round(a * r, currency) for _, r in levies), Decimal(0)) for a in lines]
        return per_line, sum(per_line, Decimal(0))
    total = sum((_round(sum(lines, Decimal(0)) * r, currency) for _, r in levies), Decimal(0))
    return None, total


def check_tax(
    s: Scenario,
    invoices: Iterable[dict[str, Any]],
    report: OracleReport,
    committed: dict[str, Decimal],
    credit_memos: Iterable[dict[str, Any]] = (),
) -> None:
    """Judge each posted invoice's and credit note's tax; a wrong tax mis-bills every item on
    the document (with line rounding, every item on a wrong line).
    ``committed`` is the total tax the tax engine has committed, per currency."""
    verdicts = {v.source_id: v for v in report.items}
    contracts = {c.id: c for c in s.contracts}
    entities = {e.id: e for e in s.legal_entities}
    clients = {c.id: c for c in s.clients}
    posted: dict[str, Decimal] = defaultdict(Decimal)
    memos = [m for m in credit_memos if m["status"] != "Draft"]
    documents = [(inv, inv["salesInvoiceLines"], 1) for inv in invoices
                 if inv["status"] in ("Open", "Paid")]  # fmt: skip
    documents += [(memo, memo["salesCreditMemoLines"], -1) for memo in memos]
    for inv, lines, sign in documents:  # a credit note gives its tax back, by the same rules
        items = [
            verdicts[sid] for line in lines for sid in line["sourceItemIds"] if sid in verdicts
        ]
        posted[inv["currencyCode"]] += sign * Decimal(inv["totalTaxAmount"])
        if not items:
            continue
        contract = contracts[items[0].contract]
        levies, rounding = expected_levies(
            s, entities[contract.legal_entity], clients[contract.client]
        )
        reading = contract.service_level.vat_treatment if contract.service_level else ""
        amounts = _tax_base(lines, reading)
        taxes = [Decimal(x.get("totalTaxAmount", 0)) for x in lines]
        per_line, total = _expected_tax(amounts, levies, rounding, inv["currencyCode"])
        wrong_lines = [k for k, x in enumerate(taxes) if per_line and x != per_line[k]]
        if sum(taxes, Decimal(0)) == total and not wrong_lines:
            continue
        other = "document" if rounding == "line" else "line"
        _, other_total = _expected_tax(amounts, levies, other, inv["currencyCode"])
        base = _tax_base(lines, _OTHER_READING.get(reading, reading))
        base_lines, base_total = _expected_tax(base, levies, rounding, inv["currencyCode"])
        other_reading = (
            base != amounts
            and sum(taxes, Decimal(0)) == base_total
            and (base_lines is None or taxes == base_lines)
        )
        cause = (
            "credit_vat_treatment"
            if other_reading
            else "untaxed"
            if total and not any(taxes)
            else "tax_rounding"
            if sum(taxes, Decimal(0)) == other_total
            else "tax"
        )
        report.violations.append(
            Violation(
                "no_misbilling",
                inv["number"],
                f"{cause}: tax {sum(taxes, Decimal(0))} {inv['currencyCode']}, expected {total} "
                f"({' + '.join(f'{n} {r}' for n, r in levies) or 'no tax'}, {rounding} rounding)",
            )
        )
        if per_line:  # line rounding: only the lines whose own tax is wrong
            items = [
                verdicts[sid]
                for k in wrong_lines
                for sid in lines[k]["sourceItemIds"]
                if sid in verdicts
            ]
        _misbill(items, cause)
    for currency in sorted(set(posted) | set(committed)):
        if posted.get(currency, Decimal(0)) != committed.get(currency, Decimal(0)):
            report.violations.append(Violation(
                "tax_committed", currency,
                f"invoices carry {posted.get(currency, 0)} of tax, the tax engine has "
                f"{committed.get(currency, 0)} committed"))  # fmt: skip


def _misbill(items: list[ItemVerdict], cause: str) -> None:
    for item in items:
        if item.verdict == "correct":
            item.verdict, item.cause = "misbilled", cause
