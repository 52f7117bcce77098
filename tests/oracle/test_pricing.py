"""The oracle's pricing rules against hand-worked examples, as an auditor would check them.

Each test builds a tiny scenario and a handful of ground-truth items, writes the ERP's posted
invoices by hand (dicts shaped like ``mocks/erp.py`` produces) and asserts the oracle's
verdicts. The docstrings show the arithmetic to the cent; the test asserts exactly those figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import pytest

from sim.oracle import (
    OracleReport,
    check,
    check_ledger,
    check_tax,
    expected_expense_amount,
    expected_time_amount,
)
from sim.record.truth import ExpenseTruth, GroundTruth, MilestoneTruth, TimeTruth
from sim.scenario.format import (
    ClientSpec,
    ContractSpec,
    ContractVersionSpec,
    ExpensePolicySpec,
    LegalEntitySpec,
    Period,
    Scenario,
    StaffingSpec,
    TaxSpec,
)
from sim.scenario.rules import cross_check

D = Decimal
APPROVED = datetime(2025, 1, 31, 17, 0, tzinfo=UTC)

# ---------------------------------------------------------------------------------------------
# A tiny firm: a German, an Indian (Maharashtra) and a Japanese entity, and their clients.

ENTITIES = [
    LegalEntitySpec(id="DE01", name="Firm GmbH", country="DE", currency="EUR", locale="de_DE"),
    LegalEntitySpec(
        id="IN01", name="Firm Pvt", country="IN", currency="INR", locale="en_IN", region="MH"
    ),
    LegalEntitySpec(id="JP01", name="Firm KK", country="JP", currency="JPY", locale="ja_JP"),
]
CLIENTS = [
    ClientSpec(id="acme", country="DE", locale="de_DE", legal_entity="DE01"),
    ClientSpec(id="gaul", country="FR", locale="fr_FR", legal_entity="DE01"),
    ClientSpec(id="gaul-x", country="FR", locale="fr_FR", legal_entity="DE01", vat_id="malformed"),
    ClientSpec(id="pune", country="IN", locale="en_IN", legal_entity="IN01", region="MH"),
    ClientSpec(id="blr", country="IN", locale="en_IN", legal_entity="IN01", region="KA"),
    ClientSpec(id="nihon", country="JP", locale="ja_JP", legal_entity="JP01"),
]
ENTITY_OF = {"acme": "DE01", "gaul": "DE01", "gaul-x": "DE01", "pune": "IN01", "blr": "IN01"}
CURRENCY_OF: dict[str, Literal["EUR", "INR", "JPY"]] = {"DE01": "EUR", "IN01": "INR", "JP01": "JPY"}


def _priced(rates: dict[str, str]) -> dict[str, Decimal]:
    return {country: D(rate) for country, rate in rates.items()}


def _contract(
    rates: dict[str, str],
    *,
    id: str = "C1",
    client: str = "acme",
    rounding: str = "half_up",
    changes: Iterable[tuple[date, date, dict[str, str]]] = (),
    policy: ExpensePolicySpec | None = None,
) -> ContractSpec:
    """A contract whose one role (engineer) is priced per country by ``rates``; ``changes``
    adds versions 2, 3, ... as (effective, signed, rates) change orders."""
    entity = ENTITY_OF.get(client, "JP01")
    versions = [
        ContractVersionSpec(
            number=1, effective=date(2025, 1, 1), rates={"engineer": _priced(rates)}
        )
    ]
    for n, (effective, signed, new) in enumerate(changes, start=2):
        versions.append(
            ContractVersionSpec(
                number=n, effective=effective, signed=signed, rates={"engineer": _priced(new)}
            )
        )
    return ContractSpec(
        id=id,
        client=client,
        legal_entity=entity,
        currency=CURRENCY_OF[entity],
        rounding=rounding,  # type: ignore[arg-type]
        close_date=date(2024, 12, 20),
        versions=versions,
        staffing=[StaffingSpec(role="engineer", country=next(iter(rates)), count=1)],
        expense_policy=policy,
    )


def _with_jp(tax: TaxSpec) -> TaxSpec:
    """Every seller needs a tax rule (``sim.scenario.feasible``): the JP entity gets one at 0%,
    which keeps these hand-worked JPY examples tax-free, as they were written."""
    return tax.model_copy(update={"vat_rates": {"JP": D(0), **tax.vat_rates}})


def _scenario(*contracts: ContractSpec, tax: TaxSpec | None = None) -> Scenario:
    s = Scenario(
        name="pricing",
        period=Period(start=date(2025, 1, 1), end=date(2025, 6, 30)),
        legal_entities=ENTITIES,
        clients=CLIENTS,
        roles=["engineer"],
        contracts=list(contracts),
        tax=_with_jp(tax or TaxSpec()),
    )
    assert cross_check(s) == []  # the hand-built scenario is a valid one
    return s


def _records(s: Scenario) -> dict[str, str]:
    """SOW reference -> CLM record id; a line for version n names ``REC-<contract>/v<n>``."""
    return {c.id: f"REC-{c.id}" for c in s.contracts}


def _time(n: int, day: date, minutes: int, contract: str = "C1", country: str = "DE") -> TimeTruth:
    return TimeTruth(
        work_id=f"w{n}",
        psa_id=str(n),
        contract=contract,
        consultant="ana",
        role="engineer",
        country=country,
        work_date=day,
        minutes=minutes,
        billable=True,
        logged_at=datetime.combine(day, datetime.min.time(), UTC),
        approved_at=APPROVED,
    )


def _expense(
    n: int, currency: str, amount_minor: int, receipt: bool = True, contract: str = "C1"
) -> ExpenseTruth:
    return ExpenseTruth(
        work_id=f"x{n}",
        psa_id=str(n),
        contract=contract,
        consultant="ana",
        day=date(2025, 1, 14),
        category="travel",
        currency=currency,
        amount_minor=amount_minor,
        receipt=receipt,
        approved_at=APPROVED,
    )


def _truth(*items: TimeTruth | MilestoneTruth | ExpenseTruth) -> GroundTruth:
    truth = GroundTruth()
    for item in items:
        if isinstance(item, TimeTruth):
            truth.time[item.work_id] = item
            if item.psa_id:
                truth.time_by_psa_id[item.psa_id] = item
        elif isinstance(item, MilestoneTruth):
            truth.milestones[f"{item.contract}:{item.milestone}"] = item
        else:
            truth.expenses[item.work_id] = item
    return truth


TIME, EXPENSE, MILESTONE = "psa:time_entry:", "psa:expense:", "psa:billing_milestone:"


def _line(
    amount: str, source: str, version: str = "REC-C1/v1", tax: str = "0", role: str = "charge"
) -> dict[str, Any]:
    return {
        "lineType": "Resource",
        "description": source,
        "amountExcludingTax": D(amount),
        "totalTaxAmount": D(tax),
        "amountIncludingTax": D(amount) + D(tax),
        "sourceItemIds": [source],
        "contractVersionId": version,
        "billingRole": role,
    }


def _invoice(number: int, posted: str, currency: str, *lines: dict[str, Any]) -> dict[str, Any]:
    """A posted invoice as the ERP mock keeps it: totals summed from its lines."""
    net = sum((x["amountExcludingTax"] for x in lines), D(0))
    tax = sum((x["totalTaxAmount"] for x in lines), D(0))
    return {
        "id": f"inv-{number}",
        "number": f"S-INV{number:06d}",
        "status": "Open",
        "currencyCode": currency,
        "postedAt": f"{posted}T09:00:00+00:00",
        "totalAmountExcludingTax": net,
        "totalTaxAmount": tax,
        "totalAmountIncludingTax": net + tax,
        "remainingAmount": net + tax,
        "paidAmount": D(0),
        "creditedAmount": D(0),
        "salesInvoiceLines": [{**x, "sequence": 10000 * (k + 1)} for k, x in enumerate(lines)],
    }


FX = {("INR", "EUR"): D("0.010893"), ("EUR", "JPY"): D("162.35")}


def _rates(source: str, target: str, day: date) -> Decimal:
    """The ERP's published rates, fixed for every day: 1 INR = 0.010893 EUR, 1 EUR = 162.35 JPY."""
    return D(1) if source == target else FX[(source, target)]


def _judge(
    s: Scenario,
    truth: GroundTruth,
    invoices: list[dict[str, Any]],
    exceptions: dict[str, str] | None = None,
) -> OracleReport:
    return check(s, truth, invoices, _records(s), rates=_rates, exceptions=exceptions)


def _verdicts(report: OracleReport) -> dict[str, tuple[str, str]]:
    return {i.source_id: (i.verdict, i.cause) for i in report.items}


def _tax_check(
    s: Scenario, truth: GroundTruth, invoices: list[dict[str, Any]]
) -> tuple[OracleReport, list[tuple[str, str, str]]]:
    """Judge the items, then the invoices' tax, with the tax engine having committed exactly
    what the invoices carry (so only each invoice's own tax is under test)."""
    report = _judge(s, truth, invoices)
    committed: dict[str, Decimal] = {}
    for inv in invoices:
        code = inv["currencyCode"]
        committed[code] = committed.get(code, D(0)) + D(inv["totalTaxAmount"])
    check_tax(s, invoices, report, committed)
    found = [(v.invariant, v.item, v.detail.split(":")[0]) for v in report.violations]
    return report, found


# ---------------------------------------------------------------------------------------------
# (a) Time, priced and rounded by the contract's rule.

E1 = f"{TIME}1"


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
E2 = f"{TIME}2"


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
