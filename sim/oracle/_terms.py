"""Contract terms must reach the PSA: every contract version's rate card, and the budget of
the latest version that sets one (a change order's budget change included)."""

from __future__ import annotations

from typing import Any

from sim.oracle._items import OracleReport, Violation
from sim.scenario.format import CURRENCIES, Scenario

__all__ = ["check_terms_propagated"]


def check_terms_propagated(
    s: Scenario,
    workspaces: list[dict[str, Any]],
    rate_card_versions: list[dict[str, Any]],
    report: OracleReport,
) -> None:
    by_reference = {w["external_reference"]: w for w in workspaces}
    for c in s.contracts:
        workspace = by_reference.get(c.id)
        if workspace is None:
            continue  # no project at all: its work shows up as leakage
        versions = sorted(v["version_number"] for v in rate_card_versions
                          if v["workspace_id"] == workspace["id"])  # fmt: skip
        expected = [v.number for v in c.versions]
        if versions != expected:
            report.violations.append(Violation(
                "terms_propagated", c.id,
                f"PSA has rate card versions {versions}, the contract has {expected}"))  # fmt: skip
        budgets = [v.budget for v in c.versions if v.budget is not None]
        if budgets:
            cents = int(budgets[-1].scaleb(CURRENCIES[c.currency]))
            if workspace.get("price_in_cents") != cents:
                report.violations.append(Violation(
                    "terms_propagated", c.id,
                    f"PSA budget {workspace.get('price_in_cents')} (minor units), the "
                    f"contract's latest is {budgets[-1]} {c.currency}"))  # fmt: skip
