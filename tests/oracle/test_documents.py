"""Documents the oracle refuses whatever their amounts: a negative sales invoice.

Service credits larger than a month's charges must reach the client as a credit note; Business
Central refuses to post a sales invoice whose total is negative ("The total amount for the
invoice must be 0 or greater"). The reference core still posts one (issue 16, open): the
oracle must say so, and nothing else must be wrong with the run.
"""

from __future__ import annotations

from pathlib import Path

from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.support.paths import SMALL


def test_credits_larger_than_the_month_are_not_a_negative_invoice(tmp_path: Path) -> None:
    text = Path(SMALL).read_text(encoding="utf-8")
    old = "        rates: {engineer: {GB: 95.25}}\n"
    assert text.count(old) == 1
    text = text.replace(old, old + "    service_level: {credit_per_breach: 60000.00, "
                        "monthly_cap: 60000.00, breaches: [2026-03-10]}\n")  # fmt: skip
    file = tmp_path / "big-credit.yaml"
    file.write_text(text, encoding="utf-8")
    result = run(load_scenario(file), 3)
    found = {(v["invariant"], v["detail"].split(":")[0])
             for v in result.metrics["invariants"]["violations"]}  # fmt: skip
    assert found == {("documents", "negative_invoice")}
