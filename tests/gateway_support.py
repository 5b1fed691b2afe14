"""The whole engine behind its gateway, in process: a LoyaltyServer, the gateway in front of it on a
free port, and an httpx client for it. Shared by the gateway, partner API, pages and OpenAPI tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx

from loyalty.v1 import auth_pb2, auth_pb2_grpc
from loyalty_gateway.runner import GatewayRunner
from loyalty_server.clock import Clock
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from tests.support import bearer, make_settings, service_token

REDIRECT_URI = "https://partner.example/callback"


@dataclass
class GatewayStack:
    server: LoyaltyServer
    gateway: GatewayRunner
    http: httpx.AsyncClient  # base_url is the gateway
    channel: grpc.aio.Channel  # straight to the gRPC server, for set-up and checks

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.port}"

    async def admin(self) -> tuple[tuple[str, str], ...]:
        return bearer(await service_token(self.server, Role.ADMIN))

    async def partner_client(
        self,
        *,
        scopes: tuple[str, ...] = ("steps", "points:read"),
        redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
        public: bool = False,
        name: str = "Step Counter",
    ) -> tuple[str, str]:
        """A new partner client's (client_id, client_secret)."""
        reply = await auth_pb2_grpc.AuthServiceStub(self.channel).CreatePartnerClient(
            auth_pb2.CreatePartnerClientRequest(
                partner_client=auth_pb2.PartnerClient(
                    name=name,
                    client_type=auth_pb2.CLIENT_TYPE_PUBLIC if public else auth_pb2.CLIENT_TYPE_CONFIDENTIAL,
                    redirect_uris=list(redirect_uris),
                    scopes=list(scopes),
                ),
                request_id=uuid.uuid4().hex,
            ),
            metadata=await self.admin(),
        )
        return reply.partner_client.client_id, reply.client_secret


@asynccontextmanager
async def running_gateway(
    tmp_path: Path, database_url: str, *, clock: Clock | None = None, **changes: object
) -> AsyncIterator[GatewayStack]:
    settings = make_settings(tmp_path, database_url, http_address="127.0.0.1:0", gateway=True, **changes)
    server = LoyaltyServer(settings, clock=clock)
    await server.start()
    try:
        gateway = GatewayRunner(
            settings,
            server.gateway_target,
            token_fetch=await server.gateway_token_fetch(),
            channel_credentials=server.gateway_channel_credentials(),
        )
        await gateway.start()
        try:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.port}", timeout=30) as http,
                grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel,
            ):
                yield GatewayStack(server, gateway, http, channel)
        finally:
            await gateway.stop()
    finally:
        await server.stop(grace_s=0)
