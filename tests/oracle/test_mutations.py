"""A mutation suite for the oracle: doctor one field of the posted books at a time, with an error
of known size, and the oracle must catch every one.

One honest run of the small firm (with expenses in INR marked up and rounded at each step,
service credits treated as compensation outside VAT on the EUR contract, a GBP credit larger
than April's charges that goes on a credit note, a milestone and a retroactive change order
settled by credit note and reissue, so that every kind of line and both kinds of credit note
exist) is judged once and must be clean. Then each mutation deep-copies the books, changes one
field (keeping every other figure consistent, as a careful forger would, where the field is an
amount) and judges again: the run must fail, and fail the check the mutation names
(``invariant`` or ``invariant:cause``, the cause being what a violation's detail starts with).
The share caught and the per-field table are printed (``pytest -s``); the share must be 100%.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from sim.judge import judge
from sim.record.books import Books
from sim.record.folder import RunRecord
from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.support.paths import SMALL

SEED = 3
Doc = dict[str, Any]
VAT = {"EUR": Decimal("0.19"), "GBP": Decimal("0.20")}  # the small firm's DE and GB VAT
CENT = Decimal("0.01")


def _scenario_text() -> str:
    text = Path(SMALL).read_text(encoding="utf-8")
    edits = [
        (
            "    milestones:\n      - {id: M1",
            "    expense_policy: {markup_percent: 10.00, rounding: each_step}\n"
            "    service_level: {credit_per_breach: 500.00, monthly_cap: 800.00,\n"
            "                    vat_treatment: compensation,\n"
            "                    breaches: [2026-03-10, 2026-03-20, 2026-04-14]}\n"
            "    milestones:\n      - {id: M1",
        ),
        (
            "        rates: {engineer: {GB: 95.25}}\n",
            "        rates: {engineer: {GB: 95.25}}\n"
            "      - {number: 2, effective: 2026-03-16, signed: 2026-04-10,\n"
            "         rates: {engineer: {GB: 99.75}}}\n"
            "    retro_settlement: credit_and_reissue\n"
            "    service_level: {credit_per_breach: 60000.00, monthly_cap: 60000.00,\n"
            "                    breaches: [2026-04-14]}\n",
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, f"small.yaml no longer holds {old!r} once"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> RunRecord:
    file = tmp_path_factory.mktemp("mutations") / "small-ledger.yaml"
    file.write_text(_scenario_text(), encoding="utf-8")
    result = run(load_scenario(file), SEED)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    return result.record


# --- finding what to doctor ---------------------------------------------------------------


def _invoices(books: Books) -> list[Doc]:
    return [i for i in books.invoices if i["status"] in ("Open", "Paid")]


def _line(books: Books, kind: str, want: Callable[[Doc, Doc], bool] = lambda i, x: True) -> Any:
    """(invoice, line) of the first posted line billing one ``kind`` item that ``want`` likes."""
    for inv in _invoices(books):
        for line in inv["salesInvoiceLines"]:
            if line["sourceItemIds"][0].startswith(kind) and want(inv, line):
                return inv, line
    raise AssertionError(f"no {kind} line fits; the scenario changed?")


def _time(books: Books, want: Callable[[Doc, Doc], bool] = lambda i, x: True) -> Any:
    return _line(books, "psa:time_entry:", want)


def _open_time(books: Books) -> Any:
    return _time(books, lambda i, x: i["status"] == "Open")


def _memo(books: Books) -> Doc:
    """The credit note reversing charges (the change order's)."""
    return next(
        m
        for m in books.credit_memos
        if m["status"] != "Draft"
        and any(x["billingRole"] != "credit" for x in m["salesCreditMemoLines"])
    )


def _credit_note(books: Books) -> Doc:
    """The credit note of service credits April's invoice could not absorb."""
    return next(
        m
        for m in books.credit_memos
        if m["status"] != "Draft"
        and all(x["billingRole"] == "credit" for x in m["salesCreditMemoLines"])
    )


def _credit_note_line(books: Books) -> tuple[Doc, Doc]:
    note = _credit_note(books)
    return note, note["salesCreditMemoLines"][0]


# --- careful forgery: keep every other figure consistent ------------------------------------


def _tax(currency: str, net: Decimal) -> Decimal:
    return (net * VAT[currency]).quantize(CENT, ROUND_HALF_UP)


def _set_line(doc: Doc, line: Doc, net: Decimal, tax: Decimal | None = None) -> None:
    """A line's net (and its tax, by default the VAT on it), with the line's gross and the
    document's totals (and what remains owed on an open invoice) following."""
    if tax is None:  # a line without tax (a credit outside VAT) stays without
        tax = _tax(doc["currencyCode"], net) if Decimal(line["totalTaxAmount"]) else Decimal(0)
    d_net, d_tax = net - Decimal(line["amountExcludingTax"]), tax - Decimal(line["totalTaxAmount"])
    line["amountExcludingTax"], line["totalTaxAmount"] = net, tax
    line["amountIncludingTax"] = net + tax
    doc["totalAmountExcludingTax"] = Decimal(doc["totalAmountExcludingTax"]) + d_net
    doc["totalTaxAmount"] = Decimal(doc["totalTaxAmount"]) + d_tax
    doc["totalAmountIncludingTax"] = Decimal(doc["totalAmountIncludingTax"]) + d_net + d_tax
    if doc.get("status") == "Open" and "remainingAmount" in doc:
        doc["remainingAmount"] = Decimal(doc["remainingAmount"]) + d_net + d_tax


def _bump(doc: Doc, key: str, by: Decimal = CENT) -> None:
    doc[key] = Decimal(doc[key]) + by


def _shift_dates(inv: Doc, days: int) -> None:
    """Move the invoice date, and its due date with it (so only the date is wrong)."""
    for key in ("invoiceDate", "dueDate"):
        inv[key] = (date.fromisoformat(inv[key]) + timedelta(days=days)).isoformat()


def _version(line: Doc, ref: str) -> None:
    line["contractVersionId"] = ref


def _record_of(line: Doc) -> str:
    return str(line["contractVersionId"]).rpartition("/v")[0]


# --- the mutations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    field: str
    error: str
    apply: Callable[[Books, RunRecord], None]
    expect: str  # the check that must catch it: "invariant" or "invariant:cause"


def _half_cent(books: Books, r: RunRecord) -> None:
    """The amount rounded half-up where the contract rounds half-even (a 27.525 line)."""
    for inv in _invoices(books):
        for line in inv["salesInvoiceLines"]:
            exact = Decimal(line["quantity"]) * Decimal(line["unitPrice"])
            if (
                inv["currencyCode"] == "EUR"
                and exact.quantize(Decimal("0.001")) == exact
                and (exact.quantize(CENT, ROUND_HALF_UP) != Decimal(line["amountExcludingTax"]))
            ):
                _set_line(inv, line, exact.quantize(CENT, ROUND_HALF_UP))
                return
    raise AssertionError("no half-cent line in the run")


def _tax_moved(books: Books, r: RunRecord) -> None:
    inv, a = _open_time(books)
    b = next(x for x in inv["salesInvoiceLines"] if x is not a)
    for line, by in ((a, CENT), (b, -CENT)):
        line["totalTaxAmount"] = Decimal(line["totalTaxAmount"]) + by
        line["amountIncludingTax"] = Decimal(line["amountIncludingTax"]) + by


def _wrong_rate_version(books: Books, r: RunRecord) -> None:
    _, line = _time(
        books,
        lambda i, x: x["contractVersionId"].endswith("/v1") and x["unitPrice"] == Decimal("110.10"),
    )
    _version(line, _record_of(line) + "/v2")


def _drop_line(books: Books, r: RunRecord) -> None:
    inv, line = _open_time(books)
    _set_line(inv, line, Decimal(0), Decimal(0))
    inv["salesInvoiceLines"].remove(line)


def _copy_line(books: Books, r: RunRecord) -> None:
    inv, line = _open_time(books)
    twin = copy.deepcopy(line)
    twin["sequence"] = 999_999
    inv["salesInvoiceLines"].append(twin)
    twin["amountExcludingTax"] = twin["totalTaxAmount"] = Decimal(0)
    _set_line(inv, twin, Decimal(line["amountExcludingTax"]), Decimal(line["totalTaxAmount"]))


Apply = Callable[[Books, RunRecord], None]
Find = Callable[[Books], Any]  # -> (document, line) or a document


def _first(books: Books) -> Doc:
    return _invoices(books)[0]


def _kind(kind: str, version: str = "") -> Find:
    """The first line of ``kind`` (naming version ``version``, if given)."""
    return lambda b: _line(b, kind, lambda i, x: x["contractVersionId"].endswith(version))


def _in(currency: str) -> Find:
    return lambda b: _time(b, lambda i, x: i["currencyCode"] == currency)


def _memo_first(books: Books) -> tuple[Doc, Doc]:
    memo = _memo(books)
    return memo, memo["salesCreditMemoLines"][0]


def _set(find: Find, **values: Any) -> Apply:
    """Set fields of the document ``find`` gives."""
    return lambda b, r: find(b).update(values)


def _set_line_field(find: Find, **values: Any) -> Apply:
    return lambda b, r: find(b)[1].update(values)


def _other_value(find: Find, key: str) -> Apply:
    def apply(b: Books, r: RunRecord) -> None:
        doc = find(b)
        doc[key] = next(i[key] for i in _invoices(b) if i[key] != doc[key])

    return apply


def _bumped(find: Find, key: str, by: Decimal = CENT, line: bool = False) -> Apply:
    return lambda b, r: _bump(find(b)[1] if line else find(b), key, by)


def _net(find: Find, change: Callable[[Decimal], Decimal]) -> Apply:
    """A line's net changed, carefully (tax, gross and totals follow)."""

    def apply(b: Books, r: RunRecord) -> None:
        doc, line = find(b)
        _set_line(doc, line, change(Decimal(line["amountExcludingTax"])))

    return apply


def _line_tax(find: Find, by: Decimal) -> Apply:
    def apply(b: Books, r: RunRecord) -> None:
        doc, line = find(b)
        _set_line(doc, line, Decimal(line["amountExcludingTax"]), line["totalTaxAmount"] + by)

    return apply


def _hours_and_amount(b: Books, r: RunRecord) -> None:
    doc, line = _open_time(b)
    _bump(line, "quantity", Decimal("0.25"))
    extra = (Decimal("0.25") * Decimal(line["unitPrice"])).quantize(CENT)
    _set_line(doc, line, Decimal(line["amountExcludingTax"]) + extra)


def _ref(find: Find, ref: Callable[[Books], str]) -> Apply:
    return lambda b, r: _version(find(b)[1], ref(b))


def _record(find: Find, version: str) -> Callable[[Books], str]:
    return lambda b: _record_of(find(b)[1]) + version


def _due_late(b: Books, r: RunRecord) -> None:
    inv = _first(b)
    inv["dueDate"] = (date.fromisoformat(inv["dueDate"]) + timedelta(days=1)).isoformat()


def _memo_late(b: Books, r: RunRecord) -> None:
    memo = _memo(b)
    day = date.fromisoformat(memo["creditMemoDate"]) + timedelta(days=1)
    memo["creditMemoDate"] = day.isoformat()


def _next_lines_item(b: Books, r: RunRecord) -> None:
    inv, line = _time(b)
    line["sourceItemIds"] = list(inv["salesInvoiceLines"][1]["sourceItemIds"])


def _paid(b: Books) -> Doc:
    return next(i for i in _invoices(b) if i["status"] == "Paid")


# --- credit notes of service credits, VAT on credits, the expense order ----------------------


def _negated(line: Doc, sequence: int) -> Doc:
    """A credit note line as the invoice line it would have been (negative)."""
    twin = copy.deepcopy(line)
    for key in ("amountExcludingTax", "unitPrice", "totalTaxAmount", "amountIncludingTax"):
        if key in twin:
            twin[key] = -Decimal(twin[key])
    twin["sequence"] = sequence
    return twin


def _april_gbp(books: Books, note: Doc) -> Doc:
    return next(i for i in _invoices(books) if i["currencyCode"] == "GBP"
                and i["invoiceDate"] == note["creditMemoDate"])  # fmt: skip


def _add_line(doc: Doc, line: Doc, key: str) -> None:
    """Append ``line`` to ``doc`` with the totals (and what remains owed) following."""
    doc[key].append(line)
    net, tax = Decimal(line["amountExcludingTax"]), Decimal(line["totalTaxAmount"])
    _bump(doc, "totalAmountExcludingTax", net)
    _bump(doc, "totalTaxAmount", tax)
    _bump(doc, "totalAmountIncludingTax", net + tax)
    if doc.get("status") == "Open" and "remainingAmount" in doc:
        _bump(doc, "remainingAmount", net + tax)


def _folded(b: Books, r: RunRecord) -> None:
    """The credit note withdrawn and its credit put on April's invoice: a negative invoice."""
    note = _credit_note(b)
    b.credit_memos.remove(note)
    _add_line(_april_gbp(b, note), _negated(note["salesCreditMemoLines"][0], 999_999),
              "salesInvoiceLines")  # fmt: skip


def _credited_twice(b: Books, r: RunRecord) -> None:
    note = _credit_note(b)
    _add_line(_april_gbp(b, note), _negated(note["salesCreditMemoLines"][0], 999_999),
              "salesInvoiceLines")  # fmt: skip


def _note_withdrawn(b: Books, r: RunRecord) -> None:
    b.credit_memos.remove(_credit_note(b))


def _other_contracts_credit(b: Books, r: RunRecord) -> None:
    """The EUR contract's credit copied onto the GBP contract's credit note."""
    _, line = _CREDIT(b)
    twin = copy.deepcopy(line)
    twin["sequence"] = 999_999
    twin["amountExcludingTax"] = twin["unitPrice"] = -Decimal(line["amountExcludingTax"])
    twin["amountIncludingTax"] = twin["amountExcludingTax"]
    _add_line(_credit_note(b), twin, "salesCreditMemoLines")


def _note_before_run(b: Books, r: RunRecord) -> None:
    note = _credit_note(b)
    day = date.fromisoformat(note["creditMemoDate"]) - timedelta(days=1)
    note["creditMemoDate"] = day.isoformat()


def _vat_on_compensation(b: Books, r: RunRecord) -> None:
    """19% VAT on the EUR contract's credits (every one on the invoice), which it treats as
    compensation, outside VAT: the price-reduction reading, consistently applied."""
    doc, _ = _CREDIT(b)
    for line in doc["salesInvoiceLines"]:
        if line["billingRole"] == "credit":
            net = Decimal(line["amountExcludingTax"])
            _set_line(doc, line, net, _tax("EUR", net))


def _no_vat_on_price_reduction(b: Books, r: RunRecord) -> None:
    """No VAT given back on the GBP credit, which reduces the price (the VAT base)."""
    note, line = _credit_note_line(b)
    _set_line(note, line, Decimal(line["amountExcludingTax"]), Decimal(0))


def _rounded_once(b: Books, r: RunRecord) -> None:
    """An INR expense rounded once, where the contract rounds after converting and again
    after the markup (the two differ by a cent on this line)."""
    paid = {e.source_id: e for e in r.truth.expenses.values()}
    for inv in _invoices(b):
        for line in inv["salesInvoiceLines"]:
            e = paid.get(line["sourceItemIds"][0])
            if e is None or e.currency != "INR" or inv["currencyCode"] != "EUR":
                continue
            cost = Decimal(e.amount_minor).scaleb(-2) * b.rate("INR", "EUR", e.day)
            once = (cost * Decimal("1.1")).quantize(CENT, ROUND_HALF_EVEN)
            each = (cost.quantize(CENT, ROUND_HALF_EVEN) * Decimal("1.1")).quantize(
                CENT, ROUND_HALF_EVEN
            )
            if once != each and Decimal(line["amountExcludingTax"]) == each:
                line["unitPrice"] = once
                _set_line(inv, line, once)
                return
    raise AssertionError("no INR expense where rounding once and each step differ")


_TIME, _EXPENSE = _kind("psa:time_entry:"), _kind("psa:expense:")
_MILESTONE, _CREDIT = _kind("psa:billing_milestone:"), _kind("clm:breach:")
_OPEN: Find = _open_time
_GBP_RECORD = _record(_in("GBP"), "/v1")

M = Mutation
MUTATIONS: list[Mutation] = [
    # invoice header
    M(
        "invoice.customerId",
        "another client's customer",
        _other_value(_first, "customerId"),
        "documents:customer",
    ),
    M(
        "invoice.customerNumber",
        "another customer's number",
        _set(_first, customerNumber="C9"),
        "documents:customer",
    ),
    M(
        "invoice.customerName",
        "another name",
        _set(_first, customerName="Someone Else GmbH"),
        "documents:customer",
    ),
    M(
        "invoice.companyId",
        "the other legal entity",
        _other_value(_first, "companyId"),
        "documents:legal_entity",
    ),
    M(
        "invoice.currencyCode",
        "GBP on a EUR invoice",
        lambda b, r: _in("EUR")(b)[0].update(currencyCode="GBP"),
        "documents:currency",
    ),
    M(
        "invoice.number",
        "another invoice's number",
        lambda b, r: _invoices(b)[1].update(number=_first(b)["number"]),
        "documents:number",
    ),
    M(
        "invoice.invoiceDate",
        "before the work (-30 days)",
        lambda b, r: _shift_dates(_first(b), -30),
        "documents:invoice_date",
    ),
    M(
        "invoice.invoiceDate",
        "before its billing run (-1 day)",
        lambda b, r: _shift_dates(_first(b), -1),
        "documents:invoice_date",
    ),
    M(
        "invoice.invoiceDate",
        "after it was posted (+1 day)",
        lambda b, r: _shift_dates(_first(b), 1),
        "documents:invoice_date",
    ),
    M("invoice.dueDate", "one day late", _due_late, "documents:due_date"),
    M(
        "invoice.dueDate",
        "ignores the payment terms",
        lambda b, r: _first(b).update(dueDate=_first(b)["invoiceDate"]),
        "documents:due_date",
    ),
    M(
        "invoice.totalAmountExcludingTax",
        "+0.01",
        _bumped(_first, "totalAmountExcludingTax"),
        "invoice_totals",
    ),
    M("invoice.totalTaxAmount", "+0.01", _bumped(_first, "totalTaxAmount"), "invoice_totals"),
    M(
        "invoice.totalAmountIncludingTax",
        "+0.01",
        _bumped(_first, "totalAmountIncludingTax"),
        "invoice_totals",
    ),
    M(
        "invoice.remainingAmount",
        "-0.01",
        lambda b, r: _bump(_open_time(b)[0], "remainingAmount", -CENT),
        "receivables",
    ),
    M("invoice.paidAmount", "+0.01", _bumped(_first, "paidAmount"), "receivables"),
    M("invoice.creditedAmount", "+0.01", _bumped(_first, "creditedAmount"), "receivables"),
    M("invoice.status", "Paid shown Open", _set(_paid, status="Open"), "receivables"),
    # lines, time first
    M(
        "line.amountExcludingTax",
        "+0.01 (tax, totals follow)",
        _net(_OPEN, lambda x: x + CENT),
        "no_misbilling:amount",
    ),
    M(
        "line.amountExcludingTax",
        "+100.00 (tax, totals follow)",
        _net(_OPEN, lambda x: x + 100),
        "no_misbilling:amount",
    ),
    M(
        "line.amountExcludingTax",
        "half-up where the contract rounds half-even",
        _half_cent,
        "no_misbilling:rounding",
    ),
    M(
        "line.quantity",
        "+0.25 h",
        _bumped(_TIME, "quantity", Decimal("0.25"), line=True),
        "documents:quantity",
    ),
    M("line.quantity", "+0.25 h, amount following", _hours_and_amount, "documents:quantity"),
    M("line.unitPrice", "+0.01", _bumped(_TIME, "unitPrice", line=True), "documents:rate"),
    M(
        "line.unitPrice",
        "the next version's rate, amount kept",
        _set_line_field(
            lambda b: _time(b, lambda i, x: x["unitPrice"] == Decimal("110.10")),
            unitPrice=Decimal("114.30"),
        ),
        "documents:rate",
    ),
    M(
        "line.totalTaxAmount",
        "+0.01 (gross and totals follow)",
        _line_tax(_OPEN, CENT),
        "no_misbilling:tax",
    ),
    M(
        "line.totalTaxAmount",
        "0.01 moved between two lines of one invoice",
        _tax_moved,
        "no_misbilling:tax",
    ),
    M(
        "line.amountIncludingTax",
        "+0.01",
        _bumped(_TIME, "amountIncludingTax", line=True),
        "documents:line_gross",
    ),
    M(
        "line.contractVersionId",
        "time: a version whose rates differ",
        _wrong_rate_version,
        "no_misbilling:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "time: no such version",
        _ref(_TIME, _record(_TIME, "/v9")),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "time: another contract's record",
        _ref(_in("EUR"), _GBP_RECORD),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "milestone: no such record",
        _ref(_MILESTONE, lambda b: "x/v1"),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "milestone: v9",
        _ref(_MILESTONE, _record(_MILESTONE, "/v9")),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "expense: a version not yet in force",
        _ref(_kind("psa:expense:", "/v1"), _record(_EXPENSE, "/v2")),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "expense: another contract's record",
        _ref(_EXPENSE, _GBP_RECORD),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "service credit: a version not yet in force",
        _ref(_kind("clm:breach:", "/v1"), _record(_CREDIT, "/v2")),
        "documents:contract_version_reference",
    ),
    M(
        "line.contractVersionId",
        "service credit: empty",
        _ref(_CREDIT, lambda b: ""),
        "audit_trail",
    ),
    M(
        "line.sourceItemIds",
        "an item that does not exist",
        _set_line_field(_TIME, sourceItemIds=["psa:time_entry:999999"]),
        "no_phantom_billing",
    ),
    M("line.sourceItemIds", "none", _set_line_field(_TIME, sourceItemIds=[]), "audit_trail"),
    M("line.sourceItemIds", "the next line's item", _next_lines_item, "no_duplicates"),
    M(
        "line (expense)",
        "+0.01 (FX or markup off by a cent)",
        _net(_EXPENSE, lambda x: x + CENT),
        "no_misbilling:amount",
    ),
    M(
        "line (expense)",
        "markup left out",
        _net(_EXPENSE, lambda x: (x / Decimal("1.1")).quantize(CENT)),
        "no_misbilling:markup",
    ),
    M("line (milestone)", "-0.01", _net(_MILESTONE, lambda x: x - CENT), "no_misbilling:amount"),
    M(
        "line (service credit)",
        "a cent more credit",
        _net(_CREDIT, lambda x: x - CENT),
        "no_misbilling:amount",
    ),
    M(
        "line (service credit)",
        "the monthly cap ignored (-500.00)",
        _net(_CREDIT, lambda x: x - 500),
        "no_misbilling:amount",
    ),
    M("line", "removed (totals follow)", _drop_line, "no_leakage"),
    M("line", "copied within its invoice (totals follow)", _copy_line, "no_duplicates"),
    # the credit note
    M(
        "memo.totalAmountExcludingTax",
        "+0.01",
        _bumped(_memo, "totalAmountExcludingTax"),
        "invoice_totals",
    ),
    M("memo.totalTaxAmount", "+0.01", _bumped(_memo, "totalTaxAmount"), "invoice_totals"),
    M(
        "memo.totalAmountIncludingTax",
        "+0.01",
        _bumped(_memo, "totalAmountIncludingTax"),
        "invoice_totals",
    ),
    M(
        "memo line.amountExcludingTax",
        "+0.01 (tax, totals follow)",
        _net(_memo_first, lambda x: x + CENT),
        "no_misbilling",
    ),
    M(
        "memo line.totalTaxAmount",
        "+0.01 (gross, totals follow)",
        _line_tax(_memo_first, CENT),
        "no_misbilling:tax",
    ),
    M(
        "memo line.contractVersionId",
        "no such version",
        _ref(_memo_first, lambda b: "x/v9"),
        "documents:contract_version_reference",
    ),
    M(
        "memo.customerId",
        "another client's customer",
        _other_value(_memo, "customerId"),
        "documents:customer",
    ),
    M(
        "memo.companyId",
        "the other legal entity",
        _other_value(_memo, "companyId"),
        "documents:legal_entity",
    ),
    M(
        "memo.currencyCode",
        "EUR on a GBP credit note",
        _set(_memo, currencyCode="EUR"),
        "documents:currency",
    ),
    M(
        "memo.creditMemoDate",
        "before the charges it reverses were posted",
        _set(_memo, creditMemoDate="2026-03-20"),
        "documents:credit_memo_date",
    ),
    M(
        "memo.creditMemoDate",
        "after it was posted (+1 day)",
        _memo_late,
        "documents:credit_memo_date",
    ),
    M(
        "memo.number",
        "an invoice's number",
        lambda b, r: _memo(b).update(number=_first(b)["number"]),
        "documents:number",
    ),
    # the credit note of service credits April's invoice could not absorb
    M(
        "credit note line.amountExcludingTax",
        "a cent more credit (tax, totals follow)",
        _net(_credit_note_line, lambda x: x + CENT),
        "no_misbilling:amount",
    ),
    M(
        "credit note",
        "folded into April's invoice (a negative invoice)",
        _folded,
        "documents:negative_invoice",
    ),
    M("credit note", "its credit also on April's invoice", _credited_twice, "no_duplicates"),
    M("credit note", "never issued (the credit lost)", _note_withdrawn, "no_leakage"),
    M(
        "credit note line",
        "the other contract's credit added (totals follow)",
        _other_contracts_credit,
        "documents:contract",
    ),
    M(
        "credit note.customerId",
        "another client's customer",
        _other_value(_credit_note, "customerId"),
        "documents:customer",
    ),
    M(
        "credit note.currencyCode",
        "EUR on a GBP credit note",
        _set(_credit_note, currencyCode="EUR"),
        "documents:currency",
    ),
    M(
        "credit note.creditMemoDate",
        "before its billing run (-1 day)",
        _note_before_run,
        "documents:invoice_date",
    ),
    # VAT on service credits, by the contract's reading
    M(
        "credit note line.totalTaxAmount",
        "no VAT given back on a price reduction (totals follow)",
        _no_vat_on_price_reduction,
        "no_misbilling:credit_vat_treatment",
    ),
    M(
        "line (service credit).totalTaxAmount",
        "VAT on a credit the contract treats as compensation",
        _vat_on_compensation,
        "no_misbilling:credit_vat_treatment",
    ),
    # the expense order
    M(
        "line (expense)",
        "rounded once where the contract rounds each step",
        _rounded_once,
        "no_misbilling:expense_order",
    ),
]


def _checks(violations: list[Any]) -> list[str]:
    """Each violation as its invariant and as ``invariant:cause`` (the detail's first word,
    when it names a cause such as ``due_date`` or ``rate_version``)."""
    fired: set[str] = set()
    for v in violations:
        fired.add(v.invariant)
        cause = v.detail.split(":", 1)[0]
        if cause.replace("_", "").isalnum() and cause.islower() and " " not in cause:
            fired.add(f"{v.invariant}:{cause}")
    return sorted(fired)


@pytest.fixture(scope="module")
def caught(record: RunRecord) -> list[tuple[Mutation, list[str]]]:
    """Each mutation with the checks that caught it (empty: missed)."""
    table = []
    for mutation in MUTATIONS:
        books = copy.deepcopy(record.books)
        mutation.apply(books, record)
        assert books != record.books, f"{mutation.field}: {mutation.error} changed nothing"
        verdict = judge(record.scenario, record.truth, books, record.facts)
        table.append((mutation, _checks(verdict.report.violations) if not verdict.ok else []))
    width = max(len(m.field) + len(m.error) for m in MUTATIONS) + 3
    rows = [
        f"{m.field}: {m.error}".ljust(width)
        + (m.expect if m.expect in f else "MISSED" if not f else f"NOT {m.expect}: {f}")
        for m, f in table
    ]
    share = sum(1 for _, f in table if f) / len(table)
    print("\nmutation suite: field: error -> the check that caught it\n" + "\n".join(rows))
    print(f"caught {sum(1 for _, f in table if f)} of {len(table)} ({share:.0%})")
    return table


def test_every_mutation_is_caught(caught: list[tuple[Mutation, list[str]]]) -> None:
    missed = [f"{m.field}: {m.error}" for m, fired in caught if not fired]
    assert missed == [], f"the oracle missed {len(missed)} of {len(caught)}: {missed}"


def test_each_mutation_is_caught_by_the_check_it_names(
    caught: list[tuple[Mutation, list[str]]],
) -> None:
    """Caught for the right reason: a doctored due date is a due-date violation, not some
    other check that happened to fire."""
    wrong = [
        f"{m.field}: {m.error}: expected {m.expect}, got {fired}"
        for m, fired in caught
        if fired and m.expect not in fired
    ]
    assert wrong == []


def test_the_suite_covers_every_kind_of_line_and_the_credit_note(record: RunRecord) -> None:
    fields = {m.field.split(".")[0].split(" (")[0] for m in MUTATIONS}
    assert {"invoice", "line", "memo", "memo line", "credit note", "credit note line"} <= fields
    kinds = {line["sourceItemIds"][0].rsplit(":", 1)[0]
             for inv in _invoices(record.books) for line in inv["salesInvoiceLines"]}  # fmt: skip
    assert kinds == {"psa:time_entry", "psa:expense", "psa:billing_milestone", "clm:breach"}
