"""When a failed call is tried again, and how long to wait first. Pure: no I/O, no clock.

A call is retried only when running it twice cannot do anything twice: reads, and writes that carry
a `request_id` (the server answers a replay with the first result). And only on the two codes that
say "the outcome is unknown or the server was not reached": UNAVAILABLE and DEADLINE_EXCEEDED.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message

from loyalty.v1 import auth_pb2

RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
READ_PREFIXES = ("Get", "List", "Lookup", "Simulate")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded in attempts and in the longest wait.

    `attempts_max` counts the first try: 5 means at most 4 retries. Each wait is drawn from
    [50 %, 100 %] of min(backoff_max_ms, backoff_initial_ms * multiplier ** retry), so many clients
    cut off together do not come back together. A server's RetryInfo is honoured, within the cap.
    """

    attempts_max: int = 5
    backoff_initial_ms: int = 100
    backoff_max_ms: int = 5_000
    multiplier: float = 2.0
    # A stream gives up after this many reconnects in a row that received nothing.
    stream_reconnects_max: int = 30

    def __post_init__(self) -> None:
        assert self.attempts_max >= 1, "attempts_max counts the first try"
        assert 0 < self.backoff_initial_ms <= self.backoff_max_ms
        assert self.multiplier >= 1.0
        assert self.stream_reconnects_max >= 1

    @property
    def _retries_to_cap(self) -> int:
        """From this retry on, the exponential wait is at (or past) its cap: bounds the exponent."""
        if self.multiplier == 1.0:
            return 0
        return math.ceil(math.log(self.backoff_max_ms / self.backoff_initial_ms, self.multiplier))

    def backoff_ms(self, retry: int, rng: random.Random, server_delay: dt.timedelta | None = None) -> int:
        """The wait before retry number `retry` (0 = the first retry)."""
        assert retry >= 0
        exponent = min(retry, self._retries_to_cap)
        ceiling_ms = min(self.backoff_max_ms, self.backoff_initial_ms * self.multiplier**exponent)
        wait_ms = int(ceiling_ms * rng.uniform(0.5, 1.0))
        if server_delay is not None:
            wait_ms = max(wait_ms, int(server_delay.total_seconds() * 1000))
        return min(wait_ms, self.backoff_max_ms)


NO_RETRY = RetryPolicy(attempts_max=1)


def method_name(full_method: str | bytes) -> str:
    """`/loyalty.v1.LedgerService/GetBalance` -> `GetBalance`."""
    text = full_method.decode() if isinstance(full_method, bytes) else full_method
    return text.rsplit("/", 1)[-1]


def is_idempotent(full_method: str | bytes, request: object) -> bool:
    """Safe to send twice: a read, or a write whose `request_id` makes the second one a replay."""
    name = method_name(full_method)
    if name.startswith(READ_PREFIXES):
        return True
    if name == "ExchangeToken":  # a second client-credentials token is harmless; a code is single-use
        return getattr(request, "grant_type", None) == auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS
    if isinstance(request, Message) and "request_id" in request.DESCRIPTOR.fields_by_name:
        return bool(request.request_id)  # type: ignore[attr-defined]
    return False


def should_retry(code: grpc.StatusCode, *, idempotent: bool, attempt: int, policy: RetryPolicy) -> bool:
    """`attempt` is the number of tries made so far (1 after the first)."""
    return idempotent and code in RETRYABLE_CODES and attempt < policy.attempts_max
