"""ERP mock mirroring Dynamics 365 Business Central's API v2.0: companies (the firm's legal
entities), customers, sales invoices with lines (deep insert), and the ``post`` action.

Invoice creation honours an ``Idempotency-Key`` header the way Stripe and Xero do: the first
response is stored and replayed, and the same key with a different body is refused. Lines carry
``sourceItemIds`` and ``contractVersionId`` (custom fields, as a BC extension would add) so
every billed amount traces back to the PSA items and the contract version it was priced from.
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mocks._exchange_rates import daily_rate
from mocks._http import Call, Problem, Reply, VendorApp, not_null
from mocks._state import Clock, Tables, guid, iso, plain

__all__ = ["ErpMock"]

API = "/api/v2.0"
CO = API + "/companies({company_id})"
MAX_TOP = 1000
MINOR_UNITS = {
    "EUR": 2,
    "GBP": 2,
    "USD": 2,
    "INR": 2,
    "JPY": 0,
    "CHF": 2,
    "SEK": 2,
    "PLN": 2,
    "CAD": 2,
    "AUD": 2,
    "SGD": 2,
    "BHD": 3,
    "KWD": 3,
}
_RATE_FILTER = re.compile(
    r"^currencyCode eq '(?P<currency>[A-Z]{3})' and startingDate eq (?P<day>\d{4}-\d{2}-\d{2})$"
)
_FILTER = re.compile(r"^(?P<field>\w+) eq '(?P<value>[^']*)'$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_Currency = Field(pattern=r"^[A-Z]{3}$")


class CustomerIn(_Strict):
    displayName: str = Field(min_length=1, max_length=100)
    type: Literal["Company", "Person"] = "Company"
    addressLine1: str | None = None
    city: str | None = None
    postalCode: str | None = None
    country: str = Field(pattern=r"^[A-Z]{2}$")
    email: str | None = None
    taxRegistrationNumber: str | None = None
    currencyCode: str = _Currency


class CustomerPatch(_Strict):
    displayName: str | None = Field(default=None, min_length=1, max_length=100)
    addressLine1: str | None = None
    city: str | None = None
    email: str | None = None
    taxRegistrationNumber: str | None = None

    check = field_validator("displayName")(not_null)


class InvoiceLineIn(_Strict):
    lineType: Literal["Resource", "Item", "Account", "Comment"] = "Resource"
    description: str = Field(max_length=250)
    quantity: Decimal = Field(gt=0)
    unitPrice: Decimal
    amountExcludingTax: Decimal
    sourceItemIds: list[str] = Field(min_length=1)
    contractVersionId: str = Field(min_length=1)
    billingRole: Literal["charge", "adjustment"] = "charge"
    taxCode: str | None = Field(default=None, max_length=20)
    totalTaxAmount: Decimal = Decimal(0)

    @model_validator(mode="after")
    def _charges_are_not_negative(self) -> InvoiceLineIn:
        if self.billingRole == "charge" and self.unitPrice < 0:
            raise ValueError("unitPrice must be >= 0 on a charge line (use an adjustment line)")
        return self


class SalesInvoiceIn(_Strict):
    customerId: str
    invoiceDate: date
    dueDate: date | None = None
    currencyCode: str = _Currency
    externalDocumentNumber: str | None = Field(default=None, max_length=35)
    yourReference: str | None = Field(default=None, max_length=35)
    salesInvoiceLines: list[InvoiceLineIn] = Field(min_length=1)


class ErpMock:
    """Business Central environments per tenant; companies are the firm's legal entities."""

    vendor = "erp"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tables = Tables()
        self.app = VendorApp("erp")
        app = self.app
        app.route("GET", API + "/companies")(self._list_companies)
        app.route("GET", API + "/companies({id})")(self._read_company)
        app.route("GET", CO + "/customers")(self._lister("customers"))
        app.route("POST", CO + "/customers")(self._create_customer)
        app.route("GET", CO + "/customers({id})")(self._reader("customers"))
        app.route("PATCH", CO + "/customers({id})")(self._update_customer)
        app.route("GET", CO + "/salesInvoices")(self._lister("salesInvoices"))
        app.route("POST", CO + "/salesInvoices")(self._create_invoice)
        app.route("GET", CO + "/salesInvoices({id})")(self._reader("salesInvoices"))
        app.route("GET", CO + "/salesInvoices({id})/salesInvoiceLines")(self._list_lines)
        app.route("POST", CO + "/salesInvoices({id})/Microsoft.NAV.post")(self._post_invoice)
        app.route("GET", CO + "/currencyExchangeRates")(self._exchange_rates)

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
        company = {
            "id": guid(f"{tenant}:company", n),
            "name": name,
            "displayName": display_name or name,
            "countryCode": country,
            "region": region,
            "currencyCode": currency,
        }
        return self.tables.insert(tenant, "companies", company)["id"]

    @staticmethod
    def exchange_rate(currency: str, local: str, day: date) -> Decimal:
        """The published rate: units of ``local`` for one ``currency`` on ``day``."""
        return daily_rate(currency, local, day)

    def invoices(self, tenant: str) -> list[dict[str, Any]]:
        """Every sales invoice of every company, with its lines (for the oracle)."""
        return list(self.tables.all(tenant, "salesInvoices"))

    # -- HTTP --------------------------------------------------------------------------------

    def _company(self, call: Call) -> dict[str, Any]:
        return self.tables.get(call.tenant, "companies", call.params["company_id"], "company")

    def _list_companies(self, call: Call) -> Reply:
        return Reply(200, {"value": list(self.tables.all(call.tenant, "companies"))})

    def _read_company(self, call: Call) -> Reply:
        return Reply(200, self.tables.get(call.tenant, "companies", call.params["id"], "company"))

    def _scoped(self, call: Call, kind: str) -> list[dict[str, Any]]:
        company_id = self._company(call)["id"]
        return [r for r in self.tables.all(call.tenant, kind) if r["companyId"] == company_id]

    def _view(self, call: Call, record: dict[str, Any]) -> dict[str, Any]:
        if "salesInvoiceLines" in record and call.query.get("$expand") != "salesInvoiceLines":
            return {k: v for k, v in record.items() if k != "salesInvoiceLines"}
        return record

    def _lister(self, kind: str) -> Any:
        def list_records(call: Call) -> Reply:
            rows = self._scoped(call, kind)
            if "$filter" in call.query:
                match = _FILTER.match(call.query["$filter"])
                if match is None:
                    raise Problem(
                        400,
                        "Bad Request",
                        "supported $filter form: field eq 'value'",
                        errors=[{"field": "$filter", "message": "unsupported filter"}],
                    )
                rows = [r for r in rows if str(r.get(match["field"])) == match["value"]]
            top = call.int_query("$top", 100, low=1, high=MAX_TOP)
            skip = call.int_query("$skip", 0, low=0)
            body: dict[str, Any] = {"value": [self._view(call, r) for r in rows[skip : skip + top]]}
            if skip + top < len(rows):
                path = f"{API}/companies({call.params['company_id']})/{kind}"
                query = {k: call.query[k] for k in ("$filter", "$expand") if k in call.query}
                query.update({"$top": str(top), "$skip": str(skip + top)})
                link = urlencode(query, safe="$'", quote_via=quote)
                body["@odata.nextLink"] = f"{path}?{link}"
            return Reply(200, body)

        return list_records

    def _reader(self, kind: str) -> Any:
        def read(call: Call) -> Reply:
            record = self._owned(call, kind)
            return Reply(200, self._view(call, record))

        return read

    def _owned(self, call: Call, kind: str) -> dict[str, Any]:
        company = self._company(call)
        record = self.tables.get(call.tenant, kind, call.params["id"], kind.rstrip("s"))
        if record["companyId"] != company["id"]:
            raise Problem(
                404,
                "Not Found",
                f"{kind.rstrip('s')} {record['id']!r} does not exist in company {company['id']!r}",
            )
        return record

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
        return Reply(201, self.tables.insert(call.tenant, "customers", customer))

    def _update_customer(self, call: Call) -> Reply:
        customer = self._owned(call, "customers")
        customer.update(
            plain(call.parse(CustomerPatch), exclude_unset=True),
            lastModifiedDateTime=iso(self.clock()),
        )
        return Reply(200, customer)

    def _create_invoice(self, call: Call) -> Reply:
        key = call.headers.get("idempotency-key")
        fingerprint = hashlib.sha256(call.content).hexdigest()
        if key is not None:
            seen = self.tables.table(call.tenant, "idempotency").get(key)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    raise Problem(
                        422,
                        "Unprocessable Entity",
                        f"Idempotency-Key {key!r} was already used with different parameters",
                        errors=[{"field": "Idempotency-Key", "message": "reused"}],
                    )
                body = copy.deepcopy(seen["body"])
                return Reply(seen["status"], body, {"idempotent-replayed": "true"})
        reply = self._new_invoice(call)
        if key is not None:  # a snapshot: later posting must not change what is replayed
            snapshot = copy.deepcopy(reply.body)
            self.tables.insert(
                call.tenant,
                "idempotency",
                {"id": key, "fingerprint": fingerprint, "status": reply.status, "body": snapshot},
            )
        return reply

    def _new_invoice(self, call: Call) -> Reply:
        company = self._company(call)
        data = call.parse(SalesInvoiceIn)
        customer = self.tables.get(call.tenant, "customers", data.customerId, "customer")
        if customer["companyId"] != company["id"]:
            raise Problem(
                422,
                "Unprocessable Entity",
                "customer belongs to another company",
                errors=[{"field": "customerId", "message": "not in this company"}],
            )
        minor = MINOR_UNITS.get(data.currencyCode)
        if minor is None:
            raise Problem(
                422,
                "Unprocessable Entity",
                f"currency {data.currencyCode} is not set up",
                errors=[{"field": "currencyCode", "message": "unknown currency"}],
            )
        quantum = Decimal(1).scaleb(-minor)
        errors = []
        for k, line in enumerate(data.salesInvoiceLines):
            exact: Decimal | str = "out of range"
            try:
                exact = line.quantity * line.unitPrice
                consistent = (
                    line.amountExcludingTax == line.amountExcludingTax.quantize(quantum)
                    and abs(exact - line.amountExcludingTax) < quantum
                )
            except ArithmeticError:  # beyond Decimal's context (values like 1e30 or 1e999999)
                consistent = False
            if not consistent:
                errors.append(
                    {
                        "field": f"salesInvoiceLines[{k}].amountExcludingTax",
                        "message": f"must be quantity x unitPrice ({exact}) rounded to "
                        f"{minor} decimals",
                    }
                )
            if line.totalTaxAmount != line.totalTaxAmount.quantize(quantum):
                errors.append(
                    {
                        "field": f"salesInvoiceLines[{k}].totalTaxAmount",
                        "message": f"must have at most {minor} decimals",
                    }
                )
        if errors:
            raise Problem(422, "Unprocessable Entity", "inconsistent line amounts", errors=errors)
        n = self.tables.next_number(call.tenant, "salesInvoices")
        invoice_id = guid(f"{call.tenant}:salesInvoice", n)
        lines = [
            {
                "id": guid(f"{invoice_id}:line", k + 1),
                "documentId": invoice_id,
                "sequence": 10000 * (k + 1),
                **plain(line),
            }
            for k, line in enumerate(data.salesInvoiceLines)
        ]
        total = sum((line.amountExcludingTax for line in data.salesInvoiceLines), Decimal(0))
        tax = sum((line.totalTaxAmount for line in data.salesInvoiceLines), Decimal(0))
        for line_record in lines:
            line_record["amountIncludingTax"] = (
                line_record["amountExcludingTax"] + line_record["totalTaxAmount"]
            )
        header = plain(data, exclude={"salesInvoiceLines"})
        invoice = {
            "id": invoice_id,
            "number": f"S-INV{n:06d}",
            "companyId": company["id"],
            **header,
            "customerNumber": customer["number"],
            "customerName": customer["displayName"],
            "status": "Draft",
            "totalAmountExcludingTax": total,
            "totalTaxAmount": tax,
            "totalAmountIncludingTax": total + tax,
            "remainingAmount": total + tax,
            "postedAt": None,
            "lastModifiedDateTime": iso(self.clock()),
            "salesInvoiceLines": lines,
        }
        self.tables.insert(call.tenant, "salesInvoices", invoice)
        return Reply(201, invoice)

    def _exchange_rates(self, call: Call) -> Reply:
        """The daily rate of one currency against the company's own, for one day (a filter of
        ``currencyCode eq 'XXX' and startingDate eq YYYY-MM-DD`` is required: the series is
        daily and unbounded)."""
        company = self._company(call)
        match = _RATE_FILTER.match(call.query.get("$filter", ""))
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
        return Reply(200, {"value": self._owned(call, "salesInvoices")["salesInvoiceLines"]})

    def _post_invoice(self, call: Call) -> Reply:
        invoice = self._owned(call, "salesInvoices")
        if invoice["status"] == "Draft":
            now = iso(self.clock())
            invoice.update(status="Open", postedAt=now, lastModifiedDateTime=now)
        elif invoice["status"] != "Open":
            raise Problem(409, "Conflict", f"invoice {invoice['number']} is {invoice['status']}")
        return Reply(204)
