"""The comparison's charts, drawn from ``compare.json`` alone (matplotlib's Agg backend, PNG
data URIs, as ``reports._charts`` draws a run's): money lost per seed, cycle times, exceptions
at each month-end close, and the API bill."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports._charts import _data_uri, _figure, _short_amount, _tidy

__all__ = ["calls_chart", "closes_chart", "cycle_chart", "money_chart"]

COLOURS = ("#2b6cb0", "#c53030", "#dd6b20", "#276749", "#6b46c1", "#718096")
LOST = ("leaked", "duplicated", "misbilled")


def _colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def _figures(compare: dict[str, Any], design: str) -> dict[str, Any]:
    figures: dict[str, Any] = compare["designs_summary"][design]["figures"]
    return figures


def money_chart(compare: dict[str, Any], currency: str) -> str:
    """Money billed wrong per seed (leaked + duplicated + mis-billed, in ``currency``), one
    column of dots per design, its median as a bar: where the designs lose money, and how
    much it varies from seed to seed."""
    designs = compare["designs"]
    fig = _figure(9.0, 3.2)
    ax = fig.add_subplot()
    for i, design in enumerate(designs):
        figures = _figures(compare, design)
        per_seed: list[float] = []
        for s in range(len(compare["seeds"])):
            total = Decimal(0)
            for what in LOST:
                value = figures.get(f"amount.{what}.{currency}", {}).get("values", [])
                total += Decimal(value[s]) if s < len(value) and value[s] is not None else 0
            per_seed.append(float(total))
        spread = [i + (k - (len(per_seed) - 1) / 2) * 0.3 / max(1, len(per_seed)) for k in
                  range(len(per_seed))]  # fmt: skip
        ax.scatter(spread, per_seed, s=22, color=_colour(i), alpha=0.8, zorder=3)
        ordered = sorted(per_seed)
        median = ordered[len(ordered) // 2] if ordered else 0.0
        ax.hlines(median, i - 0.3, i + 0.3, color="#1a202c", linewidth=1.6, zorder=4)
    ax.set_xticks(range(len(designs)), designs)
    ax.set_xlim(-0.6, len(designs) - 0.4)
    ax.yaxis.set_major_formatter(_short_amount)
    ax.set_ylabel(f"{currency} billed wrong")
    ax.set_title(f"{currency}: leaked + duplicated + mis-billed, per seed (bar: median)",
                 loc="left", fontsize=11)  # fmt: skip
    _tidy(ax)
    return _data_uri(fig)


CYCLES = (
    ("cycle.project", "contract executed\n-> project active"),
    ("cycle.invoice", "approved\n-> invoiced"),
    ("cycle.paid", "invoiced\n-> paid"),
)


def cycle_chart(compare: dict[str, Any]) -> str:
    """Median over the seeds of each cycle's p50 (bar) and p95 (tick), per design, in days."""
    designs = compare["designs"]
    fig = _figure(9.0, 3.2)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(designs))
    for i, design in enumerate(designs):
        figures = _figures(compare, design)
        xs = [c + (i - (len(designs) - 1) / 2) * width for c in range(len(CYCLES))]
        p50 = [(figures.get(f"{key}.p50", {}).get("median") or 0) / 24 for key, _ in CYCLES]
        p95 = [(figures.get(f"{key}.p95", {}).get("median") or 0) / 24 for key, _ in CYCLES]
        ax.bar(xs, p50, width * 0.9, color=_colour(i), label=design)
        ax.scatter(xs, p95, marker="_", s=220, color="#1a202c", zorder=3)
    ax.set_xticks(range(len(CYCLES)), [label for _, label in CYCLES])
    ax.set_ylabel("days")
    ax.set_title("Cycle times: median p50 (bar) and p95 (tick) over the seeds", loc="left",
                 fontsize=11)  # fmt: skip
    ax.legend(frameon=False, fontsize=9)
    _tidy(ax)
    return _data_uri(fig)


def closes_chart(compare: dict[str, Any]) -> str | None:
    """Exceptions still open at each month-end close, median over the seeds with the min-max
    band, one line per design; None when no run has a close."""
    keys = [f["key"] for f in compare["figures"]]
    periods = [k.split(".")[2] for k in keys if k.startswith("exceptions.close.") and
               k.endswith(".open")]  # fmt: skip
    if not periods:
        return None
    fig = _figure(9.0, 3.0)
    ax = fig.add_subplot()
    xs = list(range(len(periods)))
    for i, design in enumerate(compare["designs"]):
        figures = _figures(compare, design)
        rows = [figures.get(f"exceptions.close.{p}.open", {}) for p in periods]
        median = [r.get("median") or 0 for r in rows]
        ax.plot(xs, median, marker="o", color=_colour(i), label=design)
        ax.fill_between(xs, [r.get("min") or 0 for r in rows], [r.get("max") or 0 for r in rows],
                        color=_colour(i), alpha=0.15)  # fmt: skip
    ax.set_xticks(xs, periods)
    ax.set_ylabel("open exceptions")
    ax.set_title("Exceptions still open at each month-end close (median, min-max band)",
                 loc="left", fontsize=11)  # fmt: skip
    ax.legend(frameon=False, fontsize=9)
    _tidy(ax)
    return _data_uri(fig)


def calls_chart(compare: dict[str, Any]) -> str:
    """API calls per billable item, median with the min-max range, per design."""
    designs = compare["designs"]
    fig = _figure(9.0, 2.6)
    ax = fig.add_subplot()
    for i, design in enumerate(designs):
        f = _figures(compare, design).get("calls.per_item", {})
        median = f.get("median") or 0.0
        low, high = f.get("min") or median, f.get("max") or median
        ax.barh(i, median, 0.6, color=_colour(i))
        ax.errorbar(median, i, xerr=[[median - low], [high - median]], color="#1a202c",
                    capsize=4)  # fmt: skip
    ax.set_yticks(range(len(designs)), designs)
    ax.invert_yaxis()
    ax.set_xlabel("API calls per billable item")
    ax.set_title("What each design costs in API calls (median, min-max)", loc="left", fontsize=11)
    _tidy(ax)
    return _data_uri(fig)
