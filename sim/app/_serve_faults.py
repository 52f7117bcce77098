"""Faults in ``q2c serve``: the admin API's rules (with the vendors' quota presets by name) and a
scenario's ``faults:`` applied on the wall clock.

Both speak the scenario format where they can, so that what a scenario file says and what a
CI job posts to ``/_admin/faults/{vendor}`` mean the same thing:

- ``{"kind": "quota", "preset": "business_central", ...}`` is a scenario ``quota:`` (preset,
  ``limit``/``window_s``, ``concurrency``, ``windows``, ``shared``; see
  ``sim.scenario.faults.QuotaSpec``) turned into the preset's rule, as the simulator does; a
  quota without ``preset`` is the fault layer's own ``QuotaRule`` (explicit windows).
- ``q2c serve --scenario FILE`` installs each vendor's faults (latency, outages, quota, error
  bursts, lost responses, schema drift) as the simulator would, with the scenario's timeline
  moved onto the wall clock: the scenario moment ``scenario_time`` (default: the period's
  first day, 00:00 UTC) is the server's start, and every dated fault keeps its distance from
  it. An outage the scenario puts two days into its period starts two days after the server
  did; ``--scenario-time 2026-06-02T19:55:00`` starts the server five minutes before the
  month-end outage of ``scenarios/month-end-erp-outage.yaml``. The scenario's ``heal`` date,
  when given, moves the same way and ends the scenario's rules only (rules added through the
  admin API later keep firing); without it a served scenario never heals. Webhook chaos and the
  crash are the simulator's (no core runs inside ``q2c serve``) and are not applied here.

This is not simulated code: the wall clock is the point.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from mocks import (
    FaultyVendor,
    OutageRule,
    QuotaWindow,
    Rule,
    SchemaDriftRule,
    invalid,
    parse_rule,
    quota_rule,
)
from sim.scenario.calendar import at
from sim.scenario.faults import VENDOR_QUOTA_PRESET, FaultsSpec, QuotaSpec
from sim.seeds import stream
from sim.world.faults import vendor_rules

__all__ = ["admin_rule", "apply_scenario_faults", "scenario_offset"]


def admin_rule(vendor: str, data: Any) -> Rule:
    """The rule a body posted to ``/_admin/faults/{vendor}`` asks for; a 422 problem naming
    the field when it is not one (``preset`` must be one of ``contracts.limits.PRESETS``)."""
    try:
        if isinstance(data, dict) and data.get("kind") == "quota" and "preset" in data:
            spec = QuotaSpec.model_validate({k: v for k, v in data.items() if k != "kind"})
            return _preset_rule(vendor, spec)
        return parse_rule(data)
    except ValidationError as exc:
        raise invalid(exc) from None


def _preset_rule(vendor: str, spec: QuotaSpec) -> Rule:
    extra = [QuotaWindow(limit=w.limit, window_s=w.window_s, applies_to=w.applies_to)
             for w in spec.windows]  # fmt: skip
    preset = spec.preset or VENDOR_QUOTA_PRESET[vendor]
    return quota_rule(preset, spec.limit, spec.window_s, spec.concurrency, extra, spec.shared)


def scenario_offset(
    period_start: datetime, started: datetime, scenario_time: datetime | None
) -> timedelta:
    """What to add to a scenario instant to get its wall-clock moment: ``scenario_time``
    (default ``period_start``) is ``started``."""
    return started - (scenario_time if scenario_time is not None else period_start)


def apply_scenario_faults(
    faults: FaultsSpec,
    layers: dict[str, FaultyVendor],
    offset: timedelta,
    seed: int,
) -> dict[str, list[str]]:
    """Install the scenario's vendor faults in ``layers``, dated faults moved by ``offset``;
    returns the ids installed per vendor. Each rule draws from its own named stream of
    ``seed``, as in the simulator (the draws themselves happen on the wall clock)."""
    heal = at(faults.heal, 0) + offset if faults.heal is not None else None
    installed: dict[str, list[str]] = {}
    for vendor, spec in sorted(faults.vendors.items()):
        layer = layers[vendor]
        for name, rule in vendor_rules(vendor, spec):
            rng = stream(seed, "serve", "faults", vendor, name)
            rule_id = layer.add(_moved(rule, offset), rng, until=heal)
            installed.setdefault(vendor, []).append(rule_id)
    return installed


def _moved(rule: Rule, offset: timedelta) -> Rule:
    if isinstance(rule, OutageRule):
        return rule.model_copy(update={"start": rule.start + offset, "end": rule.end + offset})
    if isinstance(rule, SchemaDriftRule):
        return rule.model_copy(update={"start": rule.start + offset})
    return rule
