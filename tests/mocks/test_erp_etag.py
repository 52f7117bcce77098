"""Business Central's optimistic concurrency on documents: every invoice, credit memo, line,
journal and payment carries an ``@odata.etag`` (and single-record answers an ``ETag`` header)
that changes with the record; a bound action compares ``If-Match`` when one is sent and
answers a stale one 409 ``Request_EntityChanged`` without acting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.mocks.test_behaviour import ErpWorld
from tests.support.contracts import bc_error

STALE = "Request_EntityChanged"


def _tag(answer: Any) -> str:
    """A single-record answer's tag: the body's ``@odata.etag``, equal to its ETag header."""
    tag: str = answer.json()["@odata.etag"]
    assert tag.startswith('W/"') and answer.headers["etag"] == tag
    return tag


def test_every_document_answer_carries_its_tag() -> None:
    """Invoice, lines, credit memo, journal and payment: tagged when made and when read."""
    world = ErpWorld()
    invoice = world.posted_invoice(post=False)
    path = f"{world.co}/salesInvoices({invoice['id']})"
    assert _tag(world.http.get(path)) == invoice["@odata.etag"]
    (line,) = world.http.get(f"{path}/salesInvoiceLines").json()["value"]
    assert line["@odata.etag"].startswith('W/"')
    world.http.post(f"{path}/Microsoft.NAV.post")
    memo = world.credit(invoice, ("1", "10", "10"))
    assert _tag(world.http.get(f"{world.co}/salesCreditMemos({memo['id']})")) == memo["@odata.etag"]
    made = world.pay(invoice, "10")
    assert made.status_code == 201
    payment = made.json()
    assert _tag(made) == payment["@odata.etag"]
    assert _tag(world.http.get(f"{world.journal}/customerPayments({payment['id']})"))
    journals = world.http.get(f"{world.co}/customerPaymentJournals").json()["value"]
    assert journals[0]["@odata.etag"].startswith('W/"')


def test_a_change_gives_a_new_tag() -> None:
    """Posting, and applying a payment, each change the invoice's tag."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    path = f"{world.co}/salesInvoices({draft['id']})"
    world.http.post(f"{path}/Microsoft.NAV.post")
    posted = _tag(world.http.get(path))
    world.pay(draft, "100")
    world.post_journal()
    paid = _tag(world.http.get(path))
    assert len({draft["@odata.etag"], posted, paid}) == 3


def test_a_stale_if_match_on_a_bound_action_is_409_and_nothing_happens() -> None:
    """The invoice changed since it was read: post and send with the old tag are refused as
    BC refuses them; the current tag, ``*`` and no header at all (BC compares only a tag that
    is sent) go through."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    path = f"{world.co}/salesInvoices({draft['id']})"
    old = draft["@odata.etag"]
    world.http.post(f"{path}/Microsoft.NAV.post", headers={"If-Match": old})  # current: posts
    assert world.read_invoice(draft)["status"] == "Open"
    sent = world.http.post(f"{path}/Microsoft.NAV.send", headers={"If-Match": old})
    assert bc_error(sent, 409, STALE) == "Another user has already changed the record."
    assert world.erp.sent_invoices("default", 0) == []
    reposted = world.http.post(f"{path}/Microsoft.NAV.post", headers={"If-Match": old})
    bc_error(reposted, 409, STALE)
    assert (
        world.http.post(f"{path}/Microsoft.NAV.send", headers={"If-Match": "*"}).status_code == 204
    )
    assert world.http.post(f"{path}/Microsoft.NAV.send").status_code == 204
    assert len(world.erp.sent_invoices("default", 0)) == 2


def test_a_journal_posted_under_a_stale_tag_posts_nothing() -> None:
    """The journal changed (a post) since its tag was read: a post under the old tag leaves
    every payment a draft and the invoice unpaid."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    journals = world.http.get(f"{world.co}/customerPaymentJournals").json()["value"]
    old = journals[0]["@odata.etag"]
    world.pay(invoice, "100")
    assert world.post_journal().status_code == 204  # the journal's tag moves on
    world.pay(invoice, "200")
    refused = world.http.post(f"{world.journal}/Microsoft.NAV.post", headers={"If-Match": old})
    bc_error(refused, 409, STALE)
    assert [p["status"] for p in world.erp.payments("default")] == ["Posted", "Draft"]
    assert world.stored_invoice(invoice)["paidAmount"] == 100


def test_a_credit_memo_posted_under_a_stale_tag_is_refused() -> None:
    """A credit memo's tag is checked like an invoice's; a tag that is not its own (here the
    invoice's) is stale."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    memo = world.credit(invoice, ("1", "10", "10"))
    path = f"{world.co}/salesCreditMemos({memo['id']})/Microsoft.NAV.post"
    bc_error(world.http.post(path, headers={"If-Match": invoice["@odata.etag"]}), 409, STALE)
    assert world.http.post(path, headers={"If-Match": memo["@odata.etag"]}).status_code == 204
    assert world.stored_invoice(invoice)["creditedAmount"] == Decimal("11.90")  # 10 + 19% VAT
