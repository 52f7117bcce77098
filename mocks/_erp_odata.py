"""OData query options of the ERP mock, as Business Central's API v2.0 takes them.

``$filter`` is parsed by a small recursive-descent parser into a tree of comparisons
(``eq ne gt ge lt le``) joined by ``and``/``or`` and parentheses, with OData's literals as BC
writes them: ``'text'`` (a quote doubled inside), numbers, dates ``2024-03-01``, date-times
``2024-03-01T09:00:00Z``, GUIDs unquoted (``customerId eq 5d115c9c-...``), ``true``,
``false``, ``null``. Each property is typed from the ERP's own spec (contracts/erp.yaml), so a
literal of the wrong type, an unknown property, a function (``startswith``, ``contains``...)
or anything else the sandbox does not take is a 400 ``BadRequest`` naming it, never a 500.
``$select`` and ``$orderby`` name properties of the same schema.

Server-driven paging (Microsoft Learn, "Server-Driven Paging in OData Web Services", consulted
2026-12-07): Business Central online answers at most 20,000 entities per page and ends a page
with ``@odata.nextLink`` carrying a ``$skiptoken``; a client may ask for smaller pages with
``Prefer: odata.maxpagesize=N`` (answered with ``Preference-Applied``). ``$top`` limits the
whole result, not the page. The sandbox's ``$skiptoken`` is the id of the last entity sent
(opaque to clients, as BC's is).

Simplified: no arithmetic, no functions or lambda operators, no ``not``, no ``in``; a filter on
a property without an index reads the company's records (a GUID or text equality on an indexed
property reads only its bucket; a ``lastModifiedDateTime`` range, ``stamp_range``, reads only
the records changed in it, from ``mocks._erp_changes``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from contracts.specs import load
from mocks._erp_errors import BAD_REQUEST, BcError
from mocks._http import Call

__all__ = [
    "MAX_PAGE",
    "Comparison",
    "Query",
    "bad_token",
    "field_types",
    "indexed_equalities",
    "matches",
    "page_size",
    "parse_filter",
    "parse_orderby",
    "parse_select",
    "parsed_query",
    "resumed",
    "sort_key",
    "stamp_range",
]

MAX_PAGE = 20_000  # BC online's page size (see the module docstring)
_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))"
    r"|(?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<paren>[()])"
    r"|(?P<word>[A-Za-z_@][A-Za-z0-9_.@]*))"
)
_SCHEMAS = {
    "customers": "Customer",
    "salesInvoices": "SalesInvoice",
    "salesCreditMemos": "SalesCreditMemo",
    "customerPaymentJournals": "CustomerPaymentJournal",
    "customerPayments": "CustomerPayment",
}


def bad(message: str) -> BcError:
    return BcError(400, BAD_REQUEST, message)


@functools.cache
def field_types(kind: str) -> dict[str, str]:
    """The filterable properties of ``kind`` and their OData type (``string``, ``guid``,
    ``number``, ``date``, ``datetime``, ``bool``), from the ERP's spec; arrays are left out."""
    schemas = load("erp")["components"]["schemas"]
    types: dict[str, str] = {}
    for name, prop in schemas[_SCHEMAS[kind]]["properties"].items():
        if name.startswith("@"):
            continue
        if "$ref" in prop:
            prop = schemas[prop["$ref"].rsplit("/", 1)[-1]]
        kinds = prop.get("type", "string")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "array" in kinds or "object" in kinds:
            continue
        fmt = prop.get("format")
        if "number" in kinds or "integer" in kinds:
            types[name] = "number"
        elif "boolean" in kinds:
            types[name] = "bool"
        elif fmt == "date":
            types[name] = "date"
        elif fmt == "date-time":
            types[name] = "datetime"
        elif fmt == "uuid" or name == "id" or name.endswith("Id"):
            types[name] = "guid"
        else:
            types[name] = "string"
    return types


@dataclass(frozen=True, slots=True)
class Comparison:
    """``field op literal``; ``value`` already in the property's type (None for ``null``)."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Junction:
    """``left and right`` / ``left or right``."""

    op: str
    left: Node
    right: Node


Node = Comparison | Junction


@dataclass(frozen=True, slots=True)
class Query:
    """A list request's query options, parsed and checked."""

    where: Node | None
    select: tuple[str, ...] | None
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise bad(f"Syntax error at position {at} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        at = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, types: dict[str, str], entity: str) -> None:
        self.text, self.types, self.entity = text, types, entity
        self.tokens = _tokens(text)
        self.at = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _next(self, what: str) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise bad(f"Expression expected at the end of '{self.text}' ({what}).")
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self._or()
        if self._peek() is not None:
            raise bad(f"Syntax error: '{self._peek()[1]}' is not expected in '{self.text}'.")  # type: ignore[index]
        return node

    def _or(self) -> Node:
        node = self._and()
        while self._peek() == ("word", "or"):
            self.at += 1
            node = Junction("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._term()
        while self._peek() == ("word", "and"):
            self.at += 1
            node = Junction("and", node, self._term())
        return node

    def _term(self) -> Node:
        kind, text = self._next("a comparison")
        if (kind, text) == ("paren", "("):
            node = self._or()
            if self._next("')'") != ("paren", ")"):
                raise bad(f"')' expected in '{self.text}'.")
            return node
        if kind != "word" or text in ("and", "or", "not"):
            raise bad(f"Syntax error: a property name expected, found '{text}' in '{self.text}'.")
        if self._peek() == ("paren", "("):
            raise bad(f"The function '{text}' is not supported by this API (sandbox).")
        if text not in self.types:
            raise bad(f"Could not find a property named '{text}' on type '{self.entity}'.")
        op_kind, op = self._next("an operator")
        if op_kind != "word" or op not in _OPS:
            raise bad(f"The operator '{op}' is not supported: use eq, ne, gt, ge, lt or le.")
        literal_kind, literal = self._next("a value")
        return Comparison(text, op, self._value(text, op, literal_kind, literal))

    def _value(self, field: str, op: str, kind: str, literal: str) -> Any:
        want = self.types[field]
        if (kind, literal) == ("word", "null"):
            if op not in ("eq", "ne"):
                raise bad(f"null can only be compared with eq or ne ({field}).")
            return None
        mismatch = bad(
            f"A binary operator with incompatible types was detected: '{field}' is "
            f"Edm.{_EDM[want]}, the value {literal} is not."
        )
        if want == "string" and kind == "string":
            return literal[1:-1].replace("''", "'")
        if want == "guid" and kind == "guid":
            return literal.lower()
        if want == "number" and kind == "number":
            try:
                return Decimal(literal)
            except InvalidOperation:
                raise mismatch from None
        if want == "date" and kind == "date":
            try:
                return date.fromisoformat(literal)
            except ValueError:
                raise bad(f"Unable to convert value '{literal}' to Date.") from None
        if want == "datetime" and kind == "datetime":
            try:
                return datetime.fromisoformat(literal.replace("Z", "+00:00"))
            except ValueError:
                raise bad(f"Unable to convert value '{literal}' to DateTimeOffset.") from None
        if want == "bool" and (kind, literal) in (("word", "true"), ("word", "false")):
            return literal == "true"
        raise mismatch


_EDM = {
    "string": "String",
    "guid": "Guid",
    "number": "Decimal",
    "date": "Date",
    "datetime": "DateTimeOffset",
    "bool": "Boolean",
}


def parse_filter(text: str, kind: str) -> Node:
    """``$filter``'s tree for a collection of ``kind``, or a 400 naming what is wrong."""
    if len(text) > 2048:
        raise bad("The $filter is too long (sandbox limit: 2048 characters).")
    return _Parser(text, field_types(kind), f"Microsoft.NAV.{kind.removesuffix('s')}").parse()


def parse_select(text: str, kind: str) -> tuple[str, ...]:
    fields = tuple(part.strip() for part in text.split(","))
    known = field_types(kind)
    for name in fields:
        if name not in known and name not in _ARRAYS:
            raise _unknown(name, kind)
    return fields


_ARRAYS = ("salesInvoiceLines", "salesCreditMemoLines")


def _unknown(name: str, kind: str) -> BcError:
    entity = kind.removesuffix("s")
    return bad(f"Could not find a property named '{name}' on type 'Microsoft.NAV.{entity}'.")


def parse_orderby(text: str, kind: str) -> tuple[tuple[str, bool], ...]:
    order = []
    known = field_types(kind)
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad(f"Syntax error in $orderby '{text}': use 'property [asc|desc], ...'.")
        if words[0] not in known:
            raise bad(
                f"Could not find a property named '{words[0]}' on type 'Microsoft.NAV.{kind}'."
            )
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return tuple(order)


def _typed(raw: Any, kind: str) -> Any:
    """A stored value in its property's type (None stays None)."""
    if raw is None:
        return None
    if kind == "number":
        return raw if isinstance(raw, Decimal) else Decimal(str(raw))
    if kind == "date":
        return date.fromisoformat(str(raw)[:10])
    if kind == "datetime":
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if kind == "guid":
        return str(raw).lower()
    return raw


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
}


def matches(node: Node, record: dict[str, Any], types: dict[str, str]) -> bool:
    if isinstance(node, Junction):
        if node.op == "and":
            return matches(node.left, record, types) and matches(node.right, record, types)
        return matches(node.left, record, types) or matches(node.right, record, types)
    value = _typed(record.get(node.field), types[node.field])
    return _COMPARE[node.op](value, node.value)


def sort_key(order: tuple[tuple[str, bool], ...], types: dict[str, str]) -> Callable[..., Any]:
    """A key for ``sorted`` honouring each field's direction (nulls first ascending)."""

    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for field, descending in order:
            value = _typed(record.get(field), types[field])
            parts.append(_Directed(value, descending))
        return tuple(parts)

    return key


@functools.total_ordering
class _Directed:
    """A sortable value in one direction; None sorts before any value ascending."""

    __slots__ = ("descending", "value")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value, self.descending = value, descending

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Directed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: _Directed) -> bool:
        a, b = (other.value, self.value) if self.descending else (self.value, other.value)
        if a is None or b is None:
            return a is None and b is not None
        return bool(a < b)


def indexed_equalities(node: Node | None) -> list[tuple[str, Any]]:
    """The ``field eq value`` terms every match must satisfy (those under ``and`` only):
    the list can read one index bucket for any of them."""
    if node is None:
        return []
    if isinstance(node, Comparison):
        return [(node.field, node.value)] if node.op == "eq" and node.value is not None else []
    if node.op == "or":
        return []
    return indexed_equalities(node.left) + indexed_equalities(node.right)


STAMP = "lastModifiedDateTime"


def stamp_range(node: Node | None) -> tuple[datetime | None, datetime | None, bool] | None:
    """The ``lastModifiedDateTime`` window every match must lie in (the ``gt``/``ge``/
    ``lt``/``le`` terms under ``and`` only), as (after, before, after included); ``before``
    is excluded (``le T`` is ``lt T`` plus the stamps' resolution, a microsecond). None when
    the filter sets no lower bound: without one the window is the history, so the list reads
    as any other."""
    after: datetime | None = None
    before: datetime | None = None
    inclusive = False
    for term in _and_terms(node):
        if term.field != STAMP or term.value is None:
            continue
        value: datetime = term.value
        if term.op in ("gt", "ge", "eq") and (after is None or value >= after):
            strict = term.op == "gt"
            inclusive = not strict if after is None or value > after else inclusive and not strict
            after = value
        if term.op in ("lt", "le", "eq"):
            end = value if term.op == "lt" else value + timedelta(microseconds=1)
            before = end if before is None else min(before, end)
    return None if after is None else (after, before, inclusive)


def _and_terms(node: Node | None) -> list[Comparison]:
    if node is None:
        return []
    if isinstance(node, Comparison):
        return [node]
    if node.op == "or":
        return []
    return _and_terms(node.left) + _and_terms(node.right)


_PREFER = re.compile(r"odata\.maxpagesize=(\d{1,9})")


def parsed_query(call: Call, kind: str) -> Query:
    """The list's ``$filter``, ``$select`` and ``$orderby``, checked (400 naming a fault)."""
    text = call.query.get("$filter")
    select = call.query.get("$select")
    order = call.query.get("$orderby")
    return Query(
        parse_filter(text, kind) if text is not None else None,
        parse_select(select, kind) if select is not None else None,
        parse_orderby(order, kind) if order is not None else (),
    )


def page_size(call: Call) -> tuple[int, dict[str, str]]:
    """BC's page size (20,000), or the smaller one a ``Prefer: odata.maxpagesize=N`` asks."""
    match = _PREFER.search(call.headers.get("prefer", ""))
    if match is None or int(match[1]) == 0:
        return MAX_PAGE, {}
    size = min(int(match[1]), MAX_PAGE)
    return size, {"preference-applied": f"odata.maxpagesize={size}"}


def resumed(rows: list[dict[str, Any]], token: str) -> int:
    """The position after the ``$skiptoken``'s record in a filtered, ordered list."""
    record_id = token.rpartition(":")[0]
    for k, row in enumerate(rows):
        if row["id"] == record_id:
            return k + 1
    raise bad_token(token)


def bad_token(token: str) -> BcError:
    return bad(f"The $skiptoken '{token}' is not valid for this query.")
