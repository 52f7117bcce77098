"""The oracle mutation suite's forger (see ``test_mutations``): how to find a line of a kind in
the posted books, and how to change one field while keeping every other figure consistent, as a
careful forger would. Each mutation is a ``Mutation`` naming the field, the error, how to apply
it and the check that must catch it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from sim.record.books import Books
from sim.record.folder import RunRecord

Doc = dict[str, Any]
VAT = {"EUR": Decimal("0.19"), "GBP": Decimal("0.20")}  # the small firm's DE and GB VAT
CENT = Decimal("0.01")

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
