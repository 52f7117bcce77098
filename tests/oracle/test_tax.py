"""Tax: the core takes every tax from the engine and never posts untaxed; the oracle works out
each invoice's tax from the scenario's jurisdiction rules and catches untaxed postings and
per-line rounding where per-invoice rounding is due."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sim.oracle import expected_levies
from sim.oracle._tax import _expected_tax
from sim.runner import run
from sim.scenario.format import ClientSpec, LegalEntitySpec, Scenario
from sim.world.books import traced
from sim.world.world import World
from tests.support.doctoring import open_lines

D = Decimal


def _entity(country: str, region: str | None = None) -> LegalEntitySpec:
    currency = {"DE": "EUR", "GB": "GBP", "US": "USD", "IN": "INR"}[country]
    return LegalEntitySpec(
        id=f"{country}01",
        name="Firm",
        country=country,
        currency=currency,
        locale="en_US",
        region=region,
    )


def _client(country: str, region: str | None = None, vat_id: str = "valid") -> ClientSpec:
    return ClientSpec(
        id="c", country=country, locale="en_US", legal_entity="X", region=region, vat_id=vat_id
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seller", "buyer", "levies"),
    [
        (_entity("DE"), _client("DE"), [("VAT", D("0.19"))]),
        (_entity("DE"), _client("FR"), []),  # reverse charge, valid VAT id
        (_entity("DE"), _client("FR", vat_id="malformed"), [("VAT", D("0.19"))]),
        (_entity("DE"), _client("US", "WA"), []),  # export of services: out of scope
        (_entity("GB"), _client("DE"), []),
        (_entity("US", "WA"), _client("US", "WA"), [("US-WA", D("0.065"))]),
        (_entity("US", "WA"), _client("US", "NY"), []),  # New York exempts these services
        (_entity("IN", "MH"), _client("IN", "MH"), [("CGST", D("0.09")), ("SGST", D("0.09"))]),
        (_entity("IN", "MH"), _client("IN", "KA"), [("IGST", D("0.18"))]),
    ],
    ids=[
        "DE-DE",
        "DE-FR-reverse",
        "DE-FR-bad-id",
        "DE-US",
        "GB-DE",
        "US-WA",
        "US-NY",
        "IN-intra",
        "IN-inter",
    ],
)
def test_jurisdiction_rules(small: Scenario, seller: Any, buyer: Any, levies: Any) -> None:
    """Who taxes a sale of services, at what rate, for each seller/buyer pair."""
    assert expected_levies(small, seller, buyer)[0] == levies


def test_line_and_document_rounding_differ_by_a_cent() -> None:
    """Three lines of 10.50 at 19%: per line 3 x round(1.995) = 6.00; per document
    round(5.985) = 5.99. The classic off-by-a-cent case, worked by hand."""
    lines, vat = [D("10.50")] * 3, [("VAT", D("0.19"))]
    assert _expected_tax(lines, vat, "line", "EUR") == ([D("2.00")] * 3, D("6.00"))
    assert _expected_tax(lines, vat, "document", "EUR") == (None, D("5.99"))


def test_gst_split_rounds_each_levy() -> None:
    """INR 1,000.05 within one state: CGST 9% = 90.0045 -> 90.00, SGST the same: 180.00."""
    levies = [("CGST", D("0.09")), ("SGST", D("0.09"))]
    assert _expected_tax([D("1000.05")], levies, "line", "INR") == ([D("180.00")], D("180.00"))


def test_reference_core_taxes_every_invoice(small: Scenario) -> None:
    """Every posted invoice carries the engine's tax, committed in the engine: DE 19%, GB 20%."""
    result = run(small, 3)
    assert result.metrics["invariants"]["ok"], result.metrics["invariants"]["violations"][:3]
    for invoice in result.world.erp.invoices(result.world.tenant):
        rate = D("0.19") if invoice["currencyCode"] == "EUR" else D("0.20")
        net = Decimal(invoice["totalAmountExcludingTax"])
        assert abs(Decimal(invoice["totalTaxAmount"]) - net * rate) < D("0.01") * len(
            invoice["salesInvoiceLines"]
        )
        for line in invoice["salesInvoiceLines"]:  # line rounding, half up, to the cent
            exact = Decimal(line["amountExcludingTax"]) * rate
            assert line["totalTaxAmount"] == exact.quantize(D("0.01"), "ROUND_HALF_UP")
    committed = sum(
        Decimal(d["totalTax"])
        for d in result.world.tax.transactions(result.world.tenant)
        if d["status"] == "Committed"
    )
    posted = sum(
        Decimal(i["totalTaxAmount"]) for i in result.world.erp.invoices(result.world.tenant)
    )
    assert committed == posted > 0


def test_untaxed_core_is_caught(small: Scenario) -> None:
    """A core that posts without asking the tax engine mis-bills every item as 'untaxed'."""
    m = run(small, 3, design="tests.support.designs:untaxed").metrics
    assert m["items"]["correct"] == 0
    assert m["misbilled_by_cause"] == {"untaxed": m["items"]["misbilled"]}
    assert {v["invariant"] for v in m["invariants"]["violations"]} == {"no_misbilling"}


def test_per_line_rounding_where_per_invoice_is_due_is_caught(small: Scenario) -> None:
    """The same run under document rounding in GB, doctored back to per-line tax on one GB
    invoice, is reported as 'tax_rounding' on exactly that invoice's items."""
    gb_document = small.model_copy(
        update={"tax": small.tax.model_copy(update={"rounding": {"GB": "document"}})}
    )
    hit: dict[str, Any] = {}

    def doctor(world: World) -> None:
        for invoice in world.erp.invoices(world.tenant):
            if invoice["currencyCode"] != "GBP":
                continue
            lines = open_lines(invoice)
            per_line = [
                (Decimal(x["amountExcludingTax"]) * D("0.20")).quantize(D("0.01"), "ROUND_HALF_UP")
                for x in lines
            ]
            if sum(per_line) == Decimal(invoice["totalTaxAmount"]):
                continue  # this invoice happens to agree either way
            for line, tax in zip(lines, per_line, strict=True):
                line["totalTaxAmount"] = tax
            invoice["totalTaxAmount"] = sum(per_line)
            trail = traced({"lines": lines}, "lines")["lines"]  # as the books read it
            hit["sources"] = {s for x in trail for s in x["sourceItemIds"]}
            hit["number"] = invoice["number"]
            return
        raise AssertionError("no GB invoice where the two roundings differ")

    result = run(gb_document, 3, doctor=doctor)
    wrong = {i.source_id: i.cause for i in result.report.items if i.verdict != "correct"}
    assert wrong == dict.fromkeys(hit["sources"], "tax_rounding")
    invariants = {(v.invariant, v.item) for v in result.report.violations}
    assert ("no_misbilling", hit["number"]) in invariants
