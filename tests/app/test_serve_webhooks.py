"""``q2c serve`` sends webhooks: registered the vendor's way, signed as the vendor signs, at least
once, with the admin API's chaos, logged per tenant.

A real server on a free loopback port and a loopback receiver started here. Signatures are
checked with independent implementations of the vendors' documented algorithms (Stripe's
HMAC over ``"{t}.{payload}"``, Ironclad's RSA over event id + body + nonce), not with the
sandbox's own ``mocks._signatures``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from mocks import ExecutedTerms, SignatureError, verify_stripe
from sim.app.serve import Sandbox
from sim.scenario.faults import FaultsSpec
from tests.support.loopback import LoopbackServer

ADMIN = {"authorization": "Bearer admin"}
CRM = "/crm/services/data/v60.0"
CLM = "/clm/public/api/v1"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A loopback HTTP server recording every POST; ``answers`` picks each status in turn;
    with ``hold`` set, each answer waits until ``hold`` is released (a stuck receiver)."""

    def __init__(
        self, answers: Callable[[int], int] = lambda n: 200, hold: threading.Event | None = None
    ) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = answers(len(receiver.received))
                if hold is not None:
                    hold.wait(30)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def wait_for(self, check: Callable[[list[Received]], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if check(list(self.received)):
                    return
            time.sleep(0.02)
        raise AssertionError(f"not received in {timeout} s: {[r.path for r in self.received]}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@contextmanager
def _served(**options: Any) -> Iterator[tuple[Sandbox, httpx.Client]]:
    """The sandbox on a free loopback port, a client for it; its outbox closed afterwards."""
    sandbox = Sandbox(None, seed=3, admin_token="admin", **options)
    try:
        with (
            LoopbackServer(sandbox) as server,
            httpx.Client(base_url=server.url(""), timeout=10) as http,
        ):
            yield sandbox, http
    finally:
        sandbox.outbox.close()


def _logged(
    http: httpx.Client, enough: Callable[[list[dict[str, Any]]], bool], timeout: float = 20
) -> list[dict[str, Any]]:
    """The delivery log once ``enough`` holds (an attempt is logged when its answer is in)."""
    deadline = time.monotonic() + timeout
    while True:
        rows: list[dict[str, Any]] = http.get("/_admin/webhooks/deliveries", headers=ADMIN).json()[
            "deliveries"
        ]
        if enough(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


def _token(http: httpx.Client, vendor: str, path: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    answer = http.post(f"/{vendor}{path}", data=form)
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def _stripe_verifies(item: Received, secret: str) -> bool:
    """Stripe's documented check, written out: split the header, HMAC-SHA256 over t.payload."""
    parts = dict(p.split("=", 1) for p in item.headers["stripe-signature"].split(","))
    signed = f"{parts['t']}.{item.body.decode()}".encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) <= 300
    return hmac.compare_digest(expected, parts["v1"]) and fresh


def _ironclad_verifies(item: Received, public_pem: str) -> bool:
    """Ironclad's documented check: RSA over event id + JSON.stringify(body) + nonce."""
    verification = json.loads(item.headers["x-ironclad-webhook-verification"])
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    assert (verification["signAlgorithm"], verification["encoding"]) == ("sha256", "base64")
    # what a Node receiver verifies: the parsed body stringified again
    stringified = json.dumps(json.loads(item.body), separators=(",", ":"), ensure_ascii=False)
    message = (
        item.headers["x-ironclad-webhook-event-id"] + stringified + verification["nonce"]
    ).encode()
    try:
        key.verify(
            base64.b64decode(verification["signature"]), message, padding.PKCS1v15(),
            hashes.SHA256(),
        )  # fmt: skip
    except Exception:
        return False
    return True


def _terms() -> ExecutedTerms:
    return ExecutedTerms.model_validate({
        "counterpartyCountry": "DE", "legalEntity": "SANDBOX-DE", "contractCurrency": "EUR",
        "roundingRule": "half_even", "sowReference": "SOW-1",
        "versions": [{"number": 1, "effectiveDate": "2026-01-01",
                      "rateCard": [{"role": "Engineer", "country": "DE", "hourlyRate": "90.00"}]}],
        "milestones": [],
    })  # fmt: skip


def test_closed_won_executed_and_paid_arrive_signed_and_a_duplicate_under_chaos(
    receiver: Receiver,
) -> None:
    """Stripe registered through its API (secret once), CRM and CLM through the admin API;
    with a duplicate-everything chaos on the CRM, a deal closed-won arrives twice (same
    notification id), the executed contract once, signed by Ironclad's key, and a payment
    once, with a Stripe signature that verifies and fails on a tampered body."""
    with _served() as (sandbox, http):
        stripe_auth = _token(http, "payments", "/oauth/token")
        created = http.post(
            "/payments/v1/webhook_endpoints",
            data={"url": receiver.url("/stripe"), "enabled_events[]": "payment_intent.succeeded"},
            headers=stripe_auth,
        )
        assert created.status_code == 200, created.text
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        shown = http.get(
            f"/payments/v1/webhook_endpoints/{created.json()['id']}", headers=stripe_auth
        )
        assert "secret" not in shown.json()
        crm_hook = http.post(
            "/_admin/webhooks/crm", json={"url": receiver.url("/crm")}, headers=ADMIN
        )
        clm_hook = http.post(
            "/_admin/webhooks/clm", json={"url": receiver.url("/clm")}, headers=ADMIN
        )
        assert (crm_hook.status_code, clm_hook.status_code) == (201, 201), crm_hook.text
        assert crm_hook.json()["signing"].startswith("none")
        public_pem = clm_hook.json()["verification_key"]
        chaos = http.put("/_admin/webhooks/crm/chaos", json={"duplicate": 1.0}, headers=ADMIN)
        assert chaos.status_code == 200, chaos.text

        crm = _token(http, "crm", "/services/oauth2/token")
        account = http.post(f"{CRM}/sobjects/Account", json={"Name": "Acme"}, headers=crm)
        opportunity = http.post(
            f"{CRM}/sobjects/Opportunity",
            json={"Name": "SOW", "AccountId": account.json()["id"], "StageName": "Prospecting",
                  "CloseDate": "2026-03-31"},
            headers=crm,
        )  # fmt: skip
        won = http.patch(
            f"{CRM}/sobjects/Opportunity/{opportunity.json()['id']}",
            json={"StageName": "Closed Won"},
            headers=crm,
        )
        assert won.status_code == 204

        clm = _token(http, "clm", "/oauth/token")
        launch = {"template": "statementOfWork",
                  "attributes": {"counterpartyName": "Acme", "opportunityId": "006X"}}  # fmt: skip
        workflow = http.post(f"{CLM}/workflows", json=launch, headers=clm)
        assert workflow.status_code in (200, 201), workflow.text
        # signing happens in the vendor's UI, not its API: the signers act in process
        sandbox.mocks["clm"].execute("sandbox", workflow.json()["id"], _terms())  # type: ignore[union-attr]

        pay = _token(http, "payments", "/oauth/token")
        customer = http.post("/payments/v1/customers", data={"name": "Acme"}, headers=pay)
        intent = http.post(
            "/payments/v1/payment_intents",
            data={"amount": "5000", "currency": "eur", "customer": customer.json()["id"],
                  "payment_method_types[]": "card"},
            headers=pay,
        )  # fmt: skip
        assert intent.status_code == 200, intent.text
        sandbox.mocks["payments"].fund("sandbox", intent.json()["id"], 5000)  # type: ignore[union-attr]

        def arrived(items: list[Received]) -> bool:
            paths = [i.path for i in items]
            return paths.count("/crm") >= 2 and "/clm" in paths and "/stripe" in paths

        receiver.wait_for(arrived)
        deliveries = _logged(http, lambda rows: len(rows) >= 4)

    by_path: dict[str, list[Received]] = {}
    for item in receiver.received:
        by_path.setdefault(item.path, []).append(item)
    first, second = by_path["/crm"]
    assert first.body == second.body  # the same notification twice: deduplicate on its Id
    message = json.loads(first.body)
    assert message["Notification"][0]["sObject"]["StageName"] == "Closed Won"

    (executed,) = by_path["/clm"]
    assert json.loads(executed.body)["payload"]["event"] == "workflow_completed"
    assert _ironclad_verifies(executed, public_pem)
    forged = Received(
        executed.path, executed.headers, executed.body.replace(b"workflow", b"worKflow")
    )
    assert not _ironclad_verifies(forged, public_pem)

    (paid,) = by_path["/stripe"]
    assert json.loads(paid.body)["type"] == "payment_intent.succeeded"
    assert paid.headers["user-agent"].startswith("Stripe/1.0")
    assert _stripe_verifies(paid, secret)
    assert not _stripe_verifies(Received(paid.path, paid.headers, paid.body + b" "), secret)
    stamp = verify_stripe(paid.body, paid.headers["stripe-signature"], secret, int(time.time()))
    with pytest.raises(SignatureError, match="tolerance"):
        verify_stripe(paid.body, paid.headers["stripe-signature"], secret, stamp + 301)

    crm_rows = [d for d in deliveries if d["vendor"] == "crm"]
    assert sorted(d["copy"] for d in crm_rows) == [1, 2]
    assert {(d["event"], d["attempt"], d["status"], d["next_retry"]) for d in crm_rows} == {
        ("opportunity.closed_won", 1, 200, None)
    }
    assert {d["url"] for d in deliveries} == {
        receiver.url("/crm"),
        receiver.url("/clm"),
        receiver.url("/stripe"),
    }


def test_a_dropped_or_refused_delivery_is_retried_on_the_vendors_schedule_scaled_for_ci() -> None:
    """Drop-then-retry under chaos, then a receiver answering 500 once: each copy arrives on a
    later attempt, the log says when the retry was due; with --webhook-retry-scale the CRM's
    15 s first wait (Salesforce) takes 15 ms."""
    with Receiver(answers=lambda n: 500 if n == 1 else 200) as receiver:
        served = _served(webhooks_to=receiver.url("/all"), webhook_retry_scale=0.001)
        with served as (sandbox, http):
            assert set(sandbox.registered_to) == {"crm", "clm", "payments"}  # Kantata: none
            assert sandbox.registered_to["payments"]["secret"].startswith("whsec_")
            http.put("/_admin/webhooks/crm/chaos", json={"drop": 1.0}, headers=ADMIN)
            crm = _token(http, "crm", "/services/oauth2/token")
            account = http.post(f"{CRM}/sobjects/Account", json={"Name": "Acme"}, headers=crm)
            http.post(
                f"{CRM}/sobjects/Opportunity",
                json={"Name": "SOW", "AccountId": account.json()["id"],
                      "StageName": "Closed Won", "CloseDate": "2026-03-31"},
                headers=crm,
            )  # fmt: skip

            def done(rows: list[dict[str, Any]]) -> bool:
                return any(r["status"] == 200 for r in rows)

            rows = _logged(http, done)
    assert [(r["attempt"], r["status"], r["outcome"]) for r in rows] == [
        (1, "dropped", "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert rows[0]["next_retry"] is not None and rows[-1]["next_retry"] is None
    assert len(receiver.received) == 2  # the dropped attempt never reached it


def test_the_admin_api_registers_only_what_the_vendor_would_not_register_itself() -> None:
    """Stripe registers through its own API (409 here), an unknown or silent vendor is a
    404 (the PSA too: Kantata pushes no webhooks, its feed is pulled), a bad URL or event a
    422; chaos takes the scenario's model and nothing else (the PSA's acts on its feed)."""
    with _served() as (sandbox, http):
        url = {"url": "http://127.0.0.1:9/hook"}
        assert http.post("/_admin/webhooks/payments", json=url, headers=ADMIN).status_code == 409
        assert http.post("/_admin/webhooks/erp", json=url, headers=ADMIN).status_code == 404
        assert http.post("/_admin/webhooks/crm", json=url).status_code == 401
        psa = http.post("/_admin/webhooks/psa", json=url, headers=ADMIN)
        assert psa.status_code == 404 and "subscribed_events" in psa.json()["detail"]
        bad = http.post("/_admin/webhooks/crm", json={"url": "ftp://x"}, headers=ADMIN)
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "url")
        odd = http.post("/_admin/webhooks/crm", json={**url, "events": ["nope"]}, headers=ADMIN)
        assert (odd.status_code, odd.json()["errors"][0]["field"]) == (422, "events.0")
        chaos = http.put("/_admin/webhooks/psa/chaos", json={"drop": 2}, headers=ADMIN)
        assert chaos.status_code == 422
        feed = http.put("/_admin/webhooks/psa/chaos", json={"duplicate": 1.0}, headers=ADMIN)
        assert feed.status_code == 200
        assert http.get("/_admin/webhooks/chaos", headers=ADMIN).json()["psa"]["duplicate"] == 1.0
        assert http.delete("/_admin/webhooks/psa/chaos", headers=ADMIN).status_code == 204
        made = http.post("/_admin/webhooks/crm", json=url, headers=ADMIN).json()
        listed = http.get("/_admin/webhooks", headers=ADMIN).json()
        assert [e["id"] for e in listed["endpoints"]] == [made["id"]]
        assert "Ironclad" in listed["schedules"]["clm"]["source"]
        assert "psa" not in listed["schedules"]
        gone = http.delete(f"/_admin/webhooks/crm/{made['id']}", headers=ADMIN)
        assert gone.status_code == 204
        assert http.post("/_admin/reset", headers=ADMIN).status_code == 204
        assert sandbox.webhooks.registered["crm"].count("sandbox") == 0


def test_a_stuck_receiver_never_holds_up_the_request_that_caused_the_event() -> None:
    """The receiver takes the closed-won delivery and does not answer; the PATCH that caused
    it has already been answered (a blocking sink could not answer before the release)."""
    release = threading.Event()
    with Receiver(hold=release) as receiver, _served() as (_, http):
        try:
            http.post("/_admin/webhooks/crm", json={"url": receiver.url("/crm")}, headers=ADMIN)
            crm = _token(http, "crm", "/services/oauth2/token")
            account = http.post(f"{CRM}/sobjects/Account", json={"Name": "Acme"}, headers=crm)
            opportunity = http.post(
                f"{CRM}/sobjects/Opportunity",
                json={"Name": "SOW", "AccountId": account.json()["id"],
                      "StageName": "Prospecting", "CloseDate": "2026-03-31"},
                headers=crm,
            )  # fmt: skip
            won = http.patch(
                f"{CRM}/sobjects/Opportunity/{opportunity.json()['id']}",
                json={"StageName": "Closed Won"},
                headers=crm,
            )
            assert won.status_code == 204
            receiver.wait_for(lambda items: len(items) == 1)
            assert not release.is_set()  # the delivery is still waiting for its answer
            rows = http.get("/_admin/webhooks/deliveries", headers=ADMIN).json()["deliveries"]
            assert rows == []  # no attempt is logged before its answer
        finally:
            release.set()


def test_a_scenarios_webhook_chaos_applies_from_the_start() -> None:
    """``faults.webhooks`` of a served scenario is the outbox's chaos before any admin call."""
    from tests.app.test_served_cycle import SCENARIO

    scenario = SCENARIO.model_copy(
        update={"faults": FaultsSpec.model_validate({"webhooks": {"crm": {"duplicate": 0.5}}})}
    )
    sandbox = Sandbox(scenario, seed=1, admin_token="admin")
    assert sandbox.outbox.chaos_view() == {
        "crm": {"duplicate": 0.5, "reorder": 0.0, "max_delay_s": 0.0, "drop": 0.0}
    }


def test_a_410_disables_the_ironclad_webhook_and_nothing_is_sent_after_it() -> None:
    """Ironclad disables a webhook whose receiver answers 410 Gone, at once: no retry of that
    copy, and the next event's copy is logged as disabled, never posted."""
    with (
        Receiver(answers=lambda n: 410) as receiver,
        _served(webhook_retry_scale=0.001) as (sandbox, http),
    ):
        hook = http.post("/_admin/webhooks/clm", json={"url": receiver.url("/clm")}, headers=ADMIN)
        assert hook.status_code == 201, hook.text
        clm = _token(http, "clm", "/oauth/token")
        for n in (1, 2):
            attributes = {"counterpartyName": f"Acme {n}", "opportunityId": "006X"}
            launch = {"template": "statementOfWork", "attributes": attributes}
            workflow = http.post(f"{CLM}/workflows", json=launch, headers=clm)
            assert workflow.status_code in (200, 201), workflow.text
            sandbox.mocks["clm"].execute("sandbox", workflow.json()["id"], _terms())  # type: ignore[union-attr]
            rows = _logged(http, lambda rows, n=n: len(rows) >= n)
    assert [(r["attempt"], r["status"], r["outcome"]) for r in rows] == [
        (1, 410, "disabled"),
        (1, "disabled", "disabled"),
    ]
    assert len(receiver.received) == 1
