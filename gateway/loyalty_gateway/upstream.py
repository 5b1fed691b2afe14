"""The gRPC side of the gateway: one channel, the service stubs, and what every call carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2_grpc

from loyalty.v1 import activity_pb2_grpc, auth_pb2_grpc, ledger_pb2_grpc, subscription_pb2_grpc
from loyalty_gateway.credentials import InternalToken
from loyalty_gateway.rest.sse import OpenStreams
from loyalty_gateway.rpc_errors import RpcFailure

Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]

# Request headers passed on as gRPC metadata (lower case, as HTTP/2 and gRPC want them).
FORWARDED_HEADERS = ("authorization", "x-loyalty-tenant", "x-request-id")


@dataclass
class Upstream:
    channel: grpc.aio.Channel
    internal_token: InternalToken
    call_timeout_s: float

    def __post_init__(self) -> None:
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channel)
        self.activity = activity_pb2_grpc.ActivityServiceStub(self.channel)
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(self.channel)
        self.subscription = subscription_pb2_grpc.SubscriptionServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.streams = OpenStreams()  # the Server-Sent Events streams open now

    def stub_for(self, service_full_name: str) -> Any:
        stubs = {
            "loyalty.v1.AuthService": self.auth,
            "loyalty.v1.ActivityService": self.activity,
            "loyalty.v1.LedgerService": self.ledger,
            "loyalty.v1.SubscriptionService": self.subscription,
        }
        return stubs[service_full_name]

    async def as_internal(
        self, method: Callable[..., Awaitable[Reply]], request: Any, metadata: Metadata = ()
    ) -> Reply:
        """Call as the gateway itself; a token the server refuses (expired, keys changed) is renewed once."""
        for attempt in (1, 2):
            try:
                return await method(
                    request,
                    metadata=(await self.internal_token.metadata()) + metadata,
                    timeout=self.call_timeout_s,
                )
            except grpc.aio.AioRpcError as exc:
                if not _our_token_refused(RpcFailure.of(exc)) or attempt == 2:
                    raise
                self.internal_token.invalidate()
        raise AssertionError("unreachable")


def _our_token_refused(failure: RpcFailure) -> bool:
    """The interceptor refused the gateway's own token. An OAuth method refusing a token in the
    request (an ended member session) says so too, but names the partner API's error_code."""
    return failure.reason == "INVALID_TOKEN" and "error_code" not in failure.metadata


class BadHeader(ValueError):
    """A header gRPC metadata cannot carry: the caller's mistake, never a 500."""


def metadata_value_ok(value: str) -> bool:
    """gRPC metadata values are printable ASCII; HTTP lets through tabs and Latin-1 bytes."""
    return value.isascii() and value.isprintable()


def forwarded_metadata(headers: Any) -> Metadata:
    """The caller's credentials, tenant and request id, as the gRPC call's metadata."""
    metadata = tuple((name, headers[name]) for name in FORWARDED_HEADERS if name in headers)
    for name, value in metadata:
        if not metadata_value_ok(value):
            raise BadHeader(f"header {name}: printable ASCII only")
    return metadata
