"""The oracle's pricing rules against hand-worked examples, as an auditor would check them.

Each test builds a tiny scenario and a handful of ground-truth items, writes the ERP's posted
invoices by hand (dicts shaped like ``mocks/erp.py`` produces) and asserts the oracle's
verdicts. The docstrings show the arithmetic to the cent; the test asserts exactly those figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sim.oracle import (
    expected_expense_amount,
    expected_time_amount,
)
from sim.record.truth import MilestoneTruth
from sim.scenario.format import (
    ExpensePolicySpec,
)
from tests.oracle.hand_books import (
    APPROVED,
    E1,
    E2,
    EXPENSE,
    MILESTONE,
    D,
    _contract,
    _expense,
    _invoice,
    _judge,
    _line,
    _scenario,
    _tax_check,
    _time,
    _truth,
    _verdicts,
)

# ---------------------------------------------------------------------------------------------
# (a) Time, priced and rounded by the contract's rule.


def test_time_entry_priced_half_up() -> None:
    """Half-up rounds the half cent up; billing it half-even is mis-billed 'rounding'.
    7.25 h (435 min) x 48.50 EUR = 21,097.50 / 60 = 351.625 -> 351.63 (half_up);
    19% DE VAT on the line: 351.63 x 0.19 = 66.8097 -> 66.81; gross 418.44.
    Billed 351.62 (the half_even figure): rounding."""
    s = _scenario(_contract({"DE": "48.50"}, rounding="half_up"))
    truth = _truth(_time(1, date(2025, 1, 14), 435))
    assert expected_time_amount(s.contracts[0], "engineer", "DE", date(2025, 1, 14), 435) == D(
        "351.63"
    )
    invoice = _invoice(1, "2025-02-05", "EUR", _line("351.63", E1, tax="66.81"))
    assert invoice["totalAmountIncludingTax"] == D("418.44")
    report, found = _tax_check(s, truth, [invoice])
    assert _verdicts(report) == {E1: ("correct", "")}
    assert found == []
    [item] = report.items
    assert (item.expected, item.billed, item.times_billed) == (D("351.63"), D("351.63"), 1)

    wrong = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("351.62", E1))])
    assert _verdicts(wrong) == {E1: ("misbilled", "rounding")}


def test_time_entry_priced_half_even() -> None:
    """Half-even rounds the half cent to the even cent; billing it half-up is 'rounding'.
    7.25 h x 48.50 EUR = 351.625 -> 351.62 (half_even: 2 is even);
    19% VAT: 351.62 x 0.19 = 66.8078 -> 66.81. Billed 351.63 (the half_up figure): rounding."""
    s = _scenario(_contract({"DE": "48.50"}, rounding="half_even"))
    truth = _truth(_time(1, date(2025, 1, 14), 435))
    invoice = _invoice(1, "2025-02-05", "EUR", _line("351.62", E1, tax="66.81"))
    report, found = _tax_check(s, truth, [invoice])
    assert _verdicts(report) == {E1: ("correct", "")}
    assert found == []
    assert report.items[0].expected == D("351.62")

    wrong = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("351.63", E1))])
    assert _verdicts(wrong) == {E1: ("misbilled", "rounding")}


def test_time_entry_priced_down() -> None:
    """'down' truncates to the cent; the half-up figure is 'rounding'.
    50 min x 95.00 EUR = 4,750.00 / 60 = 79.1666... -> 79.16 (down) / 79.17 (half_up, half_even);
    19% VAT: 79.16 x 0.19 = 15.0404 -> 15.04. Billed 79.17: rounding."""
    s = _scenario(_contract({"DE": "95.00"}, rounding="down"))
    truth = _truth(_time(1, date(2025, 1, 14), 50))
    invoice = _invoice(1, "2025-02-05", "EUR", _line("79.16", E1, tax="15.04"))
    report, found = _tax_check(s, truth, [invoice])
    assert _verdicts(report) == {E1: ("correct", "")}
    assert found == []
    assert report.items[0].expected == D("79.16")

    wrong = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("79.17", E1))])
    assert _verdicts(wrong) == {E1: ("misbilled", "rounding")}
    assert [v.invariant for v in wrong.violations] == ["no_misbilling"]


def test_unbilled_time_entry_is_leaked() -> None:
    """An approved entry on no posted invoice (a draft does not count) is leaked.
    7.25 h x 48.50 = 351.63 EUR expected, billed only on a Draft: never_invoiced."""
    s = _scenario(_contract({"DE": "48.50"}))
    draft = {**_invoice(1, "2025-02-05", "EUR", _line("351.63", E1)), "status": "Draft"}
    report = _judge(s, _truth(_time(1, date(2025, 1, 14), 435)), [draft])
    assert _verdicts(report) == {E1: ("leaked", "never_invoiced")}
    assert [v.invariant for v in report.violations] == ["no_leakage"]


# ---------------------------------------------------------------------------------------------
# (b) A rate change: the version in force on the work date prices the work.

RATE_CHANGE = (date(2025, 3, 1), date(2025, 2, 20), {"DE": "101.20"})


def test_rate_change_prices_each_day_by_its_version() -> None:
    """The day before v2's effective date is priced at v1, the effective date itself at v2.
    v1 96.40 EUR/h from 2025-01-01; v2 101.20 EUR/h from 2025-03-01 (signed 2025-02-20).
    2025-02-28, 7.5 h (450 min): 7.5 x 96.40 = 723.00 under REC-C1/v1;
    2025-03-01, 7.5 h: 7.5 x 101.20 = 759.00 under REC-C1/v2."""
    s = _scenario(_contract({"DE": "96.40"}, changes=[RATE_CHANGE]))
    truth = _truth(_time(1, date(2025, 2, 28), 450), _time(2, date(2025, 3, 1), 450))
    invoice = _invoice(
        1,
        "2025-04-03",
        "EUR",
        _line("723.00", E1, "REC-C1/v1"),
        _line("759.00", E2, "REC-C1/v2"),
    )
    report = _judge(s, truth, [invoice])
    assert _verdicts(report) == {E1: ("correct", ""), E2: ("correct", "")}
    assert [i.expected for i in report.items] == [D("723.00"), D("759.00")]
    assert report.violations == []


def test_rate_change_wrong_version_is_misbilled() -> None:
    """Each day billed at the other version's rate is 'rate_version'; the right amount under
    the wrong version reference is 'contract_version_reference'.
    2025-02-28 billed 7.5 x 101.20 = 759.00 (v2 rate before v2): rate_version;
    2025-03-01 billed 7.5 x 96.40 = 723.00 (v1 rate after v2): rate_version;
    2025-03-01 billed 759.00 but naming REC-C1/v1: contract_version_reference."""
    s = _scenario(_contract({"DE": "96.40"}, changes=[RATE_CHANGE]))
    truth = _truth(_time(1, date(2025, 2, 28), 450), _time(2, date(2025, 3, 1), 450))
    swapped = _invoice(
        1,
        "2025-04-03",
        "EUR",
        _line("759.00", E1, "REC-C1/v2"),
        _line("723.00", E2, "REC-C1/v1"),
    )
    assert _verdicts(_judge(s, truth, [swapped])) == {
        E1: ("misbilled", "rate_version"),
        E2: ("misbilled", "rate_version"),
    }
    misnamed = _invoice(
        1,
        "2025-04-03",
        "EUR",
        _line("723.00", E1, "REC-C1/v1"),
        _line("759.00", E2, "REC-C1/v1"),
    )
    assert _verdicts(_judge(s, truth, [misnamed])) == {
        E1: ("correct", ""),
        E2: ("misbilled", "contract_version_reference"),
    }


# ---------------------------------------------------------------------------------------------
# (c) A retroactive change order, settled by an adjustment line.

RETRO = (date(2025, 1, 15), date(2025, 2, 20), {"DE": "101.20"})


def test_retroactive_change_settled_by_adjustment_is_correct() -> None:
    """A charge at v1 plus an adjustment to v2 is billed once, at the v2 price.
    v2 (101.20 EUR/h) signed 2025-02-20, effective 2025-01-15, i.e. retroactively.
    Work on 2025-01-20, 7.5 h: due at v2 = 7.5 x 101.20 = 759.00.
    Invoice of 2025-02-05 (before the change order): charge 7.5 x 96.40 = 723.00, REC-C1/v1;
    invoice of 2025-03-05: adjustment 7.5 x (101.20 - 96.40) = 7.5 x 4.80 = 36.00, REC-C1/v2;
    723.00 + 36.00 = 759.00: correct, one charge."""
    s = _scenario(_contract({"DE": "96.40"}, changes=[RETRO]))
    truth = _truth(_time(1, date(2025, 1, 20), 450))
    invoices = [
        _invoice(1, "2025-02-05", "EUR", _line("723.00", E1, "REC-C1/v1")),
        _invoice(2, "2025-03-05", "EUR", _line("36.00", E1, "REC-C1/v2", role="adjustment")),
    ]
    report = _judge(s, truth, invoices)
    assert _verdicts(report) == {E1: ("correct", "")}
    [item] = report.items
    assert (item.expected, item.billed, item.times_billed) == (D("759.00"), D("759.00"), 1)
    assert item.invoiced_at == datetime(2025, 2, 5, 9, 0, tzinfo=UTC)  # the charge's posting
    assert report.violations == []


def test_retroactive_change_without_adjustment_is_rate_version() -> None:
    """The v1 charge alone, never adjusted to v2, is mis-billed 'rate_version'; an adjustment
    of the wrong size is mis-billed 'amount'.
    Due 759.00 (7.5 x 101.20); billed 723.00 (7.5 x 96.40, the v1 price): rate_version.
    723.00 + 35.00 = 758.00 matches no version and no rounding: amount."""
    s = _scenario(_contract({"DE": "96.40"}, changes=[RETRO]))
    truth = _truth(_time(1, date(2025, 1, 20), 450))
    charge = _invoice(1, "2025-02-05", "EUR", _line("723.00", E1, "REC-C1/v1"))
    report = _judge(s, truth, [charge])
    assert _verdicts(report) == {E1: ("misbilled", "rate_version")}
    assert [v.invariant for v in report.violations] == ["no_misbilling"]

    short = _invoice(2, "2025-03-05", "EUR", _line("35.00", E1, "REC-C1/v2", role="adjustment"))
    assert _verdicts(_judge(s, truth, [charge, short])) == {E1: ("misbilled", "amount")}


# ---------------------------------------------------------------------------------------------
# (d), (e) Expenses: converted at the ERP's rate, marked up, rounded once; receipts.

MARKUP_10 = ExpensePolicySpec(markup_percent=D("10"))
X1 = f"{EXPENSE}1"


def test_foreign_expense_converted_marked_up_rounded_once() -> None:
    """An INR expense on a EUR contract: converted, marked up 10%, rounded once to the cent.
    12,345.00 INR x 0.010893 EUR/INR = 134.474085 EUR; x 1.10 = 147.9214935 -> 147.92.
    Billed without the markup, 134.474085 -> 134.47: markup.
    Billed the INR figure unconverted, 12,345.00: fx_not_applied."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 1_234_500))
    assert expected_expense_amount(s.contracts[0], D("12345.00"), D("0.010893")) == D("147.92")
    right = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("147.92", X1))])
    assert _verdicts(right) == {X1: ("correct", "")}
    assert right.violations == []
    for billed, cause in (("134.47", "markup"), ("12345.00", "fx_not_applied")):
        wrong = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line(billed, X1))])
        assert _verdicts(wrong) == {X1: ("misbilled", cause)}


def test_expense_rounded_once_not_twice() -> None:
    """Rounding the conversion and then the markup again is a cent off, and mis-billed.
    5,000.00 INR x 0.010893 = 54.465 EUR; x 1.10 = 59.9115 -> 59.91 (rounded once);
    rounded twice: 54.465 -> 54.47, x 1.10 = 59.917 -> 59.92: the other reading of the
    expense order, which the contract did not choose: expense_order."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 500_000))
    right = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("59.91", X1))])
    assert _verdicts(right) == {X1: ("correct", "")}
    twice = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("59.92", X1))])
    assert _verdicts(twice) == {X1: ("misbilled", "expense_order")}
    off = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("59.95", X1))])
    assert _verdicts(off) == {X1: ("misbilled", "amount")}


@pytest.mark.parametrize(
    ("conversion", "rounding", "billed", "other"),
    [
        # 54.465 -> 54.47 EUR, x 1.10 = 59.917 -> 59.92; once: 59.91
        ("convert_then_markup", "each_step", "59.92", "59.91"),
        # 5,000.00 x 1.10 = 5,500.00 INR, x 0.010893 = 59.9115 -> 59.91; converting first
        # and rounding each step: 59.92
        ("markup_then_convert", "each_step", "59.91", "59.92"),
    ],
)
def test_expense_order_is_the_contracts(
    conversion: str, rounding: str, billed: str, other: str
) -> None:
    """Each step rounded, in the order the expense policy says: the printed converted (or
    marked-up) figure is itself a rounded amount a client can re-check; the other order's
    figure is a cent off and mis-billed as expense_order."""
    policy = MARKUP_10.model_copy(update={"conversion": conversion, "rounding": rounding})
    s = _scenario(_contract({"DE": "48.50"}, policy=policy))
    truth = _truth(_expense(1, "INR", 500_000))
    right = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line(billed, X1))])
    assert _verdicts(right) == {X1: ("correct", "")}
    wrong = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line(other, X1))])
    assert _verdicts(wrong) == {X1: ("misbilled", "expense_order")}


def test_expense_without_receipt_above_threshold_is_held_when_queued() -> None:
    """Above the receipt threshold without a receipt, unbilled and queued: held, no violation.
    12,345.00 INR x 0.010893 = 134.474085 EUR > 75.00 EUR (the default threshold)."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 1_234_500, receipt=False))
    report = _judge(s, truth, [], exceptions={X1: "missing_receipt"})
    assert _verdicts(report) == {X1: ("held", "missing_receipt")}
    assert report.violations == []


def test_expense_without_receipt_not_queued_is_leaked() -> None:
    """The same held expense missing from the exception queue (or queued for another reason)
    is leaked: nobody is told why it was not billed.
    134.474085 EUR > 75.00 without a receipt: held_without_exception_missing_receipt."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 1_234_500, receipt=False))
    for queue in (None, {X1: "missing_po"}):
        report = _judge(s, truth, [], exceptions=queue)
        assert _verdicts(report) == {X1: ("leaked", "held_without_exception_missing_receipt")}
        assert [v.invariant for v in report.violations] == ["no_leakage"]


def test_expense_without_receipt_billed_is_misbilled() -> None:
    """Billing the held expense, even at the right amount, breaks the hold.
    147.92 EUR billed (12,345.00 x 0.010893 x 1.10 = 147.9214935 -> 147.92), no receipt:
    billed_despite_missing_receipt."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 1_234_500, receipt=False))
    report = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("147.92", X1))])
    assert _verdicts(report) == {X1: ("misbilled", "billed_despite_missing_receipt")}
    assert [v.invariant for v in report.violations] == ["holds_respected"]


def test_receipt_threshold_is_on_the_converted_cost_before_markup() -> None:
    """Just under the threshold (cost, not marked-up price) needs no receipt: billed, correct.
    6,885.00 INR x 0.010893 = 74.998305 EUR <= 75.00: no hold;
    billed 74.998305 x 1.10 = 82.4981355 -> 82.50 (above 75.00, but that is the price)."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 688_500, receipt=False))
    report = _judge(s, truth, [_invoice(1, "2025-02-05", "EUR", _line("82.50", X1))])
    assert _verdicts(report) == {X1: ("correct", "")}


def test_expense_queued_without_cause_is_leaked() -> None:
    """An expense with its receipt, held in the queue anyway, is leaked (wrongly held).
    12,345.00 INR with a receipt: due 147.92 EUR, not billed: wrongly_held_missing_receipt."""
    s = _scenario(_contract({"DE": "48.50"}, policy=MARKUP_10))
    truth = _truth(_expense(1, "INR", 1_234_500, receipt=True))
    report = _judge(s, truth, [], exceptions={X1: "missing_receipt"})
    assert _verdicts(report) == {X1: ("leaked", "wrongly_held_missing_receipt")}


# ---------------------------------------------------------------------------------------------
# (f) Milestones.

M1 = f"{MILESTONE}77"


def test_milestone_billed_twice_is_duplicated() -> None:
    """An accepted milestone on two posted invoices is 'duplicated', once it is correct.
    Milestone M1, 25,000.00 EUR, accepted 2025-02-14: billed 25,000.00 on S-INV000001 and
    again on S-INV000002: billed_more_than_once (2 charges, 50,000.00 in all)."""
    s = _scenario(_contract({"DE": "48.50"}))
    truth = _truth(MilestoneTruth("C1", "M1", D("25000.00"), APPROVED.replace(day=14), "77"))
    first = _invoice(1, "2025-03-05", "EUR", _line("25000.00", M1))
    again = _invoice(2, "2025-04-03", "EUR", _line("25000.00", M1))
    once = _judge(s, truth, [first])
    assert _verdicts(once) == {M1: ("correct", "")}
    report = _judge(s, truth, [first, again])
    assert _verdicts(report) == {M1: ("duplicated", "billed_more_than_once")}
    [item] = report.items
    assert (item.times_billed, item.billed) == (2, D("50000.00"))
    assert [(v.invariant, v.item) for v in report.violations] == [("no_duplicates", M1)]


# ---------------------------------------------------------------------------------------------
# (g) A currency without minor units.


def test_jpy_contract_rounds_to_whole_yen() -> None:
    """JPY has no minor unit: amounts round to the yen by the contract's rule.
    2.5 h (150 min) x 12,345 JPY = 30,862.5 -> 30,863 (half_up) / 30,862 (half_even, down);
    a EUR taxi: 86.40 EUR x 162.35 JPY/EUR = 14,027.04; x 1.10 = 15,429.744 -> 15,430.
    Billed 30,862 (half_even's figure): rounding; billed 30,862.50 (unrounded): amount.
    Japan has no rule in the scenario's tax table: no tax is due."""
    s = _scenario(_contract({"JP": "12345"}, client="nihon", policy=MARKUP_10))
    truth = _truth(_time(1, date(2025, 1, 14), 150, country="JP"), _expense(1, "EUR", 8_640))
    right = _invoice(1, "2025-02-05", "JPY", _line("30863", E1), _line("15430", X1, "REC-C1/v1"))
    report, found = _tax_check(s, truth, [right])
    assert _verdicts(report) == {E1: ("correct", ""), X1: ("correct", "")}
    assert [i.expected for i in report.items] == [D("30863"), D("15430")]
    assert found == []
    for billed, cause in (("30862", "rounding"), ("30862.50", "amount")):
        wrong = _invoice(1, "2025-02-05", "JPY", _line(billed, E1), _line("15430", X1))
        assert _verdicts(_judge(s, truth, [wrong]))[E1] == ("misbilled", cause)
