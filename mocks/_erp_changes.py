"""The ERP mock's index on ``lastModifiedDateTime``: what an incremental sync reads, so that
``$filter=lastModifiedDateTime gt <last sync>`` costs the changes since, not the history.

Business Central answers such a filter from an index on the record's modification stamp
(``SystemModifiedAt`` behind ``lastModifiedDateTime``, indexed by the platform: Microsoft
Learn, "Transitioning from API v1.0 to API v2.0" on system fields, and "OData/API web service
client performance", consulted 2026-12-07); this is that index for the sandbox, on
``mocks._changes.ChangeLog`` (the log the CRM, CLM and PSA mocks read for theirs).

Every record gets its stamp when it is made (``Tables.insert``) and a new one whenever
``mocks._erp_etags.touch`` changes it. ``ErpTables`` notes the first; a touch is reported
through ``touched`` to the request being handled (``watch`` wraps the app's dispatch, so the
request's tenant is known) or to the world's direct change (``noted``: a bank transfer) and
noted once it is over, in the order of the touches. A touch outside both is not noted: every
change of an ERP record goes through one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from mocks._changes import ChangeLog
from mocks._http import Call, Reply, VendorApp
from mocks._state import Tables

__all__ = ["STAMPED", "ErpTables", "touched"]

T = TypeVar("T")

STAMPED = ("customers", "salesInvoices", "salesCreditMemos", "customerPaymentJournals",
           "customerPayments")  # fmt: skip
# the records a request being handled changed (None outside a watched dispatch)
_TOUCHED: ContextVar[list[dict[str, Any]] | None] = ContextVar("erp_touched", default=None)


def touched(record: dict[str, Any]) -> None:
    """``record`` got a new ``lastModifiedDateTime`` (called by ``touch``)."""
    pending = _TOUCHED.get()
    if pending is not None:
        pending.append(record)


def _moment(stamp: Any) -> datetime:
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


class ErpTables(Tables):
    """The ERP's tables, with each stamped kind's changes in a ``ChangeLog``."""

    def __init__(self, indexes: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(indexes)
        self.changes = ChangeLog()
        # each record's place in its table's insertion order, so that a window of changes is
        # handed out in the order a scan of the table would give (stable across pages)
        self._born: dict[tuple[str, str], dict[str, int]] = {}

    def insert(
        self, tenant: str, kind: str, record: dict[str, Any], key: str = "id"
    ) -> dict[str, Any]:
        stored = super().insert(tenant, kind, record, key)
        born = self._born.setdefault((tenant, kind), {})
        born.setdefault(record[key], len(born))
        if kind in STAMPED and "lastModifiedDateTime" in record:
            self.changes.note(tenant, kind, record[key], _moment(record["lastModifiedDateTime"]))
        return stored

    def drop(self, tenant: str) -> None:
        super().drop(tenant)
        self.changes.drop(tenant)
        for name in [k for k in self._born if k[0] == tenant]:
            del self._born[name]

    def watch(self, app: VendorApp) -> None:
        """Note the records each request to ``app`` touches (wraps ``app.dispatch``)."""
        inner: Callable[[Call], Reply] = app.dispatch

        def dispatch(call: Call) -> Reply:
            with self._noting() as pending:
                reply = inner(call)
            self._note_all(call.tenant, pending)  # the tenant is known once the gate admitted
            return reply

        app.dispatch = dispatch  # type: ignore[method-assign]

    def noted(self, method: Callable[..., T]) -> Callable[..., T]:
        """``method(tenant, ...)``, a change the simulated world makes without a request (a
        bank transfer), with the records it touches noted."""

        def run(tenant: str, *args: Any, **kwargs: Any) -> T:
            with self._noting() as pending:
                try:
                    return method(tenant, *args, **kwargs)
                finally:
                    self._note_all(tenant, pending)

        return run

    @contextmanager
    def _noting(self) -> Iterator[list[dict[str, Any]]]:
        pending: list[dict[str, Any]] = []
        token = _TOUCHED.set(pending)
        try:
            yield pending
        finally:
            _TOUCHED.reset(token)

    def _note_all(self, tenant: str, pending: list[dict[str, Any]]) -> None:
        for record in pending:
            self._note_touch(tenant, record)

    def _note_touch(self, tenant: str, record: dict[str, Any]) -> None:
        for kind in STAMPED:
            if record.get("id") in self.table(tenant, kind):
                moment = _moment(record["lastModifiedDateTime"])
                self.changes.note(tenant, kind, record["id"], moment)
                return

    def modified(
        self,
        tenant: str,
        kind: str,
        after: datetime | None,
        before: datetime | None,
        *,
        inclusive_start: bool,
    ) -> Iterator[dict[str, Any]]:
        """The records whose stamp lies in the window (``before`` excluded), in the table's
        insertion order; counted in ``scanned`` (the window's rows, not the table's)."""
        keys = self.changes.changed(tenant, kind, after, before, inclusive_start=inclusive_start)
        self.scanned += len(keys)
        table = self.table(tenant, kind)
        born = self._born.get((tenant, kind), {})
        keys.sort(key=lambda k: born.get(k, -1))
        return (table[k] for k in keys if k in table)
