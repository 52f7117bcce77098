"""Golden fingerprints: a change that alters what a run does must be noticed, and made on purpose.

The small scenario's run folder (seed 3) and the flagship's trace (seed 7) are pinned to the
SHA-256 of their files. A refactoring keeps them; a change of behaviour breaks this test, and
whoever makes it updates the hashes here, saying why in the commit message. To print the new
values: ``q2c run tests/scenarios/small.yaml --seed 3 --out /tmp/g && sha256sum /tmp/g/*``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sim.runner import run_scenario
from tests.support.paths import SMALL

SMALL_SEED_3 = {
    "metrics.json": "7297271cb8fcec6dc6d45f27563a45d4042e6c97ebaef419ae4149e851ea0f55",
    "trace.jsonl": "e217fcdc5e16a3f21ffb181981de8a6b1e54f39caf9f7aaec6751e27ab1371d2",
    "items.csv": "4f5643e2f191d8acd911b4ac05026aca97673ad4952b67288e8f1d40ca9b8925",
}
FLAGSHIP_SEED_7_TRACE = "f9fc0c63e917df1dfd6801ea4048f5623e779cbd7605b1565f1fa95cf47da685"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
