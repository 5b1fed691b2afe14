"""Time comes from an injected clock, so expiry, caps and token lifetimes are testable."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime) -> None:
        assert start.tzinfo is not None, "FakeClock needs a timezone-aware start"
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        assert delta >= dt.timedelta(0), "time does not run backwards"
        self._now += delta

    def set(self, moment: dt.datetime) -> None:
        assert moment.tzinfo is not None
        self._now = moment.astimezone(dt.UTC)
