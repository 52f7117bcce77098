"""What every Business Central document of the ERP mock shares: company scoping, OData-style
lists, storing a new document with its lines, and applying cash and credits to an invoice.
What BC computes on the lines (amounts, discounts, totals) is ``mocks._erp_lines``'s.

The ERP mock's resources (``mocks.erp``, ``mocks._erp_cash``, ``mocks._erp_credits``) are
mixins over ``ErpBase``. An invoice's ``remainingAmount`` is kept equal to
``totalAmountIncludingTax - creditedAmount - paidAmount`` by ``settle``, the only place that
changes it after creation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field

from mocks._erp_changes import ErpTables
from mocks._erp_errors import refused
from mocks._erp_etags import INTERNAL, etag, listed, tagged, touch
from mocks._erp_lines import LineIn, document_totals, line_records
from mocks._erp_odata import (
    Query,
    bad_token,
    field_types,
    indexed_equalities,
    matches,
    page_size,
    parsed_query,
    resumed,
    sort_key,
    stamp_range,
)
from mocks._erp_tax import TaxConnector, line_taxes
from mocks._http import Call, Problem, Reply, VendorApp
from mocks._state import Clock, Tables, guid, iso, plain

__all__ = ["API", "CO", "INDEXES", "ErpBase", "Strict", "currency_field"]

API = "/api/v2.0"
CO = API + "/companies({company_id})"
LINES = ("salesInvoiceLines", "salesCreditMemoLines")
# The fields lists and lookups find records by (never changed once a record exists): a page of
# a company's invoices, a journal's payments or a document by number costs a page, not a table.
INDEXES: dict[str, tuple[str, ...]] = {
    "customers": ("companyId", "number", "displayName"),
    # the business keys a client looks a document up by before it writes it again (Business
    # Central has no idempotency keys: de-duplication is the client's, on its own document ids)
    "salesInvoices": (
        "companyId",
        "number",
        "externalDocumentNumber",
        "customerPurchaseOrderReference",
    ),
    "salesCreditMemos": ("companyId", "number", "externalDocumentNumber"),
    "customerPaymentJournals": ("companyId",),
    "customerPayments": ("companyId", "journalId", "appliesToInvoiceId", "externalDocumentNumber"),
}
Handler = Callable[[Call], Reply]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def currency_field() -> Any:
    return Field(pattern=r"^[A-Z]{3}$")


class ErpBase:
    """Company-scoped lookups and lists shared by every ERP resource."""

    vendor = "erp"
    tax_connector: TaxConnector | None = None  # set by whoever sets the ERP up (the world)
    clock: Clock
    tables: Tables
    app: VendorApp

    # -- lookups -------------------------------------------------------------------------

    def _company(self, call: Call) -> dict[str, Any]:
        return self.tables.get(call.tenant, "companies", call.params["company_id"], "company")

    def _owned(self, call: Call, kind: str, param: str = "id") -> dict[str, Any]:
        """The record named by path parameter ``param``, which must be in the path's company."""
        company = self._company(call)
        label = kind.removesuffix("s")
        record = self.tables.get(call.tenant, kind, call.params[param], label)
        if record["companyId"] != company["id"]:
            raise Problem(
                404,
                "Not Found",
                f"{label} {record['id']!r} does not exist in company {company['id']!r}",
            )
        return record

    def _referenced(
        self,
        call: Call,
        company: dict[str, Any],
        kind: str,
        by_id: tuple[str, str | None],
        by_number: tuple[str, str | None],
    ) -> tuple[dict[str, Any], str]:
        """A record a body refers to by id or by number (both must then agree), and the name
        of the field that referred to it. Unknown is a 404 and another company's a 400, each
        naming the field."""
        (id_field, record_id), (number_field, number) = by_id, by_number
        field = id_field if record_id is not None else number_field
        label = kind.removesuffix("s")
        if record_id is not None:
            record = self.tables.table(call.tenant, kind).get(record_id)
        else:
            record = next(self.tables.where(call.tenant, kind, "number", str(number)), None)
        if record is None:
            raise Problem(
                404,
                "Not Found",
                f"{label} {record_id or number!r} does not exist",
                errors=[{"field": field, "message": "no such record"}],
            )
        if number is not None and record["number"] != number:
            raise refused(
                f"{number_field} {number!r} is not the number of {label} {record_id!r}",
                number_field,
                f"does not match {id_field}",
            )
        if record["companyId"] != company["id"]:
            raise refused(
                f"{label} {record['number']} belongs to another company",
                field,
                "not in this company",
            )
        return record, field

    def _new_document(
        self,
        call: Call,
        kind: str,
        number_prefix: str,
        company: dict[str, Any],
        customer: dict[str, Any],
        data: Any,
        lines_field: str,
        day: date,
        nets: list[Decimal],
        **extra: Any,
    ) -> dict[str, Any]:
        """A new draft sales document (invoice or credit memo) with its lines priced (``nets``:
        ``priced_lines``, which the caller has checked them with) and taxed as BC does (its
        AvaTax connector asked for the tax: ``mocks._erp_tax``), stored."""
        lines: list[LineIn] = getattr(data, lines_field)
        n = self.tables.next_number(call.tenant, kind)
        number = f"{number_prefix}{n:06d}"
        taxes = line_taxes(
            self.tax_connector, call.tenant, (number, day, data.currencyCode), company,
            customer, [(net, line.taxCode) for net, line in zip(nets, lines, strict=True)],
            -1 if kind == "salesCreditMemos" else 1,
        )  # fmt: skip
        totals = document_totals(nets, taxes)
        document_id = guid(f"{call.tenant}:{kind.removesuffix('s')}", n)
        document = {
            "@odata.etag": etag(document_id),
            "id": document_id,
            "number": number,
            "companyId": company["id"],
            **plain(data, exclude={lines_field}),
            "customerId": customer["id"],
            "customerNumber": customer["number"],
            "customerName": customer["displayName"],
            **extra,
            "status": "Draft",
            **totals,
            "postedAt": None,
            "lastModifiedDateTime": iso(self.clock()),
            lines_field: line_records(lines, document_id, nets, taxes),
        }
        if "remainingAmount" in extra:
            document["remainingAmount"] = totals["totalAmountIncludingTax"]
        return self.tables.insert(call.tenant, kind, document)

    def _customers_invoice(
        self,
        call: Call,
        company: dict[str, Any],
        customer: dict[str, Any],
        by_id: tuple[str, str | None],
        by_number: tuple[str, str | None],
    ) -> tuple[dict[str, Any], str]:
        """An invoice a payment or credit memo refers to, which must be the customer's own."""
        invoice, field = self._referenced(call, company, "salesInvoices", by_id, by_number)
        if invoice["customerId"] != customer["id"]:
            raise refused(
                f"invoice {invoice['number']} is for customer {invoice['customerNumber']}, "
                f"not {customer['number']}",
                field,
                "another customer's invoice",
            )
        return invoice, field

    def _customer(
        self, call: Call, company: dict[str, Any], customer_id: str | None, number: str | None
    ) -> dict[str, Any]:
        """The customer a body names by ``customerId`` or ``customerNumber``."""
        if customer_id is None and number is None:
            raise refused("customerId or customerNumber is required", "customerId", "required")
        customer, _ = self._referenced(
            call, company, "customers", ("customerId", customer_id), ("customerNumber", number)
        )
        return customer

    # -- presentation --------------------------------------------------------------------

    def _view(
        self, call: Call, record: dict[str, Any], select: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        """The record, without its lines unless ``$expand`` asks for them, and with only the
        ``$select``ed properties (and its ``@odata.etag``) when there is a ``$select``."""
        hidden = [k for k in LINES if k in record and call.query.get("$expand") != k]
        if select is not None:
            shown = {"@odata.etag", *select, *(k for k in LINES if k not in hidden)}
            return {k: listed(v) for k, v in record.items() if k in shown and k not in INTERNAL}
        return {k: listed(v) for k, v in record.items() if k not in hidden and k not in INTERNAL}

    def _lister(
        self,
        kind: str,
        parent: tuple[str, str, str] | None = None,
        navigation: tuple[str, str, str] | None = None,
    ) -> Handler:
        """A paged OData list of the company's ``kind`` records (``mocks._erp_odata``); with
        ``parent`` = (parent kind, path parameter, foreign key) only those of one parent
        record (a journal's payments). ``navigation`` = (navigation property, child kind,
        the child's foreign key): ``$expand=<property>`` includes each record's children
        (a journal's payments, read from the foreign key's index: a page costs its children)."""

        def list_records(call: Call) -> Reply:
            path = f"{API}/companies({call.params['company_id']})"
            if parent is None:
                where = ("companyId", self._company(call)["id"])
            else:
                parent_kind, param, key = parent
                where = (key, self._owned(call, parent_kind, param)["id"])
                path += f"/{parent_kind}({call.params[param]})"
            query = parsed_query(call, kind)
            limit = call.int_query("$top", 0, low=1) or None
            page, headers = page_size(call)
            token = call.query.get("$skiptoken")
            if query.where is None and not query.order:
                total = self.tables.count(call.tenant, kind, where)
                start = self._resume(call, kind, where, token, total)
                size = min(page, limit or page)
                chunk = self.tables.window(call.tenant, kind, start, size, where)
            else:
                rows = self._matching(call, kind, where, query)
                total = len(rows)
                start = (
                    resumed(rows, token) if token is not None else call.int_query("$skip", 0, low=0)
                )
                size = min(page, limit or page)
                chunk = rows[start : start + size]
            body: dict[str, Any] = {"value": [self._view(call, r, query.select) for r in chunk]}
            if navigation is not None and call.query.get("$expand") == navigation[0]:
                name, child, key = navigation
                for record, shown in zip(chunk, body["value"], strict=True):
                    children = self.tables.where(call.tenant, child, key, record["id"])
                    shown[name] = [self._view(call, c) for c in children]
            if chunk and start + len(chunk) < total and (limit is None or limit > len(chunk)):
                kept = ("$filter", "$select", "$orderby", "$expand")
                link = {k: call.query[k] for k in kept if k in call.query}
                if limit is not None:
                    link["$top"] = str(limit - len(chunk))
                link["$skiptoken"] = f"{chunk[-1]['id']}:{start + len(chunk)}"
                encoded = urlencode(link, safe="$',:", quote_via=quote)
                body["@odata.nextLink"] = f"{path}/{kind}?{encoded}"
            return Reply(200, body, headers)

        return list_records

    def _resume(
        self, call: Call, kind: str, where: tuple[str, str], token: str | None, total: int
    ) -> int:
        """Where a page starts in an unfiltered list: after the ``$skiptoken``'s record (its
        position is in the token, checked against the record, so a page costs a page), else
        at ``$skip``."""
        if token is None:
            return call.int_query("$skip", 0, low=0)
        record_id, _, hint = token.rpartition(":")
        keys = self.tables.table(call.tenant, kind).keys_where(*where)
        if hint.isdigit() and 0 < int(hint) <= len(keys) and keys[int(hint) - 1] == record_id:
            return int(hint)
        raise bad_token(token)

    def _matching(
        self, call: Call, kind: str, where: tuple[str, str], query: Query
    ) -> list[dict[str, Any]]:
        """The records of the company (or parent) that match ``$filter``, in ``$orderby``'s
        order (insertion order for ties). An equality on an indexed text or GUID property
        reads that bucket only; otherwise the company's records are read."""
        types = field_types(kind)
        table = self.tables.table(call.tenant, kind)
        source = where
        for name, value in indexed_equalities(query.where):
            if table.indexed(name) and types[name] in ("string", "guid"):
                source = (name, str(value))
                break
        name, owner = where
        window = stamp_range(query.where) if source == where else None
        candidates = (
            self.tables.modified(call.tenant, kind, *window[:2], inclusive_start=window[2])
            if window is not None and isinstance(self.tables, ErpTables)
            else self.tables.where(call.tenant, kind, *source)
        )  # a lastModifiedDateTime range reads the records changed in it (incremental sync)
        rows = [
            r
            for r in candidates
            if r[name] == owner and (query.where is None or matches(query.where, r, types))
        ]
        if query.order:
            rows.sort(key=sort_key(query.order, types))
        return rows

    def _reader(self, kind: str) -> Handler:
        def read(call: Call) -> Reply:
            record = self._owned(call, kind)
            return tagged(200, record, self._view(call, record))

        return read

    # -- writes --------------------------------------------------------------------------

    def settle(
        self,
        invoice: dict[str, Any],
        now: str,
        *,
        paid: Decimal = Decimal(0),
        credited: Decimal = Decimal(0),
    ) -> None:
        """Apply a posted payment or credit memo to an invoice: ``remainingAmount`` becomes
        ``totalAmountIncludingTax - creditedAmount - paidAmount``; at 0 the invoice is Paid."""
        invoice["paidAmount"] += paid
        invoice["creditedAmount"] += credited
        remaining = (
            invoice["totalAmountIncludingTax"] - invoice["creditedAmount"] - invoice["paidAmount"]
        )
        invoice.update(remainingAmount=remaining, status="Paid" if remaining == 0 else "Open")
        touch(invoice, now)
