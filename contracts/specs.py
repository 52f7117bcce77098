"""Each mock publishes its own contract: ``GET /openapi.json`` answers the vendor's spec from
``contracts/<vendor>.yaml`` rendered as JSON.

Spec first: the YAML in ``contracts/`` is the source, the mock only serves it, so a client or a
contract tester (Schemathesis, Prism, Microcks) can be pointed at a running mock with nothing
but its URL. Served under a path prefix (``q2c serve`` mounts the ERP at ``/erp``), the spec's
``servers`` names that prefix, so that the operations it lists resolve under it too.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
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
    "spec_cache",
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
    """The spec ``contracts/<name>.yaml`` as a JSON-compatible document (cached; do not mutate).

    Parsing YAML is most of what loading costs (0.1 s for the seven specs, in every process:
    each command, each swarm worker), so the parsed document is kept as JSON in a cache
    (``spec_cache``) under the SHA-256 of the YAML's bytes and of the loader: a spec that
    changes is parsed again, never read stale. A document JSON cannot give back exactly
    (a key that is not text, an integer beyond 64 bits, a float that is not finite) is never
    cached; a cache that cannot be read or written is passed over."""
    path = CONTRACTS / f"{name}.yaml"
    text = path.read_bytes()
    cached = _cache_file(name, text)
    if cached is not None:
        try:
            found: dict[str, Any] = orjson.loads(cached.read_bytes())
            return found
        except (OSError, orjson.JSONDecodeError):
            pass
    document: dict[str, Any] = yaml.load(text.decode("utf-8"), Loader=_JsonLoader)
    if cached is not None and _exact_in_json(document):
        _store(cached, orjson.dumps(document))
    return document


_CACHE_FORMAT = b"q2c spec cache 1"  # bump when the loader's reading of YAML changes


def spec_cache() -> Path | None:
    """Where parsed specs are kept: ``$Q2C_CACHE_DIR`` (empty: no cache), else the user's
    cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``) / ``q2c-sandbox/specs``."""
    chosen = os.environ.get("Q2C_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) / "specs" if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "q2c-sandbox" / "specs"


def _cache_file(name: str, text: bytes) -> Path | None:
    folder = spec_cache()
    if folder is None:
        return None
    key = hashlib.sha256(_CACHE_FORMAT + yaml.__version__.encode() + b"\0" + text)
    return folder / f"{name}-{key.hexdigest()[:40]}.json"


def _exact_in_json(value: Any) -> bool:
    """Whether JSON gives ``value`` back as it is: text keys, 64-bit integers, finite floats."""
    if isinstance(value, dict):
        return all(type(k) is str and _exact_in_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_exact_in_json(v) for v in value)
    if type(value) is int:
        return -(2**63) <= value < 2**63
    if type(value) is float:
        return math.isfinite(value)
    return value is None or type(value) in (str, bool)


def _store(file: Path, content: bytes) -> None:
    """Write ``file`` whole or not at all (a swarm's workers may write it at once)."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, delete=False, suffix=".tmp") as out:
            out.write(content)
        os.replace(out.name, file)
    except OSError:
        pass


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
