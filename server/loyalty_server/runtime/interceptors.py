"""The server's one interceptor for every call: a request id, rich errors, and a structured access log.

Servicers stay thin: they raise `DomainError` and this turns it into a gRPC status with ErrorInfo
(and BadRequest for bad fields). Anything unexpected becomes INTERNAL without leaking its text.
The access log names the method, status code, duration and request id; never metadata, so a
bearer token cannot end up in a log line.
The same outcome feeds the metrics (runtime/rpc_metrics.py) and, when tracing is on, the call's span
(runtime/otel_spans.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

from loyalty_server.errors import DomainError
from loyalty_server.logs import log_event, request_id_var
from loyalty_server.runtime.rpc_metrics import MethodRecorder, RpcMetrics
from loyalty_server.runtime.rpc_status import simple_status, to_rpc_status
from loyalty_server.storage.conflicts import is_write_conflict
from loyalty_server.storage.outages import database_outage

if TYPE_CHECKING:  # OpenTelemetry is optional: the tracer arrives built, or not at all
    from loyalty_server.runtime.otel_spans import CallSpan, RpcTracer

logger = logging.getLogger("loyalty.rpc")
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(metadata: tuple[tuple[str, str | bytes], ...] | None) -> str:
    """The caller's x-request-id when it is sane, else a fresh one (never trust it blindly into logs)."""
    for key, value in metadata or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and _REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


class _CallOutcome:
    """What the access log, the metrics and the span say about one call."""

    def __init__(self, method: str, request_id: str, recorder: MethodRecorder | None, *, unary: bool) -> None:
        self.method = method
        self.request_id = request_id
        self.code = grpc.StatusCode.OK
        self.recorder = recorder
        self.unary = unary
        self.span: CallSpan | None = None
        self.started = time.perf_counter()

    def finish(self, context: grpc.aio.ServicerContext) -> None:
        duration_s = time.perf_counter() - self.started
        if self.recorder is not None:
            # A stream's length is how long its client listened, not a latency: counted, not timed.
            self.recorder.record(self.code, duration_s if self.unary else None)
        if self.span is not None:
            self.span.end(self.code)
        duration_ms = round(duration_s * 1000, 3)
        level = logging.ERROR if self.code is grpc.StatusCode.INTERNAL else logging.INFO
        log_event(
            logger,
            "rpc",
            level,
            method=self.method,
            code=self.code.name,
            duration_ms=duration_ms,
            peer=context.peer(),
        )


async def _abort_for(exc: BaseException, outcome: _CallOutcome, context: grpc.aio.ServicerContext) -> None:
    """Map an exception a servicer let escape to a status; always raises."""
    if isinstance(exc, DomainError):
        status = to_rpc_status(exc)
    elif is_write_conflict(exc):
        log_event(logger, "write conflict", logging.WARNING, method=outcome.method, error=type(exc).__name__)
        status = simple_status(
            grpc.StatusCode.ABORTED, "CONCURRENT_UPDATE", "a concurrent write got in the way; retry the call"
        )
    elif (outage := database_outage(exc)) is not None:
        # Down, read-only or full: a condition of the database, not a bug; nothing was committed.
        log_event(logger, "database outage", logging.WARNING, method=outcome.method, reason=outage.reason)
        status = to_rpc_status(outage)
    elif isinstance(exc, NotImplementedError):
        status = simple_status(
            grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED", f"{outcome.method} is not implemented yet"
        )
    else:
        log_event(logger, "unhandled error", logging.ERROR, method=outcome.method, error=type(exc).__name__)
        logger.debug("unhandled error detail", exc_info=exc)
        status = simple_status(grpc.StatusCode.INTERNAL, "INTERNAL", "internal error; see the server log")
    outcome.code = status.code
    # abort() replaces the trailing metadata: the request id goes again, a failure is when it is needed.
    trailing = (*status.trailing_metadata, (REQUEST_ID_HEADER, outcome.request_id))
    await context.abort(status.code, status.details, trailing)


@dataclasses.dataclass(frozen=True, slots=True)
class _Observers:
    """Who records a method's calls besides the log: its metrics recorder, the tracer (when on)."""

    recorder: MethodRecorder | None
    tracer: RpcTracer | None


@contextlib.asynccontextmanager
async def _observed_call(
    method: str, context: grpc.aio.ServicerContext, observers: _Observers, *, unary: bool
) -> AsyncIterator[None]:
    """Around one call: its request id, the mapping of escaped exceptions to a status, its log line,
    its metrics and span."""
    metadata = context.invocation_metadata()
    outcome = _CallOutcome(method, request_id_from(metadata), observers.recorder, unary=unary)
    if observers.tracer is not None:
        outcome.span = observers.tracer.start(method, outcome.request_id, metadata)
    token = request_id_var.set(outcome.request_id)
    try:
        context.set_trailing_metadata(((REQUEST_ID_HEADER, outcome.request_id),))
        yield
        outcome.code = context.code() or grpc.StatusCode.OK
    except grpc.aio.AbortError:
        outcome.code = context.code() or grpc.StatusCode.UNKNOWN
        raise
    except asyncio.CancelledError:
        outcome.code = _cancel_code(context)
        raise
    except Exception as exc:
        await _abort_for(exc, outcome, context)
    finally:
        outcome.finish(context)
        request_id_var.reset(token)


def _wrap_unary(
    behavior: Callable[[Any, grpc.aio.ServicerContext], Any], method: str, observers: _Observers
) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        async with _observed_call(method, context, observers, unary=True):
            result = behavior(request, context)
            return await result if inspect.isawaitable(result) else result

    return unary


def _wrap_stream(
    behavior: Callable[[Any, grpc.aio.ServicerContext], Any], method: str, observers: _Observers
) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
    """Server-streaming (and, for reflection, bidirectional) calls: the request is passed through."""

    async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async with _observed_call(method, context, observers, unary=False):
            result = behavior(request, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            elif inspect.isawaitable(result):
                await result  # a handler that writes with context.write()

    return stream


def _cancel_code(context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


class CallInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, metrics: RpcMetrics | None = None, tracer: RpcTracer | None = None) -> None:
        self._metrics = metrics
        self._tracer = tracer
        # Per method, made on its first call: the labelled metrics are looked up once, not per call.
        self._observers: dict[str, _Observers] = {}

    def _observers_of(self, method: str) -> _Observers:
        observers = self._observers.get(method)
        if observers is None:
            recorder = self._metrics.recorder(method) if self._metrics is not None else None
            observers = self._observers[method] = _Observers(recorder, self._tracer)
        return observers

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            # Unknown method: grpc answers UNIMPLEMENTED itself. One label for all: the name is the caller's.
            if self._metrics is not None:
                self._metrics.unknown_method()
            return None
        method = handler_call_details.method
        observers = self._observers_of(method)  # a registered method: the labels stay bounded
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method, observers),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method, observers),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream:  # server reflection
            return grpc.stream_stream_rpc_method_handler(
                _wrap_stream(handler.stream_stream, method, observers),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # client-streaming-only calls are not part of our contract
