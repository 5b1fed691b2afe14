"""When an activity happened, in the member's own calendar, and whether it may still earn.

Pure. The seed's `timestamp` is a wall-clock time in the member's time zone ("YYYY-MM-DD HH:MM:SS");
gRPC callers may send an instant instead. Limits count per day, week (Monday to Sunday) and month of
the member's zone, so an activity keeps the local day it had at intake.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from loyalty.v1 import activity_pb2
from loyalty_server.activity.values import ActivityProblem
from loyalty_server.program.model import Period

Reason = activity_pb2.ActivityErrorReason
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
_LOCAL_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_SECONDS_MAX = 253_402_300_800  # 10000-01-01T00:00:00Z: the first instant a datetime cannot hold


@dataclass(frozen=True, slots=True)
class When:
    occurred_at: dt.datetime  # aware, UTC
    local_day: dt.date  # the day in the member's zone


def when_of(data: activity_pb2.ActivityData, zone: zoneinfo.ZoneInfo) -> When:
    """The activity's instant and local day; INVALID_TIMESTAMP or MISSING_FIELD when unusable."""
    which = data.WhichOneof("when")
    if which is None:
        raise ActivityProblem(Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD, "timestamp is required")
    try:
        if which == "local_timestamp":
            if not _LOCAL_SHAPE.fullmatch(data.local_timestamp):
                raise ValueError("not YYYY-MM-DD HH:MM:SS")
            local = dt.datetime.strptime(data.local_timestamp, LOCAL_FORMAT)
            return When(local.replace(tzinfo=zone).astimezone(dt.UTC), local.date())
        stamp = data.occur_time
        if not (0 < stamp.seconds < _SECONDS_MAX and 0 <= stamp.nanos < 1_000_000_000):
            raise ValueError("out of range")
        instant = stamp.ToDatetime(tzinfo=dt.UTC)
        return When(instant, instant.astimezone(zone).date())
    except (ValueError, OverflowError):
        # Malformed, or a date at the calendar's edge that a zone offset pushes past year 1 or 9999.
        raise ActivityProblem(
            Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP,
            "timestamp must be YYYY-MM-DD HH:MM:SS (occur_time: a valid instant)",
        ) from None


def check_window(occurred_at: dt.datetime, now: dt.datetime, *, backdate_days: int, future_days: int) -> None:
    """The seed: points only for activities up to seven days back and at most one day ahead."""
    if occurred_at < now - dt.timedelta(days=backdate_days):
        raise ActivityProblem(
            Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD, f"older than {backdate_days} days"
        )
    if occurred_at > now + dt.timedelta(days=future_days):
        raise ActivityProblem(
            Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE, f"more than {future_days} day(s) ahead"
        )


def period_days(period: Period, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar period holding `day`: first day and the day after the last."""
    if period is Period.DAY:
        return day, day + dt.timedelta(days=1)
    if period is Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=7)
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
