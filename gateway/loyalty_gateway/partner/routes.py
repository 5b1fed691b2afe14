"""Placeholder: the partner API."""

from __future__ import annotations

from starlette.routing import BaseRoute

from loyalty_gateway.upstream import Upstream


def partner_routes(upstream: Upstream) -> list[BaseRoute]:
    return []
