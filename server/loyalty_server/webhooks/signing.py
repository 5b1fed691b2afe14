"""Webhook signatures the Standard Webhooks way (https://www.standardwebhooks.com).

A secret is "whsec_" + base64 of random key bytes. Each request carries `webhook-id`,
`webhook-timestamp` (Unix seconds) and `webhook-signature`: "v1,<base64 HMAC-SHA256 of
id.timestamp.body>", one per secret, space-separated, so a receiver keeps verifying while a secret
is rotated. `verify` is what a receiver does; the tests use it and integrators may too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _random
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format marker, not a password)
SECRET_BYTES = 32  # what new_secret() generates
SECRET_MIN_BYTES = 24  # the spec's lower bound: shorter keys are refused, not padded
SIGNATURE_VERSION = "v1"
USER_AGENT = "loyalty-engine-webhooks/1"


class SignatureError(Exception):
    """A webhook request that must not be trusted: missing headers, stale, or no matching signature."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a "whsec_…" secret. Messages never repeat the secret: they end up in logs."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not valid base64 after its prefix") from None
    if len(key) < SECRET_MIN_BYTES:
        raise ValueError(f"webhook secret key is {len(key)} bytes; at least {SECRET_MIN_BYTES} are needed")
    return key


def sign(secret: str, message_id: str, timestamp_s: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp_s}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets: Sequence[str], message_id: str, timestamp_s: int, body: bytes) -> str:
    """One signature per secret: two while a secret is being rotated."""
    assert secrets, "a webhook needs at least one signing secret"
    return " ".join(sign(secret, message_id, timestamp_s, body) for secret in secrets)


def webhook_headers(secrets: Sequence[str], message_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": signature_header(secrets, message_id, timestamp_s, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now_s: int, tolerance_s: int = 300
) -> None:
    """Raise SignatureError unless one v1 signature matches and the timestamp is fresh.

    The timestamp window stops a captured request from being replayed days later.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = _required(lowered, "webhook-id")
    timestamp_s = _timestamp_s(_required(lowered, "webhook-timestamp"))
    offered = _required(lowered, "webhook-signature")
    if abs(now_s - timestamp_s) > tolerance_s:
        raise SignatureError(f"webhook-timestamp is more than {tolerance_s} s away from now")
    expected = sign(secret, message_id, timestamp_s, body).encode()
    # Compare against every candidate in constant time, so timing tells nothing about the key.
    matched = False
    for candidate in offered.split():
        if candidate.startswith(f"{SIGNATURE_VERSION},"):
            matched |= hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise SignatureError("no webhook-signature matches (wrong secret, or the request was altered)")


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise SignatureError(f"missing header {name}")
    return value


def _timestamp_s(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise SignatureError("webhook-timestamp is not Unix seconds")
    return int(value)
