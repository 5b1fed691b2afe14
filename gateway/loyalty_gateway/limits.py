"""Placeholder: body size limit, per-client rate limit, CORS."""

from __future__ import annotations

from starlette.middleware import Middleware

from loyalty_server.config import Settings


def limit_middleware(settings: Settings) -> list[Middleware]:
    return []
