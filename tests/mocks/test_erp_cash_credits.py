"""Business Central's cash and credits as the integration relies on them: payments that make an
invoice paid, overpayments and foreign invoices refused, credit memos against what remains,
journals posted all or nothing, each tenant's documents its own."""

from __future__ import annotations

from decimal import Decimal

from tests.support.contracts import (
    Contract,
    bc_error,
)
from tests.support.mock_worlds import (
    JSON,
    ErpWorld,
    _bc,
    _json,
)

# -- ERP cash and credits -------------------------------------------------------------------


def test_partial_then_full_payment_makes_the_invoice_paid() -> None:
    """A partial payment leaves the invoice Open with less remaining; the rest makes it Paid."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    assert world.pay(invoice, "500.00").status_code == 201
    assert world.read_invoice(invoice)["remainingAmount"] == 1142.40  # nothing until posted
    assert world.post_journal().status_code == 204
    partly = world.stored_invoice(invoice)
    assert (partly["status"], partly["paidAmount"], partly["remainingAmount"]) == (
        "Open",
        Decimal("500.00"),
        Decimal("642.40"),
    )
    world.pay(invoice, "642.40")
    world.post_journal()
    paid = world.stored_invoice(invoice)
    assert (paid["status"], paid["paidAmount"], paid["remainingAmount"]) == (
        "Paid",
        Decimal("1142.40"),
        Decimal(0),
    )
    _bc(world.pay(invoice, "0.01"), "appliesToInvoiceId")  # not Open any more
    repost = world.http.post(f"{world.co}/salesInvoices({invoice['id']})/Microsoft.NAV.post")
    assert repost.status_code == 204 and world.read_invoice(invoice)["status"] == "Paid"


def test_overpayment_is_422_naming_amount() -> None:
    """A payment above what the invoice still owes (unposted payments counted) names amount."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    _bc(world.pay(invoice, "1142.41"), "amount")
    assert world.pay(invoice, "1000").status_code == 201
    _bc(world.pay(invoice, "142.41"), "amount")
    _bc(world.pay(invoice, "0.001"), "amount")  # more decimals than EUR has
    assert world.pay(invoice, "142.40").status_code == 201
    assert len(world.erp.payments("default")) == 2


def test_payment_for_another_customers_invoice_is_422() -> None:
    """A payment must name the invoice's own customer, else 422 naming the invoice field."""
    world = ErpWorld()
    other = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    stranger = world.http.post(f"{world.co}/customers", json=other).json()["id"]
    theirs = world.posted_invoice(customer=stranger)
    _bc(world.pay(theirs, "10"), "appliesToInvoiceId")
    by_number = {
        "customerNumber": "C00001",
        "appliesToInvoiceNumber": theirs["number"],
        "amount": 10,
    }
    response = world.http.post(f"{world.journal}/customerPayments", json=by_number)
    _bc(response, "appliesToInvoiceNumber")
    assert world.erp.payments("default") == []


def test_payment_needs_an_open_invoice_of_this_company() -> None:
    """A Draft invoice, or an invoice of another company, takes no payment (422 by field)."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    _bc(world.pay(draft, "10"), "appliesToInvoiceId")
    uk = world.erp.add_company("default", "ACME-UK", "GB", "GBP")
    uk_co = f"/api/v2.0/companies({uk})"
    client = {"displayName": "UK client", "country": "GB", "currencyCode": "GBP"}
    uk_customer = world.http.post(f"{uk_co}/customers", json=client).json()["id"]
    uk_body = {**world.body(("1", "10", "10"), currency="GBP"), "customerId": uk_customer}
    uk_invoice = world.http.post(
        f"{uk_co}/salesInvoices", headers=JSON, content=_json(uk_body)
    ).json()
    world.http.post(f"{uk_co}/salesInvoices({uk_invoice['id']})/Microsoft.NAV.post")
    _bc(world.pay(uk_invoice, "10"), "appliesToInvoiceId")
    _bc(world.pay(draft, "10", customerId=uk_customer), "customerId")
    number = world.pay(
        draft, "10", appliesToInvoiceId=draft["id"], appliesToInvoiceNumber="S-INV999999"
    )
    _bc(number, "appliesToInvoiceNumber")


def test_posted_credit_memo_reduces_remaining() -> None:
    """Posting a credit memo takes its total incl. tax (19% VAT, by BC's AvaTax connector)
    off the invoice; a draft takes nothing."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    world.pay(invoice, "142.40")
    world.post_journal()
    memo = world.credit(invoice, ("1", "120", "120"))
    assert (memo["totalTaxAmount"], memo["totalAmountIncludingTax"]) == (22.80, 142.80)
    assert world.read_invoice(invoice)["remainingAmount"] == 1000
    assert world.post_credit(memo).status_code == 204
    after = world.stored_invoice(invoice)
    assert (after["creditedAmount"], after["paidAmount"], after["remainingAmount"]) == (
        Decimal("142.80"),
        Decimal("142.40"),
        Decimal("857.20"),
    )
    assert after["status"] == "Open"
    (stored,) = world.erp.invoices("default")
    assert stored["remainingAmount"] == (
        stored["totalAmountIncludingTax"]
        - sum(m["totalAmountIncludingTax"] for m in world.erp.credit_memos("default"))
        - sum(p["amount"] for p in world.erp.payments("default") if p["status"] == "Posted")
    )
    rest = world.credit(invoice, ("1", "720.34", "720.34"))  # + 136.86 VAT = 857.20
    world.post_credit(rest)
    assert world.read_invoice(invoice)["status"] == "Paid"
    memo_path = f"{world.co}/salesCreditMemos({rest['id']})"
    assert world.http.get(memo_path).json()["status"] == "Paid"


def test_credit_memo_beyond_remaining_is_422_and_changes_nothing() -> None:
    """A credit memo larger than what the invoice still owes is not posted."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    world.pay(invoice, "1000")
    world.post_journal()
    memo = world.credit(invoice, ("2", "100", "200"))
    _bc(world.post_credit(memo), "totalAmountIncludingTax")
    assert world.http.get(f"{world.co}/salesCreditMemos({memo['id']})").json()["status"] == "Draft"
    assert world.read_invoice(invoice)["remainingAmount"] == 142.40


def test_credit_memo_waits_for_its_invoice_to_be_posted() -> None:
    """A credit memo for a Draft invoice is created but posts only once the invoice is posted."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    memo = world.credit(draft, ("1", "100", "100"))
    _bc(world.post_credit(memo), "invoiceId")
    world.http.post(f"{world.co}/salesInvoices({draft['id']})/Microsoft.NAV.post")
    assert world.post_credit(memo).status_code == 204
    assert world.read_invoice(draft)["remainingAmount"] == 1023.40  # 1142.40 - 119.00


def test_credit_memo_must_match_the_invoices_customer_and_currency() -> None:
    """A credit memo names an invoice of its own customer and currency, else 422 by field."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    line = world.body(("1", "10", "10"))["salesInvoiceLines"]
    memo = {
        "customerId": world.customer,
        "invoiceNumber": invoice["number"],
        "creditMemoDate": "2024-04-30",
        "currencyCode": "GBP",
        "salesCreditMemoLines": line,
    }
    memos = f"{world.co}/salesCreditMemos"
    _bc(world.http.post(memos, headers=JSON, content=_json(memo)), "currencyCode")
    other = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    stranger = world.http.post(f"{world.co}/customers", json=other).json()["id"]
    theirs = {**memo, "currencyCode": "EUR", "customerId": stranger}
    _bc(world.http.post(memos, headers=JSON, content=_json(theirs)), "invoiceNumber")
    made = world.http.post(memos, headers=JSON, content=_json({**memo, "currencyCode": "EUR"}))
    assert made.json()["invoiceId"] == invoice["id"]


def test_a_payment_sent_twice_is_entered_twice() -> None:
    """No replay for payments either: the second POST is a second journal line (BC)."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    first = world.pay(invoice, "100", key="pay-1")
    again = world.pay(invoice, "100", key="pay-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] != again.json()["id"]
    world.post_journal()
    assert world.stored_invoice(invoice)["paidAmount"] == 200


def test_journal_post_posts_only_unposted_payments() -> None:
    """Posting a journal applies each of its lines once and deletes them (BC turns posted
    lines into ledger entries): a posted payment is listed and read no more, a second post
    posts nothing, and the next line of the emptied journal is numbered 10000 again."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    first = world.pay(invoice, "100").json()
    world.post_journal()
    second = world.pay(invoice, "50").json()
    assert second["lineNumber"] == 10000
    listed = world.http.get(f"{world.journal}/customerPayments").json()["value"]
    assert [p["id"] for p in listed] == [second["id"]]
    assert world.post_journal().status_code == 204
    assert world.post_journal().status_code == 204  # nothing left to post
    assert world.stored_invoice(invoice)["paidAmount"] == 150
    assert world.http.get(f"{world.journal}/customerPayments").json()["value"] == []
    gone = world.http.get(f"{world.journal}/customerPayments({first['id']})")
    assert "does not exist" in bc_error(gone, 404, "Internal_RecordNotFound")
    (stored, _) = world.erp.payments("default")  # the books' record of what was posted
    assert (stored["id"], stored["status"]) == (first["id"], "Posted")
    assert stored["postedAt"] == first["lastModifiedDateTime"]


def test_journal_post_is_all_or_nothing() -> None:
    """If one payment no longer fits its invoice, the journal post is a 422 and posts none."""
    world = ErpWorld()
    small, large = world.posted_invoice(), world.posted_invoice()
    fits = world.pay(small, "100").json()
    late = world.pay(large, "1100").json()
    world.post_credit(world.credit(large, ("1", "100", "100")))
    _bc(world.post_journal(), f"customerPayments({late['id']}).amount")
    assert [p["status"] for p in world.erp.payments("default")] == ["Draft", "Draft"]
    assert world.stored_invoice(small)["paidAmount"] == 0
    lines = world.http.get(f"{world.journal}/customerPayments")
    assert [p["id"] for p in lines.json()["value"]] == [fits["id"], late["id"]]
    # BC's customerPayment has no status to filter on: the field is unknown
    unknown = world.http.get(
        f"{world.journal}/customerPayments", params={"$filter": "status eq 'Draft'"}
    )
    assert unknown.status_code == 400


def test_erp_cash_and_credits_of_another_tenant_are_not_found() -> None:
    """Journals, payments and credit memos of one tenant are 404s from another."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    payment = world.pay(invoice, "10").json()
    memo = world.credit(invoice, ("1", "10", "10"))
    other = Contract("erp").client(world.erp.app, tenant="globex")
    bc_error(other.get(f"{world.co}/customerPaymentJournals"), 404, "Internal_RecordNotFound")
    bc_error(
        other.get(f"{world.journal}/customerPayments({payment['id']})"),
        404,
        "Internal_RecordNotFound",
    )
    bc_error(other.post(f"{world.journal}/Microsoft.NAV.post"), 404, "Internal_RecordNotFound")
    bc_error(
        other.get(f"{world.co}/salesCreditMemos({memo['id']})"), 404, "Internal_RecordNotFound"
    )
    bc_error(
        other.post(f"{world.co}/salesCreditMemos({memo['id']})/Microsoft.NAV.post"),
        404,
        "Internal_RecordNotFound",
    )
    globex = world.erp.add_company("globex", "G", "DE", "EUR")
    globex_co = f"/api/v2.0/companies({globex})"
    journal = other.get(f"{globex_co}/customerPaymentJournals").json()["value"][0]["id"]
    journal_path = f"{globex_co}/customerPaymentJournals({journal})"
    bc_error(
        other.get(f"{journal_path}/customerPayments({payment['id']})"),
        404,
        "Internal_RecordNotFound",
    )
    bc_error(
        other.get(f"{globex_co}/salesCreditMemos({memo['id']})"), 404, "Internal_RecordNotFound"
    )
    assert other.get(f"{journal_path}/customerPayments").json()["value"] == []
    assert world.erp.payments("globex") == world.erp.credit_memos("globex") == []


def test_journals_expand_their_payments_on_request() -> None:
    """``$expand=customerPayments`` lists each journal with its payments (BC's navigation
    property), which a client reads one by one; without it a journal carries none."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    paid = world.pay(invoice, "500.00").json()
    journals = f"{world.co}/customerPaymentJournals"
    expanded = world.http.get(journals, params={"$expand": "customerPayments"}).json()["value"]
    assert [p["id"] for p in expanded[0]["customerPayments"]] == [paid["id"]]
    read = world.http.get(f"{world.journal}/customerPayments({paid['id']})").json()
    assert expanded[0]["customerPayments"][0] == read
    plain = world.http.get(journals).json()["value"]
    assert "customerPayments" not in plain[0]
