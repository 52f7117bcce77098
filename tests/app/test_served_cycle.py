"""The reference core against ``q2c serve``: the sandbox's own app on a loopback socket, OAuth
enforced, driven on the wall-clock runtime through a real ``httpx`` client, one
contract-to-cash cycle; then the oracle judges the ERP's invoices item by item."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import VENDORS, WEBHOOK_VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from mocks import ExecutedTerms, Webhook
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import WallClockRuntime, run_flow
from sim.app.serve import Sandbox
from sim.oracle import check, check_cash, check_customer_balances, check_ledger, check_tax
from sim.record.truth import GroundTruth, MilestoneTruth, PaymentTruth, TimeTruth
from sim.scenario.format import Scenario
from sim.world.books import traced
from tests.support.loopback import LoopbackServer, deliver_webhooks

SCENARIO = Scenario.model_validate(
    {
        "name": "served-cycle",
        "tenant": "live",
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "legal_entities": [{"id": "DE01", "name": "Live GmbH", "country": "DE",
                            "currency": "EUR", "locale": "de_DE"}],
        "clients": [{"id": "rheinwerk", "name": "Rheinwerk AG", "country": "DE",
                     "locale": "de_DE", "legal_entity": "DE01"}],
        "roles": ["engineer"],
        "contracts": [{
            "id": "LIVE-1", "client": "rheinwerk", "legal_entity": "DE01", "currency": "EUR",
            "rounding": "half_even", "close_date": "2025-12-15",
            "versions": [{"number": 1, "effective": "2026-01-01",
                          "rates": {"engineer": {"DE": "48.50"}}}],
            "milestones": [{"id": "M1", "title": "Kick-off", "amount": "1000.00",
                            "due": "2026-01-31"}],
            "staffing": [{"role": "engineer", "country": "DE", "count": 1}],
        }],
    }
)  # fmt: skip


class Served(LoopbackServer):
    """``q2c serve``'s sandbox for SCENARIO on a free loopback port, its webhooks collected."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(SCENARIO, seed=1, admin_token="admin")
        self.webhooks: list[Webhook] = []
        for vendor in WEBHOOK_VENDORS:
            self.sandbox.mocks[vendor].sink = self.webhooks.append  # type: ignore[union-attr]
        # Kantata pushes no webhooks: its feed is polled; no minute's wait for its events
        self.sandbox.mocks["psa"].events.lag = timedelta(0)  # type: ignore[attr-defined]
        super().__init__(self.sandbox)

    def mock(self, vendor: str) -> Any:
        return self.sandbox.mocks[vendor]


@pytest.fixture
def served() -> Iterator[Served]:
    with Served() as s:
        yield s


def _deliver(core: ReferenceCore, runtime: WallClockRuntime, served: Served) -> None:
    """The webhooks, then one poll of the PSA's feed (on the test's schedule, not the core's:
    on the wall clock the core's first read is an hour away), and the flows they started."""
    deliver_webhooks(core, runtime, served.webhooks)
    run_flow(core.feed.poll())
    runtime.join(timeout=30)


def test_the_core_bills_a_cycle_against_q2c_serve_and_the_oracle_agrees(
    served: Served, tmp_path: Path
) -> None:
    """Deal -> SOW -> project -> time and milestone -> invoice -> cash, every vendor call over
    a socket with a bearer token and the core's state in its SQLite store (flows on threads);
    the oracle finds every item correct, no invariant broken."""
    runtime = WallClockRuntime({v: served.url(f"/{v}") for v in VENDORS})
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "store": str(tmp_path / "core.sqlite3"), "feed_minutes": "0"}  # fmt: skip
    core = ReferenceCore(runtime, "live", options)
    try:
        truth = _cycle(core, runtime, served)
    finally:
        runtime.close()
    erp, tax = served.mock("erp"), served.mock("tax")
    invoices = [traced(i, "salesInvoiceLines") for i in erp.invoices("live")]  # as the books
    memos = [traced(m, "salesCreditMemoLines") for m in erp.credit_memos("live")]
    payments = erp.payments("live")
    (record,) = served.mock("clm").tables.all("live", "record")
    report = check(SCENARIO, truth, invoices, {"LIVE-1": record["id"]}, rates=erp.exchange_rate,
                   exceptions={}, credit_memos=memos)  # fmt: skip
    committed = {"EUR": sum((Decimal(d["totalTax"]) for d in tax.transactions("live")
                             if d["status"] == "Committed"), Decimal(0))}  # fmt: skip
    check_tax(SCENARIO, invoices, report, committed, memos)
    applied: dict[str, Decimal] = {}
    for p in payments:
        if p["status"] == "Posted":
            applied[p["appliesToInvoiceId"]] = applied.get(p["appliesToInvoiceId"], 0) + p["amount"]
    check_ledger(invoices, report, applied)
    check_customer_balances(invoices, memos, payments, report)
    check_cash(truth, invoices, payments, report)
    assert report.violations == []
    assert [(i.kind, i.verdict) for i in report.items] == [
        ("time_entry", "correct"),
        ("billing_milestone", "correct"),
    ]
    assert list(core.state.exceptions) == []
    assert core.store.flushes > 0 and (tmp_path / "core.sqlite3").stat().st_size > 0


def _cycle(core: ReferenceCore, runtime: WallClockRuntime, served: Served) -> GroundTruth:
    crm, clm, psa, payments = (served.mock(v) for v in ("crm", "clm", "psa", "payments"))
    truth = GroundTruth()
    (account,) = crm.tables.all("live", "Account")
    opp = crm.create("live", "Opportunity", {"Name": "Live deal", "AccountId": account["Id"],
                                             "StageName": "Negotiation/Review",
                                             "CloseDate": "2025-12-15"})  # fmt: skip
    crm.update("live", "Opportunity", opp, {"StageName": "Closed Won"})
    _deliver(core, runtime, served)

    (workflow,) = clm.workflows("live")
    clm.execute("live", workflow["id"], ExecutedTerms.model_validate({
        "counterpartyCountry": "DE", "legalEntity": "DE01", "contractCurrency": "EUR",
        "roundingRule": "half_even", "sowReference": "LIVE-1",
        "versions": [{"number": 1, "effectiveDate": "2026-01-01",
                      "rateCard": [{"role": "engineer", "country": "DE", "hourlyRate": "48.50"}]}],
        "milestones": [{"id": "M1", "title": "Kick-off", "amount": "1000.00",
                        "dueDate": "2026-01-31"}],
    }))  # fmt: skip
    _deliver(core, runtime, served)
    workspace = psa.workspace_by_reference("live", "LIVE-1")
    assert workspace is not None and workspace["status"]["message"] == "In Progress"

    (user,) = psa.tables.all("live", "users")
    entry = psa.log_time("live", user["id"], workspace["id"], date(2026, 1, 12), 15, "design")
    psa.resolve_timesheet("live", psa.submit_timesheet("live", user["id"], [entry]), approve=True)
    truth.time["w1"] = TimeTruth("w1", entry, "LIVE-1", user["id"], "engineer", "DE",
                                 date(2026, 1, 12), 15, True,
                                 approved_at=datetime.now(UTC))  # fmt: skip
    (milestone,) = psa.tables.all("live", "billing_milestones")
    psa.complete_story("live", milestone["story_id"])  # the PM, once the client accepted
    truth.milestones["m1"] = MilestoneTruth("LIVE-1", "M1", Decimal("1000.00"),
                                            datetime.now(UTC), milestone["id"])  # fmt: skip
    _deliver(core, runtime, served)

    today = datetime.now(UTC).date()
    body = f'{{"period": "{today:%Y-%m}", "invoiceDate": "{today.isoformat()}"}}'.encode()
    assert (
        core.handle(httpx.Request("POST", "http://core/billing-runs", content=body)).status_code
        == 202
    )
    runtime.join(timeout=30)
    truth.billing_runs.append((f"{today:%Y-%m}", datetime.now(UTC)))

    (intent,) = payments.payment_intents("live")
    payments.fund("live", intent["id"], intent["amount"])
    (invoice,) = served.mock("erp").invoices("live")
    truth.payments.append(PaymentTruth(invoice["id"], invoice["number"], intent["id"], "EUR",
                                       intent["amount"], datetime.now(UTC)))  # fmt: skip
    _deliver(core, runtime, served)
    return truth
