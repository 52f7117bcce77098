"""Regressions found by the scenario library, each reduced to a small scenario that must hold
every invariant."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.support.paths import ROOT

CASES = {
    "two-retro-change-orders": "a second retroactive change order queued the first one's "
    "difference again (adjustments ignored those not yet invoiced)",
    "unchanged-rate-change-order": "a line naming an older version whose rate is unchanged "
    "was reported as a wrong contract-version reference",
    "apostrophe-client": "a client name with an apostrophe broke the ERP customer lookup "
    "(OData quotes not doubled) and the project was never set up",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_regression_scenario_holds(name: str) -> None:
    """Each former failure now runs clean on two seeds."""
    path: Path = ROOT / "tests" / "scenarios" / f"{name}.yaml"
    for seed in (1, 2):
        m = run(load_scenario(path), seed).metrics
        assert m["invariants"]["ok"], (CASES[name], m["invariants"]["violations"][:3])
        assert m["items"]["correct"] > 0


def test_erp_filter_reads_doubled_quotes() -> None:
    """OData string literals double a quote: 'O''Brien Ltd' finds O'Brien Ltd."""
    from datetime import UTC, datetime

    import httpx

    from mocks import ErpMock

    erp = ErpMock(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    company = erp.add_company("t", "GB01", "GB", "GBP")
    path = f"http://erp/api/v2.0/companies({company})/customers"
    headers = {"x-tenant": "t"}
    with httpx.Client(transport=erp.app.transport()) as http:
        body = {"displayName": "O'Brien Ltd", "country": "GB", "currencyCode": "GBP"}
        assert http.post(path, json=body, headers=headers).status_code == 201
        found = http.get(
            path, params={"$filter": "displayName eq 'O''Brien Ltd'"}, headers=headers
        ).json()["value"]
        assert [c["displayName"] for c in found] == ["O'Brien Ltd"]
