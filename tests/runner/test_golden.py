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
    "metrics.json": "21f8d6178cb5009f6fe68f2536ef9d960abc150f37cd2b47d2173c9ba9470cc0",
    "trace.jsonl": "c486102ed3f339223a3a0bbb1b9c3a04cd5b6fa2a2c2272261ada999345bc0fd",
    "items.csv": "4f5643e2f191d8acd911b4ac05026aca97673ad4952b67288e8f1d40ca9b8925",
}
FLAGSHIP_SEED_7_TRACE = "5dc99346db1c22e93a2f6674cf9727bbce22c2d5bf24f599681251e1762689dd"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
