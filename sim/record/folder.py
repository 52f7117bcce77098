"""What a run leaves in its folder for judging: the scenario as run, the ground truth, the
books and the run's facts.

    scenario.json   the scenario exactly as it ran (after any swarm draw), re-loadable
    run.json        the run's facts: seed, design, calls, faults fired, trace fingerprint
    truth/          ground truth: time, expenses, milestones, breaches, payments (Parquet)
                    and events.json (deals won, contracts executed, billing runs, ...)
    books/          the vendors' end state (JSON, the vendors' own shapes)

``q2c judge RUN`` reads these back and writes ``metrics.json`` again, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from sim.record.books import BOOK_FILES, FACTS_FILE, Books, RunFacts, read_books, write_books
from sim.record.truth import GroundTruth
from sim.record.truth_files import TRUTH_FILES, read_truth, write_truth
from sim.scenario.format import Scenario

__all__ = ["RecordError", "RunRecord", "read_record", "write_record"]

SCENARIO_FILE = "scenario.json"
TRUTH_DIR = "truth"
BOOKS_DIR = "books"


class RecordError(Exception):
    """A run folder that cannot be judged, and what it lacks."""


@dataclass
class RunRecord:
    scenario: Scenario
    truth: GroundTruth
    books: Books
    facts: RunFacts


def write_record(record: RunRecord, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scenario = record.scenario.model_dump_json(by_alias=True, indent=2)
    (out / SCENARIO_FILE).write_text(scenario + "\n", encoding="utf-8")
    (out / FACTS_FILE).write_text(record.facts.to_json(), encoding="utf-8")
    write_truth(record.truth, out / TRUTH_DIR)
    write_books(record.books, out / BOOKS_DIR)


def read_record(folder: Path) -> RunRecord:
    """The record in ``folder``; ``RecordError`` names what is missing or unreadable."""
    needed = [SCENARIO_FILE, FACTS_FILE]
    needed += [f"{TRUTH_DIR}/{name}" for name in TRUTH_FILES]
    needed += [f"{BOOKS_DIR}/{name}" for name in BOOK_FILES.values()]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        shown = ", ".join(missing[:3]) + more
        raise RecordError(
            f"{folder} is not a complete run folder: missing {shown}. Folders written before "
            "runs kept their books cannot be re-judged: run the scenario again (command.txt)."
        )
    try:
        scenario = Scenario.model_validate_json((folder / SCENARIO_FILE).read_text("utf-8"))
        facts = RunFacts.from_json((folder / FACTS_FILE).read_text("utf-8"))
        truth = read_truth(folder / TRUTH_DIR)
        books = read_books(folder / BOOKS_DIR)
    except (ValidationError, ValueError, TypeError, KeyError, OSError) as exc:
        raise RecordError(f"{folder}: cannot read the run's record: {exc}") from None
    return RunRecord(scenario, truth, books, facts)
