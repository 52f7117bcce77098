"""Each mock publishes its own contract: ``GET /openapi.json`` answers the vendor's spec from
``contracts/<vendor>.yaml`` rendered as JSON.

Spec first: the YAML in ``contracts/`` is the source, the mock only serves it, so a client or a
contract tester (Schemathesis, Prism, Microcks) can be pointed at a running mock with nothing
but its URL. Served under a path prefix (``q2c serve`` mounts the ERP at ``/erp``), the spec's
``servers`` names that prefix, so that the operations it lists resolve under it too.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CONTRACTS",
    "FEED_VENDORS",
    "PROTOCOLS",
    "SPEC_PATH",
    "VENDORS",
    "WEBHOOK_VENDORS",
    "load",
    "rendered",
]

CONTRACTS = Path(__file__).resolve().parent  # the specs are package data beside this file
SPEC_PATH = "/openapi.json"
# The vendors by role, each with its spec ``contracts/<vendor>.yaml``: the one list the mocks,
# the core's consumer checks and the scenario format (``vendors:``, ``faults:``) share, in the
# order of the quote-to-cash path.
VENDORS = ("crm", "clm", "psa", "erp", "tax", "payments")
# Those that send webhooks (the ERP and the tax engine only answer calls; Kantata, the PSA,
# pushes none: its change feed, Subscribed Events, is pulled).
WEBHOOK_VENDORS = ("crm", "clm", "payments")
# Those whose changes come as a feed the integration polls; a scenario's webhook chaos
# (``faults.webhooks``) acts on it (``sim.world.courier.Courier.feed``).
FEED_VENDORS = ("psa",)
# Specs of the sandbox's own protocols, beside the vendors' (mirroring no vendor):
# ``design.yaml``, the experience endpoints every design under test serves.
PROTOCOLS = ("design",)


class _JsonLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as JSON sees it: ``2024-03-31`` stays text (PyYAML would make it a ``date``); the C
    loader when PyYAML has it (every run loads the specs: 0.6 s in Python, 0.08 s in C)."""


_JsonLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The spec ``contracts/<name>.yaml`` as a JSON-compatible document (cached; do not mutate)."""
    path = CONTRACTS / f"{name}.yaml"
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_JsonLoader)
    return document


@functools.cache
def rendered(name: str, root_path: str = "") -> bytes:
    """The spec as JSON bytes, its ``servers`` pointing at ``root_path`` (``/`` when unmounted)."""
    document = dict(load(name))
    servers = [dict(s) for s in document.get("servers", [{"url": "/"}])]
    for server in servers:
        server["url"] = root_path or "/"
    document["servers"] = servers
    if root_path:  # token URLs are paths on the server too
        components = dict(document.get("components", {}))
        schemes = {}
        for name, scheme in components.get("securitySchemes", {}).items():
            flows = {
                kind: {**flow, "tokenUrl": root_path + flow["tokenUrl"]}
                if str(flow.get("tokenUrl", "")).startswith("/")
                else flow
                for kind, flow in scheme.get("flows", {}).items()
            }
            schemes[name] = {**scheme, "flows": flows} if flows else scheme
        if schemes:
            components["securitySchemes"] = schemes
            document["components"] = components
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
