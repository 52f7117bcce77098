"""Business Central customer payment journals and customer payments, for the ERP mock.

Each company has one payment journal (code ``CASH``), set up with the company. A payment is a
journal line that names the customer and the invoice it pays; it is checked when it is entered
(customer and invoice of this company, the invoice Open and owed at least the amount, counting
the journal lines not yet posted) and applied when its journal is posted: ``Microsoft.NAV.post``
on the journal posts every line at once, or none of them if one no longer fits. API v2.0 has
no such action (it binds ``Microsoft.NAV.post`` to general journals only; an accountant posts
a cash receipt journal in the client): the path is the sandbox's stand-in for that step,
declared ``x-sandbox-only`` in erp.yaml.

A ``customerPayment`` is a journal line and nothing else: API v2.0 gives it no status (its
properties are the line's, from ``id`` and ``journalId`` to ``lastModifiedDateTime``), and
posting the journal turns its lines into ledger entries (customer, G/L, bank) and deletes
them, so a posted payment is no longer listed or readable in its journal. What BC keeps of
it, the customer ledger entry of type Payment applied to the invoice's entry, is not in API
v2.0 (only in the separate finance reports API); an integration sees a payment applied in the
invoice's ``remainingAmount``, and its ``status`` ``Paid`` once nothing remains. The mock keeps
its own record of each posted payment (``POSTED``), for the simulator's books only: never
served, never read per call. Sources, consulted 2026-12-07: Microsoft Learn, API v2.0
customerPayment resource type
(https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_customerpayment)
and salesInvoice resource type
(https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoice);
the finance reports API's customerLedgerEntry
(https://learn.microsoft.com/dynamics365/business-central/dev-itpro/administration/financereportsapi/resources/dynamics_customerledgerentry);
Apideck's guide to BC journals ("when you post a journal, all lines in that batch are
transferred into the General Ledger as permanent entries",
https://developers.apideck.com/guides/journal-entries-expenses-mbc).

A posted invoice is sent to its customer with ``Microsoft.NAV.send`` (Business Central's bound
action on sales invoices, which e-mails the document); here the sent documents wait in the
customer's inbox (``sent_invoices``), read by the simulated clients. A client may pay by bank
transfer to the firm's own account, quoting the invoice number (``receive_transfer``): Business
Central learns of it from the bank statement, and its payment reconciliation journal matches the
statement line to the invoice by that document number and posts it (Microsoft Learn, "Reconcile
bank accounts and apply payments",
https://learn.microsoft.com/dynamics365/business-central/receivables-apply-payments-auto-reconcile-bank-accounts,
consulted 2026-12-07). The sandbox does both at once when the money arrives (in BC they are an
accountant's "Apply Automatically" and "Post"); like any posted payment it is then in no
journal and served nowhere, only applied to the invoice and kept in ``POSTED`` for the books.

The journal's lines are the unposted payments only, indexed by journal and by invoice: entering
one reads the lines still open on its invoice, posting reads the journal's own lines, never the
history of every payment made.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from contracts.currencies import MINOR_UNITS
from mocks._erp_base import CO, ErpBase, Strict
from mocks._erp_errors import refused
from mocks._erp_etags import check_if_match, etag, tagged, touch
from mocks._erp_lines import quantum
from mocks._http import Call, IsoDate, Problem, Reply, not_null
from mocks._state import guid, iso, plain

__all__ = ["CashMixin"]

JOURNALS = CO + "/customerPaymentJournals"
JOURNAL = JOURNALS + "({journal_id})"
PAYMENTS = "customerPayments"  # the journals' lines: unposted payments only, as in BC
# posted payments (what BC keeps as customer ledger entries), for the books; never served
POSTED = "customerPayments:posted"
MAIL = "salesInvoices:sent"  # documents sent to customers, numbered "1", "2", ... in order


class CustomerPaymentIn(Strict):
    customerId: str | None = None
    customerNumber: str | None = Field(default=None, max_length=20)
    postingDate: IsoDate | None = None
    documentNumber: str | None = Field(default=None, max_length=20)
    externalDocumentNumber: str | None = Field(default=None, max_length=35)
    amount: Decimal = Field(gt=0)
    appliesToInvoiceId: str | None = None
    appliesToInvoiceNumber: str | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=250)

    check = field_validator(
        "customerId", "customerNumber", "appliesToInvoiceId", "appliesToInvoiceNumber"
    )(not_null)


class CashMixin(ErpBase):
    """Payment journals and customer payments."""

    def _cash_routes(self) -> None:
        app = self.app
        # $expand=customerPayments: each journal with its payments (BC's navigation property,
        # in its v1.0 spec's $expand enum for this list; the mock ignores `account`)
        app.route("GET", JOURNALS, scope="erp:payments.read")(
            self._lister(
                "customerPaymentJournals",
                navigation=("customerPayments", "customerPayments", "journalId"),
            )
        )
        payments = self._lister(
            "customerPayments", parent=("customerPaymentJournals", "journal_id", "journalId")
        )
        app.route("GET", JOURNAL + "/customerPayments", scope="erp:payments.read")(payments)
        app.route("POST", JOURNAL + "/customerPayments", scope="erp:payments.write")(
            self._create_payment
        )
        app.route("GET", JOURNAL + "/customerPayments({id})", scope="erp:payments.read")(
            self._read_payment
        )
        app.route("POST", JOURNAL + "/Microsoft.NAV.post", scope="erp:payments.write")(
            self._post_journal
        )
        app.route(
            "POST", CO + "/salesInvoices({id})/Microsoft.NAV.send", scope="erp:invoices.write"
        )(self._send_invoice)

    def _add_journal(self, tenant: str, company_id: str) -> None:
        n = self.tables.next_number(tenant, "customerPaymentJournals")
        journal_id = guid(f"{tenant}:customerPaymentJournal", n)
        journal = {
            "@odata.etag": etag(journal_id),
            "id": journal_id,
            "code": "CASH",
            "displayName": "Cash receipts",
            "companyId": company_id,
            "lastModifiedDateTime": iso(self.clock()),
        }
        self.tables.insert(tenant, "customerPaymentJournals", journal)

    def payments(self, tenant: str) -> list[dict[str, Any]]:
        """Every customer payment of every company, for the books: the posted ones (the mock's
        own record, bank transfers included) in the order they were posted, then the journal
        lines not posted yet. Each copy carries ``status`` (``Posted`` or ``Draft``): the
        books' word for it, which Business Central's customerPayment does not have."""
        posted = [{**p, "status": "Posted"} for p in self.tables.all(tenant, POSTED)]
        lines = self.tables.all(tenant, PAYMENTS)
        return posted + [{**p, "status": "Draft", "postedAt": None} for p in lines]

    def sent_invoices(self, tenant: str, seen: int) -> list[dict[str, Any]]:
        """The documents sent to customers after the first ``seen`` ones, oldest first: what
        the clients find in their mail (a client that counts what it read reads only the new)."""
        mail = self.tables.table(tenant, MAIL)
        return [dict(mail[str(n)]) for n in range(seen + 1, len(mail) + 1)]

    def receive_transfer(
        self, tenant: str, invoice_id: str, amount: Decimal, reference: str
    ) -> dict[str, Any]:
        """A client's bank transfer of ``amount`` quoting invoice ``invoice_id``'s number,
        matched and posted by the payment reconciliation journal; returns the payment.

        A transfer that cannot be applied in full (the invoice is not Open, owes less, or the
        amount is not one of its currency) is refused with ``ValueError`` and changes nothing:
        the sandbox keeps no unapplied cash (see the spec's list of deviations).
        """
        invoice = self.tables.table(tenant, "salesInvoices").get(invoice_id)
        if invoice is None or invoice["status"] != "Open":
            raise ValueError(f"no open invoice {invoice_id!r} in tenant {tenant!r}")
        unit = quantum(invoice["currencyCode"])
        if amount <= 0 or amount != amount.quantize(unit):
            raise ValueError(f"{amount} is not a positive {invoice['currencyCode']} amount")
        owed = invoice["remainingAmount"] - self._pending(tenant, invoice_id)
        if amount > owed:
            raise ValueError(f"{amount} exceeds the {owed} invoice {invoice['number']} owes")
        n = self.tables.next_number(tenant, PAYMENTS)
        now = iso(self.clock())
        payment_id = guid(f"{tenant}:customerPayment", n)
        payment = {  # the payment reconciliation journal's line, as posted (in no cash journal)
            "@odata.etag": etag(payment_id),
            "id": payment_id,
            "journalId": None,
            "journalDisplayName": "Payment reconciliation (bank statement)",
            "lineNumber": 0,
            "companyId": invoice["companyId"],
            "customerId": invoice["customerId"],
            "customerNumber": invoice["customerNumber"],
            "postingDate": self.clock().date().isoformat(),
            "documentNumber": f"BNK{n:06d}",
            "externalDocumentNumber": reference[:35],
            "amount": amount,
            "appliesToInvoiceId": invoice["id"],
            "appliesToInvoiceNumber": invoice["number"],
            "description": f"Bank transfer {reference}"[:100],
            "comment": None,
            "postedAt": now,
            "lastModifiedDateTime": now,
        }
        self.tables.insert(tenant, POSTED, payment)
        self.settle(invoice, now, paid=amount)
        return dict(payment)

    def _pending(self, tenant: str, invoice_id: str) -> Decimal:
        """What the journal lines entered for the invoice and not posted yet will take off it
        (the lines of every journal of its company: an invoice's own index bucket)."""
        lines = self.tables.where(tenant, PAYMENTS, "appliesToInvoiceId", invoice_id)
        return sum((p["amount"] for p in lines), Decimal(0))

    # -- HTTP --------------------------------------------------------------------------------

    def _send_invoice(self, call: Call) -> Reply:
        """Send a posted invoice to its customer (each send is one more e-mail)."""
        invoice = self._owned(call, "salesInvoices")
        check_if_match(call, invoice, required=False)
        if invoice["status"] == "Draft":
            raise refused(
                f"invoice {invoice['number']} is a draft: post it before sending it",
                "status",
                "not posted",
            )
        n = self.tables.next_number(call.tenant, MAIL)
        self.tables.insert(
            call.tenant,
            MAIL,
            {
                "id": str(n),
                "invoiceId": invoice["id"],
                "number": invoice["number"],
                "companyId": invoice["companyId"],
                "customerId": invoice["customerId"],
                "currencyCode": invoice["currencyCode"],
                "totalAmountIncludingTax": invoice["totalAmountIncludingTax"],
                "dueDate": invoice.get("dueDate"),
                "sentAt": iso(self.clock()),
            },
        )
        return Reply(204)

    def _read_payment(self, call: Call) -> Reply:
        """A line of the journal; a posted payment is no line any more (404, as in BC)."""
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        payment = self.tables.get(call.tenant, PAYMENTS, call.params["id"], "payment")
        if payment["journalId"] != journal["id"]:
            raise Problem(
                404, "Not Found", f"payment {payment['id']!r} is not in journal {journal['code']}"
            )
        return tagged(200, payment)

    def _create_payment(self, call: Call) -> Reply:
        return self._new_payment(call)

    def _new_payment(self, call: Call) -> Reply:
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        company = self._company(call)
        data = call.parse(CustomerPaymentIn)
        if data.appliesToInvoiceId is None and data.appliesToInvoiceNumber is None:
            raise refused("a payment must apply to an invoice", "appliesToInvoiceId", "required")
        customer = self._customer(call, company, data.customerId, data.customerNumber)
        invoice, field = self._customers_invoice(
            call,
            company,
            customer,
            ("appliesToInvoiceId", data.appliesToInvoiceId),
            ("appliesToInvoiceNumber", data.appliesToInvoiceNumber),
        )
        if invoice["status"] != "Open":
            raise refused(
                f"invoice {invoice['number']} is {invoice['status']}; only Open invoices take "
                "payments",
                field,
                "not Open",
            )
        unit = quantum(invoice["currencyCode"])
        try:
            exact = data.amount == data.amount.quantize(unit)
        except ArithmeticError:  # beyond Decimal's context (1e30, 1e999999)
            exact = False
        if not exact:
            currency = invoice["currencyCode"]
            raise refused(
                f"amount {data.amount} is not a {currency} amount (at most "
                f"{MINOR_UNITS[currency]} decimals, within range)",
                "amount",
                f"not a {currency} amount",
            )
        pending = self._pending(call.tenant, invoice["id"])
        owed = invoice["remainingAmount"] - pending
        if data.amount > owed:
            raise refused(
                f"amount {data.amount} exceeds what invoice {invoice['number']} still owes: "
                f"{invoice['remainingAmount']} remaining, {pending} in unposted payments",
                "amount",
                f"at most {owed}",
            )
        n = self.tables.next_number(call.tenant, PAYMENTS)
        now = iso(self.clock())
        payment_id = guid(f"{call.tenant}:customerPayment", n)
        payment = {
            "@odata.etag": etag(payment_id),
            "id": payment_id,
            "journalId": journal["id"],
            "journalDisplayName": journal["displayName"],
            "lineNumber": self._next_line(call.tenant, journal["id"]),
            "companyId": company["id"],
            **plain(data),
            "customerId": customer["id"],
            "customerNumber": customer["number"],
            "postingDate": (data.postingDate or self.clock().date()).isoformat(),
            "documentNumber": data.documentNumber or f"PMT{n:06d}",
            "appliesToInvoiceId": invoice["id"],
            "appliesToInvoiceNumber": invoice["number"],
            "lastModifiedDateTime": now,
        }
        return tagged(201, self.tables.insert(call.tenant, PAYMENTS, payment))

    def _next_line(self, tenant: str, journal_id: str) -> int:
        """BC numbers a new line 10000 past the journal's last one (10000 in an empty
        journal, as a journal is after posting): the last line of the journal's bucket."""
        table = self.tables.table(tenant, PAYMENTS)
        keys = table.keys_where("journalId", journal_id)
        return int(table[keys[-1]]["lineNumber"]) + 10000 if keys else 10000

    def _post_journal(self, call: Call) -> Reply:
        """Post every line of the journal, all or nothing: each is applied to its invoice and
        leaves the journal (BC deletes posted lines), kept only in the mock's ``POSTED``."""
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        check_if_match(call, journal, required=False)
        pending = list(self.tables.where(call.tenant, PAYMENTS, "journalId", journal["id"]))
        owed: dict[str, Decimal] = {}
        errors = []
        for payment in pending:
            invoice = self.tables.get(call.tenant, "salesInvoices", payment["appliesToInvoiceId"])
            left = owed.get(invoice["id"], invoice["remainingAmount"])
            if invoice["status"] != "Open":
                field, message = "appliesToInvoiceId", f"invoice is {invoice['status']}"
            elif payment["amount"] > left:
                field, message = "amount", f"exceeds the {left} the invoice still owes"
            else:
                owed[invoice["id"]] = left - payment["amount"]
                continue
            errors.append(
                {"field": f"customerPayments({payment['id']}).{field}", "message": message}
            )
        if errors:
            raise Problem(
                422,
                "Unprocessable Entity",
                f"journal {journal['code']} was not posted: {len(errors)} payment(s) do not apply",
                errors=errors,
            )
        now = iso(self.clock())
        lines = self.tables.table(call.tenant, PAYMENTS)
        for payment in pending:
            invoice = self.tables.get(call.tenant, "salesInvoices", payment["appliesToInvoiceId"])
            self.settle(invoice, now, paid=payment["amount"])
            del lines[payment["id"]]
            payment["postedAt"] = now
            self.tables.insert(call.tenant, POSTED, payment)
        if pending:
            touch(journal, now)
        return Reply(204)
