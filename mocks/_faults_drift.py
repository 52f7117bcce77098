"""Schema drift: the ERP answering in its v2 shape (contracts/erp-v2.yaml) from a date on.

v2 renames a document line's ``description`` to ``lineDescription`` and makes ``postingDate``
required when a sales invoice is created. The v1 mock keeps working underneath: a v2 request is
translated down to v1 before the mock sees it, and the mock's answer is translated up to v2.
A v1-shaped create is refused the way v2 would refuse it, naming each field (the ERP words it
as Business Central does: 400 `{"error": {"code", "message"}}`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import simplejson

from mocks._http import Problem

__all__ = ["drifts", "v1_request", "v2_response"]

_DOCUMENTS = {"salesInvoices": "salesInvoiceLines", "salesCreditMemos": "salesCreditMemoLines"}
_LINE_LISTS = tuple(_DOCUMENTS.values())


def drifts(path: str) -> bool:
    """Whether a request to ``path`` is one whose shape changed in v2 (document endpoints)."""
    return "/salesInvoices" in path or "/salesCreditMemos" in path


def v1_request(request: httpx.Request) -> httpx.Request | Problem:
    """A v2 document create translated for the v1 mock, or the 422 v2 gives a v1 create."""
    collection = request.url.path.rsplit("/", 1)[-1]
    if request.method != "POST" or collection not in _DOCUMENTS:
        return request
    try:
        body = simplejson.loads(request.content, use_decimal=True)
    except ValueError:
        return request  # the mock explains malformed JSON itself
    if not isinstance(body, dict):
        return request
    errors: list[dict[str, str]] = []
    if collection == "salesInvoices":
        posting = body.pop("postingDate", None)
        if posting is None:
            errors.append({"field": "postingDate", "message": "Field required"})
        elif not _is_date(posting):
            errors.append({"field": "postingDate", "message": "expected a date (YYYY-MM-DD)"})
    lines_key = _DOCUMENTS[collection]
    lines = body.get(lines_key)
    for i, line in enumerate(lines if isinstance(lines, list) else []):
        if not isinstance(line, dict):
            continue
        if "description" in line:
            message = "Extra inputs are not permitted (renamed lineDescription in v2)"
            errors.append({"field": f"{lines_key}.{i}.description", "message": message})
        if "lineDescription" in line:
            line["description"] = line.pop("lineDescription")
        elif "description" not in line:
            errors.append({"field": f"{lines_key}.{i}.lineDescription",
                           "message": "Field required"})  # fmt: skip
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        return Problem(422, "Unprocessable Entity", f"invalid fields: {fields}", errors=errors)
    content = simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()
    headers = [(k, v) for k, v in request.headers.items() if k != "content-length"]
    return httpx.Request(
        request.method, request.url, headers=headers, content=content,
        extensions=request.extensions,
    )  # fmt: skip


def v2_response(response: httpx.Response, path: str) -> httpx.Response:
    """The mock's answer to a request for ``path`` with every document line in v2 shape."""
    if response.status_code >= 400 or not response.content:
        return response
    body = simplejson.loads(response.content, use_decimal=True)
    _rename(body, path.endswith(_LINE_LISTS))
    content = simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()
    headers = [(k, v) for k, v in response.headers.items() if k != "content-length"]
    return httpx.Response(response.status_code, headers=headers, content=content)


def _rename(body: Any, lines_listed: bool) -> None:
    items = body.get("value") if isinstance(body, dict) and "value" in body else [body]
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if lines_listed:
            _v2_line(item)
            continue
        for key in _LINE_LISTS:
            for line in item.get(key) or []:
                _v2_line(line)


def _v2_line(line: dict[str, Any]) -> None:
    if "description" in line:
        line["lineDescription"] = line.pop("description")


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True
