"""The gateway's own credentials: an internal token for the login pages' methods, cached and renewed.

Two sources: minted in-process by the server the gateway runs beside (`loyalty serve`), or fetched
with client credentials from the token endpoint (`loyalty gateway` alone). Either way a token is
reused until half its life is gone, one refresh at a time however many requests wait for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import grpc

from loyalty.v1 import auth_pb2, auth_pb2_grpc

TokenFetch = Callable[[], Awaitable[tuple[str, dt.datetime]]]  # (token, expires_at)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InternalToken:
    """A bearer token renewed before it runs out; `invalidate()` after the server refused it."""

    def __init__(self, fetch: TokenFetch, *, now: Callable[[], dt.datetime] = _now) -> None:
        self._fetch = fetch
        self._now = now
        self._lock = asyncio.Lock()
        self._token = ""
        self._renew_at = dt.datetime.min.replace(tzinfo=dt.UTC)

    async def get(self) -> str:
        if self._token and self._now() < self._renew_at:
            return self._token
        async with self._lock:
            if not self._token or self._now() >= self._renew_at:
                issued_at = self._now()
                token, expires_at = await self._fetch()
                assert expires_at.tzinfo is not None
                self._token = token
                self._renew_at = issued_at + (expires_at - issued_at) / 2
        return self._token

    def invalidate(self) -> None:
        self._token = ""

    async def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {await self.get()}"),)


def client_credentials_fetch(
    channel: grpc.aio.Channel, client_id: str, client_secret: str, *, timeout_s: float
) -> TokenFetch:
    """Fetch with the token endpoint (the account must have role internal)."""
    stub = auth_pb2_grpc.AuthServiceStub(channel)

    async def fetch() -> tuple[str, dt.datetime]:
        reply = await stub.ExchangeToken(
            auth_pb2.ExchangeTokenRequest(
                grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                client_id=client_id,
                client_secret=client_secret,
            ),
            timeout=timeout_s,
        )
        return reply.access_token, reply.access_token_expire_time.ToDatetime(dt.UTC)

    return fetch
