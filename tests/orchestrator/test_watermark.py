"""The reconciliation's view of a PSA listing of finished work: a day's check reads the newest
pages only, and never stops before it has seen every finished record."""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator._watermark import FinishedListing
from orchestrator.runtime import Flow, run_flow


class Listing:
    """A paged listing in creation order (as the PSA mock lists), counting the pages read."""

    page_size = 3

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.reads: list[int] = []

    def page_of_ids(
        self, kind: str, params: Mapping[str, str], number: int
    ) -> Flow[tuple[list[str], int]]:
        self.reads.append(number)
        start = (number - 1) * self.page_size
        return self.ids[start : start + self.page_size], len(self.ids)
        yield  # a flow that needs no wait


def _catch_up(view: FinishedListing, psa: Listing) -> list[str]:
    psa.reads.clear()
    run_flow(view.catch_up(psa, "timesheet_submissions", {}, len(psa.ids)))
    return list(view.uncollected(lambda _id: False))


def test_first_look_reads_everything_then_only_the_newest_page() -> None:
    psa, view = Listing([f"s{n}" for n in range(10)]), FinishedListing()
    assert _catch_up(view, psa) == [f"s{n}" for n in (9, 6, 7, 8, 3, 4, 5, 0, 1, 2)]
    assert psa.reads == [4, 3, 2, 1]
    psa.ids += ["s10", "s11"]
    assert _catch_up(view, psa)[-2:] == ["s10", "s11"]
    assert psa.reads == [4]  # ids 9..11: the new ones were all on the last page


def test_a_record_finished_out_of_creation_order_is_found_further_back() -> None:
    psa, view = Listing([f"s{n}" for n in range(9)]), FinishedListing()
    _catch_up(view, psa)
    psa.ids.insert(2, "late")  # an old submission approved late: lands mid-listing
    assert "late" in _catch_up(view, psa)
    assert psa.reads == [4, 3, 2, 1]  # walked back until every counted id was seen


def test_collected_ids_are_forgotten_and_the_rest_kept_in_order() -> None:
    psa, view = Listing(["a", "b", "c", "d"]), FinishedListing()
    _catch_up(view, psa)
    assert list(view.uncollected(lambda i: i in {"b", "d"})) == ["a", "c"]
    assert list(view.uncollected(lambda _i: False)) == ["a", "c"]


def test_a_count_that_drops_starts_the_view_again() -> None:
    psa, view = Listing(["a", "b", "c", "d"]), FinishedListing()
    _catch_up(view, psa)
    psa.ids = ["a", "x"]  # against the assumption: finished records re-opened
    assert _catch_up(view, psa) == ["a", "x"]
    assert view.seen == {"a": None, "x": None}
