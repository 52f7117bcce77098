"""Provisional: replaced by the parts-based example once the parts are on main."""

from __future__ import annotations

from typing import Any

from orchestrator.reference import ReferenceCore


def build(runtime: Any, tenant: str, options: dict[str, str]) -> ReferenceCore:
    return ReferenceCore(runtime, tenant, options)
