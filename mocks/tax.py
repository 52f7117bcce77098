"""Tax engine mock mirroring Avalara AvaTax REST v2: transactions created (an estimate or a
stored sales invoice), created-or-adjusted by document code, read, listed, committed and voided.

A ``SalesOrder`` is an estimate: taxed and answered with status ``Temporary`` and id 0, never
stored. A ``SalesInvoice`` is stored per tenant under (``companyCode``, ``code``) as ``Saved``,
or ``Committed`` when the request says ``commit: true``. Adjusting a document (createoradjust,
or create over an uncommitted one) stores a new revision with a new ``id`` and ``version`` + 1;
the previous revision is kept with status ``Adjusted``. A committed document is adjusted only
through createoradjust and only with an ``adjustmentReason``; a voided (``Cancelled``) one is
never changed again. Which taxes apply and how they round is in ``mocks._tax_rules``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from contracts.currencies import MINOR_UNITS
from mocks._auth import secure
from mocks._http import Call, Problem, Reply, VendorApp
from mocks._state import Clock, Tables, guid, iso
from mocks._tax_errors import AvaTaxError, as_avatax, avatax_error
from mocks._tax_include import LINES_ONLY, included, shown
from mocks._tax_lines import Answers, TaxedLines, answer
from mocks._tax_rules import LineIn, RuleError, TaxRules, compute, source

__all__ = ["TaxMock", "TaxRules"]

API = "/api/v2"
DOC = API + "/companies/{companyCode}/transactions/{transactionCode}"
MAX_TOP = 1000
MAX_LINES = 15_000  # AvaTax caps the lines of one transaction
_LIMIT = Decimal("1e12")
_REASONS = Literal[
    "NotAdjusted",
    "SourcingIssue",
    "ReconciledWithGeneralLedger",
    "ExemptCertApplied",
    "PriceAdjusted",
    "ProductReturned",
    "ProductExchanged",
    "BadDebt",
    "Other",
    "Offline",
]


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


Number = Annotated[Decimal, BeforeValidator(_number), Field(ge=-_LIMIT, le=_LIMIT)]
IsoDate = Annotated[date, BeforeValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(_Strict):
    line1: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,3}$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    postalCode: str | None = Field(default=None, max_length=11)


class AddressesIn(_Strict):
    """Where the goods or services go from and to: ``shipFrom`` and ``shipTo``, or
    ``singleLocation`` where both are one place (AvaTax's AddressesModel; a role given beside
    it is taken for that role). Other roles and line-level addresses are not modelled."""

    shipFrom: AddressIn | None = None
    shipTo: AddressIn | None = None
    singleLocation: AddressIn | None = None

    def roles(self) -> tuple[AddressIn, AddressIn] | None:
        """(ship-from, ship-to), or None when a role has no address."""
        ship_from = self.shipFrom or self.singleLocation
        ship_to = self.shipTo or self.singleLocation
        return None if ship_from is None or ship_to is None else (ship_from, ship_to)


class LineItemIn(_Strict):
    number: str | None = Field(default=None, min_length=1, max_length=50)
    itemCode: str | None = Field(default=None, max_length=50)  # kept, not mapped to a tax code
    quantity: Number = Field(default=Decimal(1), ge=0)
    amount: Number
    taxCode: str | None = Field(default=None, max_length=25)
    description: str | None = Field(default=None, max_length=2096)


class CreateTransactionIn(_Strict):
    type: Literal["SalesOrder", "SalesInvoice"] = "SalesOrder"
    code: str | None = Field(default=None, min_length=1, max_length=50)
    companyCode: str = Field(default="DEFAULT", min_length=1, max_length=50)
    date: IsoDate
    customerCode: str = Field(min_length=1, max_length=50)
    currencyCode: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    businessIdentificationNo: str | None = Field(default=None, max_length=25)
    purchaseOrderNo: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2048)
    addresses: AddressesIn
    lines: list[LineItemIn] = Field(min_length=1, max_length=MAX_LINES)
    commit: StrictBool = False


class CreateOrAdjustIn(_Strict):
    createTransactionModel: CreateTransactionIn
    adjustmentReason: _REASONS | None = None
    adjustmentDescription: str | None = Field(default=None, max_length=255)


class CommitIn(_Strict):
    commit: StrictBool


class VoidIn(_Strict):
    code: Literal["DocVoided", "DocDeleted"]


_CANCELLED = "TransactionAlreadyCancelled"
_COMPANY = "companyCode"  # the company a stored document is filed under (paths name it)
_COMMITTED = "DocumentCodeConflict"


def _invalid(field: str, message: str, code: str = "InvalidParameterValue") -> AvaTaxError:
    """A refused field, as AvaTax refuses it: 400 with the field in ``refersTo``."""
    return avatax_error(400, code, f"{field}: {message}", field)


def _conflict(code: str, detail: str, error: str) -> AvaTaxError:
    """A document whose status forbids the change: AvaTax's 400 (it answers no 409)."""
    return avatax_error(400, error, f"transaction {code!r}: {detail}", "code")


class TaxMock:
    """An AvaTax account per tenant, taxing with its own copy of ``rules``."""

    vendor = "tax"

    def __init__(
        self, clock: Clock, rules: TaxRules | None = None, *, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.rules = (rules or TaxRules.default()).model_copy(deep=True)
        self.tables = Tables({"documents": (_COMPANY,)})  # a page per company, not a scan
        self.app = VendorApp("tax")
        self.app.refine = as_avatax  # every error in AvaTax's words
        app = self.app
        app.route("POST", API + "/transactions/create", scope="tax:transactions.write")(
            self._create
        )
        app.route("POST", API + "/transactions/createoradjust", scope="tax:transactions.write")(
            self._create_or_adjust
        )
        app.route(
            "GET", API + "/companies/{companyCode}/transactions", scope="tax:transactions.read"
        )(self._list)
        app.route("GET", DOC, scope="tax:transactions.read")(self._read)
        app.route("POST", DOC + "/commit", scope="tax:transactions.write")(self._commit)
        app.route("POST", DOC + "/void", scope="tax:transactions.write")(self._void)
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- inspection by the simulator ------------------------------------------------------

    def transactions(self, tenant: str) -> Answers:
        """The current revision of every stored transaction, in order of first creation,
        each made into AvaTax's answer when it is read (``mocks._tax_lines.Answers``)."""
        return Answers(list(self.tables.all(tenant, "documents")))

    def revisions(self, tenant: str) -> list[dict[str, Any]]:
        """Every stored revision, adjusted ones included, in order of creation."""
        return [answer(r) for r in self.tables.all(tenant, "transactions")]

    def estimate(self, tenant: str, model: dict[str, Any]) -> dict[str, Any]:
        """A ``SalesOrder`` estimate (never stored) of ``model``, a CreateTransactionModel, in
        process: how the ERP's AvaTax connector asks for a document's tax
        (``mocks._erp_tax``), which writes each line's tax and reads nothing else. So the
        answer is AvaTax's with ``$include=LinesOnly`` (CreateTransaction's ``$include``:
        "LinesOnly (omit details - reduces API response size)", AvaTax REST v2 reference,
        ../shared/vendor-specs/avatax.yaml, consulted 2026-12-07): lines without their detail
        rows, and no ``summary`` (issue 14: the rows nobody read were a third of an
        estimate's cost). Raises ``pydantic.ValidationError`` or ``AvaTaxError`` where an
        HTTP call would be refused. ``tenant`` is the AvaTax account; an estimate reads no
        stored document of it (its company gets an id on first use, as by HTTP)."""
        tx = CreateTransactionIn.model_validate({**model, "type": "SalesOrder"})
        if tx.code is None:
            raise _invalid("code", "the connector names the document it estimates")
        estimated = self._calculate(tx, "", self._company_id(tenant, tx.companyCode), summary=False)
        return shown(estimated, LINES_ONLY)

    # -- HTTP -----------------------------------------------------------------------------

    def _create(self, call: Call) -> Reply:
        body = self._transact(call.tenant, call.parse(CreateTransactionIn), "", None)
        return Reply(200, answer(body))

    def _create_or_adjust(self, call: Call) -> Reply:
        data = call.parse(CreateOrAdjustIn)
        tx = data.createTransactionModel
        return Reply(200, answer(self._transact(call.tenant, tx, "createTransactionModel.", data)))

    def _transact(
        self, tenant: str, tx: CreateTransactionIn, prefix: str, adjust: CreateOrAdjustIn | None
    ) -> dict[str, Any]:
        body = self._calculate(tx, prefix, self._company_id(tenant, tx.companyCode))
        if tx.type == "SalesOrder":
            code = tx.code or guid(
                f"{tenant}:estimate", self.tables.next_number(tenant, "estimates")
            )
            body["code"] = code
            return body
        if tx.code is None:
            # AvaTax assigns a GUID to a document sent without a code (CreateTransactionModel,
            # ``code``; consulted 2026-12-07): deterministic here, per tenant
            minted = guid(f"{tenant}:document", self.tables.next_number(tenant, "minted codes"))
            tx = tx.model_copy(update={"code": minted})
            body["code"] = minted
        assert tx.code is not None
        docs = self.tables.table(tenant, "documents")
        key = json.dumps([tx.companyCode, tx.code])
        current = docs.get(key)
        reason: str | None = "NotAdjusted"
        description: str | None = None
        if current is not None:
            if current["status"] == "Cancelled":
                raise _conflict(tx.code, "is voided (Cancelled) and cannot change", _CANCELLED)
            if adjust is not None:
                reason, description = adjust.adjustmentReason, adjust.adjustmentDescription
            if current["status"] == "Committed":
                if adjust is None:
                    raise _conflict(
                        tx.code, "is committed; adjust it through createoradjust", _COMMITTED
                    )
                if reason in (None, "NotAdjusted"):
                    raise _invalid(
                        "adjustmentReason",
                        f"required to adjust committed transaction {tx.code!r}",
                        "ValueRequiredError",
                    )
            current["status"] = "Adjusted"
        n = self.tables.next_number(tenant, "transactions")
        body.update(
            id=n,
            status="Committed" if tx.commit else "Saved",
            version=current["version"] + 1 if current is not None else 1,
            adjustmentReason=reason or "NotAdjusted",
            adjustmentDescription=description,
        )
        body[_COMPANY] = tx.companyCode  # the index's key, never answered
        self.tables.table(tenant, "transactions")[str(n)] = body
        docs[key] = body
        return body

    def _company_id(self, tenant: str, company_code: str) -> int:
        """AvaTax's numeric id of the company ``company_code`` names (documents answer with
        ``companyId``; paths take the code). Companies are not set up here: a code gets the
        next id of its account when first used."""
        companies = self.tables.table(tenant, "companies")
        company = companies.get(company_code)
        if company is None:
            company = companies[company_code] = {"id": self.tables.next_number(tenant, "company")}
        found: int = company["id"]
        return found

    def _calculate(
        self, tx: CreateTransactionIn, prefix: str, company_id: int, *, summary: bool = True
    ) -> dict[str, Any]:
        """The taxed document as an estimate (id 0, ``Temporary``); a 422 when untaxable.
        ``summary`` False: without its ``summary`` rows (``$include=LinesOnly``)."""
        minor = MINOR_UNITS.get(tx.currencyCode)
        if minor is None:
            raise _invalid(prefix + "currencyCode", f"currency {tx.currencyCode} is not set up")
        quantum = Decimal(1).scaleb(-minor)
        errors: list[dict[str, str]] = []
        codes: list[str] = []  # AvaTax's code for each of ``errors``
        numbers: list[str] = []
        amounts: list[Decimal] = []
        seen: set[str] = set()  # membership only, never iterated
        for k, line in enumerate(tx.lines):
            number = line.number or str(k + 1)
            amounts.append(line.amount.quantize(quantum))  # the amount taxed, if it is valid
            if line.amount != amounts[-1]:
                message = f"more decimals than {tx.currencyCode} has ({minor})"
                errors.append({"field": f"{prefix}lines.{k}.amount", "message": message})
                codes.append("GetTaxError")
            if number in seen:
                message = f"line number {number!r} is used twice"
                errors.append({"field": f"{prefix}lines.{k}.number", "message": message})
                codes.append("LineAlreadyExists")
            numbers.append(number)
            seen.add(number)
        if errors:
            fields = ", ".join(e["field"] for e in errors)
            raise AvaTaxError(
                400, codes[0], f"invalid fields: {fields}", [e["field"] for e in errors],
                messages=[f"{e['field']}: {e['message']}" for e in errors], codes=codes,
            )  # fmt: skip
        roles = tx.addresses.roles()
        if roles is None:
            raise _invalid(
                prefix + "addresses",
                "an address for shipFrom and shipTo (or a singleLocation) is required",
                "ValueRequiredError",
            )
        ship_from, ship_to = roles
        try:
            sourcing = source(
                self.rules,
                (ship_from.country, ship_from.region),
                (ship_to.country, ship_to.region),
                tx.businessIdentificationNo,
            )
        except RuleError as exc:
            raise _invalid(prefix + exc.field, exc.message, "GetTaxError") from None
        items = [
            LineIn(n, amount, line.taxCode)
            for n, amount, line in zip(numbers, amounts, tx.lines, strict=True)
        ]
        zero = Decimal(0).quantize(quantum)
        lines = TaxedLines.of(
            sourcing.levies,
            zero,
            numbers,
            [line.quantity for line in tx.lines],
            (amounts, [line.taxCode for line in tx.lines],
             [line.description for line in tx.lines]),
            compute(self.rules, sourcing, items, quantum),
        )  # fmt: skip
        pairs = list(zip(lines.amounts, lines.charged, strict=True))
        return {
            "id": 0,
            "code": tx.code,
            "companyId": company_id,
            "date": tx.date.isoformat(),
            "status": "Temporary",
            "type": tx.type,
            "customerCode": tx.customerCode,
            "currencyCode": tx.currencyCode,
            "businessIdentificationNo": tx.businessIdentificationNo,
            "purchaseOrderNo": tx.purchaseOrderNo,
            "description": tx.description,
            "totalAmount": sum(lines.amounts, zero),
            "totalTax": sum(lines.line_taxes(), zero),
            "totalTaxable": sum((a if c else zero for a, c in pairs), zero),
            "totalExempt": sum((zero if c else a for a, c in pairs), zero),
            "version": 1,
            "adjustmentReason": "NotAdjusted",
            "adjustmentDescription": None,
            "modifiedDate": iso(self.clock()),
            "lines": lines,
            **({"summary": lines.summary()} if summary else {}),
            "messages": list(sourcing.messages),
        }

    def _document(self, call: Call) -> dict[str, Any]:
        company, code = call.params["companyCode"], call.params["transactionCode"]
        record = self.tables.table(call.tenant, "documents").get(json.dumps([company, code]))
        if record is None:
            raise Problem(
                404,
                "Not Found",
                f"transaction {code!r} does not exist in company {company!r}",
                errors=[{"field": "transactionCode", "message": f"no transaction {code!r}"}],
            )
        return record

    def _read(self, call: Call) -> Reply:
        return Reply(200, answer(self._document(call)))

    def _list(self, call: Call) -> Reply:
        if "$filter" in call.query:
            raise Problem(
                400,
                "Bad Request",
                "$filter is not supported by this mock",
                errors=[{"field": "$filter", "message": "not supported"}],
            )
        top = call.int_query("$top", MAX_TOP, low=1, high=MAX_TOP)
        skip = call.int_query("$skip", 0, low=0)
        company = call.params["companyCode"]
        where = (_COMPANY, company)
        total = self.tables.count(call.tenant, "documents", where)
        rows = self.tables.window(call.tenant, "documents", skip, top, where)
        body: dict[str, Any] = {"@recordsetCount": total, "value": [answer(r) for r in rows]}
        if skip + top < total:
            query = urlencode({"$top": top, "$skip": skip + top}, safe="$")
            body["@nextLink"] = f"{API}/companies/{quote(company, safe='')}/transactions?{query}"
        return Reply(200, body)

    def _commit(self, call: Call) -> Reply:
        """AvaTax's CommitTransaction; the answer carries what ``$include`` asks for (the whole
        document without it), as ``mocks._tax_include`` reads it."""
        include = included(call.query.get("$include"))
        if not call.parse(CommitIn).commit:
            raise _invalid("commit", "only true is supported (uncommit is not modelled)")
        record = self._document(call)
        if record["status"] == "Cancelled":
            raise _conflict(
                record["code"], "is voided (Cancelled) and cannot be committed", _CANCELLED
            )
        if record["status"] == "Saved":
            record.update(status="Committed", modifiedDate=iso(self.clock()))
        return Reply(200, answer(record, include))

    def _void(self, call: Call) -> Reply:
        reason = call.parse(VoidIn).code
        record = self._document(call)
        if record["status"] == "Committed" and reason == "DocDeleted":
            raise _conflict(
                record["code"],
                "is committed: void it with DocVoided, not DocDeleted",
                "InvalidDocumentStatus",
            )
        if record["status"] != "Cancelled":
            record.update(status="Cancelled", modifiedDate=iso(self.clock()))
        return Reply(200, answer(record))
