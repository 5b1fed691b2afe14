"""`metrics_address`: the server's metrics on an HTTP port of their own, for deployments without the
in-process gateway (whose /metrics shows them otherwise).

prometheus_client's own exporter serves them (any path, `GET /metrics` included) from a daemon
thread: scrapes never wait on the event loop, and the metrics are thread-safe. Like the other
ports: TLS (and client certificates) when the server has them, plaintext only on loopback unless
allowed.
"""

from __future__ import annotations

import asyncio
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from loyalty_server.config import Settings, split_address
from loyalty_server.errors import ConfigError
from loyalty_server.runtime.tls import check_plaintext_allowed


class MetricsEndpoint:
    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return self._server.server_port

    async def stop(self) -> None:
        # shutdown() waits for the serving loop to notice (up to its 0.5 s poll): not on the event loop.
        await asyncio.to_thread(self._server.shutdown)
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(settings: Settings, registry: CollectorRegistry) -> MetricsEndpoint | None:
    """Start the exporter when `metrics_address` is set; a port that cannot be had is a ConfigError."""
    address = settings.metrics_address
    if not address:
        return None
    check_plaintext_allowed(settings, address, "metrics_address")
    host, port = split_address(address, setting="metrics_address")
    tls: dict[str, object] = {}
    if settings.tls_enabled:
        tls = {"certfile": settings.tls_cert_file, "keyfile": settings.tls_key_file}
        if settings.tls_client_ca_file:
            tls |= {"client_cafile": settings.tls_client_ca_file, "client_auth_required": True}
    try:
        server, thread = start_http_server(port, addr=host, registry=registry, **tls)  # type: ignore[arg-type]
    except OSError as exc:
        raise ConfigError(f"metrics_address {address}: cannot listen ({exc.strerror or exc})") from None
    return MetricsEndpoint(server, thread)
