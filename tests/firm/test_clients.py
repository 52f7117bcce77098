"""The firm's clients read only what is new each day: every payment request and every sent
invoice is handed to them once, and nothing they do daily copies the account's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mocks import ErpMock, PaymentsMock
from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.support.paths import ROOT, SMALL

LARGE = ROOT / "scenarios" / "large-milestone-inr.yaml"  # invoices sent by the ERP too


@pytest.mark.parametrize("file", [SMALL, LARGE], ids=["small", "large-milestone-inr"])
def test_clients_read_each_request_once_and_never_the_whole_history(
    file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a whole run the clients' reads of new intents and sent invoices add up to each
    one exactly once, their cursors only move forward, and the full copy of every intent
    (``payment_intents``) is never taken."""
    reads: dict[str, list[tuple[int, int]]] = {"intents": [], "mail": []}
    intents_since = PaymentsMock.intents_since
    sent_invoices = ErpMock.sent_invoices

    def spy_intents(self: PaymentsMock, tenant: str, seen: int) -> list[dict[str, Any]]:
        got = intents_since(self, tenant, seen)
        reads["intents"].append((seen, len(got)))
        return got

    def spy_mail(self: ErpMock, tenant: str, seen: int) -> list[dict[str, Any]]:
        got = sent_invoices(self, tenant, seen)
        reads["mail"].append((seen, len(got)))
        return got

    def refuse(self: PaymentsMock, tenant: str) -> list[dict[str, Any]]:
        raise AssertionError("the clients copied every payment intent")

    monkeypatch.setattr(PaymentsMock, "intents_since", spy_intents)
    monkeypatch.setattr(ErpMock, "sent_invoices", spy_mail)
    monkeypatch.setattr(PaymentsMock, "payment_intents", refuse)
    result = run(load_scenario(file), 3)
    assert result.ok
    world = result.world
    intents = len(world.payments.tables.table(world.tenant, "payment_intents"))
    mail = len(world.erp.tables.table(world.tenant, "salesInvoices:sent"))
    for inbox, total in (("intents", intents), ("mail", mail)):
        calls = reads[inbox]
        assert len(calls) > 30  # once a day
        assert sum(n for _, n in calls) == total
        cursors = [seen for seen, _ in calls]
        assert cursors == sorted(cursors) and cursors[-1] + calls[-1][1] == total
    assert intents > 0 and (mail > 0 or file == SMALL)
