"""Kantata's listings and reads, for the PSA mock: paging, Kantata's filter names and the
indexes that keep a filtered listing from scanning the whole account.

Its own room because the read path is where the PSA mock's cost is decided: every nightly
listing (a submission's entries, a workspace's invoices, what changed since yesterday) must cost
what it returns, not the account's history, and the filters' parameter names and refusals
follow Kantata's (``mocks._psa_queries`` holds the vocabulary; this module applies it). The
writes stay in ``mocks.psa`` and, for milestones and invoices, ``mocks._psa_billing``.
"""

from __future__ import annotations

from typing import Any

from mocks._http import Call, Reply
from mocks._psa_queries import (
    FILTERS,
    INDEXED_FILTERS,
    RATE_FILTERS,
    UPDATED,
    UPDATED_KINDS,
    check_filters,
    moment_param,
    truthy,
    updated_within,
)

__all__ = ["ListingsMixin"]

MAX_PER_PAGE = 200
# the filters ``_matches`` tests a row against; a listing given none of them (records named
# by ``only``) is its candidates as they are
_ROW_FILTERS = ("workspace_id", "active_submission_id", "user_id", *RATE_FILTERS, "status",
                "approved", "uninvoiced", "invoiced", *UPDATED,
                "date_performed_between")  # fmt: skip


class ListingsMixin:
    """The ``GET`` listings and reads of every PSA collection, over the mock's indexed tables."""

    tables: Any
    changes: Any
    invoices_of: dict[tuple[str, str], list[str]]

    def _envelope(
        self,
        call: Call,
        kind: str,
        rows: list[dict[str, Any]],
        total: int | None = None,
        page_info: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def approved(self, tenant: str, kind: str, row: dict[str, Any]) -> bool:
        raise NotImplementedError

    @staticmethod
    def _query(call: Call, kind: str) -> dict[str, str]:
        """The listing's filters in the mock's field names, from Kantata's parameter names:
        time entries of a submission by ``with_timesheet_id``, expenses of a report by
        ``with_expense_report_id``, submissions by ``statuses`` (a comma-separated list; a bare
        ``status`` is no filter there, as in Kantata: vendor-specs
        kantata/mavenlink-{time-entries,expenses,timesheet-submissions}-api-openapi.yml, read
        2026-12-07)."""
        q = dict(call.query)
        for name in ("active_submission_id", "status" if kind == "timesheet_submissions" else ""):
            q.pop(name, None)  # our field names are no filters
        renames = {"time_entries": ("with_timesheet_id", "active_submission_id"),
                   "expenses": ("with_expense_report_id", "active_submission_id"),
                   "timesheet_submissions": ("statuses", "status")}  # fmt: skip
        if kind in renames and renames[kind][0] in q:
            q[renames[kind][1]] = q.pop(renames[kind][0])
        return q

    def _lister(self, kind: str) -> Any:
        def list_records(call: Call) -> Reply:
            check_filters(call)
            number = call.int_query("page", 1, low=1)
            size = call.int_query("per_page", 20, low=1, high=MAX_PER_PAGE)
            q, table = self._query(call, kind), self.tables.table(call.tenant, kind)
            given = [name for name in FILTERS if name in q
                     and (kind in UPDATED_KINDS or name not in UPDATED)]  # fmt: skip
            one = len(given) == 1 and table.indexed(given[0]) and "," not in q[given[0]]
            if not given or one:
                where = (given[0], q[given[0]]) if given else None  # a page of an index
                total = self.tables.count(call.tenant, kind, where)
                chunk = self.tables.window(call.tenant, kind, (number - 1) * size, size, where)
            else:
                rows = self._filtered(call.tenant, q, kind)
                total, start = len(rows), (number - 1) * size
                chunk = rows[start : start + size]
            count = max(1, -(-total // size))
            meta = {
                "count": total,
                "page_count": count,
                "page_number": number,
                "page_size": size,
            }
            return Reply(200, self._envelope(call, kind, chunk, total, meta))

        return list_records

    def _reader(self, kind: str) -> Any:
        def read(call: Call) -> Reply:
            label = kind.replace("_", " ").removesuffix("s").replace("ie", "y")
            record = self.tables.get(call.tenant, kind, call.params["id"], label)
            return Reply(200, self._envelope(call, kind, [record]))

        return read

    def _filtered(self, tenant: str, q: dict[str, str], kind: str) -> list[dict[str, Any]]:
        """The candidates that pass the row filters; the candidates as they are when no row
        filter is given (records named by ``only``: no row to test)."""
        candidates = self._candidates(tenant, q, kind)
        if not any(name in q for name in _ROW_FILTERS):
            return list(candidates)
        return [r for r in candidates if self._matches(tenant, q, r, kind)]

    def _candidates(self, tenant: str, q: dict[str, str], kind: str) -> Any:
        """Rows worth filtering: a submission's own entries when filtering by submission (the
        common integration query), so it costs the submission's size, not the account's."""
        submission_id = q.get("active_submission_id")
        if kind == "time_entries" and submission_id is not None:
            submission = self.tables.table(tenant, "timesheet_submissions").get(submission_id)
            entries = self.tables.table(tenant, "time_entries")
            return [entries[i] for i in submission["time_entry_ids"]] if submission else []
        if kind == "expenses" and submission_id is not None:
            report = self.tables.table(tenant, "expense_reports").get(submission_id)
            expenses = self.tables.table(tenant, "expenses")
            return [expenses[i] for i in report["expense_ids"]] if report else []
        if kind == "invoices" and "workspace_id" in q:  # a workspace's invoices, not the year's
            invoices = self.tables.table(tenant, "invoices")
            return [invoices[i] for i in self.invoices_of.get((tenant, q["workspace_id"]), [])]
        if "only" in q:  # the records named, in id order, each once
            rows = self.tables.table(tenant, kind)
            named = sorted(set(q["only"].split(",")), key=int)
            return [rows[i] for i in named if i in rows]
        after = moment_param("updated_after", q.get("updated_after"))
        if after is not None and kind in UPDATED_KINDS:  # the night's changes, not the year's
            before = moment_param("updated_before", q.get("updated_before"))
            rows = self.tables.table(tenant, kind)
            keys = self.changes.changed(tenant, kind, after, before)
            self.tables.scanned += len(keys)
            return [rows[k] for k in keys]
        table = self.tables.table(tenant, kind)
        for name in INDEXED_FILTERS:
            if name in q and table.indexed(name) and "," not in q[name]:
                return self.tables.where(tenant, kind, name, q[name])
        return self.tables.all(tenant, kind)

    def _matches(self, tenant: str, q: dict[str, str], row: dict[str, Any], kind: str) -> bool:
        for name in ("workspace_id", "active_submission_id", "user_id", *RATE_FILTERS):
            if name in RATE_FILTERS and kind != "rate_card_versions":
                continue  # a filter the listing does not know is ignored
            if name not in q or str(row.get(name)) == q[name]:
                continue
            if name != "workspace_id" or q[name] not in row.get("workspace_ids", ()):
                return False  # (an invoice names its workspaces in workspace_ids)
        status = row.get("status")
        status = status["message"] if isinstance(status, dict) else status  # a workspace's
        if "status" in q and str(status) not in q["status"].split(","):
            return False
        approved = truthy("approved", q.get("approved"))
        if approved is not None and self.approved(tenant, kind, row) != approved:
            return False
        invoiced = row.get("is_invoiced") or row.get("invoice_id") is not None
        if truthy("uninvoiced", q.get("uninvoiced")) and invoiced:
            return False
        if truthy("invoiced", q.get("invoiced")) and not invoiced:
            return False
        if kind in UPDATED_KINDS and not updated_within(q, str(row["updated_at"])):
            return False
        if "date_performed_between" in q:
            start, _, end = q["date_performed_between"].partition(":")
            if not start <= str(row.get("date_performed")) <= end:
                return False
        return True
