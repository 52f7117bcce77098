"""Paths every test may need: the repository, the flagship, the small scenario, the faults."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FLAGSHIP = ROOT / "scenarios" / "global-engineering-msa.yaml"
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
FAULT_SCENARIOS = (  # issue 4's: each breaks vendors its own way (scenarios/<name>.yaml)
    "month-end-erp-outage",
    "rate-limit-storm",
    "webhook-chaos",
    "lost-responses",
    "tax-engine-outage",
    "crash-restart",
)
