"""Run the gateway on uvicorn inside the server's event loop (or alone, in front of remote servers)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence

import grpc
import uvicorn
from prometheus_client import CollectorRegistry

from loyalty_gateway.app import create_app
from loyalty_gateway.credentials import InternalToken, TokenFetch, client_credentials_fetch
from loyalty_gateway.metrics import GatewayMetrics
from loyalty_gateway.upstream import Upstream
from loyalty_server.config import Settings, split_address
from loyalty_server.errors import ConfigError
from loyalty_server.logs import log_event
from loyalty_server.runtime.tls import check_plaintext_allowed

logger = logging.getLogger("loyalty.gateway")
STARTUP_TIMEOUT_S = 10.0


class GatewayRunner:
    """`token_fetch` gives the gateway's internal token: minted by the server it runs beside, or
    (None) fetched with the gateway_client_id/secret settings from the server behind `grpc_target`.
    `metrics_registries`: more metrics for /metrics (the server's, when run beside it)."""

    def __init__(
        self,
        settings: Settings,
        grpc_target: str,
        token_fetch: TokenFetch | None = None,
        channel_credentials: grpc.ChannelCredentials | None = None,
        metrics_registries: Sequence[CollectorRegistry] = (),
    ) -> None:
        check_plaintext_allowed(settings, settings.http_address, "http_address")
        self.settings = settings
        options = [
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
        ]
        if channel_credentials is None:
            self.channel = grpc.aio.insecure_channel(grpc_target, options=options)
        else:
            self.channel = grpc.aio.secure_channel(grpc_target, channel_credentials, options=options)
        if token_fetch is None:
            token_fetch = client_credentials_fetch(
                self.channel,
                settings.gateway_client_id,
                settings.gateway_client_secret,
                timeout_s=settings.gateway_call_timeout_s,
            )
        self.upstream = Upstream(self.channel, InternalToken(token_fetch), settings.gateway_call_timeout_s)
        ssl: dict[str, object] = {}
        if settings.tls_enabled:
            ssl = {"ssl_certfile": settings.tls_cert_file, "ssl_keyfile": settings.tls_key_file}
        # X-Forwarded-For/-Proto only from the proxies named: anyone else could pick their own address.
        proxies: dict[str, object] = {"proxy_headers": False}
        if settings.gateway_forwarded_allow_ips:
            proxies = {"proxy_headers": True, "forwarded_allow_ips": settings.gateway_forwarded_allow_ips}
        self.metrics = GatewayMetrics(also_expose=metrics_registries)
        self.app = create_app(self.upstream, settings, self.metrics)
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=settings.shutdown_grace_s,
            h11_max_incomplete_event_size=64 * 1024,
            **ssl,
            **proxies,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    def _bind(self) -> socket.socket:
        """Bind the port ourselves, so an address in use is our clear error, not uvicorn's exit."""
        host, port = split_address(self.settings.http_address, setting="http_address")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"http_address {self.settings.http_address}: cannot listen ({exc.strerror})"
            ) from None
        sock.listen(1024)
        return sock

    async def start(self) -> None:
        try:
            sock = self._bind()
        except ConfigError:
            await self.channel.close()
            raise
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not self._server.started:
                if self._task.done():
                    raise ConfigError(f"http_address {self.settings.http_address}: gateway failed to start")
                await asyncio.sleep(0.01)
        log_event(logger, "gateway serving", http_address=self.settings.http_address, http_port=self.port)

    async def stop(self) -> None:
        self.upstream.streams.closing.set()  # event streams end now, telling clients to reconnect
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        await self.channel.close()
