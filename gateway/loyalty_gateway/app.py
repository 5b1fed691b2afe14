"""The gateway's ASGI application: the partner API, the member's pages, REST for the RPCs, and ops.

It calls the gRPC services and holds no business logic: requests are translated, answers rendered.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from loyalty_gateway.limits import limit_middleware
from loyalty_gateway.metrics import GatewayMetrics, metrics_middleware, metrics_routes
from loyalty_gateway.openapi import openapi_routes
from loyalty_gateway.pages.routes import page_routes
from loyalty_gateway.partner.answers import PARTNER_PATHS, seed_error
from loyalty_gateway.partner.routes import partner_routes
from loyalty_gateway.rest.routes import rest_routes
from loyalty_gateway.rpc_errors import gateway_failure
from loyalty_gateway.upstream import Upstream
from loyalty_server.config import Settings

HEALTH_TIMEOUT_S = 2.0


def create_app(upstream: Upstream, settings: Settings, metrics: GatewayMetrics | None = None) -> Starlette:
    metrics = metrics or GatewayMetrics()
    routes: list[BaseRoute] = [
        Route("/healthz", _healthz(upstream)),
        *metrics_routes(metrics),
        *openapi_routes(settings),
        *page_routes(upstream, settings),
        *partner_routes(upstream),
        *rest_routes(upstream),  # last: everything the protos annotate, under /v1 and /.well-known
    ]
    # The outermost first: metrics see every answer, including the limits' 413 and 429.
    middleware = [*metrics_middleware(metrics), *limit_middleware(settings)]
    handlers = {404: _not_found, 405: _method_not_allowed}
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)  # type: ignore[arg-type]


async def _not_found(request: Request, _exc: HTTPException) -> Response:
    """Unknown paths answer in the API's own error shape, like every other failure."""
    failure = gateway_failure(grpc.StatusCode.NOT_FOUND, "NO_SUCH_ROUTE", f"no route {request.url.path}")
    return failure.response()


async def _method_not_allowed(request: Request, exc: HTTPException) -> Response:
    headers = dict(exc.headers or {})
    message = f"{request.method} {request.url.path}: use {headers.get('Allow', 'another method')}"
    if request.url.path in PARTNER_PATHS:
        return seed_error("1001", message, status=405, headers=headers)
    failure = gateway_failure(grpc.StatusCode.UNIMPLEMENTED, "METHOD_NOT_ALLOWED", message)
    return JSONResponse(failure.as_json(), status_code=405, headers=headers)


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
