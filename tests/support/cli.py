"""Running the q2c command line in-process, for tests."""

from __future__ import annotations

from typer.testing import CliRunner

from sim.app.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    """Run q2c in-process; (exit code, stdout, stderr). Any exception but an exit fails."""
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"q2c {' '.join(args)} raised") from result.exception
    return result.exit_code, result.stdout, result.stderr


def words(text: str) -> str:
    """Text with table borders dropped and whitespace collapsed, so wrapped cells read on."""
    return " ".join(text.translate(str.maketrans("│┃║|", "    ")).split())
