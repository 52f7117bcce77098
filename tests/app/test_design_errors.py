"""A design that fails ends `q2c run` with exit 3 (not 1: no invariant was judged), a message
naming the design, the call and the simulated moment, and its traceback in the run folder,
which holds everything else the run had done up to the failure."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path

from sim.scenario.loader import load_scenario
from tests.support.cli import invoke, words
from tests.support.paths import SMALL

REFERENCE_BASED = """
    from orchestrator.reference import ReferenceCore


    class Core(ReferenceCore):
        def handle(self, request):
            {body}
            return super().handle(request)


    def build(runtime, tenant, options):
        return Core(runtime, tenant, options)
"""


def _design(folder: Path, name: str, body: str) -> str:
    """A design file in ``folder``: the reference core, with ``body`` run first in handle()."""
    path = folder / f"{name}.py"
    indented = textwrap.indent(textwrap.dedent(body).strip(), " " * 12).lstrip()
    path.write_text(textwrap.dedent(REFERENCE_BASED).replace("{body}", indented))
    return f"{path}:build"


def _start() -> str:
    return load_scenario(SMALL).starts.isoformat()


def test_a_design_that_raises_in_handle_exits_3_with_its_traceback(tmp_path: Path) -> None:
    design = _design(tmp_path, "raising", """
        if request.url.path == "/webhooks/crm":
            raise KeyError("subject_id")
    """)  # fmt: skip
    out = tmp_path / "run"
    code, stdout, stderr = invoke("run", str(SMALL), "--design", design, "--out", str(out))
    assert code == 3, stdout + stderr
    said = words(stderr)
    assert f"design '{design}' failed on POST /webhooks/crm at " in said
    assert "(simulated): raised: KeyError: 'subject_id'" in said
    assert f"Details and traceback: {out / 'design-error.txt'}" in said
    assert "Reproduce with: q2c run" in said and "--design" in said
    text = (out / "design-error.txt").read_text()
    assert "Traceback (most recent call last)" in text
    assert 'raising.py", line' in text and 'raise KeyError("subject_id")' in text
    assert "The request: POST /webhooks/crm" in text and "Notification" in text
    error = json.loads((out / "design-error.json").read_text())
    assert error["call"] == "POST /webhooks/crm" and error["exit_code"] == 3
    assert error["kind"] == "raised" and error["design"] == design
    at = datetime.fromisoformat(error["at"])
    # the folder holds what the run did up to the failure, and nothing that judges it
    for name in ("scenario.json", "run.json", "trace.jsonl", "command.txt", "about.json"):
        assert (out / name).is_file(), name
    assert (out / "truth" / "events.json").is_file()
    assert not (out / "metrics.json").exists() and not (out / "books").exists()
    last = json.loads((out / "trace.jsonl").read_text().splitlines()[-1])
    assert datetime.fromisoformat(last["at"]) <= at  # the trace stops at the failure
    assert json.loads((out / "run.json").read_text())["consultants"] > 0
    # `q2c judge` on it says why it cannot be judged (bad input), not a stack trace
    judged, _, judge_err = invoke("judge", str(out))
    assert judged == 2 and "the design failed in this run" in words(judge_err)


def test_a_design_that_answers_exceptions_wrongly_stops_on_the_first_day(tmp_path: Path) -> None:
    """Checked when first read, at operations' first daily read, not after the whole run."""
    design = _design(tmp_path, "wrong_log", """
        if request.url.path == "/exceptions":
            import httpx
            return httpx.Response(200, json={"exceptions": [{"reason": "held"}]})
    """)  # fmt: skip
    out = tmp_path / "run"
    code, stdout, stderr = invoke("run", str(SMALL), "--design", design, "--out", str(out))
    assert code == 3, stdout + stderr
    said = words(stderr)
    assert f"failed on GET /exceptions at {_start()}T04:00:00+00:00 (simulated)" in said
    assert "wrong shape: the answer breaks contracts/design.yaml" in said
    assert 'exceptions/0: "status" is a required property' in said
    text = (out / "design-error.txt").read_text()
    assert 'answer 200: {"exceptions":[{"reason":"held"}]}' in text


def test_a_wrong_status_answer_and_json_output(tmp_path: Path) -> None:
    design = _design(tmp_path, "wrong_status", """
        if request.url.path == "/status":
            import httpx
            return httpx.Response(200, json={"resilience": {"dead_letters": "many"}})
    """)  # fmt: skip
    out = tmp_path / "run"
    code, stdout, _ = invoke("run", str(SMALL), "--design", design, "--out", str(out), "--json")
    assert code == 3
    summary = json.loads(stdout)
    assert summary["ok"] is False and summary["exit_code"] == 3
    assert summary["design_error"]["call"] == "GET /status"
    assert summary["design_error"]["kind"] == "wrong shape"
    assert summary["design_error"]["at"] == f"{_start()}T04:00:00+00:00"
    assert "is not of type" in summary["design_error"]["problem"]
    assert summary["files"]["design-error.txt"] == str(out / "design-error.txt")


def test_a_design_that_never_answers_exits_3_after_its_call_budget(tmp_path: Path) -> None:
    design = _design(tmp_path, "stuck", """
        if request.url.path == "/billing-runs":
            while True:
                pass
    """)  # fmt: skip
    out = tmp_path / "run"
    args = ("run", str(SMALL), "--design", design, "--out", str(out), "--call-budget", "2")
    code, stdout, stderr = invoke(*args)
    assert code == 3, stdout + stderr
    said = words(stderr)
    assert "failed on POST /billing-runs" in said
    assert "no answer: no answer within 2 s of wall-clock time" in said
    assert 'stuck.py", line' in (out / "design-error.txt").read_text()


def test_a_factory_that_raises_or_builds_no_core(tmp_path: Path) -> None:
    raising = tmp_path / "factory.py"
    raising.write_text(
        "def build(runtime, tenant, options):\n    raise RuntimeError('no licence key')\n"
        "def nothing(runtime, tenant, options):\n    return 42\n"
    )
    out = tmp_path / "run"
    code, _, stderr = invoke("run", str(SMALL), "--design", f"{raising}:build", "--out", str(out))
    assert code == 3
    assert "failed on factory" in words(stderr) and "RuntimeError: no licence key" in words(stderr)
    assert "raise RuntimeError('no licence key')" in (out / "design-error.txt").read_text()
    assert (out / "scenario.json").is_file() and not (out / "trace.jsonl").exists()
    code, _, stderr = invoke("run", str(SMALL), "--design", f"{raising}:nothing", "--out", str(out))
    assert code == 3
    assert "wrong shape: returned int, which has no handle(request) method" in words(stderr)


def test_a_design_module_that_raises_on_import_exits_3(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import json\nCONFIG = json.loads('{not json')\n")
    code, _, stderr = invoke("run", str(SMALL), "--design", f"{broken}:build")
    assert code == 3
    said = words(stderr)
    assert "failed on import: raised: JSONDecodeError" in said and "broken.py" in said
    code, stdout, _ = invoke("run", str(SMALL), "--design", f"{broken}:build", "--json")
    assert code == 3 and json.loads(stdout)["design_error"]["call"] == "import"


def test_unknown_designs_exit_2_listing_what_exists(tmp_path: Path) -> None:
    for design, says in (
        ("nosuch", "unknown design 'nosuch': built-in and installed designs: reference"),
        (f"{tmp_path}/absent.py:build", "no file"),
        ("orchestrator.reference:nosuch", "has no 'nosuch'"),
    ):
        code, _, stderr = invoke("run", str(SMALL), "--design", design)
        assert code == 2, design
        assert says in words(stderr), stderr


def test_a_swarm_whose_design_fails_exits_3_and_names_the_seeds(tmp_path: Path) -> None:
    """`q2c swarm` says what `q2c run` says: a design that fails is exit 3 (not 1, no verdict),
    and swarm.json marks the seeds it failed on; a design that only violates stays exit 1."""
    design = _design(tmp_path, "raising", """
        if request.url.path == "/webhooks/crm":
            raise KeyError("subject_id")
    """)  # fmt: skip
    out = tmp_path / "swarm"
    args = ("swarm", str(SMALL), "--seeds", "2", "--workers", "1", "--out", str(out))
    code, stdout, stderr = invoke(*args, "--design", design)
    assert code == 3, stdout + stderr
    summary = json.loads((out / "swarm.json").read_text())["summary"]
    assert summary["design_failed_seeds"] == [1, 2] and summary["exit_code"] == 3
    assert "The design failed on seed(s) [1, 2]" in words(stdout)
    code, stdout, _ = invoke(*args, "--design", "tests.support.designs:forgetful", "--json")
    assert code == 1, stdout
    assert json.loads(stdout)["exit_code"] == 1
