"""`LoyaltyClient`: one channel, the four typed service stubs, and resuming event streams.

    async with LoyaltyClient("127.0.0.1:50051", client_id=..., client_secret=...) as client:
        reply = await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member=...))

Every unary call gets the bearer token (fetched with client credentials and renewed by itself), the
default deadline, retries when safe, and errors typed by status code (`loyalty.client.errors`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from types import TracebackType

from loyalty.client.calls import CallSettings, StreamCalls, UnaryCalls
from loyalty.client.channel import Tls, open_channel
from loyalty.client.retry import RetryPolicy
from loyalty.client.streams import EventStream, watch_member
from loyalty.client.tokens import RenewingToken, StaticToken, TokenFetch, TokenSource
from loyalty.v1 import (
    activity_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    ledger_pb2_grpc,
    subscription_pb2,
    subscription_pb2_grpc,
)

DEFAULT_DEADLINE_S = 10.0
TOKEN_FETCH_DEADLINE_S = 10.0


class LoyaltyClient:
    """A connection to the engine. Create it inside a running event loop; close it when done.

    Credentials, one of: `client_id` + `client_secret` (a service account or a confidential partner
    client: the client-credentials token is fetched and renewed by itself), `token` (a bearer token
    managed elsewhere), `token_source` (your own), or none (only the open methods work).
    `tls`: None for plaintext, `Tls()` for TLS with the system's roots, `Tls(ca_file=...)` etc.
    `tenant`: sent as `x-loyalty-tenant` (cross-tenant service accounts only).
    """

    def __init__(
        self,
        target: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        scopes: Iterable[str] = (),
        token: str | None = None,
        token_source: TokenSource | None = None,
        tls: Tls | None = None,
        tenant: str | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
        retry: RetryPolicy | None = None,
        channel_options: Sequence[tuple[str, str | int]] = (),
    ) -> None:
        given = [client_id is not None, token is not None, token_source is not None]
        assert sum(given) <= 1, "give one of client_id/client_secret, token, token_source"
        assert (client_id is None) == (client_secret is None), "client_id needs client_secret"
        self.call_settings = CallSettings(
            tokens=None, tenant=tenant, deadline_s=deadline_s, retry=retry or RetryPolicy()
        )
        self.channel = open_channel(
            target, tls, [UnaryCalls(self.call_settings), StreamCalls(self.call_settings)], channel_options
        )
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channel)
        self.activity = activity_pb2_grpc.ActivityServiceStub(self.channel)
        self.ledger = ledger_pb2_grpc.LedgerServiceStub(self.channel)
        self.subscription = subscription_pb2_grpc.SubscriptionServiceStub(self.channel)
        if client_id is not None and client_secret is not None:
            token_source = RenewingToken(self._client_credentials(client_id, client_secret, " ".join(scopes)))
        elif token is not None:
            token_source = StaticToken(token)
        self.call_settings.tokens = token_source

    def _client_credentials(self, client_id: str, client_secret: str, scope: str) -> TokenFetch:
        async def fetch() -> tuple[str, float]:
            reply = await self.auth.ExchangeToken(
                auth_pb2.ExchangeTokenRequest(
                    grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                    client_id=client_id,
                    client_secret=client_secret,
                    scope=scope,
                ),
                timeout=TOKEN_FETCH_DEADLINE_S,
            )
            return reply.access_token, float(reply.expires_in_seconds)

        return fetch

    async def __aenter__(self) -> LoyaltyClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self, grace_s: float | None = None) -> None:
        await self.channel.close(grace_s)

    def events(
        self,
        *,
        after_sequence: int | None = None,
        event_types: Iterable[subscription_pb2.EventType.ValueType] = (),
        member_id: str = "",
        heartbeat_interval: dt.timedelta | None = None,
    ) -> EventStream:
        """The event stream, resumed by itself after disconnects. `after_sequence`: the last sequence
        already processed (0: from the oldest kept event); None: events from now on."""
        request = subscription_pb2.StreamEventsRequest(event_types=list(event_types), member_id=member_id)
        if after_sequence is None:
            request.from_now = True
        else:
            request.after_sequence = after_sequence
        if heartbeat_interval is not None:
            request.heartbeat_interval_seconds = int(heartbeat_interval.total_seconds())
        return EventStream(self.subscription, request, self.call_settings)

    def watch_member(
        self, member_id: str, *, heartbeat_interval: dt.timedelta | None = None
    ) -> AsyncIterator[subscription_pb2.MemberSnapshot]:
        """The member's balance and tier now, then after every change; resumed by itself."""
        request = subscription_pb2.WatchMemberRequest(member_id=member_id)
        if heartbeat_interval is not None:
            request.heartbeat_interval_seconds = int(heartbeat_interval.total_seconds())
        return watch_member(self.subscription, request, self.call_settings)


def new_request_id(prefix: str = "") -> str:
    """A fresh idempotency key. Make one per business operation and reuse it on every retry of it
    (a POS: derive it from the order id, so even a restarted adapter sends the same one)."""
    return f"{prefix}{uuid.uuid4().hex}"
