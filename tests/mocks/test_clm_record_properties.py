"""An executed SOW record as Ironclad shapes one: its terms are typed record properties keyed
by name (Ironclad's RecordPropertyType: ``string``, ``number``, ``boolean``, ``date`` as an
ISO 8601 date-time, ``monetary_amount`` as ``{amount, currency}``, ``array`` of strings), an
unset property is absent rather than null, and the workflow's step is spelt as Ironclad
answers it. Every answer is checked against the CLM contract by the client."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from mocks import ClmMock, ExecutedTerms
from tests.support.contracts import Contract
from tests.support.mock_worlds import CLM, _launch, _terms, clock

_VALUE_TYPES = {"string": str, "number": (int, float), "boolean": bool, "date": str}


def _sign(terms: ExecutedTerms) -> tuple[ClmMock, Any, dict[str, Any]]:
    clm = ClmMock(clock)
    http = Contract("clm").client(clm.app)
    workflow = _launch(http)
    record = clm.execute("default", workflow, terms)
    return clm, http, http.get(f"{CLM}/records/{record['id']}").json()


def _with(**fields: Any) -> ExecutedTerms:
    return ExecutedTerms.model_validate({**_terms().model_dump(), **fields})


def _check_typed(properties: dict[str, Any]) -> None:
    for name, prop in properties.items():
        kind, value = prop["type"], prop["value"]
        if kind == "monetary_amount":
            assert set(value) == {"amount", "currency"}, name
            assert len(value["currency"]) == 3, name
        elif kind == "array":
            assert value and all(isinstance(v, str) for v in value), name
        else:
            assert isinstance(value, _VALUE_TYPES[kind]), name
        if kind == "date":
            assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def test_a_plain_sow_has_no_unset_property_and_no_null() -> None:
    _, _, record = _sign(_terms())
    props = record["properties"]
    _check_typed(props)
    for unset in ("counterpartyTaxId", "purchaseOrderNumber", "expenseMarkupPercent",
                  "slaCreditPerBreach"):  # fmt: skip
        assert unset not in props
    assert props["agreementDate"]["value"].endswith("T00:00:00Z")
    assert not {"expensePolicy", "serviceLevel"} & record.keys()


def test_expense_and_sla_terms_are_typed_properties_in_the_contract_currency() -> None:
    terms = _with(
        counterpartyTaxId="DE811907980",
        expensePolicy={"markupPercent": "12.5", "billableCategories": ["Travel", "Lodging"],
                       "receiptRequiredAbove": "25.00", "rounding": "each_step"},
        serviceLevel={"creditPerBreach": "500.00", "monthlyCap": "2000.00"},
    )  # fmt: skip
    _, _, record = _sign(terms)
    props = record["properties"]
    _check_typed(props)
    assert props["counterpartyTaxId"] == {"type": "string", "value": "DE811907980"}
    assert props["expenseMarkupPercent"] == {"type": "number", "value": 12.5}
    assert props["expenseBillableCategories"]["value"] == ["Travel", "Lodging"]
    assert props["expenseReceiptRequiredAbove"]["value"] == {"amount": 25, "currency": "EUR"}
    assert props["expenseRounding"]["value"] == "each_step"
    assert "expenseConversion" not in props  # unset: Ironclad leaves it out
    assert props["slaCreditPerBreach"] == {
        "type": "monetary_amount", "value": {"amount": 500, "currency": "EUR"},
    }  # fmt: skip
    assert props["slaMonthlyCap"]["value"]["amount"] == Decimal("2000")
    assert "slaVatTreatment" not in props


def test_a_purchase_order_number_appears_once_received() -> None:
    clm, http, record = _sign(_with(purchaseOrderRequired=True))
    assert "purchaseOrderNumber" not in record["properties"]
    clm.set_purchase_order("default", record["id"], "PO-4711")
    read = http.get(f"{CLM}/records/{record['ironcladId']}").json()
    assert read["properties"]["purchaseOrderNumber"] == {"type": "string", "value": "PO-4711"}
    assert read["properties"]["purchaseOrderRequired"] == {"type": "boolean", "value": True}


def test_a_workflow_steps_are_spelt_as_ironclad_answers_them() -> None:
    clm = ClmMock(clock)
    http = Contract("clm").client(clm.app)
    workflow = _launch(http)
    assert http.get(f"{CLM}/workflows/{workflow}").json()["step"] == "Review"
    clm.execute("default", workflow, _terms())
    assert http.get(f"{CLM}/workflows/{workflow}").json()["step"] == "Archive"


def test_the_contract_refuses_a_null_property_value() -> None:
    """A null value, the old shape of an unset property, is no longer the contract's."""
    spec = Contract("clm")
    _, _, record = _sign(_terms())
    record["properties"]["purchaseOrderNumber"] = {"type": "string", "value": None}
    assert spec.errors("/components/schemas/Record", record)
