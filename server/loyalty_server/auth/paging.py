"""Opaque page tokens: the keyset position after the last item of a page."""

from __future__ import annotations

import base64
import json
from typing import Any

from loyalty_server.errors import FieldViolation, invalid_argument


def encode(position: list[Any], *, binding: str | None = None) -> str:
    """`binding` (e.g. a fingerprint of the list's filters) ties the token to what it was made for."""
    parts = position if binding is None else [*position, binding]
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def decode(token: str, *, length: int, binding: str | None = None) -> list[Any] | None:
    """The position (`length` items) a token was made at, None for no token; PAGE_TOKEN_INVALID for a
    token that is malformed or, with `binding`, was made for another binding."""
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        position = None
    stored = length if binding is None else length + 1
    if not isinstance(position, list) or len(position) != stored:
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", "page_token is not valid", FieldViolation("page_token", "invalid")
        )
    if binding is not None:
        if position[-1] != binding:
            raise invalid_argument(
                "PAGE_TOKEN_INVALID",
                "the page token belongs to other filters",
                FieldViolation("page_token", "invalid"),
            )
        position = position[:-1]
    return position
