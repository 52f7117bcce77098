"""The oracle's tax and ledger rules against hand-worked invoices: tax by jurisdiction (line or
document rounding, GST intra- and inter-state, reverse charge) and the ledger's own sums. The
docstrings show the arithmetic to the cent; the tests assert exactly those figures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sim.oracle import (
    OracleReport,
    check_ledger,
)
from sim.scenario.format import (
    TaxSpec,
)
from tests.oracle.hand_books import (
    E1,
    E2,
    TIME,
    D,
    _contract,
    _invoice,
    _line,
    _scenario,
    _tax_check,
    _time,
    _truth,
    _verdicts,
)

# ---------------------------------------------------------------------------------------------
# (h) Tax by jurisdiction.

THREE = [f"{TIME}{n}" for n in (1, 2, 3)]


def _three_lines_of_10_50(rounding: str, taxes: list[str]) -> tuple[OracleReport, list[Any]]:
    """Three 15-minute entries at 42.00 EUR/h, each 0.25 x 42.00 = 10.50 EUR, one invoice."""
    tax = TaxSpec(rounding={"DE": rounding})  # type: ignore[dict-item]
    s = _scenario(_contract({"DE": "42.00"}), tax=tax)
    truth = _truth(*(_time(n, date(2025, 1, 13 + n), 15) for n in (1, 2, 3)))
    lines = [_line("10.50", src, tax=t) for src, t in zip(THREE, taxes, strict=True)]
    return _tax_check(s, truth, [_invoice(1, "2025-02-05", "EUR", *lines)])


def test_de_vat_line_rounding_vs_document_rounding() -> None:
    """Three lines of 10.50 EUR at 19% VAT: 6.00 rounded per line, 5.99 per document.
    Per line: 10.50 x 0.19 = 1.995 -> 2.00, three times: 6.00.
    Per document: 31.50 x 0.19 = 5.985 -> 5.99 (e.g. spread 2.00 + 2.00 + 1.99).
    Line rounding due and 6.00 billed: correct; document due and 5.99 billed: correct;
    document due but 6.00 billed: tax_rounding on all three items;
    line due but 2.00 + 2.00 + 1.99: tax_rounding on the third line's item only."""
    report, found = _three_lines_of_10_50("line", ["2.00", "2.00", "2.00"])
    assert found == []
    assert set(_verdicts(report).values()) == {("correct", "")}
    report, found = _three_lines_of_10_50("document", ["2.00", "2.00", "1.99"])
    assert found == []

    report, found = _three_lines_of_10_50("document", ["2.00", "2.00", "2.00"])
    assert found == [("no_misbilling", "S-INV000001", "tax_rounding")]
    assert _verdicts(report) == dict.fromkeys(THREE, ("misbilled", "tax_rounding"))

    report, found = _three_lines_of_10_50("line", ["2.00", "2.00", "1.99"])
    assert found == [("no_misbilling", "S-INV000001", "tax_rounding")]
    assert _verdicts(report) == {
        THREE[0]: ("correct", ""),
        THREE[1]: ("correct", ""),
        THREE[2]: ("misbilled", "tax_rounding"),
    }


def _gst(client: str, tax: str) -> tuple[OracleReport, list[Any]]:
    """7.25 h (435 min) x 2,150.00 INR = 15,587.50 INR, sold by the Maharashtra entity."""
    s = _scenario(_contract({"IN": "2150.00"}, client=client))
    truth = _truth(_time(1, date(2025, 1, 14), 435, country="IN"))
    invoice = _invoice(1, "2025-02-05", "INR", _line("15587.50", E1, tax=tax))
    return _tax_check(s, truth, [invoice])


def test_in_intra_state_cgst_plus_sgst() -> None:
    """Within Maharashtra: CGST 9% + SGST 9%, each rounded: 2,805.76, not IGST's 2,805.75.
    CGST 15,587.50 x 0.09 = 1,402.875 -> 1,402.88; SGST the same -> 1,402.88; sum 2,805.76.
    Billed 2,805.75 (one 18% levy: 15,587.50 x 0.18 = 2,805.75): tax."""
    report, found = _gst("pune", "2805.76")
    assert found == []
    assert _verdicts(report) == {E1: ("correct", "")}
    report, found = _gst("pune", "2805.75")
    assert found == [("no_misbilling", "S-INV000001", "tax")]
    assert _verdicts(report) == {E1: ("misbilled", "tax")}


def test_in_inter_state_igst() -> None:
    """Maharashtra to Karnataka: IGST 18% in one levy, 2,805.75.
    IGST 15,587.50 x 0.18 = 2,805.75. Billed 2,805.76 (CGST + SGST, each rounded): tax."""
    report, found = _gst("blr", "2805.75")
    assert found == []
    assert _verdicts(report) == {E1: ("correct", "")}
    report, found = _gst("blr", "2805.76")
    assert found == [("no_misbilling", "S-INV000001", "tax")]
    assert _verdicts(report) == {E1: ("misbilled", "tax")}


def _de_to_fr(client: str, tax: str) -> tuple[OracleReport, list[Any]]:
    """7.25 h x 48.50 EUR = 351.625 -> 351.63 EUR (half_up), sold by DE01 to a French client."""
    s = _scenario(_contract({"DE": "48.50"}, client=client))
    truth = _truth(_time(1, date(2025, 1, 14), 435))
    return _tax_check(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("351.63", E1, tax=tax))])


def test_de_to_fr_reverse_charge() -> None:
    """DE to FR with a valid VAT id is reverse charged: no tax; German VAT there is 'tax'.
    Valid id: 0.00 due, 0.00 billed: correct. Billed 351.63 x 0.19 = 66.8097 -> 66.81: tax.
    Malformed id: German VAT is due, 66.81: correct; 0.00 billed: untaxed."""
    report, found = _de_to_fr("gaul", "0")
    assert (found, _verdicts(report)) == ([], {E1: ("correct", "")})
    report, found = _de_to_fr("gaul", "66.81")
    assert found == [("no_misbilling", "S-INV000001", "tax")]
    assert _verdicts(report) == {E1: ("misbilled", "tax")}

    report, found = _de_to_fr("gaul-x", "66.81")
    assert (found, _verdicts(report)) == ([], {E1: ("correct", "")})
    report, found = _de_to_fr("gaul-x", "0")
    assert found == [("no_misbilling", "S-INV000001", "untaxed")]
    assert _verdicts(report) == {E1: ("misbilled", "untaxed")}


# ---------------------------------------------------------------------------------------------
# (i) The ledger.


def _two_lines() -> dict[str, Any]:
    """351.63 + 79.17 = 430.80 net; VAT 66.81 + 15.04 = 81.85; gross 512.65."""
    return _invoice(
        1,
        "2025-02-05",
        "EUR",
        _line("351.63", E1, tax="66.81"),
        _line("79.17", E2, tax="15.04"),
    )


def test_ledger_consistent_invoice_passes() -> None:
    """An invoice whose totals are its lines' sums, nothing paid, breaks no ledger rule.
    Net 351.63 + 79.17 = 430.80; tax 66.81 + 15.04 = 81.85; gross = remaining = 512.65."""
    invoice = _two_lines()
    assert invoice["totalAmountIncludingTax"] == invoice["remainingAmount"] == D("512.65")
    report = OracleReport()
    check_ledger([invoice], report)
    assert report.violations == []


def test_ledger_total_that_disagrees_with_its_lines() -> None:
    """A net total other than the sum of the lines breaks 'invoice_totals'.
    Lines 351.63 + 79.17 = 430.80; the header says 430.00."""
    invoice = {**_two_lines(), "totalAmountExcludingTax": D("430.00")}
    report = OracleReport()
    check_ledger([invoice], report)
    assert [(v.invariant, v.item) for v in report.violations] == [("invoice_totals", "S-INV000001")]
    assert "lines give net 430.80" in report.violations[0].detail
    assert "the invoice says 430.00" in report.violations[0].detail


def test_ledger_remaining_is_gross_less_payments() -> None:
    """A part payment lowers what remains by exactly the amount paid.
    Gross 512.65, paid 200.00: remaining 512.65 - 200.00 = 312.65."""
    invoice = {**_two_lines(), "remainingAmount": D("312.65")}
    report = OracleReport()
    check_ledger([invoice], report, applied={invoice["id"]: D("200.00")})
    assert report.violations == []


def test_ledger_remaining_that_disagrees_with_total() -> None:
    """Nothing paid, yet remaining differs from the gross total: 'receivables'.
    Gross 430.80 + 81.85 = 512.65, nothing paid; remaining says 502.65."""
    invoice = {**_two_lines(), "remainingAmount": D("502.65")}
    report = OracleReport()
    check_ledger([invoice], report)
    assert [(v.invariant, v.item) for v in report.violations] == [("receivables", "S-INV000001")]
    assert "remaining 502.65 but invoiced - credited - paid = 512.65" in report.violations[0].detail


def test_ledger_gross_total_that_disagrees_with_its_lines() -> None:
    """A gross total (and what remains) inflated beyond net + tax breaks the ledger twice:
    the header's totals and what the client is asked for.
    Lines: net 430.80 + tax 81.85 = 512.65; the header says gross 513.65, remaining 513.65."""
    invoice = {
        **_two_lines(),
        "totalAmountIncludingTax": D("513.65"),
        "remainingAmount": D("513.65"),
    }
    report = OracleReport()
    check_ledger([invoice], report)
    assert [v.invariant for v in report.violations] == ["invoice_totals", "receivables"]
