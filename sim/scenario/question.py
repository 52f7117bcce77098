"""The business question a scenario answers: the 'Business question:' paragraph of the file's
opening comment.

It is a comment, not a field, so it is not in the scenario as loaded (nor in ``scenario.json``);
``q2c scenarios list`` shows it, and the runner copies it into the run folder (``about.json``) so
a report reads it without the YAML file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["business_question"]

PREFIX = "Business question:"


def business_question(file: str | Path) -> str:
    """The opening comment's 'Business question:' paragraph (up to its first blank comment
    line), without the prefix; empty when the file opens with no such paragraph."""
    lines: list[str] = []
    for line in Path(file).read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text and lines:
            break
        if text:
            lines.append(text)
    joined = " ".join(lines)
    if not joined.startswith(PREFIX):
        return ""
    return joined.removeprefix(PREFIX).strip()
