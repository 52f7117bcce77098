"""Business Central customer payment journals and customer payments, for the ERP mock.

Each company has one payment journal (code ``CASH``), set up with the company. A payment is a
journal line that names the customer and the invoice it pays; it is checked when it is entered
(customer and invoice of this company, the invoice Open and owed at least the amount, counting
the journal lines not yet posted) and applied when its journal is posted: ``Microsoft.NAV.post``
on the journal posts every unposted line at once, or none of them if one no longer fits.
Posted lines stay listed (status ``Posted``), unlike Business Central, which deletes them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from mocks._erp_base import CO, MINOR_UNITS, ErpBase, Strict, quantum, unprocessable
from mocks._http import Call, IsoDate, Problem, Reply, not_null
from mocks._state import guid, iso, plain

__all__ = ["CashMixin"]

JOURNALS = CO + "/customerPaymentJournals"
JOURNAL = JOURNALS + "({journal_id})"


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
        app.route("GET", JOURNALS, scope="erp:payments.read")(
            self._lister("customerPaymentJournals")
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

    def _add_journal(self, tenant: str, company_id: str) -> None:
        n = self.tables.next_number(tenant, "customerPaymentJournals")
        journal = {
            "id": guid(f"{tenant}:customerPaymentJournal", n),
            "code": "CASH",
            "displayName": "Cash receipts",
            "companyId": company_id,
            "lastModifiedDateTime": iso(self.clock()),
        }
        self.tables.insert(tenant, "customerPaymentJournals", journal)

    def payments(self, tenant: str) -> list[dict[str, Any]]:
        """Every customer payment of every journal and company, posted or not (for the oracle)."""
        return list(self.tables.all(tenant, "customerPayments"))

    # -- HTTP --------------------------------------------------------------------------------

    def _read_payment(self, call: Call) -> Reply:
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        payment = self.tables.get(call.tenant, "customerPayments", call.params["id"], "payment")
        if payment["journalId"] != journal["id"]:
            raise Problem(
                404, "Not Found", f"payment {payment['id']!r} is not in journal {journal['code']}"
            )
        return Reply(200, payment)

    def _create_payment(self, call: Call) -> Reply:
        return self._idempotent(call, self._new_payment)

    def _new_payment(self, call: Call) -> Reply:
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        company = self._company(call)
        data = call.parse(CustomerPaymentIn)
        if data.appliesToInvoiceId is None and data.appliesToInvoiceNumber is None:
            raise unprocessable(
                "a payment must apply to an invoice", "appliesToInvoiceId", "required"
            )
        customer = self._customer(call, company, data.customerId, data.customerNumber)
        invoice, field = self._customers_invoice(
            call,
            company,
            customer,
            ("appliesToInvoiceId", data.appliesToInvoiceId),
            ("appliesToInvoiceNumber", data.appliesToInvoiceNumber),
        )
        if invoice["status"] != "Open":
            raise unprocessable(
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
            raise unprocessable(
                f"amount {data.amount} is not a {currency} amount (at most "
                f"{MINOR_UNITS[currency]} decimals, within range)",
                "amount",
                f"not a {currency} amount",
            )
        pending = sum(
            (
                p["amount"]
                for p in self.tables.where(
                    call.tenant, "customerPayments", "appliesToInvoiceId", invoice["id"]
                )
                if p["appliesToInvoiceId"] == invoice["id"] and p["status"] == "Draft"
            ),
            Decimal(0),
        )
        owed = invoice["remainingAmount"] - pending
        if data.amount > owed:
            raise unprocessable(
                f"amount {data.amount} exceeds what invoice {invoice['number']} still owes: "
                f"{invoice['remainingAmount']} remaining, {pending} in unposted payments",
                "amount",
                f"at most {owed}",
            )
        n = self.tables.next_number(call.tenant, "customerPayments")
        line = self.tables.next_number(call.tenant, f"customerPayments:{journal['id']}")
        now = iso(self.clock())
        payment = {
            "id": guid(f"{call.tenant}:customerPayment", n),
            "journalId": journal["id"],
            "journalDisplayName": journal["displayName"],
            "lineNumber": 10000 * line,
            "companyId": company["id"],
            **plain(data),
            "customerId": customer["id"],
            "customerNumber": customer["number"],
            "postingDate": (data.postingDate or self.clock().date()).isoformat(),
            "documentNumber": data.documentNumber or f"PMT{n:06d}",
            "appliesToInvoiceId": invoice["id"],
            "appliesToInvoiceNumber": invoice["number"],
            "status": "Draft",
            "postedAt": None,
            "lastModifiedDateTime": now,
        }
        return Reply(201, self.tables.insert(call.tenant, "customerPayments", payment))

    def _post_journal(self, call: Call) -> Reply:
        """Post every unposted payment of the journal, all or nothing."""
        journal = self._owned(call, "customerPaymentJournals", "journal_id")
        pending = [
            p
            for p in self.tables.where(call.tenant, "customerPayments", "journalId", journal["id"])
            if p["status"] == "Draft"
        ]
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
        for payment in pending:
            invoice = self.tables.get(call.tenant, "salesInvoices", payment["appliesToInvoiceId"])
            self.settle(invoice, now, paid=payment["amount"])
            payment.update(status="Posted", postedAt=now, lastModifiedDateTime=now)
        if pending:
            journal["lastModifiedDateTime"] = now
        return Reply(204)
