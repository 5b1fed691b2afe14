"""The gateway's ASGI application: the partner API, the member's pages, REST for the RPCs, and ops.

It calls the gRPC services and holds no business logic: requests are translated, answers rendered.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from loyalty_gateway.upstream import Upstream
from loyalty_server.config import Settings

HEALTH_TIMEOUT_S = 2.0


def create_app(upstream: Upstream, settings: Settings) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", _healthz(upstream))]
    return Starlette(routes=routes)


def _healthz(upstream: Upstream):  # type: ignore[no-untyped-def]
    async def healthz(_request: Request) -> JSONResponse:
        """SERVING only when the gRPC server behind says so: a load balancer's view of the whole engine."""
        try:
            reply = await upstream.health.Check(
                health_pb2.HealthCheckRequest(service=""), timeout=HEALTH_TIMEOUT_S
            )
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.aio.AioRpcError as exc:
            status = f"UNREACHABLE ({exc.code().name})"
        return JSONResponse({"status": status}, status_code=200 if status == "SERVING" else 503)

    return healthz
