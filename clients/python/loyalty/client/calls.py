"""What happens around every call: the bearer token, the tenant, the default deadline, retries and
typed errors. Done with grpc.aio interceptors, so the generated stubs (and their type stubs) are the
client's API unchanged.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from loyalty.client.errors import typed_error
from loyalty.client.retry import RetryPolicy, is_idempotent, method_name, should_retry
from loyalty.client.tokens import TokenSource

# Methods that authenticate from the request itself: sending a bearer token would be pointless, and
# fetching one to call ExchangeToken would never end.
OPEN_METHODS = frozenset({"ExchangeToken", "RevokeToken", "GetJwks", "Check", "Watch"})

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class CallSettings:
    tokens: TokenSource | None
    tenant: str | None
    deadline_s: float
    retry: RetryPolicy
    rng: random.Random = field(default_factory=random.Random)
    sleep: Sleep = asyncio.sleep

    def __post_init__(self) -> None:
        assert self.deadline_s > 0, "a call without a deadline can hang for ever"

    async def token_for(self, full_method: str | bytes, metadata: object = None) -> str:
        """The token to send, or "" when none is: open methods, and calls that carry their own
        `authorization` (which is theirs to renew)."""
        if self.tokens is None or method_name(full_method) in OPEN_METHODS:
            return ""
        if any(key == "authorization" for key, _value in metadata or ()):  # type: ignore[attr-defined]
            return ""
        return await self.tokens.get()

    def details(
        self, details: grpc.aio.ClientCallDetails, token: str, *, unary: bool
    ) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if token and "authorization" not in metadata:
            metadata["authorization"] = f"Bearer {token}"
        if self.tenant and "x-loyalty-tenant" not in metadata:
            metadata["x-loyalty-tenant"] = self.tenant
        timeout = details.timeout
        if timeout is None and unary:
            timeout = self.deadline_s  # streams live as long as their reader wants
        return grpc.aio.ClientCallDetails(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready
        )

    def refused(self, token: str) -> bool:
        """The server said UNAUTHENTICATED to `token`: True when a retry may use a fresh one."""
        return bool(token) and self.tokens is not None and self.tokens.invalidate(token)


class UnaryCalls(grpc.aio.UnaryUnaryClientInterceptor):
    """Token, tenant and deadline on every unary call; retries when safe; typed errors."""

    def __init__(self, settings: CallSettings) -> None:
        self._settings = settings

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        settings = self._settings
        idempotent = is_idempotent(client_call_details.method, request)
        attempt, reauthenticated = 0, False
        while True:
            attempt += 1
            token = await settings.token_for(client_call_details.method, client_call_details.metadata)
            call = await continuation(settings.details(client_call_details, token, unary=True), request)
            try:
                await call
                return call  # finished: awaiting it again gives the response, metadata stays readable
            except grpc.aio.AioRpcError as error:
                failure = typed_error(error)
            # An expired or revoked token was refused before anything ran: one more try, fresh.
            unauthenticated = failure.code() == grpc.StatusCode.UNAUTHENTICATED
            if unauthenticated and not reauthenticated and settings.refused(token):
                reauthenticated, attempt = True, attempt - 1
                continue
            retry = settings.retry
            if not should_retry(failure.code(), idempotent=idempotent, attempt=attempt, policy=retry):
                raise failure
            await settings.sleep(retry.backoff_ms(attempt - 1, settings.rng, failure.retry_delay) / 1000)


class StreamCalls(grpc.aio.UnaryStreamClientInterceptor):
    """Token and tenant on server-streaming calls (no deadline: a stream is read until closed).
    Resuming after a disconnect is `streams.py`'s job: only it knows the cursor."""

    def __init__(self, settings: CallSettings) -> None:
        self._settings = settings

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        token = await self._settings.token_for(client_call_details.method, client_call_details.metadata)
        return await continuation(self._settings.details(client_call_details, token, unary=False), request)
