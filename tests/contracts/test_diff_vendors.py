"""`q2c contracts diff` on the real vendor specs in ../shared/vendor-specs/: each one diffed with
an edited copy of itself reports what the edit breaks, once per edit, in seconds.

The specs are third-party files kept beside the project, not in it; without that folder these
tests skip and say why.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from pathlib import Path
from typing import Any

import pytest

from contracts.diff import Change, diff, load, summarize

ROOT = Path(__file__).resolve().parents[2]
SPECS = Path(os.environ.get("Q2C_VENDOR_SPECS", ROOT.parent / "shared" / "vendor-specs"))
pytestmark = pytest.mark.skipif(
    not SPECS.is_dir(),
    reason=f"the real vendor specs are not on this machine ({SPECS} is absent)",
)
FILES = sorted(SPECS.glob("*.yaml")) + sorted(SPECS.glob("kantata/*.yml")) if SPECS.is_dir() else []


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    return load(SPECS / name)


def _edited(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    old = _spec(name)
    return old, copy.deepcopy(old)


def _breaking(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.kind == "breaking"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_vendor_spec_diffed_with_itself_is_clean(path: Path) -> None:
    """No change is reported between a real spec and itself (refs, cycles, 3.0 to 3.2)."""
    spec = load(path)
    assert diff(spec, copy.deepcopy(spec)) == []


def test_xero_renamed_line_field_is_one_breaking_edit_seen_everywhere() -> None:
    """Xero Accounting: LineItem.Description renamed breaks every invoice, credit note and
    payment that carries lines, and the summary reports it as one edit."""
    old, new = _edited("xero-accounting.yaml")
    props = new["components"]["schemas"]["LineItem"]["properties"]
    props["Desc"] = props.pop("Description")
    started = time.perf_counter()
    changes = diff(old, new)
    assert time.perf_counter() - started < 10
    assert changes and all(c.what == "renamed Description -> Desc" for c in changes)
    assert any(c.where.startswith("PUT /Invoices requestBody") for c in changes)
    assert any(c.where.startswith("GET /Invoices responses.200") for c in changes)
    # one edit seen twice: a field clients may still send, a field readers no longer get
    edits = summarize(changes)
    assert sorted((e.change.rule, e.change.origin) for e in edits) == [
        ("request-property-removed", "LineItem.Description"),
        ("response-optional-property-removed", "LineItem.Description"),
    ]
    assert sum(e.places for e in edits) == len(changes)
    assert {c.level for c in changes} == {"warning"}


def test_xero_enum_narrowed_breaks_senders_not_readers() -> None:
    """Xero Accounting: removing VOIDED from Invoice.Status breaks requests that send it; a
    reader simply never sees it again."""
    old, new = _edited("xero-accounting.yaml")
    new["components"]["schemas"]["Invoice"]["properties"]["Status"]["enum"].remove("VOIDED")
    changes = diff(old, new)
    sent = [c for c in changes if "requestBody" in c.where]
    read = [c for c in changes if "responses." in c.where]
    assert sent and all(c.kind == "breaking" for c in sent)
    assert read and all(c.kind == "non-breaking" for c in read)
    assert all('"VOIDED" removed' in c.what for c in changes)


def test_xero_new_required_line_field_breaks_every_sender() -> None:
    """Xero Accounting: LineItem.AccountCode made required breaks the requests, not replies."""
    old, new = _edited("xero-accounting.yaml")
    new["components"]["schemas"]["LineItem"].setdefault("required", []).append("AccountCode")
    changes = diff(old, new)
    assert changes and all(c.what.startswith("property is now") for c in changes)
    breaking = _breaking(changes)
    assert breaking and all(c.rule == "request-property-became-required" for c in breaking)
    assert all("requestBody" in c.where for c in breaking)
    # readers now always get it: compatible, reported as info
    assert {c.rule for c in changes if c not in breaking} == {"response-property-became-required"}


def test_kantata_side_loaded_time_entries_are_compared() -> None:
    """Kantata: time entries come back keyed by id (additionalProperties); a field renamed in
    TimeEntry breaks every reader of that map."""
    name = "kantata/mavenlink-time-entries-api-openapi.yml"
    old, new = _edited(name)
    entry = new["components"]["schemas"]["TimeEntry"]["properties"]
    entry["minutes"] = entry.pop("time_in_minutes")
    found = diff(old, new)
    assert {c.where.split(" responses")[0] for c in found} >= {"GET /time_entries"}
    assert {c.rule for c in found} == {"response-optional-property-removed"}
    assert all(c.what == "renamed time_in_minutes -> minutes" for c in found)
    assert all("time_entries{*}.time_in_minutes" in c.where for c in found)


def test_stripe_union_branch_removed_from_a_request_is_breaking() -> None:
    """Stripe: account_tax_ids accepts a list or "" (to clear); dropping the "" branch of the
    anyOf breaks clients that clear it."""
    old, new = _edited("stripe.yaml")
    body = new["paths"]["/v1/invoices"]["post"]["requestBody"]["content"]
    field = body["application/x-www-form-urlencoded"]["schema"]["properties"]["account_tax_ids"]
    field["anyOf"] = field["anyOf"][:1]
    assert [(c.rule, c.where, c.what) for c in _breaking(diff(old, new))] == [
        (
            "request-property-any-of-removed",
            "POST /v1/invoices requestBody.account_tax_ids",
            "anyOf alternative removed: string",
        ),
    ]


def test_stripe_new_status_read_through_expansions_warns_and_is_quick() -> None:
    """Stripe: a new invoice status is a warning (oasdiff's level: readers may not know it)
    wherever an invoice can be read, expanded objects included, and the diff stays fast on
    the deeply shared schemas."""
    old, new = _edited("stripe.yaml")
    new["components"]["schemas"]["invoice"]["properties"]["status"]["enum"].append("archived")
    started = time.perf_counter()
    changes = diff(old, new)
    assert time.perf_counter() - started < 10
    assert changes and {c.rule for c in changes} == {"response-property-enum-value-added"}
    assert any(c.where == "GET /v1/invoices/{invoice} responses.200.status" for c in changes)
    assert [(s.change.origin, s.change.what) for s in summarize(changes)] == [
        ("invoice.status", 'enum widened: "archived" added')
    ]


def test_business_central_removed_invoice_field_warns_readers() -> None:
    """Business Central: an optional salesInvoice property removed is a warning on every read
    of invoices."""
    old, new = _edited("businesscentral.yaml")
    del new["components"]["schemas"]["salesInvoice"]["properties"]["customerPurchaseOrderReference"]
    found = diff(old, new)
    assert any(
        c.where == "GET /companies({company_id})/salesInvoices({salesInvoice_id}) "
        "responses.200.customerPurchaseOrderReference"
        for c in found
    )
    assert {c.what for c in found} == {"property removed"}
    assert "response-optional-property-removed" in {c.rule for c in found}
