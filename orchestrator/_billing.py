"""Billing runs: one invoice per contract per period (in parts when it outgrows a vendor's cap,
see ``_caps``), made through a durable outbox.

Before the core asks the ERP for an invoice it writes the priced, taxed invoice and the items it
bills to its outbox. Whatever happens next (a lost answer, a crash, an outage longer than the
retry policy), the next billing run, the reconciliation job or a restarted core first finishes
what the outbox holds, sending the very same invoice. Business Central has no idempotency keys,
so the ERP adapter first looks the invoice up by its business key (BC's "Your Reference",
``customerPurchaseOrderReference``: period and digest of the items) and finds the one it already
made: no item is billed twice or forgotten.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from orchestrator._caps import ERP_MAX_LINES, split_within
from orchestrator._cash import Cash
from orchestrator._credits import outside_vat, split_credits
from orchestrator._holds import Holds
from orchestrator._ledger import Item
from orchestrator._outbox import Outgoing
from orchestrator._state import Engagement
from orchestrator._wire import ContractViolation, VendorError
from orchestrator.adapters.tax import NON_TAXABLE
from orchestrator.context import CoreContext
from orchestrator.model import Invoice, InvoiceLine
from orchestrator.runtime import Flow

__all__ = ["Billing", "Outgoing", "period_end"]


def period_end(period: str) -> date:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


class Billing:
    """Billing runs and the outbox; asks ``holds`` what must wait, and ``cash`` for payment."""

    def __init__(self, ctx: CoreContext, holds: Holds, cash: Cash) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.holds = holds
        self.cash = cash
        self.max_lines: int | None = None  # a design's own cap on invoice lines (None: none)

    def billing_run(
        self, period: str, invoice_date: date, entities: tuple[str, ...] | None = None
    ) -> Flow[None]:
        """One invoice per contract (or several, within the caps) for everything approved and
        due by the period's end, for the contracts of ``entities`` (None: every legal entity):
        each entity dates its invoices on its own calendar, so finance may run the month
        entity by entity.
        Runs never overlap (a replayed run and the next month's would pick the same items)."""
        while self.state.billing:
            yield from self.ctx.rt.sleep(60)
        self.state.billing[period] = None
        try:
            yield from self._billing_run(period, invoice_date, entities)
        finally:
            self.state.billing.clear()

    def _billing_run(
        self, period: str, invoice_date: date, entities: tuple[str, ...] | None
    ) -> Flow[None]:
        failures = yield from self.finish_outbox()
        reserved = {key for outgoing in self.state.outbox.values() for key in outgoing.items}
        for items in self.state.ledger.due(period_end(period)).values():
            if entities is not None and items[0].engagement.contract.legal_entity_id not in (
                entities
            ):
                continue  # another entity's run bills it, dated on that entity's calendar
            items = [i for i in items if i.key not in reserved]  # already on a decided invoice
            items = self.holds.approved_subcontracting(items) if items else items
            if not items:
                continue
            engagement = items[0].engagement
            subject = f"invoice:{engagement.contract.reference}:{period}"
            try:  # one contract's failure must not stop the others' invoices
                if engagement.contract.purchase_order_required:
                    purchase_order = yield from self.holds.purchase_order(engagement, items)
                    if purchase_order is None:
                        continue
                yield from self._invoice(items, period, invoice_date)
            except Exception as exc:  # the items stay pending: a replay or next run bills them
                self._failed(subject, exc, [i.key for i in items])
                failures += 1
        if failures:  # the run is not done: the dead-letter queue keeps it for replay
            raise BillingIncomplete(f"{failures} contract(s) of {period} not invoiced")

    def finish_outbox(self) -> Flow[int]:
        """Issue every invoice decided but not finished; returns how many still are not."""
        failures = 0
        for key in sorted(self.state.outbox):
            outgoing = self.state.outbox.get(key)
            if outgoing is None or key in self.state.issuing:
                continue  # gone, or being issued by another flow right now
            try:
                yield from self._issue(key, outgoing)
            except Exception as exc:
                subject = f"invoice:{outgoing.invoice.contract_id}:{outgoing.invoice.period}"
                self._failed(subject, exc, list(outgoing.items))
                failures += 1
        return failures

    def _failed(self, subject: str, exc: Exception, items: list[str]) -> None:
        """A transient failure (outage, quota, timeout) is retried and replayed until it
        heals; a vendor rejecting what we send (a 4xx other than 408/409/429: its contract
        changed, or ours is wrong) will not heal by itself, so the items are held for a
        person, each named in the exception."""
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, VendorError) and _rejected(exc):
            self.ctx.raise_exception("contract_violation", subject, detail, items=items)
        else:
            self.ctx.raise_exception("billing_failed", subject, detail)

    def line_cap(self) -> int:
        """The most lines one invoice may have: the tightest of the vendors' published caps
        (the tax engine's, the ERP's) and the design's own (``max_lines``, if set)."""
        caps = (self.max_lines, self.ctx.tax.max_lines, ERP_MAX_LINES)
        return min(cap for cap in caps if cap is not None)

    def _invoice(self, items: list[Item], period: str, invoice_date: date) -> Flow[None]:
        """The contract's invoice for the period, in as many parts as the vendors' caps ask
        (see ``_caps``); service credits its charges cannot absorb go on a credit note of the
        same run (never a negative invoice: see ``_credits``)."""
        engagement = items[0].engagement
        cap = self.line_cap()
        priced, noted = split_credits([(item, item.line()) for item in items])
        parts, unabsorbed = split_within(priced, cap)
        noted += unabsorbed
        for start in range(0, len(noted), cap):
            yield from self._credit_note(
                engagement, noted[start : start + cap], period, invoice_date
            )
        for part in parts:
            yield from self._invoice_part(engagement, part, period, invoice_date)

    def _invoice_part(
        self,
        engagement: Engagement,
        priced: list[tuple[Item, InvoiceLine]],
        period: str,
        invoice_date: date,
    ) -> Flow[None]:
        """One invoice: taxed, decided in the outbox, issued. Its key digests the items it
        bills, so each part of a split month has its own, the same at every retry."""
        invoice = Invoice(
            contract_id=engagement.contract.reference,
            customer_id=engagement.customer.id,
            legal_entity_id=engagement.contract.legal_entity_id,
            period=period,
            invoice_date=invoice_date,
            currency=engagement.contract.currency,
            lines=tuple(line for _, line in priced),
            purchase_order=engagement.contract.purchase_order,
            due_date=invoice_date + timedelta(days=engagement.contract.payment_terms_days),
        )
        subject = f"invoice:{invoice.contract_id}:{period}"
        document = f"{invoice.contract_id}-{invoice.idempotency_key[-16:]}"[-50:]
        taxed = yield from self._taxed(invoice, engagement, document, subject)
        key = invoice.idempotency_key
        self.state.outbox[key] = Outgoing(
            invoice.model_copy(update={"lines": taxed}),
            tuple(item.key for item, _ in priced),
            document,
            engagement.contract.id,
        )
        yield from self._issue(key, self.state.outbox[key])

    def _taxed(
        self, invoice: Invoice, engagement: Engagement, document: str, subject: str
    ) -> Flow[tuple[InvoiceLine, ...]]:
        """The lines with the tax engine's tax; credits outside the scope of VAT carry none
        and are not sent (a document of nothing but those is not sent at all)."""
        contract = engagement.contract
        outside = [outside_vat(line, contract) for line in invoice.lines]
        untaxed = {"tax": Decimal(0), "tax_code": NON_TAXABLE}  # BC's connector: no tax either
        if all(outside):
            return tuple(x.model_copy(update=untaxed) for x in invoice.lines)
        sent = invoice
        if any(outside):
            sent = invoice.model_copy(update={"lines": tuple(
                x for x, out in zip(invoice.lines, outside, strict=True) if not out)})  # fmt: skip
        try:
            assessed = yield from self.ctx.tax.assess(
                sent, engagement.entity, engagement.customer, document
            )
        except VendorError as exc:  # never post untaxed: hold the invoice, retry next run
            reason = "tax_unavailable" if exc.status >= 500 else "tax_rejected"
            self.ctx.raise_exception(reason, subject, str(exc))
            raise
        for reason in ("tax_unavailable", "tax_rejected", "billing_failed"):
            self.ctx.resolve_exception(reason, subject)
        taxes = iter(assessed)
        return tuple(x.model_copy(update=untaxed) if out else next(taxes)
                     for x, out in zip(invoice.lines, outside, strict=True))  # fmt: skip

    def _credit_note(
        self, engagement: Engagement, noted: list[tuple[Item, InvoiceLine]], period: str, day: date
    ) -> Flow[None]:
        """Service credits the invoice cannot absorb, on a credit memo on the customer's
        account, decided in the outbox first like an invoice (same items, same key)."""
        contract = engagement.contract
        credits = Invoice(
            contract_id=contract.reference, customer_id=engagement.customer.id,
            legal_entity_id=contract.legal_entity_id, period=period, invoice_date=day,
            currency=contract.currency, lines=tuple(line for _, line in noted),
        )  # fmt: skip
        key = "memo:" + credits.idempotency_key
        document = f"{contract.reference}-CR-{key[-16:]}"[-50:]
        taxed = yield from self._taxed(
            credits, engagement, document, f"credit_note:{contract.reference}:{period}"
        )
        memo_lines = tuple(  # a credit memo states what it gives back as positive amounts
            x.model_copy(update={"amount": -x.amount, "unit_price": -x.unit_price, "tax": -x.tax})
            for x in taxed
        )
        has_tax = not all(outside_vat(x, contract) for x in taxed)
        self.state.outbox[key] = Outgoing(
            credits.model_copy(update={"lines": memo_lines}),
            tuple(item.key for item, _ in noted),
            document if has_tax else "",
            contract.id,
            memo=True,
        )
        yield from self._issue(key, self.state.outbox[key])

    def _issue_memo(self, key: str, outgoing: Outgoing) -> Flow[None]:
        """Create and post the credit memo (found by its business key if made already), mark its
        credits billed, commit its tax; a failed commit waits in the queue, memo kept."""
        engagement = self.state.engagements[outgoing.contract_id]
        memo = outgoing.invoice
        if outgoing.status == "decided":
            created = yield from self.ctx.erp.credit(
                engagement.entity, memo.customer_id, list(memo.lines), memo.invoice_date,
                f"SC {memo.period} {memo.contract_id}", key=key,
            )  # fmt: skip
            outgoing.status, outgoing.erp_id = "posted", created["id"]
            outgoing.number = created["number"]
            ledger = self.state.ledger
            for item_key in outgoing.items:
                item = ledger.pending.get(item_key)
                if item is not None:  # credited as the invoice line would have (negative)
                    ledger.mark_billed(item, item.line(), outgoing.number)
            self.state.outbox.touch(key)
            self.ctx.rt.record("core.credit_note", contract=memo.contract_id,
                            number=outgoing.number, items=len(outgoing.items))  # fmt: skip
        if outgoing.document:
            try:
                yield from self.ctx.tax.commit(engagement.entity, outgoing.document)
            except VendorError as exc:
                self.ctx.raise_exception(
                    "tax_commit_failed", f"credit_note:{outgoing.number}", str(exc)
                )
                return
            self.ctx.resolve_exception("tax_commit_failed", f"credit_note:{outgoing.number}")
        del self.state.outbox[key]

    def _issue(self, key: str, outgoing: Outgoing) -> Flow[None]:
        """Create, check and post the outbox's invoice, mark its items billed, follow up."""
        self.state.issuing[key] = None
        try:
            yield from self._issue_once(key, outgoing)
        finally:
            self.state.issuing.pop(key, None)

    def _issue_once(self, key: str, outgoing: Outgoing) -> Flow[None]:
        if outgoing.memo:
            yield from self._issue_memo(key, outgoing)
            return
        engagement = self.state.engagements[outgoing.contract_id]
        company = engagement.entity.erp_company_id
        invoice = outgoing.invoice
        if outgoing.status == "decided":
            try:
                created = yield from self.ctx.erp.create_invoice(company, invoice)
            except VendorError as exc:
                if _rejected(exc):  # the ERP made nothing: undo the decision, decide afresh
                    del self.state.outbox[key]
                raise
            lines = yield from self.ctx.erp.created_lines(company, created)
            try:  # a vendor that changed shape: stop before posting, hold, say why
                self.ctx.erp.check_echo(invoice, created, lines)
            except ContractViolation as exc:
                self.ctx.raise_exception("contract_violation", f"invoice:{invoice.contract_id}:"
                            f"{invoice.period}", str(exc), items=list(outgoing.items))  # fmt: skip
                raise
            outgoing.status, outgoing.erp_id = "created", created["id"]
            outgoing.number, outgoing.total = created["number"], created["totalAmountIncludingTax"]
            self.state.outbox.touch(key)
        if outgoing.status == "created":
            yield from self.ctx.erp.post_invoice(company, outgoing.erp_id)
            ledger = self.state.ledger
            for item_key, line in zip(outgoing.items, invoice.lines, strict=True):
                item = ledger.pending.get(item_key)
                if item is not None:  # posted: billed, whatever happens to the follow-ups
                    ledger.mark_billed(item, line, outgoing.number)
            outgoing.status = "posted"
            self.state.outbox.touch(key)
            self.ctx.rt.record(
                "core.invoice_posted",
                contract=invoice.contract_id,
                period=invoice.period,
                number=outgoing.number,
                lines=len(outgoing.items),
            )
        items = [self.state.ledger.billed.get(k) for k in outgoing.items]
        created = {"id": outgoing.erp_id, "number": outgoing.number,
                   "totalAmountIncludingTax": outgoing.total}  # fmt: skip
        yield from self._follow_up(
            engagement, [i for i in items if i is not None], created, outgoing, key
        )
        if len(outgoing.followed_up) == len(FOLLOW_UPS):  # else: the next run finishes them
            del self.state.outbox[key]

    def _follow_up(
        self,
        engagement: Engagement,
        items: list[Item],
        created: dict[str, Any],
        outgoing: Outgoing,
        key: str,
    ) -> Flow[None]:
        """After posting: commit the tax, mark the PSA items invoiced, ask for payment. Each
        may fail on its own; the invoice stands, the failure waits in the exception queue, and
        the invoice stays in the outbox until every step is done: the next billing run or
        reconciliation finishes the rest. A step done is noted, so it is never repeated."""
        number = created["number"]
        invoice_date = outgoing.invoice.invoice_date
        steps: list[tuple[str, Flow[None]]] = [
            ("tax_commit_failed", self.ctx.tax.commit(engagement.entity, outgoing.document)),
            ("psa_not_marked", self.ctx.psa.record_invoice(
                engagement.project.id, invoice_date, number,
                [i.psa_id for i in items if i.kind == "time_entry"],
                [i.psa_id for i in items if i.kind == "billing_milestone"],
                [i.psa_id for i in items if i.kind == "expense"],
            ) if any(i.kind in ("time_entry", "billing_milestone", "expense") for i in items)
             else _nothing()),
            ("payment_request_failed", self.cash.request_payment(engagement, created)),
        ]  # fmt: skip
        for reason, step in steps:
            if reason in outgoing.followed_up:
                step.close()
                continue
            try:
                yield from step
            except VendorError as exc:
                self.ctx.raise_exception(reason, f"invoice:{number}", str(exc))
            else:
                self.ctx.resolve_exception(reason, f"invoice:{number}")
                outgoing.followed_up += (reason,)
                self.state.outbox.touch(key)


FOLLOW_UPS = ("tax_commit_failed", "psa_not_marked", "payment_request_failed")


def _rejected(exc: VendorError) -> bool:
    """The vendor refused the request as it stands (it did nothing, and will not by itself)."""
    return 400 <= exc.status < 500 and exc.status not in (408, 409, 429)


class BillingIncomplete(Exception):
    """Some contracts of a billing run could not be invoiced (each has its exception)."""


def _nothing() -> Flow[None]:
    return
    yield
