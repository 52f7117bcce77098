"""Drift between two OpenAPI 3.x documents: which changes break a client of the old one.

Operations are matched on method and path, where paths that differ only in the names of their
``{parameters}`` are the same path. Schemas are compared in the direction data flows:

- what a client *sends* (request bodies, parameters) must still be accepted: a removed or
  renamed property, a new required property or parameter, a narrowed enum or type breaks;
  a widened enum or type (``integer`` -> ``number``, adding ``"null"``) and a new optional
  property or parameter do not;
- what a client *reads* (2xx response bodies) must still be there: a removed or renamed
  property, one no longer required, a new enum value or type breaks; an added property does not.

Only local ``$ref``s (``#/...``) are followed; a ``$ref`` cycle stops the comparison there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from contracts.documents import METHODS, Side, SpecError, covers, load, schema_types

__all__ = ["Change", "SpecError", "Summary", "diff", "diff_files", "load", "summarize"]

BREAKING: Literal["breaking"] = "breaking"
SAFE: Literal["non-breaking"] = "non-breaking"

# (kind, where relative to the compared root, what)
Found = tuple[str, str, str]


_ORIGIN = "\x1f"  # separates a finding's text from the named schema it was found in


@dataclass(frozen=True)
class Change:
    kind: Literal["breaking", "non-breaking"]
    where: str
    what: str
    # the named schema and property changed (``LineItem.Description``); not part of equality
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class Summary:
    """Changes that are one edit seen from many places (a shared schema used everywhere)."""

    change: Change  # the first place it was seen
    places: int
    operations: int

    @property
    def where(self) -> str:
        if self.places == 1:
            return self.change.where
        at = self.change.origin or self.change.where
        return f"{at} ({self.places} places in {self.operations} operations)"


def _show(values: list[Any]) -> str:
    return ", ".join(json.dumps(v, default=str) for v in values)


class Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = Side(old)
        self.new = Side(new)
        self._memo: dict[tuple[str, str, bool], list[Found]] = {}

    # -- schemas ---------------------------------------------------------------------------

    def schema(
        self, old_node: Any, new_node: Any, sending: bool, stack: frozenset[Any] = frozenset()
    ) -> list[Found]:
        """Changes from old to new; ``sending`` is True where the client writes the data."""
        old, old_ref, old_pure = self.old.flat(old_node)
        new, new_ref, new_pure = self.new.flat(new_node)
        pair = (old_ref, new_ref)
        if pair != (None, None):
            if pair in stack:
                return []
            stack = stack | {pair}
        key = (old_ref, new_ref, sending) if old_ref and new_ref and old_pure and new_pure else None
        if key is not None and key in self._memo:
            return self._memo[key]
        found = self._types(old, new, sending) + self._enum(old, new, sending)
        found += self._properties(old, new, sending, stack)
        found += self._additional(old, new, sending, stack)
        found += self._alternatives(old, new, sending, stack)
        if "items" in old and "items" in new:
            found += [
                (kind, "[]" + where, what)
                for kind, where, what in self.schema(old["items"], new["items"], sending, stack)
            ]
        named = new_ref or old_ref
        if named is not None and named.startswith("#/components/"):
            name = named.rsplit("/", 1)[-1]
            found = [
                (kind, where, what if _ORIGIN in what else f"{what}{_ORIGIN}{name}{where}")
                for kind, where, what in found
            ]
        if key is not None:
            self._memo[key] = found
        return found

    def _types(self, old: dict[str, Any], new: dict[str, Any], sending: bool) -> list[Found]:
        was, now = schema_types(old), schema_types(new)
        if not was or not now or was == now:
            return []
        # sending: the new side must accept every old type; reading: produce only old types
        wider, narrower = (was, now) if sending else (now, was)
        lost = sorted(k for k in wider if not covers(narrower, k))
        change = f"type changed from {'|'.join(sorted(was))} to {'|'.join(sorted(now))}"
        return [(BREAKING if lost else SAFE, "", change)]

    def _enum(self, old: dict[str, Any], new: dict[str, Any], sending: bool) -> list[Found]:
        was, now = old.get("enum"), new.get("enum")
        found: list[Found] = []
        if was is not None and now is not None:
            removed = [v for v in was if v not in now]
            added = [v for v in now if v not in was]
            if removed:
                what = f"enum narrowed: {_show(removed)} removed"
                found.append((BREAKING if sending else SAFE, "", what))
            if added:
                what = f"enum widened: {_show(added)} added"
                found.append((SAFE if sending else BREAKING, "", what))
        elif was is None and now is not None:
            found.append((BREAKING if sending else SAFE, "", f"enum added: {_show(now)}"))
        elif was is not None and now is None:
            found.append((SAFE if sending else BREAKING, "", "enum removed (any value allowed)"))
        return found

    def _properties(
        self, old: dict[str, Any], new: dict[str, Any], sending: bool, stack: frozenset[Any]
    ) -> list[Found]:
        was, now = old.get("properties") or {}, new.get("properties") or {}
        was_required, now_required = set(old.get("required", [])), set(new.get("required", []))
        removed = [name for name in was if name not in now]
        added = [name for name in now if name not in was]
        found: list[Found] = []
        for name in removed:
            shape = self.old.canonical(was[name])
            twin = next((a for a in added if self.new.canonical(now[a]) == shape), None)
            if twin is not None:
                added.remove(twin)
                found.append((BREAKING, f".{name}", f"renamed {name} -> {twin}"))
                if sending and twin in now_required and name not in was_required:
                    found.append((BREAKING, f".{twin}", "new required property"))
            else:
                found.append((BREAKING, f".{name}", "property removed"))
        for name in added:
            if sending and name in now_required:
                found.append((BREAKING, f".{name}", "new required property"))
            else:
                found.append((SAFE, f".{name}", "property added"))
        for name in was:
            if name not in now:
                continue
            if sending and name in now_required and name not in was_required:
                found.append((BREAKING, f".{name}", "property is now required"))
            if not sending and name in was_required and name not in now_required:
                found.append((BREAKING, f".{name}", "property no longer always present"))
            for kind, where, what in self.schema(was[name], now[name], sending, stack):
                found.append((kind, f".{name}{where}", what))
        return found

    def _additional(
        self, old: dict[str, Any], new: dict[str, Any], sending: bool, stack: frozenset[Any]
    ) -> list[Found]:
        """Maps (``additionalProperties`` schemas, as Kantata's keyed side-loads) are compared
        value to value; a sent object that stops accepting extra members breaks its client."""
        was, now = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(was, dict) and isinstance(now, dict):
            return [
                (kind, "{*}" + where, what)
                for kind, where, what in self.schema(was, now, sending, stack)
            ]
        if sending and was is not False and now is False and "properties" in new:
            return [(BREAKING, "", "additional properties no longer accepted")]
        return []

    def _alternatives(
        self, old: dict[str, Any], new: dict[str, Any], sending: bool, stack: frozenset[Any]
    ) -> list[Found]:
        """``anyOf``/``oneOf`` branches (Stripe's expandable ids, nullable unions): a branch
        lost narrows what is accepted, a branch gained widens what may be read; a branch
        changed in place (same ``$ref`` or same type) is compared inside."""
        found: list[Found] = []
        for key in ("anyOf", "oneOf"):
            was, now = old.get(key), new.get(key)
            if not isinstance(was, list) or not isinstance(now, list):
                continue
            old_shapes = [self.old.canonical(b) for b in was]
            new_shapes = [self.new.canonical(b) for b in now]
            removed = [i for i, shape in enumerate(old_shapes) if shape not in new_shapes]
            added = [j for j, shape in enumerate(new_shapes) if shape not in old_shapes]
            for i in list(removed):
                mate = next(
                    (
                        j
                        for j in added
                        if self._branch(self.old, was[i]) == self._branch(self.new, now[j])
                    ),
                    None,
                )
                if mate is None:
                    continue
                removed.remove(i)
                added.remove(mate)
                found += [
                    (kind, f"<{key}[{mate}]>" + where, what)
                    for kind, where, what in self.schema(was[i], now[mate], sending, stack)
                ]
            for i in removed:
                what = f"{key} alternative removed: {self._branch(self.old, was[i])}"
                found.append((BREAKING if sending else SAFE, "", what))
            for j in added:
                what = f"{key} alternative added: {self._branch(self.new, now[j])}"
                found.append((SAFE if sending else BREAKING, "", what))
        return found

    @staticmethod
    def _branch(side: Side, node: Any) -> str:
        """A branch's name: the schema it refers to, else its type(s)."""
        schema, ref, _ = side.resolve(node)
        if ref is not None:
            return ref.rsplit("/", 1)[-1]
        return "|".join(sorted(schema_types(schema))) or "any"

    # -- operations ------------------------------------------------------------------------

    def operations(self, side: Side) -> dict[tuple[str, str], tuple[str, dict[str, Any], Any]]:
        """(METHOD, path with blank parameter names) -> (path, operation, path item)."""
        found = {}
        for path, item in (side.spec.get("paths") or {}).items():
            item, _, _ = side.resolve(item)
            for method, operation in item.items():
                if method in METHODS and isinstance(operation, dict):
                    key = (method.upper(), re.sub(r"\{[^}/]*\}", "{}", str(path)))
                    found[key] = (str(path), operation, item)
        return found

    def parameters(
        self, side: Side, path: str, operation: dict[str, Any], item: dict[str, Any]
    ) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """(location, name or path position) -> (display name, parameter)."""
        slots = re.findall(r"\{([^}/]*)\}", path)
        found = {}
        for raw in list(item.get("parameters", [])) + list(operation.get("parameters", [])):
            param, _, _ = side.resolve(raw)
            name, where = str(param.get("name", "")), str(param.get("in", ""))
            if where == "path" and name in slots:
                key = (where, f"#{slots.index(name)}")
            else:
                key = (where, name.lower() if where == "header" else name)
            found[key] = (name, param)
        return found

    def diff(self) -> list[Change]:
        changes: list[Change] = []
        old_ops, new_ops = self.operations(self.old), self.operations(self.new)
        for key, (path, old_op, old_item) in old_ops.items():
            label = f"{key[0]} {path}"
            if key not in new_ops:
                changes.append(Change(BREAKING, label, "operation removed"))
                continue
            new_path, new_op, new_item = new_ops[key]
            label = f"{key[0]} {new_path}"
            found = self._parameters(path, old_op, old_item, new_path, new_op, new_item)
            found += self._body(old_op, new_op)
            found += self._responses(old_op, new_op)
            for kind, where, what in found:
                where = f"{label} {where}" if where else label
                what, _, origin = what.partition(_ORIGIN)
                change = Change(BREAKING if kind == BREAKING else SAFE, where, what, origin)
                if change not in changes:
                    changes.append(change)
        for key, (path, _, _) in new_ops.items():
            if key not in old_ops:
                changes.append(Change(SAFE, f"{key[0]} {path}", "operation added"))
        return changes

    def _parameters(self, *args: Any) -> list[Found]:
        old_path, old_op, old_item, new_path, new_op, new_item = args
        was = self.parameters(self.old, old_path, old_op, old_item)
        now = self.parameters(self.new, new_path, new_op, new_item)
        found: list[Found] = []
        for key, (name, param) in now.items():
            where = f"parameters.{key[0]}.{name}"
            if key not in was:
                required = bool(param.get("required"))
                what = "new required parameter" if required else "optional parameter added"
                found.append((BREAKING if required else SAFE, where, what))
                continue
            old = was[key][1]
            if param.get("required") and not old.get("required"):
                found.append((BREAKING, where, "parameter is now required"))
            old_schema, new_schema = old.get("schema", {}), param.get("schema", {})
            for kind, sub, what in self.schema(old_schema, new_schema, True):
                found.append((kind, where + sub, what))
        for key, (name, _) in was.items():
            if key not in now:
                found.append((SAFE, f"parameters.{key[0]}.{name}", "parameter removed"))
        return found

    def _body(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> list[Found]:
        old, _, _ = self.old.resolve(old_op.get("requestBody", {}))
        new, _, _ = self.new.resolve(new_op.get("requestBody", {}))
        if not old and not new:
            return []
        if not new:
            return [(BREAKING, "requestBody", "request body removed")]
        if not old:
            required = bool(new.get("required"))
            return [(BREAKING if required else SAFE, "requestBody", "request body added")]
        found: list[Found] = []
        if new.get("required") and not old.get("required"):
            found.append((BREAKING, "requestBody", "request body is now required"))
        old_content, new_content = old.get("content") or {}, new.get("content") or {}
        for media, entry in old_content.items():
            if media not in new_content:
                found.append((BREAKING, "requestBody", f"media type {media} removed"))
                continue
            old_schema, new_schema = entry.get("schema", {}), new_content[media].get("schema", {})
            for kind, where, what in self.schema(old_schema, new_schema, True):
                found.append((kind, "requestBody" + where, what))
        return found

    def _responses(self, old_op: dict[str, Any], new_op: dict[str, Any]) -> list[Found]:
        was = {str(k): v for k, v in (old_op.get("responses") or {}).items()}
        now = {str(k): v for k, v in (new_op.get("responses") or {}).items()}
        found: list[Found] = []
        for status, raw in was.items():
            where = f"responses.{status}"
            if status not in now:
                found.append((BREAKING, where, f"status {status} removed"))
                continue
            if not status.startswith("2"):
                continue
            old, _, _ = self.old.resolve(raw)
            new, _, _ = self.new.resolve(now[status])
            new_content = new.get("content") or {}
            for media, entry in (old.get("content") or {}).items():
                if media not in new_content:
                    found.append((BREAKING, where, f"media type {media} removed"))
                    continue
                new_schema = new_content[media].get("schema", {})
                for kind, sub, what in self.schema(entry.get("schema", {}), new_schema, False):
                    found.append((kind, where + sub, what))
        for status in now:
            if status not in was:
                found.append((SAFE, f"responses.{status}", f"status {status} added"))
        return found


def summarize(changes: list[Change]) -> list[Summary]:
    """One line per edit: changes found in the same named schema with the same effect are
    grouped (renaming a field of a shared line schema is one edit, seen in hundreds of
    places in a large spec), breaking ones first."""
    groups: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes:
        key = (change.kind, change.origin or change.where, change.what)
        groups.setdefault(key, []).append(change)
    summaries = [
        Summary(found[0], len(found), len({" ".join(c.where.split(" ")[:2]) for c in found}))
        for found in groups.values()
    ]
    return sorted(summaries, key=lambda s: s.change.kind != BREAKING)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from the ``old`` document to the ``new`` one, per operation."""
    return Differ(old, new).diff()


def diff_files(old: Path, new: Path) -> list[Change]:
    """``diff`` of two files; raises ``SpecError`` for a missing or unparseable one."""
    return diff(load(old), load(new))
