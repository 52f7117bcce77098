"""The firm's clients pay their invoices: on time, late, in part first, or pay and then
dispute, drawn per invoice from the scenario's shares, relative to the ERP invoice's due date.

A client is asked to pay in one of two ways, and pays the way it was asked: a payment request
through the payment platform (a Stripe payment intent, paid in process), or the invoice itself,
sent by the ERP, paid by bank transfer to the firm's account (which the ERP's bank
reconciliation applies). A bank transfer cannot be disputed as a card payment can: a client
drawn to dispute pays it on time instead.

Each day a client reads only what arrived since the day before (its inboxes count what was
read), and follows each invoice it has to pay on its own: the work per day grows with the
payments still open, never with the history of every payment made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sim.record.truth import PaymentTruth
from sim.scenario.calendar import at
from sim.scenario.format import CURRENCIES
from sim.seeds import stream
from sim.world.world import World

__all__ = ["start_clients"]


@dataclass
class _Inbox:
    """What the clients have read so far: counts per inbox, and the invoices taken up."""

    intents: int = 0
    mail: int = 0
    taken: dict[str, None] = field(default_factory=dict)


def start_clients(world: World) -> None:
    world.env.process(_accounts_payable(world))


def _accounts_payable(world: World) -> Any:
    """Each day, clients pick up the payment requests and invoices they have not seen yet."""
    inbox = _Inbox()
    day = world.scenario.starts
    while day <= world.scenario.ends + timedelta(days=60):
        yield world.until(at(day, 15))
        requests: dict[str, list[dict[str, Any]]] = {}
        fresh = world.payments.intents_since(world.tenant, inbox.intents)
        inbox.intents += len(fresh)
        for intent in fresh:
            invoice = intent["metadata"].get("invoice_id")
            if invoice and invoice not in inbox.taken:
                requests.setdefault(invoice, []).append(intent)
        for invoice_id, intents in requests.items():
            inbox.taken[invoice_id] = None
            world.env.process(_pay(world, invoice_id, intents))
        mail = world.erp.sent_invoices(world.tenant, inbox.mail)
        inbox.mail += len(mail)
        for document in mail:  # a copy sent again is the same invoice
            if document["invoiceId"] not in inbox.taken:
                inbox.taken[document["invoiceId"]] = None
                world.env.process(_transfer(world, document))
        day += timedelta(days=1)


def _due_date(world: World, invoice_id: str) -> date:
    invoice = world.erp.tables.get(world.tenant, "salesInvoices", invoice_id, "invoice")
    return date.fromisoformat(invoice["dueDate"] or invoice["invoiceDate"])


def _pay(world: World, invoice_id: str, intents: list[dict[str, Any]]) -> Any:
    b = world.scenario.behaviour.payments
    number = intents[0]["metadata"]["invoice_number"]
    rng = stream(world.seed, "payer", number)
    due = _due_date(world, invoice_id)
    draw = rng.random()
    early = due - timedelta(days=rng.randint(b.early_days.min, b.early_days.max))
    late = due + timedelta(days=rng.randint(b.late_days.min, b.late_days.max))
    if draw < b.late:
        yield from _fund(world, invoice_id, intents, late, 1.0)
    elif draw < b.late + b.partial:
        yield from _fund(world, invoice_id, intents, early, 0.5)
        yield from _fund(world, invoice_id, intents, late, 1.0)
    else:
        yield from _fund(world, invoice_id, intents, early, 1.0)
        if draw < b.late + b.partial + b.disputed:
            yield world.until(at(early + timedelta(days=10), 11))
            first = intents[0]["id"]
            amount = max(1, intents[0]["amount"] // 5)
            world.payments.dispute(world.tenant, first, amount, "product_unacceptable")
            world.truth.disputes.append((number, amount))
            world.trace.write("world.payment_disputed", invoice=number, amount=amount)


def _fund(
    world: World, invoice_id: str, intents: list[dict[str, Any]], day: date, share: float
) -> Any:
    """Pay what is still owed on each intent, or half of it when ``share`` is below 1 (card
    intents: all or nothing)."""
    yield world.until(at(day, 11))
    for intent in intents:
        current = world.payments.payment_intent(world.tenant, intent["id"])
        owed = current["amount"] - current["amount_received"]
        if owed <= 0:
            continue
        bank = "customer_balance" in current["payment_method_types"]
        amount = owed if share >= 1 or not bank else max(1, owed // 2)
        if not bank and share < 1 and intent is not intents[0]:
            continue  # by card, a part payment is some instalments paid in full
        world.payments.fund(world.tenant, intent["id"], amount)
        world.truth.payments.append(PaymentTruth(
            invoice_id, intent["metadata"]["invoice_number"], intent["id"],
            current["currency"].upper(), amount, world.now()))  # fmt: skip
        world.trace.write("world.payment_sent", invoice=intent["metadata"]["invoice_number"],
                          intent=intent["id"], amount=amount)  # fmt: skip


def _transfer(world: World, document: dict[str, Any]) -> Any:
    """Pay an invoice the ERP sent by bank transfer, quoting its number: on time, late, or
    half early and the rest late, as drawn for that invoice."""
    b = world.scenario.behaviour.payments
    invoice_id, number = document["invoiceId"], document["number"]
    rng = stream(world.seed, "payer", number)
    due = _due_date(world, invoice_id)
    draw = rng.random()
    early = due - timedelta(days=rng.randint(b.early_days.min, b.early_days.max))
    late = due + timedelta(days=rng.randint(b.late_days.min, b.late_days.max))
    if draw < b.late:
        yield from _wire(world, document, late, 1)
    elif draw < b.late + b.partial:
        yield from _wire(world, document, early, 2)
        yield from _wire(world, document, late, 1)
    else:
        yield from _wire(world, document, early, 1)


def _wire(world: World, document: dict[str, Any], day: date, part: int) -> Any:
    """On ``day``, send what the invoice still owes (the client's statement of account takes
    in credit notes and earlier transfers), or half of it when ``part`` is 2."""
    yield world.until(at(day, 11))
    invoice_id, number = document["invoiceId"], document["number"]
    invoice = world.erp.tables.get(world.tenant, "salesInvoices", invoice_id, "invoice")
    owed = Decimal(invoice["remainingAmount"])
    if invoice["status"] != "Open" or owed <= 0:
        return
    currency = invoice["currencyCode"]
    digits = CURRENCIES.get(currency, 2)
    unit = Decimal(1).scaleb(-digits)
    amount = owed if part == 1 else max(unit, (owed / 2).quantize(unit, rounding=ROUND_DOWN))
    world.erp.receive_transfer(world.tenant, invoice_id, amount, number)
    minor = int(amount.scaleb(digits))
    world.truth.payments.append(PaymentTruth(
        invoice_id, number, f"bank:{number}", currency, minor, world.now()))  # fmt: skip
    world.trace.write("world.payment_sent", invoice=number, intent=f"bank:{number}",
                      amount=minor)  # fmt: skip
