"""Failure is reported, never hangs: an integration that answers 5xx is counted and its
unbilled work is leakage in the oracle's verdicts; one that never goes quiet spends the
run's wall-clock budget and fails it (exit 3) with a message that says so."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from sim.live import ClockSettings, IntegrationFailed, run_live
from sim.live.served import Server
from sim.scenario.format import Scenario


class FakeIntegration:
    """An ASGI integration that takes its vendors, answers everything else with ``status``
    and, if ``busy``, calls the CRM without pause from then on."""

    def __init__(self, status: int, busy: bool = False, quits: bool = False) -> None:
        self.status = status
        self.busy = busy
        self.quits = quits  # stops serving at the first call after its configuration
        self.server: Server | None = None
        self.stop = threading.Event()
        self.calls = 0

    def _hammer(self, crm: str) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                try:
                    client.get(crm + "/services/data/v60.0/sobjects/Opportunity/none")
                except httpx.TransportError:
                    return  # the sandbox has stopped serving: the run is over
                self.calls += 1

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = self.status
        if scope["path"] == "/_sandbox/vendors":
            status = 200
            if self.busy:
                crm = json.loads(body)["vendors"]["crm"]
                threading.Thread(target=self._hammer, args=(crm,), daemon=True).start()
        elif scope["method"] == "GET":
            status = 404
        if self.quits and scope["path"] != "/_sandbox/vendors" and self.server is not None:
            # it crashes on its first call from the world, not after a wall-clock delay: the
            # run cannot be over before it quits, however fast the clock skips
            self.quits = False
            threading.Thread(target=self.server.stop, daemon=True).start()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"{}"})


@contextmanager
def served(app: FakeIntegration) -> Iterator[str]:
    server = app.server = Server(app)
    try:
        yield server.start()
    finally:
        app.stop.set()
        server.stop()


def _run(small: Scenario, app: FakeIntegration, **settings: float) -> Callable[[], Any]:
    with served(app) as url:
        return run_live(small, 1, url, settings=ClockSettings(**settings))  # type: ignore[return-value]


@pytest.mark.slow
def test_an_integration_answering_500_is_counted_and_its_work_leaks(small: Scenario) -> None:
    live: Any = _run(small, FakeIntegration(500), quiet_s=0.01, budget_s=300.0)
    answers = live.live["integration_answers"]
    assert answers["webhooks 5xx"] > 0
    assert answers["billing-runs 5xx"] > 0
    assert not live.result.ok
    assert live.result.metrics["items"]["leaked"] == live.result.metrics["items"]["billable"]
    counts = live.result.world.courier.counts.values()
    assert sum(c.redelivered for c in counts) > 0  # the vendors tried again, on their schedule


def test_an_integration_that_never_goes_quiet_fails_the_run_on_its_budget(
    small: Scenario,
) -> None:
    app = FakeIntegration(202, busy=True)
    with pytest.raises(IntegrationFailed, match="never went quiet") as failed:
        _run(small, app, budget_s=2.0)
    assert app.calls > 0
    assert "budget of 2 s" in str(failed.value)
    assert failed.value.live["vendor_calls"]["crm"] > 0  # the figures up to then are kept


def test_an_integration_that_stops_answering_fails_the_run(small: Scenario) -> None:
    with pytest.raises(IntegrationFailed, match="stopped answering") as failed:
        _run(small, FakeIntegration(202, quits=True), quiet_s=0.01, budget_s=120.0)
    answers = failed.value.live["integration_answers"]
    assert sum(n for kind, n in answers.items() if kind.endswith(("refused", "lost"))) >= 20
