"""Schemathesis 4 against every vendor mock, in process: every phase (examples, coverage,
fuzzing, stateful over the specs' links), every default check, zero failures.

The default suite runs a bounded budget per vendor; ``make contract`` runs the ``contract``
marker with at least 100 examples per operation. A failure prints what Schemathesis found and
the request that reproduces it.
"""

from __future__ import annotations

import pytest

from contracts import VENDORS
from contracts.conformance import VendorScore, run_vendor

BOUNDED_EXAMPLES = 5
FULL_EXAMPLES = 100


def _report(score: VendorScore) -> str:
    lines = [f"{score.vendor}: {len(score.failures)} failures, {len(score.errors)} errors"]
    for failure in score.failures:
        lines += [
            f"- {failure.operation}: {failure.check}: {failure.title}",
            f"  {failure.message[:500]}",
            f"  {failure.reproduce[:500]}",
            f"  -> {failure.response[:300]}",
        ]
    lines += [f"- error: {error[:500]}" for error in score.errors]
    return "\n".join(lines)


def _assert_conforms(score: VendorScore, examples: int) -> None:
    assert score.ok, _report(score)
    short = {label: s.examples for label, s in score.operations.items() if s.examples < examples}
    assert not short, f"{score.vendor}: operations run fewer than {examples} examples: {short}"
    assert all(s.checks_passed > 0 for s in score.operations.values())
    # a run that never got past the auth gate would pass every check vacuously
    answered = sum(n for status, n in score.statuses.items() if 200 <= status < 300)
    assert answered >= len(score.operations), f"{score.vendor}: {dict(score.statuses)}"
    assert score.statuses[401] < score.requests / 3, f"{score.vendor}: {dict(score.statuses)}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_mock_conforms_bounded(vendor: str) -> None:
    """Every operation of the vendor passes every default check over all phases (small budget)."""
    score = run_vendor(vendor, examples=BOUNDED_EXAMPLES, max_steps=5)
    _assert_conforms(score, BOUNDED_EXAMPLES)


@pytest.mark.contract
@pytest.mark.parametrize("vendor", VENDORS)
def test_mock_conforms_full(vendor: str) -> None:
    """The same with at least 100 generated examples per operation (make contract)."""
    score = run_vendor(vendor, examples=FULL_EXAMPLES, max_steps=20)
    _assert_conforms(score, FULL_EXAMPLES)
