"""The firm's clients pay their invoices: on time, late, in part first, or pay and then
dispute, drawn per invoice from the scenario's shares. They pay the payment intents the firm
sent, through the payment platform (in process), relative to the ERP invoice's due date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sim.record.truth import PaymentTruth
from sim.scenario.calendar import at
from sim.seeds import stream
from sim.world.world import World

__all__ = ["start_clients"]


def start_clients(world: World) -> None:
    world.env.process(_accounts_payable(world))


def _accounts_payable(world: World) -> Any:
    """Each day, clients pick up the payment requests they have not seen yet."""
    seen: dict[str, None] = {}
    day = world.scenario.starts
    while day <= world.scenario.ends + timedelta(days=60):
        yield world.until(at(day, 15))
        requests: dict[str, list[dict[str, Any]]] = {}
        for intent in world.payments.payment_intents(world.tenant):
            invoice = intent["metadata"].get("invoice_id")
            if invoice and invoice not in seen:
                requests.setdefault(invoice, []).append(intent)
        for invoice_id, intents in requests.items():
            seen[invoice_id] = None
            world.env.process(_pay(world, invoice_id, intents))
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
