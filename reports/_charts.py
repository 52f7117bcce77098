"""Charts as self-contained PNG data URIs, drawn with matplotlib's Agg backend (no pyplot)."""

from __future__ import annotations

import base64
import io
import math
import statistics

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from reports._format import kind_label, month_label, month_range
from reports._items import MonthTotals

BILLABLE_COLOUR = "#a0aec0"
INVOICED_COLOUR = "#2b6cb0"
_DPI = 110


def monthly_chart(currency: str, months: dict[str, MonthTotals]) -> str:
    """Grouped bars per month: expected amount of the month's items vs the amount billed."""
    labels = month_range(sorted(months))
    billable = [float(months[m].billable) if m in months else 0.0 for m in labels]
    invoiced = [float(months[m].invoiced) if m in months else 0.0 for m in labels]
    fig = _figure(9.0, 3.4)
    ax = fig.add_subplot()
    xs = range(len(labels))
    width = 0.4
    ax.bar([x - width / 2 for x in xs], billable, width, label="Billable", color=BILLABLE_COLOUR)
    ax.bar([x + width / 2 for x in xs], invoiced, width, label="Invoiced", color=INVOICED_COLOUR)
    ax.set_xticks(list(xs), [month_label(m, sep="\n") for m in labels])
    ax.yaxis.set_major_formatter(FuncFormatter(_short_amount))
    ax.set_ylabel(currency)
    ax.set_title(f"{currency}: billable vs invoiced by month of work", loc="left", fontsize=11)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _tidy(ax)
    return _data_uri(fig)


def cycle_chart(cycle_hours: dict[str, list[float]]) -> str | None:
    """One histogram per item kind of the hours from approval (or acceptance) to invoice."""
    kinds = [kind for kind, values in cycle_hours.items() if values]
    if not kinds:
        return None
    longest = max(max(cycle_hours[kind]) for kind in kinds)
    in_days = longest > 72
    unit, scale = ("days", 24.0) if in_days else ("hours", 1.0)
    fig = _figure(9.0, 3.2)
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    for ax, kind in zip(axes, kinds, strict=True):
        values = [v / scale for v in cycle_hours[kind]]
        bins = min(40, max(5, int(math.sqrt(len(values)))))
        ax.hist(values, bins=bins, color=INVOICED_COLOUR, alpha=0.85)
        median = statistics.median(values)
        ax.axvline(median, color="#c05621", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"median {median:,.1f} {unit}",
            xy=(median, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color="#c05621",
            fontsize=9,
        )
        ax.set_title(f"{kind_label(kind)} ({len(values):,} invoiced)", loc="left", fontsize=11)
        ax.set_xlabel(f"{unit} to invoice")
        _tidy(ax)
    axes[0].set_ylabel("items")
    return _data_uri(fig)


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _tidy(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e2e8f0", linewidth=0.8)
    ax.set_axisbelow(True)


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short_amount(value: float, _pos: object = None) -> str:
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:,.1f}M"
    if size >= 1_000:
        return f"{value / 1_000:,.0f}k"
    return f"{value:,.0f}"
