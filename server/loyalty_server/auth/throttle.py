"""Failed-login throttling in fixed windows. Plain Python: the caller loads and stores the counters."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FailureWindow:
    window_start: dt.datetime
    failures: int


def retry_after_s(
    window: FailureWindow | None, *, now: dt.datetime, failures_max: int, window_s: int
) -> int | None:
    """Seconds until another attempt is allowed, or None when one is allowed now."""
    if window is None or window.failures < failures_max:
        return None
    window_end = window.window_start + dt.timedelta(seconds=window_s)
    if now >= window_end:
        return None
    return max(1, math.ceil((window_end - now).total_seconds()))


def after_failure(window: FailureWindow | None, *, now: dt.datetime, window_s: int) -> FailureWindow:
    """The counter after one more failure: a window that has ended starts over."""
    if window is None or now >= window.window_start + dt.timedelta(seconds=window_s):
        return FailureWindow(window_start=now, failures=1)
    return FailureWindow(window_start=window.window_start, failures=window.failures + 1)
