"""The scenario's vendor faults turned into fault-layer rules (``mocks.FaultyVendor``), one layer
per vendor, each rule on its own named random stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from mocks import (
    ErrorRule,
    FaultyVendor,
    LatencyRule,
    LostResponseRule,
    OutageRule,
    QuotaWindow,
    Rule,
    SchemaDriftRule,
    VendorApp,
    quota_rule,
)
from sim.scenario.calendar import at
from sim.scenario.faults import VENDOR_QUOTA_PRESET, FaultsSpec, VendorFaultsSpec
from sim.seeds import stream

__all__ = ["fault_layers", "vendor_rules"]


def fault_layers(
    faults: FaultsSpec,
    apps: Mapping[str, VendorApp],
    clock: Callable[[], datetime],
    seed: int,
    heal_at: datetime | None,
) -> dict[str, FaultyVendor]:
    """A fault layer for every vendor when the scenario configures any fault at all (so that
    every call spends its latency in two halves, which a crash needs), else none: a run
    without faults keeps the runtime's one-wait fast path."""
    if not faults.configured:
        return {}
    layers: dict[str, FaultyVendor] = {}
    specs: dict[str, VendorFaultsSpec] = {str(v): f for v, f in faults.vendors.items()}
    for vendor, app in sorted(apps.items()):
        layer = FaultyVendor(app, clock, stream(seed, "faults", vendor), heal_at)
        for name, rule in vendor_rules(vendor, specs.get(vendor)):
            layer.add(rule, stream(seed, "faults", vendor, name))
        layers[vendor] = layer
    return layers


def vendor_rules(vendor: str, spec: VendorFaultsSpec | None) -> list[tuple[str, Rule]]:
    """(stream name, rule) for each fault the scenario gives ``vendor``."""
    if spec is None:
        return []
    rules: list[tuple[str, Rule]] = []
    if spec.latency is not None:
        rules.append(
            ("latency", LatencyRule(median_ms=spec.latency.median_ms, p99_ms=spec.latency.p99_ms))
        )
    for i, o in enumerate(spec.outages):
        rules.append((f"outage-{i}", OutageRule(start=o.start, end=o.end, mode=o.mode)))
    q = spec.quota
    if q is not None:
        extra = [QuotaWindow(limit=w.limit, window_s=w.window_s, applies_to=w.applies_to)
                 for w in q.windows]  # fmt: skip
        preset = q.preset or VENDOR_QUOTA_PRESET[vendor]
        rules.append(("quota", quota_rule(preset, q.limit, q.window_s, q.concurrency, extra,
                                          q.shared)))  # fmt: skip
    e = spec.errors
    if e is not None:
        rules.append(("errors", ErrorRule(rate=e.rate, burst=e.burst, statuses=e.statuses)))
    lost = spec.lost_responses
    if lost is not None:
        rules.append(("lost", LostResponseRule(rate=lost.rate, methods=lost.methods)))
    if spec.schema_drift is not None:
        rules.append(("drift", SchemaDriftRule(start=at(spec.schema_drift.from_, 0))))
    return rules
