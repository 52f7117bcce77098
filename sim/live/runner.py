"""Run one scenario against an external integration: the world served, paced, judged.

The same run as ``sim.runner.run`` (the firm, the world's mocks and faults, the oracle, the run
folder), with three differences: the design is the integration behind ``--integration URL``
(``sim.live.external``), the six vendors are served over HTTP on 127.0.0.1
(``sim.live.served``), and the SimPy clock is paced by the integration's activity
(``sim.live.clock``). The run folder gains ``live.json`` (the clock settings, wall and
simulated time, what the integration answered, its traffic's contract report) and
``metrics.json`` a ``live`` section with the same figures.

Not deterministic: where the integration's calls fall in simulated time depends on the wall
clock, so two runs with the same seed can differ in their traces (and, for a racy integration,
in their verdicts); the oracle's verdicts are what to compare, not the trace hash.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import VENDORS
from mocks import SIGNING, STRIPE_TOLERANCE_S
from sim.firm.actors import start_firm
from sim.firm.clients import start_clients
from sim.firm.expenses import start_expenses
from sim.firm.operations import resilience_metrics
from sim.firm.workforce import hire, start_workforce
from sim.judge import judge
from sim.live.clock import BudgetExceeded, ClockSettings, LiveClock, WorldLock
from sim.live.external import FACTORY, IntegrationDown, Link, bound, register
from sim.live.served import LiveVendors, Server
from sim.record.folder import RunRecord
from sim.runner import RunResult, write_run
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.scenario.periods import billing_periods
from sim.world.books import close_books, run_facts
from sim.world.design_guard import DesignFailure
from sim.world.signing import WebhookSigner
from sim.world.world import CORE_CLIENT, World

__all__ = [
    "DETERMINISM",
    "IntegrationFailed",
    "LiveRun",
    "live_command",
    "run_live",
    "webhook_keys",
]

DETERMINISM = (
    "external integration on a wall-paced test clock: the trace is not byte-identical from run "
    "to run (compare the oracle's verdicts, not trace_sha256)"
)


class IntegrationFailed(RuntimeError):
    """The integration under test failed the run (down, out of budget): exit 3."""

    def __init__(self, message: str, live: dict[str, Any]) -> None:
        super().__init__(message)
        self.live = live


@dataclass
class LiveRun:
    result: RunResult
    live: dict[str, Any] = field(default_factory=dict)


def run_live(
    scenario: Scenario,
    seed: int,
    integration: str,
    options: dict[str, str] | None = None,
    settings: ClockSettings | None = None,
) -> LiveRun:
    """Simulate against the integration at ``integration``, judge, return the result and the
    live figures; raises ``IntegrationFailed`` when it cannot finish."""
    settings = settings or ClockSettings()
    options = dict(options or {})
    lock = WorldLock()
    started = time.monotonic(), time.process_time()
    link: Link | None = None
    token = None
    world: World | None = None
    server: Server | None = None
    try:
        link = Link(integration, lock, settings.call_timeout_s)
        token = bound(link)  # the world's design factory finds it (sim.live.external.build)
        world = World(scenario, seed, FACTORY, {})
        world.design = "external"
        world.options = {"integration": integration, **options}
        clock = link.clock = LiveClock(world.env, world.epoch, lock, settings)
        vendors = LiveVendors(world, clock, lock)
        server = Server(vendors)
        base = server.start()
        register(link, _registration(world, base, options))
        people = hire(world)
        ops = start_firm(world)
        start_workforce(world, people)
        start_expenses(world, people)
        start_clients(world)
        runs = billing_periods(world.scenario, world.calendar)
        end = at(scenario.ends, 23, 59)
        if runs:
            end = max(end, at(runs[-1][1], 23, 59))
        clock.run((end - world.epoch).total_seconds(), stop=link.gone)
        clock.settle(stop=link.gone)
        world.finish()
        books = close_books(world)
        facts = run_facts(world, len(people))
        facts.resilience = resilience_metrics(world, ops)
        tenants = vendors.traffic.report()["tenants"].values()
        for vendor in VENDORS:  # the served traffic's findings, in place of the consumer checks
            facts.contract_violations[vendor] = sum(
                f["count"] for t in tenants for f in t["findings"] if f["vendor"] == vendor
            )
        record = RunRecord(scenario, world.truth, books, facts)
        judgement = judge(record.scenario, record.truth, record.books, record.facts)
        live = _figures(settings, clock, link, vendors, integration, started)
        judgement.metrics["live"] = live
        return LiveRun(RunResult(judgement.metrics, judgement.report, world, record), live)
    except (IntegrationDown, BudgetExceeded, DesignFailure) as exc:  # DesignFailure: a read
        # answered 5xx or off the protocol's shape (sim/world/design_guard.py)
        live = {"integration": integration, "failed": str(exc), "clock": settings.as_dict()}
        if link is not None and link.clock is not None and server is not None:
            live = {**_figures(settings, link.clock, link, vendors, integration, started),
                    "failed": str(exc)}  # fmt: skip
        raise IntegrationFailed(str(exc), live) from None
    finally:
        if server is not None:
            server.stop()
        if token is not None:
            token.var.reset(token)
        if link is not None:
            link.close()
        if world is not None:
            world.close()


def _registration(world: World, base: str, options: dict[str, str]) -> dict[str, Any]:
    """``POST {URL}/_sandbox/vendors``: the vendors' base URLs, the integration's OAuth client
    at every vendor (the world registers it as an administrator would), its tenant, the clock,
    how each vendor signs its webhooks with what the integration needs to verify them
    (``webhooks``), and the run's design options."""
    return {
        "tenant": world.tenant,
        "client_id": CORE_CLIENT,
        "client_secret": world.core_options["client_secret"],
        "vendors": {v: f"{base}/{v}" for v in VENDORS},
        "clock": f"{base}/_clock",
        "webhooks": webhook_keys(world.signer),
        "options": dict(sorted(options.items())),
    }


def webhook_keys(signer: WebhookSigner) -> dict[str, dict[str, Any]]:
    """Per vendor, how its webhooks are signed and what verifies them, as each vendor hands it
    to the registrant: Stripe the endpoint's ``whsec_`` secret (and its libraries' 300 s
    tolerance on ``t``), Ironclad its public verification key (PEM); Salesforce signs nothing
    (Kantata sends no webhooks at all: its change feed is polled). The signatures themselves are
    the courier's (``sim.world.signing``), made with these very keys, so an integration verifies
    exactly what an in-process design does."""
    return {
        "crm": {"signing": SIGNING["crm"]},
        "clm": {"signing": SIGNING["clm"], "public_key": signer.ironclad_key.public_pem},
        "payments": {
            "signing": SIGNING["payments"],
            "secret": signer.stripe_secret,
            "tolerance_s": STRIPE_TOLERANCE_S,
        },
    }


def _figures(
    settings: ClockSettings,
    clock: LiveClock,
    link: Link,
    vendors: LiveVendors,
    integration: str,
    started: tuple[float, float],
) -> dict[str, Any]:
    report = vendors.traffic.report()
    tenants = report.get("tenants", {})
    return {
        "integration": integration,
        "determinism": DETERMINISM,
        "clock": settings.as_dict(),
        "time": {
            **clock.figures(),
            "wall_s": round(time.monotonic() - started[0], 3),
            "cpu_s_sandbox": round(time.process_time() - started[1], 3),
        },
        "integration_answers": dict(sorted(link.outcomes.items())),
        "vendor_calls": dict(sorted(vendors.calls.items())),
        "vendor_statuses": dict(sorted(vendors.statuses.items())),
        "traffic": {
            "requests": sum(t.get("requests", 0) for t in tenants.values()),
            "nonconforming_requests": sum(
                t.get("nonconforming_requests", 0) for t in tenants.values()
            ),
            "nonconforming_responses": sum(
                t.get("nonconforming_responses", 0) for t in tenants.values()
            ),
        },
        "contract_report": report,
    }


def live_command(scenario_file: str, seed: int, integration: str, options: dict[str, str],
                 settings: ClockSettings) -> str:  # fmt: skip
    """The ``q2c run`` line of this run (``command.txt``): it needs the integration running."""
    import shlex

    parts = ["q2c", "run", scenario_file, "--seed", str(seed), "--integration", integration,
             "--rate", f"{settings.rate:g}", "--quiet-ms", f"{settings.quiet_s * 1000:g}",
             "--budget", f"{settings.budget_s:g}"]  # fmt: skip
    for key, value in sorted(options.items()):
        parts += ["--option", f"{key}={value}"]
    return shlex.join(parts)


def write_live(live: LiveRun, out: Path, command: str, scenario_file: str | Path | None) -> Path:
    """The run folder as an in-process run writes it, plus ``live.json``."""
    write_run(live.result, out, command, scenario_file)
    (out / "live.json").write_text(json.dumps(live.live, indent=2, sort_keys=True) + "\n")
    return out
