"""The figures `q2c compare` added to metrics.json, on hand-made records: exceptions at each
month-end close, and time to recover after a vendor outage; and the verdict line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sim._compare_figures import verdict
from sim.metrics import exception_figures, outage_recovery
from sim.oracle import ItemVerdict, OracleReport
from sim.record.truth import GroundTruth
from sim.scenario import Scenario, load_scenario
from sim.scenario.faults import FaultsSpec
from tests.support.paths import SMALL


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


RUNS = [("2026-03", _at("2026-04-07T06:00")), ("2026-04", _at("2026-05-06T06:00"))]


def test_exceptions_at_each_close() -> None:
    """Opened since the last close and still open at each close (end of the billing run's day);
    one refreshed after the March close still counts as open at it (raised before the next
    one in the log), one resolved the next morning is open at the close."""
    log = [
        {"status": "resolved", "reason": "billing_failed", "item": "a",
         "at": "2026-04-07T07:00:00+00:00", "resolved_at": "2026-04-08T04:00:00+00:00"},
        {"status": "open", "reason": "billing_failed", "item": "b",
         "at": "2026-05-01T09:00:00+00:00"},  # raised on 04-07, refreshed on 05-01
        {"status": "open", "reason": "payment_disputed", "item": "c",
         "at": "2026-04-07T08:00:00+00:00"},
        {"status": "resolved", "reason": "x", "item": "d",
         "at": "2026-04-20T08:00:00+00:00", "resolved_at": "2026-04-21T04:00:00+00:00"},
    ]  # fmt: skip
    figures = exception_figures(log, RUNS)
    assert figures["opened"] == 4
    assert figures["open_at_end"] == 2
    assert figures["at_closes"] == [
        {"period": "2026-03", "at": "2026-04-07T23:59:59+00:00", "opened": 3, "open": 3},
        {"period": "2026-04", "at": "2026-05-06T23:59:59+00:00", "opened": 1, "open": 2},
    ]


def _item(source: str, ready: str, invoiced: str | None, verdict_: str = "correct") -> ItemVerdict:
    return ItemVerdict(
        source_id=source, kind="time_entry", contract="C", currency="EUR",
        day=date(2026, 3, 20), expected=Decimal("100.00"),
        billed=None if invoiced is None else Decimal("100.00"), times_billed=int(bool(invoiced)),
        verdict=verdict_, cause="", ready_at=_at(ready),
        invoiced_at=None if invoiced is None else _at(invoiced),
    )  # fmt: skip


def _scenario(outages: list[dict[str, str]]) -> Scenario:
    faults = FaultsSpec.model_validate(
        {"heal": "2026-06-10", "vendors": {"erp": {"outages": outages}}}
    )
    return load_scenario(SMALL).model_copy(update={"faults": faults})


def test_recovery_is_the_last_backlog_item_invoiced_after_the_outage() -> None:
    """March's run fell in the outage: its items invoiced 20.5 h after the end set the
    recovery; an item invoiced before the outage, or held with a reason, is no backlog."""
    scenario = _scenario([{"start": "2026-04-07T05:30:00", "end": "2026-04-07T07:30:00"}])
    truth = GroundTruth(billing_runs=RUNS)
    report = OracleReport(items=[
        _item("a", "2026-03-25T10:00", "2026-04-08T04:00"),
        _item("b", "2026-03-26T10:00", "2026-04-07T09:00"),
        _item("c", "2026-03-26T10:00", "2026-04-07T05:00"),  # invoiced before it began
        _item("d", "2026-03-27T10:00", None, "held"),
    ])  # fmt: skip
    recovery = outage_recovery(scenario, truth, report)
    assert recovery["recovered"] is True
    assert recovery["hours"] == 20.5
    (outage,) = recovery["outages"]
    assert outage["backlog_items"] == 2 and outage["never_invoiced"] == 0
    assert outage["recovered_at"] == "2026-04-08T04:00:00+00:00"


def test_a_leaked_backlog_item_means_never_recovered() -> None:
    """A backlog item never invoiced: that outage has no recovery time, nor has the run; an
    outage that held up no billing recovered at once."""
    scenario = _scenario([
        {"start": "2026-04-07T05:30:00", "end": "2026-04-07T07:30:00"},
        {"start": "2026-04-15T00:00:00", "end": "2026-04-15T02:00:00"},
    ])  # fmt: skip
    truth = GroundTruth(billing_runs=RUNS)
    report = OracleReport(items=[_item("a", "2026-03-25T10:00", None, "leaked")])
    recovery = outage_recovery(scenario, truth, report)
    assert recovery["recovered"] is False and recovery["hours"] is None
    assert [o["hours"] for o in recovery["outages"]] == [None, 0.0]
    assert [o["never_invoiced"] for o in recovery["outages"]] == [1, 0]


def test_no_outage_no_recovery() -> None:
    recovery = outage_recovery(_scenario([]), GroundTruth(billing_runs=RUNS), OracleReport())
    assert recovery == {"outages": [], "recovered": None, "hours": None}


def _metrics(leaked: int, amount: str, violations: int) -> dict[str, Any]:
    return {
        "items": {"leaked": leaked, "duplicated": 0, "misbilled": 0},
        "amounts": {"EUR": {"leaked": amount, "duplicated": "0", "misbilled": "0"}},
        "invariants": {"violations": [{}] * violations},
    }


def test_verdict_lines() -> None:
    """How often and how much, with the median over the seeds that leaked; a clean design;
    a seed that did not run."""
    runs = [_metrics(1, "96400.00", 1), _metrics(0, "0", 0), _metrics(2, "1000.40", 2)]
    assert verdict("month-end-erp-outage", "point-to-point", runs, 0) == (
        "under month-end-erp-outage, point-to-point leaked in 2 of 3 seeds, median EUR 48,700"
    )
    clean = [_metrics(0, "0", 0)] * 2
    assert verdict("s", "reference", clean, 0) == (
        "under s, reference held every invariant on all 2 seeds"
    )
    assert verdict("s", "d", [*clean, None], 1) == ("under s, d failed to run in 1 of 3 seeds")
