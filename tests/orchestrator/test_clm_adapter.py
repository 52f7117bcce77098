"""The CLM adapter on Ironclad's linked amendments: the core sees one contract per SOW record,
with the versions and milestones of its amendment records folded in, whichever way it reads
(a workflow's record, one contract, the whole list, the changes since a moment)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from mocks import AmendmentTerms, ClmMock
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.runtime import run_flow
from tests.support.mock_worlds import NOW, _launch, _terms
from tests.support.runtimes import HandClock, MockRuntime


def _change_order(number: int, milestone: str) -> AmendmentTerms:
    return AmendmentTerms.model_validate({
        "versions": [{"number": number, "effectiveDate": f"2024-0{number + 1}-01",
                      "rateCard": [{"role": "Engineer", "country": "DE",
                                    "hourlyRate": str(110 + 10 * number)}]}],
        "milestones": [{"id": milestone, "title": milestone, "amount": "1000.00",
                        "dueDate": "2024-09-30"}],
    })  # fmt: skip


def _world() -> tuple[HandClock, ClmMock, ClmAdapter, MockRuntime, str]:
    """The CLM mock on its own clock, the adapter on a runtime it answers, and an executed SOW."""
    clock = HandClock(NOW)
    clm = ClmMock(clock)
    runtime = MockRuntime("clm", httpx.Client(transport=clm.app.transport(), base_url="http://clm"))
    sow = clm.execute("default", _launch(runtime.http), _terms())["id"]
    return clock, clm, ClmAdapter(runtime, "default"), runtime, str(sow)


def test_an_amendment_workflow_leads_to_the_sow_it_amends() -> None:
    _, clm, adapter, _, sow = _world()
    clm.amend("default", sow, _change_order(2, "M2"))
    workflows = clm.workflows("default")
    assert [run_flow(adapter.workflow_record(w["id"])) for w in workflows] == [sow, sow]


def test_a_contract_is_the_sow_with_its_amendments_folded_in() -> None:
    _, clm, adapter, _, sow = _world()
    clm.amend("default", sow, _change_order(2, "M2"))
    clm.amend("default", sow, _change_order(3, "M3"))
    contract = run_flow(adapter.contract(sow))
    assert contract.id == sow
    assert [v.number for v in contract.versions] == [1, 2, 3]
    assert [v.id for v in contract.versions] == [f"{sow}/v1", f"{sow}/v2", f"{sow}/v3"]
    assert [str(v.rate_card.rates["Engineer"]["DE"]) for v in contract.versions] == [
        "110.00", "130", "140",
    ]  # fmt: skip
    assert [m.id for m in contract.milestones] == ["M2", "M3"]


def test_the_list_and_the_changes_since_are_contracts_not_records() -> None:
    """Amendment records never appear on their own: the full list folds them into their SOW,
    and a change order signed since a moment makes its SOW a changed contract (read by id: the
    SOW record itself did not change), with every version and the amendment's time."""
    clock, clm, adapter, runtime, sow = _world()
    clm.amend("default", sow, _change_order(2, "M2"))
    listed = run_flow(adapter.records())
    assert [(r["id"], len(r["versions"])) for r in listed] == [(sow, 2)]
    clock.now += timedelta(days=1)
    since = clock.now
    clm.amend("default", sow, _change_order(3, "M3"))
    sent = len(runtime.sent)
    changed = run_flow(adapter.records_updated_since(since))
    assert [(r["id"], len(r["versions"])) for r in changed] == [(sow, 3)]
    assert datetime.fromisoformat(changed[0]["lastUpdated"]) == since
    reads = [path for _, _, path, *_ in runtime.sent[sent:]]
    # the changes, the SOW, and its older amendment: no listing of the repository
    assert reads[0] == "/public/api/v1/records" and len(reads) == 3


def test_nothing_changed_since_reads_nothing_more() -> None:
    clock, _, adapter, runtime, _ = _world()
    clock.now += timedelta(days=1)
    assert run_flow(adapter.records_updated_since(clock.now)) == []
    assert len(runtime.sent) == 1  # the one listing
