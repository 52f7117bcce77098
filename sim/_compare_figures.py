"""The figures ``q2c compare`` sets side by side, read from each run folder's ``metrics.json``,
and how a design's seeds are summed up: median and min-max per figure, and a one-line verdict.

Every figure is a value ``metrics.json`` already holds (or a count of it), so a comparison says
nothing a run folder does not: ``tests/app/test_compare.py`` checks the two agree. Money stays
``Decimal`` (written as text) and is never summed across currencies.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Figure", "figures_for", "summarise_figure", "verdict"]

Metrics = dict[str, Any]
Value = int | float | Decimal | None
MONEY_VERDICTS = ("leaked", "duplicated", "misbilled", "held")


@dataclass(frozen=True)
class Figure:
    """One row of the comparison: where it sits (``group``), what it is called, its unit, and
    how to read its value from one run's metrics (None: the run has no such value)."""

    key: str
    group: str
    label: str
    unit: str
    read: Callable[[Metrics], Value]

    def value(self, metrics: Metrics | None) -> Value:
        return None if metrics is None else self.read(metrics)


def _at(*path: str, default: Value = None) -> Callable[[Metrics], Value]:
    def read(metrics: Metrics) -> Value:
        node: Any = metrics
        for step in path:
            if not isinstance(node, dict) or step not in node:
                return default
            node = node[step]
        found: Value = node
        return found

    return read


def _money(*path: str) -> Callable[[Metrics], Value]:
    inner = _at(*path, default=Decimal(0))

    def read(metrics: Metrics) -> Value:
        found = inner(metrics)
        return None if found is None else Decimal(str(found))

    return read


def _close(period: str, what: str) -> Callable[[Metrics], Value]:
    def read(metrics: Metrics) -> Value:
        for close in metrics.get("exceptions", {}).get("at_closes", []):
            if close["period"] == period:
                return int(close[what])
        return None

    return read


def _never_recovered(metrics: Metrics) -> Value:
    outages = metrics.get("outage_recovery", {}).get("outages")
    return None if outages is None else sum(1 for o in outages if o["hours"] is None)


def _violations(metrics: Metrics) -> Value:
    return len(metrics["invariants"]["violations"])


def _union(runs: Iterable[Metrics], read: Callable[[Metrics], Iterable[str]]) -> list[str]:
    return sorted({name for m in runs for name in read(m)})


def figures_for(runs: list[Metrics]) -> list[Figure]:
    """Every figure the comparison shows, for the currencies, vendors and month-end closes
    these runs have (a currency or vendor one design never touched still gets its row)."""
    currencies = _union(runs, lambda m: m.get("amounts", {}))
    vendors = _union(runs, lambda m: m.get("vendors", {}))
    periods = _union(
        runs, lambda m: (c["period"] for c in m.get("exceptions", {}).get("at_closes", []))
    )
    figures = [Figure("invariants.violations", "outcome", "invariant violations", "", _violations)]
    for verdict_ in MONEY_VERDICTS:
        figures.append(
            Figure(f"items.{verdict_}", "items", f"items {verdict_}", "items",
                   _at("items", verdict_))
        )  # fmt: skip
    for currency in currencies:
        for verdict_ in MONEY_VERDICTS:
            figures.append(
                Figure(f"amount.{verdict_}.{currency}", "money", f"{verdict_} {currency}",
                       currency, _money("amounts", currency, verdict_))
            )  # fmt: skip
    cycles = (
        ("project", "contract executed -> project active", ("cycle_times_hours",
         "contract_executed_to_project_active")),
        ("invoice", "approved -> invoiced", ("cycle_times_hours", "time_approved_to_invoiced")),
        ("paid", "invoiced -> paid", ("cash", "invoiced_to_paid_hours")),
    )  # fmt: skip
    for name, label, path in cycles:
        for p in ("p50", "p95"):
            figures.append(Figure(f"cycle.{name}.{p}", "cycle", f"{label} {p}", "h",
                                  _at(*path, p)))  # fmt: skip
    for currency in currencies:
        figures.append(Figure(f"dso.{currency}", "cash", f"DSO {currency}", "days",
                              _at("cash", "by_currency", currency, "dso_days")))  # fmt: skip
    figures.append(Figure("exceptions.opened", "exceptions", "exceptions opened", "",
                          _at("exceptions", "opened")))  # fmt: skip
    for period in periods:
        figures.append(
            Figure(
                f"exceptions.close.{period}.opened",
                "exceptions",
                f"close {period}: opened since the last",
                "",
                _close(period, "opened"),
            )
        )
        still = _close(period, "open")
        figures.append(Figure(f"exceptions.close.{period}.open", "exceptions",
                              f"close {period}: still open", "", still))  # fmt: skip
    figures.append(Figure("exceptions.open_at_end", "exceptions", "open at end of run", "",
                          _at("exceptions", "open_at_end")))  # fmt: skip
    figures.append(Figure("calls.per_item", "calls", "API calls per billable item", "",
                          _at("calls_per_billable_item")))  # fmt: skip
    for vendor in vendors:
        figures.append(
            Figure(
                f"vendor.{vendor}.http_429",
                "vendors",
                f"{vendor} 429s",
                "",
                _at("vendors", vendor, "http_429", default=0),
            )
        )
        figures.append(Figure(f"vendor.{vendor}.retries", "vendors", f"{vendor} retries", "",
                              _at("vendors", vendor, "retries", default=0)))  # fmt: skip
    figures.append(
        Figure(
            "recovery.hours",
            "recovery",
            "time to recover after an outage",
            "h",
            _at("outage_recovery", "hours"),
        )
    )
    figures.append(Figure("recovery.never", "recovery", "outages never recovered from", "",
                          _never_recovered))  # fmt: skip
    if any("live" in m for m in runs):
        figures.extend(LIVE_FIGURES)
    return figures


# An external integration's run (``q2c compare --integration``): its cost in wall and CPU
# time and how well its traffic kept to the vendors' specs, from ``metrics.json``'s ``live``
# section (an in-process design has none: "-"). The CPU is the sandbox's: the integration's
# own process is not measured.
LIVE_FIGURES = (
    Figure("live.wall_s", "live", "wall time of the run", "s", _at("live", "time", "wall_s")),
    Figure("live.busy_wall_s", "live", "wall time the integration kept the clock busy", "s",
           _at("live", "time", "busy_wall_s")),
    Figure("live.cpu_s", "live", "CPU in the sandbox", "s",
           _at("live", "time", "cpu_s_sandbox")),
    Figure("live.simulated_per_wall", "live", "simulated s per wall s", "x",
           _at("live", "time", "simulated_per_wall")),
    Figure("live.nonconforming", "live", "requests breaking a vendor's spec", "",
           _at("live", "traffic", "nonconforming_requests")),
)  # fmt: skip


def _median(values: list[Any]) -> Any:
    """The median; a Decimal for money, an int for counts when it falls on one."""
    if all(isinstance(v, Decimal) for v in values):
        ordered = sorted(values)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    if all(isinstance(v, int) for v in values):
        median = statistics.median(values)
        return int(median) if float(median).is_integer() else median
    # floats as their shortest decimal text: the median of 9.1 and 59.3 is 34.2, not 34.19999
    return float(statistics.median(Decimal(str(v)) for v in values))


def _json(value: Value) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def summarise_figure(figure: Figure, values: list[Value]) -> dict[str, Any]:
    """One design's seeds of one figure: each seed's value (in seed order), then median, min
    and max over the seeds that have one (``present`` of them)."""
    present = [v for v in values if v is not None]
    return {
        "key": figure.key,
        "group": figure.group,
        "label": figure.label,
        "unit": figure.unit,
        "values": [_json(v) for v in values],
        "present": len(present),
        "median": _json(_median(present)) if present else None,
        "min": _json(min(present)) if present else None,
        "max": _json(max(present)) if present else None,
    }


def _whole(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal(1)):,}"


def verdict(scenario: str, design: str, runs: list[Metrics | None], errors: int) -> str:
    """One line: how often ``design`` leaked, duplicated or mis-billed over the seeds (with the
    median amount per currency over the seeds where it did), how often an invariant broke."""
    seeds = len(runs)
    judged = [m for m in runs if m is not None]
    broken = sum(1 for m in judged if m["invariants"]["violations"])
    parts: list[str] = []
    explained: set[int] = set()  # seeds a leak, duplicate or mis-billing already accounts for
    for what in ("leaked", "duplicated", "misbilled"):
        hit = [m for m in judged if m["items"][what]]
        if not hit:
            continue
        explained.update(id(m) for m in hit)
        amounts = []
        for currency in _union(hit, lambda m: m.get("amounts", {})):
            found = [Decimal(m["amounts"][currency][what]) for m in hit
                     if currency in m.get("amounts", {})]  # fmt: skip
            median = _median(found) if found else Decimal(0)
            if median:
                amounts.append(f"{currency} {_whole(median)}")
        money = f", median {' + '.join(amounts)}" if amounts else ""
        parts.append(f"{what.replace('misbilled', 'mis-billed')} in {len(hit)} of {seeds} "
                     f"seeds{money}")  # fmt: skip
    if broken and not parts:
        parts.append(f"broke an invariant in {broken} of {seeds} seeds")
    elif broken > len(explained):
        parts.append(f"broke an invariant in {broken} of {seeds} seeds in all")
    if errors:
        parts.append(f"failed to run in {errors} of {seeds} seeds")
    if not parts:
        return f"under {scenario}, {design} held every invariant on all {seeds} seeds"
    return f"under {scenario}, {design} " + "; ".join(parts)
