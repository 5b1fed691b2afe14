"""Opaque page tokens: the keyset position after the last item of a page."""

from __future__ import annotations

import base64
import json
from typing import Any

from loyalty_server.errors import FieldViolation, invalid_argument


def encode(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode(token: str, *, length: int) -> list[Any] | None:
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        position = None
    if not isinstance(position, list) or len(position) != length:
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", "page_token is not valid", FieldViolation("page_token", "invalid")
        )
    return position
