"""Placeholder: REST routes."""

from __future__ import annotations

from starlette.routing import BaseRoute

from loyalty_gateway.upstream import Upstream


def rest_routes(upstream: Upstream) -> list[BaseRoute]:
    return []
