"""Benchmarks (``make bench``): the flagship run, the oracle, and the in-process hot path.

Targets are read from these numbers, never asserted in timed unit tests: machines are shared.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mocks import ErpMock
from sim.judge import judge
from sim.runner import run
from sim.scenario.format import Scenario

pytestmark = pytest.mark.benchmark


def test_flagship_run(benchmark: Any, flagship: Scenario) -> None:
    """Wall time of one flagship run (simulate + judge), seed 7."""
    result = benchmark.pedantic(run, args=(flagship, 7), rounds=3, iterations=1)
    benchmark.extra_info["billable_items"] = result.metrics["items"]["billable"]
    benchmark.extra_info["events"] = result.metrics["simulation"]["events"]
    assert result.ok


def test_oracle_on_flagship(benchmark: Any, flagship: Scenario) -> None:
    """Judging the flagship run's record: the oracle's checks and the metrics over 13k+ items."""
    r = run(flagship, 7).record
    result = benchmark(judge, r.scenario, r.truth, r.books, r.facts)
    assert result.ok


def _erp() -> tuple[ErpMock, str]:
    erp = ErpMock(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    company = erp.add_company("t", "DE01", "DE", "EUR")
    return erp, f"http://erp/api/v2.0/companies({company})/customers"


def test_mock_call_through_transport(benchmark: Any) -> None:
    """One ERP read through the bare transport (what the simulator does per call)."""
    erp, url = _erp()
    transport = erp.app.transport()

    def call() -> int:
        response = transport.handle_request(httpx.Request("GET", url, headers={"x-tenant": "t"}))
        response.read()
        return response.status_code

    assert benchmark(call) == 200


def test_mock_call_lean(benchmark: Any) -> None:
    """The same read as the simulator makes it now: ``LocalTransport.send_local``, no
    ``httpx.Request`` built (compare with ``test_mock_call_through_transport``)."""
    erp, url = _erp()
    transport = erp.app.transport()
    path = url.removeprefix("http://erp")

    def call() -> int:
        response = transport.send_local("erp", "GET", path, None, {"x-tenant": "t"}, None)
        return response.status_code

    assert benchmark(call) == 200


def test_mock_call_through_client(benchmark: Any) -> None:
    """The same read through ``httpx.Client`` (what an integration's code would do)."""
    erp, url = _erp()
    with httpx.Client(transport=erp.app.transport()) as client:
        assert benchmark(lambda: client.get(url, headers={"x-tenant": "t"}).status_code) == 200
