"""Members the vendor has no counterpart for are marked ``x-sandbox-only`` with their reason and
counted apart from the share (``contracts.fidelity``): the marks are found at every level of a
payload, everything under a marked member goes with it, and each mark says why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts.fidelity import DEFAULT_SPECS, _citations, _sandbox_root, fidelity
from contracts.specs import load

IRONCLAD = DEFAULT_SPECS / "ironclad" / "ironclad-public-api-openapi.yml"

_ROOTS = {"versions": "tables", "milestones": "tables", "breaches": "obligations"}


def _marks(schema: Any, document: dict[str, Any]) -> dict[str, str]:
    return dict(_citations(schema, document, mark="x-sandbox-only"))


def test_the_clm_record_tables_are_marked_at_every_level_of_the_payload() -> None:
    clm = load("clm")
    record = {"$ref": "#/components/schemas/Record"}
    listing = {"$ref": "#/components/schemas/RecordList"}
    assert set(_marks(record, clm)) == set(_ROOTS)
    assert set(_marks(listing, clm)) == {f"list[].{name}" for name in _ROOTS}
    for text in _marks(record, clm).values():
        assert len(text) > 40 and "Ironclad" in text


def test_everything_under_a_marked_member_goes_with_it() -> None:
    marked = {"versions": "why", "list[].breaches": "why"}
    assert _sandbox_root("versions", marked) == "versions"
    assert _sandbox_root("versions[].rateCard[].hourlyRate", marked) == "versions"
    assert _sandbox_root("list[].breaches[].id", marked) == "list[].breaches"
    assert _sandbox_root("versionsTotal", marked) is None  # a longer name is not under it
    assert _sandbox_root("properties.versions", marked) is None


def test_no_clm_record_member_is_left_outside_ironclads_model_unmarked() -> None:
    """Ironclad's record members (Retrieve a Record's RecordModel, consulted 2026-12-07) plus
    the marked ones are all a record of ours may have."""
    ironclad = {"id", "ironcladId", "type", "name", "lastUpdated", "properties",
                "attachments", "links", "parentId", "parentLinkType", "childIds",
                "contractStatus", "source", "amendments"}  # fmt: skip
    schemas = load("clm")["components"]["schemas"]
    for kind in ("StatementOfWorkRecord", "AmendmentRecord"):
        members = set(schemas[kind]["properties"])
        assert members - ironclad == set(_ROOTS) & members, kind


def ironclad_row(specs: Path) -> tuple[float | None, list[str]]:
    """CLM's share and field mismatches against Ironclad's description in ``specs``."""
    (table,) = fidelity(specs, ("clm",))
    return table.share, [m for op in table.operations for m in op.mismatches]


@pytest.mark.skipif(
    not IRONCLAD.is_file(),
    reason=f"Ironclad's published description is not at {IRONCLAD} (a third-party file: the "
    "README's fidelity section says where it is kept; never copied into the project)",
)
def test_ironclad_fields_reach_the_goal_with_only_the_stated_difference() -> None:
    """Measured against Ironclad's own description: at least 95% of the declared fields, and
    the only difference left is the one the spec states (a decimal ``number`` property)."""
    share, mismatches = ironclad_row(DEFAULT_SPECS)
    assert share is not None and share >= 0.95
    assert all("expenseMarkupPercent.value" in m for m in mismatches), mismatches
