"""The rule set: every kind of change the diff reports, with an id, a level and a reason.

Levels follow oasdiff's, so a team moving from it keeps its gates:

- ``error``: breaks a client written against the old document (exit 1 by default);
- ``warning``: may break one, depending on what the client or server does (``--fail-on warning``);
- ``info``: compatible, reported so reviewers see it.

Most rules are one *facet* of a schema (``max-length-decreased``) seen at one *place*: a
request body root, a property inside it, a parameter, a response body, a response header. The
same facet is safe in one direction and breaking in the other (a lower ``maxLength`` refuses
what a client used to send, but only narrows what it reads), so the facet table holds a level
per direction and the ids are built as ``{request|response}-{place}-{facet}``, oasdiff's
naming. Rules that are not about a schema (operations, parameters, statuses, security,
deprecation) are listed one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LEVELS", "RULES", "Level", "Rule", "facet_rule"]

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")
E: Level = "error"
W: Level = "warning"
I: Level = "info"  # noqa: E741


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    reason: str


# facet -> (level when the client sends the data, level when it reads it, what changed)
FACETS: dict[str, tuple[Level, Level, str]] = {
    "type-changed": (E, E, "the type changed to one that neither accepts nor yields the old"),
    "type-generalized": (I, E, "the type widened (integer -> number, a type added)"),
    "type-specialized": (E, I, "the type narrowed (number -> integer, a type dropped)"),
    "became-nullable": (I, E, "null is now allowed"),
    "became-not-nullable": (E, I, "null is no longer allowed"),
    "enum-value-added": (I, W, "an enum value was added: readers may not know it"),
    "enum-value-removed": (E, I, "an enum value was removed: senders of it are refused"),
    "became-enum": (E, I, "an enum now restricts the values"),
    "enum-removed": (I, W, "the enum was dropped: any value may now appear"),
    "const-added": (E, I, "a const now fixes the value"),
    "const-removed": (I, E, "the const was dropped: other values may now appear"),
    "const-changed": (E, E, "the const value changed"),
    "pattern-added": (E, I, "a pattern now restricts the value"),
    "pattern-changed": (W, W, "the pattern changed: values valid before may not be now"),
    "pattern-removed": (I, W, "the pattern was dropped: values of any shape may now appear"),
    "format-added": (W, I, "a format now restricts the value"),
    "format-changed": (W, W, "the format changed"),
    "format-removed": (I, W, "the format was dropped: values of any shape may now appear"),
    "multiple-of-changed": (W, W, "multipleOf changed"),
    "unique-items-set": (E, I, "array items must now be unique"),
    "unique-items-unset": (I, W, "array items may now repeat"),
    "default-value-added": (I, I, "a default value was added"),
    "default-value-changed": (I, I, "the default value changed"),
    "default-value-removed": (I, I, "the default value was removed"),
    "discriminator-added": (W, I, "a discriminator now selects the schema"),
    "discriminator-removed": (I, W, "the discriminator was dropped"),
    "discriminator-property-name-changed": (W, W, "the discriminator property changed"),
    "discriminator-mapping-added": (I, W, "a discriminator value was added"),
    "discriminator-mapping-deleted": (E, I, "a discriminator value was removed"),
    "discriminator-mapping-changed": (W, W, "a discriminator value maps to another schema"),
    "any-of-added": (I, E, "an anyOf alternative was added: readers may get it"),
    "any-of-removed": (E, I, "an anyOf alternative was removed: senders of it are refused"),
    "one-of-added": (I, E, "a oneOf alternative was added: readers may get it"),
    "one-of-removed": (E, I, "a oneOf alternative was removed: senders of it are refused"),
    "additional-properties-closed": (E, I, "unknown properties are no longer accepted"),
    "additional-properties-opened": (I, W, "unknown properties may now appear"),
    "became-read-only": (W, I, "the property became readOnly: the server may ignore it"),
    "became-not-read-only": (I, I, "the property is no longer readOnly"),
    "became-write-only": (I, E, "the property became writeOnly: it is no longer returned"),
    "became-not-write-only": (I, I, "the property is no longer writeOnly"),
    "deprecated": (I, I, "deprecated: plan to stop using it"),
    "reactivated": (I, I, "no longer deprecated"),
}
# bounds: (keyword, facet stem, True if a larger value is stricter)
BOUNDS = (
    ("maxLength", "max-length", False),
    ("minLength", "min-length", True),
    ("maximum", "max", False),
    ("minimum", "min", True),
    ("exclusiveMaximum", "exclusive-max", False),
    ("exclusiveMinimum", "exclusive-min", True),
    ("maxItems", "max-items", False),
    ("minItems", "min-items", True),
    ("maxProperties", "max-properties", False),
    ("minProperties", "min-properties", True),
    ("maxContains", "max-contains", False),
    ("minContains", "min-contains", True),
)
for _keyword, _stem, _lower_is_wider in BOUNDS:
    _stricter, _looser = (
        ("increased", "decreased") if _lower_is_wider else ("decreased", "increased")
    )
    FACETS[f"{_stem}-{_stricter}"] = (E, I, f"{_keyword} made stricter")
    FACETS[f"{_stem}-{_looser}"] = (I, E, f"{_keyword} relaxed: readers may get values past it")
    FACETS[f"{_stem}-set"] = (W, I, f"{_keyword} now limits the value")
    FACETS[f"{_stem}-unset"] = (I, E, f"{_keyword} dropped: readers may get any value")

# JSON Schema 2020-12 keywords (OpenAPI 3.1): (keyword, facet stem, level of -added/-removed
# when sending, when reading, level of -changed)
APPLICATORS = (
    ("if", "if"),
    ("then", "then"),
    ("else", "else"),
    ("not", "not"),
    ("contains", "contains"),
    ("propertyNames", "property-names"),
    ("patternProperties", "pattern-property"),
    ("dependentRequired", "dependent-required"),
    ("dependentSchemas", "dependent-schema"),
    ("unevaluatedItems", "unevaluated-items"),
    ("unevaluatedProperties", "unevaluated-properties"),
    ("contentMediaType", "content-media-type"),
    ("contentEncoding", "content-encoding"),
    ("contentSchema", "content-schema"),
)
for _keyword, _stem in APPLICATORS:
    FACETS[f"{_stem}-added"] = (E, I, f"{_keyword} added: it restricts the value")
    FACETS[f"{_stem}-removed"] = (I, E, f"{_keyword} dropped: readers may get other values")
    FACETS[f"{_stem}-changed"] = (E, E, f"{_keyword} changed")
# prefixItems fix what each position means: a client built on them breaks when they go
FACETS["prefix-items-added"] = (I, E, "prefixItems added: positions now carry new meaning")
FACETS["prefix-items-removed"] = (E, I, "prefixItems dropped: positions lost their meaning")
FACETS["prefix-items-changed"] = (E, E, "prefixItems changed")

# where a schema sits: the root of a request or response body, a property inside one, a
# parameter (and a property of an object parameter), a response header
PLACES = ("body", "property", "parameter", "parameter-property", "header")
# a parameter's default is what the server assumes when the client leaves it out
PARAMETER_DEFAULTS = {"default-value-added", "default-value-changed", "default-value-removed"}


def facet_rule(sending: bool, place: str, facet: str) -> str:
    """The id of ``facet`` seen at ``place`` in data the client sends or reads."""
    return f"{'request' if sending else 'response'}-{place}-{facet}"


_LISTED: list[Rule] = [
    # operations and paths
    Rule("endpoint-added", I, "an operation was added"),
    Rule("api-removed-without-deprecation", E, "an operation was removed, not deprecated first"),
    Rule("api-path-removed-without-deprecation", E, "a path and all its operations was removed"),
    Rule("api-removed-with-deprecation", I, "a deprecated operation was removed"),
    Rule("api-path-removed-with-deprecation", I, "a path of deprecated operations was removed"),
    Rule("api-removed-before-sunset", E, "a deprecated operation was removed before its sunset"),
    Rule("endpoint-deprecated", I, "an operation was deprecated"),
    Rule("endpoint-deprecated-with-sunset", I, "an operation was deprecated with a sunset date"),
    Rule("endpoint-reactivated", I, "an operation is no longer deprecated"),
    Rule("api-sunset-deleted", E, "a deprecated operation's sunset date was removed"),
    Rule("api-sunset-date-changed-too-small", E, "a sunset date was moved earlier"),
    Rule("api-deprecated-sunset-parse", E, "the x-sunset date is not an ISO date (YYYY-MM-DD)"),
    Rule("api-path-parameter-renamed", I, "a path parameter was renamed: same URL template"),
    Rule("api-operation-id-changed", I, "the operationId changed: generated clients rename it"),
    Rule("webhook-added", I, "a webhook was added (OpenAPI 3.1 webhooks)"),
    Rule("webhook-removed", E, "a webhook was removed: its receivers stop getting events"),
    # parameters
    Rule("new-required-request-parameter", E, "a required parameter was added"),
    Rule("new-request-path-parameter", E, "a path parameter was added"),
    Rule("new-optional-request-parameter", I, "an optional parameter was added"),
    Rule("request-parameter-removed", W, "a parameter was removed: the server may refuse it"),
    Rule("request-parameter-became-required", E, "a parameter became required"),
    Rule("request-parameter-became-optional", I, "a parameter became optional"),
    Rule("request-parameter-style-changed", E, "a parameter's style or explode changed"),
    Rule("request-parameter-deprecated", I, "a parameter was deprecated"),
    Rule("request-parameter-reactivated", I, "a parameter is no longer deprecated"),
    Rule("request-parameter-media-type-removed", E, "a parameter's content media type removed"),
    # request bodies and properties
    Rule("request-body-added-required", E, "a required request body was added"),
    Rule("request-body-added-optional", I, "an optional request body was added"),
    Rule("request-body-removed", E, "the request body was removed"),
    Rule("request-body-became-required", E, "the request body became required"),
    Rule("request-body-became-optional", I, "the request body became optional"),
    Rule("request-body-media-type-removed", E, "a request media type is no longer accepted"),
    Rule("request-body-media-type-added", I, "a request media type is now accepted"),
    Rule("new-required-request-property", E, "a required request property was added"),
    Rule("new-optional-request-property", I, "an optional request property was added"),
    Rule(
        "request-property-removed",
        W,
        "a request property was removed: the server may ignore or refuse it",
    ),
    Rule(
        "request-closed-property-removed",
        E,
        "a request property was removed from an object "
        "that refuses unknown properties (additionalProperties: false)",
    ),
    Rule("request-read-only-property-removed", I, "a readOnly request property was removed"),
    Rule("request-property-became-required", E, "a request property became required"),
    Rule("request-property-became-optional", I, "a request property became optional"),
    # responses and their properties
    Rule("response-success-status-removed", E, "a success status is no longer returned"),
    Rule("response-non-success-status-removed", I, "an error status is no longer returned"),
    Rule("response-success-status-added", I, "a success status was added"),
    Rule("response-non-success-status-added", I, "an error status was added"),
    Rule("response-media-type-removed", E, "a response media type is no longer returned"),
    Rule("response-media-type-added", I, "a response media type was added"),
    Rule("response-required-property-removed", E, "a property readers relied on was removed"),
    Rule("response-optional-property-removed", W, "an optional response property was removed"),
    Rule("response-write-only-property-removed", I, "a writeOnly response property was removed"),
    Rule("response-property-became-optional", E, "a response property is no longer always there"),
    Rule("response-property-became-required", I, "a response property is now always there"),
    Rule("response-required-property-added", I, "a required response property was added"),
    Rule("response-optional-property-added", I, "an optional response property was added"),
    Rule("required-response-header-removed", E, "a required response header was removed"),
    Rule("optional-response-header-removed", W, "an optional response header was removed"),
    Rule("response-header-became-optional", E, "a response header is no longer always sent"),
    Rule("response-header-added", I, "a response header was added"),
    # security
    Rule("api-security-added", E, "an operation now requires credentials it did not"),
    Rule("api-security-removed", I, "an operation's security requirement was removed"),
    Rule("api-security-scope-added", W, "an operation needs an OAuth scope tokens may lack"),
    Rule("api-security-scope-removed", I, "an operation needs one OAuth scope fewer"),
    Rule("api-security-alternative-added", I, "an operation accepts another way to authenticate"),
    Rule(
        "api-security-alternative-removed",
        E,
        "a way to authenticate was dropped: clients using it are refused",
    ),
    Rule("api-global-security-alternative-added", I, "another way to authenticate is accepted"),
    Rule(
        "api-global-security-alternative-removed",
        E,
        "a document-wide way to authenticate was dropped",
    ),
    Rule("api-global-security-added", E, "the document now requires credentials it did not"),
    Rule("api-global-security-removed", I, "a document-wide security requirement was removed"),
    Rule("api-global-security-scope-added", W, "document-wide security needs a new scope"),
    Rule("api-global-security-scope-removed", I, "document-wide security needs one scope fewer"),
    Rule("api-security-component-added", I, "a security scheme was added"),
    Rule("api-security-component-removed", W, "a security scheme was removed"),
    Rule("api-security-component-type-changed", E, "a security scheme's type changed"),
    Rule("api-security-component-location-changed", E, "an API key moved (in or name changed)"),
    Rule("api-security-component-oauth-token-url-changed", W, "an OAuth token URL changed"),
    Rule("api-security-component-oauth-url-changed", W, "an OAuth authorization URL changed"),
    Rule("api-security-component-oauth-scope-added", I, "an OAuth scope was added"),
    Rule("api-security-component-oauth-scope-removed", W, "an OAuth scope was removed"),
    Rule("api-security-component-oauth-flow-removed", E, "an OAuth flow was removed"),
]


def _all() -> dict[str, Rule]:
    rules = {rule.id: rule for rule in _LISTED}
    for facet, (send_level, read_level, reason) in FACETS.items():
        for place in PLACES:
            for sending, level in ((True, send_level), (False, read_level)):
                if place == "header" and sending:
                    continue  # headers are compared in responses only: the client reads them
                if place.startswith("parameter") and not sending:
                    continue  # parameters are what the client sends
                why = reason
                if place == "parameter" and facet in PARAMETER_DEFAULTS:
                    level, why = E, f"{reason}: a client leaving it out now gets another value"
                rule = facet_rule(sending, place, facet)
                rules[rule] = Rule(rule, level, why)
    return dict(sorted(rules.items()))


RULES: dict[str, Rule] = _all()
