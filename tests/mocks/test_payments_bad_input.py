"""Bad input to the payments mock: each bad parameter or malformed body is Stripe's 400 (or
404) naming it, never a 500, and the spec refuses exactly the requests the mock refuses before
executing them; an amount above Stripe's maximum is Stripe's own ``amount_too_large``."""

from __future__ import annotations

import httpx
import pytest

from tests.support.contracts import FORM
from tests.support.payments import World, _error

_OK = {"amount": "5000", "currency": "eur"}


@pytest.mark.parametrize(
    ("data", "param", "code", "executed"),
    [
        ({"amount": "5000"}, "currency", "parameter_missing", False),
        ({"currency": "eur"}, "amount", "parameter_missing", False),
        ({**_OK, "amount": "fifty"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "50.5"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": " 5000"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "0"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "100000000"}, "amount", "amount_too_large", False),
        ({**_OK, "amount": "49"}, "amount", "amount_too_small", True),
        ({**_OK, "currency": "gbp", "amount": "29"}, "amount", "amount_too_small", True),
        ({**_OK, "currency": "EUR"}, "currency", None, False),
        ({**_OK, "currency": "xts"}, "currency", None, False),
        ({**_OK, "colour": "red"}, "colour", "parameter_unknown", False),
        ({**_OK, "metadata[k][x]": "y"}, "metadata[k]", None, False),
        ({**_OK, "metadata[" + "k" * 41 + "]": "y"}, "metadata[" + "k" * 41 + "]", None, False),
        ({**_OK, "metadata[k]": "v" * 501}, "metadata[k]", None, False),
        ({**_OK, "description": "d" * 1001}, "description", None, False),
        ({**_OK, "description[x]": "d"}, "description", None, False),
        ({**_OK, "payment_method_types[]": "paypal"}, "payment_method_types[0]", None, False),
        ({**_OK, "payment_method_types": "card"}, "payment_method_types", None, False),
        ({**_OK, "payment_method_types[2]": "card"}, "payment_method_types", None, False),
        ({**_OK, "payment_method_types[]": "customer_balance"}, "customer", None, True),
        (
            {**_OK, "currency": "chf", "payment_method_types[]": "customer_balance"},
            "currency",
            None,
            True,
        ),
        ({**_OK, "customer": "cus_nope"}, "customer", "resource_missing", True),
    ],
)
def test_bad_intent_params_are_named(
    world: World, data: dict[str, str], param: str, code: str | None, executed: bool
) -> None:
    """Each bad param is a 400/404 naming it; the spec refuses exactly the unexecuted ones."""
    cid = world.customer()["id"]
    if "customer" not in data and data.get("currency") == "chf":
        data = {**data, "customer": cid}
    response = world.http.post("/v1/payment_intents", data=data)
    assert response.status_code == (404 if code == "resource_missing" else 400)
    error = _error(response)
    assert (error["type"], error["param"], error.get("code")) == (
        "invalid_request_error",
        param,
        code,
    )
    request = httpx.Request("POST", "http://x/v1/payment_intents", data=data)
    media, sent = world.spec.sent(request, "/v1/payment_intents")
    assert world.spec.rejects("POST", "/v1/payment_intents", sent, media) is not executed


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"amount": 5000, "currency": "eur"}', "application/json"),
        (b"amount=5000&currency=eur&amount=6000", FORM),
        (b"amount=5000&currency=eur&amount[x]=1", FORM),
        (b"metadata[a]=1&metadata=", FORM),
        (b"amount=%ff%fe", FORM),
        (b"\xff\xfe=1", FORM),
        (b"items[][price]=1", FORM),
        (b"a]b=1", FORM),
        (b"&".join(b"m%d=1" % n for n in range(1001)), FORM),
        (b"amount=" + b"9" * 5000 + b"&currency=eur", FORM),
        (b"amount=5000&currency=eur&balance=1", FORM),
    ],
)
def test_malformed_bodies_are_400_never_500(
    world: World, content: bytes, content_type: str
) -> None:
    """Undecodable, duplicated, conflicting or JSON bodies are 400s in Stripe's shape."""
    response = world.http.post(
        "/v1/payment_intents", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert _error(response)["type"] == "invalid_request_error"


def test_bad_customer_params_and_unknown_ids_are_named(world: World) -> None:
    """Customer params are checked too, and unknown ids are 404 ``resource_missing``."""
    bad = world.http.post("/v1/customers", data={"balance": "lots"})
    assert (_error(bad)["param"], _error(bad)["code"]) == ("balance", "parameter_invalid_integer")
    long = world.http.post("/v1/customers", data={"phone": "0" * 21})
    assert _error(long)["param"] == "phone"
    metadata = {f"metadata[k{n}]": "v" for n in range(51)}
    assert _error(world.http.post("/v1/customers", data=metadata))["param"] == "metadata"
    missing = world.http.get("/v1/customers/cus_nope")
    assert (missing.status_code, _error(missing)["code"]) == (404, "resource_missing")
    assert _error(missing)["param"] == "customer"
    assert world.http.get("/v1/payment_intents/pi_nope").status_code == 404
    query = world.http.get("/v1/customers/cus_nope", params={"expand[]": "x"})
    assert _error(query)["code"] == "parameter_unknown"


# -- Stripe's maximum charge -------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["100000000", str(10**13)])  # 1,000,000.00; INR 10^11
def test_an_amount_above_stripes_maximum_is_stripes_amount_too_large(
    world: World, amount: str
) -> None:
    """Above eight digits of the minor unit Stripe answers its own error object, executes
    nothing (the key stays free for a corrected request) and creates no intent."""
    data = {"amount": amount, "currency": "inr"}
    response = world.http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert _error(response) == {
        "type": "invalid_request_error",
        "code": "amount_too_large",
        "param": "amount",
        "doc_url": "https://stripe.com/docs/error-codes/amount-too-large",
        "message": "The specified amount is greater than the maximum amount allowed. Use a lower "
        "amount and try again (at most 99999999 in the currency's smallest unit).",
    }
    assert world.mock.payment_intents("default") == []
    largest = {"amount": "99999999", "currency": "inr"}
    accepted = world.http.post(
        "/v1/payment_intents", data=largest, headers={"Idempotency-Key": "k"}
    )
    assert accepted.status_code == 200 and accepted.json()["amount"] == 99_999_999
