"""The facets of one schema compared with its counterpart, where they sit: type, values
(enum and const), bounds, formats, flags, discriminator and applicators. None of them looks
below the schema, so ``SchemaDiff`` computes them once per pair of ``$ref``s and walks the
rest."""

from __future__ import annotations

import json
from typing import Any

from contracts.diff._documents import Side, covers
from contracts.diff._rules import APPLICATORS, BOUNDS

__all__ = ["UNIONS", "constraints", "required_names", "types", "union_values", "values"]

Found = tuple[str, str, str]
UNIONS = ("anyOf", "oneOf")


def _show(values: list[Any]) -> str:
    return ", ".join(json.dumps(v, default=str) for v in values)


def required_names(schema: dict[str, Any], declared: bool = True) -> set[str]:
    """The names ``required`` lists, each read as the property it names: itself if declared,
    else the one declared property that differs from it only in case (Xero's payroll specs
    list ``EarningTemplates`` and ``NICategories`` for the properties ``earningTemplates`` and
    ``niCategories``, and fix them as typos). With ``declared=False``, the names that are no
    property at all."""
    properties = schema.get("properties") or {}
    folded: dict[str, list[str]] = {}
    for prop in properties:
        folded.setdefault(str(prop).casefold(), []).append(prop)
    names: set[str] = set()
    for name in schema.get("required") or []:
        if not isinstance(name, str):
            continue
        same = [name] if name in properties else folded.get(name.casefold(), [])
        if len(same) == 1:
            if declared:
                names.add(same[0])
        elif not declared and not same:
            names.add(name)
    return names


def enumerated(schema: dict[str, Any]) -> list[Any] | None:
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return union_values(schema)


def union_values(schema: dict[str, Any]) -> list[Any] | None:
    """The values of an ``anyOf``/``oneOf`` that only lists values beside the schema's own
    ``type`` (Xero's webhooks: ``type: string`` with ``oneOf`` of ``const: CREATE`` and
    ``const: UPDATE``, each with its description): an enum spelled as a union, compared as
    one. None for any other union."""
    if not schema.get("type"):
        return None
    for key in UNIONS:
        branches = schema.get(key)
        if not isinstance(branches, list) or not branches:
            continue
        values: list[Any] = []
        for branch in branches:
            if not isinstance(branch, dict) or "$ref" in branch:
                return None
            if isinstance(branch.get("enum"), list):
                values += branch["enum"]
            elif "const" in branch:
                values.append(branch["const"])
            else:
                return None
        return values
    return None


def _bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """Numeric bounds, 3.0's boolean ``exclusiveMaximum: true`` read as 3.1's number."""
    found = {key: schema[key] for key, _, _ in BOUNDS if key in schema}
    for exclusive, inclusive in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        flag = found.get(exclusive)
        if isinstance(flag, bool):
            del found[exclusive]
            if flag and inclusive in found:
                found[exclusive] = found.pop(inclusive)
    return {k: v for k, v in found.items() if isinstance(v, int | float)}


def types(
    sides: tuple[Side, Side], old: dict[str, Any], new: dict[str, Any], rule: Any
) -> list[Found]:
    was, now = sides[0].types(old), sides[1].types(new)
    if not was or not now or was == now:
        return []
    found: list[Found] = []
    was_null, now_null = "null" in was, "null" in now
    if was_null != now_null:
        facet = "became-nullable" if now_null else "became-not-nullable"
        found.append((rule(facet), "", facet.replace("-", " ")))
    was, now = was - {"null"}, now - {"null"}
    if was and now and was != now:
        narrowed = any(not covers(now, k) for k in was)
        widened = any(not covers(was, k) for k in now)
        facet = (
            "type-changed"
            if narrowed and widened
            else "type-specialized"
            if narrowed
            else "type-generalized"
        )
        what = f"type changed from {'|'.join(sorted(was))} to {'|'.join(sorted(now))}"
        found.append((rule(facet), "", what))
    return found


def values(old: dict[str, Any], new: dict[str, Any], rule: Any) -> list[Found]:
    was, now = enumerated(old), enumerated(new)
    if was is None and now is None:
        return []
    if "const" in old and "const" in new and "enum" not in old and "enum" not in new:
        if old["const"] == new["const"]:
            return []
        return [
            (
                rule("const-changed"),
                "",
                f"const changed from {_show(was or [])} to {_show(now or [])}",
            )
        ]
    if was is None:
        facet = "const-added" if "const" in new and "enum" not in new else "became-enum"
        return [(rule(facet), "", f"{facet.replace('-', ' ')}: {_show(now or [])}")]
    if now is None:
        facet = "const-removed" if "const" in old and "enum" not in old else "enum-removed"
        return [(rule(facet), "", f"{facet.replace('-', ' ')} (any value allowed)")]
    found: list[Found] = []
    removed = [v for v in was if v not in now]
    added = [v for v in now if v not in was]
    if removed:
        found.append((rule("enum-value-removed"), "", f"enum narrowed: {_show(removed)} removed"))
    if added:
        found.append((rule("enum-value-added"), "", f"enum widened: {_show(added)} added"))
    return found


def constraints(
    sides: tuple[Side, Side], old: dict[str, Any], new: dict[str, Any], rule: Any
) -> list[Found]:
    found: list[Found] = []
    was, now = _bounds(old), _bounds(new)
    for keyword, stem, _ in BOUNDS:
        a, b = was.get(keyword), now.get(keyword)
        if a == b:
            continue
        if a is None or b is None:
            facet = f"{stem}-set" if a is None else f"{stem}-unset"
            what = f"{keyword} set to {b}" if a is None else f"{keyword} {a} removed"
        else:
            facet = f"{stem}-{'increased' if b > a else 'decreased'}"
            what = f"{keyword} {'raised' if b > a else 'lowered'} from {a} to {b}"
        found.append((rule(facet), "", what))
    for keyword, stem in (
        ("pattern", "pattern"),
        ("format", "format"),
        ("default", "default-value"),
    ):
        a, b = old.get(keyword), new.get(keyword)
        if a == b:
            continue
        if a is None:
            found.append((rule(f"{stem}-added"), "", f"{keyword} {_show([b])} added"))
        elif b is None:
            found.append((rule(f"{stem}-removed"), "", f"{keyword} {_show([a])} removed"))
        else:
            what = f"{keyword} changed from {_show([a])} to {_show([b])}"
            found.append((rule(f"{stem}-changed"), "", what))
    if old.get("multipleOf") != new.get("multipleOf"):
        what = f"multipleOf changed from {old.get('multipleOf')} to {new.get('multipleOf')}"
        found.append((rule("multiple-of-changed"), "", what))
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        facet = "unique-items-set" if new.get("uniqueItems") else "unique-items-unset"
        found.append((rule(facet), "", facet.replace("-", " ")))
    for flag, stem in (
        ("readOnly", "read-only"),
        ("writeOnly", "write-only"),
        ("deprecated", ""),
    ):
        a, b = bool(old.get(flag)), bool(new.get(flag))
        if a != b:
            facet = (
                ("deprecated" if b else "reactivated")
                if not stem
                else f"became-{stem}"
                if b
                else f"became-not-{stem}"
            )
            found.append((rule(facet), "", facet.replace("-", " ")))
    found += _discriminator(old.get("discriminator"), new.get("discriminator"), rule)
    for keyword, stem in (*APPLICATORS, ("prefixItems", "prefix-items")):
        a, b = old.get(keyword), new.get(keyword)
        if a is None and b is None:
            continue
        if a is None or b is None:
            facet = f"{stem}-added" if a is None else f"{stem}-removed"
            found.append((rule(facet), "", f"{keyword} {facet.rsplit('-', 1)[1]}"))
        elif sides[0].canonical(a) != sides[1].canonical(b):
            found.append((rule(f"{stem}-changed"), "", f"{keyword} changed"))
    return found


def _discriminator(old: Any, new: Any, rule: Any) -> list[Found]:
    if not isinstance(old, dict) and not isinstance(new, dict):
        return []
    if not isinstance(old, dict) or not isinstance(new, dict):
        facet = "discriminator-added" if isinstance(new, dict) else "discriminator-removed"
        return [(rule(facet), "", facet.replace("-", " "))]
    found: list[Found] = []
    if old.get("propertyName") != new.get("propertyName"):
        what = f"discriminator property {old.get('propertyName')} -> {new.get('propertyName')}"
        found.append((rule("discriminator-property-name-changed"), "", what))
    was, now = old.get("mapping") or {}, new.get("mapping") or {}
    for value in sorted(set(was) | set(now)):
        if value not in now:
            found.append((rule("discriminator-mapping-deleted"), "", f"{value!r} unmapped"))
        elif value not in was:
            found.append((rule("discriminator-mapping-added"), "", f"{value!r} mapped"))
        elif was[value].rsplit("/", 1)[-1] != now[value].rsplit("/", 1)[-1]:
            what = f"{value!r} now maps to {now[value]}"
            found.append((rule("discriminator-mapping-changed"), "", what))
    return found
