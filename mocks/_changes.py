"""When each record last changed, in the order of change: what a vendor's "updated since"
listing reads, so that a nightly extract costs the night's changes, not the account's history.

Vendors answer such queries from an index on their modification stamp (Salesforce's
``SystemModstamp``, Kantata's and Ironclad's ``updated_at``/``lastUpdated``); this is that index.
Every change appends (moment, key) to the kind's log; a key changed twice sits twice in the log
but counts only at its last change, as a vendor filtering on the record's current stamp finds
it. The simulated clock never goes back, so the log is sorted by moment and a window is two
binary searches away.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime

__all__ = ["ChangeLog"]


class _Log:
    __slots__ = ("keys", "last", "moments")

    def __init__(self) -> None:
        self.moments: list[datetime] = []
        self.keys: list[str] = []
        self.last: dict[str, int] = {}  # key -> its place in the log at its latest change


class ChangeLog:
    """Per tenant and record type, every record's changes, oldest first."""

    def __init__(self) -> None:
        self._logs: dict[tuple[str, str], _Log] = {}

    def note(self, tenant: str, kind: str, key: str, moment: datetime) -> None:
        """``key`` changed at ``moment`` (never earlier than the kind's last change)."""
        log = self._logs.setdefault((tenant, kind), _Log())
        if log.moments and moment < log.moments[-1]:
            moment = log.moments[-1]  # a clock never goes back; keep the log sorted anyway
        log.last[key] = len(log.keys)
        log.moments.append(moment)
        log.keys.append(key)

    def changed(
        self,
        tenant: str,
        kind: str,
        after: datetime | None = None,
        before: datetime | None = None,
        *,
        inclusive_start: bool = False,
    ) -> list[str]:
        """Keys whose last change lies after ``after`` (or at it, ``inclusive_start``) and
        before ``before``, in the order of those changes; costs the window, not the log."""
        log = self._logs.get((tenant, kind))
        if log is None:
            return []
        if after is None:
            start = 0
        elif inclusive_start:
            start = bisect_left(log.moments, after)
        else:
            start = bisect_right(log.moments, after)
        end = len(log.moments) if before is None else bisect_left(log.moments, before)
        return [log.keys[n] for n in range(start, end) if log.last[log.keys[n]] == n]

    def drop(self, tenant: str) -> None:
        for name in [k for k in self._logs if k[0] == tenant]:
            del self._logs[name]
