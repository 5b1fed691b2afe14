"""Placeholder: the OpenAPI document and its docs page."""

from __future__ import annotations

from starlette.routing import BaseRoute

from loyalty_server.config import Settings


def openapi_routes(settings: Settings) -> list[BaseRoute]:
    return []
