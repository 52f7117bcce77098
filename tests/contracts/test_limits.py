"""One table of the vendors' published limits, read by the mocks' fault layer, the scenario
format and the core's pacing: the numbers as the vendors publish them (sources in
contracts/limits.py)."""

from __future__ import annotations

import re

from contracts.limits import PRESETS
from mocks import QUOTA_PRESETS
from orchestrator._resilience import QUOTAS, Quota
from sim.scenario.faults import QUOTA_PRESETS as SCENARIO_PRESETS
from sim.scenario.faults import VENDOR_QUOTA_PRESET

# (limit, window_s, applies_to) per window (a fourth item True: counted per endpoint), the
# cap on calls processed at once and the queue behind it, per preset.
PUBLISHED = {
    "business_central": ([(6000, 300, "all")], 5, 95),
    "stripe_test": ([(25, 1, "all"), (25, 1, "all", True)], None, None),
    "stripe_live": ([(100, 1, "all"), (25, 1, "all", True)], None, None),
    "docusign": ([(3000, 3600, "all"), (500, 30, "all")], None, None),
    "salesforce": ([(100_000, 86_400, "all")], None, None),
    "xero": ([(60, 60, "all"), (1000, 86_400, "all")], 5, None),
    "ironclad": ([(400, 60, "reads"), (40, 60, "writes")], None, None),
}


def test_the_fault_layer_enforces_each_preset_as_published() -> None:
    enforced = {
        name: (
            [
                (w.limit, w.window_s, w.applies_to, *((True,) if w.per_endpoint else ()))
                for w in rule.windows
            ],
            rule.concurrency,
            rule.queue,
        )
        for name, rule in QUOTA_PRESETS.items()
    }
    assert enforced == PUBLISHED
    assert all(re.search(r"\b20\d\d-\d\d-\d\d$", p.source) for p in PRESETS.values())


def test_a_scenario_names_the_same_presets_in_the_same_order() -> None:
    """The order is the JSON schema's enum order."""
    assert SCENARIO_PRESETS == tuple(PRESETS) == tuple(PUBLISHED)
    assert set(VENDOR_QUOTA_PRESET.values()) <= set(PRESETS)


def test_the_core_paces_by_the_published_windows() -> None:
    paced = {
        "erp": Quota(6000, 300.0, 5),
        "payments": Quota(25, 1.0),
        "clm": Quota(400, 60.0),
        "psa": Quota(3600, 3600.0),
    }
    assert paced == QUOTAS
