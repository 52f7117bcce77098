"""Credits larger than the month: never a negative sales invoice.

Business Central refuses to post a sales invoice whose total is negative ("The total amount
for the invoice must be 0 or greater"); a service credit the month's charges cannot absorb
reaches the client on a credit note. The core issues one, the run is clean, and the same books
with the credit folded back into the invoice (a negative invoice) are caught.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

from sim.judge import judge
from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.support.paths import SMALL


def test_credits_larger_than_the_month_are_a_credit_note(tmp_path: Path) -> None:
    text = Path(SMALL).read_text(encoding="utf-8")
    old = "        rates: {engineer: {GB: 95.25}}\n"
    assert text.count(old) == 1
    text = text.replace(old, old + "    service_level: {credit_per_breach: 60000.00, "
                        "monthly_cap: 60000.00, breaches: [2026-03-10]}\n")  # fmt: skip
    file = tmp_path / "big-credit.yaml"
    file.write_text(text, encoding="utf-8")
    result = run(load_scenario(file), 3)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    books = result.record.books
    memos = [m for m in books.credit_memos if m["status"] == "Open"]
    assert [x["billingRole"] for m in memos for x in m["salesCreditMemoLines"]] == ["credit"]
    assert Decimal(memos[0]["totalAmountExcludingTax"]) == Decimal("60000.00")

    doctored = copy.deepcopy(books)  # the credit back on March's GB invoice: negative
    memo = doctored.credit_memos[doctored.credit_memos.index(memos[0])]
    doctored.credit_memos.remove(memo)
    invoice = next(i for i in doctored.invoices if i["currencyCode"] == "GBP"
                   and i["invoiceDate"] == memo["creditMemoDate"])  # fmt: skip
    line = copy.deepcopy(memo["salesCreditMemoLines"][0])
    for key in ("amountExcludingTax", "unitPrice", "totalTaxAmount", "amountIncludingTax"):
        if key in line:
            line[key] = -Decimal(line[key])
    line["sequence"] = 999_999
    invoice["salesInvoiceLines"].append(line)
    for key in ("totalAmountExcludingTax", "totalTaxAmount", "totalAmountIncludingTax"):
        invoice[key] = Decimal(invoice[key]) - Decimal(memo[key])
    invoice["remainingAmount"] = Decimal(invoice["remainingAmount"]) - Decimal(
        memo["totalAmountIncludingTax"]
    )
    verdict = judge(result.record.scenario, result.record.truth, doctored, result.record.facts)
    found = {(v.invariant, v.detail.split(":")[0]) for v in verdict.report.violations}
    assert ("documents", "negative_invoice") in found
