"""Charts as self-contained PNG data URIs, drawn with matplotlib's Agg backend (no pyplot)."""

from __future__ import annotations

import base64
import io
import math
import statistics

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from reports._format import kind_label, month_label, month_range
from reports._items import MonthTotals

BILLABLE_COLOUR = "#a0aec0"
INVOICED_COLOUR = "#2b6cb0"
BAD_COLOUR = "#c53030"
OVER_COLOUR = "#dd6b20"
_DPI = 110


def monthly_chart(currency: str, months: dict[str, MonthTotals]) -> str:
    """Variance per month of work: billed minus billable. Below zero, what was held on purpose
    (explained) and what is missing; above zero, what was billed beyond the billable amount.
    A month billed exactly shows no bar, so a small gap stands out instead of hiding between two
    nearly equal bars."""
    labels = month_range(sorted(months))
    totals = [months.get(m, MonthTotals()) for m in labels]
    held = [-float(t.held) for t in totals]
    gap = [float(t.invoiced + t.held - t.billable) for t in totals]
    missing = [min(g, 0.0) for g in gap]
    over = [max(g, 0.0) for g in gap]
    fig = _figure(9.0, 3.0)
    ax = fig.add_subplot()
    xs = list(range(len(labels)))
    ax.bar(xs, held, 0.6, label="Held on purpose (explained)", color=BILLABLE_COLOUR)
    ax.bar(xs, missing, 0.6, bottom=held, label="Not billed, unexplained", color=BAD_COLOUR)
    ax.bar(xs, over, 0.6, label="Billed beyond billable", color=OVER_COLOUR)
    ax.axhline(0, color="#1a202c", linewidth=0.8)
    ax.set_xticks(xs, [month_label(m, sep="\n") for m in labels])
    ax.yaxis.set_major_formatter(FuncFormatter(_short_amount))
    if not any(held) and not any(missing) and not any(over):
        ax.set_ylim(-1, 1)
        ax.text(0.5, 0.6, "every month billed exactly as billable", transform=ax.transAxes,
                ha="center", color="#276749")  # fmt: skip
    ax.set_ylabel(f"{currency}, billed − billable")
    ax.set_title(f"{currency}: variance by month of work", loc="left", fontsize=11)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    _tidy(ax)
    return _data_uri(fig)


def cycle_chart(cycle_hours: dict[str, list[float]]) -> str | None:
    """Days from approval (or acceptance) to invoice, one row per item kind on a shared axis,
    so the kinds compare at a glance and no panel's labels overlap another's."""
    kinds = [kind for kind, values in cycle_hours.items() if values]
    if not kinds:
        return None
    longest = max(max(cycle_hours[kind]) for kind in kinds)
    in_days = longest > 72
    unit, scale = ("days", 24.0) if in_days else ("hours", 1.0)
    fig = _figure(9.0, 1.1 + 1.3 * len(kinds))
    axes = fig.subplots(len(kinds), 1, squeeze=False, sharex=True)[:, 0]
    for ax, kind in zip(axes, kinds, strict=True):
        values = [v / scale for v in cycle_hours[kind]]
        bins = min(40, max(5, int(math.sqrt(len(values)))))
        ax.hist(values, bins=bins, color=INVOICED_COLOUR, alpha=0.85)
        median = statistics.median(values)
        ax.axvline(median, color="#c05621", linestyle="--", linewidth=1.2)
        ax.text(
            1.01, 0.5, f"{kind_label(kind)}\n{len(values):,} invoiced\nmedian {median:,.1f} {unit}",
            transform=ax.transAxes, va="center", fontsize=9,
        )  # fmt: skip
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
        ax.set_ylabel("items", fontsize=9)
        _tidy(ax)
    axes[-1].set_xlabel(f"{unit} from approval (or acceptance) to invoice")
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
