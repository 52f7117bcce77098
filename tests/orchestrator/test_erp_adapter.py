"""The ERP adapter on Business Central's real semantics: no idempotency keys, so every create
looks before it writes on a business key, and looks again after an answer that may hide a write."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from orchestrator._resilience import ResilientRuntime
from orchestrator._wire import VendorError
from orchestrator.adapters._erp_line_body import line_body, trace
from orchestrator.adapters.erp import (
    ErpAdapter,
    business_key,
    error_code,
    is_stale,
)
from orchestrator.adapters.tax import NON_TAXABLE
from orchestrator.model import InvoiceLine
from orchestrator.runtime import Flow, run_flow
from sim.world.books import traced
from tests.support.runtimes import VirtualRuntime

PATH = "/companies(c1)/salesCreditMemos"
MEMO = {"id": "m1", "number": "CM-1", "externalDocumentNumber": "CM-x"}


def _script(*outcomes: Any) -> VirtualRuntime:
    def script(n: int, method: str, path: str, headers: dict[str, str]) -> Any:
        outcome = outcomes[n - 1]
        if isinstance(outcome, Exception):
            return outcome
        status, body = outcome
        return httpx.Response(status, json=body)

    return VirtualRuntime(script)


def _create(inner: VirtualRuntime, *, look: bool = True) -> Any:
    adapter = ErpAdapter(ResilientRuntime(inner, quotas={}), "t", look_before_write=look)
    return run_flow(adapter._create_once(PATH, {"a": 1}, "externalDocumentNumber", "CM-'x'"))


def _calls(inner: VirtualRuntime) -> list[str]:
    return [method for _, method, *_ in inner.sent]


def test_a_lost_answer_is_followed_by_a_look_up_that_finds_the_document() -> None:
    """Nothing found, POST times out, the look-up finds it: one POST, no second document."""
    inner = _script((200, {"value": []}), httpx.ReadTimeout("lost"), (200, {"value": [MEMO]}))
    assert _create(inner) == MEMO
    assert _calls(inner) == ["GET", "POST", "GET"]


def test_a_write_that_did_not_happen_is_sent_again_after_looking() -> None:
    """A 500 whose write did not happen: the look-up finds nothing and the POST goes again."""
    inner = _script((200, {"value": []}), (500, {}), (200, {"value": []}), (201, MEMO))
    assert _create(inner) == MEMO
    assert _calls(inner) == ["GET", "POST", "GET", "POST"]


def test_an_existing_document_is_not_created_again() -> None:
    """Re-driven after a crash: the first look-up finds it, nothing is posted."""
    inner = _script((200, {"value": [MEMO]}))
    assert _create(inner) == MEMO
    assert _calls(inner) == ["GET"]


def test_the_look_up_is_an_odata_filter_on_the_business_key_without_a_key_header() -> None:
    """BC's own query: ``$filter=field eq 'value'`` with quotes doubled; no Idempotency-Key."""
    seen: list[httpx.Request] = []

    class Recording(VirtualRuntime):
        def send(self, vendor: str, method: str, path: str, **kw: Any) -> Any:
            seen.append(httpx.Request(method, "http://erp" + path, params=kw.get("params")))
            return (yield from super().send(vendor, method, path, **kw))

    def answer(n: int, *_: Any) -> httpx.Response:
        return httpx.Response(200, json={"value": []}) if n == 1 else httpx.Response(201, json=MEMO)

    inner = Recording(answer)
    adapter = ErpAdapter(ResilientRuntime(inner, quotas={}), "t")
    run_flow(adapter._create_once(PATH, {"a": 1}, "externalDocumentNumber", "CM-'x'"))
    assert seen[0].url.params["$filter"] == "externalDocumentNumber eq 'CM-''x'''"
    assert all("idempotency-key" not in sent[3] for sent in inner.sent)


REFUSED = {"error": {"code": "Application_DialogException", "message": "customerId: no"}}
STALE = {"error": {"code": "Request_EntityChanged", "message": "Another user has already "
                   "changed the record."}}  # fmt: skip


def test_a_refusal_is_not_retried() -> None:
    """BC's 400 proves nothing was written and will not heal: raised at once, no second POST."""
    inner = _script((200, {"value": []}), (400, REFUSED))
    with pytest.raises(VendorError) as raised:
        _create(inner)
    assert raised.value.status == 400 and _calls(inner) == ["GET", "POST"]
    assert error_code(raised.value) == "Application_DialogException"


def test_without_looking_the_naive_adapter_only_posts() -> None:
    """idempotency=false: the naive design posts without any look-up."""
    inner = _script((201, MEMO))
    assert _create(inner, look=False) == MEMO
    assert _calls(inner) == ["POST"]


def test_business_keys_fit_bc_document_numbers() -> None:
    """35 characters at most (``externalDocumentNumber``), the same for the same key."""
    key = business_key("PAY", "pay:pi_" + "x" * 80 + ":1000")
    assert len(key) <= 35 and key == business_key("PAY", "pay:pi_" + "x" * 80 + ":1000")
    assert key != business_key("PAY", "pay:pi_y:1000")


def test_a_stale_etag_is_read_again_and_the_change_re_applied() -> None:
    """Someone changed the customer between our read and our PATCH: BC answers 409
    ``Request_EntityChanged``; the adapter reads it again and applies the change to the fresh
    record, under its new tag."""
    old = {"id": "c", "email": "a@x", "displayName": "Old", "@odata.etag": 'W/"1"'}
    new = {**old, "displayName": "Theirs", "@odata.etag": 'W/"2"'}
    done = {**new, "email": "b@x", "@odata.etag": 'W/"3"'}
    inner = _script((200, old), (409, STALE), (200, new), (200, done))
    adapter = ErpAdapter(ResilientRuntime(inner, quotas={}), "t")
    flow = adapter.update_customer("c1", "c", lambda current: {"email": "b@x"})
    assert run_flow(flow) == done
    assert _calls(inner) == ["GET", "PATCH", "GET", "PATCH"]
    assert [headers.get("if-match") for _, m, _, headers, *_ in inner.sent if m == "PATCH"] == [
        'W/"1"',
        'W/"2"',
    ]


def test_a_stale_tag_that_keeps_coming_goes_back_to_the_caller() -> None:
    """Three lost races in a row (412 from a proxy counts too): the conflict is the caller's,
    not retried forever."""
    tag = {"id": "c", "@odata.etag": 'W/"1"'}
    inner = _script((200, tag), (409, STALE), (200, tag), (412, {}), (200, tag), (409, STALE))
    adapter = ErpAdapter(ResilientRuntime(inner, quotas={}), "t")
    with pytest.raises(VendorError):
        run_flow(adapter.update_customer("c1", "c", lambda current: {"email": "b@x"}))
    assert _calls(inner) == ["GET", "PATCH"] * 3


def test_a_conflict_that_is_not_a_stale_tag_is_not_re_applied() -> None:
    """BC answers 409 for other conflicts too (a duplicate key): only ``Request_EntityChanged``
    means the record changed under us; anything else goes back at once."""
    tag = {"id": "c", "@odata.etag": 'W/"1"'}
    duplicate = {"error": {"code": "Internal_EntityWithSameKeyExists", "message": "exists"}}
    inner = _script((200, tag), (409, duplicate))
    adapter = ErpAdapter(ResilientRuntime(inner, quotas={}), "t")
    with pytest.raises(VendorError) as raised:
        run_flow(adapter.update_customer("c1", "c", lambda current: {"email": "b@x"}))
    assert not is_stale(raised.value) and _calls(inner) == ["GET", "PATCH"]


class _InterleavedBC:
    """Business Central's customers, answering each call only after the flow yields once, so
    two flows driven in turn interleave at every call as concurrent flows do."""

    def __init__(self) -> None:
        self.customers: list[dict[str, Any]] = []
        self.posts = 0

    def now(self) -> Any:
        return None

    def sleep(self, seconds: float) -> Flow[None]:
        yield None

    def send(self, vendor: str, method: str, path: str, **kw: Any) -> Flow[httpx.Response]:
        yield None
        if method == "GET":
            name = kw["params"]["$filter"].split(" eq ", 1)[1].strip("'")
            found = [c for c in self.customers if c["displayName"] == name]
            return httpx.Response(200, json={"value": found})
        self.posts += 1
        record = {**json.loads(kw["content"]), "id": f"cust-{self.posts}"}
        self.customers.append(record)
        return httpx.Response(201, json=record)

    def record(self, kind: str, **fields: Any) -> None:
        pass


def test_two_contracts_of_one_client_set_up_at_once_make_one_customer() -> None:
    """Both flows would look, find nothing and create (BC has no unique key on a name): the
    second waits for the first and finds its customer (firm-year, seed 1, made two)."""
    bc = _InterleavedBC()
    adapter = ErpAdapter(cast(Any, bc), "t")
    entity = SimpleNamespace(erp_company_id="c1", id="DE01")
    contract = SimpleNamespace(customer_name="Client GmbH", customer_country="DE",
                               currency="EUR", customer_tax_id=None)  # fmt: skip
    deal = SimpleNamespace(street=None, city=None, postal_code=None, region=None)
    flows = [adapter.ensure_customer(*cast(Any, (entity, contract, deal))) for _ in range(2)]
    made: list[Any] = []
    while flows:
        for flow in list(flows):
            try:
                next(flow)
            except StopIteration as stop:
                made.append(stop.value)
                flows.remove(flow)
    assert bc.posts == 1
    assert [c.id for c in made] == ["cust-1", "cust-1"]


def test_a_salesforce_address_is_cut_to_bcs_lengths() -> None:
    """Salesforce holds a 40-character city and a 255-character street; BC's Customer table 30
    and 100: the customer is made with the texts cut, not refused."""
    bc = _InterleavedBC()
    adapter = ErpAdapter(cast(Any, bc), "t")
    entity = SimpleNamespace(erp_company_id="c1", id="DE01")
    contract = SimpleNamespace(customer_name="Client GmbH", customer_country="DE",
                               currency="EUR", customer_tax_id="DE123456789")  # fmt: skip
    deal = SimpleNamespace(street="S" * 255, city="C" * 40, postal_code="P" * 25, region="R" * 40)
    flow = adapter.ensure_customer(*cast(Any, (entity, contract, deal)))
    with pytest.raises(StopIteration):
        while True:
            next(flow)
    (made,) = bc.customers
    assert (made["addressLine1"], made["city"], made["postalCode"], made["state"]) == (
        "S" * 100, "C" * 30, "P" * 20, "R" * 30,
    )  # fmt: skip
    assert made["taxRegistrationNumber"] == "DE123456789"


def _priced(quantity: str, price: str, amount: str, **extra: object) -> InvoiceLine:
    return InvoiceLine(description="2026-03-02 Ada, Engineer (DE)", quantity=Decimal(quantity),
                       unit_price=Decimal(price), amount=Decimal(amount),
                       source_ids=("psa:time_entry:7",), contract_version_id="rec-1/v2",
                       **extra)  # type: ignore[arg-type]  # fmt: skip


def test_a_line_is_sent_as_bc_takes_it_and_bc_gets_the_contracts_amount() -> None:
    """Quantity and rate as priced; where the contract rounds below BC (half even, down), the
    cent goes in as a line discount; the tax is BC's to compute (no amount, no tax sent)."""
    line = line_body(_priced("0.25", "48.50", "12.12"))  # 12.125: half even 12.12, BC 12.13
    assert line == {
        "lineType": "Account", "lineObjectNumber": "40100",
        "description": "[psa:time_entry:7@rec-1/v2] 2026-03-02 Ada, Engineer (DE)",
        "quantity": Decimal("0.25"), "unitPrice": Decimal("48.50"),
        "discountAmount": Decimal("0.01"),
    }  # fmt: skip
    assert "discountAmount" not in line_body(_priced("0.25", "48.50", "12.13"))  # half up: as BC
    upward = line_body(_priced("0.25", "48.50", "12.14"))  # no discount can add: quantity 1
    assert (upward["quantity"], upward["unitPrice"]) == (Decimal(1), Decimal("12.14"))
    credit = line_body(_priced("1", "-50", "-50", kind="credit", tax_code=NON_TAXABLE))
    assert credit["description"].startswith("[CR psa:time_entry:7@rec-1/v2] ")
    assert (credit["lineObjectNumber"], credit["taxCode"]) == ("40300", "NT")


def test_the_books_read_back_what_a_line_bills() -> None:
    """The adapter's trail at the head of a description is what the books give the oracle."""
    lines = [
        line_body(_priced("1", "10", "10")),
        line_body(_priced("1", "5", "5", kind="adjustment")),
    ]
    lines.append({"description": "a line someone typed in BC"})
    document = traced({"salesInvoiceLines": lines}, "salesInvoiceLines")
    trail = [(x["sourceItemIds"], x["contractVersionId"], x["billingRole"])
             for x in document["salesInvoiceLines"]]  # fmt: skip
    assert trail == [
        (["psa:time_entry:7"], "rec-1/v2", "charge"),
        (["psa:time_entry:7"], "rec-1/v2", "adjustment"),
        ([], "", "charge"),
    ]


def test_a_line_billing_several_items_is_refused() -> None:
    """BC has one description per line: a line names exactly one item."""
    many = _priced("1", "10", "10").model_copy(update={"source_ids": ("a", "b")})
    with pytest.raises(ValueError, match="one item"):
        trace(many)
