"""The oracle: what every billable item should have cost, and what the ERP says it was billed.

It prices ground truth with its own small code, from the scenario's contract terms, and never
imports the core (an import-linter rule holds it to that). It compares item by item, through
the source ids each invoice line carries:

- correct: billed exactly once, at the right amount and currency, on a posted invoice;
- leaked: approved and billable but never on a posted invoice;
- duplicated: on more than one posted invoice line;
- misbilled: billed once, but at the wrong amount or currency, or through a hold, or settled
  the wrong way (the cause is diagnosed);
- held: not billed on purpose (missing PO, missing receipt, unapproved subcontractor cost) and
  listed with that reason in the core's exception queue: explained, not leaked.

Taxes, the ledger, cash, purchase orders and contract terms are judged in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sim.oracle._pricing import (
    MINOR,
    READINGS,
    ROUNDING,
    Rates,
    _markup,
    _round,
    _version_on,
    expected_expense_amount,
    expected_time_amount,
)
from sim.record.truth import GroundTruth
from sim.scenario.format import ContractSpec, Scenario

__all__ = [
    "ItemVerdict",
    "OracleReport",
    "Violation",
    "check",
    "expected_expense_amount",
    "expected_time_amount",
]


# The oracle's own rounding table, deliberately not shared with the core; minor units come
# from the scenario format (ISO 4217), which is ground truth, not code under test.
@dataclass(frozen=True)
class Violation:
    invariant: str
    item: str
    detail: str


@dataclass(slots=True)  # one per billable item, all held until the run's files are written
class ItemVerdict:
    source_id: str
    kind: str
    contract: str
    currency: str
    day: date
    expected: Decimal
    billed: Decimal | None
    times_billed: int
    verdict: str
    cause: str
    ready_at: datetime | None
    invoiced_at: datetime | None
    resettled: bool = False  # a retroactive change order adjusted or credited and reissued it


@dataclass
class OracleReport:
    items: list[ItemVerdict] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    invoices: int = 0
    lines: int = 0

    def count(self, verdict: str) -> int:
        return sum(1 for i in self.items if i.verdict == verdict)


@dataclass(slots=True)
class _Billing:
    invoice: str
    currency: str
    amount: Decimal
    version: str
    posted_at: datetime | None
    role: str = "charge"


def _billings(
    invoices: Iterable[dict[str, Any]],
    report: OracleReport,
    credit_memos: Iterable[dict[str, Any]] = (),
) -> dict[str, list[_Billing]]:
    """source id -> every posted line billing it (and every credit memo line reversing a
    charge, as a negative 'reversal'; a service credit on a credit note, as the negative
    'credit' it would have been on an invoice); lines billing several items are split."""
    found: dict[str, list[_Billing]] = {}
    documents = [(inv, "salesInvoiceLines", False) for inv in invoices]
    documents += [(memo, "salesCreditMemoLines", True) for memo in credit_memos]
    for inv, lines_key, reverses in documents:
        if inv["status"] not in ("Open", "Paid"):
            continue
        report.invoices += 0 if reverses else 1
        posted = datetime.fromisoformat(inv["postedAt"]) if inv.get("postedAt") else None
        for line in inv[lines_key]:
            report.lines += 0 if reverses else 1
            sources = line.get("sourceItemIds") or []
            if not sources or not line.get("contractVersionId"):
                report.violations.append(
                    Violation(
                        "audit_trail",
                        f"{inv['number']}#{line['sequence']}",
                        "invoice line names no source item or no contract version",
                    )
                )
            share = Decimal(line["amountExcludingTax"]) / max(1, len(sources))
            role = line.get("billingRole", "charge")
            if reverses:  # a credit note: a service credit granted, or a charge reversed
                share, role = -share, ("credit" if role == "credit" else "reversal")
            for source in sources:
                found.setdefault(source, []).append(
                    _Billing(
                        inv["number"],
                        inv["currencyCode"],
                        share,
                        line.get("contractVersionId", ""),
                        posted,
                        role,
                    )
                )
    return found


def check(
    scenario: Scenario,
    truth: GroundTruth,
    invoices: list[dict[str, Any]],
    contract_records: dict[str, str],
    rates: Rates | None = None,
    exceptions: dict[str, str] | None = None,
    credit_memos: list[dict[str, Any]] | None = None,
) -> OracleReport:
    """Judge every billable item; ``contract_records`` maps SOW reference -> CLM record id,
    ``rates`` gives the ERP's published exchange rates, ``exceptions`` the core's exception
    queue (source id -> reason), where items held on purpose must be explained."""
    report = OracleReport()
    queue = exceptions or {}
    contracts = {c.id: c for c in scenario.contracts}
    last = last_run = truth.billing_runs[-1][1] if truth.billing_runs else None
    po_hold = {
        cid: "missing_po"
        for cid, c in contracts.items()
        if c.purchase_order is not None
        and (
            cid not in truth.purchase_orders or last is None or truth.purchase_orders[cid][1] > last
        )
    }
    billed = _billings(invoices, report, credit_memos or [])
    expected_ids: dict[str, None] = {}

    for t in truth.time.values():
        if not t.billable or (t.psa_id is not None and t.approved_at is None):
            continue  # not billable, or still awaiting approval at the end of the run
        c = contracts[t.contract]
        amount = expected_time_amount(c, t.role, t.country, t.work_date, t.minutes)
        version = _version_on(c, t.work_date)
        report.items.append(
            _judge(
                t.source_id,
                "time_entry",
                c,
                t.work_date,
                amount,
                t.approved_at,
                billed.get(t.source_id, []),
                last_run,
                report,
                f"{contract_records.get(c.id, '?')}/v{version}",
                lambda c=c, t=t: [
                    *(
                        (
                            "rate_version",
                            expected_time_amount(
                                c, t.role, t.country, t.work_date, t.minutes, version=v.number
                            ),
                        )
                        for v in c.versions
                    ),
                    *(
                        (
                            "rounding",
                            expected_time_amount(
                                c, t.role, t.country, t.work_date, t.minutes, rule=rule
                            ),
                        )
                        for rule in ROUNDING
                    ),
                ],
                hold=po_hold.get(c.id) or _subcontracting_hold(truth, t, last),
                queued=queue.get(t.source_id),
            )
        )
        expected_ids[t.source_id] = None
    for m in truth.milestones.values():
        if m.accepted_at is None:
            continue
        c = contracts[m.contract]
        amount = _round(m.amount, c.currency, c.rounding)
        report.items.append(
            _judge(
                m.source_id,
                "billing_milestone",
                c,
                m.accepted_at.date(),
                amount,
                m.accepted_at,
                billed.get(m.source_id, []),
                last_run,
                report,
                None,
                None,
                hold=po_hold.get(c.id),
                queued=queue.get(m.source_id),
            )
        )
        expected_ids[m.source_id] = None

    for e in truth.expenses.values():
        c = contracts[e.contract]
        policy = c.expense_policy
        if policy is None or e.category not in policy.billable_categories:
            continue  # not billable: billing it is a phantom
        if e.psa_id is not None and e.approved_at is None:
            continue  # still awaiting approval at the end of the run
        if rates is None:
            raise ValueError("judging expenses needs the ERP's published exchange rates")
        amount = Decimal(e.amount_minor).scaleb(-MINOR[e.currency])
        rate = rates(e.currency, c.currency, e.day)
        hold = po_hold.get(c.id)
        if not e.receipt and amount * rate > policy.receipt_required_above:
            hold = "missing_receipt"
        report.items.append(
            _judge(
                e.source_id, "expense", c, e.day,
                expected_expense_amount(c, amount, rate, e.currency),
                e.approved_at, billed.get(e.source_id, []), last_run, report, None,
                lambda c=c, amount=amount, rate=rate, cur=e.currency: [
                    *(("expense_order", expected_expense_amount(c, amount, rate, cur, reading))
                      for reading in READINGS),
                    ("markup", _round(amount * rate, c.currency, c.rounding)),
                    ("fx_not_applied", _round(amount, c.currency, c.rounding)),
                    *(("rounding", _round(amount * rate * (1 + _markup(c) / 100), c.currency,
                                          rule)) for rule in ROUNDING),
                ],
                hold=hold, queued=queue.get(e.source_id),
            )
        )  # fmt: skip
        expected_ids[e.source_id] = None

    granted: dict[tuple[str, str], Decimal] = {}
    for b in sorted(truth.breaches, key=lambda b: (b.contract, b.day, b.number)):
        c = contracts[b.contract]
        if c.service_level is None:
            continue
        month = (c.id, f"{b.day:%Y-%m}")
        credit = min(
            c.service_level.credit_per_breach,
            c.service_level.monthly_cap - granted.get(month, Decimal(0)),
        )
        if credit <= 0:
            continue  # the month's cap is reached: nothing is owed for this breach
        granted[month] = granted.get(month, Decimal(0)) + credit
        report.items.append(
            _judge(
                b.source_id, "credit", c, b.day, -_round(credit, c.currency, c.rounding),
                b.recorded_at, billed.get(b.source_id, []), last_run, report, None, None,
                hold=po_hold.get(c.id), queued=queue.get(b.source_id),
            )
        )  # fmt: skip
        expected_ids[b.source_id] = None

    for source, lines in billed.items():
        if source not in expected_ids:
            is_time = source.startswith("psa:time_entry:")
            known = is_time and source.rsplit(":", 1)[-1] in truth.time_by_psa_id
            why = "it was never approved" if known else "no such billable item exists"
            report.violations.append(
                Violation(
                    "no_phantom_billing",
                    source,
                    f"billed on {', '.join(b.invoice for b in lines)} but {why}",
                )
            )
    return report


def _judge(
    source: str,
    kind: str,
    c: ContractSpec,
    day: date,
    expected: Decimal,
    ready: datetime | None,
    lines: list[_Billing],
    last_run: datetime | None,
    report: OracleReport,
    version_id: str | None,
    reprice: Any,
    hold: str | None = None,
    queued: str | None = None,
) -> ItemVerdict:
    charges = [b for b in lines if b.role in ("charge", "credit")]
    reversals = [b for b in lines if b.role == "reversal"]
    for _ in reversals:  # a credit note cancels one charge
        if charges:
            charges = charges[1:]
    verdict = ItemVerdict(
        source,
        kind,
        c.id,
        c.currency,
        day,
        expected,
        None,
        len(charges),
        "correct",
        "",
        ready,
        None,
    )
    verdict.resettled = any(b.role in ("adjustment", "reversal") for b in lines)
    if lines:
        verdict.billed = sum((b.amount for b in lines), Decimal(0))
        verdict.invoiced_at = min((b.posted_at for b in charges if b.posted_at), default=None)
    if hold is not None:
        return _judge_hold(verdict, hold, queued, bool(charges), report)
    if not charges:
        verdict.verdict = "leaked"
        if source.startswith("work:milestone:"):
            verdict.cause = "milestone_not_in_psa"
        elif queued is not None:
            verdict.cause = f"wrongly_held_{queued}"
        elif ready is None:
            verdict.cause = "never_logged_no_active_project"
        elif last_run is not None and ready > last_run:
            verdict.cause = "approved_after_last_billing_run"
        else:
            verdict.cause = "never_invoiced"
        report.violations.append(
            Violation(
                "no_leakage", source, f"{expected} {c.currency} never invoiced ({verdict.cause})"
            )
        )
        return verdict
    if len(charges) > 1:
        verdict.verdict, verdict.cause = "duplicated", "billed_more_than_once"
        report.violations.append(
            Violation(
                "no_duplicates",
                source,
                f"billed {len(charges)} times ({', '.join(b.invoice for b in charges)})",
            )
        )
        return verdict
    settled = _settlement(c, lines)
    if settled:
        verdict.verdict, verdict.cause = "misbilled", settled
        report.violations.append(
            Violation("no_misbilling", source, f"{settled}: the contract settles retroactive "
                      f"changes by {c.retro_settlement.replace('_', ' ')}")
        )  # fmt: skip
        return verdict
    # A charge plus any adjustments: judged by what the client was billed in total, in the
    # currency of every line, under the contract version named last.
    currencies = {b.currency for b in lines}
    line = _Billing(
        ", ".join(dict.fromkeys(b.invoice for b in lines)),
        charges[0].currency if len(currencies) == 1 else "mixed",
        verdict.billed or Decimal(0),
        _latest(lines).version,
        charges[0].posted_at,
    )
    cause = _diagnose(c, expected, line, version_id, reprice)
    if cause:
        verdict.verdict, verdict.cause = "misbilled", cause
        report.violations.append(
            Violation(
                "no_misbilling",
                source,
                f"{cause}: billed {line.amount} {line.currency} on "
                f"{line.invoice}, expected {expected} {c.currency}",
            )
        )
    return verdict


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _latest(lines: list[_Billing]) -> _Billing:
    """The line posted last (an adjustment after its charge), whatever the listing order."""
    order = sorted(
        range(len(lines)),
        key=lambda k: (_timestamp(lines[k].posted_at), k),
    )
    return lines[order[-1]]


def _settlement(c: ContractSpec, lines: list[_Billing]) -> str:
    """Empty when a repriced item was settled the way its contract says."""
    roles = {b.role for b in lines}
    if c.retro_settlement == "adjustment_lines" and "reversal" in roles:
        return "settlement_method"
    if c.retro_settlement == "credit_and_reissue" and "adjustment" in roles:
        return "settlement_method"
    return ""


def _subcontracting_hold(truth: GroundTruth, t: Any, last: datetime | None) -> str | None:
    """A subcontractor's time bills only once the firm approved the vendor's cost for that
    month, by the last billing run."""
    if not t.subcontractor:
        return None
    approved = truth.subcontractor_costs.get((t.consultant, f"{t.work_date:%Y-%m}"))
    if approved is None or last is None or approved > last:
        return "unapproved_subcontractor_cost"
    return None


def _judge_hold(
    verdict: ItemVerdict, hold: str, queued: str | None, billed: bool, report: OracleReport
) -> ItemVerdict:
    """An item the contract says must not be billed yet: held, and explained in the queue."""
    if billed:
        verdict.verdict, verdict.cause = "misbilled", f"billed_despite_{hold}"
        report.violations.append(
            Violation("holds_respected", verdict.source_id, f"billed although {hold} holds it")
        )
    elif queued == hold:
        verdict.verdict, verdict.cause = "held", hold
    else:
        verdict.verdict, verdict.cause = "leaked", f"held_without_exception_{hold}"
        report.violations.append(
            Violation("no_leakage", verdict.source_id,
                      f"not billed ({hold}) but not in the exception queue either")
        )  # fmt: skip
    return verdict


def _diagnose(
    c: ContractSpec, expected: Decimal, line: _Billing, version_id: str | None, reprice: Any
) -> str:
    """Empty when the line is right; else the most specific cause that explains the amount."""
    if line.currency != c.currency:
        return "currency"
    if line.amount == expected:
        if version_id is not None and line.version != version_id:
            # a version whose rates price the item the same (an unchanged rate in a change
            # order) is as good a reference as the one in force
            named = line.version.rpartition("/v")[2]
            same = (
                reprice is not None
                and named.isdigit()
                and any(
                    cause == "rate_version" and n == int(named) and amount == expected
                    for n, (cause, amount) in enumerate(reprice(), start=1)
                )
            )
            return "" if same else "contract_version_reference"
        return ""
    if reprice is not None:
        for cause, amount in reprice():
            if amount == line.amount:
                return str(cause)
    return "amount"
