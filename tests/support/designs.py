"""Designs written outside the simulator, as an architect would plug their own in: each is the
reference composition with one part replaced (a subclass with one bug), or one adapter swapped
in its context."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from orchestrator.adapters.erp import ErpAdapter, business_key
from orchestrator.adapters.tax import TaxAdapter
from orchestrator.parts import (
    Billing,
    Cash,
    ChangeOrders,
    Collection,
    CoreContext,
    Holds,
)
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, Runtime


class Idle:
    """Acknowledges every webhook and does nothing: no project, no invoice."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, json={"accepted": True})


def idle(runtime: Runtime, tenant: str, options: dict[str, str]) -> Idle:
    return Idle()


class _ForgetfulCollection(Collection):
    """One bug: accepted milestones are never collected for billing."""

    def collect_milestone(self, psa_id: str) -> Flow[None]:
        return
        yield


def forgetful(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, collection=_ForgetfulCollection)


class _StaleChangeOrders(ChangeOrders):
    """Ignores change orders: keeps billing the contract as first signed."""

    def amend_contract(self, record_id: str) -> Flow[None]:
        return
        yield


def stale_terms(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, change_orders=_StaleChangeOrders)


class _RechargingChangeOrders(ChangeOrders):
    """Settles a retroactive change by charging the repriced items again in full, instead of
    adjusting by the difference: the classic double-billing after a rate change."""

    def amend_contract(self, record_id: str) -> Flow[None]:
        yield from super().amend_contract(record_id)
        engagement = self.state.engagements[record_id]
        for item in list(self.state.ledger.pending.values()):
            if item.kind != "adjustment" or item.engagement is not engagement:
                continue
            source = self.state.ledger.billed[item.key.split("@")[0].removeprefix("adjustment:")]
            full = source.line().model_copy(update={"description": "Re-billed at new rate"})
            item.price = lambda _contract, line=full: line


def recharges(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, change_orders=_RechargingChangeOrders)


class _NoTax(TaxAdapter):
    """Skips the tax engine and codes every line not taxable (AvaTax's ``NT``), so Business
    Central's AvaTax connector taxes nothing: invoices posted without tax, the one thing never
    to do."""

    def assess(self, invoice: Any, *args: Any) -> Flow[tuple[Any, ...]]:
        return tuple(x.model_copy(update={"tax_code": "NT"}) for x in invoice.lines)
        yield

    def commit(self, *args: Any) -> Flow[None]:
        return
        yield


def untaxed(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    core = ReferenceCore(runtime, tenant, options)
    core.ctx.tax = _NoTax(core.ctx.rt, tenant)
    return core


class _IgnoresPurchaseOrders(Holds):
    """Invoices whether or not the client's PO has arrived."""

    def purchase_order(self, engagement: Any, items: Any) -> Flow[str | None]:
        return engagement.contract.purchase_order or ""
        yield


def ignores_purchase_orders(
    runtime: Runtime, tenant: str, options: dict[str, str]
) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, holds=_IgnoresPurchaseOrders)


class _IgnoresReceipts(Collection):
    """Bills every approved expense, receipt or not."""

    def _add_expense(self, expense: Any) -> Flow[None]:
        yield from super()._add_expense(expense.model_copy(update={"has_receipt": True}))


def ignores_receipts(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, collection=_IgnoresReceipts)


class _QuietContext(CoreContext):
    """Holds receipt-less expenses, as it should, but tells nobody (no exception raised)."""

    def raise_exception(self, reason: str, item: str, detail: str, items: Any = None) -> None:
        if reason != "missing_receipt":
            super().raise_exception(reason, item, detail, items)


def quiet_holds(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, context=_QuietContext)


class _CreditsTwice(Billing):
    """Puts every service credit on two invoices: the client is credited twice."""

    def _invoice(self, items: Any, period: str, invoice_date: Any) -> Flow[None]:
        credits = [i for i in items if i.kind == "credit"]
        yield from super()._invoice(items, period, invoice_date)
        for credit in credits:  # queue it again for the next invoice
            credit.key = credit.key + "#again"
            self.state.ledger.pending[credit.key] = credit


def credits_twice(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, billing=_CreditsTwice)


class _Uncapped(Collection):
    """Grants the full credit for every breach, ignoring the contract's monthly cap."""

    def collect_breach(self, record_id: str, breach_id: str) -> Flow[None]:
        self.state.credits_granted.clear()
        yield from super().collect_breach(record_id, breach_id)


def uncapped(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, collection=_Uncapped)


class _MisappliesCash(Cash):
    """Applies every payment to the first invoice it ever issued the same client."""

    def apply_cash(self, intent: dict[str, Any]) -> Flow[None]:
        invoice_id = intent["metadata"]["invoice_id"]
        engagement, _ = self.state.invoices[invoice_id]
        first = next(i for i, (e, _) in self.state.invoices.items() if e is engagement)
        misdirected = {**intent, "metadata": {**intent["metadata"], "invoice_id": first}}
        yield from super().apply_cash(misdirected)


def misapplies_cash(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, cash=_MisappliesCash)


class _IgnoresSubcontractorApproval(Holds):
    """Bills subcontractors' time without waiting for their cost to be approved."""

    def approved_subcontracting(self, items: Any) -> Any:
        return items


def ignores_subcontractor_approval(
    runtime: Runtime, tenant: str, options: dict[str, str]
) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, holds=_IgnoresSubcontractorApproval)


class _ForgetsMarkup(Collection):
    """Bills expenses at cost, forgetting the contract's markup."""

    def _add_expense(self, expense: Any) -> Flow[None]:
        engagement = self.state.by_workspace.get(expense.project_id)
        if engagement is not None and engagement.contract.expense_policy is not None:
            policy = engagement.contract.expense_policy.model_copy(
                update={"markup_percent": Decimal(0)}
            )
            engagement.contract = engagement.contract.model_copy(update={"expense_policy": policy})
        yield from super()._add_expense(expense)


def forgets_markup(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, collection=_ForgetsMarkup)


class _AdjustsInstead(ChangeOrders):
    """Settles every retroactive change by adjustment lines, whatever the contract says."""

    def _credit_and_reissue(self, engagement: Any, version_id: str) -> Flow[None]:
        self.state.ledger.adjustments(engagement, self.ctx.rt.now().date(), version_id)
        return
        yield


def adjusts_instead(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options, change_orders=_AdjustsInstead)


class _SloppyErp(ErpAdapter):
    """Sends each new invoice with a field Business Central does not have."""

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Flow[Any]:
        if method == "POST" and path.endswith("/salesInvoices"):
            body = {**body, "invoiceNotes": "thanks for your business"}
        return (yield from super()._call(method, path, body, params, headers))


def sloppy_payload(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    """The reference core with a misspelt adapter: its invoice requests break the contract."""
    core = ReferenceCore(runtime, tenant, options)
    core.ctx.erp = _SloppyErp(core.ctx.rt, tenant)
    return core


class _KeyTrustingErp(ErpAdapter):
    """Creates ERP documents as if Business Central replayed an ``Idempotency-Key``: it sends
    one, never looks before writing, and so its runtime retries a POST whose answer was lost."""

    def _create_once(
        self, path: str, body: dict[str, Any], field: str, value: str
    ) -> Flow[dict[str, Any]]:
        created: dict[str, Any] = yield from self._call(
            "POST", path, body, headers={"idempotency-key": business_key("KEY", value)}
        )
        return created


def blind_retries(runtime: Runtime, tenant: str, options: dict[str, str]) -> ReferenceCore:
    """The reference core with the bug the real vendor punishes: ERP creates retried blindly
    after a lost answer, each retry a new document on BC (which has no idempotency keys)."""
    core = ReferenceCore(runtime, tenant, options)
    core.ctx.erp = _KeyTrustingErp(core.ctx.rt, tenant)
    return core
