"""ERP mock mirroring Dynamics 365 Business Central's API v2.0: companies (the firm's legal
entities), customers, sales invoices with lines (deep insert), and the ``post`` action; customer
payments through payment journals (``mocks._erp_cash``) and sales credit memos
(``mocks._erp_credits``), both applied to the invoices they settle.

Like Business Central, it offers no server-side idempotency: an ``Idempotency-Key`` header is
ignored as BC ignores any header it does not know, and a POST sent twice makes two documents. A
client de-duplicates by looking up its own business key first (``$filter=externalDocumentNumber
eq '...'`` or ``customerPurchaseOrderReference``, BC's "Your Reference", both indexed here so
the look-up costs a page). Lines are written as BC v2.0 takes them (``mocks._erp_lines.LineIn``:
G/L account, description, quantity, unit price, discount, tax code) and BC computes their
amounts, and their tax through its AvaTax connector (``mocks._erp_tax``); what a line bills is
the client's to say in its description (BC has no field for it). An invoice's
``remainingAmount`` is always ``totalAmountIncludingTax - creditedAmount - paidAmount`` (posted
credit memos and posted payments applied to it).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from mocks._auth import secure
from mocks._erp_base import API, CO, INDEXES, Strict, currency_field
from mocks._erp_batch import mount_batch
from mocks._erp_cash import CashMixin
from mocks._erp_changes import ErpTables
from mocks._erp_credits import CreditMemosMixin
from mocks._erp_errors import as_bc, refused
from mocks._erp_etags import check_if_match, etag, tagged, touch
from mocks._erp_lines import LineIn, priced_lines
from mocks._exchange_rates import daily_rate
from mocks._http import Call, IsoDate, Problem, Reply, VendorApp, not_null
from mocks._state import Clock, guid, iso, plain

__all__ = ["ErpMock"]

_RATE_FILTER = re.compile(
    r"currencyCode eq '(?P<currency>[A-Z]{3})'"
    r" and startingDate eq (?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})"
)


class CustomerIn(Strict):
    """BC's customer create body; text lengths are its Customer table's (ID 18, cited in
    contracts/erp.yaml: a longer value is BC's 400)."""

    displayName: str = Field(min_length=1, max_length=100)
    type: Literal["Company", "Person"] = "Company"
    addressLine1: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=30)
    state: str | None = Field(default=None, max_length=30)
    postalCode: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    email: str | None = Field(default=None, max_length=80)
    taxRegistrationNumber: str | None = Field(default=None, max_length=20)
    currencyCode: str = currency_field()


class CustomerPatch(Strict):
    displayName: str | None = Field(default=None, min_length=1, max_length=100)
    addressLine1: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=30)
    state: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=80)
    taxRegistrationNumber: str | None = Field(default=None, max_length=20)

    check = field_validator("displayName")(not_null)


class SalesInvoiceIn(Strict):
    customerId: str
    invoiceDate: IsoDate
    dueDate: IsoDate | None = None
    currencyCode: str = currency_field()
    externalDocumentNumber: str | None = Field(default=None, max_length=35)
    customerPurchaseOrderReference: str | None = Field(default=None, max_length=35)
    salesInvoiceLines: list[LineIn] = Field(min_length=1)


def _company(company: dict[str, Any]) -> dict[str, Any]:
    """A company as BC's ``companies`` serves it; its address and currency are in its
    ``companyInformation``."""
    return {k: company[k] for k in ("id", "name", "displayName")}


class ErpMock(CashMixin, CreditMemosMixin):
    """Business Central environments per tenant; companies are the firm's legal entities."""

    def __init__(self, clock: Clock, *, enforce_auth: bool = False) -> None:
        self.clock = clock
        self.tables = ErpTables(INDEXES)  # with the lastModifiedDateTime index
        self.app = VendorApp("erp")
        self.app.refine = as_bc  # every error in Business Central's words
        app = self.app
        app.route("GET", API + "/companies", scope="erp:companies.read")(self._list_companies)
        app.route("GET", API + "/companies({id})", scope="erp:companies.read")(self._read_company)
        app.route("GET", CO + "/companyInformation", scope="erp:companies.read")(
            self._company_information
        )
        app.route("GET", CO + "/customers", scope="erp:customers.read")(self._lister("customers"))
        app.route("POST", CO + "/customers", scope="erp:customers.write")(self._create_customer)
        app.route("GET", CO + "/customers({id})", scope="erp:customers.read")(
            self._reader("customers")
        )
        app.route("PATCH", CO + "/customers({id})", scope="erp:customers.write")(
            self._update_customer
        )
        app.route("GET", CO + "/salesInvoices", scope="erp:invoices.read")(
            self._lister("salesInvoices")
        )
        app.route("POST", CO + "/salesInvoices", scope="erp:invoices.write")(self._new_invoice)
        app.route("GET", CO + "/salesInvoices({id})", scope="erp:invoices.read")(
            self._reader("salesInvoices")
        )
        app.route("GET", CO + "/salesInvoices({id})/salesInvoiceLines", scope="erp:invoices.read")(
            self._list_lines
        )
        app.route(
            "POST", CO + "/salesInvoices({id})/Microsoft.NAV.post", scope="erp:invoices.write"
        )(self._post_invoice)
        app.route("GET", CO + "/currencyExchangeRates", scope="erp:currencies.read")(
            self._exchange_rates
        )
        self._cash_routes()
        self._credit_memo_routes()
        self.tables.watch(app)  # notes the records each request touches
        self.receive_transfer = self.tables.noted(self.receive_transfer)  # type: ignore[method-assign]
        mount_batch(app)  # POST /api/v2.0/$batch: each inner request through app.dispatch
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- set-up and inspection by the simulated firm ----------------------------------------

    def add_company(
        self,
        tenant: str,
        name: str,
        country: str,
        currency: str,
        display_name: str = "",
        region: str | None = None,
    ) -> str:
        n = self.tables.next_number(tenant, "companies")
        company_id = guid(f"{tenant}:company", n)
        company = {
            "id": company_id,
            "name": name,
            "displayName": display_name or name,
            "countryCode": country,
            "region": region,
            "currencyCode": currency,
        }
        self.tables.insert(tenant, "companies", company)
        self._add_journal(tenant, company_id)
        return company_id

    @staticmethod
    def exchange_rate(currency: str, local: str, day: date) -> Decimal:
        """The published rate: units of ``local`` for one ``currency`` on ``day``."""
        return daily_rate(currency, local, day)

    def invoices(self, tenant: str) -> list[dict[str, Any]]:
        """Every sales invoice of every company, with its lines (for the oracle)."""
        return list(self.tables.all(tenant, "salesInvoices"))

    # -- HTTP --------------------------------------------------------------------------------

    def _list_companies(self, call: Call) -> Reply:
        return Reply(
            200, {"value": [_company(c) for c in self.tables.all(call.tenant, "companies")]}
        )

    def _read_company(self, call: Call) -> Reply:
        company = self.tables.get(call.tenant, "companies", call.params["id"], "company")
        return Reply(200, _company(company))

    def _company_information(self, call: Call) -> Reply:
        """The company's one information record: its address and local currency."""
        company = self._company(call)
        info_id = guid(f"{company['id']}:companyInformation", 1)
        info = {
            "@odata.etag": etag(info_id),
            "id": info_id,
            "displayName": company["displayName"],
            "country": company["countryCode"],
            "state": company["region"],
            "currencyCode": company["currencyCode"],
        }
        return Reply(200, {"value": [info]})

    def _create_customer(self, call: Call) -> Reply:
        company = self._company(call)
        data = plain(call.parse(CustomerIn))
        n = self.tables.next_number(call.tenant, "customers")
        customer = {
            "id": guid(f"{call.tenant}:customer", n),
            "number": f"C{n:05d}",
            "companyId": company["id"],
            **data,
            "lastModifiedDateTime": iso(self.clock()),
        }
        customer["@odata.etag"] = etag(customer["id"])
        return tagged(201, self.tables.insert(call.tenant, "customers", customer))

    def _update_customer(self, call: Call) -> Reply:
        customer = self._owned(call, "customers")
        check_if_match(call, customer)
        customer.update(plain(call.parse(CustomerPatch), exclude_unset=True))
        touch(customer, iso(self.clock()))
        self.tables.table(call.tenant, "customers").reindex(customer["id"])  # displayName
        return tagged(200, customer)

    def _new_invoice(self, call: Call) -> Reply:
        company = self._company(call)
        data = call.parse(SalesInvoiceIn)
        customer = self.tables.get(call.tenant, "customers", data.customerId, "customer")
        if customer["companyId"] != company["id"]:
            raise refused(
                "customer belongs to another company", "customerId", "not in this company"
            )
        nets = priced_lines(data.salesInvoiceLines, data.currencyCode, "salesInvoiceLines")
        invoice = self._new_document(
            call, "salesInvoices", "S-INV", company, customer, data, "salesInvoiceLines",
            data.invoiceDate, nets, paidAmount=Decimal(0), creditedAmount=Decimal(0),
            remainingAmount=None,
        )  # fmt: skip
        return tagged(201, invoice)

    def _exchange_rates(self, call: Call) -> Reply:
        """The daily rate of one currency against the company's own, for one day (a filter of
        ``currencyCode eq 'XXX' and startingDate eq YYYY-MM-DD`` is required: the series is
        daily and unbounded)."""
        company = self._company(call)
        match = _RATE_FILTER.fullmatch(call.query.get("$filter", ""))
        if match is None:
            raise Problem(
                400,
                "Bad Request",
                "$filter must be: currencyCode eq 'XXX' and startingDate eq YYYY-MM-DD",
                errors=[{"field": "$filter", "message": "unsupported filter"}],
            )
        try:
            day = date.fromisoformat(match["day"])
            rate = daily_rate(match["currency"], company["currencyCode"], day)
        except (ValueError, KeyError) as exc:
            raise Problem(
                422,
                "Unprocessable Entity",
                str(exc).strip("'"),
                errors=[{"field": "$filter", "message": "no such rate"}],
            ) from None
        row = {
            "id": guid(f"{company['id']}:rate:{match['currency']}", day.toordinal()),
            "currencyCode": match["currency"],
            "startingDate": day.isoformat(),
            "exchangeRateAmount": Decimal(1),
            "relationalCurrencyCode": company["currencyCode"],
            "relationalExchangeRateAmount": rate,
        }
        return Reply(200, {"value": [row]})

    def _list_lines(self, call: Call) -> Reply:
        return Reply(200, {"value": list(self._owned(call, "salesInvoices")["salesInvoiceLines"])})

    def _post_invoice(self, call: Call) -> Reply:
        """Draft -> Open; an invoice already posted (Open or Paid) is left alone. An
        ``If-Match`` sent must be the invoice's current tag (BC checks it only when sent)."""
        invoice = self._owned(call, "salesInvoices")
        check_if_match(call, invoice, required=False)
        if invoice["status"] == "Draft":
            now = iso(self.clock())
            invoice.update(status="Open", postedAt=now)
            touch(invoice, now)
        return Reply(204)
