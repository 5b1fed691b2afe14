"""The gateway's rate limit, pure: token buckets with an injectable clock, and the choice of bucket.

No ASGI here (limits.py plugs it in), so the arithmetic is tested with a fake clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

BUCKETS_MAX = 100_000  # buckets kept per table; beyond, the least recently used goes (bounded memory)
ADDRESS_FACTOR = 4  # the per-address bucket: this many times the per-client rate and burst
CLIENT_ID_MAX_CHARS = 128  # a longer "id" is not one: the request is keyed by its address instead
TOKEN_PAYLOAD_MAX_CHARS = 8192  # a JWT payload longer than this is not worth decoding to pick a bucket
QUERY_FIELDS_MAX = 100  # a query string with more fields is keyed by its address
# Query parameters naming the caller, in order of preference, with the bucket key prefix of each.
QUERY_CLIENT_PARAMS = (("client_id", "client"), ("affiliate_id", "affiliate"))

Clock = Callable[[], float]  # seconds, monotonic


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_s: float


class TokenBuckets:
    """One bucket per key, refilled continuously at `rate_per_s` up to `burst` tokens; a request
    takes one token. A new key starts full, so evicting an idle bucket (most likely full again
    anyway) forgets little."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        buckets_max: int = BUCKETS_MAX,
        clock: Clock = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1 or buckets_max < 1:
            raise ValueError("rate_per_s > 0, burst >= 1 and buckets_max >= 1 are required")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.buckets_max = buckets_max
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()  # least recently used first

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def wait_s(self, key: str) -> float:
        """Seconds until `key` has a whole token: 0.0 when it has one now. Takes nothing."""
        bucket = self._refilled(key)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate_per_s

    def take(self, key: str) -> None:
        """Take a token; the caller has just seen `wait_s(key) == 0`."""
        self._refilled(key).tokens -= 1

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            if len(self._buckets) > self.buckets_max:
                self._buckets.popitem(last=False)
            return bucket
        self._buckets.move_to_end(key)
        elapsed_s = max(0.0, now - bucket.updated_s)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed_s * self.rate_per_s)
        bucket.updated_s = now
        return bucket


class RateLimiter:
    """A bucket per client and one per address, both charged: the client key comes from what the
    request claims (an unverified token, a query parameter), so anyone can forge new keys; the
    address bucket, ADDRESS_FACTOR times larger, bounds what one address gets whatever it claims."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        buckets_max: int = BUCKETS_MAX,
        clock: Clock = time.monotonic,
    ) -> None:
        self.clients = TokenBuckets(rate_per_s, burst, buckets_max=buckets_max, clock=clock)
        self.addresses = TokenBuckets(
            rate_per_s * ADDRESS_FACTOR, burst * ADDRESS_FACTOR, buckets_max=buckets_max, clock=clock
        )

    def admit(self, client_key: str, address: str) -> float:
        """0.0: admitted, a token taken from both buckets. Otherwise the seconds to wait, and nothing
        is taken: a refused request costs nothing, so a client that waits as told gets through.

        The address goes first, and a request it refuses never touches the client table: otherwise
        a flood of forged client keys, all refused, would still churn that table and evict (reset
        to full) the buckets of the clients actually being limited."""
        address_wait_s = self.addresses.wait_s(address)
        if address_wait_s > 0:
            return address_wait_s
        client_wait_s = self.clients.wait_s(client_key)
        if client_wait_s > 0:
            return client_wait_s
        self.clients.take(client_key)
        self.addresses.take(address)
        return 0.0


def retry_after_s(wait_s: float) -> int:
    """Retry-After in whole seconds (HTTP has no fractions), rounded up, at least 1."""
    return max(1, math.ceil(wait_s))


# --- which bucket ---------------------------------------------------------------------------------


def address_of(scope: Mapping[str, Any]) -> str:
    """The remote address; uvicorn has already taken it from X-Forwarded-For if the proxy is trusted."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def client_key(scope: Mapping[str, Any]) -> str:
    """The bucket of a request: the client a token names, else a client_id/affiliate_id query
    parameter, else the address. A token is decoded WITHOUT verification, only to pick the bucket
    (the gRPC server verifies it); an Authorization header that names no client means the address."""
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        claimed = _authorization_client_id(authorization)
        return f"client:{claimed}" if claimed else f"address:{address_of(scope)}"
    return _query_client_key(scope.get("query_string", b"")) or f"address:{address_of(scope)}"


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _authorization_client_id(authorization: str) -> str | None:
    scheme, _, credentials = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return _token_client_id(credentials.strip())
    if scheme == "basic":  # the token endpoint's client_secret_basic: the user name is the client_id
        return _basic_client_id(credentials.strip())
    return None


def _token_client_id(token: str) -> str | None:
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > TOKEN_PAYLOAD_MAX_CHARS:
        return None
    try:
        payload = json.loads(_b64decode(parts[1], altchars=b"-_"))
    except (ValueError, binascii.Error, RecursionError):  # bad base64/UTF-8/JSON; "[[[[..." nesting
        return None
    return _valid_id(payload.get("client_id")) if isinstance(payload, dict) else None


def _basic_client_id(credentials: str) -> str | None:
    if len(credentials) > TOKEN_PAYLOAD_MAX_CHARS:
        return None
    try:
        decoded = _b64decode(credentials, altchars=None).decode("utf-8")
    except (ValueError, binascii.Error):
        return None
    user, colon, _secret = decoded.partition(":")
    return _valid_id(unquote_plus(user)) if colon else None  # RFC 6749 2.3.1: form-encoded first


def _b64decode(text: str, *, altchars: bytes | None) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), altchars=altchars, validate=True)


def _query_client_key(query_string: bytes) -> str | None:
    # A cheap test first: most requests name no client in the query, and parsing costs.
    if not any(name.encode() + b"=" in query_string for name, _prefix in QUERY_CLIENT_PARAMS):
        return None
    try:
        params = dict(parse_qsl(query_string.decode("latin-1"), max_num_fields=QUERY_FIELDS_MAX))
    except ValueError:  # more fields than that: not a request worth a bucket of its own
        return None
    for name, prefix in QUERY_CLIENT_PARAMS:
        value = _valid_id(params.get(name))
        if value:
            return f"{prefix}:{value}"
    return None


def _valid_id(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= CLIENT_ID_MAX_CHARS:
        return value
    return None
