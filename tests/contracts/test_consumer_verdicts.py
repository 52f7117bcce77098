"""The verdicts the consumer check keeps on small answers (``response_violations``): an
answer seen again gets the very violations a fresh check finds, without being read again; an
answer differing in anything the verdict depends on is checked anew; the kept bytes stay
within their bound."""

from __future__ import annotations

from typing import Any

import pytest

import contracts.consumer as consumer
from contracts.consumer import ContractValidator

JSON = {"content-type": "application/json"}
COMPANIES = "/api/v2.0/companies"
BAD = b'{"value": [{"id": 1}]}'
GOOD = b'{"value": []}'


@pytest.fixture(scope="module")
def validator() -> ContractValidator:
    return ContractValidator(["erp"])


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies the check decodes."""
    seen: list[bytes] = []
    decode = consumer._decode

    def counted(kind: str, content: bytes) -> Any:
        seen.append(content)
        return decode(kind, content)

    monkeypatch.setattr(consumer, "_decode", counted)
    return seen


def test_an_answer_seen_again_gets_the_same_violations_unread(
    validator: ContractValidator, reads: list[bytes]
) -> None:
    validator._verdicts.clear()
    validator._verdict_bytes = 0
    first = validator.response_violations("erp", "GET", COMPANIES, 200, JSON, BAD)
    again = validator.response_violations("erp", "GET", COMPANIES, 200, JSON, BAD)
    fresh = ContractValidator(["erp"]).response_violations("erp", "GET", COMPANIES, 200, JSON, BAD)
    assert first and first == again == fresh
    assert again is not first  # a caller's list of its own
    assert reads.count(BAD) == 2  # the first check and the fresh validator's, not the repeat
    assert validator.response_violations("erp", "GET", COMPANIES, 200, JSON, GOOD) == []


def test_what_the_verdict_depends_on_is_checked_anew(
    validator: ContractValidator, reads: list[bytes]
) -> None:
    validator.response_violations("erp", "GET", COMPANIES, 200, JSON, BAD)
    reads.clear()
    # another status: the contract's 401, another schema
    unauthorized = validator.check_response("erp", "GET", COMPANIES, 401, JSON, BAD)
    assert any('"error" is a required property' in text for text in unauthorized)
    # another media type: not declared
    found = validator.check_response("erp", "GET", COMPANIES, 200, {"content-type": "text/x"}, BAD)
    assert found == [f"GET {COMPANIES}: 200 with an undeclared text/x body"]
    # another operation answering the same bytes
    other = f"{COMPANIES}(c1)/customers"
    assert validator.response_violations("erp", "GET", other, 200, JSON, BAD)
    assert reads == [BAD, BAD]  # the 401 and the other operation, each read


def test_the_kept_verdicts_stay_within_their_bound(
    validator: ContractValidator, reads: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer, "_KEPT_BYTES", 200)
    validator._verdicts.clear()
    validator._verdict_bytes = 0
    bodies = [b'{"value": [{"id": %d}]}' % k for k in range(20)]  # 22-23 bytes each
    for body in bodies:
        assert validator.response_violations("erp", "GET", COMPANIES, 200, JSON, body)
        kept = sum(len(key[2]) + len(key[5]) for key in validator._verdicts)  # path, body
        assert validator._verdict_bytes == kept <= 200
    assert len(validator._verdicts) == 4  # the newest four (19 + 22 or 23 bytes each)
    reads.clear()
    validator.response_violations("erp", "GET", COMPANIES, 200, JSON, bodies[-1])
    validator.response_violations("erp", "GET", COMPANIES, 200, JSON, bodies[0])
    assert reads == [bodies[0]]  # the oldest was let go: checked again
    big = b'{"value": [' + b'{"id": "x"},' * 50 + b'{"id": 1}]}'  # over 512 bytes: never kept
    assert validator.response_violations("erp", "GET", COMPANIES, 200, JSON, big)
    assert all(key[5] != big for key in validator._verdicts)
