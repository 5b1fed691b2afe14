"""The gateway's ASGI application. The partner API, the REST mapping and the pages come with their issues."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

HEALTH_TIMEOUT_S = 2.0


def create_app(channel: grpc.aio.Channel) -> Starlette:
    health_stub = health_pb2_grpc.HealthStub(channel)

    async def healthz(_request: Request) -> JSONResponse:
        """SERVING only when the gRPC server behind says so: a load balancer's view of the whole engine."""
        try:
            reply = await health_stub.Check(
                health_pb2.HealthCheckRequest(service=""), timeout=HEALTH_TIMEOUT_S
            )
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.aio.AioRpcError as exc:
            status = f"UNREACHABLE ({exc.code().name})"
        return JSONResponse({"status": status}, status_code=200 if status == "SERVING" else 503)

    return Starlette(routes=[Route("/healthz", healthz)])
