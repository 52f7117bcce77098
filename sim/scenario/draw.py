"""Each swarm seed's fault settings, drawn inside the scenario's faults envelope (VOPR-style).

A scenario's ``faults:`` section is the *envelope*: the faults it allows, at their strongest.
Each seed draws its own settings inside it, so that over a swarm every combination of fault
kinds gets tried, from none at all to all at once:

- every fault kind in the envelope is switched on or off by a fair coin: per vendor its
  quota, latency, error bursts, lost responses and schema drift, each outage on its own,
  each vendor's webhook chaos, the crash; if every coin says off, the seed switches on one
  kind it picks, so no seed runs without a fault the envelope allows;
- a kind that is on gets an intensity of at most the envelope's: probabilities (error rate,
  lost-response rate, duplicate/reorder/drop) a uniform 20-100 % of the envelope's, the error
  burst 1 to the envelope's length, the latency's p99 between its median and the envelope's
  p99, an outage 25-100 % of its window (same start), webhook delays up to 10-100 % of
  ``max_delay_s``, the crash after call 1 to ``nth`` of the matching calls and down for
  25-100 % of ``downtime_minutes``;
- quotas, outage modes, drift dates, crash moments and ``heal`` are kept as written.

Each coin and each intensity has its own named random stream (``sim.seeds``), so the draw
depends only on (seed, envelope): ``q2c run FILE --seed N --swarm-draw`` redraws exactly what
seed N drew in ``q2c swarm``.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sim.scenario.faults import (
    CrashSpec,
    FaultsSpec,
    OutageSpec,
    VendorFaultsSpec,
    WebhookChaosSpec,
)
from sim.scenario.format import Scenario
from sim.seeds import stream

__all__ = ["draw_faults", "draw_scenario", "drawn_kinds", "envelope_kinds", "switched_on"]

LOW = 0.2  # the weakest intensity a fault that is on gets, as a share of the envelope's
VENDOR_KINDS = ("quota", "latency", "errors", "lost_responses", "schema_drift")

Kind = tuple[str, ...]  # ("erp", "errors"), ("erp", "outage-0"), ("webhooks", "psa"), ("crash",)


def envelope_kinds(envelope: FaultsSpec) -> list[Kind]:
    """Every fault kind the envelope allows, in a fixed order."""
    kinds: list[Kind] = []
    for vendor, spec in sorted(envelope.vendors.items()):
        kinds += [(vendor, kind) for kind in VENDOR_KINDS if getattr(spec, kind) is not None]
        kinds += [(vendor, f"outage-{i}") for i in range(len(spec.outages))]
    kinds += [("webhooks", vendor) for vendor in sorted(envelope.webhooks)]
    if envelope.crash is not None:
        kinds.append(("crash",))
    return kinds


def switched_on(envelope: FaultsSpec, seed: int) -> set[Kind]:
    """The kinds this seed turns on: a fair coin each; if every coin says off, the seed turns
    on one kind it picks (a seed with no fault at all would test nothing the envelope adds)."""
    kinds = envelope_kinds(envelope)
    on = {k for k in kinds if stream(seed, "swarm", *k, "on").random() < 0.5}
    if kinds and not on:
        on.add(stream(seed, "swarm", "fallback").choice(kinds))
    return on


def _share(rng: random.Random, low: float = LOW) -> float:
    return rng.uniform(low, 1.0)


def draw_faults(envelope: FaultsSpec, seed: int) -> FaultsSpec:
    """This seed's fault settings, drawn inside ``envelope`` (see the module docstring)."""
    on = switched_on(envelope, seed)
    vendors: dict[str, VendorFaultsSpec] = {}
    for vendor, spec in sorted(envelope.vendors.items()):
        drawn = _draw_vendor(spec, seed, vendor, on)
        if drawn != VendorFaultsSpec():
            vendors[vendor] = drawn
    webhooks: dict[str, WebhookChaosSpec] = {}
    for vendor, chaos in sorted(envelope.webhooks.items()):
        if ("webhooks", vendor) in on:
            rng = stream(seed, "swarm", "webhooks", vendor)
            webhooks[vendor] = WebhookChaosSpec(
                duplicate=round(chaos.duplicate * _share(rng), 4),
                reorder=round(chaos.reorder * _share(rng), 4),
                max_delay_s=round(chaos.max_delay_s * _share(rng, 0.1), 1),
                drop=round(chaos.drop * _share(rng), 4),
            )
    crash = None
    if envelope.crash is not None and ("crash",) in on:
        crash = _draw_crash(envelope.crash, stream(seed, "swarm", "crash"))
    return FaultsSpec.model_validate(
        {"heal": envelope.heal, "vendors": vendors, "webhooks": webhooks, "crash": crash}
    )


def _draw_vendor(spec: VendorFaultsSpec, seed: int, vendor: str, on: set[Kind]) -> VendorFaultsSpec:
    def rng(kind: str) -> random.Random:
        return stream(seed, "swarm", vendor, kind)

    update: dict[str, Any] = {}
    if spec.quota is not None and (vendor, "quota") in on:
        update["quota"] = spec.quota
    if spec.latency is not None and (vendor, "latency") in on:
        lat = spec.latency
        p99 = lat.median_ms + (lat.p99_ms - lat.median_ms) * rng("latency").random()
        update["latency"] = lat.model_copy(update={"p99_ms": round(p99, 1)})
    outages: list[OutageSpec] = []
    for i, outage in enumerate(spec.outages):
        if (vendor, f"outage-{i}") in on:
            minutes = (outage.end - outage.start) / timedelta(minutes=1)
            kept = timedelta(minutes=max(1, round(minutes * _share(rng(f"outage-{i}"), 0.25))))
            outages.append(outage.model_copy(update={"end": outage.start + kept}))
    update["outages"] = outages
    if spec.errors is not None and (vendor, "errors") in on:
        r = rng("errors")
        update["errors"] = spec.errors.model_copy(
            update={"rate": round(spec.errors.rate * _share(r), 4),
                    "burst": r.randint(1, spec.errors.burst)}
        )  # fmt: skip
    if spec.lost_responses is not None and (vendor, "lost_responses") in on:
        rate = round(spec.lost_responses.rate * _share(rng("lost_responses")), 4)
        update["lost_responses"] = spec.lost_responses.model_copy(update={"rate": rate})
    if spec.schema_drift is not None and (vendor, "schema_drift") in on:
        update["schema_drift"] = spec.schema_drift
    return VendorFaultsSpec.model_validate({k: v for k, v in update.items() if v not in (None, [])})


def _draw_crash(crash: CrashSpec, rng: random.Random) -> CrashSpec:
    after = crash.after_call
    if after is not None:
        after = after.model_copy(update={"nth": rng.randint(1, after.nth)})
    downtime = round(crash.downtime_minutes * _share(rng, 0.25), 1)
    return crash.model_copy(update={"after_call": after, "downtime_minutes": downtime})


def draw_scenario(scenario: Scenario, seed: int) -> Scenario:
    """The scenario with this seed's faults in place of the envelope."""
    return scenario.model_copy(update={"faults": draw_faults(scenario.faults, seed)})


def drawn_kinds(faults: FaultsSpec) -> list[str]:
    """Short labels of the faults that are on, e.g. ``erp.outage``, ``psa.webhooks``."""
    kinds: list[str] = []
    for vendor, spec in sorted(faults.vendors.items()):
        for kind in ("quota", "latency", "errors", "lost_responses", "schema_drift"):
            if getattr(spec, kind) is not None:
                kinds.append(f"{vendor}.{kind}")
        kinds += [f"{vendor}.outage"] * len(spec.outages)
    kinds += [f"{vendor}.webhooks" for vendor in sorted(faults.webhooks)]
    if faults.crash is not None:
        kinds.append("crash")
    return kinds
