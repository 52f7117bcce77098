"""What the trace says happened when: billing runs (the month-end closes), faults the vendors
served, and what the core did about them (exceptions, dead letters, circuit opens, replays,
reconciliation fixes).

`trace.jsonl` can run to hundreds of megabytes, so it is read once, line by line, and only the
events the report shows are kept; ordinary successful API calls are skipped unparsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reports._errors import RunFolderError

_KEEP = (
    "world.billing_run",
    "core.exception",
    "core.exception_resolved",
    "core.dead_letter",
    "core.replay",
    "core.circuit_open",
    "core.reconciled",
    "core.credit_note",
    "core.invoice_posted",
)
# Calls a fault episode is made of may be hours apart (retries back off): a longer gap starts
# a new episode.
_EPISODE_GAP = timedelta(hours=6)


@dataclass
class Episode:
    """A stretch of one vendor answering with one kind of fault."""

    vendor: str
    fault: str
    start: datetime
    end: datetime
    calls: int = 0


@dataclass
class TraceDigest:
    """The events of a run the report shows, in trace order."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    throttled: dict[str, int] = field(default_factory=dict)  # vendor -> 429 answers

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The kept events of one kind (`core.exception`, ...), oldest first."""
        return self.events.get(kind, [])


def instant(text: str) -> datetime:
    """A trace timestamp (`...Z` or `...+00:00`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_trace(path: Path) -> TraceDigest:
    """Digest `trace.jsonl`; an absent trace gives an empty digest."""
    digest = TraceDigest()
    if not path.is_file():
        return digest
    open_episode: dict[tuple[str, str], Episode] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if '"kind":"api"' in line and '"fault"' not in line and '"status":429' not in line:
                continue  # an ordinary call: the bulk of the trace
            if '"kind":"api"' not in line and not any(f'"{k}"' in line for k in _KEEP):
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RunFolderError(f"{path}: line {number} is not JSON ({exc})") from exc
            kind = event.get("kind")
            if kind == "api":
                _api(digest, open_episode, event)
            elif kind in _KEEP:
                digest.events.setdefault(kind, []).append(event)
    digest.episodes.sort(key=lambda e: (e.start, e.vendor, e.fault))
    return digest


def _api(
    digest: TraceDigest, open_episode: dict[tuple[str, str], Episode], event: dict[str, Any]
) -> None:
    vendor = str(event.get("vendor") or "?")
    if event.get("status") == 429:
        digest.throttled[vendor] = digest.throttled.get(vendor, 0) + 1
    fault = event.get("fault")
    if not fault:
        return
    at = instant(str(event["at"]))
    key = (vendor, str(fault))
    episode = open_episode.get(key)
    if episode is None or at - episode.end > _EPISODE_GAP:
        episode = Episode(vendor, str(fault), at, at)
        open_episode[key] = episode
        digest.episodes.append(episode)
    episode.end = at
    episode.calls += 1
