"""OpenAPI documents as ``contracts.diff`` reads them: loading, following local ``$ref``s, and
a canonical form to tell two schemas apart.

A schema's canonical form is its JSON without documentation keys, each ``$ref`` replaced by a
digest of its target's canonical form: comparing shared sub-schemas (Stripe's spec reaches the
same objects through hundreds of expansions) stays linear instead of inlining them again and
again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DOC_KEYS", "METHODS", "Side", "SpecError", "covers", "load", "schema_types"]

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
DOC_KEYS = {"description", "summary", "title", "example", "examples", "externalDocs", "$comment"}


class SpecError(Exception):
    """The file is missing or is not an OpenAPI document."""


def load(path: Path) -> dict[str, Any]:
    """An OpenAPI document read from YAML or JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, loader)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{path} is not valid YAML or JSON: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path} is not an OpenAPI 3.x document (no 'openapi: 3.x' field)")
    if not isinstance(data.get("paths", {}), dict):
        raise SpecError(f"{path}: 'paths' is not a mapping")
    return data


def schema_types(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    if not found and "properties" in schema:
        found = {"object"}
    if not found and "items" in schema:
        found = {"array"}
    if found and schema.get("nullable") is True:  # OpenAPI 3.0
        found.add("null")
    return found


def covers(kinds: set[str], kind: str) -> bool:
    return kind in kinds or (kind == "integer" and "number" in kinds)


class Side:
    """One document: follows its local ``$ref``s."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._canon: dict[str, str] = {}

    def target(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def resolve(self, node: Any) -> tuple[dict[str, Any], str | None, bool]:
        """(schema, last $ref followed, True if it is that $ref's target unchanged)."""
        ref: str | None = None
        pure = True
        seen: set[str] = set()
        extra: dict[str, Any] = {}
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or ref in seen:
                return {}, ref, False
            seen.add(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            pure = pure and not (set(siblings) - DOC_KEYS)
            extra = {**siblings, **extra}
            try:
                node = self.target(ref)
            except (KeyError, IndexError, ValueError, TypeError):
                return {}, ref, False
        if not isinstance(node, dict):
            return {}, ref, False
        return ({**node, **extra} if extra else node), ref, pure

    def flat(self, node: Any) -> tuple[dict[str, Any], str | None, bool]:
        """``resolve`` with one level of ``allOf`` merged into the schema."""
        schema, ref, pure = self.resolve(node)
        if "allOf" not in schema:
            return schema, ref, pure
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in schema["allOf"]:
            sub, _, _ = self.resolve(part)
            props.update(sub.get("properties", {}))
            required += sub.get("required", [])
            for key in ("type", "enum", "items"):
                if key in sub:
                    merged.setdefault(key, sub[key])
        merged["properties"] = {**props, **schema.get("properties", {})}
        merged["required"] = required + list(schema.get("required", []))
        return merged, ref, False

    def canonical(self, node: Any, stack: frozenset[str] = frozenset()) -> str:
        """The schema fully resolved as sorted JSON, without documentation keys."""
        if isinstance(node, list):
            return "[" + ",".join(self.canonical(v, stack) for v in node) + "]"
        if not isinstance(node, dict):
            return json.dumps(node, default=str)
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack or not ref.startswith("#/"):
                return json.dumps({"$ref": ref})
            if ref not in self._canon:
                try:
                    target = self.target(ref)
                except (KeyError, IndexError, ValueError, TypeError):
                    target = {}
                # a digest, not the text: inlining every shared sub-schema grows exponentially
                text = self.canonical(target, stack | {ref})
                self._canon[ref] = json.dumps("#" + hashlib.sha256(text.encode()).hexdigest())
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return self._canon[ref] + ("&" + self.canonical(rest, stack) if rest else "")
        items = sorted((k, v) for k, v in node.items() if k not in DOC_KEYS)
        return "{" + ",".join(f"{json.dumps(k)}:{self.canonical(v, stack)}" for k, v in items) + "}"
