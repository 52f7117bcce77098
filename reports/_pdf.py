"""`report.pdf`: the report's sections on A4 pages with a running header and page footer,
drawn with fpdf2 (pure Python: no browser, no system library).

The text uses DejaVu Sans, the font matplotlib ships with (so every pip install has it), since
the PDF core fonts cannot write €, ₹ or →. The PDF is built from the same context as the HTML,
so both say the same thing; it leads with the verdict and the money at risk.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FAMILY = "DejaVu"
_ROW_LIMIT = 30  # long tables are cut, pointing to the file that holds every row
_TABLE_FONT = 7.5
_PAD = 2.6  # mm a cell needs beyond its text (padding both sides, rounding)
# A cell that is a number: an amount in any currency (€1,234.56, SEK 1,234.56, −₹5.00), a count,
# a percentage, days or hours, "12 (3)"; a column of them (and dashes, yes/NO) is right-aligned.
_NUMBER = re.compile(
    r"[−+-]?(?:[^\w\s]{1,3}|[A-Z]{1,3}[^\w\s]?)?\s?[−-]?\d[\d,.]*"
    r"(?:\s?(?:%|d|days|h)|\s\(\d[\d,]*\))?"
)
_NEUTRAL = {"", "—", "-", "yes", "NO"}
_INK, _MUTED, _BAD, _GOOD = (26, 32, 44), (90, 102, 119), (197, 48, 48), (39, 103, 73)


class _Report(FPDF):
    def __init__(self, title: str, dated: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.title_text = title
        self.add_font(_FAMILY, "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font(_FAMILY, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 16, 14)
        # Dated by the run's period, not the wall clock: the same run folder gives the same bytes.
        try:
            day = datetime.fromisoformat(dated).replace(tzinfo=UTC)
        except ValueError:
            day = datetime(2000, 1, 1, tzinfo=UTC)
        self.set_creation_date(day)

    def header(self) -> None:
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, self.title_text, new_x="LMARGIN", new_y="NEXT")
        self.line(14, 21, 196, 21)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def write_pdf(context: dict[str, Any], target: Path) -> Path:
    """Render the report context to `target` as a paginated PDF."""
    about = context["about"]
    pdf = _Report(
        f"Quote-to-cash run report · {about['scenario']} · seed {about['seed']} · "
        f"design {about['design']} · options {about['options']}",
        str(about["end"]),
    )
    pdf.add_page()
    _front(pdf, context)
    _violations(pdf, context)
    _operations(pdf, context)
    _live(pdf, context)
    _cash(pdf, context)
    _register(pdf, context)
    _charts(pdf, context)
    pdf.output(str(target))
    return target


def _heading(pdf: FPDF, text: str, size: float = 13) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(_FAMILY, "B", size)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _text(pdf: FPDF, text: str, size: float = 9, colour: tuple[int, int, int] = _INK) -> None:
    pdf.set_font(_FAMILY, "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(1)


def _widths(
    pdf: FPDF, head: list[str], rows: list[list[str]], widths: tuple[int, ...] | None,
    aligns: tuple[str, ...],
) -> tuple[float, ...]:  # fmt: skip
    """Column widths filling the page: those given, else each column's natural width (its
    longest cell on one line) plus an equal share of the room left, or, when the natural widths
    overflow the page, less what the text columns can wrap. Then a column narrower than its
    floor (its heading's width; for a column of numbers, its longest number) takes the room from
    columns above theirs: no heading breaks mid-phrase and no amount across two lines."""
    total = pdf.epw
    pdf.set_font(_FAMILY, "B", _TABLE_FONT)
    need = [pdf.get_string_width(h) + _PAD for h in head]
    pdf.set_font(_FAMILY, "", _TABLE_FONT)
    natural = [
        max([need[i], *(pdf.get_string_width(r[i]) + _PAD for r in rows if i < len(r))])
        for i in range(len(head))
    ]
    floor = [n if a == "RIGHT" else h for n, h, a in zip(natural, need, aligns, strict=True)]
    if widths is not None:
        w = [total * x / sum(widths) for x in widths]
    elif sum(natural) <= total:  # the room left is shared equally
        w = [x + (total - sum(natural)) / len(natural) for x in natural]
    else:  # the text columns wrap to make room
        slack = [n - f for n, f in zip(natural, floor, strict=True)]
        cut = min((sum(natural) - total) / max(sum(slack), 1e-9), 1)
        w = [n - s * cut for n, s in zip(natural, slack, strict=True)]
    deficit = sum(max(f - x, 0) for f, x in zip(floor, w, strict=True))
    spare = [max(x - f, 0) for f, x in zip(floor, w, strict=True)]
    if 0 < deficit <= sum(spare):
        w = [
            f if x < f else x - deficit * s / sum(spare)
            for f, x, s in zip(floor, w, spare, strict=True)
        ]
    return tuple(w)


def _aligns(head: list[str], rows: list[list[str]]) -> tuple[str, ...]:
    """RIGHT for a column of numbers (dashes and yes/NO allowed), LEFT for the rest."""
    aligns = []
    for i in range(len(head)):
        cells = [str(r[i]).strip() for r in rows if i < len(r)]
        numbers = [c for c in cells if c not in _NEUTRAL]
        numeric = bool(numbers) and all(_NUMBER.fullmatch(c) for c in numbers)
        aligns.append("RIGHT" if numeric and i > 0 else "LEFT")
    return tuple(aligns)


def _table(
    pdf: FPDF, head: list[str], rows: list[list[str]], widths: tuple[int, ...] | None = None,
    note: str = "",
) -> None:  # fmt: skip
    shown = [[str(cell) for cell in r] for r in rows[:_ROW_LIMIT]]
    aligns = _aligns(head, shown)
    col_widths = _widths(pdf, head, shown, widths, aligns)
    pdf.set_font(_FAMILY, "", _TABLE_FONT)
    pdf.set_text_color(*_INK)
    with pdf.table(
        width=pdf.epw,
        col_widths=col_widths,
        headings_style=FontFace(emphasis="BOLD", fill_color=(237, 242, 247)),
        line_height=4.2,
        text_align=aligns,
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        for cells in [head, *shown]:
            row = table.row()
            for cell in cells:
                row.cell(str(cell))
    if len(rows) > len(shown) or note:
        more = f"{len(rows) - len(shown):,} more rows not shown. " if len(rows) > len(shown) else ""
        _text(pdf, more + note, 7.5, _MUTED)
    pdf.ln(2)


def _front(pdf: FPDF, c: dict[str, Any]) -> None:
    about, verdict, banner = c["about"], c["verdict"], c["banner"]
    _heading(pdf, f"Run report: {about['scenario']}", 16)
    _text(
        pdf,
        f"Design {about['design']} · seed {about['seed']} · options {about['options']} · "
        f"billing period {about['start']} to {about['end']}",
        9,
        _MUTED,
    )
    if c["question"]:
        _text(pdf, f"Business question: {c['question']}", 9.5)
    colour = _GOOD if verdict.status == "pass" else _BAD
    pdf.set_font(_FAMILY, "B", 15)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, 8, f"Verdict: {verdict.title}", new_x="LMARGIN", new_y="NEXT")
    if banner is not None:
        pdf.set_font(_FAMILY, "B", 12)
        missing = f" (without {', '.join(banner['missing'])}: no rate)" if banner["missing"] else ""
        line = (
            f"Money at risk: {banner['total']} in {banner['reporting']}{missing}"
            if banner["any"]
            else "Money at risk: none"
        )
        pdf.multi_cell(0, 6.5, line, new_x="LMARGIN", new_y="NEXT")
    _text(pdf, c["summary"], 9.5)
    figures = c["figures"]
    _text(
        pdf,
        f"{figures[0]['value']} billable items · {figures[1]['value']} billed correctly by count"
        f" · {figures[2]['value']} by amount (lowest currency) · {figures[3]['value']} invoices",
        9,
    )
    if c["faults_fired"]:
        fired = ", ".join(f"{k} {v}" for k, v in sorted(c["faults_fired"].items()))
        _text(pdf, f"Faults injected and fired: {fired}. See Faults and resilience.", 9, _BAD)
    if banner is not None:
        _heading(pdf, "Money at risk per currency", 11)
        _table(
            pdf,
            ["Currency", "At risk", f"In {banner['reporting']}", "Made of", "Held, explained"],
            [
                [r["currency"], r["at_risk"], r["converted"], "; ".join(r["kinds"]) or "—",
                 r["held"]]
                for r in banner["rows"]
            ],
            (20, 26, 26, 74, 26),
        )  # fmt: skip


def _violations(pdf: FPDF, c: dict[str, Any]) -> None:
    if c["groups"]:
        _heading(pdf, "What went wrong, by invariant and cause")
        _table(
            pdf,
            ["Invariant", "Cause", "Items", "At risk", "Contracts with most at stake"],
            [[g["title"], g["cause"], g["count"], g["amounts"], g["contracts"]]
             for g in c["groups"]],
            (30, 36, 14, 30, 72),
            "Every item is in items.csv; every violation in metrics.json.",
        )  # fmt: skip
    if c["root_causes"]:
        _heading(pdf, "Why the leaked items were not billed", 11)
        _table(
            pdf,
            ["Root cause", "Items", "Amount", "Evidence"],
            [[r["cause"], r["count"], r["amount"], r["evidence"]] for r in c["root_causes"]],
            (50, 12, 26, 94),
        )
    rec = c["reconciliation"]
    if rec:
        _heading(pdf, "Where every billable amount went", 11)
        rows = rec["rows"]
        lines = [
            ["Billable", *[r["billable"] for r in rows]],
            *[[label, *[r["cells"][i]["text"] for r in rows]]
              for i, label in enumerate(rec["columns"])],
            ["Adds up", *["yes" if r["adds_up"] else "NO" for r in rows]],
            ["Billed on invoices", *[r["billed"] for r in rows]],
            ["Over (+) / under (−) billed", *[r["difference"] for r in rows]],
        ]  # fmt: skip
        _table(
            pdf,
            ["", *[r["currency"] for r in rows]],
            lines,
            note="Billable = billed correctly + leaked + duplicated + mis-billed + held, each item "
            "at the amount it should have been billed at.",
        )


def _operations(pdf: FPDF, c: dict[str, Any]) -> None:
    _heading(pdf, "Faults and resilience")
    if c["resilience"]:
        _table(
            pdf,
            ["Vendor", "Calls", "Failed", "In outage", "429", "Retries", "Circuit opens"],
            [[r["vendor"], r["calls"], r["failed"], r["outage"], r["throttled"], r["retries"],
              r["opens"]] for r in c["resilience"]],
        )  # fmt: skip
    if c["timeline"]:
        _table(
            pdf,
            ["When (UTC)", "What", "Detail"],
            [[t["at"], t["what"], t["detail"]] for t in c["timeline"]],
            (30, 45, 107),
        )
    else:
        _text(pdf, "No vendor fault, circuit open, dead letter, replay or crash in this run.")
    _heading(pdf, "Month-end close")
    if c["close"]:
        _table(
            pdf,
            ["Close", "Billing run", "Opened", "Resolved", "Open", "Open by reason", "Oldest",
             "Dead letters"],
            [[r["close"], r["at"], r["opened"], r["resolved"], r["open"], r["reasons"] or "—",
              r["oldest"], r["dead_letters"]] for r in c["close"]],
            (20, 28, 14, 16, 12, 56, 16, 20),
            "Exceptions of the core at the end of each billing run's day.",
        )  # fmt: skip
    else:
        _text(pdf, "The trace records no billing run.")


def _live(pdf: FPDF, c: dict[str, Any]) -> None:
    """The external integration (``q2c run --integration``): as the HTML's section of that
    name, from the same context (``reports._live``); nothing for an in-process design."""
    live = c.get("live")
    if not live:
        return
    _heading(pdf, "External integration")
    _text(pdf, f"Run against {live['integration']} on the test clock: {live['clock']}; "
               f"{live['time']}.")  # fmt: skip
    _text(pdf, f"{live['determinism']}.", 8, _MUTED)
    if live["answers"]:
        _table(pdf, ["The integration's answers", "Count"],
               [[kind, f"{count:,}"] for kind, count in live["answers"]], (150, 32))  # fmt: skip
    _text(pdf, f"{live['requests']:,} requests to the vendors, {live['nonconforming']:,} "
               "breaking a vendor's spec.")  # fmt: skip
    if live["findings"]:
        more = f"... and {live['more_findings']:,} more in live.json." if live[
            "more_findings"] else ""  # fmt: skip
        _table(
            pdf,
            ["Vendor", "Operation", "Side", "Rule", "Example", "Count"],
            [[f.get("vendor", ""), f.get("operation", ""), f.get("side", ""), f.get("rule", ""),
              str(f.get("example", "")), f"{f.get('count', 0):,}"] for f in live["findings"]],
            (18, 36, 14, 40, 58, 16),
            more,
        )  # fmt: skip


def _cash(pdf: FPDF, c: dict[str, Any]) -> None:
    _heading(pdf, "Cash")
    cash = c["cash"]
    if cash:
        _table(
            pdf,
            ["Currency", "Invoiced", "Collected", "Receivables", "DSO"],
            [[r["currency"], r["invoiced"], r["collected"], r["receivables"], r["dso"]]
             for r in cash["rows"]],
        )  # fmt: skip
        _table(
            pdf,
            ["AR aging", *cash["aging_columns"]],
            [[r["currency"], *r["aging"]] for r in cash["rows"]],
            note="The aging buckets add up to the receivables: days past due at the period's end.",
        )
        credits = "; ".join(f"{x['currency']}: {x['values']}" for x in cash["credit_notes"])
        _text(
            pdf,
            f"Invoiced to paid: {cash['paid_count']} paid, median {cash['paid_p50']}, p95 "
            f"{cash['paid_p95']}. Disputes: {cash['disputes']}. Credit notes: {credits or 'none'}.",
        )
    else:
        _text(pdf, "No cash figures in this run's metrics.")
    if c["tax"]:
        _heading(pdf, "Tax", 11)
        _table(
            pdf,
            ["Currency", "Tax billed less credits", "Committed in tax engine", "Difference",
             "Not committed"],
            [[r["currency"], r["billed"], r["committed"], r["difference"], r["uncommitted"]]
             for r in c["tax"]],
        )  # fmt: skip
    fx = c["fx"]
    if fx["rows"] or fx["rates"]:
        _heading(pdf, "FX", 11)
        if fx["rows"]:
            _table(
                pdf,
                ["Billed in", "Billed (with markup)", "Paid in"],
                [[r["currency"], r["billed"], r["paid_in"]] for r in fx["rows"]],
            )
        if fx["rates"]:
            _text(pdf, f"Totals in {fx['reporting']}: " + "; ".join(fx["rates"]), 8, _MUTED)


def _register(pdf: FPDF, c: dict[str, Any]) -> None:
    _heading(pdf, "Invoice register summary")
    if not c["register"]:
        _text(pdf, "No invoice in the ERP's books (or no books in this run folder).")
        return
    _table(
        pdf,
        ["Documents", "Posted (drafts)", "Lines", "Net", "Tax", "Gross", "Paid", "Open"],
        [[f"{r['currency']} {r['type'].lower()}", f"{r['documents']} ({r['drafts']})",
          r["lines"], r["net"], r["tax"], r["gross"], r["paid"], r["remaining"]]
         for r in c["register"]],
        note="Every line: invoice-register.parquet and invoice-register.csv in the run folder. "
        "Paid: payments applied; open: what remains to collect.",
    )  # fmt: skip


def _charts(pdf: FPDF, c: dict[str, Any]) -> None:
    images = [(f"{m['currency']}: variance by month", m["chart"]) for m in c["monthly"]]
    if c["cycle"]["chart"]:
        images.append(("Cycle time to invoice", c["cycle"]["chart"]))
    for title, uri in images:
        data = base64.b64decode(uri.split(",", 1)[1])
        if pdf.get_y() > 190:
            pdf.add_page()
        _heading(pdf, title, 11)
        pdf.image(io.BytesIO(data), w=182)
        pdf.ln(2)
