"""The core's inbox: every unit of work it accepted (a webhook event, a billing run), kept until
it is done, so that nothing acknowledged is ever forgotten.

An event is *accepted* when it arrives (a duplicate of a known event is dropped), *done* when
its flow finishes, *dead* when its flow failed for longer than the retry policy allows: the
dead-letter queue. Dead letters are replayed by the reconciliation job once the vendor answers
again; accepted-but-unfinished work is re-driven when a restarted core loads its store.
Webhook payloads are only hints: every flow re-reads the record it names from the vendor, so
events that arrive late or out of order still leave the newest state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from orchestrator._store import DurableMap, Store

__all__ = ["Envelope", "Inbox"]


@dataclass
class Envelope:
    id: str
    work: str  # what to do: a flow name the core knows (see ReferenceCore._flow_for)
    args: tuple[Any, ...]
    seq: int
    status: str = "accepted"  # accepted | done | dead
    failures: int = 0
    reason: str = ""
    replays: int = 0


class Inbox:
    """Envelopes by id, plus the live ones by status: the daily replay of dead letters and the
    status call cost what is dead or unfinished, not the whole history of done work."""

    def __init__(self, store: Store) -> None:
        self._envelopes = DurableMap(store, "inbox")
        self._next = 1 + max((e.seq for e in self._envelopes.values()), default=0)
        self.replays = 0
        self._live: dict[str, dict[str, Envelope]] = {"accepted": {}, "dead": {}}
        for envelope in self._envelopes.values():  # once, when a (restarted) core loads
            self._file(envelope)

    def _file(self, envelope: Envelope) -> None:
        for status, envelopes in self._live.items():
            if status == envelope.status:
                envelopes[envelope.id] = envelope
            else:
                envelopes.pop(envelope.id, None)

    def _set(self, envelope: Envelope, status: str) -> None:
        envelope.status = status
        self._file(envelope)
        self._envelopes.touch(envelope.id)

    def get(self, event_id: str) -> Envelope | None:
        envelope: Envelope | None = self._envelopes.get(event_id)
        return envelope

    def accept(self, event_id: str, work: str, args: tuple[Any, ...]) -> Envelope | None:
        """A new envelope for the event, or None when it is a duplicate of live or done work.
        A redelivered dead letter is taken again (the vendor's retry is a replay)."""
        known: Envelope | None = self._envelopes.get(event_id)
        if known is not None and known.status != "dead":
            return None
        if known is not None:
            self._set(known, "accepted")
            return known
        envelope = Envelope(event_id, work, args, self._next)
        self._next += 1
        self._envelopes[event_id] = envelope
        self._file(envelope)
        return envelope

    def done(self, envelope: Envelope) -> None:
        envelope.reason = ""
        self._set(envelope, "done")

    def dead(self, envelope: Envelope, reason: str) -> None:
        envelope.reason = reason
        envelope.failures += 1
        self._set(envelope, "dead")

    def replay(self, envelope: Envelope) -> None:
        envelope.replays += 1
        self.replays += 1
        self._set(envelope, "accepted")

    def unfinished(self) -> list[Envelope]:
        """Accepted work not done, in arrival order (a restarted core re-drives it)."""
        return sorted(self._live["accepted"].values(), key=lambda e: e.seq)

    def dead_letters(self) -> list[Envelope]:
        return sorted(self._live["dead"].values(), key=lambda e: e.seq)

    def dead_count(self) -> int:
        return len(self._live["dead"])

    def __iter__(self) -> Iterator[Envelope]:
        return iter(self._envelopes.values())
