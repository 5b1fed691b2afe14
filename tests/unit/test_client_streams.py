"""Resuming client streams, driven with a fake stub scripted per connection: an event stream resumes
after the last event (or heartbeat) it saw, or after the start sequence the server announced; never
yields an event twice; reconnects only after UNAVAILABLE or SUBSCRIBER_TOO_SLOW, gives up after
stream_reconnects_max reconnects in a row that received nothing, and cancels the open call when the
reader stops. watch_member reconnects the same way, with a fresh snapshot."""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from loyalty.client.calls import CallSettings
from loyalty.client.errors import (
    STATUS_DETAILS_KEY,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from loyalty.client.retry import RetryPolicy
from loyalty.client.streams import START_SEQUENCE_HEADER, EventStream, watch_member
from loyalty.v1 import subscription_pb2

POLICY = RetryPolicy(attempts_max=3, backoff_initial_ms=100, backoff_max_ms=1_000, stream_reconnects_max=3)
SEED = 5


def _error(code: grpc.StatusCode, reason: str = "") -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata()
    if reason:
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="loyalty.v1"))
        status = status_pb2.Status(code=code.value[0], message="x", details=[packed])
        trailing = grpc.aio.Metadata((STATUS_DETAILS_KEY, status.SerializeToString()))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, "msg")


UNAVAILABLE = _error(grpc.StatusCode.UNAVAILABLE)
DENIED = _error(grpc.StatusCode.PERMISSION_DENIED)


def event(sequence: int) -> subscription_pb2.StreamEventsResponse:
    return subscription_pb2.StreamEventsResponse(
        event=subscription_pb2.Event(sequence=sequence, event_id=f"evt-{sequence}")
    )


def heartbeat(sequence: int) -> subscription_pb2.StreamEventsResponse:
    return subscription_pb2.StreamEventsResponse(heartbeat=subscription_pb2.Heartbeat(sequence=sequence))


def member_heartbeat(sequence: int) -> subscription_pb2.WatchMemberResponse:
    return subscription_pb2.WatchMemberResponse(heartbeat=subscription_pb2.Heartbeat(sequence=sequence))


def snapshot(sequence: int) -> subscription_pb2.WatchMemberResponse:
    return subscription_pb2.WatchMemberResponse(
        snapshot=subscription_pb2.MemberSnapshot(member_id="mem_1", sequence=sequence)
    )


class FakeStreamCall:
    """One connection: its header, then its items; an exception among them ends it with that error."""

    def __init__(
        self, *items: object, start: str | None = None, header_error: Exception | None = None
    ) -> None:
        self._items = items
        self._start = start
        self._header_error = header_error
        self.cancelled = False
        self.read = 0

    async def initial_metadata(self) -> grpc.aio.Metadata:
        if self._header_error is not None:
            raise self._header_error
        return grpc.aio.Metadata(*([(START_SEQUENCE_HEADER, self._start)] if self._start is not None else []))

    def cancel(self) -> bool:
        self.cancelled = True
        return True

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for item in self._items:
            if isinstance(item, BaseException):
                raise item
            self.read += 1
            yield item


class FakeStub:
    """Hands out the scripted connections in order, recording each request and its metadata."""

    def __init__(self, *connections: FakeStreamCall) -> None:
        self._connections = list(connections)
        self.calls: list[FakeStreamCall] = []
        self.requests: list[Any] = []
        self.metadata: list[tuple[tuple[str, str], ...]] = []

    def _connect(self, request: Any, metadata: tuple[tuple[str, str], ...]) -> FakeStreamCall:
        assert self._connections, "more connections than scripted"
        copy = type(request)()
        copy.CopyFrom(request)
        self.requests.append(copy)
        self.metadata.append(metadata)
        self.calls.append(self._connections.pop(0))
        return self.calls[-1]

    def StreamEvents(self, request: Any, metadata: tuple[tuple[str, str], ...] = ()) -> FakeStreamCall:
        return self._connect(request, metadata)

    def WatchMember(self, request: Any, metadata: tuple[tuple[str, str], ...] = ()) -> FakeStreamCall:
        return self._connect(request, metadata)


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Tokens:
    def __init__(self) -> None:
        self.issued = 1
        self.invalidated: list[str] = []

    async def get(self) -> str:
        return f"tok-{self.issued}"

    def invalidate(self, token: str) -> bool:
        self.invalidated.append(token)
        self.issued += 1
        return True


def _settings(policy: RetryPolicy = POLICY, tokens: Tokens | None = None) -> tuple[CallSettings, Sleeps]:
    sleeps = Sleeps()
    settings = CallSettings(
        tokens=tokens, tenant=None, deadline_s=5, retry=policy, rng=random.Random(SEED), sleep=sleeps
    )
    return settings, sleeps


def _after(sequence: int) -> subscription_pb2.StreamEventsRequest:
    return subscription_pb2.StreamEventsRequest(
        after_sequence=sequence, event_types=[subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED], member_id="mem_1"
    )


def _from_now() -> subscription_pb2.StreamEventsRequest:
    return subscription_pb2.StreamEventsRequest(from_now=True)


def _events(
    stub: FakeStub, request: subscription_pb2.StreamEventsRequest, settings: CallSettings
) -> EventStream:
    return EventStream(cast(Any, stub), request, settings)


def _watch(
    stub: FakeStub, request: subscription_pb2.WatchMemberRequest, settings: CallSettings
) -> AsyncGenerator[subscription_pb2.MemberSnapshot, None]:
    return cast(
        AsyncGenerator[subscription_pb2.MemberSnapshot, None],
        watch_member(cast(Any, stub), request, settings),
    )


def _expected_waits(*retries: int) -> list[float]:
    rng = random.Random(SEED)
    return [POLICY.backoff_ms(retry, rng) / 1000 for retry in retries]


async def _read_until_error(items: AsyncIterator[Any], error_class: type[Exception]) -> list[int]:
    """The sequences read before the stream raised `error_class` (that very class, not a subclass)."""
    sequences: list[int] = []

    async def read() -> None:
        async for item in items:
            sequences.append(item.sequence)

    with pytest.raises(error_class) as raised:
        await read()
    assert type(raised.value) is error_class
    return sequences


# --- resuming ------------------------------------------------------------------------------------


async def test_resumes_after_the_last_event_after_unavailable() -> None:
    stub = FakeStub(FakeStreamCall(event(11), event(12), UNAVAILABLE), FakeStreamCall(event(13), DENIED))
    settings, sleeps = _settings()
    stream = _events(stub, _after(10), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [11, 12, 13]
    assert [request.after_sequence for request in stub.requests] == [10, 12]
    assert [request.WhichOneof("start") for request in stub.requests] == ["after_sequence"] * 2
    # The rest of the request is kept on every connection.
    assert all(request.member_id == "mem_1" for request in stub.requests)
    assert [list(request.event_types) for request in stub.requests] == [[1], [1]]
    assert stream.cursor == 13
    assert stream.reconnects == 1
    assert sleeps.waits == _expected_waits(0)
    assert [call.cancelled for call in stub.calls] == [True, True]


async def test_a_stream_the_server_ends_without_error_is_resumed() -> None:
    stub = FakeStub(FakeStreamCall(event(1)), FakeStreamCall(event(2), DENIED))
    settings, sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [1, 2]
    assert [request.after_sequence for request in stub.requests] == [0, 1]
    assert len(sleeps.waits) == 1


async def test_a_stream_from_now_learns_its_start_from_the_header() -> None:
    stub = FakeStub(FakeStreamCall(UNAVAILABLE, start="41"), FakeStreamCall(event(42), DENIED, start="50"))
    settings, _sleeps = _settings()
    stream = _events(stub, _from_now(), settings)
    assert stream.cursor is None
    assert await _read_until_error(aiter(stream), PermissionDenied) == [42]
    assert stub.requests[0].WhichOneof("start") == "from_now"
    # Cut before the first event: the second connection starts where the first one would have.
    assert stub.requests[1].WhichOneof("start") == "after_sequence"
    assert stub.requests[1].after_sequence == 41
    assert stream.cursor == 42


async def test_the_header_is_ignored_when_the_cursor_is_known() -> None:
    stub = FakeStub(FakeStreamCall(UNAVAILABLE, start="99"), FakeStreamCall(DENIED, start="99"))
    settings, _sleeps = _settings()
    stream = _events(stub, _after(10), settings)
    await _read_until_error(aiter(stream), PermissionDenied)
    assert [request.after_sequence for request in stub.requests] == [10, 10]


async def test_an_unreadable_header_leaves_the_stream_starting_from_now() -> None:
    stub = FakeStub(FakeStreamCall(UNAVAILABLE, start="soon"), FakeStreamCall(DENIED))
    settings, _sleeps = _settings()
    stream = _events(stub, _from_now(), settings)
    await _read_until_error(aiter(stream), PermissionDenied)
    assert stream.cursor is None
    assert [request.WhichOneof("start") for request in stub.requests] == ["from_now", "from_now"]


async def test_a_failure_before_the_header_is_resumed() -> None:
    stub = FakeStub(FakeStreamCall(header_error=UNAVAILABLE), FakeStreamCall(event(8), DENIED, start="7"))
    settings, sleeps = _settings()
    stream = _events(stub, _from_now(), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [8]
    assert len(sleeps.waits) == 1
    assert stub.calls[0].cancelled is True


async def test_a_heartbeat_advances_the_cursor() -> None:
    stub = FakeStub(FakeStreamCall(heartbeat(20), UNAVAILABLE), FakeStreamCall(event(21), DENIED))
    settings, _sleeps = _settings()
    stream = _events(stub, _after(5), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [21]
    assert [request.after_sequence for request in stub.requests] == [5, 20]


async def test_an_older_heartbeat_does_not_move_the_cursor_back() -> None:
    stub = FakeStub(FakeStreamCall(event(30), heartbeat(12), UNAVAILABLE), FakeStreamCall(DENIED))
    settings, _sleeps = _settings()
    stream = _events(stub, _after(5), settings)
    await _read_until_error(aiter(stream), PermissionDenied)
    assert stub.requests[1].after_sequence == 30
    assert stream.cursor == 30


async def test_an_event_at_or_before_the_cursor_is_dropped() -> None:
    stub = FakeStub(
        FakeStreamCall(event(11), event(11), event(9), event(10), event(12), UNAVAILABLE),
        FakeStreamCall(event(12), event(13), DENIED),  # a server replaying 12 after the reconnect
    )
    settings, _sleeps = _settings()
    stream = _events(stub, _after(10), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [11, 12, 13]


# --- which errors reconnect ----------------------------------------------------------------------


async def test_a_subscriber_too_slow_reconnects_from_the_cursor() -> None:
    too_slow = _error(grpc.StatusCode.RESOURCE_EXHAUSTED, "SUBSCRIBER_TOO_SLOW")
    stub = FakeStub(FakeStreamCall(event(3), too_slow), FakeStreamCall(event(4), DENIED))
    settings, sleeps = _settings()
    stream = _events(stub, _after(2), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [3, 4]
    assert [request.after_sequence for request in stub.requests] == [2, 3]
    assert len(sleeps.waits) == 1


@pytest.mark.parametrize(
    ("error", "error_class"),
    [
        (_error(grpc.StatusCode.PERMISSION_DENIED), PermissionDenied),
        (_error(grpc.StatusCode.OUT_OF_RANGE, "CURSOR_EXPIRED"), OutOfRange),
        (_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED"), ResourceExhausted),
        (_error(grpc.StatusCode.RESOURCE_EXHAUSTED), ResourceExhausted),
    ],
)
async def test_other_errors_are_raised_at_once_typed(error: grpc.aio.AioRpcError, error_class: type) -> None:
    stub = FakeStub(FakeStreamCall(event(1), error))
    settings, sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    assert await _read_until_error(aiter(stream), error_class) == [1]
    assert len(stub.calls) == 1
    assert stub.calls[0].cancelled is True
    assert sleeps.waits == []
    assert stream.cursor == 1


async def test_gives_up_after_stream_reconnects_max_empty_reconnects() -> None:
    stub = FakeStub(*[FakeStreamCall(UNAVAILABLE) for _ in range(POLICY.stream_reconnects_max + 1)])
    settings, sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    assert await _read_until_error(aiter(stream), Unavailable) == []
    assert len(stub.calls) == POLICY.stream_reconnects_max + 1
    assert stream.reconnects == POLICY.stream_reconnects_max
    assert sleeps.waits == _expected_waits(0, 1, 2)  # backing off further each time


async def test_the_reconnect_count_resets_after_progress() -> None:
    stub = FakeStub(
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(heartbeat(4), UNAVAILABLE),  # progress: a heartbeat is enough
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(event(5), DENIED),
    )
    settings, sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    assert await _read_until_error(aiter(stream), PermissionDenied) == [5]
    assert len(stub.calls) == 6  # 5 reconnects in all, never 3 empty ones in a row
    assert stream.reconnects == 5
    assert sleeps.waits == _expected_waits(0, 1, 0, 1, 2)  # the backoff starts over too


async def test_unauthenticated_reconnects_once_at_once_with_a_fresh_token() -> None:
    unauthenticated = _error(grpc.StatusCode.UNAUTHENTICATED)
    tokens = Tokens()
    stub = FakeStub(
        FakeStreamCall(unauthenticated), FakeStreamCall(unauthenticated), FakeStreamCall(event(1), DENIED)
    )
    settings, sleeps = _settings(tokens=tokens)
    stream = _events(stub, _after(0), settings)
    assert await _read_until_error(aiter(stream), Unauthenticated) == []
    assert stub.metadata == [(("authorization", "Bearer tok-1"),), (("authorization", "Bearer tok-2"),)]
    assert tokens.invalidated == ["tok-1"]
    assert sleeps.waits == []


async def test_a_refusal_after_progress_gets_a_fresh_token_again() -> None:
    unauthenticated = _error(grpc.StatusCode.UNAUTHENTICATED)
    tokens = Tokens()
    stub = FakeStub(
        FakeStreamCall(unauthenticated),
        FakeStreamCall(event(1), unauthenticated),  # hours later, tok-2 expired in turn
        FakeStreamCall(event(2), DENIED),
    )
    settings, sleeps = _settings(tokens=tokens)
    assert await _read_until_error(aiter(_events(stub, _after(0), settings)), PermissionDenied) == [1, 2]
    assert [metadata[0][1] for metadata in stub.metadata] == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
    assert tokens.invalidated == ["tok-1", "tok-2"]
    assert sleeps.waits == []


async def test_without_a_token_source_no_authorization_is_sent() -> None:
    stub = FakeStub(FakeStreamCall(DENIED))
    settings, _sleeps = _settings()
    await _read_until_error(aiter(_events(stub, _after(0), settings)), PermissionDenied)
    assert stub.metadata == [()]


# --- stopping ------------------------------------------------------------------------------------


async def test_closing_the_iterator_cancels_the_open_call() -> None:
    stub = FakeStub(FakeStreamCall(event(1), event(2), event(3)))
    settings, sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    events = aiter(stream)
    first = await anext(events)
    assert first.sequence == 1
    assert stub.calls[0].cancelled is False
    await events.aclose()
    assert stub.calls[0].cancelled is True
    assert len(stub.calls) == 1
    assert sleeps.waits == []
    assert stream.cursor == 1  # where a later stream continues: after what was read


async def test_a_new_iterator_continues_after_the_last_event_read() -> None:
    stub = FakeStub(FakeStreamCall(event(1), event(2)), FakeStreamCall(event(2), event(3)))
    settings, _sleeps = _settings()
    stream = _events(stub, _after(0), settings)
    first = aiter(stream)
    assert (await anext(first)).sequence == 1
    await first.aclose()
    second = aiter(stream)
    assert (await anext(second)).sequence == 2  # sent before, but never read
    await second.aclose()
    assert [request.after_sequence for request in stub.requests] == [0, 1]


# --- watch_member --------------------------------------------------------------------------------


async def test_watch_member_yields_snapshots_and_reconnects() -> None:
    stub = FakeStub(
        FakeStreamCall(snapshot(1), member_heartbeat(2), snapshot(3), UNAVAILABLE),
        FakeStreamCall(snapshot(3), DENIED),  # after a reconnect: the current snapshot again
    )
    settings, sleeps = _settings()
    request = subscription_pb2.WatchMemberRequest(member_id="mem_1", heartbeat_interval_seconds=15)
    snapshots = _watch(stub, request, settings)
    assert await _read_until_error(snapshots, PermissionDenied) == [1, 3, 3]
    assert stub.requests == [request, request]
    assert sleeps.waits == _expected_waits(0)
    assert [call.cancelled for call in stub.calls] == [True, True]


async def test_watch_member_gives_up_after_stream_reconnects_max() -> None:
    stub = FakeStub(*[FakeStreamCall(UNAVAILABLE) for _ in range(POLICY.stream_reconnects_max + 1)])
    settings, sleeps = _settings()
    snapshots = _watch(stub, subscription_pb2.WatchMemberRequest(member_id="mem_1"), settings)
    assert await _read_until_error(snapshots, Unavailable) == []
    assert len(stub.calls) == POLICY.stream_reconnects_max + 1
    assert sleeps.waits == _expected_waits(0, 1, 2)


async def test_watch_member_counts_reconnects_from_its_last_snapshot() -> None:
    stub = FakeStub(
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(snapshot(1), UNAVAILABLE),
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(UNAVAILABLE),
        FakeStreamCall(snapshot(2), DENIED),
    )
    settings, sleeps = _settings()
    snapshots = _watch(stub, subscription_pb2.WatchMemberRequest(member_id="mem_1"), settings)
    assert await _read_until_error(snapshots, PermissionDenied) == [1, 2]
    assert sleeps.waits == _expected_waits(0, 1, 0, 1, 2)


async def test_closing_watch_member_cancels_the_open_call() -> None:
    stub = FakeStub(FakeStreamCall(snapshot(1), snapshot(2)))
    settings, _sleeps = _settings()
    snapshots = _watch(stub, subscription_pb2.WatchMemberRequest(member_id="mem_1"), settings)
    assert (await anext(snapshots)).sequence == 1
    await snapshots.aclose()
    assert stub.calls[0].cancelled is True


async def test_a_token_renewal_failing_while_reconnecting_is_one_more_failed_connection() -> None:
    """The server (and its token endpoint) is down when the token is due: the stream waits and
    reconnects, it does not end."""

    class FlakyTokens(Tokens):
        def __init__(self) -> None:
            super().__init__()
            self.gets = 0

        async def get(self) -> str:
            self.gets += 1
            if self.gets == 2:
                raise _error(grpc.StatusCode.UNAVAILABLE)
            return await super().get()

    stub = FakeStub(FakeStreamCall(event(1), UNAVAILABLE), FakeStreamCall(event(2)))
    settings, sleeps = _settings(tokens=FlakyTokens())
    events = aiter(_events(stub, _after(0), settings))
    assert [(await anext(events)).sequence for _ in range(2)] == [1, 2]
    assert len(stub.calls) == 2  # no call was opened while the token could not be had
    assert sleeps.waits == _expected_waits(0, 1)
