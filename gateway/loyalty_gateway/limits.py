"""The gateway's limits: CORS, a per-client rate limit (429 + Retry-After) and a request body limit (413).

Pure ASGI middleware, never BaseHTTPMiddleware: the gateway streams Server-Sent Events, and these
must pass untouched and unbuffered. Each refusal takes the error shape of the API it answers for:
the seed's error object on the partner API's paths, google.rpc.Status JSON everywhere else.
"""

from __future__ import annotations

import dataclasses

import grpc
from google.rpc import error_details_pb2, status_pb2
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyalty_gateway.partner.answers import PARTNER_PATHS, seed_error
from loyalty_gateway.rate_limit import RateLimiter, address_of, client_key, retry_after_s
from loyalty_gateway.rpc_errors import gateway_failure
from loyalty_server.config import Settings

# What the limits refused, left in the scope for the metrics middleware (outside, same scope dict).
LIMITED_SCOPE_KEY = "loyalty.limited"
RATE_LIMITED = "rate"
BODY_TOO_LARGE = "body"

# Probes and scrapes must keep working when a client floods the gateway.
RATE_EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})

CORS_METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS")
CORS_HEADERS = ("authorization", "content-type", "x-request-id", "x-loyalty-tenant", "last-event-id")
CORS_EXPOSED_HEADERS = ("retry-after", "x-request-id")


def limit_middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: CORS, so that browsers can read even a 429's Retry-After; then the rate
    limit, the cheapest refusal; then the body limit, which watches the body as the route reads it."""
    limiter = RateLimiter(settings.gateway_rate_per_s, settings.gateway_rate_burst)
    return [
        *cors_middleware(settings.gateway_cors_origins),
        Middleware(RateLimitMiddleware, limiter=limiter),
        Middleware(BodySizeLimitMiddleware, body_max_bytes=settings.gateway_body_max_bytes),
    ]


def cors_middleware(origins_setting: str) -> list[Middleware]:
    """Nothing for an empty setting (no CORS header at all). "*" allows any origin, but then without
    credentials: a page of any site must not call the API with the member's cookies."""
    origins = [origin.strip().rstrip("/") for origin in origins_setting.split(",") if origin.strip()]
    if not origins:
        return []
    any_origin = "*" in origins
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"] if any_origin else origins,
            allow_credentials=not any_origin,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
        )
    ]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in RATE_EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait_s = self.limiter.admit(client_key(scope), address_of(scope))
        if wait_s > 0:
            scope[LIMITED_SCOPE_KEY] = RATE_LIMITED
            await rate_limited_answer(scope["path"], wait_s)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(Exception):
    """Raised from `receive` once a streamed body passes the limit: the route stops reading."""


class BodySizeLimitMiddleware:
    """A declared Content-Length over the limit is refused before a byte of the body is read; any
    body (chunked ones declare no length) is also counted as the route reads it, and the answer
    becomes 413 the moment it passes the limit. Nothing is buffered here."""

    def __init__(self, app: ASGIApp, *, body_max_bytes: int) -> None:
        self.app = app
        self.body_max_bytes = body_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.body_max_bytes:
            await self._refuse(scope, receive, send)
            return
        watch = _BodyWatch(self.body_max_bytes, receive, send)
        try:
            await self.app(scope, watch.receive, watch.send)
        except Exception:
            if not watch.exceeded:
                raise
            # BodyTooLarge itself, or whatever the route made of it: the answer is the 413 below.
        if watch.exceeded and not watch.answered:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[LIMITED_SCOPE_KEY] = BODY_TOO_LARGE
        await body_too_large_answer(scope["path"], self.body_max_bytes)(scope, receive, send)


class _BodyWatch:
    """Counts the body as it is received; once over, the app's own answer is dropped (it may be a
    400 for a body cut short) and the middleware answers 413 instead, if nothing was sent yet."""

    def __init__(self, body_max_bytes: int, receive: Receive, send: Send) -> None:
        self.body_max_bytes = body_max_bytes
        self.received_bytes = 0
        self.exceeded = False
        self.answered = False  # the app's response has started: too late for a 413
        self._receive = receive
        self._send = send

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received_bytes += len(message.get("body", b""))
            if self.received_bytes > self.body_max_bytes:
                self.exceeded = True
                raise BodyTooLarge(f"request body larger than {self.body_max_bytes} bytes")
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.answered:
            return
        if message["type"] == "http.response.start":
            self.answered = True
        await self._send(message)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:  # uvicorn (h11) refuses those before us; be safe anyway
                return None
    return None


# --- the refusals, in the shape of the API they answer for ----------------------------------------


def body_too_large_answer(path: str, body_max_bytes: int) -> Response:
    """413. The connection stays open: uvicorn discards the rest of the body as it arrives (and closes
    an idle connection after its keep-alive timeout). Closing at once would reset the connection
    under a client still sending, which would then never read this answer."""
    description = f"request body larger than {body_max_bytes} bytes"
    if path in PARTNER_PATHS:
        return seed_error("1001", description, status=413)
    failure = gateway_failure(
        grpc.StatusCode.INVALID_ARGUMENT,
        "REQUEST_BODY_TOO_LARGE",
        description,
        body_max_bytes=str(body_max_bytes),
    )
    return JSONResponse(failure.as_json(), status_code=413)


def rate_limited_answer(path: str, wait_s: float) -> Response:
    retry_s = retry_after_s(wait_s)
    description = f"too many requests; retry after {retry_s} s"
    if path in PARTNER_PATHS:
        return seed_error("1061", description, status=429, headers={"retry-after": str(retry_s)})
    failure = gateway_failure(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", description, retry_after_s=str(retry_s)
    )
    _add_retry_info(failure.status, retry_s)
    # retry_after_s set: RpcFailure.response() adds the Retry-After header; RESOURCE_EXHAUSTED is 429.
    return dataclasses.replace(failure, retry_after_s=float(retry_s)).response()


def _add_retry_info(status: status_pb2.Status | None, retry_s: int) -> None:
    """RetryInfo, as the gRPC server's own throttling sends it: clients read one shape for both."""
    assert status is not None  # gateway_failure always builds one
    retry = error_details_pb2.RetryInfo()
    retry.retry_delay.FromSeconds(retry_s)
    status.details.add().Pack(retry)
