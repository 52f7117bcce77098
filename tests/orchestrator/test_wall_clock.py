"""The core does not know whether it runs in simulated or real time: the same reference core,
on the wall-clock runtime, bills one contract-to-invoice cycle against the mocks served by
uvicorn over real loopback sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from contracts import VENDORS
from mocks import (
    ClmMock,
    CrmMock,
    ErpMock,
    ExecutedTerms,
    Mount,
    PaymentsMock,
    PsaMock,
    TaxMock,
    Webhook,
)
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import WallClockRuntime, run_flow
from sim.world.books import traced
from tests.support.loopback import LoopbackServer, deliver_webhooks

TENANT = "live"


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class Served(LoopbackServer):
    """Six mocks behind one uvicorn server on a free loopback port."""

    def __init__(self) -> None:
        self.webhooks: list[Webhook] = []
        self.crm = CrmMock(_wall_clock, self.webhooks.append)
        self.clm = ClmMock(_wall_clock, self.webhooks.append)
        self.psa = PsaMock(_wall_clock)  # Kantata pushes no webhooks: its feed is polled
        self.psa.events.lag = timedelta(0)  # no minute's wait for Kantata to generate them
        self.erp = ErpMock(_wall_clock)
        self.tax = TaxMock(_wall_clock)
        self.erp.tax_connector = self.tax.estimate  # BC's AvaTax connector
        self.payments = PaymentsMock(_wall_clock, self.webhooks.append)
        super().__init__(
            Mount(
                {
                    "crm": self.crm.app,
                    "clm": self.clm.app,
                    "psa": self.psa.app,
                    "erp": self.erp.app,
                    "tax": self.tax.app,
                    "payments": self.payments.app,
                }
            )
        )

    def base(self, vendor: str) -> str:
        return self.url(f"/{vendor}")


@pytest.fixture
def served() -> Iterator[Served]:
    with Served() as s:
        yield s


def _deliver(core: ReferenceCore, runtime: WallClockRuntime, served: Served) -> None:
    """The webhooks, then one poll of the PSA's feed (on the test's schedule, not the core's),
    and the flows they started."""
    deliver_webhooks(core, runtime, served.webhooks)
    run_flow(core.feed.poll())
    runtime.join(timeout=30)


def test_reference_core_bills_a_cycle_in_real_time_over_sockets(served: Served) -> None:
    """Deal -> SOW -> project -> approved time and milestone -> posted invoice, over HTTP."""
    runtime = WallClockRuntime({v: served.base(v) for v in VENDORS})
    try:
        _cycle(ReferenceCore(runtime, TENANT, {"feed_minutes": "0"}), runtime, served)
    finally:
        runtime.close()


def _cycle(core: ReferenceCore, runtime: WallClockRuntime, served: Served) -> None:
    served.erp.add_company(TENANT, "DE01", "DE", "EUR", "Live GmbH")
    role = served.psa.add_role(TENANT, "engineer (DE)")  # Kantata: a role per role and country
    user = served.psa.add_user(TENANT, "Ada Lovelace", "ada@firm.example", role, "DE")

    account = served.crm.create(TENANT, "Account", {"Name": "Rheinwerk AG", "BillingCountry": "DE"})
    opp = served.crm.create(
        TENANT,
        "Opportunity",
        {
            "Name": "Live deal",
            "AccountId": account,
            "StageName": "Negotiation/Review",
            "CloseDate": "2026-01-10",
        },
    )
    served.crm.update(TENANT, "Opportunity", opp, {"StageName": "Closed Won"})
    _deliver(core, runtime, served)

    (workflow,) = served.clm.workflows(TENANT)
    served.clm.execute(
        TENANT,
        workflow["id"],
        ExecutedTerms.model_validate(
            {
                "counterpartyCountry": "DE",
                "legalEntity": "DE01",
                "contractCurrency": "EUR",
                "roundingRule": "half_even",
                "sowReference": "LIVE-1",
                "versions": [
                    {
                        "number": 1,
                        "effectiveDate": "2026-01-01",
                        "rateCard": [{"role": "engineer", "country": "DE", "hourlyRate": "48.50"}],
                    }
                ],
                "milestones": [
                    {"id": "M1", "title": "Kick-off", "amount": "1000.00", "dueDate": "2026-01-31"}
                ],
            }
        ),
    )
    _deliver(core, runtime, served)
    workspace = served.psa.workspace_by_reference(TENANT, "LIVE-1")
    assert workspace is not None and workspace["status"]["message"] == "In Progress"

    entry = served.psa.log_time(TENANT, user, workspace["id"], date(2026, 1, 12), 15, "design")
    submission = served.psa.submit_timesheet(TENANT, user, [entry])
    served.psa.resolve_timesheet(TENANT, submission, approve=True)
    (milestone,) = served.psa.tables.all(TENANT, "billing_milestones")
    served.psa.complete_story(TENANT, milestone["story_id"])  # the PM, once the client accepted
    _deliver(core, runtime, served)

    today = datetime.now(UTC).date()  # the milestone became billable just now, in real time
    body = f'{{"period": "{today:%Y-%m}", "invoiceDate": "{today.isoformat()}"}}'.encode()
    run = core.handle(httpx.Request("POST", "http://core/billing-runs", content=body))
    assert run.status_code == 202
    runtime.join(timeout=30)

    (invoice,) = [traced(i, "salesInvoiceLines") for i in served.erp.invoices(TENANT)]
    assert invoice["status"] == "Open"
    lines = {
        tuple(x["sourceItemIds"]): x["amountExcludingTax"] for x in invoice["salesInvoiceLines"]
    }
    # 0.25 h x 48.50 = 12.125 -> 12.12 by half-even (half-up would say 12.13)
    assert lines == {
        (f"psa:time_entry:{entry}",): Decimal("12.12"),
        (f"psa:billing_milestone:{milestone['id']}",): Decimal("1000.00"),
    }
    # German VAT from the tax engine: 12.12 x 19% = 2.3028 -> 2.30, plus 190.00; committed
    assert invoice["totalTaxAmount"] == Decimal("192.30")
    (document,) = served.tax.transactions(TENANT)
    assert (document["status"], document["totalTax"]) == ("Committed", Decimal("192.30"))
    assert served.psa.tables.get(TENANT, "time_entries", entry)["is_invoiced"] is True

    # the client pays the payment request by bank transfer; the core applies the cash
    (intent,) = served.payments.payment_intents(TENANT)
    assert intent["amount"] == 120442  # 1,012.12 + 192.30 VAT, in cents
    served.payments.fund(TENANT, intent["id"], intent["amount"])
    _deliver(core, runtime, served)
    (paid,) = served.erp.invoices(TENANT)
    assert (paid["status"], paid["remainingAmount"]) == ("Paid", Decimal("0.00"))
    assert list(core.state.exceptions) == []
