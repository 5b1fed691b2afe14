"""Server spans of gRPC calls, with OpenTelemetry (imported only when tracing is on: runtime/tracing.py).

A span is named after the method (`loyalty.v1.LedgerService/GetBalance`) and carries the RPC
semantic conventions' attributes (rpc.system, rpc.service, rpc.method, rpc.grpc.status_code) and
the call's request id: never metadata, tokens, member data or health values. A caller's W3C
`traceparent` makes the span a child of the caller's; nothing else is read from the metadata
(baggage is not taken in). The span is current while the call runs, so spans made below it
(a database instrumentation, say) nest under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from loyalty_server import __version__
from loyalty_server.runtime.rpc_metrics import split_method

Metadata = Sequence[tuple[str, str | bytes]]
REQUEST_ID_ATTRIBUTE = "loyalty.request_id"
# The semantic conventions' server errors; other codes (NOT_FOUND, ...) are the caller's business.
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class _MetadataGetter(Getter[Metadata]):
    def get(self, carrier: Metadata, key: str) -> list[str] | None:
        values = [value for name, value in carrier if name == key and isinstance(value, str)]
        return values or None

    def keys(self, carrier: Metadata) -> list[str]:
        return [name for name, _ in carrier]


_GETTER = _MetadataGetter()
_PROPAGATOR = TraceContextTextMapPropagator()


class CallSpan:
    """One call's span, current until `end`."""

    __slots__ = ("_span", "_token")

    def __init__(self, span: trace.Span, token: object) -> None:
        self._span = span
        self._token = token

    def end(self, code: grpc.StatusCode) -> None:
        span = self._span
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, code.name))
        otel_context.detach(self._token)  # type: ignore[arg-type]
        span.end()


class RpcTracer:
    def __init__(self, provider: Any | None = None) -> None:
        self._tracer = trace.get_tracer("loyalty_server", __version__, tracer_provider=provider)

    def start(self, method: str, request_id: str, metadata: Metadata | None) -> CallSpan:
        service, name = split_method(method)
        parent = _PROPAGATOR.extract(tuple(metadata or ()), getter=_GETTER)
        span = self._tracer.start_span(
            f"{service}/{name}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "rpc.system": "grpc",
                "rpc.service": service,
                "rpc.method": name,
                REQUEST_ID_ATTRIBUTE: request_id,
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        return CallSpan(span, token)
