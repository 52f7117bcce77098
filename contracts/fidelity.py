"""How close our specs are to the vendors' own: the fidelity table.

Every operation in ``contracts/*.yaml`` says what it mirrors: ``x-mirrors`` names the vendor, the
API version, the method and the real path, and either ``spec`` (a file in the real-spec folder,
``../shared/vendor-specs/``) or ``doc`` (the documentation page, for vendors or operations no
published spec holds); ``x-sandbox-only`` says why an operation has no real counterpart. Per
contract this module counts the operations found in the real spec, those only documented, the
sandbox-only ones and those whose named counterpart the real spec lacks; then, for operations
found, the declared fields (request and success-response schema properties, by their path in the
payload) that the real schema has under the same name with a compatible JSON type; then the real
spec's example payloads of those operations validated against our schemas.

The real specs are other people's files: they are read from the folder, never copied into the
project. Without the folder there is nothing to compare against (``SpecsMissing``).

A field the real spec file lacks but the vendor documents for the version we mirror counts as
found, and is counted apart (``fields_documented``) and listed with its source, so the table says
how much rests on documentation rather than on the spec file. Two ways to cite it:
- a property's ``x-documented: <url>`` (a third-party description that leaves out a field the
  vendor's own documentation shows, e.g. the ``id`` of every Kantata object);
- the operation's ``x-mirrors`` ``documented-fields`` (``fields`` and the ``doc`` page): the
  Business Central spec in the folder is generated from API v1.0 while the mock mirrors v2.0,
  whose resource pages on Microsoft Learn add fields (``lineObjectNumber``, a customer's flat
  address, a payment's ``journalId``) and deep insert of document lines.

A member the vendor has no counterpart for at all, kept because the sandbox needs it (the
executed SOW's rate card tables on an Ironclad record: no record property type holds a table),
is marked on its property with ``x-sandbox-only: <why>``; it and everything under it is counted
apart (``fields_sandbox_only``), never in the share, and listed with its reason, so the share
says how faithful the rest is and the table says how much the sandbox adds.

Simplifications, stated: fields are compared by path and JSON type only (not format, enum or
required; a documented field's type is not checked); a name of ours matches a key of a map the
real schema declares (``additionalProperties``: Ironclad's record ``properties``); a field
declared by several operations counts once per operation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from contracts.specs import CONTRACTS, load

__all__ = [
    "CONTRACT_FILES",
    "DEFAULT_SPECS",
    "ContractFidelity",
    "OperationFidelity",
    "SpecsMissing",
    "fidelity",
]

# Each contract file, in the order of the quote-to-cash path, with the vendor it mirrors
# (``erp-v2`` is the ERP's next version, used by the drift fault).
CONTRACT_FILES = {
    "crm": "Salesforce",
    "clm": "Ironclad",
    "psa": "Kantata OX",
    "erp": "Business Central",
    "erp-v2": "Business Central",
    "tax": "AvaTax",
    "payments": "Stripe",
}
DEFAULT_SPECS = CONTRACTS.parent.parent / "shared" / "vendor-specs"
_METHODS = ("get", "put", "post", "delete", "patch")
_MAX_DEPTH = 8  # payload nesting compared; deeper levels are vendor detail no mock declares


class SpecsMissing(Exception):
    """The real-spec folder is absent: the table cannot be built."""


@dataclass
class OperationFidelity:
    """One operation of ours against the one it names."""

    contract: str
    operation_id: str
    method: str
    path: str
    status: str  # "mirrored", "documented", "sandbox-only" or "not-found"
    mirrors: dict[str, Any] = field(default_factory=dict)
    fields: int = 0
    fields_matched: int = 0
    fields_documented: int = 0  # of ``fields_matched``: found in the vendor's docs, not its spec
    fields_sandbox_only: int = 0  # marked ``x-sandbox-only``: outside ``fields``
    mismatches: list[str] = field(default_factory=list)
    documented: list[str] = field(default_factory=list)
    sandbox_only: list[str] = field(default_factory=list)
    examples: int = 0
    examples_accepted: int = 0
    example_errors: list[str] = field(default_factory=list)


@dataclass
class ContractFidelity:
    """The totals of one contract file."""

    contract: str
    vendor: str
    operations: list[OperationFidelity]

    def count(self, status: str) -> int:
        return sum(op.status == status for op in self.operations)

    @property
    def fields(self) -> int:
        return sum(op.fields for op in self.operations)

    @property
    def fields_matched(self) -> int:
        return sum(op.fields_matched for op in self.operations)

    @property
    def fields_documented(self) -> int:
        return sum(op.fields_documented for op in self.operations)

    @property
    def fields_sandbox_only(self) -> int:
        return sum(op.fields_sandbox_only for op in self.operations)

    @property
    def share(self) -> float | None:
        """Declared fields found: in the real spec, or documented for the mirrored version."""
        return self.fields_matched / self.fields if self.fields else None

    @property
    def examples(self) -> int:
        return sum(op.examples for op in self.operations)

    @property
    def examples_accepted(self) -> int:
        return sum(op.examples_accepted for op in self.operations)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The real specs are megabytes: the C loader when PyYAML has it; dates stay text, as JSON
    sees them (their examples are validated as JSON payloads)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.cache
def _real(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    return document


def _shape(path: str) -> str:
    """A path template with its parameter names erased: ``{a}`` and ``{b}`` are the same slot."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _follow(node: Any, document: Mapping[str, Any]) -> Any:
    """A local ``$ref`` (``#/...``) followed to what it names, chains included."""
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 32:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node, hops = target, hops + 1
    return node


def _types(schema: Mapping[str, Any], document: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema allows, ``null`` left out (empty: unconstrained)."""
    declared = schema.get("type")
    found = {declared} if isinstance(declared, str) else set(declared or ())
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key) or ():
            found |= _types(_follow(branch, document), document)
    if not found and "properties" in schema:
        found.add("object")
    if not found and "items" in schema:
        found.add("array")
    found.discard("null")
    return found


def _fields(
    schema: Any, document: Mapping[str, Any], prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, set[str]]]:
    """Every property under ``schema`` as (path, types): ``a.b`` for nesting, ``a[]`` for array
    items, ``a.*`` for a map's values (Kantata's side-loaded ``{"id": {...}}``). OData control
    information (``@odata.etag``, ``@odata.nextLink``: OData JSON Format 4.01, section 4.5) is
    left out: it belongs to the protocol, not to an entity, and no schema generated from a
    service's EDM (Business Central's) declares it."""
    schema = _follow(schema, document)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or ():
            yield from _fields(branch, document, prefix, depth + 1)
    for name, sub in (schema.get("properties") or {}).items():
        if name.startswith("@odata."):
            continue
        sub = _follow(sub, document)
        here = f"{prefix}{name}"
        yield here, _types(sub, document) if isinstance(sub, dict) else set()
        yield from _fields(sub, document, here + ".", depth + 1)
    if isinstance(schema.get("items"), dict):
        yield from _fields(schema["items"], document, prefix.removesuffix(".") + "[].", depth + 1)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _fields(schema["additionalProperties"], document, prefix + "*.", depth + 1)


def _citations(
    schema: Any,
    document: Mapping[str, Any],
    prefix: str = "",
    depth: int = 0,
    mark: str = "x-documented",
) -> Iterator[tuple[str, str]]:
    """(path, text) of every property of ours that carries ``mark``: ``x-documented`` cites
    the vendor's documentation (a URL), ``x-sandbox-only`` says why the vendor has no such
    member (read beside its ``$ref``, before the reference is followed)."""
    schema = _follow(schema, document)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key) or ():
            yield from _citations(branch, document, prefix, depth + 1, mark)
    for name, sub in (schema.get("properties") or {}).items():
        here = f"{prefix}{name}"
        if isinstance(sub, dict) and isinstance(sub.get(mark), str):
            yield here, sub[mark]
        yield from _citations(sub, document, here + ".", depth + 1, mark)
    if isinstance(schema.get("items"), dict):
        yield from _citations(
            schema["items"], document, prefix.removesuffix(".") + "[].", depth + 1, mark
        )
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _citations(
            schema["additionalProperties"], document, prefix + "*.", depth + 1, mark
        )


def _sandbox_root(path: str, marked: Mapping[str, str]) -> str | None:
    """The marked path ``path`` is or lies under (``versions`` for ``versions[].number``)."""
    for root in marked:
        if path == root or path.startswith((root + ".", root + "[]")):
            return root
    return None


def _compatible(ours: set[str], theirs: set[str]) -> bool:
    """Every type we allow is one they allow (their ``number`` covers our ``integer``)."""
    if not ours or not theirs:
        return True
    return all(t in theirs or (t == "integer" and "number" in theirs) for t in ours)


def _merged(fields: Iterator[tuple[str, set[str]]]) -> dict[str, set[str]]:
    """Path -> types, a path met in several ``oneOf`` branches allowing what any allows (an
    unconstrained branch leaves it unconstrained): Ironclad's typed record property ``value``
    is a string in one branch, a number, boolean or object in others."""
    merged: dict[str, set[str]] = {}
    for path, types in fields:
        if path not in merged:
            merged[path] = set(types)
        elif merged[path] and types:
            merged[path] |= types
        else:
            merged[path] = set()
    return merged


def _counterpart(path: str, theirs: Mapping[str, set[str]]) -> set[str] | None:
    """The real schema's types for our ``path``: the same path, or one where a name of ours is
    a key of a map the real schema declares (``additionalProperties``: ``properties.*.value``
    for Ironclad's record properties; the map's entry itself, ``properties.*``, is an object).
    None: the real schema has no such field."""
    if path in theirs:
        return theirs[path]
    parts = path.split(".")
    for i, part in enumerate(parts):
        key = "*[]" if part.endswith("[]") else "*"
        general = ".".join([*parts[:i], key, *parts[i + 1 :]])
        if general in theirs:
            return theirs[general]
        if i == len(parts) - 1 and any(name.startswith(general + ".") for name in theirs):
            return {"array"} if key == "*[]" else {"object"}
    return None


def _media(container: Any, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON (else form) media object of a request body or a response."""
    content = (_follow(container, document) or {}).get("content") or {}
    for kind in ("application/json", "application/x-www-form-urlencoded"):
        if kind in content:
            return dict(_follow(content[kind], document))
    return next((dict(v) for k, v in content.items() if "json" in k), None)


def _success(operation: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The media object of the first success answer (``200`` before ``201``) that has one."""
    answers = sorted(
        (str(code), answer) for code, answer in (operation.get("responses") or {}).items()
    )
    for code, answer in answers:
        media = _media(answer, document) if code.startswith("2") else None
        if media is not None:
            return media
    return None


def _slots(operation: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The request body's and the success response's media objects, where declared."""
    slots = {
        "request": _media(operation.get("requestBody"), document),
        "response": _success(operation, document),
    }
    return {slot: media for slot, media in slots.items() if media is not None}


def _examples(media: Mapping[str, Any], document: Mapping[str, Any]) -> list[Any]:
    """The whole-payload examples a media object documents (``example``, ``examples``, or the
    schema's own ``example``)."""
    found = []
    if "example" in media:
        found.append(media["example"])
    for example in (media.get("examples") or {}).values():
        example = _follow(example, document)
        if isinstance(example, dict) and "value" in example:
            found.append(example["value"])
    schema = _follow(media.get("schema"), document)
    if not found and isinstance(schema, dict) and "example" in schema:
        found.append(schema["example"])
    return found


def _compare(
    op: OperationFidelity, ours: dict[str, Any], theirs: dict[str, Any], real: dict[str, Any]
) -> None:
    """Fields and examples of a found operation, slot by slot."""
    document = load(op.contract)
    our_slots, their_slots = _slots(ours, document), _slots(theirs, real)
    listed = op.mirrors.get("documented-fields") or {}
    documented = {str(f) for f in listed.get("fields") or ()} if listed.get("doc") else set()
    for slot, media in our_slots.items():
        their_media = their_slots.get(slot)
        their_fields = _merged(_fields(their_media.get("schema"), real)) if their_media else {}
        cited = dict(_citations(media.get("schema"), document))
        marked = dict(_citations(media.get("schema"), document, mark="x-sandbox-only"))
        for path, types in dict(_fields(media.get("schema"), document)).items():
            root = _sandbox_root(path, marked)
            if root is not None:
                op.fields_sandbox_only += 1
                if path == root:
                    op.sandbox_only.append(f"{slot} {path}: sandbox-only: {marked[root]}")
                continue
            op.fields += 1
            found = _counterpart(path, their_fields)
            doc = cited.get(path)
            if doc is None and path.removeprefix("value[].") in documented:
                doc = listed["doc"]
            if found is None and doc is not None:
                op.fields_matched += 1
                op.fields_documented += 1
                op.documented.append(f"{slot} {path}: not in the spec file, documented at {doc}")
            elif found is None:
                op.mismatches.append(f"{slot} {path}: not in the real schema")
            elif not _compatible(types, found):
                op.mismatches.append(
                    f"{slot} {path}: {'/'.join(sorted(types))} here, "
                    f"{'/'.join(sorted(found))} in the real schema"
                )
            else:
                op.fields_matched += 1
        if their_media is None or "schema" not in media:
            continue
        validator = jsonschema_rs.validator_for(
            {**media["schema"], "components": document.get("components", {})}
        )
        for example in _examples(their_media, real):
            op.examples += 1
            problems = [
                f"{slot} example: {e.message} at /{'/'.join(map(str, e.instance_path))}"
                for e in validator.iter_errors(example)
            ]
            op.examples_accepted += not problems
            op.example_errors.extend(problems[:5])


def _operation(
    contract: str, method: str, path: str, ours: dict[str, Any], specs: Path
) -> OperationFidelity:
    op = OperationFidelity(
        contract, str(ours.get("operationId")), method.upper(), path, "not-found"
    )
    if "x-sandbox-only" in ours:
        op.status, op.mirrors = "sandbox-only", {"why": ours["x-sandbox-only"]}
        return op
    mirrors = op.mirrors = dict(ours.get("x-mirrors") or {})
    if not mirrors:
        op.mismatches.append("names neither x-mirrors nor x-sandbox-only")
        return op
    source = specs / str(mirrors.get("spec", ""))
    if "spec" in mirrors and not source.is_file() and mirrors.get("doc"):
        # a spec the folder does not hold (yet): the documentation page stands for it
        op.status = "documented"
        op.mismatches.append(f"{mirrors['spec']} is not in {specs}: measured against nothing")
        return op
    if "spec" not in mirrors:
        op.status = "documented" if mirrors.get("doc") else "not-found"
        return op
    if not source.is_file():
        op.mismatches.append(f"{source} does not exist")
        return op
    real = _real(source)
    # ``spec_path``: the path as the spec file writes it, where its paths are relative to a
    # base the vendor's full path (``path``) includes (Ironclad's ``/public/api/v1``)
    wanted = _shape(str(mirrors.get("spec_path", mirrors.get("path", ""))))
    verb = str(mirrors.get("method", "")).lower()
    theirs = next(
        (
            item[verb]
            for key, item in (real.get("paths") or {}).items()
            if _shape(key) == wanted and verb in item
        ),
        None,
    )
    if theirs is None:
        op.mismatches.append(f"{verb.upper()} {mirrors.get('path')} is not in {mirrors['spec']}")
        return op
    op.status = "mirrored"
    _compare(op, ours, theirs, real)
    return op


def fidelity(
    specs: Path = DEFAULT_SPECS, contracts: tuple[str, ...] = tuple(CONTRACT_FILES)
) -> list[ContractFidelity]:
    """The fidelity of each contract against the real specs in ``specs``; ``SpecsMissing`` when
    that folder is absent."""
    if not specs.is_dir():
        raise SpecsMissing(
            f"{specs} is not there: the real vendor specs live outside the project "
            "(../shared/vendor-specs beside the checkout); give their folder with --specs DIR"
        )
    table = []
    for contract in contracts:
        document = load(contract)
        operations = [
            _operation(contract, method, path, operation, specs)
            for path, item in document.get("paths", {}).items()
            for method, operation in item.items()
            if method in _METHODS
        ]
        table.append(ContractFidelity(contract, CONTRACT_FILES.get(contract, contract), operations))
    return table
