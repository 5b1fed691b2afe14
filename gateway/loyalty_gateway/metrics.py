"""The gateway's Prometheus metrics, and `GET /metrics` to scrape them.

Each GatewayMetrics owns its CollectorRegistry (never prometheus_client's global one): a process
may build several apps (the tests build many), and each counts its own requests. Labels are
bounded: the route is its path template (never the raw path), the method one of the known ones.
Run beside the gRPC server (`loyalty serve`), /metrics shows the server's registry too: one scrape
sees both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyalty_gateway.limits import BODY_TOO_LARGE, LIMITED_SCOPE_KEY, RATE_LIMITED

UNMATCHED_ROUTE = "unmatched"  # the label of requests no route took (404s): raw paths are unbounded
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
EVENT_STREAM = b"text/event-stream"


class GatewayMetrics:
    def __init__(self, also_expose: Sequence[CollectorRegistry] = ()) -> None:
        """`also_expose`: other registries /metrics shows after the gateway's (names must not clash)."""
        self.registry = CollectorRegistry()
        self._also_expose = tuple(also_expose)
        self.requests = Counter(
            "loyalty_gateway_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "loyalty_gateway_request_duration_seconds",
            "Time from the request to the end of its answer (of the whole stream, for event streams).",
            ["method", "route"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "loyalty_gateway_requests_in_flight",
            "HTTP requests being handled now.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "loyalty_gateway_rate_limited",
            "Requests refused with 429 by the gateway's rate limit.",
            registry=self.registry,
        )
        self.body_too_large = Counter(
            "loyalty_gateway_body_too_large",
            "Requests refused with 413: body over gateway_body_max_bytes.",
            registry=self.registry,
        )
        self.open_event_streams = Gauge(
            "loyalty_gateway_open_event_streams",
            "Server-Sent Event streams (text/event-stream answers) open now.",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return b"".join(generate_latest(registry) for registry in (self.registry, *self._also_expose))


def metrics_middleware(metrics: GatewayMetrics) -> list[Middleware]:
    return [Middleware(MetricsMiddleware, metrics=metrics)]


def metrics_routes(metrics: GatewayMetrics) -> list[BaseRoute]:
    async def scrape(_request: Request) -> Response:
        return Response(metrics.exposition(), headers={"content-type": CONTENT_TYPE_LATEST})

    return [Route("/metrics", scrape, methods=["GET"], include_in_schema=False)]


class MetricsMiddleware:
    """Observes every answer without touching it: the response passes through message by message,
    so event streams are never buffered."""

    def __init__(self, app: ASGIApp, *, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_s = time.perf_counter()
        status = 500  # the app raised before answering: the server error middleware answers 500
        event_stream = False

        async def observed_send(message: Message) -> None:
            nonlocal status, event_stream
            if message["type"] == "http.response.start":
                status = message["status"]
                event_stream = _is_event_stream(message)
                if event_stream:
                    self.metrics.open_event_streams.inc()
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, observed_send)
        finally:
            self.metrics.in_flight.dec()
            if event_stream:
                self.metrics.open_event_streams.dec()
            self._record(scope, status, time.perf_counter() - started_s)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else OTHER_METHOD
        route = route_label(scope)
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.request_duration.labels(method, route).observe(duration_s)
        limited = scope.get(LIMITED_SCOPE_KEY)
        if limited == RATE_LIMITED:
            self.metrics.rate_limited.inc()
        elif limited == BODY_TOO_LARGE:
            self.metrics.body_too_large.inc()


def route_label(scope: Scope) -> str:
    """The path template of the route that took the request (Starlette's router leaves it in
    scope["route"]). A request the limits refused never reached the router: match it here, so a
    429 is still counted against its route."""
    route = scope.get("route")
    if route is None and LIMITED_SCOPE_KEY in scope:
        route = _matching_route(scope)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


def _matching_route(scope: Scope) -> Any:
    partial = None
    for route in getattr(scope.get("app"), "routes", ()):
        match, _child_scope = route.matches(scope)  # reads the scope, changes nothing
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route  # the path matched, the method did not (a 405)
    return partial


def _is_event_stream(start: Message) -> bool:
    for key, value in start.get("headers", ()):
        if key.lower() == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower() == EVENT_STREAM
    return False
