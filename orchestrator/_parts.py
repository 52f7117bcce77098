"""What every part of the reference core shares: the runtime, one adapter per vendor, the
state, and the exception queue that no failure may bypass.

The core is assembled from mixins (collection, change orders, holds, billing, cash,
reconciliation); each inherits this one class instead of re-declaring what it uses.
"""

from __future__ import annotations

from typing import Any

from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.adapters.tax import TaxAdapter
from orchestrator.runtime import Runtime

__all__ = ["CoreParts"]


class CoreParts:
    _rt: Runtime
    _crm: CrmAdapter
    _clm: ClmAdapter
    _psa: PsaAdapter
    _erp: ErpAdapter
    _tax: TaxAdapter
    _payments: PaymentsAdapter
    state: Any

    def _raise(self, reason: str, item: str, detail: str, items: list[str] | None = None) -> None:
        """Open an exception (or refresh the open one for the same reason and subject)."""
        exception: dict[str, Any] = {
            "status": "open",
            "reason": reason,
            "item": item,
            "detail": detail,
            "at": self._rt.now().isoformat(),
        }
        if items is not None:
            exception["items"] = list(items)
        if self.state.exceptions.open(exception):  # a new one (not a refresh) is traced
            self._rt.record(
                "core.exception", **{k: v for k, v in exception.items() if k != "items"}
            )

    def _resolve(self, reason: str, item: str) -> None:
        if self.state.exceptions.resolve(reason, item, self._rt.now().isoformat()):
            self._rt.record("core.exception_resolved", reason=reason, item=item)
