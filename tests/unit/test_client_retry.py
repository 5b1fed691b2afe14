"""The client's retry rules: jittered exponential backoff within [50 %, 100 %] of a capped ceiling (a
server's RetryInfo honoured, within the cap); only reads and writes carrying a request_id are sent
twice; only UNAVAILABLE and DEADLINE_EXCEEDED are retried, and only up to attempts_max."""

from __future__ import annotations

import datetime as dt
import random

import grpc
import pytest

from loyalty.client.retry import (
    NO_RETRY,
    RETRYABLE_CODES,
    RetryPolicy,
    is_idempotent,
    method_name,
    should_retry,
)
from loyalty.v1 import activity_pb2, auth_pb2, ledger_pb2

POLICY = RetryPolicy(attempts_max=5, backoff_initial_ms=100, backoff_max_ms=5_000, multiplier=2.0)
DRAWS = 300


def _waits(
    policy: RetryPolicy, retry: int, seed: int = 1, server_delay: dt.timedelta | None = None
) -> list[int]:
    rng = random.Random(seed)
    return [policy.backoff_ms(retry, rng, server_delay) for _ in range(DRAWS)]


# --- backoff -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry", "ceiling_ms"),
    [(0, 100), (1, 200), (2, 400), (3, 800), (5, 3_200), (6, 5_000), (7, 5_000), (20, 5_000)],
)
def test_backoff_is_between_half_and_all_of_the_capped_exponential_ceiling(
    retry: int, ceiling_ms: int
) -> None:
    waits = _waits(POLICY, retry)
    assert min(waits) >= ceiling_ms // 2
    assert max(waits) <= ceiling_ms
    # Jittered over most of the range, not a fixed wait.
    assert min(waits) < ceiling_ms * 0.55
    assert max(waits) > ceiling_ms * 0.95


@pytest.mark.parametrize("retry", [33, 1_000, 10**9, 10**100])
def test_huge_retry_numbers_stay_capped_without_overflow(retry: int) -> None:
    waits = _waits(POLICY, retry)
    assert min(waits) >= 2_500
    assert max(waits) <= 5_000


def test_a_multiplier_of_one_keeps_the_initial_ceiling() -> None:
    policy = RetryPolicy(backoff_initial_ms=300, backoff_max_ms=1_000, multiplier=1.0)
    waits = _waits(policy, 25)
    assert min(waits) >= 150
    assert max(waits) <= 300


def test_the_same_seed_gives_the_same_waits() -> None:
    first, second = random.Random(42), random.Random(42)
    waits = [POLICY.backoff_ms(retry, first) for retry in range(8)]
    assert waits == [POLICY.backoff_ms(retry, second) for retry in range(8)]
    expected_first = int(100 * random.Random(42).uniform(0.5, 1.0))
    assert waits[0] == expected_first


def test_a_server_delay_longer_than_the_backoff_is_honoured() -> None:
    assert set(_waits(POLICY, 0, server_delay=dt.timedelta(seconds=2))) == {2_000}
    assert set(_waits(POLICY, 0, server_delay=dt.timedelta(milliseconds=1_234))) == {1_234}


def test_a_server_delay_is_still_capped() -> None:
    assert set(_waits(POLICY, 0, server_delay=dt.timedelta(minutes=1))) == {5_000}
    assert set(_waits(POLICY, 10**9, server_delay=dt.timedelta(days=3))) == {5_000}


def test_a_server_delay_shorter_than_the_backoff_does_not_shorten_it() -> None:
    with_delay = _waits(POLICY, 3, seed=9, server_delay=dt.timedelta(milliseconds=1))
    assert with_delay == _waits(POLICY, 3, seed=9)
    assert min(with_delay) >= 400


def test_backoff_needs_a_retry_number_of_zero_or_more() -> None:
    with pytest.raises(AssertionError):
        POLICY.backoff_ms(-1, random.Random(1))


@pytest.mark.parametrize(
    "invalid",
    [
        {"attempts_max": 0},
        {"backoff_initial_ms": 0},
        {"backoff_initial_ms": 6_000, "backoff_max_ms": 5_000},
        {"multiplier": 0.99},
        {"stream_reconnects_max": 0},
    ],
)
def test_policy_invariants_are_asserted(invalid: dict[str, float]) -> None:
    with pytest.raises(AssertionError):
        RetryPolicy(**invalid)  # type: ignore[arg-type]


def test_boundary_policies_are_valid() -> None:
    policy = RetryPolicy(attempts_max=1, backoff_initial_ms=7, backoff_max_ms=7, stream_reconnects_max=1)
    assert set(_waits(policy, 3)) <= set(range(3, 8))
    assert NO_RETRY.attempts_max == 1


# --- which calls may be sent twice --------------------------------------------------------------


def test_method_name_is_the_last_path_part() -> None:
    assert method_name("/loyalty.v1.LedgerService/GetBalance") == "GetBalance"
    assert method_name(b"/loyalty.v1.LedgerService/GetBalance") == "GetBalance"
    assert method_name("GetBalance") == "GetBalance"


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("/loyalty.v1.LedgerService/GetBalance", ledger_pb2.GetBalanceRequest()),
        (b"/loyalty.v1.LedgerService/GetBalance", ledger_pb2.GetBalanceRequest()),
        ("/loyalty.v1.LedgerService/ListMembers", ledger_pb2.ListMembersRequest()),
        (b"/loyalty.v1.LedgerService/LookupMember", ledger_pb2.LookupMemberRequest()),
        ("/loyalty.v1.ActivityService/SimulatePurchase", activity_pb2.SimulatePurchaseRequest()),
        ("/loyalty.v1.ActivityService/SimulateActivities", activity_pb2.SimulateActivitiesRequest()),
    ],
)
def test_reads_are_idempotent(method: str | bytes, request_message: object) -> None:
    assert is_idempotent(method, request_message) is True


@pytest.mark.parametrize(
    "method", ["/loyalty.v1.LedgerService/EnrollMember", b"/loyalty.v1.LedgerService/EnrollMember"]
)
def test_a_write_is_idempotent_only_with_a_request_id(method: str | bytes) -> None:
    assert is_idempotent(method, ledger_pb2.EnrollMemberRequest(request_id="r-1")) is True
    assert is_idempotent(method, ledger_pb2.EnrollMemberRequest()) is False


def test_a_write_without_a_request_id_field_is_not_idempotent() -> None:
    # BulkAwardPoints has no request_id field at all: never sent twice.
    assert (
        is_idempotent("/loyalty.v1.LedgerService/BulkAwardPoints", ledger_pb2.BulkAwardPointsRequest())
        is False
    )
    assert is_idempotent("/loyalty.v1.AuthService/LoginMember", auth_pb2.LoginMemberRequest()) is False


def test_a_request_that_is_not_a_message_is_not_idempotent() -> None:
    assert is_idempotent("/loyalty.v1.LedgerService/EnrollMember", object()) is False
    assert is_idempotent("/loyalty.v1.LedgerService/EnrollMember", None) is False


@pytest.mark.parametrize(
    ("grant_type", "idempotent"),
    [
        (auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS, True),
        (auth_pb2.GRANT_TYPE_AUTHORIZATION_CODE, False),  # a code is single-use
        (auth_pb2.GRANT_TYPE_REFRESH_TOKEN, False),
        (auth_pb2.GRANT_TYPE_UNSPECIFIED, False),
    ],
)
def test_exchange_token_is_idempotent_only_for_client_credentials(grant_type: int, idempotent: bool) -> None:
    request = auth_pb2.ExchangeTokenRequest(grant_type=grant_type, client_id="svc")  # type: ignore[arg-type]
    assert is_idempotent("/loyalty.v1.AuthService/ExchangeToken", request) is idempotent
    assert is_idempotent(b"/loyalty.v1.AuthService/ExchangeToken", request) is idempotent


# --- when to retry -------------------------------------------------------------------------------


def test_the_retryable_codes_are_exactly_unavailable_and_deadline_exceeded() -> None:
    assert frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}) == RETRYABLE_CODES


@pytest.mark.parametrize("code", list(grpc.StatusCode))
def test_only_retryable_codes_are_retried(code: grpc.StatusCode) -> None:
    expected = code in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
    assert should_retry(code, idempotent=True, attempt=1, policy=POLICY) is expected


@pytest.mark.parametrize("code", sorted(RETRYABLE_CODES, key=lambda code: code.name))
def test_a_non_idempotent_call_is_never_retried(code: grpc.StatusCode) -> None:
    assert should_retry(code, idempotent=False, attempt=1, policy=POLICY) is False


def test_retries_stop_after_attempts_max_tries() -> None:
    unavailable = grpc.StatusCode.UNAVAILABLE
    verdicts = [should_retry(unavailable, idempotent=True, attempt=n, policy=POLICY) for n in range(1, 8)]
    assert verdicts == [True, True, True, True, False, False, False]
    assert should_retry(unavailable, idempotent=True, attempt=1, policy=NO_RETRY) is False


@pytest.mark.parametrize("multiplier", [1.1, 2.0, 5e9])
def test_any_multiplier_reaches_the_cap_without_overflow(multiplier: float) -> None:
    policy = RetryPolicy(backoff_initial_ms=100, backoff_max_ms=5_000, multiplier=multiplier)
    waits = [policy.backoff_ms(retry, random.Random(0)) for retry in (0, 10**3, 10**9)]
    ceilings = [min(5_000, 100 * multiplier**0), 5_000, 5_000]
    expected = [int(ceiling * random.Random(0).uniform(0.5, 1.0)) for ceiling in ceilings]
    assert waits == expected


def test_a_multiplier_of_one_keeps_the_first_wait() -> None:
    policy = RetryPolicy(backoff_initial_ms=100, backoff_max_ms=5_000, multiplier=1.0)
    assert {policy.backoff_ms(retry, random.Random(0)) for retry in (0, 1, 50)} == {
        int(100 * random.Random(0).uniform(0.5, 1.0))
    }
