"""The Node example (examples/node-integration): a JavaScript integration run by the served
world on the test clock passes its scenario; broken on purpose (an approved entry dropped),
the oracle names the leaked item. Skipped where ``node`` is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from sim.live import ClockSettings, run_live
from sim.scenario.loader import load_scenario
from tests.live.served_design import free_port
from tests.support.paths import ROOT

EXAMPLE = ROOT / "examples" / "node-integration"
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NODE is None, reason="node is not installed: the example needs Node >= 18"),
]


@contextmanager
def node_integration(bug: str = "") -> Iterator[str]:
    """``integration.mjs`` on a free loopback port, ended on exit."""
    assert NODE is not None
    port = free_port()
    env = {**os.environ, "Q2C_NODE_BUG": bug}
    process = subprocess.Popen(
        [NODE, str(EXAMPLE / "integration.mjs"), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                httpx.get(url + "/status", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the Node integration did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_node_example_bills_its_scenario_correctly() -> None:
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    with node_integration() as url:
        live = run_live(scenario, 1, url, settings=ClockSettings(budget_s=300.0))
    metrics = live.result.metrics
    assert live.result.ok, metrics["invariants"]["violations"][:5]
    assert metrics["items"]["billable"] == metrics["items"]["correct"] > 0
    assert live.live["traffic"]["nonconforming_requests"] == 0


def test_the_node_example_broken_on_purpose_is_caught_by_the_oracle() -> None:
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    with node_integration(bug="drop-first-entry") as url:
        live = run_live(scenario, 1, url, settings=ClockSettings(budget_s=300.0))
    violations = live.result.metrics["invariants"]["violations"]
    assert not live.result.ok
    assert live.result.metrics["items"]["leaked"] == 1
    assert [v["invariant"] for v in violations] == ["no_leakage"]
    assert violations[0]["item"].startswith("psa:time_entry:")
