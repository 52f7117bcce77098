"""What the reconciliation has already read of a PSA listing of finished work (approved
timesheets, approved expense reports), so that a day's check reads the newest page or two
instead of the whole year.

Why not a vendor watermark: Kantata offers ``updated_after`` on timesheet submissions and
expenses (vendor-specs/kantata, ``GET /timesheet_submissions``: ``updated_after``,
``statuses``; ``GET /expenses``: ``updated_after``), but not on billing milestones
(``GET /billing_milestones`` filters by ``workspace_ids``, ``date_between``, ... only), and a
clock-based watermark misses records whose ``updated_at`` trails the watermark's clock (a
record written while the listing is read). A count needs no clock: a finished record stays
finished (an approved submission or report is never re-opened), so the listing only grows,
and once the core has *seen* as many distinct ids as the PSA counts, it has seen them all,
whatever order the listing is in.

So: the core reads pages from the newest back, stopping as soon as it has seen ``count``
distinct ids. New records land near the end of the listing (the PSA lists in creation order,
and work is approved days after it is submitted), so a day costs a page or two. A record
inserted mid-read can shift one past the reader; then fewer ids are seen than are counted the
next day and the walk goes further back: nothing is skipped for good. If the count ever drops
(a finished record re-opened, against the assumption), everything is read again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from orchestrator.runtime import Flow

__all__ = ["FinishedListing"]


class PagedIds(Protocol):
    page_size: int

    def page_of_ids(
        self, kind: str, params: Mapping[str, str], number: int
    ) -> Flow[tuple[list[str], int]]: ...


class FinishedListing:
    """The ids of one listing the core has seen, and the ones not yet known collected."""

    def __init__(self) -> None:
        self.seen: dict[str, None] = {}
        self.open: dict[str, None] = {}  # seen, not yet known collected (listing order)
        self.pages_read = 0

    def catch_up(
        self, psa: PagedIds, kind: str, params: Mapping[str, str], count: int
    ) -> Flow[None]:
        """Read pages from the newest back until the ``count`` finished ids have been seen."""
        if count < len(self.seen):  # a finished record left the listing: start again
            self.seen.clear()
            self.open.clear()
        number = -(-count // psa.page_size)
        while len(self.seen) < count and number >= 1:
            ids, _ = yield from psa.page_of_ids(kind, params, number)
            self.pages_read += 1
            self._note(ids)
            number -= 1  # more finished meanwhile are left to tomorrow's count

    def uncollected(self, collected: Callable[[str], bool]) -> Iterator[str]:
        """The seen ids not collected, in listing order; the collected ones are forgotten."""
        for psa_id in list(self.open):
            if collected(psa_id):
                del self.open[psa_id]
            else:
                yield psa_id

    def _note(self, ids: list[str]) -> None:
        for psa_id in ids:
            if psa_id not in self.seen:
                self.seen[psa_id] = None
                self.open[psa_id] = None
