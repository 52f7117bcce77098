"""How the run went operationally: faults and the core's answers over time, the month-end
closes (exceptions open at each billing run), and the root cause of each leak where the trace
shows one.

A leaked item should have been billed by the first billing run after its approval; if the core
recorded an exception for that contract at that run, the exception (and the fault the vendor
was serving then) is the leak's root cause. The link is made by contract and moment, so it is
labelled as what it is: the failure the trace shows at the run that should have billed them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from reports import _format as fmt
from reports._money import money
from reports._run import Run
from reports._trace import Episode, instant

_ZERO = Decimal(0)
_SAME_RUN = timedelta(hours=12)  # an exception this soon after a billing run belongs to it


def _when(at: datetime) -> str:
    return at.strftime("%d %b %Y %H:%M")


def _short(detail: str, limit: int = 110) -> str:
    """An exception's detail without company GUIDs, cut to a readable length; a vendor error's
    own words (`'detail': '...'`) and status when it carries them."""
    match = re.search(r"-> (\d{3}): .*'detail': '([^']*)'", detail)
    if match:
        return f'HTTP {match.group(1)}, "{match.group(2)}"'
    words = [w for w in detail.split() if "companies(" not in w]
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def billing_runs(run: Run) -> list[tuple[datetime, str]]:
    """(moment, period billed) of every billing run, in order: the month-end closes."""
    return [(instant(e["at"]), str(e.get("period", ""))) for e in run.trace.of("world.billing_run")]


def _episode_at(run: Run, at: datetime) -> Episode | None:
    for episode in run.trace.episodes:
        if episode.start - timedelta(minutes=5) <= at <= episode.end + timedelta(minutes=5):
            return episode
    return None


def root_causes(run: Run) -> list[dict[str, Any]]:
    """Leaked money grouped by the failure that left it unbilled, largest first."""
    items = run.items
    if items is None or not items.leaks:
        return []
    runs = billing_runs(run)
    exceptions = [(instant(e["at"]), e) for e in run.trace.of("core.exception")]
    grouped: dict[str, dict[str, Any]] = {}
    for (currency, contract, approved), amount in items.leaks.items():
        cause, evidence = _cause(run, runs, exceptions, contract, approved)
        entry = grouped.setdefault(
            cause,
            {"evidence": evidence, "amounts": defaultdict(Decimal), "items": 0, "contracts": set()},
        )
        entry["amounts"][currency] += amount
        entry["items"] += items.leak_counts[(currency, contract, approved)]
        entry["contracts"].add(contract)
    rows = []
    for cause, entry in grouped.items():
        amounts = {c: Decimal(a) for c, a in sorted(entry["amounts"].items())}
        rows.append(
            {
                "cause": cause,
                "evidence": entry["evidence"],
                "count": fmt.count(entry["items"]),
                "amount": ", ".join(money(a, c) for c, a in amounts.items()),
                "contracts": ", ".join(sorted(entry["contracts"])),
                "sort": sum(amounts.values(), _ZERO),
            }
        )
    rows.sort(key=lambda r: (-r["sort"], r["cause"]))
    return rows


def _cause(
    run: Run,
    runs: list[tuple[datetime, str]],
    exceptions: list[tuple[datetime, dict[str, Any]]],
    contract: str,
    approved: str,
) -> tuple[str, str]:
    if not approved:
        return "Never approved in the PSA or never logged", ""
    ready = instant(approved)
    due = next(((at, period) for at, period in runs if at >= ready), None)
    if due is None:
        return "Approved after the last billing run", "no billing run came after its approval"
    at, period = due
    for when, exc in exceptions:
        if at <= when <= at + _SAME_RUN and contract in str(exc.get("item", "")):
            episode = _episode_at(run, when)
            fault = (
                f"{fmt.vendor_label(episode.vendor)} {episode.fault} "
                f"({episode.calls:,} failed calls, first {_when(episode.start)}, "
                f"last {_when(episode.end)} UTC)"
                if episode
                else "no vendor fault recorded at that moment"
            )
            reason = fmt.humanize(str(exc.get("reason", "")))
            cause = f"Billing run of {fmt.month_label(period)} ({_when(at)}): {reason}"
            return cause, f"{fault}. Core said: {_short(str(exc.get('detail', '')))}"
    return (
        f"Not billed by the run of {fmt.month_label(period)} ({_when(at)})",
        "no exception recorded for the contract at that run",
    )


def close_table(run: Run) -> list[dict[str, Any]]:
    """At the end of each billing run's day (a month-end close, after the run's own failures):
    exceptions opened and resolved since the previous close, those still open by reason with the
    age of the oldest, and the dead letters so far."""
    opened = [(instant(e["at"]), e) for e in run.trace.of("core.exception")]
    resolved = [(instant(e["at"]), e) for e in run.trace.of("core.exception_resolved")]
    dead = [instant(e["at"]) for e in run.trace.of("core.dead_letter")]
    moments = billing_runs(run)
    end = run.section("period").get("run_until")
    if end:
        moments.append((instant(f"{end}T23:59:00+00:00"), "end of run"))
    rows = []
    previous: datetime | None = None
    for run_at, period in moments:
        at = run_at.replace(hour=23, minute=59, second=59, microsecond=0)
        open_now: dict[tuple[str, str], datetime] = {}
        for when, exc in opened:
            if when <= at:
                open_now.setdefault((str(exc.get("item")), str(exc.get("reason"))), when)
        closed = {(str(e.get("item")), str(e.get("reason"))) for when, e in resolved if when <= at}
        still = {k: v for k, v in open_now.items() if k not in closed}
        reasons = Counter(reason for _, reason in still)
        oldest = min(still.values(), default=None)
        rows.append(
            {
                "close": fmt.month_label(period) if period != "end of run" else period,
                "at": _when(run_at),
                "opened": fmt.count(sum(1 for w, _ in opened if _between(previous, w, at))),
                "resolved": fmt.count(sum(1 for w, _ in resolved if _between(previous, w, at))),
                "open": fmt.count(len(still)),
                "bad": bool(still),
                "reasons": ", ".join(f"{fmt.humanize(r)} {n}" for r, n in sorted(reasons.items())),
                "oldest": f"{(at - oldest).days} d" if oldest else "—",
                "dead_letters": fmt.count(sum(1 for d in dead if d <= at)),
            }
        )
        previous = at
    return rows


def _between(previous: datetime | None, when: datetime, at: datetime) -> bool:
    return (previous is None or previous < when) and when <= at


def timeline(run: Run) -> list[dict[str, str]]:
    """What broke when, and what the core did: fault episodes, circuit opens, dead letters,
    replays, reconciliation fixes, crashes; in time order."""
    rows: list[tuple[datetime, str, str]] = []
    for ep in run.trace.episodes:
        rows.append(
            (
                ep.start,
                f"{fmt.vendor_label(ep.vendor)} fault: {ep.fault}",
                f"{ep.calls:,} call{'s' if ep.calls != 1 else ''} failed"
                + (f" until {_when(ep.end)}" if _when(ep.end) != _when(ep.start) else ""),
            )
        )
    for e in run.trace.of("core.circuit_open"):
        rows.append(
            (
                instant(e["at"]),
                f"Circuit opened on {fmt.vendor_label(str(e.get('vendor')))}",
                f"after {e.get('failures', '?')} failures in a row",
            )
        )
    for e in run.trace.of("core.dead_letter"):
        rows.append((instant(e["at"]), "Dead-lettered", f"{e.get('work')}: {e.get('event')}"))
    for e in run.trace.of("core.replay"):
        rows.append((instant(e["at"]), "Replayed", f"{e.get('work')}: {e.get('event')}"))
    for e in run.trace.of("core.reconciled"):
        rows.append((instant(e["at"]), "Reconciliation fix", f"{e.get('work')}: {e.get('why')}"))
    for crash in run.metrics.get("crashes") or []:
        if isinstance(crash, dict) and crash.get("at"):
            rows.append((instant(str(crash["at"])), "Core crashed", str(crash.get("cause", ""))))
    rows.sort(key=lambda r: r[0])
    return [{"at": _when(at), "what": what, "detail": detail} for at, what, detail in rows]


def resilience_figures(run: Run) -> list[dict[str, Any]]:
    """Totals per vendor: calls, failures served, 429s, retries, circuit opens."""
    vendors = run.section("vendors")
    opens = run.section("resilience").get("circuit_opens") or {}
    rows = []
    for vendor, v in sorted(vendors.items()):
        if not isinstance(v, dict):
            continue
        failures = sum(int(v.get(k, 0) or 0) for k in ("errors_5xx", "timeouts", "refused"))
        rows.append(
            {
                "vendor": fmt.vendor_label(vendor),
                "calls": fmt.count(v.get("calls")),
                "failed": fmt.count(failures),
                "outage": fmt.count(v.get("outage_calls")),
                "throttled": fmt.count(v.get("http_429")),
                "retries": fmt.count(v.get("retries")),
                "opens": fmt.count(int(opens.get(vendor, 0) or 0)),
                "bad": bool(failures or v.get("http_429")),
            }
        )
    return rows
