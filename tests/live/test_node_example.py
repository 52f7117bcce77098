"""The Node example (examples/node-integration): a JavaScript integration run by the served
world on the test clock passes its scenario, verifying every signed webhook; broken on purpose
(an approved entry dropped), the oracle names the leaked item; forged, altered or stale Stripe
and Ironclad webhooks are refused. Skipped where ``node`` is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import VENDORS
from mocks import Webhook
from sim.live import ClockSettings, run_live
from sim.live.runner import webhook_keys
from sim.live.served import http_date
from sim.scenario.loader import load_scenario
from sim.world.signing import WebhookSigner
from tests.live.served_design import free_port
from tests.support.paths import ROOT

EXAMPLE = ROOT / "examples" / "node-integration"
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.live,  # make live, run by .ci/run (not make test)
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
    answers = live.live["integration_answers"]
    assert answers["webhooks 2xx"] > 0
    assert not [kind for kind in answers if kind.startswith("webhooks 4")], answers  # verified


def test_the_node_example_broken_on_purpose_is_caught_by_the_oracle() -> None:
    scenario = load_scenario(EXAMPLE / "scenario.yaml")
    with node_integration(bug="drop-first-entry") as url:
        live = run_live(scenario, 1, url, settings=ClockSettings(budget_s=300.0))
    violations = live.result.metrics["invariants"]["violations"]
    assert not live.result.ok
    assert live.result.metrics["items"]["leaked"] == 1
    assert [v["invariant"] for v in violations] == ["no_leakage"]
    assert violations[0]["item"].startswith("psa:time_entry:")


def test_the_node_example_refuses_webhooks_whose_signature_does_not_verify() -> None:
    """Configured as a live run configures it, the example takes a genuine Stripe or Ironclad
    webhook (202) and refuses a forged, altered, stale or unsigned one (400)."""
    signer = WebhookSigner(3)
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    event = {"id": "evt_1", "object": "event", "type": "customer.created",
             "created": int(now.timestamp()), "data": {"object": {"id": "cus_1"}}}  # fmt: skip
    body = json.dumps(event).encode()
    stripe = Webhook("payments", "t", "customer.created", event)
    notice = {"payload": {"event": "workflow_updated", "workflowID": "wf1"}}
    clm_body = json.dumps(notice).encode()
    clm = Webhook("clm", "t", "workflow_updated", notice)

    def post(url: str, vendor: str, content: bytes, headers: Any) -> int:
        sent = {"content-type": "application/json", "date": http_date(now), **headers}
        return httpx.post(f"{url}/webhooks/{vendor}", content=content, headers=sent).status_code

    with node_integration() as url:
        document = {"vendors": {v: f"http://127.0.0.1:9/{v}" for v in VENDORS}, "tenant": "t",
                    "client_id": "c", "client_secret": "s", "clock": "http://127.0.0.1:9/_clock",
                    "webhooks": webhook_keys(signer)}  # fmt: skip
        assert httpx.post(f"{url}/_sandbox/vendors", json=document).status_code == 200
        genuine = signer.headers(stripe, "", body, now, 1, 1)
        assert post(url, "payments", body, genuine) == 202
        assert post(url, "payments", body.replace(b"cus_1", b"cus_2"), genuine) == 400
        assert (
            post(url, "payments", body, WebhookSigner(4).headers(stripe, "", body, now, 1, 1))
            == 400
        )
        stale = signer.headers(stripe, "", body, now - timedelta(minutes=6), 1, 1)
        assert post(url, "payments", body, stale) == 400
        assert post(url, "payments", body, {}) == 400
        assert post(url, "clm", clm_body, signer.headers(clm, "ev1", clm_body, now, 1, 1)) == 202
        stranger = WebhookSigner(3)
        stranger.ironclad_key = type(signer.ironclad_key).generate()
        assert post(url, "clm", clm_body, stranger.headers(clm, "ev1", clm_body, now, 1, 1)) == 400
