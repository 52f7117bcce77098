"""Security: who may call an operation, and the schemes a client authenticates with.

A requirement list is alternatives (any one satisfies it), each a set of schemes with their
scopes. A client keeps working if the alternative it uses is still there with no scope more;
it breaks when an operation that asked for nothing starts asking, or a scheme changes type or
moves its key.
"""

from __future__ import annotations

from typing import Any

from contracts.diff._documents import Side
from contracts.diff._schema import Found

__all__ = ["requirements", "schemes"]


def _alternatives(raw: Any) -> dict[tuple[str, ...], dict[str, set[str]]]:
    found: dict[tuple[str, ...], dict[str, set[str]]] = {}
    for requirement in raw or []:
        if isinstance(requirement, dict):
            key = tuple(sorted(str(k) for k in requirement))
            found[key] = {str(k): {str(s) for s in v or []} for k, v in requirement.items()}
    return found


def requirements(old: Any, new: Any, prefix: str) -> list[Found]:
    """``security`` lists compared; ``prefix`` is ``api`` for an operation's, ``api-global``
    for the document's."""
    was, now = _alternatives(old), _alternatives(new)
    open_before = not was or () in was  # {} (or nothing): anonymous calls were allowed
    open_now = not now or () in now
    found: list[Found] = []
    if open_before and not open_now:
        what = f"now requires {' or '.join('+'.join(k) for k in sorted(now))}"
        return [(f"{prefix}-security-added", "security", what)]
    if not open_before and open_now:
        return [(f"{prefix}-security-removed", "security", "no longer requires credentials")]
    for key in sorted(set(was) | set(now)):
        label = "+".join(key)
        if key not in now:
            if key:
                what = f"{label} no longer accepted"
                found.append((f"{prefix}-security-alternative-removed", "security", what))
        elif key not in was:
            what = f"{label} accepted as an alternative"
            found.append((f"{prefix}-security-alternative-added", "security", what))
        else:
            for scheme in key:
                more = sorted(now[key][scheme] - was[key][scheme])
                fewer = sorted(was[key][scheme] - now[key][scheme])
                if more:
                    what = f"{scheme} needs scope {', '.join(more)}"
                    found.append((f"{prefix}-security-scope-added", "security", what))
                if fewer:
                    what = f"{scheme} no longer needs scope {', '.join(fewer)}"
                    found.append((f"{prefix}-security-scope-removed", "security", what))
    return found


def schemes(old: Side, new: Side) -> list[Found]:
    """``components.securitySchemes`` compared by name."""
    was = (old.spec.get("components") or {}).get("securitySchemes") or {}
    now = (new.spec.get("components") or {}).get("securitySchemes") or {}
    found: list[Found] = []
    rule = "api-security-component"
    for name in sorted(set(was) | set(now), key=str):
        where = f"components.securitySchemes.{name}"
        if name not in now:
            found.append((f"{rule}-removed", where, "security scheme removed"))
            continue
        if name not in was:
            found.append((f"{rule}-added", where, "security scheme added"))
            continue
        a, _, _ = old.resolve(was[name])
        b, _, _ = new.resolve(now[name])
        if a.get("type") != b.get("type") or a.get("scheme") != b.get("scheme"):
            what = f"type {a.get('type')}/{a.get('scheme')} -> {b.get('type')}/{b.get('scheme')}"
            found.append((f"{rule}-type-changed", where, what))
            continue
        if (a.get("in"), a.get("name")) != (b.get("in"), b.get("name")):
            what = f"key {a.get('in')}:{a.get('name')} -> {b.get('in')}:{b.get('name')}"
            found.append((f"{rule}-location-changed", where, what))
        found += _flows(a.get("flows") or {}, b.get("flows") or {}, where)
    return found


def _flows(was: dict[str, Any], now: dict[str, Any], where: str) -> list[Found]:
    rule = "api-security-component"
    found: list[Found] = []
    for flow in sorted(set(was) | set(now)):
        at = f"{where}.flows.{flow}"
        if flow not in now:
            found.append((f"{rule}-oauth-flow-removed", at, "OAuth flow removed"))
            continue
        if flow not in was:
            continue
        a, b = was[flow] or {}, now[flow] or {}
        for key, facet in (("tokenUrl", "token-url"), ("authorizationUrl", "url")):
            if a.get(key) != b.get(key):
                what = f"{key} {a.get(key)} -> {b.get(key)}"
                found.append((f"{rule}-oauth-{facet}-changed", at, what))
        scopes_a, scopes_b = set(a.get("scopes") or {}), set(b.get("scopes") or {})
        for scope in sorted(scopes_a - scopes_b):
            found.append((f"{rule}-oauth-scope-removed", at, f"scope {scope} removed"))
        for scope in sorted(scopes_b - scopes_a):
            found.append((f"{rule}-oauth-scope-added", at, f"scope {scope} added"))
    return found
