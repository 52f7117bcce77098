"""PSA mock mirroring Kantata OX: workspaces, time entries, timesheet submissions, billing
milestones, rate cards (``mocks._psa_rates``) and invoices, in Kantata's side-loaded JSON.

A time entry is editable until it is on an active timesheet submission (``active_submission_id``,
pending or approved) or invoiced (``is_invoiced``); rejecting the submission frees it again, as
in Kantata. Approving a submission fires ``timesheet_submission.approved``; accepting a milestone
fires ``billing_milestone.accepted``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mocks._auth import secure
from mocks._changes import ChangeLog
from mocks._http import Call, Problem, Reply, VendorApp
from mocks._psa_errors import as_kantata, kantata_error
from mocks._psa_expenses import ExpensesMixin
from mocks._psa_models import (
    BillingMilestoneIn,
    InvoiceIn,
    TimeEntryPatch,
    WorkspaceIn,
    WorkspacePatch,
)
from mocks._psa_queries import (
    FILTERS,
    INCLUDES,
    INDEXED_FILTERS,
    INDEXES,
    RATE_FILTERS,
    READ_SCOPES,
    SIDE_LOADS,
    UPDATED,
    UPDATED_KINDS,
    check_filters,
    moment_param,
    repeats,
    truthy,
    updated_within,
)
from mocks._psa_rates import RatesMixin
from mocks._state import Clock, Tables, Webhook, WebhookSink, iso, plain

__all__ = ["PsaMock"]

API = "/api/v1"
MAX_PER_PAGE = 200
# A workspace's status as Kantata serves it, an object (vendor-specs kantata/*.yml, schema
# Workspace ``status``: ``color``, ``key``, ``message``, e.g. 'red', '501', 'Cancelled'; read
# 2026-12-07). Kantata's per-status keys and colours are account settings it does not publish:
# these are the sandbox's own.
WORKSPACE_STATUSES = {
    "Not Started": ("grey", "100"),
    "In Planning": ("grey", "110"),
    "In Progress": ("green", "300"),
    "Completed": ("blue", "400"),
}


def workspace_status(message: str) -> dict[str, str]:
    color, key = WORKSPACE_STATUSES[message]
    return {"color": color, "key": key, "message": message}


class PsaMock(ExpensesMixin, RatesMixin):
    """A Kantata account per tenant."""

    vendor = "psa"

    def __init__(
        self, clock: Clock, sink: WebhookSink | None = None, *, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.tables = Tables(INDEXES)
        self.changes = ChangeLog()  # what "updated_after" reads
        self.activations: dict[tuple[str, str], str] = {}  # (tenant, workspace) -> In Progress at
        self.invoices_of: dict[tuple[str, str], list[str]] = {}  # (tenant, workspace) -> invoices
        self.app = VendorApp("psa")
        self.app.refine = as_kantata  # every error in Kantata OX's words
        app = self.app
        for kind in (
            "workspaces",
            "time_entries",
            "timesheet_submissions",
            "billing_milestones",
            "rate_card_versions",
            "invoices",
            "users",
            "roles",
            "expenses",
            "expense_reports",
        ):
            app.route("GET", f"{API}/{kind}", scope=READ_SCOPES[kind])(self._lister(kind))
            app.route("GET", f"{API}/{kind}/{{id}}", scope=READ_SCOPES[kind])(self._reader(kind))
        app.route("GET", API + "/rate_cards/{id}", scope="psa:rates.read")(
            self._reader("rate_cards")
        )
        app.route("POST", API + "/workspaces", scope="psa:workspaces.write")(self._create_workspace)
        app.route("PUT", API + "/workspaces/{id}", scope="psa:workspaces.write")(
            self._update_workspace
        )
        for kind, create in (
            ("rate_card_sets", self._create_rate_card_set),
            ("rate_cards", self._create_rate_card),
            ("rate_card_set_versions", self._create_rate_card_set_version),
            ("rate_card_roles", self._create_rate_card_role),
        ):
            app.route("POST", f"{API}/{kind}", scope="psa:rates.write")(create)
        app.route("POST", API + "/billing_milestones", scope="psa:milestones.write")(
            self._create_milestone
        )
        app.route("PUT", API + "/time_entries/{id}", scope="psa:time.write")(
            self._update_time_entry
        )
        app.route("POST", API + "/invoices", scope="psa:invoices.write")(self._create_invoice)
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- direct use by the simulated firm (the PSA's own UI) --------------------------------

    def _new(self, tenant: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        now = iso(self.clock())
        n = self.tables.next_number(tenant, kind)
        record = {"id": str(n), **fields, "created_at": now, "updated_at": now}
        self.tables.insert(tenant, kind, record)
        self._touched(tenant, kind, record)
        return record

    def _touched(self, tenant: str, kind: str, record: dict[str, Any]) -> None:
        """``record``'s ``updated_at`` was just set to now: note it for "updated since"."""
        if kind in UPDATED_KINDS:
            self.changes.note(tenant, kind, record["id"], self.clock())

    def _changed(self, tenant: str, kind: str, record: dict[str, Any]) -> None:
        """A record's indexed field (status, state) may have changed in place."""
        self.tables.table(tenant, kind).reindex(record["id"])

    def add_role(self, tenant: str, name: str) -> str:
        return self._new(tenant, "roles", {"name": name})["id"]

    def add_user(
        self,
        tenant: str,
        full_name: str,
        email: str,
        role_id: str,
        location: str,
        subcontractor_vendor: str | None = None,
    ) -> str:
        """A user as Kantata shows one: home ``country`` (here an ISO 3166-1 alpha-2 code) and
        ``classification`` "Internal" or "External" (a subcontractor; Kantata keeps no vendor
        name on the user, so ``subcontractor_vendor`` only makes the user External)."""
        user = {
            "id": str(self.tables.next_number(tenant, "users")),
            "full_name": full_name,
            "email_address": email,
            "role_id": role_id,
            "country": location,
            "classification": "Internal" if subcontractor_vendor is None else "External",
        }
        self.tables.insert(tenant, "users", user)  # Kantata's user has no created_at/updated_at
        return str(user["id"])

    def workspace_by_reference(self, tenant: str, reference: str) -> dict[str, Any] | None:
        for workspace in self.tables.all(tenant, "workspaces"):
            if self.reference_of(tenant, workspace) == reference:
                return workspace
        return None

    def reference_of(self, tenant: str, record: dict[str, Any]) -> str | None:
        """The integration's key for a workspace or billing milestone: the ``service_model_ref``
        of its first external reference (None when it has none)."""
        refs = record.get("external_reference_ids") or []
        if not refs:
            return None
        return str(self.tables.get(tenant, "external_references", refs[0])["service_model_ref"])

    def _refer(self, tenant: str, kind: str, record: dict[str, Any], given: Any) -> None:
        """Record the ``external_reference`` a create named, as Kantata does: its own object,
        named by ``external_reference_ids`` on the record."""
        if given is None:
            return
        subject = {"workspaces": "Workspace", "billing_milestones": "BillingMilestone",
                   "invoices": "Invoice"}[kind]  # fmt: skip
        reference = self._new(tenant, "external_references", {
            **{k: v for k, v in given.items() if v is not None},
            "status": given.get("status") or "successful",
            "subject_type": subject, "subject_id": int(record["id"]),
        })  # fmt: skip
        record["external_reference_ids"] = [reference["id"]]

    def workspaces_for_books(self, tenant: str) -> list[dict[str, Any]]:
        """The workspaces as the run's books keep them for the oracle: the contract reference,
        the status name and when the workspace went In Progress (Kantata serves no activation
        time; the mock remembers it for the books only)."""
        return [
            {
                **w,
                "status": w["status"]["message"],
                "external_reference": self.reference_of(tenant, w),
                "activated_at": self.activations.get((tenant, w["id"])),
            }
            for w in self.tables.all(tenant, "workspaces")
        ]

    def log_time(
        self,
        tenant: str,
        user_id: str,
        workspace_id: str,
        day: date,
        minutes: int,
        notes: str,
        billable: bool = True,
    ) -> str:
        user = self.tables.get(tenant, "users", user_id, "user")
        self.tables.get(tenant, "workspaces", workspace_id, "workspace")
        return self._new(
            tenant,
            "time_entries",
            {
                "workspace_id": workspace_id,
                "user_id": user_id,
                "role_id": user["role_id"],
                "date_performed": day.isoformat(),
                "time_in_minutes": minutes,
                "billable": billable,
                "notes": notes,
                "approved": False,
                "is_invoiced": False,
                "invoice_id": None,
                "active_submission_id": None,
            },
        )["id"]

    @staticmethod
    def editable(entry: dict[str, Any]) -> bool:
        """Whether a time entry (or expense) can still be changed: on no active submission
        (pending or approved) and not invoiced."""
        return entry["active_submission_id"] is None and not entry["is_invoiced"]

    def correct_time(self, tenant: str, entry_id: str, minutes: int) -> None:
        entry = self.tables.get(tenant, "time_entries", entry_id, "time entry")
        if not self.editable(entry):
            raise ValueError(f"time entry {entry_id} is submitted or invoiced: not editable")
        entry.update(time_in_minutes=minutes, updated_at=iso(self.clock()))
        self._touched(tenant, "time_entries", entry)

    def submit_timesheet(self, tenant: str, user_id: str, entry_ids: list[str]) -> str:
        entries = [self.tables.get(tenant, "time_entries", i, "time entry") for i in entry_ids]
        for entry in entries:
            if not self.editable(entry):
                raise ValueError(f"time entry {entry['id']} is already submitted or invoiced")
        submission = self._new(
            tenant,
            "timesheet_submissions",
            {
                "user_id": user_id,
                "status": "pending",
                "time_entry_ids": list(entry_ids),
                "current_resolution_created_at_date": None,
                "comment": None,
            },
        )
        for entry in entries:
            entry.update(active_submission_id=submission["id"])
        return submission["id"]

    def resolve_timesheet(
        self, tenant: str, submission_id: str, approve: bool, comment: str | None = None
    ) -> None:
        submission = self.tables.get(tenant, "timesheet_submissions", submission_id)
        if submission["status"] != "pending":
            raise ValueError(f"submission {submission_id} is already {submission['status']}")
        now = iso(self.clock())
        submission.update(
            status="approved" if approve else "rejected",
            current_resolution_created_at_date=now,
            comment=comment,
            updated_at=now,
        )
        self._changed(tenant, "timesheet_submissions", submission)
        self._touched(tenant, "timesheet_submissions", submission)
        for entry_id in submission["time_entry_ids"]:
            entry = self.tables.get(tenant, "time_entries", entry_id)
            if approve:
                entry.update(approved=True, updated_at=now)
            else:
                entry.update(active_submission_id=None, updated_at=now)
            self._touched(tenant, "time_entries", entry)
        if approve:
            self._notify(tenant, "timesheet_submission.approved", submission_id, now)

    def complete_milestone(self, tenant: str, milestone_id: str) -> None:
        milestone = self.tables.get(tenant, "billing_milestones", milestone_id)
        if milestone["state"] != "planned":
            raise ValueError(f"milestone {milestone_id} is {milestone['state']}, not planned")
        now = iso(self.clock())
        milestone.update(state="completed", completed_at=now, updated_at=now)
        self._changed(tenant, "billing_milestones", milestone)

    def accept_milestone(self, tenant: str, milestone_id: str) -> None:
        milestone = self.tables.get(tenant, "billing_milestones", milestone_id)
        if milestone["state"] != "completed":
            raise ValueError(f"milestone {milestone_id} is {milestone['state']}, not completed")
        now = iso(self.clock())
        milestone.update(state="accepted", accepted_at=now, updated_at=now)
        self._changed(tenant, "billing_milestones", milestone)
        self._notify(tenant, "billing_milestone.accepted", milestone_id, now)

    def _notify(self, tenant: str, event: str, subject_id: str, at: str) -> None:
        if self.sink is None:
            return
        n = self.tables.next_number(tenant, "event")
        subject_type = event.split(".")[0]
        self.sink(
            Webhook(
                "psa",
                tenant,
                event,
                {
                    "id": str(n),
                    "event_type": event,
                    "subject_type": subject_type,
                    "subject_id": subject_id,
                    "occurred_at": at,
                },
            )
        )

    # -- HTTP: reads -------------------------------------------------------------------------

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

    def _envelope(
        self,
        call: Call,
        kind: str,
        rows: list[dict[str, Any]],
        total: int | None = None,
        page_info: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "count": len(rows) if total is None else total,
            "results": [{"key": kind, "id": r["id"]} for r in rows],
            kind: {r["id"]: r for r in rows},
        }
        if page_info is not None:
            body["meta"] = page_info
        include, offered = call.query.get("include"), SIDE_LOADS[kind]
        names = include.split(",") if include is not None else []
        if any(name not in offered for name in names):
            raise Problem(
                400,
                "Bad Request",
                f"include on {kind} must be names from {', '.join(offered) or '(none)'} "
                "separated by commas",
                errors=[{"field": "include", "message": "unknown include"}],
            )
        for name in names:
            collection, key = INCLUDES[name]
            side = body.setdefault(collection, {})
            for row in rows:
                found = row.get(key)
                for ref in found if isinstance(found, list) else [found]:
                    if ref is not None and ref not in side:
                        side[ref] = self.tables.get(call.tenant, collection, ref)
        return body

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
                rows = [r for r in self._candidates(call.tenant, q, kind)
                        if self._matches(call.tenant, q, r, kind)]  # fmt: skip
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
            label = kind.replace("_", " ").removesuffix("s").replace("entrie", "entry")
            record = self.tables.get(call.tenant, kind, call.params["id"], label)
            return Reply(200, self._envelope(call, kind, [record]))

        return read

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
        for name in ("workspace_id", "active_submission_id", "user_id", "state", *RATE_FILTERS):
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

    # -- HTTP: writes ------------------------------------------------------------------------

    def _create_workspace(self, call: Call) -> Reply:
        data = plain(call.parse(WorkspaceIn, "workspace"))
        given, status = data.pop("external_reference"), data.pop("status")
        workspace = self._new(call.tenant, "workspaces", {
            **data, "status": workspace_status(status), "external_reference_ids": [],
            "rate_card_id": None,
        })  # fmt: skip
        self._refer(call.tenant, "workspaces", workspace, given)
        if status == "In Progress":
            self.activations[(call.tenant, workspace["id"])] = workspace["created_at"]
        return Reply(201, self._envelope(call, "workspaces", [workspace]))

    def _update_workspace(self, call: Call) -> Reply:
        workspace = self.tables.get(call.tenant, "workspaces", call.params["id"], "workspace")
        patch = plain(call.parse(WorkspacePatch, "workspace"), exclude_unset=True)
        now = iso(self.clock())
        if "status" in patch:
            if patch["status"] == "In Progress":
                self.activations.setdefault((call.tenant, workspace["id"]), now)
            patch["status"] = workspace_status(patch["status"])
        if "rate_card_id" in patch:
            card_id = str(patch["rate_card_id"])  # an integer on the workspace, as Kantata's
            card = self.tables.get(call.tenant, "rate_cards", card_id, "rate card")
            if card["currency"] != workspace["currency"]:
                raise Problem(
                    422,
                    "Unprocessable Entity",
                    f"rate_card_id names a {card['currency']} rate card, the workspace "
                    f"bills in {workspace['currency']}",
                    errors=[{"field": "rate_card_id", "message": "currency differs"}],
                )
        workspace.update(patch, updated_at=now)
        return Reply(200, self._envelope(call, "workspaces", [workspace]))

    def _create_milestone(self, call: Call) -> Reply:
        data = call.parse(BillingMilestoneIn, "billing_milestone")
        workspace_id = str(data.workspace_id)
        self.tables.get(call.tenant, "workspaces", workspace_id, "workspace")
        fields = plain(data)
        given = fields.pop("external_reference")
        milestone = self._new(
            call.tenant,
            "billing_milestones",
            {
                **fields,
                "workspace_id": workspace_id,
                "external_reference_ids": [],
                "state": "planned",
                "completed_at": None,
                "accepted_at": None,
                "invoice_id": None,
            },
        )
        self._refer(call.tenant, "billing_milestones", milestone, given)
        return Reply(201, self._envelope(call, "billing_milestones", [milestone]))

    def _update_time_entry(self, call: Call) -> Reply:
        entry = self.tables.get(call.tenant, "time_entries", call.params["id"], "time entry")
        patch = plain(call.parse(TimeEntryPatch, "time_entry"), exclude_unset=True)
        if not self.editable(entry):
            raise kantata_error(  # Kantata's specs declare no 409: a validation error
                422,
                "validation",
                f"time entry {entry['id']} is submitted or invoiced and cannot be edited",
                "time_entry.active_submission_id",
            )
        entry.update(patch, updated_at=iso(self.clock()))
        self._touched(call.tenant, "time_entries", entry)
        return Reply(200, self._envelope(call, "time_entries", [entry]))

    def _create_invoice(self, call: Call) -> Reply:
        """Record an invoice and mark its entries and milestones INVOICED, all or nothing."""
        data = call.parse(InvoiceIn, "invoice")
        tenant, workspace_id = call.tenant, str(data.workspace_id)
        self.tables.get(tenant, "workspaces", workspace_id, "workspace")
        entries = [
            self.tables.get(tenant, "time_entries", i, "time entry") for i in data.time_entry_ids
        ]
        milestones = [
            self.tables.get(tenant, "billing_milestones", i, "billing milestone")
            for i in data.billing_milestone_ids
        ]
        expenses = [self.tables.get(tenant, "expenses", i, "expense") for i in data.expense_ids]
        errors = [
            {"field": f"invoice.{name}[{k}]", "message": "listed twice"}
            for name, ids in (
                ("time_entry_ids", data.time_entry_ids),
                ("expense_ids", data.expense_ids),
                ("billing_milestone_ids", data.billing_milestone_ids),
            )
            for k in repeats(ids)
        ]
        errors += [
            {"field": f"invoice.time_entry_ids[{k}]", "message": why}
            for k, e in enumerate(entries)
            for why in self._uninvoiceable(tenant, "time_entries", e, data)
        ]
        errors += [
            {"field": f"invoice.expense_ids[{k}]", "message": why}
            for k, e in enumerate(expenses)
            for why in self._uninvoiceable(tenant, "expenses", e, data)
        ]
        errors += [
            {"field": f"invoice.billing_milestone_ids[{k}]", "message": why}
            for k, m in enumerate(milestones)
            for why in (["already invoiced"] if m["invoice_id"] else [])
            + ([] if m["state"] == "accepted" else ["not accepted"])
        ]
        if errors:
            raise Problem(
                422, "Unprocessable Entity", "some items cannot be invoiced", errors=errors
            )
        fields = plain(data)
        given = fields.pop("external_reference")
        del fields["workspace_id"]
        invoice = self._new(tenant, "invoices", {
            **fields, "workspace_ids": [workspace_id], "external_reference_ids": [],
        })  # fmt: skip
        self._refer(tenant, "invoices", invoice, given)
        self.invoices_of.setdefault((tenant, workspace_id), []).append(invoice["id"])
        for entry in entries:
            entry.update(invoice_id=invoice["id"], is_invoiced=True)
        for expense in expenses:
            expense.update(is_invoiced=True)  # Kantata's expense names no invoice
        for milestone in milestones:
            milestone.update(invoice_id=invoice["id"])
        return Reply(201, self._envelope(call, "invoices", [invoice]))

    def approved(self, tenant: str, kind: str, row: dict[str, Any]) -> bool:
        """A time entry's own ``approved``; an expense is approved when its report is (Kantata's
        expense has no such field; its ``approved`` filter means "on an approved report")."""
        if kind != "expenses":
            return bool(row.get("approved"))
        report = row["active_submission_id"]
        found = report and self.tables.table(tenant, "expense_reports").get(report)
        return bool(found) and found["status"] == "approved"

    def _uninvoiceable(
        self, tenant: str, kind: str, entry: dict[str, Any], data: InvoiceIn
    ) -> list[str]:
        reasons = []
        if entry["is_invoiced"]:
            reasons.append("already invoiced")
        if not self.approved(tenant, kind, entry):
            reasons.append("not approved")
        if entry["workspace_id"] != str(data.workspace_id):
            reasons.append("belongs to another workspace")
        return reasons
