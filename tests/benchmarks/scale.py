"""The scale curve (``make bench``): the firm of ``scenarios/firm-year.yaml`` at several sizes,
faults on, simulated and judged, one size per child process (its own peak RSS and CPU).

Per size it prints wall and CPU seconds, peak RSS, simulated events, billable items, vendor
calls, CPU microseconds per item, and the CPU per event over a bare SimPy event measured in the
same run (the floor a discrete-event simulator cannot go below). Linear cost shows as a flat
``us/item`` column. Sizes and months are configurable (a 4,000-consultant year takes a while):

    python -m tests.benchmarks.scale --sizes 500,1000,2000,4000 --months 12 --seed 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import simpy

from tests.benchmarks.firm import firm_year_yaml

__all__ = ["bare_simpy_us", "main", "measure"]


def bare_simpy_us(events: int = 200_000) -> float:
    """CPU microseconds per event of a bare SimPy loop: processes waiting on timeouts."""

    def tick(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(1)

    env = simpy.Environment()
    for _ in range(100):
        env.process(tick(env))
    start = time.process_time()
    env.run(until=events // 100)
    return (time.process_time() - start) * 1e6 / events


def measure(consultants: int, months: int, seed: int) -> dict[str, Any]:
    """One size, in this process: simulate and judge, with the numbers of the curve."""
    from sim.runner import run
    from sim.scenario.loader import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"firm-{consultants}.yaml"
        path.write_text(firm_year_yaml(consultants, months), encoding="utf-8")
        scenario = load_scenario(path)  # the loader's validation, as for a user's file
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(scenario, seed, keep_world=False)  # as q2c run: judged without the world
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    m = result.metrics
    items = int(m["items"]["billable"])
    return {
        "consultants": consultants,
        "months": months,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "events": int(m["simulation"]["events"]),
        "items": items,
        "calls": sum(m["api_calls"].values()),
        "us_per_item": round(cpu * 1e6 / max(1, items)),
        "us_per_event": round(cpu * 1e6 / max(1, int(m["simulation"]["events"])), 1),
        "ok": result.ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The scale curve of the firm-year scenario.")
    parser.add_argument("--sizes", default="500,1000,2000,4000", help="consultants, a,b,c")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: measure one size
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.months, args.seed)))
        return 0
    bare = bare_simpy_us()
    print(f"bare SimPy event: {bare:.2f} us CPU")
    header = ("consultants", "wall_s", "cpu_s", "peak_rss_mb", "events", "items", "calls",
              "us_per_item", "x_bare_event", "ok")  # fmt: skip
    print("  ".join(f"{h:>12}" for h in header), flush=True)
    status = 0
    for size in (int(s) for s in args.sizes.split(",")):
        child = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.scale", "--one", str(size),
             "--months", str(args.months), "--seed", str(args.seed)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if child.returncode != 0:
            print(f"{size:>12}  failed: {child.stderr.strip().splitlines()[-1:]}", flush=True)
            status = 1
            continue
        row = json.loads(child.stdout.strip().splitlines()[-1])
        row["x_bare_event"] = round(row["us_per_event"] / bare, 1)
        status |= 0 if row["ok"] else 1
        print("  ".join(f"{row[h]!s:>12}" for h in header), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
