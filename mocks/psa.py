"""PSA mock mirroring Kantata OX: workspaces, time entries, timesheet submissions, stories
(tasks), billing milestones and invoices (``mocks._psa_billing``), expenses
(``mocks._psa_expenses``) and rate cards (``mocks._psa_rates``), in Kantata's side-loaded JSON;
listings in ``mocks._psa_listings``.

A time entry is editable until it is on an active timesheet submission (``active_submission_id``,
pending or approved) or invoiced (``is_invoiced``); rejecting the submission frees it again, as
in Kantata. Completing a task makes each of its
``upon_completion`` milestones invoiceable (Kantata has no milestone acceptance:
``mocks._psa_billing`` says why and where from). Like Kantata, the PSA pushes no webhooks: the
changes it tracks (a submission or expense report made, approved or rejected, a milestone made
invoiceable) become Subscribed Events, the pull feed of ``mocks._psa_events``, that an
integration polls.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mocks._auth import secure
from mocks._changes import ChangeLog
from mocks._http import Call, Problem, Reply, VendorApp
from mocks._psa_billing import BillingMixin
from mocks._psa_errors import as_kantata, kantata_error
from mocks._psa_events import Appearance, EventsMixin, SubscribedEvents, on_time
from mocks._psa_expenses import ExpensesMixin
from mocks._psa_listings import ListingsMixin
from mocks._psa_models import TimeEntryPatch, WorkspaceIn, WorkspacePatch
from mocks._psa_queries import INCLUDES, INDEXES, READ_SCOPES, SIDE_LOADS, UPDATED_KINDS
from mocks._psa_rates import RatesMixin
from mocks._state import Clock, Tables, iso, plain

__all__ = ["PsaMock"]

API = "/api/v1"
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


class PsaMock(EventsMixin, ListingsMixin, BillingMixin, ExpensesMixin, RatesMixin):
    """A Kantata account per tenant. ``appearance`` decides when each Subscribed Event copy
    can be read (the world's chaos; by default every event once, on time)."""

    vendor = "psa"

    def __init__(
        self, clock: Clock, *, appearance: Appearance = on_time, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.events = SubscribedEvents(appearance)
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
            "stories",
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
        app.route("POST", API + "/stories", scope="psa:milestones.write")(self._create_story)
        app.route("PUT", API + "/time_entries/{id}", scope="psa:time.write")(
            self._update_time_entry
        )
        app.route("POST", API + "/invoices", scope="psa:invoices.write")(self._create_invoice)
        # Kantata's change feed: account administrators only (the events scope stands in)
        app.route("GET", API + "/subscribed_events", scope="psa:events.read")(self._list_events)
        app.route("GET", API + "/subscribed_events/event_types", scope="psa:events.read")(
            self._list_event_types
        )
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
        self._notify(tenant, "timesheet_submission.created", submission["id"],
                     submission["created_at"])  # fmt: skip
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
        decision = "approved" if approve else "rejected"
        self._notify(tenant, f"timesheet_submission.{decision}", submission_id, now)

    # -- HTTP: Kantata's side-loaded envelope (listings in mocks._psa_listings) --------------

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

    def approved(self, tenant: str, kind: str, row: dict[str, Any]) -> bool:
        """A time entry's own ``approved``; an expense is approved when its report is (Kantata's
        expense has no such field; its ``approved`` filter means "on an approved report")."""
        if kind != "expenses":
            return bool(row.get("approved"))
        report = row["active_submission_id"]
        found = report and self.tables.table(tenant, "expense_reports").get(report)
        return bool(found) and found["status"] == "approved"
