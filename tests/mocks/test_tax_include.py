"""AvaTax's ``$include`` on commit (mocks/_tax_include.py): each value's answer carries what
AvaTax's CommitTransaction documents and omits the rest; without it the answer is the whole
document, as before; a value AvaTax does not document is its 400, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.contracts import avatax_fields as _fields
from tests.support.tax import CO, World, _doc, _json, _ok


def _commit(w: World, include: str | None, code: str = "INV-1") -> httpx.Response:
    params = {} if include is None else {"$include": include}
    return w.http.post(
        f"{CO}/{code}/commit",
        content=_json({"commit": True}),
        headers={"content-type": "application/json"},
        params=params,
    )


def _saved(lines: int = 3) -> World:
    w = World()
    w.create(_doc(*(["100.00"] * lines)))
    return w


def _parts(answer: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(lines, details on every line, summary) present in ``answer``."""
    lines = "lines" in answer
    details = lines and all("details" in line for line in answer["lines"])
    if lines and not details:
        assert all("details" not in line for line in answer["lines"])
    return lines, details, "summary" in answer


@pytest.mark.parametrize(
    ("include", "parts"),
    [
        (None, (True, True, True)),
        ("", (True, True, True)),
        ("Lines", (True, False, False)),
        ("LinesOnly", (True, False, False)),
        ("Details", (True, True, False)),
        ("Summary", (True, True, True)),
        ("SummaryOnly", (False, False, True)),
        ("Addresses", (False, False, False)),
        ("Lines,Summary", (True, True, True)),
        ("LinesOnly,Summary", (True, False, True)),
        ("Summary, LinesOnly", (True, False, True)),
        ("SummaryOnly,Lines", (False, False, True)),
        ("SummaryOnly,LinesOnly", (False, False, True)),
        ("Details,Addresses", (True, True, False)),
    ],
)
def test_commit_answers_what_include_asks_for(
    include: str | None, parts: tuple[bool, bool, bool]
) -> None:
    """Each value (and combination) keeps the document's fields and totals, and carries lines,
    details and summary as AvaTax documents them; the answer conforms to the contract."""
    w = _saved()
    whole = _ok(w.get("INV-1"))
    answer = _ok(_commit(w, include))
    assert answer["status"] == "Committed"
    assert _parts(answer) == parts
    for field in ("code", "id", "totalAmount", "totalTax", "totalTaxable", "messages"):
        assert answer[field] == whole[field]
    if parts[0]:
        kept = [{k: v for k, v in line.items() if k != "details"} for line in whole["lines"]]
        assert [{k: v for k, v in ln.items() if k != "details"} for ln in answer["lines"]] == kept
    if parts[1]:
        assert answer["lines"] == whole["lines"]
    if parts[2]:
        assert answer["summary"] == whole["summary"]


def test_a_default_commit_answers_the_whole_document() -> None:
    """No ``$include``: the stored document as a read answers it (status aside), as always."""
    w = _saved()
    answer = _ok(_commit(w, None))
    assert answer == _ok(w.get("INV-1"))
    assert answer["lines"][0]["details"]


def test_summary_only_is_smaller_and_commits_as_well() -> None:
    """SummaryOnly on a many-line document: a few hundred bytes, not a line per item; the
    document is committed all the same (a later read answers it Committed, lines intact)."""
    w = _saved(lines=200)
    small = _commit(w, "SummaryOnly")
    whole = _commit(w, None)  # committed already: the same document, answered whole
    assert len(small.content) * 50 < len(whole.content)
    stored = _ok(w.get("INV-1"))
    assert stored["status"] == "Committed"
    assert len(stored["lines"]) == 200


@pytest.mark.parametrize(
    "include",
    ["lines", "Everything", "Lines,", "Lines;Details", "TaxDetailsByTaxType", "Summary,Bogus"],
)
def test_an_unknown_include_is_avataxs_400_and_commits_nothing(include: str) -> None:
    """A value AvaTax does not document (or ``TaxDetailsByTaxType``, not modelled), or a
    spelling other than AvaTax's: 400 ``InvalidParameterValue`` naming ``$include``; the
    document stays Saved."""
    w = _saved()
    response = _commit(w, include)
    assert _fields(response) == ["$include"]
    assert response.json()["error"]["details"][0]["code"] == "InvalidParameterValue"
    assert _ok(w.get("INV-1"))["status"] == "Saved"
