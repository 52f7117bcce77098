"""Invoice -> cash: ask the client to pay each posted invoice, and apply the money that
arrives to the ERP invoice it pays.

An invoice one Stripe payment can carry is requested as a payment intent; any other (above
Stripe's maximum charge, below its minimum, or in a currency it does not take) is sent to the
client by the ERP, to be paid by bank transfer to the firm's account, and the ERP's bank
reconciliation applies that money (``adapters.payments.settlement``).

Stripe reports money as it arrives (``partially_funded``, then ``succeeded``); the core applies
only what is new since it last applied cash for that intent, with an idempotency key made of
the intent and the amount received, so a replayed or duplicated event never applies twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orchestrator._state import Engagement
from orchestrator.adapters.payments import settlement, total_minor
from orchestrator.context import CoreContext
from orchestrator.money import minor_unit
from orchestrator.runtime import Flow

__all__ = ["Cash"]


class Cash:
    """Payment requests for posted invoices, and the money applied to them."""

    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def request_payment(self, engagement: Engagement, invoice: dict[str, Any]) -> Flow[None]:
        currency = engagement.contract.currency
        plan = settlement(total_minor(invoice, currency), currency)
        if plan == "bank_transfer":
            yield from self.ctx.erp.send_invoice(engagement.entity, invoice["id"])
            self.ctx.rt.record(
                "core.payment_requested", invoice=invoice["number"], method="bank_transfer"
            )
            return
        customer = engagement.customer
        stripe_customer = self.state.stripe_customers.get(customer.id)
        if stripe_customer is None:
            stripe_customer = yield from self.ctx.payments.ensure_customer(customer)
            self.state.stripe_customers[customer.id] = stripe_customer
        self.state.invoices[invoice["id"]] = (engagement, invoice["number"])
        intents = yield from self.ctx.payments.request_payment(
            stripe_customer, invoice, currency, customer.country
        )
        self.ctx.rt.record(
            "core.payment_requested", invoice=invoice["number"], intents=len(intents)
        )

    def on_payment_event(self, event: dict[str, Any]) -> Flow[None]:
        kind, obj = event["type"], event["data"]["object"]
        if kind in ("payment_intent.partially_funded", "payment_intent.succeeded"):
            yield from self.apply_cash(obj)
        elif kind == "charge.dispute.created":
            invoice = self.state.intents.get(obj["payment_intent"], "unknown invoice")
            self.ctx.raise_exception("payment_disputed", f"invoice:{invoice}",
                        f"the client disputes {obj['amount']} ({obj['reason']}) on "
                        f"{obj['payment_intent']}")  # fmt: skip

    def apply_cash(self, intent: dict[str, Any]) -> Flow[None]:
        invoice_id = intent.get("metadata", {}).get("invoice_id")
        known = self.state.invoices.get(invoice_id)
        if known is None:
            self.ctx.raise_exception(
                "unmatched_payment", intent["id"], "a payment for no invoice we issued"
            )
            return
        engagement, number = known
        self.state.intents[intent["id"]] = number
        received = int(intent["amount_received"])
        durable = self.state.cash_applied.get(intent["id"], 0)
        applied = self.state.cash_claims.get(intent["id"], durable)
        if received <= applied:
            return  # an older or repeated event: that money is applied or being applied
        currency = engagement.contract.currency
        amount = Decimal(received - applied).scaleb(-minor_unit(currency))
        paid = Decimal(received).scaleb(-minor_unit(currency))  # one intent pays one invoice
        self.state.cash_claims[intent["id"]] = received  # claimed: a later event adds on
        try:
            yield from self.ctx.erp.apply_payment(
                engagement.entity, engagement.customer.id, invoice_id, amount,
                self.ctx.rt.now().date(), intent["id"], key=f"pay:{intent['id']}:{received}",
                paid=paid,
            )  # fmt: skip
        except Exception:
            if self.state.cash_claims.get(intent["id"]) == received:
                self.state.cash_claims[intent["id"]] = applied  # not applied: a retry will
            raise
        # written only once the ERP has it: a core that dies in between applies it again
        # after restart, and the ERP's invoice shows it has the money (nothing is entered)
        self.state.cash_applied[intent["id"]] = max(
            self.state.cash_applied.get(intent["id"], 0), received
        )
        self.ctx.rt.record(
            "core.cash_applied", invoice=number, amount=str(amount), intent=intent["id"]
        )
