"""What every part of a core shares: the runtime, one adapter per vendor, the durable state and
the exception queue that no failure may bypass.

Parts read the adapters from the context when they call them, so a design may swap one
(``core.ctx.erp = MyErp(core.ctx.rt, tenant)``) and every part uses it from then on.
"""

from __future__ import annotations

from typing import Any

from orchestrator._resilience import ResilientRuntime
from orchestrator._state import CoreState
from orchestrator._store import Store
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.adapters.tax import TaxAdapter

__all__ = ["CoreContext"]


class CoreContext:
    """One core's runtime (with its resilience layer), vendors, state and exception queue."""

    def __init__(
        self,
        runtime: ResilientRuntime,
        tenant: str,
        state: CoreState,
        *,
        look_before_write: bool = True,
    ) -> None:
        self.rt = runtime
        self.tenant = tenant
        self.state = state
        self.crm = CrmAdapter(runtime, tenant)
        self.clm = ClmAdapter(runtime, tenant)
        self.psa = PsaAdapter(runtime, tenant)
        self.erp = ErpAdapter(runtime, tenant, look_before_write=look_before_write)
        self.tax = TaxAdapter(runtime, tenant)
        self.payments = PaymentsAdapter(runtime, tenant)

    @property
    def store(self) -> Store:
        """Where ``state`` lives (flushed before every wait and after every request)."""
        return self.state.store

    def raise_exception(
        self, reason: str, item: str, detail: str, items: list[str] | None = None
    ) -> None:
        """Open an exception (or refresh the open one for the same reason and subject)."""
        exception: dict[str, Any] = {
            "status": "open",
            "reason": reason,
            "item": item,
            "detail": detail,
            "at": self.rt.now().isoformat(),
        }
        if items is not None:
            exception["items"] = list(items)
        if self.state.exceptions.open(exception):  # a new one (not a refresh) is traced
            self.rt.record("core.exception", **{k: v for k, v in exception.items() if k != "items"})

    def resolve_exception(self, reason: str, item: str) -> None:
        """Close the open exception for ``reason`` and ``item``, if there is one."""
        if self.state.exceptions.resolve(reason, item, self.rt.now().isoformat()):
            self.rt.record("core.exception_resolved", reason=reason, item=item)
