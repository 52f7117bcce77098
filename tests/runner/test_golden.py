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
    "metrics.json": "2d2c7fa61b2fab3bcdb54aaf0245f77c45a2bf4b25a2d0cc6279715f6101b64b",
    "trace.jsonl": "1048c18b1edcbc6565edaad3676f5d5f00d7f5fc38e7c518087082c2c04054c2",
    "items.csv": "4f5643e2f191d8acd911b4ac05026aca97673ad4952b67288e8f1d40ca9b8925",
}
FLAGSHIP_SEED_7_TRACE = "fd05b2f2db9b97271a8f177a9be8ec94df85e1711949c7e6b3a75279bfeb81c2"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
