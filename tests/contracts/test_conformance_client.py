"""The stateful phase's client-like requests: list reads keep only what links and the schema
require, tax documents are recorded invoices from covered sellers, ERP lines add up; cases of
other phases and negative cases pass untouched."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

from contracts.conformance_client import _erp_line, _linked_query, _tax_document, as_a_client
from contracts.specs import load


def _case(phase: TestPhase, mode: GenerationMode, operation_id: str, **fields: Any) -> Any:
    raw = load("psa")
    operation = SimpleNamespace(
        definition=SimpleNamespace(raw={"operationId": operation_id}),
        method="get",
        schema=SimpleNamespace(raw_schema=raw),
        query=[SimpleNamespace(name="page", is_required=False)],
    )
    meta = SimpleNamespace(phase=SimpleNamespace(name=phase), generation=SimpleNamespace(mode=mode))
    return SimpleNamespace(meta=meta, operation=operation, body=None, **fields)


def test_a_linked_list_read_keeps_the_links_parameters_only() -> None:
    query = {"page": 1, "workspace_id": "garbage", "status": "x"}
    case = _case(TestPhase.STATEFUL, GenerationMode.POSITIVE, "listInvoices", query=dict(query))
    assert as_a_client(case).query == {"page": 1}
    for phase, mode in ((TestPhase.FUZZING, GenerationMode.POSITIVE),
                        (TestPhase.STATEFUL, GenerationMode.NEGATIVE)):  # fmt: skip
        untouched = _case(phase, mode, "listInvoices", query=dict(query))
        assert as_a_client(untouched).query == query


def test_the_link_map_names_each_targets_parameters() -> None:
    linked = _linked_query(load("psa"))
    assert linked["listInvoices"] == {"page"}
    assert "workspace_id" in linked["listTimeEntries"]
    assert _linked_query(load("psa")) == linked


def test_a_tax_document_is_a_coded_invoice_from_a_covered_seller() -> None:
    document: dict[str, Any] = {"type": "SalesOrder", "customerCode": "abc", "currencyCode": "ZZZ",
                                "addresses": {"shipFrom": {"country": "QQ"}},
                                "lines": [{"amount": 1.23456}, {"amount": 1e300}]}  # fmt: skip
    _tax_document(document)
    assert document["type"] == "SalesInvoice" and document["code"] == "INV-abc"
    seller = document["addresses"]["shipFrom"]
    assert seller == document["addresses"]["shipTo"] and seller["country"] in {
        "DE",
        "FR",
        "GB",
        "US",
    }
    assert document["currencyCode"] in {"EUR", "USD"}
    assert [line["amount"] for line in document["lines"]] == [1.23, 100.0]
    assert [line["number"] for line in document["lines"]] == ["1", "2"]


def test_erp_lines_carry_figures_the_erp_takes() -> None:
    stated = {
        "quantity": 1.5,
        "unitPrice": -3.333,
        "amountExcludingTax": 7,
        "totalTaxAmount": 0.005,
    }
    _erp_line(stated)
    assert stated["amountExcludingTax"] == 5.0 and stated["unitPrice"] == 3.33
    assert stated["totalTaxAmount"] == 0.01
    account = {"lineType": "Account", "lineObjectNumber": "x", "quantity": 0, "discountAmount": 9}
    _erp_line(account)
    assert account["lineObjectNumber"] == "40100" and account["quantity"] == 1.0
    assert "discountAmount" not in account
    comment = {"lineType": "Comment", "description": "note", "quantity": 2, "unitPrice": 1}
    _erp_line(comment)
    assert comment == {"lineType": "Comment", "description": "note"}
