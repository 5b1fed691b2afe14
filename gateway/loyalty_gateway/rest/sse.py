"""Server-streaming RPCs as Server-Sent Events.

Each stream message becomes one SSE event: `event:` is the name of the item set in the message's
oneof (event, heartbeat, snapshot), `data:` its JSON, and `id:` its sequence, so a browser's
EventSource resumes by itself: its Last-Event-ID header becomes `after_sequence`. A failure before
the stream starts is an ordinary HTTP error; one after it is an `error` event carrying the
google.rpc.Status, then the end of the stream. On shutdown every stream ends with an `error` event
(UNAVAILABLE) at once, so neither side waits for the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import Message
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from loyalty_gateway.rest.transcode import response_json
from loyalty_gateway.rpc_errors import RpcFailure, gateway_failure

RETRY_MS = 3000  # how long a browser waits before reconnecting
LAST_EVENT_ID_LENGTH_MAX = 20
STREAMS_OPEN_MAX = 10_000  # beyond this a new stream is refused (503) rather than starving the process


class OpenStreams:
    """The streams this gateway is serving, so shutdown can end them all at once."""

    def __init__(self) -> None:
        self.closing = asyncio.Event()
        self.count = 0


async def stream_response(
    open_streams: OpenStreams,
    stub_method: Callable[..., Any],
    message: Message,
    metadata: tuple[tuple[str, str], ...],
    request: Request,
    *,
    headers_timeout_s: float,
) -> Response:
    try:
        _resume_from(message, request.headers.get("last-event-id"))
    except ValueError as exc:
        return gateway_failure(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_LAST_EVENT_ID", str(exc)).response()
    if open_streams.closing.is_set() or open_streams.count >= STREAMS_OPEN_MAX:
        return gateway_failure(grpc.StatusCode.UNAVAILABLE, "TOO_MANY_STREAMS", "try again later").response()
    call = stub_method(message, metadata=metadata)  # no deadline: a stream lives as long as its client
    failure = await _refused(call, headers_timeout_s)
    if failure is not None:
        return failure.response()
    return StreamingResponse(
        _events(open_streams, call),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def _resume_from(message: Message, last_event_id: str | None) -> None:
    """Last-Event-ID beats the query: a reconnecting EventSource repeats the first URL."""
    if last_event_id is None or "after_sequence" not in message.DESCRIPTOR.fields_by_name:
        return
    text = last_event_id.strip()
    if not text.isdigit() or len(text) > LAST_EVENT_ID_LENGTH_MAX:
        raise ValueError(f"Last-Event-ID must be an event sequence number, got {text[:40]!r}")
    message.after_sequence = int(text)  # type: ignore[attr-defined]


async def _refused(call: Any, timeout_s: float) -> RpcFailure | None:
    """The call's failure when it ended before sending headers (bad request, no credentials...)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await call.initial_metadata()
    if not call.done():
        return None
    code = await call.code()
    if code is grpc.StatusCode.OK:
        return None
    error = grpc.aio.AioRpcError(
        code, await call.initial_metadata(), await call.trailing_metadata(), await call.details()
    )
    return RpcFailure.of(error)


async def _events(open_streams: OpenStreams, call: Any) -> AsyncIterator[str]:
    open_streams.count += 1
    closing = asyncio.ensure_future(open_streams.closing.wait())
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            read = asyncio.ensure_future(call.read())
            await asyncio.wait({read, closing}, return_when=asyncio.FIRST_COMPLETED)
            if not read.done():
                read.cancel()
                shutting_down = gateway_failure(
                    grpc.StatusCode.UNAVAILABLE, "SERVER_SHUTTING_DOWN", "reconnect with Last-Event-ID"
                )
                yield format_event("error", shutting_down.as_json())
                return
            try:
                item = read.result()
            except grpc.aio.AioRpcError as exc:
                yield format_event("error", RpcFailure.of(exc).as_json())
                return
            if item is grpc.aio.EOF:
                return
            yield _format_item(item)
    finally:
        open_streams.count -= 1
        closing.cancel()
        call.cancel()


def _format_item(item: Message) -> str:
    """The oneof's set member: its name is the event name, its sequence the event id."""
    oneofs = item.DESCRIPTOR.oneofs
    name = item.WhichOneof(oneofs[0].name) if oneofs else None
    payload = getattr(item, name) if name else item
    sequence = getattr(payload, "sequence", 0) if "sequence" in payload.DESCRIPTOR.fields_by_name else 0
    return format_event(
        name or "message", response_json(payload), event_id=str(sequence) if sequence else None
    )


def format_event(name: str, data: dict[str, Any], *, event_id: str | None = None) -> str:
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))  # one line: no newline in compact JSON
    return "\n".join(lines) + "\n\n"
