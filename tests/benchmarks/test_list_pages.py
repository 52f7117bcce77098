"""Benchmarks (``make bench``): a one-row list page with 50 and with 50,000 records in the tenant
(the same cost is the target), and the memory one stored record takes (tracemalloc).

Numbers are read, not asserted on time: machines are shared.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mocks import CrmMock, ErpMock

pytestmark = pytest.mark.benchmark


def _clock() -> datetime:
    return datetime(2026, 1, 5, tzinfo=UTC)


def _erp(n: int) -> tuple[ErpMock, str]:
    erp = ErpMock(_clock)
    company = erp.add_company("t", "DE01", "DE", "EUR")
    customers = erp.tables.table("t", "customers")
    for k in range(n):  # stored as the mock stores them, without n HTTP round trips
        customers[f"c{k}"] = {"id": f"c{k}", "number": f"C{k:05d}", "companyId": company,
                              "displayName": f"Customer {k}", "currencyCode": "EUR"}  # fmt: skip
    return erp, f"http://erp/api/v2.0/companies({company})/customers?$top=1"


@pytest.mark.parametrize("n", [50, 50_000])
def test_one_row_erp_page(benchmark: Any, n: int) -> None:
    """GET customers?$top=1 through the transport: the same with 50 or 50,000 customers."""
    erp, url = _erp(n)
    transport = erp.app.transport()
    request = httpx.Request("GET", url, headers={"x-tenant": "t"})
    assert benchmark(lambda: transport.handle_request(request).status_code) == 200


@pytest.mark.parametrize("n", [50, 50_000])
def test_won_deals_page(benchmark: Any, n: int) -> None:
    """The core's daily SOQL (WHERE IsWon = 'True'), 1 in 100 deals won."""
    crm = CrmMock(_clock)
    account = crm.create("t", "Account", {"Name": "A"})
    for k in range(n):
        stage = "Closed Won" if k % 100 == 0 else "Prospecting"
        crm.create("t", "Opportunity", {"Name": f"o{k}", "AccountId": account,
                                        "StageName": stage, "CloseDate": "2026-01-31"})  # fmt: skip
    q = "SELECT Id FROM Opportunity WHERE IsWon = 'True'"
    request = httpx.Request("GET", "http://crm/services/data/v60.0/query", params={"q": q},
                            headers={"x-tenant": "t"})  # fmt: skip
    transport = crm.app.transport()
    assert benchmark(lambda: transport.handle_request(request).status_code) == 200


def test_memory_per_stored_record(benchmark: Any) -> None:
    """Bytes per ERP customer as stored (record, table slot, two index entries)."""

    def measure() -> dict[str, float]:
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        kept = _erp(20_000)
        erp_bytes = tracemalloc.get_traced_memory()[0] - start
        tracemalloc.stop()
        del kept
        return {"erp_customer_bytes": erp_bytes / 20_000}

    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    assert result["erp_customer_bytes"] > 0
