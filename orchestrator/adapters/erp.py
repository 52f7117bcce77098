"""Business Central adapter: customers in the right company, invoices, credit memos and
payments created once each although BC has no idempotency keys.

BC answers a POST sent twice with two documents, so every create is a look-before-write on a
business key the core owns: the invoice's "Your Reference", ``customerPurchaseOrderReference``
in API v2.0 (its ``externalDocumentNumber`` carries the customer's purchase order, as BC means
it), the credit memo's ``externalDocumentNumber``, the customer's ``displayName``. The adapter
lists with ``$filter=<key> eq '...'`` (an indexed look-up on the ERP) first, and again after an
answer that may hide a write (a timeout, a 500, 502 or 504) before it posts again.

A payment is looked for elsewhere: posting its journal deletes the journal line (BC keeps
ledger entries, which API v2.0 does not serve), so the invoice it pays is what tells whether it
was applied (``apply_payment``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from orchestrator._wire import ContractViolation, VendorError, call
from orchestrator.adapters._erp_cash import settle
from orchestrator.adapters._erp_line_body import description, line_body
from orchestrator.adapters.crm import Deal
from orchestrator.model import Contract, Customer, Invoice, InvoiceLine, LegalEntity
from orchestrator.runtime import Flow, Runtime

API = "/api/v2.0"
# How often one create is tried before the failure goes back to the caller (whose outbox
# re-drives it later, again looking first).
CREATE_ATTEMPTS = 3
# Statuses after which the write may have happened: a lost answer (the resilience layer's
# unknown outcome is a 504) or a server error mid-write. A 503 or 429 proves BC did nothing.
_MAYBE_WRITTEN = frozenset({500, 502, 504})
# Business Central's Customer table holds shorter address texts than Salesforce's account
# (BillingStreet 255, BillingCity 40): a careful integration cuts them to BC's lengths (the
# ERP spec's CustomerCreate cites them) rather than have the customer refused. The tax ID is
# sent whole: a VAT number cut short is a wrong one, and BC's 400 says so.
_CUSTOMER_TEXT = {"addressLine1": 100, "city": 30, "state": 30, "postalCode": 20}


def _may_retry(exc: VendorError, attempt: int) -> bool:
    """Whether a write that failed with ``exc`` on its ``attempt``-th try is looked for and
    sent again: only when BC may have done it (a timeout, 500, 502, 504) and tries are left."""
    return (
        not isinstance(exc, ContractViolation)
        and exc.status in _MAYBE_WRITTEN
        and attempt < CREATE_ATTEMPTS
    )


# How often an update that lost the race (a stale If-Match) is re-read and re-applied.
UPDATE_ATTEMPTS = 3
# BC's code for a stale If-Match: answered 409 by BC (412 accepted too, as a proxy may say it).
ENTITY_CHANGED = "Request_EntityChanged"
CLAIM_WAIT_S = 1.0  # simulated seconds between looks while another flow makes the same customer


def error_code(exc: VendorError) -> str | None:
    """Business Central's error code in a refusal (``{"error": {"code", "message"}}``), if any."""
    body = exc.problem
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def is_stale(exc: VendorError) -> bool:
    """The write lost an optimistic-concurrency race: someone changed the record since it
    was read (BC: 409 ``Request_EntityChanged``)."""
    return exc.status == 412 or (exc.status == 409 and error_code(exc) == ENTITY_CHANGED)


def business_key(kind: str, key: str) -> str:
    """A document number of at most 35 characters (BC's ``externalDocumentNumber`` length)
    derived from the core's own key for a document: same key, same number."""
    return f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class ErpAdapter:
    def __init__(self, runtime: Runtime, tenant: str, *, look_before_write: bool = True) -> None:
        self._rt = runtime
        self._tenant = tenant
        # off: the naive design that POSTs without looking (duplicates after lost answers)
        self.look_before_write = look_before_write
        # published facts that do not change: read once
        self._journals: dict[str, str] = {}
        self._companies: dict[str, dict[str, Any]] = {}  # companyInformation by company id
        self._rates: dict[tuple[str, str, date], Decimal] = {}
        self._ensuring: dict[tuple[str, str], None] = {}  # customers being found or made now
        self._paying: dict[str, None] = {}  # invoices whose cash is being applied now

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Flow[Any]:
        return (
            yield from call(
                self._rt,
                "erp",
                self._tenant,
                method,
                API + path,
                body=body,
                params=params,
                headers=headers,
            )
        )

    def _find(self, path: str, field: str, value: str) -> Flow[dict[str, Any] | None]:
        """The first record of the collection whose ``field`` equals ``value`` (OData)."""
        quoted = value.replace("'", "''")  # OData string literal: a quote is doubled
        body = yield from self._call("GET", path, params={"$filter": f"{field} eq '{quoted}'"})
        rows = body["value"]
        found: dict[str, Any] | None = rows[0] if rows else None
        return found

    def _create_once(
        self, path: str, body: dict[str, Any], field: str, value: str
    ) -> Flow[dict[str, Any]]:
        """POST ``body`` unless a record with ``field == value`` exists; after an answer that
        may hide a write, look again before posting again (see the module docstring)."""
        if not self.look_before_write:
            blind: dict[str, Any] = yield from self._call("POST", path, body)
            return blind
        found = yield from self._find(path, field, value)
        attempt = 0
        while found is None:
            attempt += 1
            try:
                created: dict[str, Any] = yield from self._call("POST", path, body)
                return created
            except VendorError as exc:
                if not _may_retry(exc, attempt):
                    raise
            found = yield from self._find(path, field, value)
        return found

    def legal_entities(self) -> Flow[dict[str, LegalEntity]]:
        """The firm's legal entities by code (a company's short name is the entity's code),
        each where its ``companyInformation`` says it is and in the currency it keeps its
        books in (read once per company: a company does not move)."""
        body = yield from self._call("GET", "/companies")
        entities = {}
        for c in body["value"]:
            info = self._companies.get(c["id"])
            if info is None:
                answer = yield from self._call("GET", f"/companies({c['id']})/companyInformation")
                info = self._companies[c["id"]] = answer["value"][0]
            entities[c["name"]] = LegalEntity(
                id=c["name"],
                name=c["displayName"],
                country=info["country"],
                currency=info["currencyCode"],
                erp_company_id=c["id"],
                region=info.get("state"),
            )
        return entities

    def ensure_customer(
        self, entity: LegalEntity, contract: Contract, deal: Deal
    ) -> Flow[Customer]:
        """The customer for the contract's counterparty, created once per legal entity.

        Two contracts of one client executed at the same moment would both look, find nothing
        and both create (Business Central has no unique key on a customer's name): the second
        flow waits for the first and then finds what it made."""
        path = f"/companies({entity.erp_company_id})/customers"
        name = contract.customer_name[:100]
        claim = (path, name)
        while claim in self._ensuring:
            yield from self._rt.sleep(CLAIM_WAIT_S)
        self._ensuring[claim] = None
        try:
            record = yield from self._ensure_customer(path, name, contract, deal)
        finally:
            del self._ensuring[claim]
        return Customer(
            id=record["id"],
            name=record["displayName"],
            country=record["country"],
            legal_entity_id=entity.id,
            currency=record["currencyCode"],
            tax_id=record.get("taxRegistrationNumber"),
            region=deal.region,
        )

    def _ensure_customer(
        self, path: str, name: str, contract: Contract, deal: Deal
    ) -> Flow[dict[str, Any]]:
        record = yield from self._find(path, "displayName", name)
        if record is None:
            customer: dict[str, Any] = {
                "displayName": name,
                "country": contract.customer_country,
                "currencyCode": contract.currency,
            }
            for key, value in (
                ("addressLine1", deal.street),
                ("city", deal.city),
                ("state", deal.region),  # BC's AvaTax connector taxes by it (ship-to)
                ("postalCode", deal.postal_code),
            ):
                if value:
                    customer[key] = value[: _CUSTOMER_TEXT[key]]
            if contract.customer_tax_id:
                customer["taxRegistrationNumber"] = contract.customer_tax_id
            record = yield from self._create_once(path, customer, "displayName", name)
        found: dict[str, Any] = record
        return found

    def update_customer(
        self, company_id: str, customer_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Flow[dict[str, Any]]:
        """PATCH what ``change`` makes of the customer as it is now, under its ``@odata.etag``
        (BC requires ``If-Match``). A stale tag (409 ``Request_EntityChanged``) means someone
        changed it since it was read: read it again and re-apply ``change`` to the fresh record,
        never overwrite their change blindly."""
        path = f"/companies({company_id})/customers({customer_id})"
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            current = yield from self._call("GET", path)
            try:
                updated: dict[str, Any] = yield from self._call(
                    "PATCH", path, change(current), headers={"if-match": current["@odata.etag"]}
                )
                return updated
            except VendorError as exc:
                if not is_stale(exc) or attempt >= UPDATE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def exchange_rate(self, entity: LegalEntity, currency: str, day: date) -> Flow[Decimal]:
        """The ERP's published rate: units of the entity's currency for one ``currency``."""
        if currency == entity.currency:
            return Decimal(1)
        known = (entity.erp_company_id, currency, day)
        if known not in self._rates:
            body = yield from self._call(
                "GET",
                f"/companies({entity.erp_company_id})/currencyExchangeRates",
                params={"$filter": f"currencyCode eq '{currency}' and startingDate eq {day}"},
            )
            row = body["value"][0]
            self._rates[known] = Decimal(row["relationalExchangeRateAmount"]) / Decimal(
                row["exchangeRateAmount"]
            )
        return self._rates[known]

    def create_invoice(self, company_id: str, invoice: Invoice) -> Flow[dict[str, Any]]:
        reference = invoice_reference(invoice)
        body = {
            "customerId": invoice.customer_id,
            "invoiceDate": invoice.invoice_date.isoformat(),
            "currencyCode": invoice.currency,
            # the core's key for this invoice (period, digest of the items it bills)
            "customerPurchaseOrderReference": reference,
            "externalDocumentNumber": invoice.purchase_order,
            **({"dueDate": invoice.due_date.isoformat()} if invoice.due_date else {}),
            "salesInvoiceLines": [line_body(line) for line in invoice.lines],
        }
        created = yield from self._create_once(
            f"/companies({company_id})/salesInvoices",
            body,
            "customerPurchaseOrderReference",
            reference,
        )
        return created

    def apply_payment(
        self,
        entity: LegalEntity,
        customer_id: str,
        invoice_id: str,
        amount: Decimal,
        day: date,
        reference: str,
        key: str,
        *,
        paid: Decimal,
    ) -> Flow[None]:
        """Apply cash received to the invoice it pays: a line of the company's payment journal,
        then the journal posted. ``amount`` arrived since the last payment applied; ``paid``
        is what the client has paid towards the invoice in all. BC deletes posted lines, so
        the invoice, not the journal, says what BC has: the adapter enters only what BC lacks
        of ``paid`` (``_erp_cash.settle``), one flow per invoice at a time (two would fill
        the same gap twice). The naive design (``look_before_write`` off) enters ``amount``
        and posts, blind."""
        company = f"/companies({entity.erp_company_id})"
        journal = yield from self._journal(company)
        body: dict[str, Any] = {
            "customerId": customer_id,
            "appliesToInvoiceId": invoice_id,
            "amount": amount,
            "postingDate": day.isoformat(),
            "externalDocumentNumber": business_key("PAY", key),
            "description": f"Payment {reference}"[:100],
        }
        if not self.look_before_write:
            yield from self._call("POST", f"{journal}/customerPayments", body)
            yield from self._call("POST", f"{journal}/Microsoft.NAV.post")
            return
        while invoice_id in self._paying:
            yield from self._rt.sleep(CLAIM_WAIT_S)
        self._paying[invoice_id] = None
        try:
            for attempt in range(1, CREATE_ATTEMPTS + 1):
                try:
                    yield from settle(self._call, company, journal, invoice_id, paid, body)
                    return
                except VendorError as exc:
                    if not _may_retry(exc, attempt):
                        raise
        finally:
            del self._paying[invoice_id]

    def _journal(self, company: str) -> Flow[str]:
        """The path of the company's payment journal (read once: it is set up with it)."""
        journal = self._journals.get(company)
        if journal is None:
            journals = yield from self._call("GET", f"{company}/customerPaymentJournals")
            journal = f"{company}/customerPaymentJournals({journals['value'][0]['id']})"
            self._journals[company] = journal
        return journal

    def send_invoice(self, entity: LegalEntity, invoice_id: str) -> Flow[None]:
        """E-mail a posted invoice to its customer, to be paid by bank transfer to the account
        it names (BC's ``Microsoft.NAV.send``; sending again only sends another copy)."""
        yield from self._call(
            "POST",
            f"/companies({entity.erp_company_id})/salesInvoices({invoice_id})/Microsoft.NAV.send",
        )

    def credit(
        self,
        entity: LegalEntity,
        customer_id: str,
        lines: list[InvoiceLine],
        day: date,
        reference: str,
        key: str,
    ) -> Flow[dict[str, Any]]:
        """Post a credit memo for ``lines`` (a credit note on the customer's account)."""
        company = f"/companies({entity.erp_company_id})"
        number = business_key("CM", key)
        memo = yield from self._create_once(
            f"{company}/salesCreditMemos",
            {
                "customerId": customer_id,
                "creditMemoDate": day.isoformat(),
                "currencyCode": entity.currency,
                "externalDocumentNumber": number,
                "salesCreditMemoLines": [line_body(line) for line in lines],
            },
            "externalDocumentNumber",
            number,
        )
        yield from self._call(
            "POST", f"{company}/salesCreditMemos({memo['id']})/Microsoft.NAV.post"
        )
        created: dict[str, Any] = memo
        return created

    def created_lines(self, company_id: str, created: dict[str, Any]) -> Flow[list[Any]]:
        """The lines of an invoice just made (read back when the answer does not carry them)."""
        lines = created.get("salesInvoiceLines")
        if lines is None:
            body = yield from self._call(
                "GET", f"/companies({company_id})/salesInvoices({created['id']})/salesInvoiceLines"
            )
            lines = body.get("value") if isinstance(body, dict) else None
        if not isinstance(lines, list):
            raise ContractViolation("erp", "GET", "salesInvoiceLines", "no list of lines")
        return lines

    def check_echo(self, invoice: Invoice, created: dict[str, Any], lines: list[Any]) -> None:
        """The ERP's invoice must say what we sent, line by line: a vendor that renamed a field
        or dropped a line is caught here, before anything is posted."""
        problems: list[str] = []
        for key in ("id", "number", "totalAmountIncludingTax"):
            if key not in created:
                problems.append(f"answer has no {key!r}")
        if created.get("currencyCode") != invoice.currency:
            problems.append(f"currency {created.get('currencyCode')!r} != {invoice.currency!r}")
        if len(lines) != len(invoice.lines):
            problems.append(f"{len(lines)} lines, {len(invoice.lines)} sent")
        for n, (got, sent) in enumerate(zip(lines, invoice.lines, strict=False)):
            # BC's amount must be the contract's, and the tax BC's AvaTax connector wrote the
            # one the core assessed and records with the tax engine; the description is the
            # one ``line_body`` sent (made again alone: the rest of the line body is not compared)
            if not isinstance(got, dict):
                problems.append(f"line {n}: description is not what was sent")
                continue
            for name, want in (
                ("description", description(sent)),
                ("amountExcludingTax", sent.amount),
                ("totalTaxAmount", sent.tax),
            ):
                if _differs(got.get(name), want):
                    problems.append(f"line {n}: {name} is not what was sent")
                    break
        if problems:
            raise ContractViolation("erp", "POST", "salesInvoices", "; ".join(problems[:5]))

    def post_invoice(self, company_id: str, invoice_id: str) -> Flow[None]:
        """Post the draft. No ``If-Match``: BC requires it only on PATCH, and a post re-sent
        after a lost answer must find the invoice posted (a no-op), not refused as changed by
        the very post whose answer was lost (its tag moved on)."""
        yield from self._call(
            "POST", f"/companies({company_id})/salesInvoices({invoice_id})/Microsoft.NAV.post"
        )


def _differs(got: Any, want: Any) -> bool:
    """A figure BC answered differs from the one expected (numbers compared as decimals)."""
    if isinstance(want, Decimal):
        if got.__class__ is Decimal:  # as the core decodes every number: no round trip
            return bool(got != want)
        try:
            return Decimal(str(got)) != want
        except ArithmeticError:
            return True
    return bool(got != want)


YOUR_REFERENCE_LENGTH = 35  # BC: salesInvoice.customerPurchaseOrderReference is Text[35]


def invoice_reference(invoice: Invoice) -> str:
    """The invoice's business key in BC's ``customerPurchaseOrderReference`` (35 characters):
    its period and contract, as a reader of the invoice knows them, and 12 characters of the
    digest of the items it bills, so the same items make the same reference. A contract id
    too long for the room left is shortened: the digest keeps the reference unique."""
    digest = invoice.idempotency_key[-12:]
    room = max(YOUR_REFERENCE_LENGTH - len(invoice.period) - len(digest) - 2, 0)
    return f"{invoice.period} {invoice.contract_id[:room]} {digest}"
