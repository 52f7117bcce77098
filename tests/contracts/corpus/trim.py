"""Cut the fragment of a real OpenAPI document that a corpus pair needs.

    python -m tests.contracts.corpus.trim SPEC OUT 'GET /Prepayments' '/Employees' ...
    python -m tests.contracts.corpus.trim build OWNER/NAME=GIT_DIR ...

The second form (re)writes every pair of ``corpus.yaml`` from local clones of the vendors'
repositories (``git show COMMIT:PATH``), so that each fragment can be rebuilt and checked.

keeps ``openapi``, ``info`` (title and version), the document-wide ``security``, the
security schemes, the named operations (``METHOD /path``, or ``/path`` for all of a path's
operations, or ``webhook NAME``) and every component they reach through ``$ref``,
transitively. Examples, descriptions and extensions other than ``x-sunset`` are dropped: the
diff reads none of them, and they are most of the bytes (operations keep their summary). Both
sides of a pair are cut with the same arguments, so the only difference left between the two
fragments is the real change.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from contracts.diff import load

__all__ = ["trim"]

_DROP = {"example", "examples", "description"}
_KEEP = {"x-sunset"}
_NAMED = {"properties", "patternProperties", "schemas", "responses", "parameters", "headers"}


def _strip(node: Any, named: bool = False) -> Any:
    """The node without examples (a property called ``example`` is kept)."""
    if isinstance(node, dict):
        return {
            k: _strip(v, k in _NAMED and not named)
            for k, v in node.items()
            if named or (k not in _DROP and (k in _KEEP or not str(k).startswith("x-")))
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def trim(spec: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    hooks: dict[str, Any] = {}
    for want in wanted:
        method, _, path = want.rpartition(" ")
        if method.endswith("webhook"):  # "webhook NAME" or "POST webhook NAME": a whole webhook
            if path in spec.get("webhooks", {}):
                hooks[path] = spec["webhooks"][path]
            continue
        item = spec.get("paths", {}).get(path)
        if item is None:
            continue  # absent on this side: an added or removed path
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k in {"parameters"}})
        for key, value in item.items():
            if not method or key == method.lower() or key not in _METHODS:
                kept[key] = value
    out: dict[str, Any] = {
        "openapi": spec["openapi"],
        "info": {k: spec["info"][k] for k in ("title", "version") if k in spec.get("info", {})},
    }
    if "security" in spec:
        out["security"] = spec["security"]
    out["paths"] = paths
    if hooks:
        out["webhooks"] = hooks
    components: dict[str, dict[str, Any]] = {}
    schemes = spec.get("components", {}).get("securitySchemes")
    if schemes:
        components["securitySchemes"] = schemes
    todo = _refs(paths) + _refs(hooks)
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = target
        todo.extend(_refs(target))
    if components:
        out["components"] = {
            kind: dict(sorted(named.items())) for kind, named in components.items()
        }
    result: dict[str, Any] = _strip(out)
    return result


_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


HERE = Path(__file__).parent


def build(clones: dict[str, str]) -> None:
    for pair in yaml.safe_load((HERE / "corpus.yaml").read_text()):
        if pair["repo"] not in clones:
            continue
        folder = HERE / pair["id"]
        folder.mkdir(exist_ok=True)
        for side in ("old", "new"):
            blob = subprocess.run(
                ["git", "-C", clones[pair["repo"]], "show", f"{pair[side]}:{pair['path']}"],
                check=True,
                capture_output=True,
            ).stdout
            with tempfile.TemporaryDirectory() as tmp:
                full = Path(tmp) / Path(pair["path"]).name
                full.write_bytes(blob)
                cut = trim(load(full), pair["operations"])
            head = (
                f"# A fragment of {pair['path']} in github.com/{pair['repo']} (MIT licence) at\n"
                f"# commit {pair[side]}, cut by tests/contracts/corpus/trim.py: see corpus.yaml.\n"
            )
            text = yaml.safe_dump(cut, sort_keys=False, width=100, allow_unicode=True)
            (folder / f"{side}.yaml").write_text(head + text)


def main(argv: list[str]) -> None:
    if argv[0] == "build":
        build(dict(arg.split("=", 1) for arg in argv[1:]))
        return
    source, target, *wanted = argv
    text = yaml.safe_dump(trim(load(Path(source)), wanted), sort_keys=False, width=100)
    Path(target).write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
