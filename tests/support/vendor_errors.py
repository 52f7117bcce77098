"""Every way shared code can refuse a call (routing, auth, body parsing, the fault layer),
asked of one vendor mock: the per-vendor error tests (tests/mocks/test_*_errors.py) check that
each answer is in the vendor's own shape, code and status, and never a 500 of the mock's own."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import httpx

from contracts.conformance import CLIENT_ID, CLIENT_SECRET, NOW, fixture
from mocks import ErrorRule, FaultyVendor, OutageRule, QuotaRule, QuotaWindow
from tests.support.runtimes import HandClock

FAULTS = ("fault 429", "fault 503 outage", "fault 500", "fault 502", "fault 503", "fault 504")
CASES = (
    "unknown path", "wrong method", "no token", "forged token", "scope missing", "broken body",
    "wrong media type", *FAULTS,
)  # fmt: skip

# the cases on a known operation, which its spec must declare
DECLARED = tuple(c for c in CASES if c not in ("unknown path", "wrong method"))

# Bodies no vendor takes, whatever its fields: empty, cut short, not JSON, not UTF-8, nested past
# any parser's depth, and JSON that is not an object. A mock must refuse each with a 4xx in its
# vendor's shape, never a 500; a test adds wrong types in its own vendor's field names.
GARBAGE = (
    b"",
    b"{",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b"null",
    b"[]",
    b'"text"',
    b"42",
)


def _path(template: str) -> str:
    return re.sub(r"\{\w+\}", "x", template)


def refusals(vendor: str, form: bool = False) -> dict[str, httpx.Response]:
    """One answer per case of ``CASES`` from a fresh, auth-enforcing mock of ``vendor``
    (``form``: the vendor takes form bodies, as Stripe does)."""
    clock = HandClock(NOW)
    mock = fixture(vendor, clock)
    app = mock.app
    scoped = [(m, t) for (m, t), scope in app.scopes().items() if scope is not None]
    get, read = next((_path(t), app.scopes()[(m, t)]) for m, t in scoped if m == "GET")
    post, write = next(
        (_path(t), app.scopes()[(m, t)]) for m, t in scoped if m == "POST" and "{" not in t
    )
    methods = {t: {m for m, t2 in app.routes() if t2 == t} for _, t in app.routes()}
    fixed = next(_path(t) for t, ms in methods.items() if "DELETE" not in ms and "{" not in t)
    out: dict[str, httpx.Response] = {}
    with httpx.Client(transport=app.transport(), base_url="http://mock") as http:
        token = http.post(
            mock.auth.token_path,
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                  "client_secret": CLIENT_SECRET},
        ).json()["access_token"]  # fmt: skip
        narrow = http.post(  # a token for reading only
            mock.auth.token_path,
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                  "client_secret": CLIENT_SECRET, "scope": read or ""},
        ).json()["access_token"]  # fmt: skip
        auth = {"authorization": f"Bearer {token}"}
        out["unknown path"] = http.get("/nowhere/at/all", headers=auth)
        out["wrong method"] = http.delete(fixed, headers=auth)
        out["no token"] = http.get(get)
        out["forged token"] = http.get(get, headers={"authorization": "Bearer forged"})
        assert read != write, (read, write)
        out["scope missing"] = http.post(post, headers={"authorization": f"Bearer {narrow}"})
        media = "application/x-www-form-urlencoded" if form else "application/json"
        broken = b"a[=1&a=2&a[b]=3" if form else b"{"
        out["broken body"] = http.post(
            post, content=broken, headers={**auth, "content-type": media}
        )
        out["wrong media type"] = http.post(
            post, content=b"<x/>", headers={**auth, "content-type": "application/xml"}
        )
    rules = {
        "fault 429": QuotaRule(windows=[QuotaWindow(limit=1, window_s=60)]),
        "fault 503 outage": OutageRule(start=clock.now, end=clock.now + timedelta(hours=1)),
        **{f"fault {s}": ErrorRule(rate=1, statuses=[s]) for s in (500, 502, 503, 504)},  # type: ignore[list-item]
    }
    for case, rule in rules.items():
        layer = FaultyVendor(app, clock, random.Random(1))
        layer.add(rule)
        request = httpx.Request("GET", f"http://mock{get}", headers=auth)
        for _ in range(2):  # the quota's second call is over it
            arrival = layer.arrive(request)
            layer.depart(arrival)
        assert arrival.response is not None
        arrival.response.read()
        arrival.response.request = request  # so that a spec can check it
        out[case] = arrival.response
    return out
