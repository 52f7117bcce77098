"""Change orders: CLM amendments create contract versions; the core applies new rates from
their effective date and settles retroactive ones by adjustment lines; the oracle catches a
core that ignores them or bills the difference twice."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from sim.oracle import expected_time_amount
from sim.runner import RunResult, run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.support.paths import ROOT

RETRO = ROOT / "scenarios" / "retroactive-rate-change.yaml"


@pytest.fixture(scope="module")
def retro() -> Scenario:
    return load_scenario(RETRO)


@pytest.fixture(scope="module")
def honest(retro: Scenario) -> RunResult:
    return run(retro, 1)


def _lines(result: RunResult) -> list[dict]:
    return [line for inv in result.record.books.invoices for line in inv["salesInvoiceLines"]]


def test_reference_core_settles_a_retroactive_change_by_adjustment(honest: RunResult) -> None:
    """All invariants hold; March work billed before the 15 April change order gets exactly
    one charge at v1 plus one adjustment to v2, summing to the v2 price."""
    assert honest.metrics["invariants"] == {"ok": True, "violations": []}
    lines = _lines(honest)
    adjustments = [x for x in lines if x["billingRole"] == "adjustment"]
    assert len(adjustments) > 100
    contract = honest.world.scenario.contracts[0]
    charges = Counter(x["sourceItemIds"][0] for x in lines if x["billingRole"] == "charge")
    for adjustment in adjustments[:50]:
        source = adjustment["sourceItemIds"][0]
        truth = honest.world.truth.time_by_psa_id[source.rsplit(":", 1)[1]]
        assert contract.versions[1].effective <= truth.work_date < contract.versions[1].signed
        assert charges[source] == 1
        billed = sum(
            Decimal(x["amountExcludingTax"]) for x in lines if x["sourceItemIds"] == [source]
        )
        assert billed == expected_time_amount(
            contract, truth.role, truth.country, truth.work_date, truth.minutes, version=2
        )
        assert adjustment["contractVersionId"].endswith("/v2")


def test_change_orders_reach_the_psa(honest: RunResult) -> None:
    """Every version's rate card and the raised budget (1.45 million euros) are in the PSA."""
    (workspace,) = honest.world.psa.tables.all(honest.world.tenant, "workspaces")
    assert workspace["price_in_cents"] == 145_000_000
    cards = honest.world.psa.rate_card_versions_for_books(honest.world.tenant)
    assert [(c["version_number"], c["effective_date"]) for c in cards] == [
        (1, "2026-01-01"), (2, "2026-03-01"), (3, "2026-06-01")]  # fmt: skip


def test_forward_change_order_prices_new_work_and_adds_its_milestone(honest: RunResult) -> None:
    """June work is charged at v3 rates from the start, and v3's added milestone is billed."""
    lines = _lines(honest)
    june = [x for x in lines if x["contractVersionId"].endswith("/v3")]
    assert june and all(x["billingRole"] == "charge" for x in june)
    kinds = honest.metrics["items_by_kind"]["billing_milestone"]
    assert kinds["correct"] == kinds["billable"] == 2


def test_core_ignoring_change_orders_is_misbilled_by_rate_version(retro: Scenario) -> None:
    """A core that never applies amendments mis-bills every item after 1 March, by version."""
    m = run(retro, 1, design="tests.support.designs:stale_terms").metrics
    assert m["items"]["misbilled"] > 1000
    assert m["misbilled_by_cause"] == {"rate_version": m["items"]["misbilled"]}
    # the milestone only the change order adds never reached the PSA, so it was never billed
    assert m["items"]["leaked"] == 1
    assert m["leaked_by_cause"] == {"milestone_not_in_psa": 1}
    # nor do its new rate cards and budget reach the PSA
    propagated = [v for v in m["invariants"]["violations"] if v["invariant"] == "terms_propagated"]
    assert len(propagated) == 2
    assert m["invariants"]["ok"] is False


def test_core_recharging_instead_of_adjusting_is_caught_as_duplicates(retro: Scenario) -> None:
    """Re-billing repriced items in full (instead of the difference) double-bills them."""
    m = run(retro, 1, design="tests.support.designs:recharges").metrics
    assert m["items"]["duplicated"] > 100
    assert {v["invariant"] for v in m["invariants"]["violations"]} == {"no_duplicates"}


@pytest.fixture(scope="module")
def credit_and_reissue(retro: Scenario) -> Scenario:
    """The same contract, settling retroactive changes by a credit note and a reissue."""
    contracts = [
        c.model_copy(update={"retro_settlement": "credit_and_reissue"}) for c in retro.contracts
    ]
    return retro.model_copy(update={"contracts": contracts})


def test_credit_note_and_reissue_settle_a_retroactive_change(
    credit_and_reissue: Scenario,
) -> None:
    """Each repriced item is charged at v1, credited on a credit note (with its tax given back
    in the tax engine), and charged again at v2: net one charge at the v2 price."""
    result = run(credit_and_reissue, 1)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    world = result.world
    (memo,) = result.record.books.credit_memos
    assert memo["status"] != "Draft" and len(memo["salesCreditMemoLines"]) > 100
    credited = {x["sourceItemIds"][0] for x in memo["salesCreditMemoLines"]}
    charges = Counter(
        x["sourceItemIds"][0]
        for inv in result.record.books.invoices
        for x in inv["salesInvoiceLines"]
        if x["billingRole"] == "charge"
    )
    assert all(charges[source] == 2 for source in credited)
    assert not [
        x
        for inv in result.record.books.invoices
        for x in inv["salesInvoiceLines"]
        if x["billingRole"] == "adjustment"
    ]
    returned = [d for d in world.tax.transactions(world.tenant) if d["totalTax"] < 0]
    assert [d["status"] for d in returned] == ["Committed"]


def test_settling_the_wrong_way_is_caught(credit_and_reissue: Scenario) -> None:
    """Adjustment lines where the contract says credit note and reissue: 'settlement_method'."""
    m = run(credit_and_reissue, 1, design="tests.support.designs:adjusts_instead").metrics
    assert m["misbilled_by_cause"] == {"settlement_method": m["items"]["misbilled"]}
    assert m["items"]["misbilled"] > 100
