"""Schemas compared in the direction data flows.

What a client *sends* (request bodies, parameters) must still be accepted: a narrower type,
enum, bound or pattern breaks it; what it *reads* (response bodies and headers, webhook
payloads) must still be understood: a wider one breaks it. Each finding names a rule of
``_rules``; the facet table there decides its level per direction.

Shared schemas are compared once per pair of ``$ref``s and walked per operation (see
``SchemaDiff``): nothing computed is ever cut short by a ``$ref`` cycle, so every operation
that reaches a change reports it.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

from contracts.diff import _facets
from contracts.diff._documents import Side
from contracts.diff._facets import UNIONS, required_names, union_values
from contracts.diff._rules import facet_rule

__all__ = ["ORIGIN", "Found", "SchemaDiff"]

# (rule id, where relative to the compared root, what)
Found = tuple[str, str, str]
Pair = tuple[str | None, str | None]
Node = tuple[str, str, bool, str]  # (old $ref, new $ref, sending, place)
Edge = tuple[str, Node]  # (where the pair sits, relative to the node holding it)
ORIGIN = "\x1f"  # separates a finding's text from the named schema it was found in


def _related(a: str, b: str) -> bool:
    """Names one of which holds the other (description -> lineDescription, Desc)."""
    x, y = (n.lower().replace("_", "").replace("-", "") for n in (a, b))
    return bool(x and y) and (x in y or y in x)


class SchemaDiff:
    """Schema pairs compared once each, then walked per operation.

    Every pair of ``$ref``s (with a direction and a place) is a node whose *local* findings
    (those not under another ``$ref`` pair) are computed once; its edges lead to the pairs it
    contains. An operation's findings are those of every node it reaches, each found once at
    its shortest path. A node's findings never depend on the path that reached it, so a
    ``$ref`` cycle cannot leave a shortened result in a cache (a type change reached through
    a cycle is seen by every operation that reaches it), and only nodes from which a change
    is reachable are walked: a small edit to a large spec stays cheap.
    """

    def __init__(self, old: Side, new: Side) -> None:
        self.old, self.new = old, new
        self._nodes: dict[Node, tuple[list[Found], list[Edge]]] = {}
        self._pending: list[Node] = []
        self._preds: dict[Node, set[Node]] = {}
        self._dirty: set[Node] = set()  # nodes from which a finding is reachable

    def compare(self, old_node: Any, new_node: Any, sending: bool, place: str) -> list[Found]:
        """Changes from old to new; ``sending`` is True where the client writes the data;
        ``place`` is where the root sits (body, parameter, header)."""
        edges: list[Edge] = []
        found = self._schema(old_node, new_node, sending, place, frozenset(), edges)
        self._drain()
        queue = deque(edge for edge in edges if edge[1] in self._dirty)
        seen: set[Node] = set()
        while queue:
            prefix, node = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            local, children = self._nodes[node]
            found += [(rule, prefix + where, what) for rule, where, what in local]
            queue.extend(
                (prefix + at, child)
                for at, child in children
                if child in self._dirty and child not in seen
            )
        return found

    def _drain(self) -> None:
        """Compute the local findings of every pair queued, then mark what reaches a change."""
        fresh: list[Node] = []
        while self._pending:
            node = self._pending.pop()
            if node in self._nodes:
                continue
            old_ref, new_ref, sending, place = node
            edges: list[Edge] = []
            pair = frozenset({(old_ref, new_ref)})
            old, new = self.old.flat({"$ref": old_ref})[0], self.new.flat({"$ref": new_ref})[0]
            found = self._local(
                old, new, {"$ref": old_ref}, {"$ref": new_ref}, sending, place, pair, edges
            )
            name = new_ref.rsplit("/", 1)[-1] if new_ref.startswith("#/components/") else ""
            if name:
                found = [
                    (rule, where, what if ORIGIN in what else f"{what}{ORIGIN}{name}{where}")
                    for rule, where, what in found
                ]
            self._nodes[node] = (found, edges)
            fresh.append(node)
        for node in fresh:
            for _, child in self._nodes[node][1]:
                self._preds.setdefault(child, set()).add(node)
        for node in fresh:
            local, edges = self._nodes[node]
            if local or any(child in self._dirty for _, child in edges):
                self._mark(node)

    def _mark(self, node: Node) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if current not in self._dirty:
                self._dirty.add(current)
                stack.extend(self._preds.get(current, ()))

    def _schema(
        self,
        old_node: Any,
        new_node: Any,
        sending: bool,
        place: str,
        stack: frozenset[Pair],
        edges: list[Edge],
    ) -> list[Found]:
        old, old_ref, old_pure = self.old.flat(old_node)
        new, new_ref, new_pure = self.new.flat(new_node)
        if old_ref and new_ref and old_pure and new_pure:
            node = (old_ref, new_ref, sending, place)
            if node not in self._nodes:
                self._pending.append(node)
            edges.append(("", node))
            return []
        pair = (old_ref, new_ref)
        if pair != (None, None):
            if pair in stack:  # a cycle through keys beside a $ref (3.1): stop here
                return []
            stack = stack | {pair}
        found = self._local(old, new, old_node, new_node, sending, place, stack, edges)
        named = new_ref or old_ref
        if named is not None and named.startswith("#/components/"):
            name = named.rsplit("/", 1)[-1]
            found = [
                (rule, where, what if ORIGIN in what else f"{what}{ORIGIN}{name}{where}")
                for rule, where, what in found
            ]
        return found

    def _local(self, old: dict[str, Any], new: dict[str, Any], *args: Any) -> list[Found]:
        old_node, new_node, sending, place, stack, edges = args
        old_union = next((k for k in UNIONS if isinstance(old.get(k), list)), None)
        new_union = next((k for k in UNIONS if isinstance(new.get(k), list)), None)
        plain = old if old_union is None else new
        side = self.old if old_union is None else self.new
        enums = union_values(old) is not None or union_values(new) is not None
        if (old_union is None) != (new_union is None) and side.types(plain) and not enums:
            # type <-> anyOf/oneOf: the plain side is a union of one (its $ref kept, to pair it)
            union = new_union or old_union
            assert union is not None
            was = old[union] if old_union else [old_node]
            now = new[union] if new_union else [new_node]
            return self._alternatives(union, was, now, sending, place, stack, edges)
        return self._compare(old, new, sending, place, stack, edges)

    def _compare(self, old: dict[str, Any], new: dict[str, Any], *ctx: Any) -> list[Found]:
        sending, place, stack, edges = ctx
        rule = functools.partial(facet_rule, sending, place)
        sides = (self.old, self.new)
        found = _facets.types(sides, old, new, rule) + _facets.values(old, new, rule)
        found += _facets.constraints(sides, old, new, rule)
        found += self._properties(old, new, *ctx)
        found += self._additional(old, new, *ctx)
        for key in UNIONS:
            both = isinstance(old.get(key), list) and isinstance(new.get(key), list)
            if both and (union_values(old) is None or union_values(new) is None):
                found += self._alternatives(key, old[key], new[key], *ctx)
        inner = place if place in ("header", "parameter-property") else "property"
        if place == "parameter":
            inner = "parameter-property"
        if "items" in old and "items" in new:
            found += self._child(old["items"], new["items"], "[]", sending, inner, stack, edges)
        return found

    def _child(self, old: Any, new: Any, at: str, *ctx: Any) -> list[Found]:
        """Findings below ``at``; the pairs of ``$ref``s met there become edges of ours."""
        sending, place, stack, edges = ctx
        mine: list[Edge] = []
        found = self._schema(old, new, sending, place, stack, mine)
        edges.extend((at + where, node) for where, node in mine)
        return [(rule, at + where, what) for rule, where, what in found]

    def _properties(self, old: dict[str, Any], new: dict[str, Any], *ctx: Any) -> list[Found]:
        sending, place, stack, edges = ctx
        was, now = old.get("properties") or {}, new.get("properties") or {}
        found = self._undeclared(old, new, sending)
        if not was and not now:
            return found
        inner = "parameter-property" if place.startswith("parameter") else "property"
        skip = "readOnly" if sending else "writeOnly"  # not part of this direction's data

        def required(side: Side, schema: dict[str, Any], name: str) -> bool:
            prop, _, _ = side.resolve(schema["properties"][name])
            return name in required_names(schema) and not prop.get(skip)

        removed = [name for name in was if name not in now]
        added = [name for name in now if name not in was]
        for name in removed:
            twin = self._twin(name, was, now, added)
            prop, _, _ = self.old.resolve(was[name])
            if prop.get(skip):
                rule = (
                    f"{'request-read-only' if sending else 'response-write-only'}-property-removed"
                )
            elif sending:
                closed = new.get("additionalProperties") is False
                rule = "request-closed-property-removed" if closed else "request-property-removed"
            elif required(self.old, old, name):
                rule = "response-required-property-removed"
            else:
                rule = "response-optional-property-removed"
            found.append(
                (rule, f".{name}", f"renamed {name} -> {twin}" if twin else "property removed")
            )
            if twin is not None:
                added.remove(twin)
                if sending and required(self.new, new, twin) and not required(self.old, old, name):
                    found.append(
                        ("new-required-request-property", f".{twin}", "new required property")
                    )
        for name in added:
            needed = required(self.new, new, name)
            if sending:
                rule = (
                    "new-required-request-property" if needed else "new-optional-request-property"
                )
            else:
                rule = f"response-{'required' if needed else 'optional'}-property-added"
            found.append(
                (
                    rule,
                    f".{name}",
                    "new required property" if needed and sending else "property added",
                )
            )
        for name in was:
            if name not in now:
                continue
            a, b = required(self.old, old, name), required(self.new, new, name)
            if a != b:
                direction = "request" if sending else "response"
                facet = "became-required" if b else "became-optional"
                what = "property is now required" if b else "property no longer always present"
                found.append((f"{direction}-property-{facet}", f".{name}", what))
            found += self._child(was[name], now[name], f".{name}", sending, inner, stack, edges)
        return found

    @staticmethod
    def _undeclared(old: dict[str, Any], new: dict[str, Any], sending: bool) -> list[Found]:
        """``required`` names that are no declared property (an object of free keys that
        must carry some): a name newly required breaks senders, one no longer required
        breaks readers, as for declared properties."""
        was, now = required_names(old, declared=False), required_names(new, declared=False)
        # a name declared on the other side is a property removed or added: reported as such
        in_new = {str(p).casefold() for p in new.get("properties") or {}}
        in_old = {str(p).casefold() for p in old.get("properties") or {}}
        was = {name for name in was if name.casefold() not in in_new}
        now = {name for name in now if name.casefold() not in in_old}
        direction = "request" if sending else "response"
        found: list[Found] = []
        for name in sorted(now - was):
            rule = (
                "new-required-request-property" if sending else "response-required-property-added"
            )
            found.append((rule, f".{name}", "now required (not among the properties)"))
        for name in sorted(was - now):
            what = "no longer required (not among the properties)"
            found.append((f"{direction}-property-became-optional", f".{name}", what))
        return found

    def _twin(self, name: str, was: dict[str, Any], now: dict[str, Any], added: list[str]) -> Any:
        """The property ``name`` was renamed to: the one added property of the same shape
        with a related name or the same description. Two strings are not a rename."""
        shape = self.old.canonical(was[name])
        same = [a for a in added if self.new.canonical(now[a]) == shape]
        if len(same) != 1:
            return None
        text = self.old.resolve(was[name])[0].get("description")
        other = self.new.resolve(now[same[0]])[0].get("description")
        return same[0] if _related(name, same[0]) or (text and text == other) else None

    def _additional(self, old: dict[str, Any], new: dict[str, Any], *ctx: Any) -> list[Found]:
        """Maps (``additionalProperties`` schemas, as Kantata's keyed side-loads) are compared
        value to value; an object that stops accepting extra members breaks its senders."""
        sending, place, stack, edges = ctx
        was, now = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(was, dict) and isinstance(now, dict):
            inner = "parameter-property" if place.startswith("parameter") else "property"
            return self._child(was, now, "{*}", sending, inner, stack, edges)
        rule = functools.partial(facet_rule, sending, place)
        if was is not False and now is False and "properties" in new:
            return [
                (
                    rule("additional-properties-closed"),
                    "",
                    "additional properties no longer accepted",
                )
            ]
        if was is False and now is not False:
            return [(rule("additional-properties-opened"), "", "additional properties allowed")]
        return []

    def _alternatives(self, key: str, was: list[Any], now: list[Any], *ctx: Any) -> list[Found]:
        """``anyOf``/``oneOf`` branches (Stripe's expandable ids, nullable unions): a branch
        lost narrows what is accepted, a branch gained widens what may be read; a branch
        changed in place (same ``$ref`` or same type) is compared inside."""
        sending, place, stack, edges = ctx
        stem = "any-of" if key == "anyOf" else "one-of"
        old_shapes = [self.old.canonical(b) for b in was]
        new_shapes = [self.new.canonical(b) for b in now]
        removed = [i for i, shape in enumerate(old_shapes) if shape not in new_shapes]
        added = [j for j, shape in enumerate(new_shapes) if shape not in old_shapes]
        found: list[Found] = []
        for i in list(removed):
            name = self._branch(self.old, was[i])
            mate = next((j for j in added if self._branch(self.new, now[j]) == name), None)
            if mate is None:
                continue
            removed.remove(i)
            added.remove(mate)
            found += self._child(
                was[i], now[mate], f"<{key}[{mate}]>", sending, place, stack, edges
            )
        for i in removed:
            what = f"{key} alternative removed: {self._branch(self.old, was[i])}"
            found.append((facet_rule(sending, place, f"{stem}-removed"), "", what))
        for j in added:
            what = f"{key} alternative added: {self._branch(self.new, now[j])}"
            found.append((facet_rule(sending, place, f"{stem}-added"), "", what))
        return found

    @staticmethod
    def _branch(side: Side, node: Any) -> str:
        """A branch's name: the schema it refers to, else its type(s)."""
        schema, ref, _ = side.resolve(node)
        if ref is not None:
            return ref.rsplit("/", 1)[-1]
        return "|".join(sorted(side.types(schema))) or "any"
