"""Which operation of the new document is which of the old one.

An operation is its method and its path *template*: ``/orders/{id}`` and ``/orders/{orderId}``
are one URL, so a renamed path parameter is a rename, not a removal and an addition. A
document may hold two templates that differ only in parameter names (Xero's
``/Contacts/{ContactID}`` and ``/Contacts/{ContactNumber}``): those are matched by their exact
path first, so deleting one of them is never hidden by the other. OpenAPI 3.1 ``webhooks``
are operations too, named by their key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contracts.diff._documents import METHODS, Side

__all__ = ["Operation", "match", "operations", "template"]

_PARAMETER = re.compile(r"\{[^}/]*\}")


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the path as written, or the webhook's name
    webhook: bool
    node: dict[str, Any]
    item: dict[str, Any]  # the path item (shared parameters)

    @property
    def label(self) -> str:
        """How reports and the ignore file name it: ``GET /orders/{id}``, ``POST webhook
        invoice.paid``."""
        return f"{self.method} {'webhook ' if self.webhook else ''}{self.path}"

    @property
    def deprecated(self) -> bool:
        return self.node.get("deprecated") is True


def template(path: str) -> str:
    """The path with its parameter names blanked: ``/orders/{}``."""
    return _PARAMETER.sub("{}", path)


def operations(side: Side) -> list[Operation]:
    found = []
    for key, webhook in (("paths", False), ("webhooks", True)):
        for path, raw in sorted((side.spec.get(key) or {}).items(), key=lambda kv: str(kv[0])):
            item, _, _ = side.resolve(raw)
            for method, node in item.items():
                if method in METHODS and isinstance(node, dict):
                    found.append(Operation(method.upper(), str(path), webhook, node, item))
    return found


def match(
    old: list[Operation], new: list[Operation]
) -> tuple[list[tuple[Operation, Operation]], list[Operation], list[Operation]]:
    """(pairs, removed, added): exact paths first, then the same template in path order."""
    by_path = {(o.webhook, o.method, o.path): o for o in new}
    pairs: list[tuple[Operation, Operation]] = []
    left: list[Operation] = []
    for op in old:
        twin = by_path.pop((op.webhook, op.method, op.path), None)
        if twin is None:
            left.append(op)
        else:
            pairs.append((op, twin))
    spare: dict[tuple[bool, str, str], list[Operation]] = {}
    for op in by_path.values():
        spare.setdefault((op.webhook, op.method, template(op.path)), []).append(op)
    removed = []
    for op in left:
        candidates = spare.get((op.webhook, op.method, template(op.path)))
        if candidates:
            pairs.append((op, candidates.pop(0)))
        else:
            removed.append(op)
    added = sorted((op for ops in spare.values() for op in ops), key=lambda o: o.label)
    return pairs, removed, added
