"""When to try a failed webhook delivery again.

Exponential backoff with jitter, so endpoints recovering from an outage are not hit by every
replica at the same second, capped per delay and bounded by a window (about three days with the
defaults). A receiver's Retry-After may make us wait longer, never shorter.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

_DELTA_SECONDS = re.compile(r"-?[0-9]+")
_DELTA_DIGITS_MAX = 12  # more digits than this is clamped anyway; int() of it is not worth the work


@dataclass(frozen=True)
class RetryPolicy:
    first_delay_s: float = 30
    factor: float = 3
    delay_max_s: float = 14 * 3600
    window_s: float = 72 * 3600  # no attempt later than retry_started_at + window_s
    jitter: float = 0.2  # each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]
    retry_after_max_s: int = 24 * 3600  # a receiver cannot park a delivery longer than this

    def __post_init__(self) -> None:
        if not self.first_delay_s > 0:
            raise ValueError("first_delay_s must be positive")
        if not self.factor >= 1:
            raise ValueError("factor must be at least 1: delays never shrink")
        if not self.delay_max_s >= self.first_delay_s:
            raise ValueError("delay_max_s must be at least first_delay_s")
        if not self.window_s > 0:
            raise ValueError("window_s must be positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if not self.retry_after_max_s > 0:
            raise ValueError("retry_after_max_s must be positive")


def delay_s(policy: RetryPolicy, attempts_made: int, rng: random.Random) -> float:
    """The wait after `attempts_made` failed attempts (the one that just failed included)."""
    assert attempts_made >= 1, "delay_s is asked after at least one failed attempt"
    try:
        raw_s = policy.first_delay_s * policy.factor ** (attempts_made - 1)
    except OverflowError:  # a huge attempt count: the cap applies long before
        raw_s = policy.delay_max_s
    capped_s = min(raw_s, policy.delay_max_s)
    return capped_s * rng.uniform(1 - policy.jitter, 1 + policy.jitter)


def next_attempt_at(
    policy: RetryPolicy,
    *,
    retry_started_at: dt.datetime,
    now: dt.datetime,
    attempts_made: int,
    retry_after_s: int | None,
    rng: random.Random,
) -> dt.datetime | None:
    """When to try again, or None to give up: the next attempt would fall outside the window."""
    assert retry_started_at.tzinfo is not None, "retry_started_at must be timezone-aware"
    assert now.tzinfo is not None, "now must be timezone-aware"
    wait_s = delay_s(policy, attempts_made, rng)
    if retry_after_s is not None:
        wait_s = max(wait_s, min(max(retry_after_s, 0), policy.retry_after_max_s))
    at = now + dt.timedelta(seconds=wait_s)
    if at > retry_started_at + dt.timedelta(seconds=policy.window_s):
        return None
    return at


def parse_retry_after(value: str | None, now: dt.datetime, *, max_s: int) -> int | None:
    """Seconds to wait from an RFC 9110 Retry-After (delta-seconds or HTTP-date); None if unusable."""
    assert now.tzinfo is not None, "now must be timezone-aware"
    text = (value or "").strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        if len(text.lstrip("-")) > _DELTA_DIGITS_MAX:
            return 0 if text.startswith("-") else max_s
        return _clamp(int(text), max_s)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": an HTTP-date is always GMT
        when = when.replace(tzinfo=dt.UTC)
    return _clamp(math.ceil((when - now).total_seconds()), max_s)


def _clamp(seconds: int, max_s: int) -> int:
    return min(max(seconds, 0), max_s)
