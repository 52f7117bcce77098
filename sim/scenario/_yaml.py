"""Read a scenario file's bytes and YAML without letting the file take the process down.

A scenario file is input from anyone (a CI job, a colleague, a swarm); reading it must finish in
well under two seconds and a couple of hundred megabytes whatever it holds. So:

- only a regular file is read (a link to ``/dev/urandom``, a FIFO or a directory is refused
  before any byte is read: the file is opened non-blocking and checked with ``fstat``), and at
  most ``MAX_BYTES`` + 1 bytes of it;
- the YAML is composed once, by PyYAML's pure-Python parser (its messages are the ones our
  errors quote), with limits on nesting depth (its composer recurses: 10,000 levels would end in
  a ``RecursionError``), on the number of aliases, and on the size of the document once every
  alias is expanded (a "billion laughs" file of a few hundred bytes expands to gigabytes in
  pydantic, which copies what YAML shares), with recursive aliases refused;
- numbers that are not amounts (``.nan``, ``.inf``, exponents past ``MAX_EXPONENT``, integers of
  more than ``MAX_INT_DIGITS`` digits) are left as their text, so that validation reports them
  at their field path as "a number" instead of a traceback. Floats are read as ``Decimal``.

The limits are generous for real scenarios (the largest shipped one is under 10 KB and a few
hundred nodes) and are named in the README.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "NotANumber",
    "Refused",
    "compose_and_construct",
    "read_text",
]

# PyYAML's pure-Python parser reads dense YAML (flow mappings) at roughly 100 KB/s on a quiet
# machine, slower on a busy one: 64 KiB keeps the worst file near half a second, and is still
# eight times the largest shipped scenario.
MAX_BYTES = 64 * 1024
MAX_DEPTH = 40  # the format nests 8 deep at most
MAX_ALIASES = 1_000
MAX_NODES = 200_000  # nodes of the document with every alias expanded
MAX_EXPONENT = 30
MAX_INT_DIGITS = 30


@dataclass
class Refused(Exception):
    """The file cannot be read as a scenario: ``expected`` says what it should have been."""

    expected: str
    line: int | None = None
    got: str | None = None


class NotANumber(str):
    """A YAML number that is no amount (``.nan``, ``.inf``, ``1e999999``), kept as its text."""

    __slots__ = ()


def read_text(path: Path) -> str:
    """The file's text, if it is a regular UTF-8 file of at most ``MAX_BYTES``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except OSError as exc:
        raise Refused(f"a readable scenario file ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Refused("a regular file", got=_kind(mode))
        with os.fdopen(fd, "rb", closefd=False) as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Refused(f"a readable scenario file ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise Refused(f"a scenario file of at most {MAX_BYTES // 1024} KiB", got="a larger file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(f"a UTF-8 text file (byte {exc.start} is not UTF-8)") from None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


class _Loader(yaml.SafeLoader):
    """Safe YAML with decimal floats, and limits on depth and aliases while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise Refused(f"at most {MAX_ALIASES} aliases (*name) in one file", line)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Refused(f"nesting at most {MAX_DEPTH} levels deep", line)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    assert isinstance(node, yaml.ScalarNode)
    text = loader.construct_scalar(node)
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:  # .nan, .inf, -.Inf: YAML floats, never amounts
        return NotANumber(text)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        return NotANumber(text)
    return value


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> int | str:
    assert isinstance(node, yaml.ScalarNode)
    text = loader.construct_scalar(node)
    if sum(ch.isalnum() for ch in text) > MAX_INT_DIGITS:  # int() of 5,000 digits raises
        return NotANumber(text)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """A date as YAML reads it; an impossible one (2026-13-30) stays text for pydantic to report."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        assert isinstance(node, yaml.ScalarNode)
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _expanded_size(root: yaml.Node) -> None:
    """Refuse a document whose alias-expanded size passes ``MAX_NODES``, or that refers to
    itself (``&a [*a]``), without expanding it: sizes are memoised per shared node."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative: depth is already bounded, but there is no need to recurse
        node, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            open_.discard(key)
            if sizes[key] > MAX_NODES:
                raise Refused(
                    f"a document of at most {MAX_NODES:,} values once its aliases are expanded",
                    node.start_mark.line + 1,
                )
            continue
        if key in sizes:
            continue
        if key in open_:
            raise Refused("no alias inside the node it names (a recursive alias)",
                          node.start_mark.line + 1)  # fmt: skip
        open_.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_:
                raise Refused("no alias inside the node it names (a recursive alias)",
                              child.start_mark.line + 1)  # fmt: skip
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, within the limits above.

    Raises ``Refused`` past a limit and ``yaml.YAMLError`` for YAML that does not parse."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()
