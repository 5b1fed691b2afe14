"""Event streams that survive disconnects: StreamEvents resumed from the last cursor, WatchMember
resumed with a fresh snapshot.

The cursor is the sequence of the last event handed to the reader, or a heartbeat's (which the server
vouches skips no matching event). A stream started "from now" learns its starting cursor from the
server's `loyalty-start-sequence` header, so even a disconnect before the first event loses nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from loyalty.client.calls import CallSettings
from loyalty.client.errors import LoyaltyError, typed_error
from loyalty.v1 import subscription_pb2, subscription_pb2_grpc

START_SEQUENCE_HEADER = "loyalty-start-sequence"
STREAM_EVENTS = "/loyalty.v1.SubscriptionService/StreamEvents"
WATCH_MEMBER = "/loyalty.v1.SubscriptionService/WatchMember"
Metadata = tuple[tuple[str, str], ...]


def resumable(error: LoyaltyError) -> bool:
    """A disconnect worth reconnecting after: the server went away or restarted, the network broke,
    or this reader fell behind (it resumes from its cursor, nothing is lost)."""
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return True
    return error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and error.reason == "SUBSCRIBER_TOO_SLOW"


class _Reconnects:
    """Counts reconnects in a row that received nothing, and waits before each."""

    def __init__(self, settings: CallSettings) -> None:
        self._settings = settings
        self._failures = 0
        self._reauthenticated = False

    def progressed(self) -> None:
        self._failures = 0
        self._reauthenticated = False

    async def after(self, error: LoyaltyError, token: str) -> None:
        """Wait before the next connection, or raise `error` when it is not worth one."""
        unauthenticated = error.code() == grpc.StatusCode.UNAUTHENTICATED
        if unauthenticated and not self._reauthenticated and self._settings.refused(token):
            self._reauthenticated = True  # a fresh token, at once; a second refusal is final
            return
        if not resumable(error) or self._failures >= self._settings.retry.stream_reconnects_max:
            raise error
        wait_ms = self._settings.retry.backoff_ms(self._failures, self._settings.rng, error.retry_delay)
        self._failures += 1
        await self._settings.sleep(wait_ms / 1000)


class EventStream:
    """`async for event in stream` yields `Event`s, reconnecting by itself; `cursor` is where a later
    stream should start (`after_sequence`) to continue exactly after the last event read."""

    def __init__(
        self,
        stub: subscription_pb2_grpc.SubscriptionServiceStub,
        request: subscription_pb2.StreamEventsRequest,
        settings: CallSettings,
    ) -> None:
        self._stub = stub
        self._request = request
        self._settings = settings
        start = request.WhichOneof("start")
        self.cursor: int | None = request.after_sequence if start == "after_sequence" else None
        self.reconnects = 0

    def __aiter__(self) -> AsyncIterator[subscription_pb2.Event]:
        return self._follow()

    def _next_request(self) -> subscription_pb2.StreamEventsRequest:
        request = subscription_pb2.StreamEventsRequest()
        request.CopyFrom(self._request)
        if self.cursor is not None:
            request.after_sequence = self.cursor
        return request

    async def _follow(self) -> AsyncIterator[subscription_pb2.Event]:
        def connect(metadata: Metadata) -> Any:
            return self._stub.StreamEvents(self._next_request(), metadata=metadata)

        # aclosing: a reader that stops closes the connection now, not when the GC finds it.
        async with contextlib.aclosing(
            _reconnecting(self._settings, STREAM_EVENTS, connect, self._connected)
        ) as items:
            async for item in items:
                if item.WhichOneof("item") == "event":
                    if self.cursor is not None and item.event.sequence <= self.cursor:
                        continue  # never twice, whatever happens on the wire
                    self.cursor = item.event.sequence
                    yield item.event
                else:
                    self.cursor = max(self.cursor or 0, item.heartbeat.sequence)

    async def _connected(self, call: Any, connection: int) -> None:
        self.reconnects = connection
        if self.cursor is not None:
            return
        for key, value in await call.initial_metadata() or ():
            if key == START_SEQUENCE_HEADER:
                with contextlib.suppress(ValueError):
                    self.cursor = int(value)


async def watch_member(
    stub: subscription_pb2_grpc.SubscriptionServiceStub,
    request: subscription_pb2.WatchMemberRequest,
    settings: CallSettings,
) -> AsyncIterator[subscription_pb2.MemberSnapshot]:
    """The member's snapshots, the current one first; after a reconnect, the current one again (a
    snapshot is a whole state, so nothing in between matters)."""

    def connect(metadata: Metadata) -> Any:
        return stub.WatchMember(request, metadata=metadata)

    async with contextlib.aclosing(_reconnecting(settings, WATCH_MEMBER, connect)) as items:
        async for item in items:
            if item.WhichOneof("item") == "snapshot":
                yield item.snapshot


async def _reconnecting(
    settings: CallSettings,
    method: str,
    connect: Callable[[Metadata], Any],
    connected: Callable[[Any, int], Awaitable[None]] | None = None,
) -> AsyncIterator[Any]:
    """The items of a server stream over as many connections as it takes. `connect` opens the call
    (it builds the request afresh, from the latest cursor); `connected(call, n)` runs on the n-th
    connection (0 = the first) before its items are read."""
    reconnects = _Reconnects(settings)
    connection = 0
    while True:
        token, call = "", None
        try:
            # Inside the try: a token renewal that fails while the server is down is one more
            # failed connection, not the end of the stream.
            token = await settings.token_for(method)
            call = connect(_bearer(token))
            if connected is not None:
                await connected(call, connection)
            async for item in call:
                reconnects.progressed()
                yield item
            # The server closed the stream without an error (it does not, short of shutting down):
            # treat it as a disconnect.
            failure = typed_error(_closed())
        except grpc.aio.AioRpcError as error:
            failure = typed_error(error)
        finally:
            if call is not None:
                call.cancel()
        await reconnects.after(failure, token)
        connection += 1


def _bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),) if token else ()


def _closed() -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, None, None, "the server closed the stream")
