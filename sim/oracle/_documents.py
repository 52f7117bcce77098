"""Every field of every posted document, judged: what a finance reviewer checks on paper.

``_items`` judges each billable item's amount, ``_tax`` the tax, ``_ledger`` the totals. This
module judges the rest of each posted invoice and credit note, and each of their lines:

- the document is addressed consistently: one ERP customer per client and one company per
  legal entity (never shared), with the customer's number and name the same on every document;
  its currency is its contract's; its number is used once;
- its dates: an invoice is dated on or after every item it bills and the billing run of that
  item's month by its legal entity's own calendar (no invoice before the work, nor before the
  run that bills it), on a billing-run day of that calendar (each entity dates its invoices by
  its own holidays, not the first entity's), not after it was
  posted, and due exactly the contract's payment terms later, with a total that is not
  negative (Business Central's posting refuses one: "The total amount for the invoice must be
  0 or greater"; credits larger than the charges are a credit note); a credit note is dated no
  earlier than the charges it reverses were posted, nor after it was posted itself; a credit
  note of service credits (those the month's charges could not absorb) is dated like the
  invoice it stands beside, and every document bills items of one contract only;
- each line: quantity x unit price is its net (rounded by the contract's rule), net + tax is
  its gross; a time entry's line bills the entry's hours at the rate of the version it names;
  its contract-version reference names the contract's own CLM record and an existing version,
  and for a milestone, an expense or a service credit the version in force on the item's day
  (a milestone: a version that already holds it).

A wrong field is a ``documents`` violation, and the items on that document (or line) become
``misbilled`` with the field as the cause, unless already judged wrong for another reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sim.oracle._items import ItemVerdict, OracleReport, Violation
from sim.oracle._pricing import _round, _version_on
from sim.record.truth import GroundTruth
from sim.scenario.calendar import BusinessCalendar
from sim.scenario.format import ContractSpec, Scenario
from sim.scenario.periods import billing_runs, entity_calendars

__all__ = ["check_documents"]

_POSTED = ("Open", "Paid")


class _Judge:
    def __init__(
        self,
        s: Scenario,
        truth: GroundTruth,
        report: OracleReport,
        records: dict[str, str],
    ) -> None:
        self.s, self.truth, self.report = s, truth, report
        self.contracts = {c.id: c for c in s.contracts}
        self.verdicts = {v.source_id: v for v in report.items}
        self.time = {t.source_id: t for t in truth.time.values()}
        self.milestones = {m.source_id: m for m in truth.milestones.values()}
        self.runs = {period: moment.date() for period, moment in truth.billing_runs}
        self.entity_runs = _entity_runs(s)  # (entity, period) -> run day, on its calendar
        self.run_days: dict[str, set[date]] = defaultdict(set)
        for (entity, _), day in self.entity_runs.items():
            self.run_days[entity].add(day)
        self.records = records  # contract id -> CLM record id
        self.customers: dict[str, set[str]] = defaultdict(set)  # client -> customer ids
        self.owners: dict[str, set[str]] = defaultdict(set)  # customer id -> clients
        self.companies: dict[str, set[str]] = defaultdict(set)  # entity -> company ids
        self.holders: dict[str, set[str]] = defaultdict(set)  # company id -> entities
        self.labels: dict[str, set[tuple[Any, Any]]] = defaultdict(set)  # customer -> (no, name)
        self.numbers: dict[str, int] = defaultdict(int)
        self.docs: dict[str, list[ItemVerdict]] = {}
        self.first_posted: dict[str, date] = {}  # source id -> first invoice posting it

    def wrong(self, doc: str, cause: str, detail: str, items: list[ItemVerdict]) -> None:
        self.report.violations.append(Violation("documents", doc, f"{cause}: {detail}"))
        for item in items:
            if item.verdict == "correct":
                item.verdict, item.cause = "misbilled", cause

    def items_of(self, lines: list[dict[str, Any]]) -> list[ItemVerdict]:
        return [self.verdicts[s] for x in lines for s in x.get("sourceItemIds") or ()
                if s in self.verdicts]  # fmt: skip

    def document(self, doc: dict[str, Any], lines: list[dict[str, Any]], memo: bool) -> None:
        number = doc["number"]
        self.numbers[number] += 1
        items = self.items_of(lines)
        self.docs[number] = items
        if not items:
            return
        c = self.contracts[items[0].contract]
        client = c.client
        self.customers[client].add(doc["customerId"])
        self.owners[doc["customerId"]].add(client)
        self.companies[c.legal_entity].add(doc["companyId"])
        self.holders[doc["companyId"]].add(c.legal_entity)
        self.labels[doc["customerId"]].add((doc.get("customerNumber"), doc.get("customerName")))
        if doc["currencyCode"] != c.currency:
            self.wrong(number, "currency", f"{doc['currencyCode']}, the contract bills in "
                       f"{c.currency}", items)  # fmt: skip
        strangers = [i for i in items if i.contract != c.id]
        if strangers:
            others = sorted({i.contract for i in strangers})
            self.wrong(number, "contract", f"bills items of {others} beside {c.id}'s", items)
        posted = date.fromisoformat(doc["postedAt"][:10]) if doc.get("postedAt") else None
        if memo and all(x.get("billingRole") == "credit" for x in lines):
            self.invoice_dates(doc, c, items, posted, "creditMemoDate")  # service credits
        elif memo:
            self.memo_dates(doc, items, posted)
        else:
            self.invoice_dates(doc, c, items, posted)
        for line in lines:
            self.line(number, c, line, memo)

    def invoice_dates(
        self,
        doc: dict[str, Any],
        c: ContractSpec,
        items: list[ItemVerdict],
        posted: date | None,
        dated: str = "invoiceDate",
    ) -> None:
        """An invoice's dates; a credit note of service credits (``dated`` its
        ``creditMemoDate``) is dated by the same rules, and has no due date."""
        number, day = doc["number"], date.fromisoformat(doc[dated])
        if dated == "invoiceDate" and Decimal(doc["totalAmountIncludingTax"]) < 0:
            why = "credits larger than the charges belong on a credit note"
            self.wrong(number, "negative_invoice", f"total {doc['totalAmountIncludingTax']}: {why}",
                       items)  # fmt: skip
        latest = max(i.day for i in items)
        if day < latest:
            self.wrong(number, "invoice_date", f"dated {day}, before the work it bills "
                       f"({latest})", items)  # fmt: skip
        months = {f"{i.day:%Y-%m}" for i in items}
        runs = [self.entity_runs.get((c.legal_entity, m)) or self.runs.get(m) for m in months]
        due = max((r for r in runs if r is not None), default=None)
        if due is not None and day < due:
            self.wrong(number, "invoice_date", f"dated {day}, before the billing run of "
                       f"{due} that bills its items", items)  # fmt: skip
        own = self.run_days[c.legal_entity]
        if own and day not in own and day <= max(own):
            self.wrong(number, "invoice_date", f"dated {day}, not a billing-run day on "
                       f"{c.legal_entity}'s own calendar", items)  # fmt: skip
        if posted is not None and day > posted:
            self.wrong(number, "invoice_date", f"dated {day}, after it was posted ({posted})",
                       items)  # fmt: skip
        if dated != "invoiceDate":
            return
        due = day + timedelta(days=c.payment_terms_days)
        if doc.get("dueDate") != due.isoformat():
            self.wrong(number, "due_date", f"due {doc.get('dueDate')}, the contract's "
                       f"{c.payment_terms_days} days from {day} give {due}", items)  # fmt: skip

    def memo_dates(
        self, doc: dict[str, Any], items: list[ItemVerdict], posted: date | None
    ) -> None:
        number, day = doc["number"], date.fromisoformat(doc["creditMemoDate"])
        charged = [
            self.first_posted[i.source_id] for i in items if i.source_id in self.first_posted
        ]
        if charged and day < min(charged):
            self.wrong(number, "credit_memo_date", f"dated {day}, before the charges it "
                       f"reverses were posted ({min(charged)})", items)  # fmt: skip
        if posted is not None and day > posted:
            self.wrong(number, "credit_memo_date", f"dated {day}, after it was posted "
                       f"({posted})", items)  # fmt: skip

    def line(self, number: str, c: ContractSpec, line: dict[str, Any], memo: bool) -> None:
        where = f"{number}#{line['sequence']}"
        items = self.items_of([line])
        net, tax = Decimal(line["amountExcludingTax"]), Decimal(line.get("totalTaxAmount", 0))
        if "amountIncludingTax" in line and Decimal(line["amountIncludingTax"]) != net + tax:
            self.wrong(where, "line_gross", f"gross {line['amountIncludingTax']}, net + tax = "
                       f"{net + tax}", items)  # fmt: skip
        q, p = Decimal(line.get("quantity", 1)), Decimal(line.get("unitPrice", net))
        role = line.get("billingRole", "charge")
        if role != "adjustment" and _round(q * p, c.currency, c.rounding) != net:
            self.wrong(where, "quantity_or_rate", f"{q} x {p} is not the net {net}", items)
        self.version(where, c, line, items)
        sources = line.get("sourceItemIds") or []
        if role != "charge" or memo or len(sources) != 1 or sources[0] not in self.time:
            return
        t = self.time[sources[0]]
        hours = Decimal(t.minutes) / 60
        if q != hours:
            self.wrong(where, "quantity", f"{q} h, the entry has {hours} h", items)
        named = line.get("contractVersionId", "").rpartition("/v")[2]
        if named.isdigit() and 1 <= int(named) <= len(c.versions):
            rate = c.versions[int(named) - 1].rates.get(t.role, {}).get(t.country)
            if rate is not None and p != rate:
                self.wrong(where, "rate", f"{p} an hour, version {named} says {rate}", items)

    def version(
        self, where: str, c: ContractSpec, line: dict[str, Any], items: list[ItemVerdict]
    ) -> None:
        """The reference names this contract's record and a version it has; for items priced
        without a rate card, the one in force on the item's day."""
        ref = str(line.get("contractVersionId") or "")
        record, _, named = ref.rpartition("/v")
        if (
            record != self.records.get(c.id)
            or not named.isdigit()
            or not (1 <= int(named) <= len(c.versions))
        ):
            self.wrong(where, "contract_version_reference", f"{ref!r} is no version of "
                       f"{c.id}'s contract record", items)  # fmt: skip
            return
        if line.get("billingRole", "charge") not in ("charge", "credit"):
            return  # adjustments and reversals name the version they settle
        for item in items:
            if item.kind == "time_entry":
                continue  # judged with its amount in _items (an unchanged rate is as good)
            in_force = _version_on(c, item.day)
            low = 1
            if item.kind == "billing_milestone":
                m = self.milestones.get(item.source_id)
                spec = next((x for x in c.milestones if m and x.id == m.milestone), None)
                low = spec.version if spec else 1
            if not low <= int(named) <= max(in_force, low):
                self.wrong(where, "contract_version_reference", f"v{named}, the version in "
                           f"force on {item.day} is v{in_force}", [item])  # fmt: skip

    def consistency(self) -> None:
        """One customer per client, one company per entity, never shared; numbers unique."""
        pairs = (
            ("customer", self.customers, self.owners),
            ("legal_entity", self.companies, self.holders),
        )
        for cause, mine, theirs in pairs:
            for key, ids in sorted(mine.items()):
                shared = sorted(i for i in ids if len(theirs[i]) > 1)
                if len(ids) > 1 or shared:
                    self.report.violations.append(
                        Violation(
                            "documents",
                            f"{cause}:{key}",
                            f"{cause}: {key} is billed as {sorted(ids)}"
                            + (
                                f", shared with {sorted(theirs[shared[0]] - {key})}"
                                if shared
                                else ""
                            ),
                        )
                    )
        for customer, labels in sorted(self.labels.items()):
            if len(labels) > 1:
                self.report.violations.append(
                    Violation(
                        "documents",
                        f"customer:{customer}",
                        f"customer: named {sorted(labels, key=str)} on different documents",
                    )
                )
        for number, times in sorted(self.numbers.items()):
            if times > 1:
                self.report.violations.append(
                    Violation("documents", number, f"number: used by {times} posted documents")
                )


def _entity_runs(s: Scenario) -> dict[tuple[str, str], date]:
    """(legal entity, period) -> the day that entity bills the period, on its own calendar."""
    countries = sorted({e.country for e in s.legal_entities})
    calendar = BusinessCalendar(countries, s.starts.year, s.ends.year + 1,
                                s.holiday_subdivisions, entity_calendars(s))  # fmt: skip
    return {
        (entity, period): day
        for period, day, entities in billing_runs(s, calendar)
        for entity in entities
    }


def check_documents(
    s: Scenario,
    truth: GroundTruth,
    invoices: list[dict[str, Any]],
    credit_memos: list[dict[str, Any]],
    records: dict[str, str],
    report: OracleReport,
) -> None:
    """Judge every posted invoice, credit note and line (see the module docstring);
    ``records`` maps contract id -> its CLM record id."""
    judge = _Judge(s, truth, report, records)
    for inv in invoices:
        if inv["status"] in _POSTED and inv.get("postedAt"):
            day = date.fromisoformat(inv["postedAt"][:10])
            for line in inv["salesInvoiceLines"]:
                for source in line.get("sourceItemIds") or ():
                    first = judge.first_posted.get(source)
                    judge.first_posted[source] = day if first is None else min(first, day)
    for inv in invoices:
        if inv["status"] in _POSTED:
            judge.document(inv, inv["salesInvoiceLines"], memo=False)
    for memo in credit_memos:
        if memo["status"] != "Draft":
            judge.document(memo, memo["salesCreditMemoLines"], memo=True)
    judge.consistency()
