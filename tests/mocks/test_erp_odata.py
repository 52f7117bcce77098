"""OData queries on the ERP mock as Business Central takes them: ``$filter`` with comparison
and logical operators on every literal type BC writes, ``$select``, ``$orderby``, ``$top`` and
``$skip``, server-driven pages with ``$skiptoken``, incremental sync by
``lastModifiedDateTime``; what is not supported is BC's 400, never a 500; an indexed equality
reads its bucket, not the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mocks import ErpMock
from tests.support.contracts import Contract, bc_error

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class Books:
    """An ERP company with customers and invoices made one minute apart."""

    def __init__(self, invoices: int = 5) -> None:
        self.now = T0
        self.erp = ErpMock(lambda: self.now)
        self.company = self.erp.add_company("default", "ACME-DE", "DE", "EUR")
        self.co = f"/api/v2.0/companies({self.company})"
        self.http = Contract("erp").client(self.erp.app)
        self.customers = [self.customer(name) for name in ("Alpha", "Beta", "O'Brien")]
        self.invoices = [self.invoice(k) for k in range(invoices)]

    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    def customer(self, name: str) -> str:
        self.tick()
        body = {"displayName": name, "country": "DE", "currencyCode": "EUR"}
        made = self.http.post(f"{self.co}/customers", json=body)
        assert made.status_code == 201, made.text
        customer_id: str = made.json()["id"]
        return customer_id

    def invoice(self, k: int) -> dict[str, Any]:
        """Invoice ``k``: 100 x (k + 1) EUR, dated March (k + 1), for customer k mod 2."""
        self.tick()
        line = {"lineType": "Account", "lineObjectNumber": "40100", "description": f"[i{k}@v1]",
                "quantity": 1, "unitPrice": 100 * (k + 1)}  # fmt: skip
        body = {"customerId": self.customers[k % 2], "invoiceDate": f"2024-03-{k + 1:02d}",
                "currencyCode": "EUR", "externalDocumentNumber": f"PO-{k}",
                "salesInvoiceLines": [line]}  # fmt: skip
        made = self.http.post(f"{self.co}/salesInvoices", json=body)
        assert made.status_code == 201, made.text
        invoice: dict[str, Any] = made.json()
        return invoice

    def numbers(self, params: dict[str, str], **headers: str) -> list[str]:
        answer = self.http.get(f"{self.co}/salesInvoices", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [i["number"] for i in answer.json()["value"]]


@pytest.fixture(scope="module")
def books() -> Books:
    return Books()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("totalAmountExcludingTax gt 300", [3, 4]),
        ("totalAmountExcludingTax ge 300", [2, 3, 4]),
        ("totalAmountExcludingTax lt 200.5", [0, 1]),
        ("totalAmountExcludingTax le 100 or totalAmountExcludingTax eq 500", [0, 4]),
        ("invoiceDate ge 2024-03-02 and invoiceDate lt 2024-03-04", [1, 2]),
        ("invoiceDate ne 2024-03-01", [1, 2, 3, 4]),
        ("lastModifiedDateTime gt 2024-03-01T09:06:00Z", [3, 4]),
        ("externalDocumentNumber eq 'PO-3'", [3]),
        (
            "status eq 'Draft' and (externalDocumentNumber eq 'PO-0' or number eq 'S-INV000005')",
            [0, 4],
        ),
        ("dueDate eq null and externalDocumentNumber ne 'PO-1'", [0, 2, 3, 4]),
    ],
)
def test_filter_operators_on_every_literal_type(
    books: Books, expression: str, expected: list[int]
) -> None:
    """Numbers, dates, date-times, text and null, compared by value, joined by and/or."""
    want = [books.invoices[k]["number"] for k in expected]
    assert books.numbers({"$filter": expression}) == want


def test_guid_literals_are_unquoted_as_bc_writes_them(books: Books) -> None:
    """``customerId eq <guid>`` (no quotes, any case); a quoted GUID is another type: 400."""
    alpha = books.customers[0]
    both = books.numbers({"$filter": f"customerId eq {alpha.upper()}"})
    assert both == [books.invoices[k]["number"] for k in (0, 2, 4)]
    quoted = books.http.get(
        f"{books.co}/salesInvoices", params={"$filter": f"customerId eq '{alpha}'"}
    )
    assert "incompatible types" in bc_error(quoted, 400, "BadRequest")


def test_a_quote_inside_text_is_doubled(books: Books) -> None:
    answer = books.http.get(
        f"{books.co}/customers", params={"$filter": "displayName eq 'O''Brien'"}
    )
    assert [c["displayName"] for c in answer.json()["value"]] == ["O'Brien"]


@pytest.mark.parametrize(
    "expression",
    [
        "startswith(displayName, 'A')",
        "displayName eq",
        "displayName has 'A'",
        "vatNumber eq 'x'",
        "totalAmountExcludingTax eq 'x'",
        "invoiceDate eq 2024-13-45",
        "lastModifiedDateTime gt 2024-03-01",
        "(status eq 'Draft'",
        "status eq 'Draft')",
        "status eq 'Draft' and",
        "status gt null",
        "salesInvoiceLines eq 'x'",
        "status eq 'unterminated",
        "§",
        "not status eq 'Draft'",
        "x" * 3000,
    ],
)
def test_what_is_not_supported_is_bcs_400_never_a_500(books: Books, expression: str) -> None:
    answer = books.http.get(f"{books.co}/salesInvoices", params={"$filter": expression})
    assert bc_error(answer, 400, "BadRequest")


def test_select_answers_only_the_named_properties_and_the_tag(books: Books) -> None:
    answer = books.http.get(
        f"{books.co}/salesInvoices",
        params={"$select": "number, totalAmountIncludingTax", "$top": "1"},
    )
    (row,) = answer.json()["value"]
    assert set(row) == {"@odata.etag", "number", "totalAmountIncludingTax"}
    unknown = books.http.get(f"{books.co}/salesInvoices", params={"$select": "number,vat"})
    assert "'vat'" in bc_error(unknown, 400, "BadRequest")


def test_orderby_sorts_each_key_in_its_direction(books: Books) -> None:
    """By customer (ascending), then amount descending; ties keep the order of creation."""
    order = {"$orderby": "customerNumber asc,totalAmountExcludingTax desc"}
    assert books.numbers(order) == [books.invoices[k]["number"] for k in (4, 2, 0, 3, 1)]
    assert books.numbers({"$orderby": "invoiceDate desc", "$top": "2"}) == [
        books.invoices[k]["number"] for k in (4, 3)
    ]
    bad = books.http.get(f"{books.co}/salesInvoices", params={"$orderby": "number sideways"})
    bc_error(bad, 400, "BadRequest")


def test_server_driven_pages_follow_the_skiptoken_through_filter_order_and_top() -> None:
    """Pages of 2 under ``Prefer: odata.maxpagesize``; ``$top`` bounds the whole result across
    pages; the next link keeps the query; a forged token is a 400."""
    books = Books(invoices=7)
    paged = {"Prefer": "odata.maxpagesize=2"}
    query = {"$filter": "totalAmountExcludingTax ge 200", "$orderby": "invoiceDate desc",
             "$top": "5", "$select": "number"}  # fmt: skip
    seen: list[str] = []
    answer = books.http.get(f"{books.co}/salesInvoices", params=query, headers=paged)
    assert answer.headers["preference-applied"] == "odata.maxpagesize=2"
    while True:
        body = answer.json()
        assert len(body["value"]) <= 2
        seen += [row["number"] for row in body["value"]]
        if "@odata.nextLink" not in body:
            break
        assert "$skiptoken=" in body["@odata.nextLink"]
        answer = books.http.get(body["@odata.nextLink"], headers=paged)
    assert seen == [books.invoices[k]["number"] for k in (6, 5, 4, 3, 2)]
    forged = {"$skiptoken": "nobody:3"}
    bc_error(books.http.get(f"{books.co}/salesInvoices", params=forged), 400, "BadRequest")
    whole = books.http.get(f"{books.co}/salesInvoices").json()
    assert len(whole["value"]) == 7 and "@odata.nextLink" not in whole  # BC's page: 20,000


def test_incremental_sync_reads_what_changed_since_the_last_read() -> None:
    """``lastModifiedDateTime gt <last sync>`` returns the invoices posted since, and only
    those; a record's change moves its time (and its tag)."""
    books = Books(invoices=3)
    since = books.now.isoformat().replace("+00:00", "Z")
    books.tick()
    posted = books.invoices[1]
    books.http.post(f"{books.co}/salesInvoices({posted['id']})/Microsoft.NAV.post")
    changed = books.numbers({"$filter": f"lastModifiedDateTime gt {since}"})
    assert changed == [posted["number"]]


def test_an_indexed_equality_reads_its_bucket_not_the_table() -> None:
    """2,000 invoices: a look-up by ``externalDocumentNumber`` (with a range on another
    property) reads the one matching record, however many the company has."""
    books = Books(invoices=0)
    for k in range(2000):
        books.erp.tables.insert("default", "salesInvoices", _stored(books, k))
    before = books.erp.tables.scanned
    query = {"$filter": "externalDocumentNumber eq 'PO-1234' and totalAmountExcludingTax gt 0"}
    assert books.numbers(query) == ["S-INV901234"]
    assert books.erp.tables.scanned - before == 1


def test_an_incremental_sync_reads_the_changed_rows_not_the_history() -> None:
    """2,000 invoices from the past, 3 changed since the last sync (two posted, one new): a
    ``lastModifiedDateTime gt <last sync>`` page reads those 3 rows, in the order a scan of
    the table gives them, whatever the history; a second sync reads none."""
    books = Books(invoices=0)
    for k in range(2000):
        books.erp.tables.insert("default", "salesInvoices", _stored(books, k))
    books.now = T0 + timedelta(days=1)
    since = books.now.isoformat().replace("+00:00", "Z")
    new = books.invoice(0)
    for k in (1500, 7):
        invoice_id = f"00000000-0000-0000-0000-{k:012d}"
        books.http.post(f"{books.co}/salesInvoices({invoice_id})/Microsoft.NAV.post")
    before = books.erp.tables.scanned
    changed = books.numbers({"$filter": f"lastModifiedDateTime gt {since}"})
    assert changed == ["S-INV900007", "S-INV901500", new["number"]]
    assert books.erp.tables.scanned - before == 3
    later = books.now.isoformat().replace("+00:00", "Z")
    before = books.erp.tables.scanned
    assert books.numbers({"$filter": f"lastModifiedDateTime gt {later}"}) == []
    assert books.erp.tables.scanned - before == 0


def test_a_bank_transfer_the_world_books_is_a_change_an_incremental_sync_sees() -> None:
    """A transfer applied without a request (the bank feed) moves the invoice's stamp, and the
    sync finds the paid invoice (and not the others)."""
    books = Books(invoices=2)
    paid = books.invoices[1]
    books.http.post(f"{books.co}/salesInvoices({paid['id']})/Microsoft.NAV.post")
    books.tick()
    since = books.now.isoformat().replace("+00:00", "Z")
    books.tick()
    books.erp.receive_transfer("default", paid["id"], Decimal(50), paid["number"])
    assert books.numbers({"$filter": f"lastModifiedDateTime gt {since}"}) == [paid["number"]]


@pytest.mark.parametrize(
    "expression",
    [
        "lastModifiedDateTime gt {t1}",
        "lastModifiedDateTime ge {t1}",
        "lastModifiedDateTime ge {t1} and lastModifiedDateTime lt {t3}",
        "lastModifiedDateTime gt {t1} and lastModifiedDateTime le {t3}",
        "lastModifiedDateTime ge {t1} and lastModifiedDateTime gt {t2}",
        "lastModifiedDateTime gt {t2} and lastModifiedDateTime ge {t2}",
        "lastModifiedDateTime eq {t2}",
        "lastModifiedDateTime gt {t1} and totalAmountExcludingTax gt 150",
        "lastModifiedDateTime gt {t1} or totalAmountExcludingTax gt 450",
        "lastModifiedDateTime lt {t3}",
    ],
)
def test_a_stamp_window_answers_as_the_scan_would(expression: str) -> None:
    """Every window (bounds strict or not, combined, with other terms) gives the records a
    scan of the company's invoices finds, in the same order, a posted invoice included."""
    books = Books(invoices=5)
    books.tick()
    books.http.post(f"{books.co}/salesInvoices({books.invoices[1]['id']})/Microsoft.NAV.post")
    stamps = [i["lastModifiedDateTime"] for i in books.erp.invoices("default")]
    t1, t2, t3 = stamps[0], stamps[2], stamps[3]
    text = expression.format(t1=t1, t2=t2, t3=t3)
    scanned = books.erp.tables.scanned
    # under "or" no bound holds for every match: the same filter read by a scan of the company
    scan = books.numbers({"$filter": f"({text}) or number eq 'none'"})
    assert books.erp.tables.scanned - scanned == 5
    assert scan and books.numbers({"$filter": text}) == scan


def _stored(books: Books, k: int) -> dict[str, Any]:
    """A stored invoice record (made directly: 2,000 HTTP creates would only be slower)."""
    template = dict(books.erp.invoices("default")[0]) if books.erp.invoices("default") else {}
    return {
        **template,
        "@odata.etag": f'W/"{k:024x}"',
        "id": f"00000000-0000-0000-0000-{k:012d}",
        "number": f"S-INV{900000 + k}",
        "companyId": books.company,
        "customerId": books.customers[0],
        "customerNumber": "C00001",
        "customerName": "Alpha",
        "invoiceDate": "2024-03-01",
        "dueDate": None,
        "currencyCode": "EUR",
        "externalDocumentNumber": f"PO-{k}",
        "customerPurchaseOrderReference": None,
        "status": "Draft",
        "totalAmountExcludingTax": Decimal(k + 1),
        "totalTaxAmount": Decimal(0),
        "totalAmountIncludingTax": Decimal(k + 1),
        "paidAmount": Decimal(0),
        "creditedAmount": Decimal(0),
        "remainingAmount": Decimal(k + 1),
        "postedAt": None,
        "lastModifiedDateTime": "2024-03-01T09:00:00Z",
        "salesInvoiceLines": [],
    }


def test_a_bad_prefer_or_page_value_is_not_a_500(books: Books) -> None:
    for headers in ({"Prefer": "odata.maxpagesize=0"}, {"Prefer": "odata.maxpagesize=x"}):
        answer = books.http.get(f"{books.co}/salesInvoices", headers=headers)
        assert answer.status_code == 200 and len(answer.json()["value"]) == 5


def test_a_filter_past_its_declared_length_is_a_400() -> None:
    """``$filter`` is at most 2,048 characters (the sandbox's limit, declared as its
    ``maxLength``; Business Central publishes none): one more is BC's 400 ``BadRequest``,
    even when it would parse; at the limit it is read."""
    books = Books(invoices=1)
    padded = "number eq '" + "x" * (2048 - len("number eq ''")) + "'"
    assert len(padded) == 2048 and books.numbers({"$filter": padded}) == []
    longer = books.http.get(f"{books.co}/salesInvoices", params={"$filter": padded[:-1] + "x'"})
    assert "too long" in bc_error(longer, 400, "BadRequest")
