"""OpenAPI documents as the diff reads them: loading (YAML 1.2), checking every ``$ref``,
following them with each OpenAPI version's rules, and a canonical form to tell schemas apart.

- YAML 1.2 core schema: ``NO``, ``on`` and ``y`` stay strings (an enum of country codes must
  not turn into ``false``) and dates stay strings, as in the JSON the API sends. PyYAML's C
  parser is kept, only the tag resolvers change: loading stays fast on 2 MB specs.
- Every ``$ref`` is checked once at load: an external or dangling one is an error naming the
  JSON pointer where it sits, never read as an empty schema that hides a change.
- OpenAPI 3.0 ignores the keys beside a ``$ref`` and has ``nullable``; 3.1 (JSON Schema
  2020-12) applies the keys beside it and spells null as a type.

A schema's canonical form is its JSON without documentation keys, each ``$ref`` replaced by a
digest of its target's canonical form: comparing shared sub-schemas (Stripe's spec reaches the
same objects through hundreds of expansions) stays linear instead of inlining them again and
again.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DOC_KEYS", "METHODS", "Side", "SpecError", "covers", "load"]

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
DOC_KEYS = {"description", "summary", "title", "example", "examples", "externalDocs", "$comment"}
# keys whose values are data, not document structure: a "$ref" inside them is a value
_SCHEMA_MAPS = {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
# maps whose keys are names chosen by the author (a schema or property called "default")
_NAME_MAPS = _SCHEMA_MAPS | {
    *("schemas", "responses", "parameters", "headers", "requestBodies", "securitySchemes"),
    *("links", "callbacks", "pathItems", "paths", "webhooks", "content", "encoding"),
}
_DATA_KEYS = {"example", "examples", "default", "const", "enum", "value"}


class SpecError(Exception):
    """The file is missing, is not an OpenAPI 3.x document, or has a ``$ref`` we cannot
    follow."""


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader with the YAML 1.2 core schema's implicit types."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
):
    _Yaml12Loader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first)
    )


def _int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)  # 1.2: a leading 0 is decimal, not octal


def _float(loader: Any, node: Any) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float)


def load(path: Path) -> dict[str, Any]:
    """An OpenAPI 3.x document read from YAML (1.2) or JSON, every ``$ref`` checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SpecError(f"cannot read {path}: {reason}") from None
    try:
        is_json = text.lstrip().startswith("{")
        data = json.loads(text) if is_json else yaml.load(text, _Yaml12Loader)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{path} is not valid YAML or JSON: {exc}") from None
    if isinstance(data, dict) and "swagger" in data:
        raise SpecError(f"{path} is Swagger {data['swagger']}; convert it to OpenAPI 3.x first")
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path} is not an OpenAPI 3.x document (no 'openapi: 3.x' field)")
    for key in ("paths", "webhooks", "components"):
        if not isinstance(data.get(key) or {}, dict):
            raise SpecError(f"{path}: '{key}' is not a mapping")
    problem = check_refs(data)
    if problem:
        raise SpecError(f"{path}: {problem}")
    return data


def _pointer(parts: tuple[str, ...]) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def check_refs(spec: dict[str, Any]) -> str | None:
    """The first ``$ref`` that is external or points to nothing, said with where it sits."""
    side = Side(spec)
    stack: list[tuple[Any, tuple[str, ...], bool]] = [(spec, (), False)]
    good: set[str] = set()
    while stack:
        node, at, names = stack.pop()  # names: the keys are names (properties), not keywords
        if isinstance(node, list):
            stack.extend((v, (*at, str(i)), False) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        ref = None if names else node.get("$ref")
        if isinstance(ref, str) and ref not in good:
            where = _pointer((*at, "$ref"))
            if not ref.startswith("#"):
                return (
                    f"external $ref {ref!r} at {where} is not supported: bundle the document "
                    "into one file first (e.g. `redocly bundle`)"
                )
            try:
                side.target(ref)
            except (KeyError, IndexError, ValueError, TypeError):
                return f"$ref {ref!r} at {where} points to nothing in the document"
            good.add(ref)
        for key, value in node.items():
            if names or (key not in _DATA_KEYS and not str(key).startswith("x-")):
                stack.append((value, (*at, str(key)), not names and key in _NAME_MAPS))
    return None


def covers(kinds: set[str], kind: str) -> bool:
    """True if a value of type ``kind`` is one of ``kinds`` (an integer is a number)."""
    return kind in kinds or (kind == "integer" and "number" in kinds)


class Side:
    """One document: follows its local ``$ref``s by the rules of its OpenAPI version."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        # 3.1 and later: JSON Schema 2020-12 ($ref siblings apply, null is a type)
        self.v31 = not str(spec.get("openapi", "3.0")).startswith("3.0")
        self._canon: dict[str, str] = {}

    def target(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref.removeprefix("#").removeprefix("/").split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def resolve(self, node: Any) -> tuple[dict[str, Any], str | None, bool]:
        """(schema, last $ref followed, True if it is that $ref's target unchanged).

        In 3.0 keys beside a ``$ref`` are ignored, as the specification says; in 3.1 they
        apply (they are merged over the target, the nearest ``$ref`` winning)."""
        ref: str | None = None
        pure = True
        seen: set[str] = set()
        extra: dict[str, Any] = {}
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return {}, ref, False
            seen.add(ref)
            if self.v31:
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                pure = pure and not (set(siblings) - DOC_KEYS)
                extra = {**siblings, **extra}
            node = self.target(ref)  # checked at load
        if not isinstance(node, dict):
            return {}, ref, False
        return ({**node, **extra} if extra else node), ref, pure

    def flat(self, node: Any) -> tuple[dict[str, Any], str | None, bool]:
        """``resolve`` with ``allOf`` parts merged into the schema (nested ones too): what an
        added or dropped part changes is then seen as the properties it brings."""
        schema, ref, pure = self.resolve(node)
        if "allOf" not in schema:
            return schema, ref, pure
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in schema["allOf"]:
            sub = self._merged(part, frozenset({ref} if ref else ()))
            props.update(sub.get("properties", {}))
            required += sub.get("required", [])
            for key, value in sub.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, value)
        merged["properties"] = {**props, **schema.get("properties", {})}
        merged["required"] = sorted(set(required + list(schema.get("required", []))))
        return merged, ref, False

    def _merged(self, node: Any, seen: frozenset[str]) -> dict[str, Any]:
        schema, ref, _ = self.resolve(node)
        if ref in seen or "allOf" not in schema:
            return schema
        parts = [self._merged(p, seen | ({ref} if ref else set())) for p in schema["allOf"]]
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for sub in parts:
            merged["properties"] = {**sub.get("properties", {}), **merged.get("properties", {})}
            merged["required"] = list(merged.get("required", [])) + list(sub.get("required", []))
            for key, value in sub.items():
                merged.setdefault(key, value)
        return merged

    def types(self, schema: dict[str, Any]) -> set[str]:
        """The JSON types a schema allows; ``null`` from 3.0's ``nullable`` or 3.1's type list."""
        kinds = schema.get("type", [])
        found = {kinds} if isinstance(kinds, str) else {str(k) for k in kinds or []}
        if not found and "properties" in schema:
            found = {"object"}
        if not found and "items" in schema:
            found = {"array"}
        if found and not self.v31 and schema.get("nullable") is True:
            found.add("null")
        return found

    def canonical(self, node: Any, stack: frozenset[str] = frozenset()) -> str:
        """The schema fully resolved as sorted JSON, without documentation keys, with the
        types spelt the same in 3.0 and 3.1."""
        if isinstance(node, list):
            return "[" + ",".join(self.canonical(v, stack) for v in node) + "]"
        if not isinstance(node, dict):
            return json.dumps(node, default=str, sort_keys=True)
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                return json.dumps({"$ref": ref})
            if ref not in self._canon:
                # a digest, not the text: inlining every shared sub-schema grows exponentially
                text = self.canonical(self.target(ref), stack | {ref})
                self._canon[ref] = json.dumps("#" + hashlib.sha256(text.encode()).hexdigest())
            rest = {k: v for k, v in node.items() if k != "$ref"} if self.v31 else {}
            return self._canon[ref] + ("&" + self.canonical(rest, stack) if rest else "")
        items = {k: v for k, v in node.items() if k not in DOC_KEYS and k != "nullable"}
        if "type" in node or "nullable" in node:
            items["type"] = sorted(self.types(node))
        parts = []
        for key, value in sorted(items.items()):
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                # property names are data: a property called "description" is kept
                text = ",".join(
                    f"{json.dumps(k)}:{self.canonical(v, stack)}" for k, v in sorted(value.items())
                )
                parts.append(f"{json.dumps(key)}:{{{text}}}")
            else:
                parts.append(f"{json.dumps(key)}:{self.canonical(value, stack)}")
        return "{" + ",".join(parts) + "}"
