"""The report on real run folders: every currency row adds up (library scenarios and faulty
designs), the PDF carries the verdict, cash, close and register, an invoice re-priced by hand
from the register matches to the cent, and a fault run's first page shows the outage's cost."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from reports import build_report
from sim.runner import run_scenario
from tests.support.paths import FLAGSHIP, ROOT, SMALL
from tests.support.reconcile import assert_rows_add_up

SCENARIOS = ROOT / "scenarios"
# (scenario, seed, design, options): library runs and the deliberately faulty designs.
RUNS = {
    "flagship": (FLAGSHIP, 7, "reference", {}),
    "outage-no-retries": (SCENARIOS / "month-end-erp-outage.yaml", 1, "reference",
                          {"retries": "false"}),
    "lost-responses-no-idempotency": (SCENARIOS / "lost-responses.yaml", 1, "reference",
                                      {"idempotency": "false"}),
    "small-forgetful": (SMALL, 3, "tests.support.designs:forgetful", {}),
    "small-untaxed": (SMALL, 3, "tests.support.designs:untaxed", {}),
    "po-holds-ignores-receipts": (SCENARIOS / "po-holds.yaml", 1,
                                  "tests.support.designs:ignores_receipts", {}),
    "retro-recharges": (SCENARIOS / "retroactive-rate-change.yaml", 1,
                        "tests.support.designs:recharges", {}),
}  # fmt: skip


@pytest.fixture(scope="session")
def run_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each run of RUNS written once, with its report, for every test here."""
    base = tmp_path_factory.mktemp("report-runs")
    folders = {}
    for name, (scenario, seed, design, options) in RUNS.items():
        out = base / name
        run_scenario(scenario, seed, design, options, out=out)
        build_report(out)
        folders[name] = out
    return folders


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_each_currency_row_adds_up(run_folders: dict[str, Path], name: str) -> None:
    """billable = correct + leaked + duplicated + mis-billed + held, per currency, from items.csv;
    and the parts the metrics also state (billable, correct, leaked, held) agree with them."""
    folder = run_folders[name]
    assert_rows_add_up(folder)
    assert "NO" not in [r for r in (folder / "report.html").read_text().split("<td>")[1:2]]


def _pdf_pages(path: Path) -> list[str]:
    """The text of each page; every page also renders to a non-blank image."""
    document = pdfium.PdfDocument(path)
    texts = []
    for page in document:
        image = page.render(scale=0.5).to_pil().convert("L")
        low, high = image.getextrema()
        assert high - low > 100  # ink on paper, not a blank page
        texts.append(page.get_textpage().get_text_range())
    return texts


@pytest.mark.slow
def test_flagship_pdf_has_verdict_cash_close_and_register(run_folders: dict[str, Path]) -> None:
    pages = _pdf_pages(run_folders["flagship"] / "report.pdf")
    text = "\n".join(pages)
    assert len(pages) >= 3
    assert "Verdict: All invariants hold" in pages[0]
    assert "Money at risk: none" in pages[0]
    assert "Page 1 of" in pages[0] and "global-engineering-msa · seed 7" in pages[0]
    for heading in ("Cash", "Month-end close", "Invoice register summary", "Faults and resilience"):
        assert heading in text
    assert "85.0 days" in text  # EUR DSO, from metrics.json
    assert "₹" in text  # INR in its own symbol ...
    assert "₹2,73,15,734.28" in text  # ... and Indian grouping (INR billed correctly)
    assert "Business question: when a global engineering consultancy" in pages[0]  # about.json


@pytest.mark.slow
def test_outage_first_page_shows_the_outage_and_its_cost(run_folders: dict[str, Path]) -> None:
    folder = run_folders["outage-no-retries"]
    first = _pdf_pages(folder / "report.pdf")[0]
    metrics = json.loads((folder / "metrics.json").read_text())
    leaked = Decimal(metrics["amounts"]["EUR"]["leaked"])
    assert leaked > 0
    assert f"Money at risk: €{leaked:,}" in first
    assert "Invariant broken: no leakage." in first
    assert "ERP outage" in first  # the root cause beside the money
    assert "Billing run of" in first
    html = (folder / "report.html").read_text()
    assert html.index("Money at risk") < html.index("Why the leaked items were not billed")


def _round(amount: Decimal, rule: str) -> Decimal:
    mode = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}[rule]
    return amount.quantize(Decimal("0.01"), rounding=mode)


@pytest.mark.slow
def test_an_invoice_reprices_from_its_register_lines(run_folders: dict[str, Path]) -> None:
    """Take the flagship's invoice with an expense paid in another currency and rebuild it by
    hand: hours x rate and paid amount x the ERP's rate (from erp-exchange-rates.json) x markup,
    each rounded by the contract's rule, add up to the ERP's totals to the cent."""
    folder = run_folders["flagship"]
    rows = pq.read_table(folder / "invoice-register.parquet").to_pylist()
    foreign = [
        r for r in rows
        if r["expense_paid_currency"] and r["expense_paid_currency"] != r["currency"]
    ]  # fmt: skip
    assert foreign
    number = foreign[0]["document_number"]
    lines = [r for r in rows if r["document_number"] == number]
    scenario = json.loads((folder / "scenario.json").read_text())
    contract = next(c for c in scenario["contracts"] if c["id"] in lines[0]["reference"])
    markup = Decimal(contract["expense_policy"]["markup_percent"])
    published = {
        (r["currency"], r["local"], r["date"]): Decimal(str(r["rate"]))
        for r in json.loads((folder / "books" / "erp-exchange-rates.json").read_text())
    }
    for line in lines:
        if line["expense_paid_currency"]:
            paid, cur = line["expense_paid_currency"], line["currency"]
            rate = Decimal(1) if paid == cur else published[(paid, cur, line["fx_date"])]
            assert line["fx_rate"] == rate
            exact = line["expense_paid_amount"] * rate * (1 + markup / 100)
            assert _round(exact, contract["rounding"]) == line["net"], line["description"]
        elif line["billing_role"] == "charge":
            exact = line["quantity"] * line["unit_price"]
            assert _round(exact, contract["rounding"]) == line["net"], line["description"]
        assert line["net"] + line["tax"] == line["gross"]
    head = lines[0]
    assert sum(line["net"] for line in lines) == head["document_net"]
    assert sum(line["tax"] for line in lines) == head["document_tax"]
    assert head["document_net"] + head["document_tax"] == head["document_gross"]
    text = (folder / "invoice-register.csv").read_text()
    assert number in text and len(text.splitlines()) == len(rows) + 1
