"""Stripe's request and error vocabulary for the payments mock.

Stripe takes ``application/x-www-form-urlencoded`` bodies whose nested parameters use bracket
notation (``metadata[invoice]=INV-1``, ``payment_method_types[]=card`` or
``payment_method_types[0]=card``) and answers every error as ``{"error": {type, code, param,
message, doc_url}}``, ``application/json``: so does this mock, for its own refusals and for
those of shared code (routing, auth, the fault layer), the parameter named in Stripe's bracket
notation.

Sources (consulted 2026-12-07): docs.stripe.com/api/errors ("Errors": the error object's
``type`` ``api_error``, ``card_error``, ``idempotency_error`` or ``invalid_request_error``,
``code``, ``param``, ``message``, ``doc_url``; statuses 400 Bad Request "often due to
missing a required parameter", 401 "No valid API key provided", 402, 403, 404 "The requested
resource doesn't exist", 409 "The request conflicts with another request (perhaps due to
using the same idempotent key)", 429 "Too many requests hit the API too quickly", 500, 502,
503, 504 "Something went wrong on Stripe's end"), docs.stripe.com/error-codes (the codes:
``parameter_missing``, ``parameter_unknown``, ``parameter_invalid_integer``,
``resource_missing``, ``rate_limit``, ...), docs.stripe.com/rate-limits (429 with code
``rate_limit``), and the ``Error`` schema of Stripe's own spec
(``../shared/vendor-specs/stripe.yaml``, components.schemas.error / api_errors).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from mocks._http import Call, Problem, Reply
from mocks._vendor_errors import first_field, is_oauth

__all__ = [
    "BANK_TRANSFER",
    "EU_COUNTRIES",
    "MAXIMUM_AMOUNT",
    "MINIMUM_AMOUNT",
    "CancelIn",
    "ConfirmIn",
    "CustomerIn",
    "FormBool",
    "FormInt",
    "PaymentIntentIn",
    "StripeProblem",
    "as_list",
    "decode_form",
    "metadata",
    "param_name",
    "too_large",
    "validate",
]

M = TypeVar("M", bound=BaseModel)

MAX_FIELDS = 1000
MAX_METADATA_KEYS = 50
_KEY = re.compile(r"^(?P<name>[^\[\]]+)(?P<rest>(?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?[0-9]+$")
_CODES = {
    "missing": "parameter_missing",
    "extra_forbidden": "parameter_unknown",
    "int_parsing": "parameter_invalid_integer",
    "int_type": "parameter_invalid_integer",
    # only integer params carry bounds here: amount >= 1 (the maximum is checked apart, with
    # Stripe's own message: see ``too_large``)
    "greater_than_equal": "parameter_invalid_integer",
}
DOCS = "https://stripe.com/docs/error-codes/"  # Stripe's ``doc_url``: this + the code, dashed


class StripeProblem(Problem):
    """An error answered as Stripe answers it: its error object (``type``, ``code``, ``param``,
    ``message``, ``doc_url``) as the whole body.

    ``executed`` tells the idempotency layer whether the endpoint began executing: Stripe
    stores (and replays) the result of a keyed request only then, never for a request whose
    parameters failed validation.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        errors: list[dict[str, str]] | None = None,
        executed: bool = False,
    ) -> None:
        if errors is None:
            errors = [{"field": param, "message": message}] if param else []
        super().__init__(status, HTTPStatus(status).phrase, message, errors=errors)
        self.executed = executed
        self.error: dict[str, str] = {"type": kind, "message": message}
        if code is not None:
            self.error["code"] = code
            self.error["doc_url"] = DOCS + code.replace("_", "-")
        if param is not None:
            self.error["param"] = param

    def reply(self) -> Reply:
        return Reply(
            self.status,
            {"error": dict(self.error)},
            {**self.headers, "content-type": "application/json"},
        )


def as_stripe(problem: Problem) -> Problem:
    """A problem raised by shared code (routing, query parsing, auth, the fault layer) in
    Stripe's words, so that every error of the payments mock has Stripe's shape. The token
    endpoint's RFC 6749 errors are kept (Stripe authenticates with a secret key, not this
    endpoint)."""
    if isinstance(problem, StripeProblem) or is_oauth(problem):
        return problem
    status = 400 if problem.status == 422 else problem.status
    param = first_field(problem)
    message = problem.detail or problem.title
    kind, code = "invalid_request_error", None
    if status == 429:
        code = "rate_limit"
        message = (
            "Too many requests hit the API too quickly. We recommend an exponential backoff "
            f"of your requests. ({message})"
        )
    elif status >= 500:
        kind = "api_error"
    elif status == 404 and problem.detail.startswith(("no route for", "no vendor mounted")):
        message = f"Unrecognized request URL ({problem.detail.removeprefix('no route for ')})."
    elif status == 404:
        code = "resource_missing"
    if status in (401, 403, 405) or status >= 500:
        param = None
    stripe = StripeProblem(status, message, kind=kind, code=code, param=param)
    stripe.headers = dict(problem.headers)
    return stripe


def param_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("metadata", "invoice")`` -> ``metadata[invoice]``: Stripe's way of naming a param."""
    head, *rest = (str(part) for part in loc)
    return head + "".join(f"[{part}]" for part in rest)


def _form_int(value: Any) -> Any:
    if isinstance(value, str):
        if not _INTEGER.match(value):
            raise PydanticCustomError("int_parsing", "Invalid integer: {value}", {"value": value})
        try:
            return int(value)
        except ValueError:  # more digits than int() accepts from text
            raise PydanticCustomError("int_parsing", "Invalid integer: too many digits") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Invalid integer")
    return value


FormInt = Annotated[int, BeforeValidator(_form_int)]
"""An integer sent as form text: optional minus sign and ASCII digits only."""


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Validate decoded form data; a failure is a 400 naming every offending param."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = exc.errors(include_url=False)
        errors = [{"field": param_name(e["loc"]), "message": e["msg"]} for e in found]
        first = found[0]
        message = f"{first['msg']} ({errors[0]['field']})"
        if first["type"] == "missing":
            message = f"Missing required param: {errors[0]['field']}."
        elif first["type"] == "extra_forbidden":
            message = f"Received unknown parameter: {errors[0]['field']}"
        raise StripeProblem(
            400,
            message,
            code=_CODES.get(first["type"]),
            param=errors[0]["field"],
            errors=errors,
        ) from None


def _pairs(content: bytes) -> list[tuple[str, str]]:
    try:
        text = content.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise StripeProblem(400, "The request body is not valid UTF-8.") from None
    except ValueError:  # more than MAX_FIELDS fields
        raise StripeProblem(400, f"The request body has more than {MAX_FIELDS} fields.") from None


def decode_form(call: Call) -> dict[str, Any]:
    """The body as nested dicts of strings (``a[b]=c`` -> ``{"a": {"b": "c"}}``).

    ``a[]=x`` appends under the next free index (``"0"``, ``"1"``, ...); ``as_list`` turns an
    indexed dict into a list. A name given twice, or as both a value and an object, is a 400.
    """
    media = call.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/x-www-form-urlencoded":
        raise StripeProblem(
            400,
            f"Request bodies must be application/x-www-form-urlencoded, not {media}.",
            errors=[{"field": "Content-Type", "message": "expected a form body"}],
        )
    root: dict[str, Any] = {}
    for key, value in _pairs(call.content):
        match = _KEY.match(key)
        if match is None:
            raise StripeProblem(400, f"Invalid parameter name: {key}", param=key)
        path = [match["name"], *_SEGMENT.findall(match["rest"])]
        node = root
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            if segment == "":
                if not last:
                    raise StripeProblem(400, f"Unsupported array of objects: {key}", param=key)
                segment = str(len(node))
            name = param_name(path[: depth + 1])
            if last:
                if segment in node:
                    raise StripeProblem(400, f"Parameter given more than once: {name}", param=name)
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise StripeProblem(
                        400, f"Parameter given both as a value and as an object: {name}", param=name
                    )
                node = child
    return root


def too_large(amount: int) -> StripeProblem | None:
    """Stripe's refusal of an amount above its maximum charge, or None.

    The error is Stripe's own (https://docs.stripe.com/error-codes#amount-too-large, consulted
    2026-12-07): ``invalid_request_error`` / ``amount_too_large`` on param ``amount``. It is a
    parameter check: the request executes nothing, so an idempotency key stays free.
    """
    if amount <= MAXIMUM_AMOUNT:
        return None
    return StripeProblem(
        400,
        "The specified amount is greater than the maximum amount allowed. Use a lower amount "
        f"and try again (at most {MAXIMUM_AMOUNT} in the currency's smallest unit).",
        code="amount_too_large",
        param="amount",
    )


def as_list(data: dict[str, Any], name: str) -> None:
    """Turn ``data[name]`` from an index-keyed dict (``{"0": a, "1": b}``) into a list, in place."""
    if name not in data:
        return
    value = data[name]
    indices = [str(n) for n in range(len(value))] if isinstance(value, dict) else []
    if not isinstance(value, dict) or sorted(value) != sorted(indices):
        raise StripeProblem(
            400,
            f"Invalid array: {name} must be sent as {name}[]=... or {name}[0]=..., {name}[1]=...",
            param=name,
        )
    data[name] = [value[str(n)] for n in range(len(value))]


def metadata(value: Any, current: dict[str, str] | None = None) -> dict[str, str]:
    """Apply a ``metadata`` param to ``current``: ``metadata[k]=`` unsets k, ``metadata=`` all.

    Stripe's limits: at most 50 keys, key names up to 40 characters, values up to 500
    characters. A param that breaks them is refused before execution; a valid param that
    would leave more than 50 keys on an existing object is refused as executed.
    """
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeProblem(400, "Invalid metadata: send metadata[key]=value", param="metadata")
    if len(value) > MAX_METADATA_KEYS:
        raise StripeProblem(400, "Invalid metadata: at most 50 keys", param="metadata")
    result = dict(current or {})
    for key, item in value.items():
        name = f"metadata[{key}]"
        if not isinstance(item, str):
            raise StripeProblem(400, f"Invalid {name}: must be a string", param=name)
        if len(key) > 40:
            raise StripeProblem(400, f"Invalid {name}: keys are at most 40 characters", param=name)
        if len(item) > 500:
            raise StripeProblem(400, f"Invalid {name}: at most 500 characters", param=name)
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > MAX_METADATA_KEYS:
        raise StripeProblem(
            400, "Invalid metadata: at most 50 keys", param="metadata", executed=True
        )
    return result


# -- the API's constants and request bodies ----------------------------------------

Currency = Literal[
    "aud", "cad", "chf", "dkk", "eur", "gbp", "inr", "jpy", "mxn", "nok", "pln", "sek", "sgd",
    "usd",
]  # fmt: skip
MINIMUM_AMOUNT = {  # Stripe's minimum charge per currency, in minor units
    "aud": 50, "cad": 50, "chf": 50, "dkk": 250, "eur": 50, "gbp": 30, "inr": 50, "jpy": 50,
    "mxn": 1000, "nok": 300, "pln": 200, "sek": 300, "sgd": 50, "usd": 50,
}  # fmt: skip
# Stripe's largest charge, in minor units: "The amount value supports up to eight digits (e.g.,
# a value of 99999999 for a USD charge of $999,999.99)" -- the same for every currency above
# (IDR, which allows twelve digits, is not offered here). Sources, consulted 2026-12-07:
# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts and the ``amount``
# of PaymentIntent in Stripe's OpenAPI description.
MAXIMUM_AMOUNT = 99_999_999
BANK_TRANSFER = {  # currencies a customer_balance intent can be funded in, by bank transfer
    "eur": "eu_bank_transfer",
    "gbp": "gb_bank_transfer",
    "jpy": "jp_bank_transfer",
    "mxn": "mx_bank_transfer",
    "usd": "us_bank_transfer",
}

MethodType = Literal["card", "customer_balance"]
TransferType = Literal[
    "eu_bank_transfer", "gb_bank_transfer", "jp_bank_transfer", "mx_bank_transfer",
    "us_bank_transfer",
]  # fmt: skip
# The countries an EU bank transfer's virtual IBAN can be in: "Permitted values include: BE,
# DE, ES, FR, IE, or NL" (PaymentIntent create/confirm,
# payment_method_options.customer_balance.bank_transfer.eu_bank_transfer.country, Stripe's API
# reference as rendered by stripe-ruby's params docs, read 2026-12-07).
EU_COUNTRIES = ("BE", "DE", "ES", "FR", "IE", "NL")
EuCountry = Literal["BE", "DE", "ES", "FR", "IE", "NL"]


def _form_bool(value: Any) -> Any:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise PydanticCustomError("bool_parsing", "Invalid boolean: {value}", {"value": value})


FormBool = Annotated[bool, BeforeValidator(_form_bool)]
"""A boolean sent as form text: ``true`` or ``false``, as Stripe's libraries send it."""


def _card() -> list[MethodType]:
    return ["card"]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(_Form):
    email: str | None = Field(default=None, max_length=512)
    name: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=5000)
    phone: str | None = Field(default=None, max_length=20)
    balance: FormInt | None = None


class EuBankTransferIn(_Form):
    country: EuCountry


class BankTransferIn(_Form):
    type: TransferType | None = None
    eu_bank_transfer: EuBankTransferIn | None = None


class CustomerBalanceOptionsIn(_Form):
    funding_type: Literal["bank_transfer"] | None = None
    bank_transfer: BankTransferIn | None = None


class PaymentMethodOptionsIn(_Form):
    customer_balance: CustomerBalanceOptionsIn | None = None


class PaymentMethodDataIn(_Form):
    """Only ``customer_balance``: a card needs card details or a token, which the sandbox does
    not take (its clients pay cards in process)."""

    type: Literal["customer_balance"]


class ConfirmIn(_Form):
    payment_method_data: PaymentMethodDataIn | None = None
    payment_method_options: PaymentMethodOptionsIn | None = None


class PaymentIntentIn(_Form):
    amount: FormInt = Field(ge=1)
    currency: Currency
    customer: str | None = Field(default=None, min_length=1, max_length=5000)
    description: str | None = Field(default=None, max_length=1000)
    payment_method_types: list[MethodType] = Field(default_factory=_card, min_length=1)
    confirm: FormBool = False
    payment_method_data: PaymentMethodDataIn | None = None
    payment_method_options: PaymentMethodOptionsIn | None = None

    @field_validator("payment_method_types")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(value) != len(dict.fromkeys(value)):
            raise ValueError("each payment method type may be listed once")
        return value


class CancelIn(_Form):
    cancellation_reason: (
        Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"] | None
    ) = None
