"""A small OpenAPI document to edit, and the diff of an edited copy: shared by the diff tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from contracts.diff import diff


def base(version: str = "3.1.0") -> dict[str, Any]:
    """A small spec: create an order (body, params, enum, number) and read it back."""
    order: dict[str, Any] = {
        "type": "object",
        "required": ["customer", "status"],
        "properties": {
            "customer": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "open", "paid"]},
            "quantity": {"type": "integer"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
        },
    }
    line = {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "parent": {"$ref": "#/components/schemas/Line"},  # a $ref cycle
        },
    }
    ok = {"description": "ok", "content": {"application/json": {"schema": order}}}
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/orders": {
                "post": {
                    "parameters": [
                        {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": copy.deepcopy(order)}},
                    },
                    "responses": {"201": ok, "422": {"description": "invalid"}},
                }
            },
            "/orders/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True}],
                "get": {"responses": {"200": copy.deepcopy(ok), "404": {"description": "no"}}},
            },
        },
        "components": {"schemas": {"Line": line}},
    }


def body(spec: dict[str, Any]) -> dict[str, Any]:
    """The request body schema of POST /orders."""
    schema: dict[str, Any] = spec["paths"]["/orders"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def read(spec: dict[str, Any]) -> dict[str, Any]:
    """The 200 response schema of GET /orders/{id}."""
    schema: dict[str, Any] = spec["paths"]["/orders/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    return schema


def found(new: dict[str, Any], old: dict[str, Any] | None = None) -> set[tuple[str, str, str]]:
    """Every change from ``old`` (``base()``) to ``new`` as (rule, where, what)."""
    return {(c.rule, c.where, c.what) for c in diff(old or base(), new)}


def write(folder: Path, name: str, spec: dict[str, Any]) -> str:
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)
