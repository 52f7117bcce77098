"""The tax engine mock's taxes, worked by hand to the cent: VAT by place of supply and reverse
charge, US state sales tax, India's GST, rounding per line or per document and per currency,
and the rules (``TaxRules``) the mock taxes by."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

import pytest
from pydantic import ValidationError

from mocks import TaxRules
from tests.support.contracts import avatax_fields as _fields
from tests.support.tax import CREATE, D, World, _addr, _doc, _rules, _taxes

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


# -- the rules ---------------------------------------------------------------------------------


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
