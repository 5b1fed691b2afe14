"""Placeholder: the pages arrive with their helper's work."""

from __future__ import annotations

from starlette.routing import BaseRoute

from loyalty_gateway.upstream import Upstream
from loyalty_server.config import Settings


def page_routes(upstream: Upstream, settings: Settings) -> list[BaseRoute]:
    return []
