"""Hand-written books for the oracle's rule tests: a tiny firm (German, Indian and Japanese
entities and their clients), ground-truth items, and ERP invoices written by hand as
``mocks/erp.py`` posts them, plus the calls that judge them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from sim.oracle import (
    OracleReport,
    check,
    check_tax,
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


E1, E2 = f"{TIME}1", f"{TIME}2"  # the first two time entries
