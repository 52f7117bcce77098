"""The report's section on an external integration (``q2c run --integration``): where it was,
the clock it ran on, what it answered, and whether its traffic kept to the vendors' specs,
from ``metrics.json``'s ``live`` section (absent for an in-process design: no section)."""

from __future__ import annotations

from typing import Any

from reports._run import Run

__all__ = ["live_section"]

FINDINGS_SHOWN = 10


def live_section(run: Run) -> dict[str, Any] | None:
    live = run.section("live")
    if not live:
        return None
    clock, time = live.get("clock", {}), live.get("time", {})
    traffic = live.get("traffic", {})
    tenants = live.get("contract_report", {}).get("tenants", {})
    findings = sorted(
        (f for t in tenants.values() for f in t.get("findings", [])),
        key=lambda f: (-f.get("count", 0), f.get("vendor", ""), f.get("operation", "")),
    )
    return {
        "integration": live.get("integration", ""),
        "determinism": live.get("determinism", ""),
        "clock": (
            f"{clock.get('rate_sim_s_per_wall_s', '?')} simulated s per wall s while busy, "
            f"quiet after {clock.get('quiet_ms', '?')} ms, budget {clock.get('budget_s', '?')} s"
        ),
        "time": (
            f"{time.get('wall_s', '?')} s wall ({time.get('busy_wall_s', '?')} s busy), "
            f"{time.get('simulated_per_wall', '?')} simulated s per wall s, "
            f"{time.get('skips', '?')} skips"
        ),
        "answers": sorted(live.get("integration_answers", {}).items()),
        "requests": traffic.get("requests", 0),
        "nonconforming": traffic.get("nonconforming_requests", 0),
        "findings": findings[:FINDINGS_SHOWN],
        "more_findings": max(0, len(findings) - FINDINGS_SHOWN),
    }
