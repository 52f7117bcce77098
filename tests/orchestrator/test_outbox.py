"""The outbox writes an invoice's lines once, when it is decided, and each later step as a few
bytes of progress; a restarted core reads back what the last flush before the crash held."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrator._outbox import Outbox, Outgoing
from orchestrator._state import CoreState
from orchestrator._store import Store
from orchestrator.model import Invoice, InvoiceLine


def _outgoing(lines: int = 200) -> Outgoing:
    priced = tuple(
        InvoiceLine(description=f"Engineer 7.5 h, day {n}", quantity=Decimal("7.5"),
                    unit_price=Decimal("110.10"), amount=Decimal("825.75"),
                    source_ids=(f"psa:time_entry:{n}",), contract_version_id="r/v1")
        for n in range(lines)
    )  # fmt: skip
    invoice = Invoice(contract_id="C-1", customer_id="cus", legal_entity_id="DE01",
                      period="2026-03", invoice_date=date(2026, 4, 3), currency="EUR",
                      lines=priced)  # fmt: skip
    return Outgoing(invoice, tuple(f"item:{n}" for n in range(lines)), "C-1-doc", "c1")


def _rows(path: str) -> dict[tuple[str, str], int]:
    """Every record in the store's file: (space, key) -> bytes."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT space, key, length(value) FROM record").fetchall()
    return {(space, key): size for space, key, size in rows}


def test_a_step_writes_its_progress_not_the_invoice_again(tmp_path: Path) -> None:
    path = str(tmp_path / "core.db")
    store = Store(path)
    outbox = CoreState(store).outbox  # the core's own store: its vocabulary, its spaces
    outgoing = outbox["k1"] = _outgoing()
    store.flush()
    written = _rows(path)
    assert written[("outbox_bodies", "k1")] > 10_000  # the lines, once
    assert written[("outbox", "k1")] < 200  # the progress: a few fields
    outgoing.status, outgoing.erp_id, outgoing.number = "created", "e1", "S-1"
    outgoing.total = Decimal("982.64")
    outbox.touch("k1")
    assert set(store._pending) == {("outbox", "k1")}  # the step rewrites nothing else
    store.flush()
    again = Outbox(Store(path))["k1"]
    assert again == outgoing and again.status == "created" and again.total == Decimal("982.64")


def test_a_restarted_core_reads_back_the_last_flush_only(tmp_path: Path) -> None:
    """A step not yet flushed when the core died is not there after the restart; what was
    flushed is, including a change made before the put and seen at the flush."""
    path = str(tmp_path / "core.db")
    store = Store(path)
    outbox = Outbox(store)
    outbox["k2"], outbox["k1"] = _outgoing(3), _outgoing(2)
    outbox["k1"].followed_up = ("tax_commit_failed",)  # changed before the flush, no touch
    store.flush()
    outbox["k1"].status = "posted"
    outbox.touch("k1")  # ... and the core dies before the next flush
    restarted = Outbox(Store(path))
    assert list(restarted) == ["k1", "k2"]  # in key order
    assert restarted["k1"].status == "decided"
    assert restarted["k1"].followed_up == ("tax_commit_failed",)
    assert restarted["k2"] == _outgoing(3)


def test_a_finished_invoice_leaves_no_record(tmp_path: Path) -> None:
    path = str(tmp_path / "core.db")
    store = Store(path)
    outbox = Outbox(store)
    outbox["k1"], outbox["k2"] = _outgoing(2), _outgoing(2)
    store.flush()
    del outbox["k1"]
    store.flush()
    assert sorted(_rows(path)) == [("outbox", "k2"), ("outbox_bodies", "k2")]
    assert list(Outbox(Store(path))) == ["k2"] and "k1" not in outbox and len(outbox) == 1


def test_progress_without_its_invoice_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "core.db")
    store = Store(path)
    Outbox(store)["k1"] = _outgoing(1)
    store.flush()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM record WHERE space = 'outbox_bodies'")
    with pytest.raises(ValueError, match="'k1': progress without its invoice"):
        Outbox(Store(path))
