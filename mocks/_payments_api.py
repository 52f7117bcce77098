"""Stripe's API conventions for the payments mock: ids, idempotent POSTs and cursor-paged lists.

Idempotency follows Stripe's documented rules: a POST may carry an ``Idempotency-Key`` (1 to
255 characters, scoped to the account, i.e. the tenant). The first response of an endpoint
that *began executing* is stored, errors included, and replayed for a retry with the same
key, method, path and parameters (in any order), with ``Idempotent-Replayed: true``. A request
whose parameters fail validation executes nothing, so nothing is stored for it. The same key
with other parameters, or on another endpoint, is a 400 ``idempotency_error``. Keys are pruned
once 24 hours of the injected clock have passed since their first use.
"""

from __future__ import annotations

import copy
import hashlib
import re
import string
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import simplejson

from mocks._http import Call, Reply
from mocks._payments_forms import StripeProblem
from mocks._state import Clock, Tables, Webhook, WebhookSink

__all__ = [
    "API_VERSION",
    "CREATED",
    "KEY_TTL",
    "LIVEMODE",
    "MAX_KEY_LENGTH",
    "Order",
    "StripeObjects",
    "created_bounds",
    "fingerprint",
    "idempotent",
    "list_page",
    "only",
    "stripe_id",
    "within",
]

API_VERSION = "2024-06-20"
LIVEMODE = False  # the mode the sandbox simulates: Stripe's test mode (a sandbox account)
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_LIMIT = re.compile(r"^[0-9]{1,3}$")
_ALPHABET = string.digits + string.ascii_letters
Handler = Callable[[Call], Reply]


def stripe_id(prefix: str, tenant: str, n: int, length: int = 14) -> str:
    """A Stripe-shaped id (``cus_`` + 14 base-62 characters), deterministic in (tenant, n)."""
    digest = hashlib.sha256(f"q2c:{prefix}:{tenant}:{n}".encode()).digest()
    number = int.from_bytes(digest[:12])
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(chars)}"


def fingerprint(call: Call) -> str:
    """What makes two keyed requests "the same": method, path and the parameters, in any order."""
    try:
        params: Any = sorted(parse_qsl(call.content.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        params = call.content.hex()
    text = simplejson.dumps([call.method, call.path, params])
    return hashlib.sha256(text.encode()).hexdigest()


def idempotent(tables: Tables, clock: Clock, handler: Handler) -> Handler:
    """Wrap a POST handler with Stripe's idempotency (see the module docstring)."""

    def run(call: Call) -> Reply:
        key = call.headers.get("idempotency-key")
        if key is None:
            return handler(call)
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise StripeProblem(
                400,
                f"Idempotency keys are 1 to {MAX_KEY_LENGTH} characters long.",
                errors=[{"field": "Idempotency-Key", "message": "1 to 255 characters"}],
            )
        now = clock()
        store = tables.table(call.tenant, "idempotency")
        while store:  # oldest first: keys are stored as the clock advances
            oldest, entry = next(iter(store.items()))
            if now - entry["at"] < KEY_TTL:
                break
            del store[oldest]
        seen = store.get(key)
        digest = fingerprint(call)
        if seen is not None:
            if seen["fingerprint"] != digest:
                raise StripeProblem(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with; use another key than '{key}' for a "
                    "different request.",
                    kind="idempotency_error",
                    errors=[{"field": "Idempotency-Key", "message": "used with other params"}],
                )
            replay = {**seen["headers"], "idempotent-replayed": "true"}
            return Reply(seen["status"], copy.deepcopy(seen["body"]), replay)
        try:
            reply = handler(call)
        except StripeProblem as problem:
            if not problem.executed:
                raise
            reply = problem.reply()
        store[key] = {
            "at": now,
            "fingerprint": digest,
            "status": reply.status,
            "body": copy.deepcopy(reply.body),  # a snapshot: later changes are not replayed
            "headers": dict(reply.headers),
        }
        return reply

    return run


def only(call: Call, allowed: tuple[str, ...]) -> None:
    """Stripe refuses query parameters it does not know."""
    for name in call.query:
        if name not in allowed:
            raise StripeProblem(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


class Order:
    """The ids of one kind of object in the order they were created (Stripe never deletes
    the objects listed here), with each id's place: a list page starts at its cursor at once
    instead of scanning the account's history."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.at: dict[str, int] = {}

    def add(self, record_id: str) -> None:
        self.at[record_id] = len(self.ids)
        self.ids.append(record_id)


def list_page(
    call: Call,
    table: dict[str, dict[str, Any]],
    order: Order,
    url: str,
    filters: tuple[str, ...],
    keep: Callable[[dict[str, Any]], bool],
    older_than_wanted: Callable[[dict[str, Any]], bool] | None = None,
) -> Reply:
    """A Stripe list: newest first, ``limit`` 1..100 (default 10), cursors by object id.

    ``starting_after`` pages towards older objects, ``ending_before`` towards newer ones;
    ``has_more`` says whether more objects lie beyond this page in that direction. A page
    reads from its cursor on until it has ``limit`` + 1 objects that ``keep`` keeps, or, paging
    towards older objects, until ``older_than_wanted`` says the rest are all too old (a
    ``created[gt]`` bound: a page costs the objects after the bound, not the account's history).
    """
    only(call, ("limit", "starting_after", "ending_before", *filters))
    raw = call.query.get("limit", "10")
    if not _LIMIT.match(raw) or not 1 <= int(raw) <= 100:
        raise StripeProblem(400, "Invalid limit: must be an integer from 1 to 100", param="limit")
    limit = int(raw)
    after, before = call.query.get("starting_after"), call.query.get("ending_before")
    if after is not None and before is not None:
        raise StripeProblem(
            400,
            "You may only specify one of these parameters: starting_after, ending_before.",
            param="ending_before",
        )
    cursor, name = (after, "starting_after") if after is not None else (before, "ending_before")
    if cursor is not None and (cursor not in order.at or cursor not in table):
        raise StripeProblem(404, f"No such object: '{cursor}'", code="resource_missing", param=name)
    if before is not None:  # towards newer objects: the nearest ones, shown newest first
        places: range = range(order.at[before] + 1, len(order.ids))
    else:
        start = order.at[after] - 1 if after is not None else len(order.ids) - 1
        places = range(start, -1, -1)
    found: list[dict[str, Any]] = []
    for place in places:
        record = table[order.ids[place]]
        if before is None and older_than_wanted is not None and older_than_wanted(record):
            break  # the list is in creation order: everything further is older still
        if keep(record):
            found.append(record)
            if len(found) > limit:
                break
    data = found[:limit]
    if before is not None:
        data.reverse()
    return Reply(200, {"object": "list", "data": data, "has_more": len(found) > limit, "url": url})


CREATED = ("created[gt]", "created[gte]", "created[lt]", "created[lte]")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


def created_bounds(call: Call) -> dict[str, int]:
    """Stripe's ``created`` list filter in its dictionary form (``created[gt]=<unix time>``, and
    ``gte``, ``lt``, ``lte``; https://docs.stripe.com/api/events/list, read 2026-12-07): the
    bounds given, or a 400 naming the one that is not a Unix timestamp."""
    bounds: dict[str, int] = {}
    for name in CREATED:
        raw = call.query.get(name)
        if raw is None:
            continue
        if not _TIMESTAMP.match(raw):
            raise StripeProblem(400, f"Invalid integer: {raw}", param=name)
        bounds[name[len("created[") : -1]] = int(raw)
    return bounds


def within(created: int, bounds: dict[str, int]) -> bool:
    """Whether an object created at ``created`` passes the ``created`` bounds."""
    return (
        ("gt" not in bounds or created > bounds["gt"])
        and ("gte" not in bounds or created >= bounds["gte"])
        and ("lt" not in bounds or created < bounds["lt"])
        and ("lte" not in bounds or created <= bounds["lte"])
    )


class StripeObjects:
    """What the payments mock's rooms (customers, payers) share with the mock that holds them:
    its tables, webhook sink and clock in Unix seconds, storing an object (``_now`` and
    ``_insert``: ``mocks.payments.PaymentsMock`` defines both; declared here so the rooms
    type-check on their own), and emitting Stripe's event for an object, which needs nothing
    more and so is defined here, once, for the mock and its rooms alike."""

    tables: Any
    sink: WebhookSink | None

    def _now(self) -> int:
        raise NotImplementedError

    def _insert(self, tenant: str, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _emit(
        self,
        tenant: str,
        kind: str,
        obj: dict[str, Any],
        key: str | None = None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        """Store the event and hand it to the sink; ``previous``: the changed fields' old
        values (``data.previous_attributes`` of an ``*.updated`` event)."""
        n = self.tables.next_number(tenant, "events")
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = copy.deepcopy(previous)
        event = {
            "id": stripe_id("evt", tenant, n, 24),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": data,
            "livemode": LIVEMODE,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": key},
            "type": kind,
        }
        self._insert(tenant, "events", event)
        if self.sink is not None:
            self.sink(Webhook("payments", tenant, kind, copy.deepcopy(event)))
