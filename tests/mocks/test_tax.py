"""The tax engine mock: hand-worked taxes to the cent, the document life cycle, and conformance.

Every request goes through a client whose response hook checks the answer against
``contracts/tax.yaml`` (declared status and media type, body schema, and the request schema for
accepted writes). Amounts are read back as ``Decimal`` so that cents are compared exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
import simplejson
from pydantic import ValidationError

from mocks import TaxMock, TaxRules
from tests.support.contracts import Contract
from tests.support.contracts import avatax_error as _problem
from tests.support.contracts import avatax_fields as _fields

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CREATE = "/api/v2/transactions/create"
ADJUST = "/api/v2/transactions/createoradjust"
CO = "/api/v2/companies/ACME-DE/transactions"
D = Decimal


def clock() -> datetime:
    return NOW


def _addr(country: str, region: str | None = None) -> dict[str, Any]:
    return {"country": country} if region is None else {"country": country, "region": region}


def _doc(
    *amounts: str,
    code: str | None = "INV-1",
    seller: dict[str, Any] | None = None,
    buyer: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A SalesInvoice from ACME-DE (Berlin) to a German client, one line per amount."""
    body: dict[str, Any] = {
        "type": "SalesInvoice",
        "companyCode": "ACME-DE",
        "date": "2024-03-31",
        "customerCode": "CUST-1",
        "currencyCode": "EUR",
        "addresses": {
            "shipFrom": seller or {"line1": "Unter den Linden 1", "city": "Berlin", **_addr("DE")},
            "shipTo": buyer or _addr("DE"),
        },
        "lines": [{"amount": D(a), "description": f"line {k + 1}"} for k, a in enumerate(amounts)],
        **fields,
    }
    if code is not None:
        body["code"] = code
    return body


def _json(body: Any) -> bytes:
    return simplejson.dumps(body, use_decimal=True).encode()


class World:
    """A tax mock, its contract and a spec-checking client (tenant ``default`` unless told)."""

    def __init__(self, rules: TaxRules | None = None, tenant: str | None = None) -> None:
        self.mock = TaxMock(clock, rules or TaxRules.default())
        self.spec = Contract("tax")
        self.http = self.spec.client(self.mock.app, tenant)

    def post(self, path: str, body: Any, tenant: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if tenant is not None:
            headers["X-Tenant"] = tenant
        return self.http.post(path, content=_json(body), headers=headers)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return _ok(self.post(CREATE, body))

    def adjust(self, body: dict[str, Any], **fields: Any) -> httpx.Response:
        return self.post(ADJUST, {"createTransactionModel": body, **fields})

    def get(self, code: str, tenant: str | None = None) -> httpx.Response:
        headers = {"X-Tenant": tenant} if tenant is not None else {}
        return self.http.get(f"{CO}/{code}", headers=headers)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = simplejson.loads(response.content, use_decimal=True)
    return body


def _taxes(doc: dict[str, Any]) -> list[Decimal]:
    return [line["tax"] for line in doc["lines"]]


def _rules(**update: Any) -> TaxRules:
    return TaxRules.model_validate({**TaxRules.default().model_dump(), **update})


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


# -- hand-worked taxes ----------------------------------------------------------------------


def test_german_invoice_to_a_german_client_is_19_percent_per_line() -> None:
    """DE->DE: 1234.56 x 19% = 234.5664 -> 234.57; 99.99 x 19% = 18.9981 -> 19.00; tax 253.57."""
    doc = World().create(_doc("1234.56", "99.99"))
    assert _taxes(doc) == [D("234.57"), D("19.00")]
    assert (doc["totalAmount"], doc["totalTax"]) == (D("1334.55"), D("253.57"))
    assert (doc["totalTaxable"], doc["totalExempt"]) == (D("1334.55"), D("0.00"))
    detail = doc["lines"][0]["details"][0]
    assert (detail["jurisName"], detail["jurisType"], detail["taxName"]) == (
        "GERMANY",
        "CNT",
        "DE VAT",
    )
    assert (detail["rate"], detail["taxableAmount"]) == (D("0.19"), D("1234.56"))
    assert doc["summary"] == [
        {
            "country": "DE",
            "region": None,
            "jurisType": "Country",
            "jurisCode": "DE",
            "jurisName": "GERMANY",
            "taxName": "DE VAT",
            "rate": D("0.19"),
            "taxable": D("1334.55"),
            "nonTaxable": D("0.00"),
            "tax": D("253.57"),
        }
    ]
    assert doc["messages"] == []


def test_german_seller_to_french_business_with_valid_vat_id_is_reverse_charged() -> None:
    """DE->FR, id FR12345678901 (FR + 2 + 9 digits): 5000.00 at 0%, tax 0.00, reverse charge."""
    doc = World().create(
        _doc("5000.00", buyer=_addr("FR"), businessIdentificationNo="FR12345678901")
    )
    assert (doc["totalTax"], doc["totalTaxable"], doc["totalExempt"]) == (
        D("0.00"),
        D("0.00"),
        D("5000.00"),
    )
    detail = doc["lines"][0]["details"][0]
    assert (detail["jurisCode"], detail["taxName"], detail["rate"]) == (
        "FR",
        "FR VAT reverse charge",
        D("0"),
    )
    assert detail["nonTaxableAmount"] == D("5000.00")
    [message] = doc["messages"]
    assert message["summary"] == "Reverse charge"
    assert message["refersTo"] == "businessIdentificationNo"
    assert "FR12345678901" in message["details"]


def test_malformed_french_vat_id_makes_a_consumer_taxed_at_german_vat() -> None:
    """DE->FR, id FR1234 (malformed): B2C, taxed where the seller is: 5000.00 x 19% = 950.00."""
    doc = World().create(_doc("5000.00", buyer=_addr("FR"), businessIdentificationNo="FR1234"))
    assert doc["totalTax"] == D("950.00")
    assert doc["lines"][0]["details"][0]["taxName"] == "DE VAT"
    [message] = doc["messages"]
    assert (message["summary"], message["severity"]) == ("Invalid VAT id", "Warning")


@pytest.mark.parametrize(
    ("seller", "buyer", "vat_id", "tax"),
    [
        ("DE", "NL", "NL123456789B01", "0.00"),  # NL + 9 digits + B + 2 digits
        ("DE", "NL", "nl 1234.56789 b01", "0.00"),  # spaces, dots and case are ignored
        ("FR", "DE", "DE123456789", "0.00"),  # DE + 9 digits
        ("DE", "NL", "NL123456789B1", "190.00"),  # one digit short after the B
        ("DE", "NL", "DE123456789", "190.00"),  # a German id does not identify a Dutch buyer
        ("DE", "FR", "FR1234567890", "190.00"),  # FR + 2 + 8 digits
        ("FR", "DE", "DE12345678", "200.00"),  # 8 digits; FR VAT 20%
        ("FR", "DE", None, "200.00"),  # no id: a consumer
        ("NL", "NL", "NL123456789B01", "210.00"),  # domestic B2B is taxed, 21%
        ("GB", "GB", None, "200.00"),  # UK VAT 20%
        ("DE", "US", None, "0.00"),  # outside the EU: out of scope
        ("DE", "GB", "GB123456789", "0.00"),  # the UK is outside the EU
        ("GB", "FR", "FR12345678901", "0.00"),  # outside the UK
    ],
)
def test_vat_place_of_supply_on_1000(seller: str, buyer: str, vat_id: str | None, tax: str) -> None:
    """1000.00 of services: reverse charge only for a well-formed id of the buyer's country."""
    body = _doc("1000.00", seller=_addr(seller), buyer=_addr(buyer))
    if vat_id is not None:
        body["businessIdentificationNo"] = vat_id
    assert World().create(body)["totalTax"] == D(tax)


def test_eu_seller_to_us_buyer_is_out_of_scope_with_a_note() -> None:
    """DE->US: 2500.00 of services is outside the scope of German VAT: tax 0.00, exempt 2500.00."""
    doc = World().create(_doc("2500.00", buyer=_addr("US", "NY"), currencyCode="USD"))
    assert (doc["totalTax"], doc["totalExempt"]) == (D("0.00"), D("2500.00"))
    assert [m["summary"] for m in doc["messages"]] == ["Outside the scope of VAT"]


def test_us_state_tax_on_services_by_the_buyers_state() -> None:
    """US: CA exempt 0.00; WA 6.5% of 1000.00 = 65.00; NM 4.875% of 999.99 = 48.7495 -> 48.75."""
    w = World()
    seller = _addr("US", "NY")

    def tax(state: str, amount: str, code: str) -> dict[str, Any]:
        body = _doc(amount, code=code, seller=seller, buyer=_addr("US", state), currencyCode="USD")
        return w.create(body)

    exempt = tax("CA", "1000.00", "US-1")
    assert (exempt["totalTax"], exempt["totalExempt"]) == (D("0.00"), D("1000.00"))
    assert exempt["messages"][0]["summary"] == "Not taxable"
    washington = tax("WA", "1000.00", "US-2")
    assert washington["totalTax"] == D("65.00")
    detail = washington["lines"][0]["details"][0]
    assert (detail["jurisType"], detail["jurisCode"], detail["taxName"]) == (
        "STA",
        "WA",
        "WA STATE TAX",
    )
    assert tax("NM", "999.99", "US-3")["totalTax"] == D("48.75")
    assert tax("TX", "200.00", "US-4")["totalTax"] == D("12.50")  # 6.25%
    abroad = w.create(_doc("1000.00", code="US-5", seller=seller, buyer=_addr("DE")))
    assert (abroad["totalTax"], abroad["messages"][0]["summary"]) == (D("0.00"), "No US sales tax")


def test_us_buyer_without_a_valid_state_is_a_400_naming_the_region() -> None:
    """A US sale needs shipTo.region to be a state code; none, or an unknown one, is a 400
    GetTaxError."""
    w = World()
    for buyer in (_addr("US"), _addr("US", "ZZ")):
        body = _doc("10.00", seller=_addr("US", "NY"), buyer=buyer, currencyCode="USD")
        assert _fields(w.post(CREATE, body)) == ["addresses.shipTo.region"]


def test_india_gst_within_one_state_is_cgst_plus_sgst() -> None:
    """KA->KA: 1234.50 x 9% = 111.105 -> 111.11 CGST + 111.11 SGST = 222.22 (IGST: 222.21)."""
    body = _doc("1234.50", seller=_addr("IN", "KA"), buyer=_addr("IN", "KA"), currencyCode="INR")
    doc = World().create(body)
    details = doc["lines"][0]["details"]
    assert [(d["taxName"], d["jurisType"], d["rate"], d["tax"]) for d in details] == [
        ("CGST", "CNT", D("0.09"), D("111.11")),
        ("SGST", "STA", D("0.09"), D("111.11")),
    ]
    assert details[1]["region"] == "KA"
    assert doc["totalTax"] == D("222.22")
    assert [row["taxName"] for row in doc["summary"]] == ["CGST", "SGST"]


def test_india_gst_between_states_is_igst() -> None:
    """KA->MH: 1234.50 x 18% = 222.21 IGST, one detail; an export to the US is zero-rated."""
    w = World()
    body = _doc("1234.50", seller=_addr("IN", "KA"), buyer=_addr("IN", "MH"), currencyCode="INR")
    doc = w.create(body)
    assert [(d["taxName"], d["rate"], d["tax"]) for d in doc["lines"][0]["details"]] == [
        ("IGST", D("0.18"), D("222.21"))
    ]
    export = _doc("1234.50", code="EXP-1", seller=_addr("IN", "KA"), buyer=_addr("US", "CA"))
    export["currencyCode"] = "INR"
    assert w.create(export)["messages"][0]["summary"] == "Zero-rated export"
    missing = _doc(
        "1.00", code="X", seller=_addr("IN"), buyer=_addr("IN", "MH"), currencyCode="INR"
    )
    assert _fields(w.post(CREATE, missing)) == ["addresses.shipFrom.region"]


@pytest.mark.parametrize(
    ("amounts", "by_line", "by_document"),
    [
        # 10.50 x 19% = 1.995 each: lines 2.00 x 3 = 6.00; document 5.985 -> 5.99
        (["10.50"] * 3, ["2.00", "2.00", "2.00"], ["2.00", "2.00", "1.99"]),
        # 10.02 x 19% = 1.9038 each: lines 1.90 x 3 = 5.70; document 5.7114 -> 5.71
        (["10.02"] * 3, ["1.90", "1.90", "1.90"], ["1.91", "1.90", "1.90"]),
        # 0.05 x 19% = 0.0095 each: lines 0.01 x 3 = 0.03; document 0.0285 -> 0.03
        (["0.05"] * 3, ["0.01", "0.01", "0.01"], ["0.01", "0.01", "0.01"]),
    ],
)
def test_line_and_document_rounding(
    amounts: list[str], by_line: list[str], by_document: list[str]
) -> None:
    """Per-line vs per-document rounding of the same lines, allocated by largest remainder."""
    line = World().create(_doc(*amounts))
    document = World(_rules(rounding={"DE": "document"})).create(_doc(*amounts))
    assert _taxes(line) == [D(t) for t in by_line]
    assert _taxes(document) == [D(t) for t in by_document]
    for doc in (line, document):
        assert doc["totalTax"] == sum(_taxes(doc), D(0))


def test_document_rounding_gives_the_rounded_exact_total_and_stays_within_a_cent() -> None:
    """Document level: the tax is round(sum of exact line taxes); each line is off < 1 cent."""
    amounts = ["0.01", "3.33", "3.33", "3.34", "12.49", "-1.05", "7.77", "0.50", "250.03"]
    doc = World(_rules(rounding={"DE": "document"})).create(_doc(*amounts))
    exact = [D(a) * D("0.19") for a in amounts]
    assert doc["totalTax"] == sum(exact, D(0)).quantize(D("0.01"), ROUND_HALF_UP)
    # 279.75 x 19% = 53.1525 -> 53.15
    assert doc["totalTax"] == sum(_taxes(doc), D(0)) == D("53.15")
    assert all(abs(t - e) < D("0.01") for t, e in zip(_taxes(doc), exact, strict=True))


def test_rounding_level_is_chosen_per_jurisdiction() -> None:
    """With DE at document level, a French seller still rounds per line: 3 x 10.50 at 20% = 6.30."""
    w = World(_rules(rounding={"DE": "document"}, default_rounding="line"))
    doc = w.create(_doc("10.50", "10.51", "10.52", seller=_addr("FR"), buyer=_addr("FR")))
    # 2.10, 2.102 -> 2.10, 2.104 -> 2.10 by line (6.30); by document 6.306 would be 6.31
    assert doc["totalTax"] == D("6.30")


def test_currency_minor_units_round_yen_to_whole_units() -> None:
    """JPY has no minor unit: 1001 x 19% = 190.19 -> 190; an amount of 10.5 yen is a 400."""
    w = World()
    assert w.create(_doc("1001", currencyCode="JPY"))["totalTax"] == D("190")
    assert _fields(w.post(CREATE, _doc("1001", "10.5", code="J2", currencyCode="JPY"))) == [
        "lines.1.amount"
    ]


def test_non_taxable_tax_code_leaves_a_line_untaxed() -> None:
    """taxCode NT: 100.00 untaxed beside 100.00 at 19%: tax 19.00, exempt 100.00."""
    body = _doc("100.00", "100.00")
    body["lines"][0]["taxCode"] = "NT"
    doc = World().create(body)
    assert _taxes(doc) == [D("0.00"), D("19.00")]
    assert (doc["totalTaxable"], doc["totalExempt"]) == (D("100.00"), D("100.00"))


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


def test_the_mock_keeps_its_own_copy_of_the_rules() -> None:
    """Changing the caller's rules after construction does not change the mock's taxes."""
    rules = TaxRules.default()
    w = World(rules)
    rules.vat_rates["DE"] = D("0.5")
    assert w.create(_doc("100.00"))["totalTax"] == D("19.00")


def test_rules_refuse_rates_outside_0_to_1_and_broken_patterns() -> None:
    """TaxRules validation: a 19 (not 0.19) rate or an invalid VAT id pattern is refused."""
    with pytest.raises(ValidationError, match="fraction"):
        _rules(vat_rates={**TaxRules.default().vat_rates, "DE": D("19")})
    with pytest.raises(ValidationError, match="pattern"):
        _rules(vat_id_patterns={"DE": "DE(\\d"})


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


# -- bad requests ---------------------------------------------------------------------------


def _with(**fields: Any) -> dict[str, Any]:
    return {**_doc("10.00"), **fields}


_ADJUST_NO_CODE = {"createTransactionModel": _doc("1.00", code=None)}
_ADJUST_BAD_REASON = {"createTransactionModel": _doc("1.00"), "adjustmentReason": "Whim"}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (CREATE, _doc("10.00", code=None), ["code"]),
        (ADJUST, _ADJUST_NO_CODE, ["createTransactionModel.code"]),
        (ADJUST, {"adjustmentReason": "Other"}, ["createTransactionModel"]),
        (CREATE, _doc("10.00", "10.001"), ["lines.1.amount"]),
        (CREATE, _with(lines=[{"amount": "10.00"}]), ["lines.0.amount"]),
        (CREATE, _with(lines=[{"amount": 1, "number": "A"}] * 2), ["lines.1.number"]),
        (CREATE, _with(lines=[]), ["lines"]),
        (CREATE, _with(currencyCode="XAU"), ["currencyCode"]),
        (CREATE, _with(currencyCode="euro"), ["currencyCode"]),
        (CREATE, _doc("10.00", seller=_addr("BR")), ["addresses.shipFrom.country"]),
        (CREATE, _doc("10.00", buyer={"country": "Germany"}), ["addresses.shipTo.country"]),
        (CREATE, _with(date="31/03/2024"), ["date"]),
        (CREATE, _with(date=20240331), ["date"]),
        (CREATE, _with(type="ReturnInvoice"), ["type"]),
        (CREATE, _with(commit="true"), ["commit"]),
        (CREATE, _with(customerCode=None), ["customerCode"]),
        (CREATE, _with(purchaseOrderNo=7), ["purchaseOrderNo"]),
        (CREATE, _with(discount=5), ["discount"]),
        (ADJUST, _ADJUST_BAD_REASON, ["adjustmentReason"]),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    path: str, body: dict[str, Any], fields: list[str]
) -> None:
    """Invalid fields, and documents the rules cannot tax, are 400s naming the field's path."""
    assert _fields(World().post(path, body)) == fields


@pytest.mark.parametrize(
    ("route", "template", "body"),
    [
        ("POST", CREATE, _doc("10.00", code=None)),
        ("POST", CREATE, _with(lines=[])),
        ("POST", CREATE, _with(type="PurchaseInvoice")),
        ("POST", CREATE, _with(extra=1)),
        ("POST", ADJUST, _ADJUST_BAD_REASON),
        ("POST", ADJUST, _ADJUST_NO_CODE),
        ("POST", f"{CO}/INV-1/commit", {"commit": False}),
        ("POST", f"{CO}/INV-1/void", {"code": "PostFailed"}),
    ],
)
def test_spec_and_mock_reject_the_same_bodies(route: str, template: str, body: Any) -> None:
    """A body the spec's request schema refuses is refused by the mock with a 400 too."""
    w = World()
    w.create(_doc("1.00"))
    spec_template = w.spec.template(template)
    assert w.spec.rejects(route, spec_template, body)
    assert w.post(template, body).status_code == 400


GARBAGE = [
    b"",
    b"{",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b"null",
    b"[]",
    b'"text"',
    b"42",
    b'{"createTransactionModel": 7, "lines": "x", "commit": [], "code": {}}',
    b'{"lines": [{"amount": 1e999999}], "date": 1e999999, "addresses": []}',
    b'{"lines": [{"amount": NaN}, {"amount": Infinity}], "commit": null}',
]


def test_garbage_bodies_never_cause_a_server_error() -> None:
    """Every write route answers garbage, deep nesting and wrong types with a 4xx problem."""
    w = World()
    w.create(_doc("1.00"))
    for path in (CREATE, ADJUST, f"{CO}/INV-1/commit", f"{CO}/INV-1/void"):
        for content in GARBAGE:
            response = w.http.post(path, content=content)
            assert response.status_code in (400, 415), (path, content[:40])
            _problem(response, response.status_code)  # AvaTax's shape, never a problem document


@pytest.mark.parametrize("amount", ["1e30", "-1e13", "1e999999", "1e-999999"])
def test_out_of_range_amounts_are_a_422_not_a_crash(amount: str) -> None:
    """Amounts beyond ±1e12 or finer than the minor unit are refused, naming the line."""
    content = _json(_doc("1.00")).replace(b'"amount": 1.00', f'"amount": {amount}'.encode())
    response = World().http.post(
        CREATE, content=content, headers={"content-type": "application/json"}
    )
    assert _fields(response) == ["lines.0.amount"]
