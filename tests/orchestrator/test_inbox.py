"""The inbox keeps its live envelopes (accepted, dead) apart from the done ones, so the daily
replay and the status call cost what is live; a restarted core finds them again."""

from __future__ import annotations

from pathlib import Path

from orchestrator._inbox import Inbox
from orchestrator._store import Store


def test_live_envelopes_follow_every_transition(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "core.db"))
    inbox = Inbox(store)
    a = inbox.accept("a", "timesheet", ("1",))
    b = inbox.accept("b", "timesheet", ("2",))
    c = inbox.accept("c", "deal", ("3",))
    assert a and b and c
    assert inbox.accept("a", "timesheet", ("1",)) is None  # a duplicate of live work
    inbox.done(a)
    inbox.dead(c, "ERP down")
    assert [e.id for e in inbox.unfinished()] == ["b"]
    assert [e.id for e in inbox.dead_letters()] == ["c"]
    assert inbox.dead_count() == 1
    assert inbox.accept("c", "deal", ("3",)) is c  # a redelivered dead letter is taken again
    assert [e.id for e in inbox.unfinished()] == ["b", "c"]  # in arrival order
    inbox.dead(c, "ERP down again")
    inbox.replay(c)
    assert inbox.dead_letters() == [] and inbox.replays == 1
    inbox.dead(b, "tax down")
    store.flush()
    again = Inbox(Store(str(tmp_path / "core.db")))  # a restarted core
    assert [e.id for e in again.unfinished()] == ["c"]
    assert [e.id for e in again.dead_letters()] == ["b"]
    assert again.get("a") is not None and again.get("a").status == "done"  # type: ignore[union-attr]
    assert again.get("zz") is None
