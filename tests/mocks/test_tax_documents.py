"""The tax engine mock's documents as AvaTax keeps them: every route is in contracts/tax.yaml,
an estimate is never stored, ``createoradjust`` adjusts by document code, commit and void move
a document through its life cycle, lists page, tenants are apart, answers are deterministic."""

from __future__ import annotations

from mocks import TaxMock
from tests.support.contracts import Contract
from tests.support.contracts import avatax_error as _problem
from tests.support.contracts import avatax_fields as _fields
from tests.support.mock_worlds import clock
from tests.support.tax import CO, CREATE, D, World, _addr, _doc, _ok

# -- routes and conformance -----------------------------------------------------------------


def test_mock_routes_equal_spec_operations() -> None:
    """Every route the tax mock registers is in the spec, and every spec operation is routed."""
    routes = set(TaxMock(clock).app.routes())
    assert routes == Contract("tax").operations()


def test_a_document_life_cycle_touches_every_operation() -> None:
    """Estimate, create, adjust, read, list, commit and void: each answer conforms to the spec."""
    w = World()
    assert w.create(_doc("100.00", code=None, type="SalesOrder"))["status"] == "Temporary"
    assert w.create(_doc("100.00"))["status"] == "Saved"
    assert _ok(w.adjust(_doc("200.00"), adjustmentReason="PriceAdjusted"))["version"] == 2
    assert _ok(w.get("INV-1"))["totalTax"] == D("38.00")
    assert _ok(w.http.get(CO))["@recordsetCount"] == 1
    assert _ok(w.post(f"{CO}/INV-1/commit", {"commit": True}))["status"] == "Committed"
    assert _ok(w.post(f"{CO}/INV-1/void", {"code": "DocVoided"}))["status"] == "Cancelled"
    _problem(w.get("nope"), 404)
    _problem(w.post(f"{CO}/INV-1/commit", {"commit": True}), 400)
    _problem(w.post(f"{CO}/INV-1/void", {"code": "Unspecified"}), 400)
    _problem(w.http.get(CO, params={"$top": 0}), 400)
    assert w.spec.covered() == w.spec.operations(public=False)


# -- document life cycle --------------------------------------------------------------------


def test_estimate_is_calculated_but_not_stored() -> None:
    """A SalesOrder answers status Temporary with id 0 and tax, but nothing is stored."""
    w = World()
    estimate = w.create(_doc("100.00", type="SalesOrder"))
    assert (estimate["status"], estimate["id"], estimate["totalTax"]) == (
        "Temporary",
        0,
        D("19.00"),
    )
    _problem(w.get("INV-1"), 404)
    assert _ok(w.http.get(CO)) == {"@recordsetCount": 0, "value": []}
    assert w.mock.transactions("default") == []
    no_code = w.create(_doc("1.00", code=None, type="SalesOrder"))
    assert no_code["code"] == World().create(_doc("1.00", code=None, type="SalesOrder"))["code"]


def test_create_or_adjust_adjusts_by_document_code_and_bumps_the_version() -> None:
    """createoradjust on INV-1 stores revision 2 (new id, new tax); the old one is Adjusted."""
    w = World()
    first = _ok(w.adjust(_doc("100.00")))
    assert (first["version"], first["adjustmentReason"]) == (1, "NotAdjusted")
    second = _ok(
        w.adjust(_doc("300.00"), adjustmentReason="PriceAdjusted", adjustmentDescription="rate")
    )
    assert (second["version"], second["totalTax"]) == (2, D("57.00"))
    assert second["id"] != first["id"]
    assert (second["adjustmentReason"], second["adjustmentDescription"]) == (
        "PriceAdjusted",
        "rate",
    )
    assert _ok(w.get("INV-1")) == second
    assert [t["version"] for t in w.mock.transactions("default")] == [2]
    assert [(r["version"], r["status"]) for r in w.mock.revisions("default")] == [
        (1, "Adjusted"),
        (2, "Saved"),
    ]


def test_create_over_an_uncommitted_document_replaces_it() -> None:
    """create with an existing Saved code stores version 2; over a Committed one it is a 400
    DocumentCodeConflict."""
    w = World()
    w.create(_doc("100.00"))
    assert w.create(_doc("200.00"))["version"] == 2
    w.create(_doc("100.00", code="INV-2", commit=True))
    assert _fields(w.post(CREATE, _doc("1.00", code="INV-2")), 400) == ["code"]


def test_adjusting_a_committed_document_needs_a_reason() -> None:
    """A Committed INV-1 is adjusted only with an adjustmentReason; then it is version 2."""
    w = World()
    assert w.create(_doc("100.00", commit=True))["status"] == "Committed"
    assert _fields(w.adjust(_doc("90.00"))) == ["adjustmentReason"]
    assert _fields(w.adjust(_doc("90.00"), adjustmentReason="NotAdjusted")) == ["adjustmentReason"]
    adjusted = _ok(w.adjust(_doc("90.00", commit=True), adjustmentReason="ProductReturned"))
    assert (adjusted["version"], adjusted["status"], adjusted["totalTax"]) == (
        2,
        "Committed",
        D("17.10"),
    )


def test_commit_moves_a_saved_document_to_committed_once() -> None:
    """commit: Saved -> Committed (modifiedDate set); committing again answers the same document."""
    w = World()
    w.create(_doc("100.00"))
    committed = _ok(w.post(f"{CO}/INV-1/commit", {"commit": True}))
    assert committed["status"] == "Committed"
    assert _ok(w.post(f"{CO}/INV-1/commit", {"commit": True})) == committed
    assert _fields(w.post(f"{CO}/INV-1/commit", {"commit": False})) == ["commit"]
    assert _fields(w.post(f"{CO}/INV-1/commit", {"commit": "yes"})) == ["commit"]


def test_void_cancels_even_a_committed_document_and_freezes_it() -> None:
    """DocVoided on a Committed document -> Cancelled; commit, create and adjust are then 400
    TransactionAlreadyCancelled."""
    w = World()
    w.create(_doc("100.00", commit=True))
    voided = _ok(w.post(f"{CO}/INV-1/void", {"code": "DocVoided"}))
    assert voided["status"] == "Cancelled"
    assert _ok(w.post(f"{CO}/INV-1/void", {"code": "DocVoided"})) == voided
    assert _fields(w.post(f"{CO}/INV-1/commit", {"commit": True}), 400) == ["code"]
    assert _fields(w.post(CREATE, _doc("1.00")), 400) == ["code"]
    assert _fields(w.adjust(_doc("1.00"), adjustmentReason="Other"), 400) == ["code"]
    assert _ok(w.get("INV-1"))["status"] == "Cancelled"


def test_doc_deleted_only_removes_an_uncommitted_document() -> None:
    """DocDeleted cancels a Saved document; on a Committed one it is a 400
    InvalidDocumentStatus (use DocVoided)."""
    w = World()
    w.create(_doc("100.00"))
    assert _ok(w.post(f"{CO}/INV-1/void", {"code": "DocDeleted"}))["status"] == "Cancelled"
    w.create(_doc("100.00", code="INV-2", commit=True))
    assert _fields(w.post(f"{CO}/INV-2/void", {"code": "DocDeleted"}), 400) == ["code"]


def test_listing_pages_by_top_and_skip_with_a_next_link() -> None:
    """5 documents, $top=2: pages of 2, 2, 1 through @nextLink; @recordsetCount is 5 on each."""
    w = World()
    codes = [f"INV-{n}" for n in range(1, 6)]
    for code in codes:
        w.create(_doc("10.00", code=code))
    w.create(_doc("10.00", code="OTHER-CO", companyCode="ACME-UK"))
    seen: list[str] = []
    page = _ok(w.http.get(CO, params={"$top": 2}))
    while True:
        assert page["@recordsetCount"] == 5
        seen += [doc["code"] for doc in page["value"]]
        if "@nextLink" not in page:
            break
        page = _ok(w.http.get(page["@nextLink"]))
    assert seen == codes
    skipped = _ok(w.http.get(CO, params={"$skip": 4}))
    assert [doc["code"] for doc in skipped["value"]] == ["INV-5"]
    assert _fields(w.http.get(CO, params={"$top": 1001}), 400) == ["$top"]
    assert _fields(w.http.get(CO, params={"$skip": -1}), 400) == ["$skip"]
    assert _fields(w.http.get(CO, params={"$filter": "code eq 'INV-1'"}), 400) == ["$filter"]


def test_unknown_document_is_a_404_naming_the_code() -> None:
    """Reading, committing or voiding a code nobody stored is a 404 whose detail names it."""
    w = World()
    for response in (
        w.get("INV-404"),
        w.post(f"{CO}/INV-404/commit", {"commit": True}),
        w.post(f"{CO}/INV-404/void", {"code": "DocVoided"}),
    ):
        problem = _problem(response, 404)
        assert "INV-404" in problem["message"]
        assert problem["code"] == "EntityNotFoundError"
        assert [d["refersTo"] for d in problem["details"]] == ["transactionCode"]


def test_documents_of_one_tenant_do_not_exist_in_another() -> None:
    """INV-1 of tenant a is a 404 for tenant b, which may store its own INV-1."""
    w = World()
    assert _ok(w.post(CREATE, _doc("100.00"), tenant="a"))["id"] == 1
    _problem(w.get("INV-1", tenant="b"), 404)
    assert _ok(w.http.get(CO, headers={"X-Tenant": "b"}))["@recordsetCount"] == 0
    assert _ok(w.post(CREATE, _doc("200.00"), tenant="b"))["version"] == 1
    assert [t["totalAmount"] for t in w.mock.transactions("a")] == [D("100.00")]


def test_same_requests_give_identical_answers() -> None:
    """Two fresh mocks fed the same requests answer byte for byte the same (no clock, no uuid4)."""
    answers = []
    for _ in range(2):
        w = World()
        bodies = [w.post(CREATE, _doc("1.00", code=None, type="SalesOrder")).content]
        bodies.append(w.post(CREATE, _doc("12.34")).content)
        bodies.append(w.adjust(_doc("43.21"), adjustmentReason="Other").content)
        answers.append(bodies)
    assert answers[0] == answers[1]


# -- AvaTax's own request shapes and document fields ----------------------------------------


def test_a_single_location_is_both_ship_from_and_ship_to() -> None:
    """AvaTax's ``singleLocation`` taxes as a supply from and to that place (German VAT here);
    ``itemCode`` and a document ``description`` are taken, as AvaTax takes them."""
    w = World()
    body = _doc("100.00", description="March services")
    body["addresses"] = {"singleLocation": {"city": "Berlin", "country": "DE"}}
    body["lines"][0]["itemCode"] = "CONSULTING"
    taxed = w.create(body)
    assert (taxed["totalTax"], taxed["description"]) == (D("19.00"), "March services")
    assert taxed == _ok(w.get("INV-1"))


def test_a_document_without_both_roles_is_refused() -> None:
    """Only a ship-from (no ship-to, no single location): AvaTax's 400, naming the addresses."""
    body = _doc("100.00")
    del body["addresses"]["shipTo"]
    refused = World().post(CREATE, body)
    assert "addresses" in _problem(refused, 400, "ValueRequiredError")["message"]


def test_documents_answer_the_companys_numeric_id_never_its_code() -> None:
    """AvaTax's TransactionModel has ``companyId``, not ``companyCode``: one id per company of
    the account, the same on every document and read of it."""
    w = World()
    first, second = w.create(_doc("1.00")), w.create(_doc("2.00", code="INV-2"))
    other = w.create(_doc("3.00", code="INV-3", companyCode="ACME-UK"))
    assert "companyCode" not in first
    assert first["companyId"] == second["companyId"] == _ok(w.get("INV-2"))["companyId"]
    assert other["companyId"] != first["companyId"]
    assert all("companyCode" not in doc for doc in w.mock.transactions("default"))


def test_a_document_without_a_code_gets_a_guid_it_is_found_by() -> None:
    """AvaTax assigns a GUID to a document sent without a code (CreateTransactionModel's
    ``code``, consulted 2026-12-07): the mock mints one, the same on every run, stores the
    document under it, and mints another for the next one."""
    w = World()
    first = w.create(_doc("100.00", code=None))
    assert first["status"] == "Saved"
    assert len(first["code"]) == 36 and first["code"].count("-") == 4
    assert _ok(w.get(first["code"]))["totalTax"] == D("19.00")
    assert w.create(_doc("50.00", code=None))["code"] != first["code"]
    assert World().create(_doc("100.00", code=None))["code"] == first["code"]


def test_the_connectors_estimate_is_the_answer_with_its_lines_only() -> None:
    """The ERP's AvaTax connector estimates in process and reads each line's tax only: it gets
    AvaTax's answer as ``$include=LinesOnly`` gives it, the lines without their detail rows and
    no summary, every other figure as the HTTP answer to the same request (two levies here:
    CGST and SGST, so each line's tax is summed across them)."""
    w = World()
    body = _doc("100.01", "33.33", "0.05", seller=_addr("IN", "KA"), buyer=_addr("IN", "KA"),
                type="SalesOrder", currencyCode="INR")  # fmt: skip
    full = w.create(body)
    estimate = w.mock.estimate("default", body)
    assert [len(line["details"]) for line in full["lines"]] == [2, 2, 2]
    assert [line["tax"] for line in full["lines"]] == [
        sum((d["tax"] for d in line["details"]), D(0)) for line in full["lines"]
    ]
    assert estimate["lines"] == [
        {k: v for k, v in line.items() if k != "details"} for line in full["lines"]
    ]
    assert "summary" in full and "summary" not in estimate
    assert {k: v for k, v in estimate.items() if k != "lines"} == {
        k: v for k, v in full.items() if k not in ("lines", "summary")
    }
