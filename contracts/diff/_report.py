"""What a CI job reads: the ignore file, the exit decision and the output formats.

Everything here is plain text built from sorted data, so two runs on the same files print the
same bytes (a review bot can diff them). The ignore file is YAML, one entry per accepted
change, each with a reason, so an exception to the gate is written down where it is made:

    - rule: response-property-enum-value-added
      operation: GET /v1/invoices/{invoice}   # or "*" for every operation
      reason: clients treat unknown statuses as "other" since 1.4
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import yaml

from contracts.diff._documents import SpecError, _Yaml12Loader
from contracts.diff._match import template
from contracts.diff._rules import LEVELS, RULES, Level

if TYPE_CHECKING:
    from contracts.diff import Change, Summary

__all__ = ["FORMATS", "Ignore", "Outcome", "apply_ignores", "load_ignores", "render", "rules"]

FORMATS = ("text", "json", "junit", "markdown")


@dataclass(frozen=True)
class Ignore:
    rule: str
    operation: str
    reason: str

    def covers(self, change: Change) -> bool:
        if self.rule != change.rule:
            return False
        if self.operation in ("*", change.operation):
            return True
        method, _, path = self.operation.partition(" ")
        other_method, _, other_path = change.operation.partition(" ")
        return method.upper() == other_method and template(path) == template(other_path)


def load_ignores(path: Path) -> list[Ignore]:
    """The entries of an ignore file; ``SpecError`` says which entry is wrong and why."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), _Yaml12Loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the ignore file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"the ignore file {path} is not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise SpecError(f"the ignore file {path} must be a list of rule/operation/reason entries")
    found = []
    for number, entry in enumerate(data, start=1):
        where = f"{path} entry {number}"
        if not isinstance(entry, dict) or set(entry) != {"rule", "operation", "reason"}:
            raise SpecError(f"{where}: give exactly rule, operation and reason")
        if entry["rule"] not in RULES:
            raise SpecError(f"{where}: unknown rule {entry['rule']!r} (see --rules)")
        if not str(entry["reason"] or "").strip():
            raise SpecError(f"{where}: the reason is empty: say why the change is accepted")
        found.append(Ignore(str(entry["rule"]), str(entry["operation"]), str(entry["reason"])))
    return found


@dataclass(frozen=True)
class Outcome:
    kept: list[Change]
    ignored: list[tuple[Change, Ignore]]
    unused: list[Ignore]  # entries that matched nothing: stale, or a typo
    fail_on: Level

    @property
    def failed(self) -> bool:
        limit = LEVELS.index(self.fail_on)
        return any(LEVELS.index(c.level) <= limit for c in self.kept)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {lvl: sum(c.level == lvl for c in self.kept) for lvl in LEVELS}
        return {**found, "ignored": len(self.ignored)}


def apply_ignores(changes: list[Change], ignores: list[Ignore], fail_on: Level) -> Outcome:
    kept, ignored, used = [], [], set()
    for change in changes:
        entry = next((i for i in ignores if i.covers(change)), None)
        if entry is None:
            kept.append(change)
        else:
            ignored.append((change, entry))
            used.add(entry)
    return Outcome(kept, ignored, [i for i in ignores if i not in used], fail_on)


def rules() -> str:
    """Every rule, one per line: id, level, reason."""
    width = max(len(r) for r in RULES)
    return "\n".join(f"{r.id:<{width}}  {r.level:<7}  {r.reason}" for r in RULES.values())


def _counts_line(outcome: Outcome, edits: int) -> str:
    n = outcome.counts()
    verdict = "FAIL" if outcome.failed else "pass"
    return (
        f"{n['error']} error(s), {n['warning']} warning(s), {n['info']} info from {edits} "
        f"edit(s); {n['ignored']} ignored; fails on {outcome.fail_on}: {verdict}"
    )


def render(fmt: str, title: str, outcome: Outcome, edits: list[Summary], details: bool) -> str:
    return {"text": _text, "json": _json, "junit": _junit, "markdown": _markdown}[fmt](
        title, outcome, edits, details
    )


def _text(title: str, outcome: Outcome, edits: list[Summary], details: bool) -> str:
    lines = [title]
    for edit in edits:
        c = edit.change
        lines.append(f"{c.level:<7}  {c.rule}  {edit.where}: {c.what}")
        if details and edit.places > 1:
            lines += [f"           {change.where}" for change in edit.changes]
    for change, entry in outcome.ignored:
        lines.append(f"ignored  {change.rule}  {change.where}: {change.what} ({entry.reason})")
    lines.append(_counts_line(outcome, len(edits)))
    return "\n".join(lines)


def _change(change: Change) -> dict[str, Any]:
    return asdict(change)


def _json(title: str, outcome: Outcome, edits: list[Summary], details: bool) -> str:
    data = {
        "title": title,
        "fail_on": outcome.fail_on,
        "failed": outcome.failed,
        "counts": outcome.counts(),
        "edits": [
            {
                **_change(e.change),
                "where": e.where,
                "places": e.places,
                "operations": sorted({c.operation for c in e.changes}),
                **({"changes": [_change(c) for c in e.changes]} if details else {}),
            }
            for e in edits
        ],
        "ignored": [{**_change(c), "reason": i.reason} for c, i in outcome.ignored],
    }
    return json.dumps(data, indent=2, sort_keys=True)


def _junit(title: str, outcome: Outcome, edits: list[Summary], details: bool) -> str:
    """One test case per edit; those at or above ``--fail-on`` are failures."""
    limit = LEVELS.index(outcome.fail_on)
    failures = sum(LEVELS.index(e.change.level) <= limit for e in edits)
    suites = ET.Element("testsuites", name="q2c contracts diff")
    suite = ET.SubElement(
        suites, "testsuite", name=title, tests=str(max(len(edits), 1)), failures=str(failures)
    )
    for edit in edits:
        c = edit.change
        case = ET.SubElement(suite, "testcase", classname=c.rule, name=edit.where)
        if LEVELS.index(c.level) <= limit:
            failure = ET.SubElement(case, "failure", type=c.level, message=c.what)
            failure.text = "\n".join(
                [RULES[c.rule].reason] + ([x.where for x in edit.changes] if details else [])
            )
    if not edits:
        ET.SubElement(suite, "testcase", classname="q2c contracts diff", name="no changes")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(title: str, outcome: Outcome, edits: list[Summary], details: bool) -> str:
    lines = [f"### `{_cell(title)}`", "", _counts_line(outcome, len(edits)), ""]
    if edits:
        lines += ["| level | rule | where | what |", "| --- | --- | --- | --- |"]
        for edit in edits:
            c = edit.change
            lines.append(f"| {c.level} | `{c.rule}` | `{_cell(edit.where)}` | {_cell(c.what)} |")
    if details:
        for edit in (e for e in edits if e.places > 1):
            lines += ["", f"<details><summary>{_cell(edit.where)}</summary>", ""]
            lines += [f"- `{_cell(c.where)}`" for c in edit.changes] + ["", "</details>"]
    if outcome.ignored:
        lines += ["", "Ignored:", ""]
        lines += [f"- `{c.rule}` `{_cell(c.where)}`: {_cell(i.reason)}" for c, i in outcome.ignored]
    return "\n".join(lines)
