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
    "metrics.json": "1e836ab740a276082a19aff30360cb0bd734f58ddc63aa8fb38b06dfc6887b43",
    "trace.jsonl": "367d2bde0b8893ec7726d841f8c8085000e6ccf58f96f4486eda67da52503ebe",
    "items.csv": "865a3295b80bf98b1ac592f0f2416fd7cad6017ac71078e5b3e1a0871a2b0683",
}
FLAGSHIP_SEED_7_TRACE = "c149c6c686c20bda7036311d7000e1d5d384c5dab5036a78624c1f92ecb2e3a2"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
