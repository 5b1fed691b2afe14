"""Checks every service applies the same way to request conventions: page sizes and request ids."""

from __future__ import annotations

from loyalty_server.errors import FieldViolation, invalid_argument

PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000  # larger asks are lowered to this, as common.proto documents
REQUEST_ID_LENGTH_MAX = 128


def page_size(requested: int) -> int:
    if requested < 0:
        raise invalid_argument(
            "PAGE_SIZE_INVALID", "page_size must not be negative", FieldViolation("page_size", ">= 0")
        )
    return min(requested or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)


def check_request_id(request_id: str) -> str:
    """1-128 printable ASCII characters: the idempotency key of a write."""
    if (
        not request_id
        or len(request_id) > REQUEST_ID_LENGTH_MAX
        or not request_id.isascii()
        or not request_id.isprintable()
    ):
        raise invalid_argument(
            "REQUEST_ID_INVALID",
            f"request_id: 1-{REQUEST_ID_LENGTH_MAX} printable ASCII characters required",
            FieldViolation("request_id", f"1-{REQUEST_ID_LENGTH_MAX} printable ASCII characters"),
        )
    return request_id
