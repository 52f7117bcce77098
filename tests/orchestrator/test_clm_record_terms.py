"""The core reads a SOW's terms from an Ironclad record as Ironclad shapes it: typed record
properties keyed by name (``monetary_amount`` as ``{amount, currency}``), an unset property
absent, the rate card tables beside them; the record comes from the CLM mock itself, so the
reader is held to what the vendor side sends, not to a hand-built copy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mocks import ClmMock, ExecutedTerms
from orchestrator.adapters.clm import contract_from_record
from tests.support.contracts import Contract
from tests.support.mock_worlds import CLM, _launch, _terms, clock


def _record(**fields: Any) -> dict[str, Any]:
    clm = ClmMock(clock)
    http = Contract("clm").client(clm.app)
    terms = ExecutedTerms.model_validate({**_terms().model_dump(), **fields})
    made = clm.execute("default", _launch(http), terms)
    record: dict[str, Any] = http.get(f"{CLM}/records/{made['id']}").json()
    return record


def test_a_plain_sow_has_no_expense_policy_sla_tax_id_or_po() -> None:
    contract = contract_from_record(_record())
    assert (contract.expense_policy, contract.service_level) == (None, None)
    assert (contract.customer_tax_id, contract.purchase_order) == (None, None)
    assert contract.versions[0].rate_card.rates == {"Engineer": {"DE": Decimal("110.00")}}


def test_expense_and_sla_terms_are_read_from_their_properties() -> None:
    record = _record(
        counterpartyTaxId="DE811907980",
        expensePolicy={"markupPercent": "12.5", "billableCategories": ["Travel"],
                       "receiptRequiredAbove": "25.00", "conversion": "markup_then_convert"},
        serviceLevel={"creditPerBreach": "500.00", "monthlyCap": "2000.00",
                      "vatTreatment": "compensation"},
    )  # fmt: skip
    contract = contract_from_record(record)
    policy, sla = contract.expense_policy, contract.service_level
    assert policy is not None and sla is not None
    assert (policy.markup_percent, policy.billable_categories) == (Decimal("12.5"), ("Travel",))
    assert policy.receipt_required_above == Decimal("25.00")
    assert (policy.conversion, policy.rounding) == ("markup_then_convert", "once")
    assert (sla.credit_per_breach, sla.monthly_cap) == (Decimal("500.00"), Decimal("2000.00"))
    assert sla.vat_treatment == "compensation"
    assert contract.customer_tax_id == "DE811907980"


def test_a_term_in_another_currency_is_refused_not_priced() -> None:
    record = _record(serviceLevel={"creditPerBreach": "500.00", "monthlyCap": "2000.00"})
    record["properties"]["slaCreditPerBreach"]["value"]["currency"] = "USD"
    with pytest.raises(ValueError, match="USD term on a EUR contract"):
        contract_from_record(record)
