"""Schema drift: from a date on, the ERP speaks Business Central API v1.0 to a v2.0 client.

The differences are Business Central's own between its two API versions (Microsoft Learn,
"Transitioning from API v1.0 to API v2.0", dev-itpro/api-reference/v2.0/transition-to-api-
v2.0, ms.date 2024-01-20, and the v1.0 resource pages; the v1.0 properties below are those
of the v1.0 API description in ../shared/vendor-specs/businesscentral.yaml; consulted
2026-12-07), applied in the direction that breaks an integration built for v2.0 (the mock
and the core speak v2.0), as when its connection ends up on the other version's endpoint:

- Complex properties instead of first-level ones: a customer's ``address`` object
  (``street``, ``city``, ``state``, ``countryLetterCode``, ``postalCode``) for v2.0's
  ``addressLine1``/``addressLine2``/``city``/``state``/``country``/``postalCode``; a sales
  document's ``sellingPostalAddress``, ``billingPostalAddress`` and ``shippingPostalAddress``
  for v2.0's ``sellTo*``, ``billTo*`` and ``shipTo*`` fields; a line's ``lineDetails``
  (``number``, ``displayName``) and ``unitOfMeasure`` (``code``) for v2.0's
  ``lineObjectNumber`` and ``unitOfMeasureCode``.
- Keys: v1.0 document lines are keyed by document and sequence, not by a GUID (their ``id``
  is ``<documentId>-<sequence>``).
- Properties v2.0 added do not exist: a write naming one (``postingDate`` on an invoice,
  ``yourReference``, ``country``...) is refused as BC's OData layer refuses an unknown
  property, 400 ``BadRequest`` "The property 'x' does not exist on type
  'Microsoft.NAV.salesInvoice'. Make sure to only use property names that are defined by the
  type." A v1.0-shaped write is translated to v2.0 for the mock underneath.

The sandbox's extension fields (``sourceItemIds``, ``contractVersionId``, ``billingRole``)
exist in both versions, as a BC extension's fields would.

Simplified (README, known limitations): answers keep the v2.0-only properties beside the
v1.0 ones, and query options are not checked against v1.0's properties. A ``$batch`` is
translated request by request (a refused one answers its 400 in its place).
"""

from __future__ import annotations

from typing import Any

import httpx
import simplejson

from mocks._erp_batch import BATCH, SERVICE_ROOT
from mocks._erp_errors import BAD_REQUEST, BcError
from mocks._http import Problem

__all__ = ["drifts", "from_mock", "to_mock"]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_V1: dict[str, frozenset[str]] = {
    "customers": _names(
        "id number displayName type address phoneNumber email website taxLiable taxAreaId "
        "taxAreaDisplayName taxRegistrationNumber currencyId currencyCode paymentTermsId "
        "shipmentMethodId paymentMethodId blocked lastModifiedDateTime"
    ),
    "salesInvoices": _names(
        "id number externalDocumentNumber invoiceDate dueDate customerPurchaseOrderReference "
        "customerId contactId customerNumber customerName billToName billToCustomerId "
        "billToCustomerNumber shipToName shipToContact sellingPostalAddress "
        "billingPostalAddress shippingPostalAddress currencyId currencyCode orderId "
        "orderNumber paymentTermsId shipmentMethodId salesperson pricesIncludeTax "
        "remainingAmount discountAmount discountAppliedBeforeTax totalAmountExcludingTax "
        "totalTaxAmount totalAmountIncludingTax status lastModifiedDateTime phoneNumber email "
        "salesInvoiceLines"
    ),
    "salesCreditMemos": _names(
        "id number externalDocumentNumber creditMemoDate dueDate customerId contactId "
        "customerNumber customerName billToName billToCustomerId billToCustomerNumber "
        "sellingPostalAddress billingPostalAddress currencyId currencyCode paymentTermsId "
        "shipmentMethodId salesperson pricesIncludeTax discountAmount "
        "discountAppliedBeforeTax totalAmountExcludingTax totalTaxAmount "
        "totalAmountIncludingTax status lastModifiedDateTime invoiceId invoiceNumber "
        "phoneNumber email salesCreditMemoLines"
    ),
    "customerPayments": _names(
        "id journalDisplayName lineNumber customerId customerNumber contactId postingDate "
        "documentNumber externalDocumentNumber amount appliesToInvoiceId "
        "appliesToInvoiceNumber description comment dimensions lastModifiedDateTime"
    ),
    "lines": _names(
        "id documentId sequence itemId accountId lineType lineDetails description "
        "unitOfMeasureId unitOfMeasure unitPrice quantity discountAmount discountPercent "
        "discountAppliedBeforeTax amountExcludingTax taxCode taxPercent totalTaxAmount "
        "amountIncludingTax invoiceDiscountAllocation netAmount netTaxAmount "
        "netAmountIncludingTax shipmentDate"
    ),
}
_EXTENSION = frozenset({"sourceItemIds", "contractVersionId", "billingRole"})
_ENTITY = {
    "customers": "customer",
    "salesInvoices": "salesInvoice",
    "salesCreditMemos": "salesCreditMemo",
    "customerPayments": "customerPayment",
}
_LINES = {"salesInvoices": "salesInvoiceLines", "salesCreditMemos": "salesCreditMemoLines"}
_LINE_ENTITY = {
    "salesInvoiceLines": "salesInvoiceLine",
    "salesCreditMemoLines": "salesCreditMemoLine",
}
# v1.0 postal address object <- v2.0 first-level fields (prefix + suffix)
_ADDRESS = (("street", "AddressLine1"), ("city", "City"), ("state", "State"),
            ("countryLetterCode", "Country"), ("postalCode", "PostCode"))  # fmt: skip
_DOCUMENT_ADDRESSES = (("sellingPostalAddress", "sellTo"), ("billingPostalAddress", "billTo"),
                       ("shippingPostalAddress", "shipTo"))  # fmt: skip
_CUSTOMER_ADDRESS = (("street", "addressLine1"), ("city", "city"), ("state", "state"),
                     ("countryLetterCode", "country"), ("postalCode", "postalCode"))  # fmt: skip
_RESOURCES = ("/customers", "/salesInvoices", "/salesCreditMemos", "/customerPayments")
_REFUSED = "q2c_drift_refusals"  # a drifted batch's refused inner requests, request -> answer
_NOWHERE = "$drift/refused"  # what a refused inner request reads instead (a 404, never run)


def drifts(path: str) -> bool:
    """Whether a request to ``path`` is one whose shape differs between v1.0 and v2.0 (a
    ``$batch`` may hold such requests)."""
    return path.endswith(BATCH) or any(resource in path for resource in _RESOURCES)


def _collection(path: str) -> str | None:
    """The resource a create (``.../salesInvoices``) or update (``.../customers(id)``) hits."""
    last = path.rsplit("/", 1)[-1].split("(", 1)[0]
    return last if last in _ENTITY else None


def to_mock(request: httpx.Request) -> httpx.Request | Problem:
    """A v1.0 write translated for the v2.0 mock, or BC's 400 for a property v1.0 lacks; a
    batch with each inner request so translated (see ``_batch_to_mock``)."""
    batch = request.method == "POST" and request.url.path.endswith(BATCH)
    write = request.method in ("POST", "PATCH") and _collection(request.url.path) is not None
    if not batch and not write:
        return request
    try:
        body = simplejson.loads(request.content, use_decimal=True)
    except ValueError:
        return request  # the mock explains malformed JSON itself
    if batch:
        extensions = {**request.extensions, _REFUSED: _batch_to_mock(body)}
    else:
        refusal = _down(request.method, request.url.path, body)
        if refusal is not None:
            return refusal
        extensions = request.extensions
    content = simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()
    headers = [(k, v) for k, v in request.headers.items() if k != "content-length"]
    return httpx.Request(
        request.method, request.url, headers=headers, content=content, extensions=extensions
    )


def _down(method: str, path: str, body: Any) -> Problem | None:
    """Translate a v1.0 write's ``body`` (in place) for the v2.0 mock, or BC's refusal."""
    collection = _collection(path)
    if method not in ("POST", "PATCH") or collection is None or not isinstance(body, dict):
        return None
    unknown = _unknown(body, _V1[collection], _ENTITY[collection])
    lines_key = _LINES.get(collection)
    lines = body.get(lines_key) if lines_key else None
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and unknown is None and lines_key is not None:
            unknown = _unknown(line, _V1["lines"], _LINE_ENTITY[lines_key])
            _line_down(line)
    if unknown is not None:
        return unknown
    if collection == "customers":
        _flatten(body, "address", _CUSTOMER_ADDRESS)
    for name, prefix in _DOCUMENT_ADDRESSES:
        _flatten(body, name, tuple((k, prefix + suffix) for k, suffix in _ADDRESS))
    return None


def _inner_path(url: Any) -> str:
    """An inner request's path, resolved as the batch resolves it (``mocks._erp_batch``)."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, UnicodeError):
        return ""
    path = parsed.path
    if not parsed.is_absolute_url and not path.startswith("/"):
        return SERVICE_ROOT + path
    return path


def _batch_to_mock(body: Any) -> tuple[dict[int, Any], list[str]]:
    """Each inner write of a batch translated in place; one v1.0 refuses is replaced by a
    read of a path that does not exist (so requests that depend on it fail, 424, as they
    would) and its refusal kept to answer in its place: (refusals by position, paths)."""
    refusals: dict[int, Any] = {}
    paths: list[str] = []
    requests = body.get("requests") if isinstance(body, dict) else None
    for k, inner in enumerate(requests if isinstance(requests, list) else []):
        if not isinstance(inner, dict):
            paths.append("")
            continue
        path = _inner_path(inner.get("url", ""))
        paths.append(path)
        refusal = _down(str(inner.get("method", "")), path, inner.get("body"))
        if refusal is not None:
            refusals[k] = refusal.reply().body
            inner.update(method="GET", url=_NOWHERE, body=None)
    return refusals, paths


def _unknown(body: dict[str, Any], known: frozenset[str], entity: str) -> Problem | None:
    for name in body:
        if name not in known and name not in _EXTENSION and not name.startswith("@odata."):
            return BcError(
                400,
                BAD_REQUEST,
                f"The property '{name}' does not exist on type 'Microsoft.NAV.{entity}'. Make "
                "sure to only use property names that are defined by the type.",
            )
    return None


def _flatten(body: dict[str, Any], name: str, fields: tuple[tuple[str, str], ...]) -> None:
    nested = body.pop(name, None)
    if isinstance(nested, dict):
        for v1, v2 in fields:
            if v1 in nested:
                body[v2] = nested[v1]


def _line_down(line: dict[str, Any]) -> None:
    details = line.pop("lineDetails", None)
    if isinstance(details, dict) and "number" in details:
        line["lineObjectNumber"] = details["number"]
    unit = line.pop("unitOfMeasure", None)
    if isinstance(unit, dict) and "code" in unit:
        line["unitOfMeasureCode"] = unit["code"]


def from_mock(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """The mock's v2.0 answer to ``request`` in v1.0's shape (each inner answer of a batch,
    and the refusals ``to_mock`` kept in their places)."""
    if response.status_code >= 400 or not response.content:
        return response
    body = simplejson.loads(response.content, use_decimal=True)
    kept = request.extensions.get(_REFUSED)
    if kept is not None:
        refusals, paths = kept
        answers = body.get("responses") if isinstance(body, dict) else None
        for k, answer in enumerate(answers if isinstance(answers, list) else []):
            if k in refusals:
                answer.update(status=400, headers={"content-type": "application/json"},
                              body=refusals[k])  # fmt: skip
            elif k < len(paths) and answer.get("status", 500) < 400 and "body" in answer:
                _up(answer["body"], paths[k])
    else:
        _up(body, request.url.path)
    content = simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()
    headers = [(k, v) for k, v in response.headers.items() if k != "content-length"]
    return httpx.Response(response.status_code, headers=headers, content=content)


def _up(body: Any, path: str) -> None:
    """A v2.0 answer for ``path`` in v1.0's shape, in place."""
    if not drifts(path) or path.endswith(BATCH):
        return
    items = body.get("value") if isinstance(body, dict) and "value" in body else [body]
    lines_listed = path.endswith(tuple(_LINES.values()))
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if lines_listed:
            _line_up(item)
            continue
        if "/customers" in path and "/customerPayment" not in path:
            _nest(item, "address", _CUSTOMER_ADDRESS, "addressLine2")
        for name, prefix in _DOCUMENT_ADDRESSES:
            fields = tuple((k, prefix + suffix) for k, suffix in _ADDRESS)
            _nest(item, name, fields, prefix + "AddressLine2")
        for key in _LINES.values():
            for line in item.get(key) or []:
                _line_up(line)


def _nest(item: dict[str, Any], name: str, fields: tuple[tuple[str, str], ...], line2: str) -> None:
    """v2.0's first-level address fields of ``item`` as v1.0's ``name`` object."""
    if not any(v2 in item for _, v2 in fields):
        return
    address = {v1: item.pop(v2, None) for v1, v2 in fields}
    second = item.pop(line2, None)
    if second and address.get("street"):
        address["street"] = f"{address['street']}, {second}"
    item[name] = address


def _line_up(line: dict[str, Any]) -> None:
    if not isinstance(line, dict):
        return
    if "documentId" in line and "sequence" in line:
        line["id"] = f"{line['documentId']}-{line['sequence']}"
    if "lineObjectNumber" in line:
        line["lineDetails"] = {"number": line.pop("lineObjectNumber"),
                               "displayName": line.get("description")}  # fmt: skip
    if "unitOfMeasureCode" in line:
        line["unitOfMeasure"] = {"code": line.pop("unitOfMeasureCode")}
