"""Business Central sales credit memos (with lines, deep insert), for the ERP mock.

A credit memo is priced like an invoice (same line model and checks) and may name the invoice
it corrects (``invoiceId`` or ``invoiceNumber``): one of the same company, customer and
currency. Posting it (``Microsoft.NAV.post``) applies its ``totalAmountIncludingTax`` to that
invoice, which must then be posted (Open or Paid) and still owe at least that much; a credit
memo applied in full is ``Paid``, one that names no invoice stays ``Open`` (unapplied credit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from mocks._erp_base import CO, ErpBase, Strict, currency_field
from mocks._erp_errors import refused
from mocks._erp_etags import check_if_match, tagged, touch
from mocks._erp_lines import LineIn, priced_lines
from mocks._http import Call, IsoDate, Reply, not_null
from mocks._state import iso

__all__ = ["CreditMemosMixin"]

MEMOS = CO + "/salesCreditMemos"
MEMO = MEMOS + "({id})"


class SalesCreditMemoIn(Strict):
    customerId: str | None = None
    customerNumber: str | None = Field(default=None, max_length=20)
    creditMemoDate: IsoDate
    dueDate: IsoDate | None = None
    currencyCode: str = currency_field()
    externalDocumentNumber: str | None = Field(default=None, max_length=35)
    invoiceId: str | None = None
    invoiceNumber: str | None = Field(default=None, max_length=20)
    salesCreditMemoLines: list[LineIn] = Field(min_length=1)

    check = field_validator("customerId", "customerNumber")(not_null)


class CreditMemosMixin(ErpBase):
    """Sales credit memos and their lines."""

    def _credit_memo_routes(self) -> None:
        app = self.app
        app.route("GET", MEMOS, scope="erp:credits.read")(self._lister("salesCreditMemos"))
        app.route("POST", MEMOS, scope="erp:credits.write")(self._create_credit_memo)
        app.route("GET", MEMO, scope="erp:credits.read")(self._reader("salesCreditMemos"))
        app.route("GET", MEMO + "/salesCreditMemoLines", scope="erp:credits.read")(
            self._list_credit_memo_lines
        )
        app.route("POST", MEMO + "/Microsoft.NAV.post", scope="erp:credits.write")(
            self._post_credit_memo
        )

    def credit_memos(self, tenant: str) -> list[dict[str, Any]]:
        """Every sales credit memo of every company, with its lines (for the oracle)."""
        return list(self.tables.all(tenant, "salesCreditMemos"))

    # -- HTTP --------------------------------------------------------------------------------

    def _list_credit_memo_lines(self, call: Call) -> Reply:
        memo = self._owned(call, "salesCreditMemos")
        return Reply(200, {"value": list(memo["salesCreditMemoLines"])})

    def _create_credit_memo(self, call: Call) -> Reply:
        return self._new_credit_memo(call)

    def _new_credit_memo(self, call: Call) -> Reply:
        company = self._company(call)
        data = call.parse(SalesCreditMemoIn)
        customer = self._customer(call, company, data.customerId, data.customerNumber)
        invoice: dict[str, Any] | None = None
        if data.invoiceId is not None or data.invoiceNumber is not None:
            invoice, _ = self._customers_invoice(
                call,
                company,
                customer,
                ("invoiceId", data.invoiceId),
                ("invoiceNumber", data.invoiceNumber),
            )
            if invoice["currencyCode"] != data.currencyCode:
                raise refused(
                    f"invoice {invoice['number']} is in {invoice['currencyCode']}",
                    "currencyCode",
                    "must be the invoice's currency",
                )
        nets = priced_lines(data.salesCreditMemoLines, data.currencyCode, "salesCreditMemoLines")
        net = sum(nets, Decimal(0))
        if net < 0:
            raise refused(
                f"the credit memo totals {net} before tax; it must be 0 or more",
                "salesCreditMemoLines",
                "negative total",
            )
        memo = self._new_document(
            call, "salesCreditMemos", "S-CR", company, customer, data, "salesCreditMemoLines",
            data.creditMemoDate, nets, invoiceId=invoice["id"] if invoice else None,
            invoiceNumber=invoice["number"] if invoice else None,
        )  # fmt: skip
        return tagged(201, memo)

    def _post_credit_memo(self, call: Call) -> Reply:
        """Draft -> Open (or Paid when applied to its invoice); posted memos are left alone."""
        memo = self._owned(call, "salesCreditMemos")
        check_if_match(call, memo, required=False)
        if memo["status"] != "Draft":
            return Reply(204)
        now = iso(self.clock())
        if memo["invoiceId"] is None:
            memo.update(status="Open", postedAt=now)
            touch(memo, now)
            return Reply(204)
        invoice = self.tables.get(call.tenant, "salesInvoices", memo["invoiceId"])
        if invoice["status"] not in ("Open", "Paid"):
            raise refused(
                f"invoice {invoice['number']} is {invoice['status']}; post it first",
                "invoiceId",
                "not posted",
            )
        if memo["totalAmountIncludingTax"] > invoice["remainingAmount"]:
            raise refused(
                f"credit memo {memo['number']} totals {memo['totalAmountIncludingTax']} but "
                f"invoice {invoice['number']} owes only {invoice['remainingAmount']}",
                "totalAmountIncludingTax",
                f"at most {invoice['remainingAmount']}",
            )
        self.settle(invoice, now, credited=memo["totalAmountIncludingTax"])
        memo.update(status="Paid", postedAt=now)
        touch(memo, now)
        return Reply(204)
