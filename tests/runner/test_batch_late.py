"""Work changed before a billing run started but loaded after it (a batch that ran late) is
named in the exception queue until a later run takes it; work changed after the run started is
simply the next run's."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from orchestrator.batch import BatchCore

RUN = datetime(2026, 2, 3, 6, tzinfo=UTC)


class StillRuntime:
    """Time stands at ``RUN``; nothing is spawned or sent (the test drives the core by hand)."""

    def now(self) -> datetime:
        return RUN

    def sleep(self, seconds: float) -> Generator[Any, Any, None]:
        return
        yield

    def spawn(self, flow: Any, name: str) -> None:
        flow.close()

    def send(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no vendor call expected")

    def record(self, kind: str, **fields: Any) -> None:
        pass


def _queue(core: BatchCore) -> list[dict[str, Any]]:
    return [e for e in core.core.state.exceptions if e["reason"] == "loaded_after_billing_run"]


def test_work_changed_before_a_run_and_loaded_after_it_is_listed_until_a_later_run() -> None:
    core = BatchCore(StillRuntime(), "t", {})
    core.meta["last_run"] = (RUN, date(2026, 1, 31))  # January was billed at 06:00
    pending = core.core.state.ledger.pending
    core._plan(datetime(2026, 2, 3, 23, tzinfo=UTC))
    batch = next(iter(core.batches.values()))
    pending["psa:time_entry:1"] = SimpleNamespace(due_by=date(2026, 1, 30))  # January's work
    core._note_late(batch, {"kind": "timesheet", "at": "2026-02-02T10:00:00Z"}, 1)
    pending["psa:time_entry:2"] = SimpleNamespace(due_by=date(2026, 1, 31))
    core._note_late(batch, {"kind": "timesheet", "at": "2026-02-03T10:00:00Z"}, 1)  # after
    pending["psa:time_entry:3"] = SimpleNamespace(due_by=date(2026, 2, 2))  # February's
    core._note_late(batch, {"kind": "timesheet", "at": "2026-02-02T11:00:00Z"}, 1)
    [late] = _queue(core)
    assert late["status"] == "open" and late["items"] == ["psa:time_entry:1"]
    core._settle_late(date(2026, 1, 31))  # a re-run of January bills it
    assert [e["status"] for e in _queue(core)] == ["resolved"]
    assert batch.late == []
