"""Where a design comes from: built-in names, files, modules and installed entry points; what
a wrong name, file or attribute says; a design module that raises while it is imported."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.world.design_guard import DesignFailure
from sim.world.designs import DESIGNS, DesignNotFound, available_designs, load_design
from tests.support.paths import ROOT

EXAMPLE = ROOT / "examples" / "designs" / "lean.py"


def _design_file(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body))
    return path


def test_built_in_names_and_modules_load() -> None:
    from orchestrator.reference import build

    assert load_design("reference") is build
    assert load_design("orchestrator.reference:build") is build
    assert set(DESIGNS) >= {"reference"}
    # the move kept the old import path working for everything that used it
    from sim.world.world import DESIGNS as OLD_DESIGNS
    from sim.world.world import load_design as old_load_design

    assert old_load_design is load_design and OLD_DESIGNS is DESIGNS


def test_a_file_loads_by_relative_and_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No PYTHONPATH: the file is loaded by its path, once, under a module name of its own."""
    _design_file(tmp_path, "mine.py", """
        def build(runtime, tenant, options):
            return "built"
    """)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    relative = load_design("mine.py:build")
    absolute = load_design(f"{tmp_path / 'mine.py'}:build")
    assert relative is absolute  # one module per file
    assert relative(None, "t", {}) == "built"
    assert relative.__module__.startswith("q2c_design_") and relative.__module__ in sys.modules
    assert "mine" not in sys.modules  # nothing shadows an importable module named like it
    nested = tmp_path / "designs"
    nested.mkdir()
    _design_file(nested, "mine.py", "def build(runtime, tenant, options):\n    return 'other'\n")
    other = load_design("designs/mine.py:build")
    assert other(None, "t", {}) == "other"  # same stem, another file: another module


def test_the_worked_example_loads_from_its_file() -> None:
    factory = load_design(f"{EXAMPLE}:build")
    assert callable(factory)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("nosuch", ["unknown design 'nosuch'", "reference", "path/to/file.py:factory"]),
        ("no/such/file.py:build", ["no file no/such/file.py", "reference"]),
        ("mine.py", ["name its factory, as mine.py:build"]),
        ("no.such.module:build", ["no module named 'no'", "path/to/file.py:build"]),
        ("orchestrator.reference:nosuch", ["has no 'nosuch'", "build", "ReferenceCore"]),
        ("orchestrator.reference:OPTIONS", ["'OPTIONS' is not callable"]),
    ],
)
def test_what_does_not_exist_is_named_with_what_does(name: str, says: list[str]) -> None:
    with pytest.raises(DesignNotFound) as caught:
        load_design(name)
    for text in says:
        assert text in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers catching ValueError still do


def test_a_missing_attribute_in_a_file_lists_its_functions(tmp_path: Path) -> None:
    path = _design_file(tmp_path, "two.py", """
        def build_core(runtime, tenant, options):
            return None

        class Core:
            pass
    """)  # fmt: skip
    with pytest.raises(DesignNotFound, match=r"has no 'build' .*Core, build_core"):
        load_design(f"{path}:build")


def test_a_design_that_raises_while_imported_is_the_design_failing(tmp_path: Path) -> None:
    """Its own error (here a dependency it lacks) is not 'not found': exit 3, not 2."""
    path = _design_file(tmp_path, "broken.py", """
        import numpy_that_is_not_installed  # noqa

        def build(runtime, tenant, options):
            return None
    """)  # fmt: skip
    with pytest.raises(DesignFailure) as caught:
        load_design(f"{path}:build")
    failure = caught.value
    assert failure.call == "import" and failure.kind == "raised"
    assert "numpy_that_is_not_installed" in failure.problem
    assert "Traceback" in failure.details and "broken.py" in failure.details
    with pytest.raises(DesignFailure):  # a second try fails the same way (no half module kept)
        load_design(f"{path}:build")


def test_built_in_designs_are_listed_with_their_source() -> None:
    listed = {d.name: d for d in available_designs()}
    assert listed["reference"].source == "built-in"
    assert listed["reference"].target == "orchestrator.reference:build"


def _installed_example(site: Path) -> None:
    """The worked example as an installed distribution would leave it: its module on the path
    and a dist-info folder whose entry_points.txt registers it under q2c.designs."""
    (site / "q2c_example_design.py").write_text(EXAMPLE.read_text())
    dist = site / "q2c_example_design-1.2.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: q2c-example-design\nVersion: 1.2.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[q2c.designs]\nlean = q2c_example_design:build\nreference = q2c_example_design:build\n"
    )


def _python(site: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_an_installed_entry_point_is_found_listed_and_loaded(tmp_path: Path) -> None:
    """A real distribution on sys.path (a fresh process finds it through importlib.metadata);
    a built-in name it also registers stays the built-in one."""
    site = tmp_path / "site"
    site.mkdir()
    _installed_example(site)
    code = textwrap.dedent("""
        from sim.world.designs import available_designs, load_design
        for d in available_designs():
            print(d.name, d.target, d.source, d.shadowed, sep="|")
        print(load_design("lean").__module__)
        print(load_design("reference").__module__)
    """)
    done = _python(site, code, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "lean|q2c_example_design:build|q2c-example-design 1.2.0|False" in lines
    assert "reference|q2c_example_design:build|q2c-example-design 1.2.0|True" in lines
    assert lines[-2:] == ["q2c_example_design", "orchestrator.reference"]


def test_an_entry_point_that_does_not_load_says_which_package(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    dist = site / "broken_pkg-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pkg\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[q2c.designs]\nbroken = gone_module:build\n")
    code = textwrap.dedent("""
        from sim.world.designs import DesignNotFound, load_design
        try:
            load_design("broken")
        except DesignNotFound as exc:
            print(exc)
    """)
    done = _python(site, code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "registered by broken-pkg 0.1 as 'gone_module:build'" in done.stdout
