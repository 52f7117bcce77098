"""The ERP adapter's payments on Business Central's real semantics, against the ERP mock: a
posted payment leaves its journal, so after a lost answer or a crash the adapter learns from
the invoice whether the money is applied. No payment is applied twice, none is lost, and no
line is left in the journal to block the next posting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest

from orchestrator._resilience import ResilientRuntime
from orchestrator._wire import VendorError
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.runtime import Flow, run_flow
from tests.support.mock_worlds import ErpWorld
from tests.support.runtimes import Crash, MockRuntime

GROSS = Decimal("1142.40")  # ErpWorld's posted invoice: 960.00 + 19% VAT


def _setup(*, step: bool = False) -> tuple[ErpWorld, MockRuntime, dict[str, Any]]:
    """The ERP world, a runtime whose calls its mock answers, and a posted invoice."""
    world = ErpWorld()
    return world, MockRuntime("erp", world.http, step=step), world.posted_invoice()


def _adapter(runtime: MockRuntime) -> ErpAdapter:
    """A fresh adapter: what a core restarted after a crash has (nothing in memory)."""
    return ErpAdapter(ResilientRuntime(runtime, quotas={}), "default")


def _pay(adapter: ErpAdapter, world: ErpWorld, invoice: dict[str, Any], amount: str,
         paid: str, key: str = "pay:pi_1:1") -> Flow[None]:  # fmt: skip
    entity = SimpleNamespace(erp_company_id=world.company)
    return adapter.apply_payment(
        cast(Any, entity), world.customer, invoice["id"], Decimal(amount), date(2024, 3, 5),
        "pi_1", key, paid=Decimal(paid),
    )  # fmt: skip


def _applied(world: ErpWorld, invoice: dict[str, Any]) -> list[Decimal]:
    """The amounts posted against the invoice, from the ERP's own record of posted payments."""
    return [
        p["amount"]
        for p in world.erp.payments("default")
        if p["appliesToInvoiceId"] == invoice["id"] and p["status"] == "Posted"
    ]


def _journal_lines(world: ErpWorld) -> list[Any]:
    lines: list[Any] = world.http.get(f"{world.journal}/customerPayments").json()["value"]
    return lines


def test_a_payment_is_entered_posted_and_leaves_the_journal() -> None:
    world, runtime, invoice = _setup()
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [Decimal("500.00")]
    assert world.read_invoice(invoice)["remainingAmount"] == pytest.approx(642.40)
    assert _journal_lines(world) == []
    writes = [(m, p.rsplit("/", 1)[1]) for _, m, p, *_ in runtime.sent if m == "POST"]
    assert writes == [("POST", "customerPayments"), ("POST", "Microsoft.NAV.post")]


def test_a_crash_after_the_post_does_not_apply_the_payment_again() -> None:
    """Posted, then the core dies before it wrote down that it had: the line is gone from
    the journal, but the invoice shows the money, and the restarted core enters nothing (a
    partial payment would have been taken twice, as the invoice still owes more)."""
    world, runtime, invoice = _setup()
    runtime.crash_after = ("POST", "/Microsoft.NAV.post")
    with pytest.raises(Crash):
        run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _journal_lines(world) == []
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [Decimal("500.00")]
    assert world.read_invoice(invoice)["remainingAmount"] == pytest.approx(642.40)


def test_a_crash_between_entering_and_posting_posts_the_line_once() -> None:
    """The line was entered, the core died before posting it: the restarted core finds it
    waiting in the journal, posts it, and enters nothing more."""
    world, runtime, invoice = _setup()
    runtime.crash_after = ("POST", "/customerPayments")
    with pytest.raises(Crash):
        run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert [line["amount"] for line in _journal_lines(world)] == [Decimal("500.00")]
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [Decimal("500.00")]
    assert _journal_lines(world) == []


def test_a_lost_answer_to_the_entry_is_not_entered_again() -> None:
    """The entry's answer is lost after BC made the line: the adapter's next pass finds the
    line for the invoice, posts it and sees the invoice has the money."""
    world, runtime, invoice = _setup()
    runtime.lose = [("POST", "/customerPayments")]
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [Decimal("500.00")]
    assert _journal_lines(world) == []
    entries = [p for _, m, p, *_ in runtime.sent if m == "POST" and p.endswith("Payments")]
    assert len(entries) == 1


def test_a_post_whose_answers_stay_lost_goes_back_and_is_applied_once_on_retry() -> None:
    """Every answer to the journal's post is lost (the resilience layer's own retries too):
    the payment goes back to the caller, already posted; applied again later, nothing is
    entered."""
    world, runtime, invoice = _setup()
    runtime.lose = [("POST", "/Microsoft.NAV.post")] * 20
    with pytest.raises(VendorError):
        run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    runtime.lose = []
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [Decimal("500.00")]
    assert _journal_lines(world) == []


def test_money_whose_payment_was_lost_is_made_up_by_the_next_one_and_none_applied_twice() -> None:
    """The first 500 never reached BC (its flow failed before entering anything); the next
    event says 1142.40 in all has arrived: BC gets the whole 1142.40, once. A replay of the
    older event afterwards enters nothing."""
    world, runtime, invoice = _setup()
    run_flow(_pay(_adapter(runtime), world, invoice, "642.40", "1142.40", "pay:pi_1:2"))
    run_flow(_pay(_adapter(runtime), world, invoice, "500.00", "500.00"))
    assert _applied(world, invoice) == [GROSS]
    paid = world.read_invoice(invoice)
    assert (paid["status"], paid["remainingAmount"]) == ("Paid", 0)


def test_two_flows_for_one_invoice_at_once_apply_what_arrived_once() -> None:
    """Two events of one intent (500 so far, then all of it) applied at the same time: each
    would see the same gap and fill it, so the second waits for the first."""
    world, runtime, invoice = _setup(step=True)
    adapter = _adapter(runtime)
    flows = [
        _pay(adapter, world, invoice, "500.00", "500.00"),
        _pay(adapter, world, invoice, "642.40", "1142.40", "pay:pi_1:2"),
    ]
    while flows:
        for flow in list(flows):
            try:
                next(flow)
            except StopIteration:
                flows.remove(flow)
    assert sum(_applied(world, invoice)) == GROSS
    assert world.read_invoice(invoice)["status"] == "Paid"
    assert _journal_lines(world) == []


def test_the_naive_adapter_enters_the_amount_without_looking() -> None:
    """``idempotency=false``: no read of the journal or the invoice, the amount entered and
    posted as it came."""
    world, runtime, invoice = _setup()
    naive = ErpAdapter(ResilientRuntime(runtime, quotas={}), "default", look_before_write=False)
    run_flow(_pay(naive, world, invoice, "500.00", "500.00"))
    run_flow(_pay(naive, world, invoice, "500.00", "500.00"))  # a replay: applied twice
    assert _applied(world, invoice) == [Decimal("500.00"), Decimal("500.00")]
    reads = [p for _, m, p, *_ in runtime.sent if m == "GET" and "salesInvoices" in p]
    assert reads == []
