"""The client's interceptors, driven with a fake continuation: bearer token and tenant on every call
(a caller's own kept), the default deadline on unary calls only, idempotent calls retried on
UNAVAILABLE / DEADLINE_EXCEEDED up to attempts_max with the policy's waits, others raised at once as
typed errors, and one retry with a fresh token after UNAUTHENTICATED."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from loyalty.client.calls import OPEN_METHODS, CallSettings, StreamCalls, UnaryCalls
from loyalty.client.errors import (
    STATUS_DETAILS_KEY,
    DeadlineExceeded,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
)
from loyalty.client.retry import RetryPolicy
from loyalty.v1 import auth_pb2, ledger_pb2

GET_BALANCE = b"/loyalty.v1.LedgerService/GetBalance"
ENROLL = b"/loyalty.v1.LedgerService/EnrollMember"
EXCHANGE_TOKEN = b"/loyalty.v1.AuthService/ExchangeToken"
STREAM_EVENTS = b"/loyalty.v1.SubscriptionService/StreamEvents"
POLICY = RetryPolicy(attempts_max=4, backoff_initial_ms=100, backoff_max_ms=1_000)
SEED = 11
RESPONSE = ledger_pb2.GetBalanceResponse()


def _error(code: grpc.StatusCode, *trailing: tuple[str, str | bytes]) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), "msg")


class FakeCall:
    """What a continuation returns: awaiting it gives the response or raises the call's error."""

    def __init__(self, outcome: object) -> None:
        self._outcome = outcome

    async def _result(self) -> object:
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def __await__(self) -> Any:
        return self._result().__await__()


class Continuation:
    """Answers each try with the next scripted outcome, recording what it was called with."""

    def __init__(self, *outcomes: object) -> None:
        self._outcomes = list(outcomes)
        self.calls: list[grpc.aio.ClientCallDetails] = []

    async def __call__(self, details: grpc.aio.ClientCallDetails, request: object) -> FakeCall:
        self.calls.append(details)
        assert self._outcomes, "called more often than scripted"
        return FakeCall(self._outcomes.pop(0))

    def authorizations(self) -> list[str | None]:
        return [details.metadata.get("authorization") for details in self.calls]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Tokens:
    """A token source handing out tok-1, then tok-2 after tok-1 is refused, and so on."""

    def __init__(self, renewable: bool = True) -> None:
        self.issued = 1
        self.gets = 0
        self.invalidated: list[str] = []
        self.renewable = renewable

    async def get(self) -> str:
        self.gets += 1
        return f"tok-{self.issued}"

    def invalidate(self, token: str) -> bool:
        self.invalidated.append(token)
        if self.renewable and token == f"tok-{self.issued}":
            self.issued += 1
        return self.renewable


def _settings(tokens: Tokens | None = None, tenant: str | None = "acme") -> tuple[CallSettings, Sleeps]:
    sleeps = Sleeps()
    settings = CallSettings(
        tokens=tokens, tenant=tenant, deadline_s=7.5, retry=POLICY, rng=random.Random(SEED), sleep=sleeps
    )
    return settings, sleeps


def _details(
    method: bytes = GET_BALANCE, timeout: float | None = None, metadata: grpc.aio.Metadata | None = None
) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(method, timeout, metadata or grpc.aio.Metadata(), None, None)


def _expected_waits(count: int, retry_delay_ms: int | None = None) -> list[float]:
    rng = random.Random(SEED)
    delay = dt.timedelta(milliseconds=retry_delay_ms) if retry_delay_ms is not None else None
    return [POLICY.backoff_ms(retry, rng, delay) / 1000 for retry in range(count)]


async def _unary(
    settings: CallSettings, continuation: Continuation, details: grpc.aio.ClientCallDetails, request: object
) -> object:
    call = await UnaryCalls(settings).intercept_unary_unary(continuation, details, request)
    return await call


# --- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
async def test_an_idempotent_call_is_retried_until_it_succeeds(code: grpc.StatusCode) -> None:
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(_error(code), _error(code), RESPONSE)
    assert await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest()) is RESPONSE
    assert len(continuation.calls) == 3
    assert sleeps.waits == _expected_waits(2)
    assert 0.05 <= sleeps.waits[0] <= 0.1
    assert 0.1 <= sleeps.waits[1] <= 0.2


@pytest.mark.parametrize(
    ("code", "error_class"),
    [(grpc.StatusCode.UNAVAILABLE, Unavailable), (grpc.StatusCode.DEADLINE_EXCEEDED, DeadlineExceeded)],
)
async def test_retries_stop_at_attempts_max_with_the_typed_error(
    code: grpc.StatusCode, error_class: type[Exception]
) -> None:
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(*[_error(code)] * POLICY.attempts_max)
    request = ledger_pb2.EnrollMemberRequest(request_id="r-1")
    with pytest.raises(error_class) as raised:
        await _unary(settings, continuation, _details(ENROLL), request)
    assert type(raised.value) is error_class
    assert len(continuation.calls) == POLICY.attempts_max
    assert sleeps.waits == _expected_waits(POLICY.attempts_max - 1)


async def test_a_write_without_request_id_is_not_retried() -> None:
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(_error(grpc.StatusCode.UNAVAILABLE))
    with pytest.raises(Unavailable):
        await _unary(settings, continuation, _details(ENROLL), ledger_pb2.EnrollMemberRequest())
    assert len(continuation.calls) == 1
    assert sleeps.waits == []


async def test_invalid_argument_is_not_retried() -> None:
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(_error(grpc.StatusCode.INVALID_ARGUMENT))
    with pytest.raises(InvalidArgument):
        await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert len(continuation.calls) == 1
    assert sleeps.waits == []


async def test_the_servers_retry_delay_is_waited() -> None:
    status = status_pb2.Status(code=14, message="busy")
    packed = any_pb2.Any()
    packed.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=800_000_000)))
    status.details.append(packed)
    busy = _error(grpc.StatusCode.UNAVAILABLE, (STATUS_DETAILS_KEY, status.SerializeToString()))
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(busy, RESPONSE)
    assert await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest()) is RESPONSE
    assert sleeps.waits == [0.8]


async def test_a_client_credentials_token_exchange_is_retried() -> None:
    settings, sleeps = _settings(Tokens())
    continuation = Continuation(_error(grpc.StatusCode.UNAVAILABLE), RESPONSE)
    request = auth_pb2.ExchangeTokenRequest(grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS)
    assert await _unary(settings, continuation, _details(EXCHANGE_TOKEN), request) is RESPONSE
    assert len(sleeps.waits) == 1


# --- re-authentication ---------------------------------------------------------------------------


async def test_unauthenticated_invalidates_the_token_and_retries_once_with_a_fresh_one() -> None:
    tokens = Tokens()
    settings, sleeps = _settings(tokens)
    continuation = Continuation(_error(grpc.StatusCode.UNAUTHENTICATED), RESPONSE)
    # A write without request_id: the refused try did nothing, so even it is tried again.
    request = ledger_pb2.EnrollMemberRequest()
    assert await _unary(settings, continuation, _details(ENROLL), request) is RESPONSE
    assert tokens.invalidated == ["tok-1"]
    assert continuation.authorizations() == ["Bearer tok-1", "Bearer tok-2"]
    assert sleeps.waits == []  # at once


async def test_a_second_unauthenticated_is_final() -> None:
    tokens = Tokens()
    settings, _sleeps = _settings(tokens)
    continuation = Continuation(
        _error(grpc.StatusCode.UNAUTHENTICATED), _error(grpc.StatusCode.UNAUTHENTICATED)
    )
    with pytest.raises(Unauthenticated):
        await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert tokens.invalidated == ["tok-1"]
    assert len(continuation.calls) == 2


async def test_a_token_that_cannot_be_renewed_is_not_tried_again() -> None:
    tokens = Tokens(renewable=False)
    settings, _sleeps = _settings(tokens)
    continuation = Continuation(_error(grpc.StatusCode.UNAUTHENTICATED))
    with pytest.raises(Unauthenticated):
        await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert len(continuation.calls) == 1


async def test_unauthenticated_without_a_token_source_is_raised_at_once() -> None:
    settings, _sleeps = _settings(tokens=None)
    continuation = Continuation(_error(grpc.StatusCode.UNAUTHENTICATED))
    with pytest.raises(Unauthenticated):
        await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert len(continuation.calls) == 1


async def test_the_re_authenticated_try_does_not_use_up_a_retry() -> None:
    settings, sleeps = _settings(Tokens())
    unavailable = _error(grpc.StatusCode.UNAVAILABLE)
    continuation = Continuation(
        unavailable, _error(grpc.StatusCode.UNAUTHENTICATED), *[unavailable] * (POLICY.attempts_max - 1)
    )
    with pytest.raises(Unavailable):
        await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert len(continuation.calls) == POLICY.attempts_max + 1
    assert sleeps.waits == _expected_waits(POLICY.attempts_max - 1)


# --- metadata and deadlines ----------------------------------------------------------------------


async def test_the_token_and_the_tenant_are_sent() -> None:
    settings, _sleeps = _settings(Tokens(), tenant="acme")
    continuation = Continuation(RESPONSE)
    await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    metadata = continuation.calls[0].metadata
    assert metadata.get_all("authorization") == ["Bearer tok-1"]
    assert metadata.get_all("x-loyalty-tenant") == ["acme"]


async def test_the_callers_own_authorization_tenant_and_other_metadata_are_kept() -> None:
    settings, _sleeps = _settings(Tokens(), tenant="acme")
    continuation = Continuation(RESPONSE)
    mine = grpc.aio.Metadata(
        ("authorization", "Bearer mine"), ("x-loyalty-tenant", "other"), ("x-trace", "t-1")
    )
    await _unary(settings, continuation, _details(metadata=mine), ledger_pb2.GetBalanceRequest())
    metadata = continuation.calls[0].metadata
    assert metadata.get_all("authorization") == ["Bearer mine"]
    assert metadata.get_all("x-loyalty-tenant") == ["other"]
    assert metadata.get_all("x-trace") == ["t-1"]


async def test_no_tenant_and_no_token_source_add_nothing() -> None:
    settings, _sleeps = _settings(tokens=None, tenant=None)
    continuation = Continuation(RESPONSE)
    await _unary(settings, continuation, _details(), ledger_pb2.GetBalanceRequest())
    assert list(continuation.calls[0].metadata) == []


@pytest.mark.parametrize("method", sorted(OPEN_METHODS))
async def test_open_methods_get_no_token_and_do_not_ask_for_one(method: str) -> None:
    tokens = Tokens()
    settings, _sleeps = _settings(tokens)
    continuation = Continuation(RESPONSE)
    full_method = f"/loyalty.v1.AuthService/{method}".encode()
    await _unary(settings, continuation, _details(full_method), auth_pb2.ExchangeTokenRequest())
    assert "authorization" not in continuation.calls[0].metadata
    assert continuation.calls[0].metadata.get_all("x-loyalty-tenant") == ["acme"]
    assert tokens.gets == 0


async def test_the_default_deadline_is_set_when_the_caller_gave_none() -> None:
    settings, _sleeps = _settings(Tokens())
    continuation = Continuation(RESPONSE)
    await _unary(settings, continuation, _details(timeout=None), ledger_pb2.GetBalanceRequest())
    assert continuation.calls[0].timeout == 7.5


async def test_the_callers_own_timeout_is_kept_on_every_try() -> None:
    settings, _sleeps = _settings(Tokens())
    continuation = Continuation(_error(grpc.StatusCode.UNAVAILABLE), RESPONSE)
    await _unary(settings, continuation, _details(timeout=0.25), ledger_pb2.GetBalanceRequest())
    assert [details.timeout for details in continuation.calls] == [0.25, 0.25]


async def test_the_method_and_call_options_are_passed_through() -> None:
    settings, _sleeps = _settings(Tokens())
    continuation = Continuation(RESPONSE)
    details = grpc.aio.ClientCallDetails(GET_BALANCE, None, grpc.aio.Metadata(), None, True)
    await _unary(settings, continuation, details, ledger_pb2.GetBalanceRequest())
    assert continuation.calls[0].method == GET_BALANCE
    assert continuation.calls[0].wait_for_ready is True


async def test_the_callers_metadata_is_not_modified() -> None:
    settings, _sleeps = _settings(Tokens())
    mine = grpc.aio.Metadata(("x-trace", "t-1"))
    await _unary(settings, Continuation(RESPONSE), _details(metadata=mine), ledger_pb2.GetBalanceRequest())
    assert list(mine) == [("x-trace", "t-1")]


# --- streams -------------------------------------------------------------------------------------


async def test_a_stream_gets_the_token_and_tenant_but_no_deadline() -> None:
    settings, _sleeps = _settings(Tokens())
    recorded: list[grpc.aio.ClientCallDetails] = []
    stream_call = object()

    async def continuation(details: grpc.aio.ClientCallDetails, request: object) -> object:
        recorded.append(details)
        return stream_call

    result = await StreamCalls(settings).intercept_unary_stream(
        continuation, _details(STREAM_EVENTS), object()
    )
    assert result is stream_call
    assert recorded[0].timeout is None
    assert recorded[0].metadata.get_all("authorization") == ["Bearer tok-1"]
    assert recorded[0].metadata.get_all("x-loyalty-tenant") == ["acme"]


async def test_a_streams_own_timeout_is_kept() -> None:
    settings, _sleeps = _settings(Tokens())
    recorded: list[grpc.aio.ClientCallDetails] = []

    async def continuation(details: grpc.aio.ClientCallDetails, request: object) -> object:
        recorded.append(details)
        return None

    await StreamCalls(settings).intercept_unary_stream(
        continuation, _details(STREAM_EVENTS, timeout=3.0), None
    )
    assert recorded[0].timeout == 3.0


def test_settings_need_a_positive_deadline() -> None:
    with pytest.raises(AssertionError):
        CallSettings(tokens=None, tenant=None, deadline_s=0, retry=POLICY)


async def test_a_call_with_its_own_authorization_never_asks_the_token_source() -> None:
    tokens = Tokens()
    settings, _sleeps = _settings(tokens)
    continuation = Continuation(_error(grpc.StatusCode.UNAUTHENTICATED))
    own = grpc.aio.Metadata(("authorization", "Bearer mine"))
    with pytest.raises(Unauthenticated):  # the caller's token is the caller's to renew
        await _unary(settings, continuation, _details(metadata=own), ledger_pb2.GetBalanceRequest())
    assert continuation.authorizations() == ["Bearer mine"]
    assert tokens.gets == 0
    assert tokens.invalidated == []
