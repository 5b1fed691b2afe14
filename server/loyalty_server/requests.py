"""Checks every service applies the same way to request conventions: page sizes and request ids."""

from __future__ import annotations

import re

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


REASON_LENGTH_MAX = 500  # free-text reasons (audited)
_REASON_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


def check_reason(reason: str, *, required: bool) -> str:
    """A human-readable reason: at most REASON_LENGTH_MAX characters, and not blank when required."""
    if required and not reason.strip():
        raise invalid_argument(
            "REASON_REQUIRED", "a reason is required", FieldViolation("reason", "required")
        )
    return check_text(reason, "reason", REASON_LENGTH_MAX)


def check_reason_code(reason_code: str, *, default: str | None = None) -> str:
    """A machine-readable reason: UPPER_SNAKE_CASE, at most 64 characters; empty takes `default`."""
    if not reason_code and default is not None:
        return default
    if not _REASON_CODE.match(reason_code):
        raise invalid_argument(
            "REASON_CODE_INVALID",
            "reason_code: UPPER_SNAKE_CASE, at most 64 characters",
            FieldViolation("reason_code", "UPPER_SNAKE_CASE, at most 64 characters"),
        )
    return reason_code


def check_text(value: str, field: str, length_max: int) -> str:
    if len(value) > length_max:
        raise invalid_argument(
            "FIELD_TOO_LONG",
            f"{field}: at most {length_max} characters",
            FieldViolation(field, f"at most {length_max} characters"),
        )
    return value
