"""Drift between two OpenAPI 3.x documents: which changes break a client of the old one.

``diff`` lists every change, each under a rule of ``RULES`` (an id, a level: error, warning
or info, and a one-line reason); ``summarize`` groups the changes that are one edit seen from
many places (a field renamed in a schema shared by hundreds of operations). The package
imports nothing of the simulator: ``q2c contracts diff`` starts in a fraction of a second.

- ``_documents``: loading (YAML 1.2), ``$ref`` checking and following per OpenAPI version;
- ``_match``: which new operation is which old one (method + path template, webhooks);
- ``_schema``: schemas compared in the direction the data flows;
- ``_operations``, ``_security``: parameters, bodies, responses, headers, lifecycle, security;
- ``_rules``: the rule set; ``_report``: output formats, the ignore file, the exit decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from contracts.diff._documents import Side, SpecError, load
from contracts.diff._match import Operation, match, operations
from contracts.diff._operations import OperationDiff, sunset
from contracts.diff._rules import LEVELS, RULES, Level, Rule
from contracts.diff._schema import ORIGIN, Found, SchemaDiff
from contracts.diff._security import requirements, schemes

__all__ = [
    "LEVELS",
    "RULES",
    "Change",
    "Level",
    "Rule",
    "SpecError",
    "Summary",
    "diff",
    "diff_files",
    "load",
    "summarize",
]

DOCUMENT = "(document)"  # the "operation" of document-wide changes (global security, schemes)


@dataclass(frozen=True)
class Change:
    rule: str
    level: Level
    operation: str  # ``GET /orders/{id}``, ``POST webhook invoice.paid`` or ``(document)``
    where: str  # the operation and the place inside it
    what: str
    # the named schema and property changed (``LineItem.Description``); not part of equality
    origin: str = field(default="", compare=False)

    @property
    def kind(self) -> Literal["breaking", "non-breaking"]:
        return "breaking" if self.level == "error" else "non-breaking"


@dataclass(frozen=True)
class Summary:
    """Changes that are one edit seen from many places (a shared schema used everywhere)."""

    change: Change  # the first place it was seen
    changes: tuple[Change, ...]

    @property
    def places(self) -> int:
        return len(self.changes)

    @property
    def operations(self) -> int:
        return len({c.operation for c in self.changes})

    @property
    def where(self) -> str:
        if self.places == 1:
            return self.change.where
        at = self.change.origin or self.change.where
        return f"{at} ({self.places} places in {self.operations} operations)"


def _order(change: Change) -> tuple[int, str, str, str]:
    return (LEVELS.index(change.level), change.where, change.rule, change.what)


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], today: dt.date | None) -> None:
        self.old, self.new, self.today = Side(old), Side(new), today
        self.operation = OperationDiff(self.old, self.new, SchemaDiff(self.old, self.new))
        self.changes: dict[Change, None] = {}  # insertion-ordered set: the first origin is kept

    def add(self, label: str, found: list[Found]) -> None:
        for rule, where, what in found:
            text, _, origin = what.partition(ORIGIN)
            at = f"{label} {where}" if where else label
            self.changes.setdefault(Change(rule, RULES[rule].level, label, at, text, origin))

    def run(self) -> list[Change]:
        old_ops, new_ops = operations(self.old), operations(self.new)
        pairs, removed, added = match(old_ops, new_ops)
        gone = {op.path for op in removed if not op.webhook} - {op.path for op in new_ops}
        whole = {  # paths none of whose operations is left
            path
            for path in gone
            if all(op in removed for op in old_ops if op.path == path and not op.webhook)
        }
        for op in removed:
            self.add(op.label, [(self._removal(op, op.path in whole), "", "operation removed")])
        for op in added:
            rule = "webhook-added" if op.webhook else "endpoint-added"
            self.add(op.label, [(rule, "", "operation added")])
        for old_op, new_op in pairs:
            self.add(new_op.label, self.operation.compare(old_op, new_op))
            if not old_op.webhook and ("security" in old_op.node or "security" in new_op.node):
                was = old_op.node.get("security", self.old.spec.get("security"))
                now = new_op.node.get("security", self.new.spec.get("security"))
                self.add(new_op.label, requirements(was, now, "api"))
        security = requirements(
            self.old.spec.get("security"), self.new.spec.get("security"), "api-global"
        )
        self.add(DOCUMENT, security + schemes(self.old, self.new))
        return sorted(self.changes, key=_order)

    def _removal(self, op: Operation, whole_path: bool) -> str:
        if op.webhook:
            return "webhook-removed"
        stem = "api-path" if whole_path else "api"
        if not op.deprecated:
            return f"{stem}-removed-without-deprecation"
        date = sunset(op.node)
        if isinstance(date, dt.date) and self.today is not None and date > self.today:
            return "api-removed-before-sunset"
        return f"{stem}-removed-with-deprecation"


def diff(old: dict[str, Any], new: dict[str, Any], today: dt.date | None = None) -> list[Change]:
    """Every change from the ``old`` document to the ``new`` one, most severe first;
    ``today`` tells a removal before its announced sunset date from one after it."""
    return _Differ(old, new, today).run()


def diff_files(old: Path, new: Path, today: dt.date | None = None) -> list[Change]:
    """``diff`` of two files; raises ``SpecError`` for a missing or unreadable one, or one
    whose ``$ref``s cannot be followed."""
    return diff(load(old), load(new), today)


def summarize(changes: list[Change]) -> list[Summary]:
    """One line per edit: changes found in the same named schema under the same rule with
    the same effect are grouped (renaming a field of a shared line schema is one edit, seen
    in hundreds of places in a large spec), most severe first."""
    groups: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes:
        key = (change.rule, change.origin or change.where, change.what)
        groups.setdefault(key, []).append(change)
    summaries = [Summary(found[0], tuple(found)) for found in groups.values()]
    return sorted(summaries, key=lambda s: _order(s.change))
