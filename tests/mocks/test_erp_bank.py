"""Business Central's side of large invoices: a posted invoice is sent to its customer
(``Microsoft.NAV.send``), the customer pays it by bank transfer quoting its number, and the
payment reconciliation journal applies the money; unposted payments are indexed, not searched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.mocks.test_behaviour import ErpWorld


def _send(world: ErpWorld, invoice_id: str) -> int:
    url = f"{world.co}/salesInvoices({invoice_id})/Microsoft.NAV.send"
    return world.http.post(url).status_code


def test_a_posted_invoice_is_sent_to_the_customers_inbox() -> None:
    """A draft cannot be sent (BC's 400); a posted one lands in the inbox, once per send, and
    the inbox hands out only what is new."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    assert _send(world, draft["id"]) == 400
    assert world.erp.sent_invoices("default", 0) == []
    invoice = world.posted_invoice()
    assert _send(world, invoice["id"]) == 204
    (mail,) = world.erp.sent_invoices("default", 0)
    assert (mail["invoiceId"], mail["number"], mail["totalAmountIncludingTax"]) == (
        invoice["id"],
        invoice["number"],
        Decimal("1142.40"),
    )
    assert world.erp.sent_invoices("default", 1) == []
    assert _send(world, invoice["id"]) == 204  # a second copy
    assert [m["id"] for m in world.erp.sent_invoices("default", 1)] == ["2"]
    assert _send(world, "00000000-0000-0000-0000-000000000000") == 404


def test_a_bank_transfer_is_applied_to_the_invoice_it_quotes() -> None:
    """Transfers post as payments of the invoice's company and settle it; one that exceeds
    what is owed, or pays a settled invoice, is refused and changes nothing. The payment
    reconciliation journal posts it: no customer payment journal lists it, as in BC."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    payment = world.erp.receive_transfer("default", invoice["id"], Decimal("1000.00"), "REF")
    assert (payment["documentNumber"], payment["amount"]) == ("BNK000001", Decimal("1000.00"))
    assert "status" not in payment
    assert world.read_invoice(invoice)["remainingAmount"] == 142.40
    assert world.http.get(f"{world.journal}/customerPayments").json()["value"] == []
    expanded = world.http.get(
        f"{world.co}/customerPaymentJournals", params={"$expand": "customerPayments"}
    ).json()["value"]
    assert [j["customerPayments"] for j in expanded] == [[]]
    with pytest.raises(ValueError, match="exceeds"):
        world.erp.receive_transfer("default", invoice["id"], Decimal("142.41"), "REF")
    with pytest.raises(ValueError, match="EUR amount"):
        world.erp.receive_transfer("default", invoice["id"], Decimal("0.001"), "REF")
    assert world.pay(invoice, "100.00").status_code == 201  # an unposted payment counts
    with pytest.raises(ValueError, match="exceeds"):
        world.erp.receive_transfer("default", invoice["id"], Decimal("42.41"), "REF")
    world.erp.receive_transfer("default", invoice["id"], Decimal("42.40"), "REF")
    assert world.post_journal().status_code == 204
    paid = world.read_invoice(invoice)
    assert (paid["status"], paid["remainingAmount"]) == ("Paid", 0)
    with pytest.raises(ValueError, match="no open invoice"):
        world.erp.receive_transfer("default", invoice["id"], Decimal("1"), "REF")
    posted = [p for p in world.erp.payments("default") if p["status"] == "Posted"]
    assert sum(p["amount"] for p in posted) == Decimal("1142.40")


def test_a_journal_post_takes_only_its_unposted_payments() -> None:
    """Posted payments leave the index of unposted ones: a second post posts nothing, and
    what an invoice owes counts only payments not yet posted."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    world.pay(invoice, "1000.00")
    assert world.post_journal().status_code == 204
    assert world.post_journal().status_code == 204
    assert world.stored_invoice(invoice)["paidAmount"] == 1000
    assert world.pay(invoice, "142.40").status_code == 201
    assert world.post_journal().status_code == 204
    assert world.read_invoice(invoice)["status"] == "Paid"
