"""Placeholder: Prometheus metrics of the gateway."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute


class GatewayMetrics:
    pass


def metrics_middleware(metrics: GatewayMetrics) -> list[Middleware]:
    return []


def metrics_routes(metrics: GatewayMetrics) -> list[BaseRoute]:
    return []
