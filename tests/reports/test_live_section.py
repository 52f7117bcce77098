"""The report's external-integration section: shown only for a run against an integration,
with its answers and the contract report's findings, worst first."""

from __future__ import annotations

from pathlib import Path

from reports._live import FINDINGS_SHOWN, live_section
from reports._run import Run


def _finding(n: int) -> dict[str, object]:
    return {"vendor": "erp", "operation": f"POST /op{n}", "side": "request",
            "rule": "required", "example": "x", "count": n}  # fmt: skip


def test_no_section_for_an_in_process_design(tmp_path: Path) -> None:
    assert live_section(Run(tmp_path, {"design": "reference"}, None)) is None


def test_the_section_names_the_integration_its_answers_and_the_worst_findings(
    tmp_path: Path,
) -> None:
    findings = [_finding(n) for n in range(1, FINDINGS_SHOWN + 3)]
    live = {
        "integration": "http://127.0.0.1:8200",
        "determinism": "not byte-identical",
        "clock": {"rate_sim_s_per_wall_s": 60.0, "quiet_ms": 200.0, "budget_s": 600.0},
        "time": {"wall_s": 8.5, "busy_wall_s": 6.1, "simulated_per_wall": 2e6, "skips": 962},
        "integration_answers": {"webhooks 5xx": 3, "billing-runs 2xx": 2},
        "traffic": {"requests": 139, "nonconforming_requests": 4},
        "contract_report": {"tenants": {"t": {"findings": findings}}},
    }
    section = live_section(Run(tmp_path, {"live": live}, None))
    assert section is not None
    assert section["integration"] == "http://127.0.0.1:8200"
    assert section["answers"] == [("billing-runs 2xx", 2), ("webhooks 5xx", 3)]
    assert section["nonconforming"] == 4
    assert [f["count"] for f in section["findings"]][:2] == [FINDINGS_SHOWN + 2, FINDINGS_SHOWN + 1]
    assert len(section["findings"]) == FINDINGS_SHOWN
    assert section["more_findings"] == 2
    assert "60.0 simulated s per wall s" in section["clock"]
