"""Activity timing without I/O: the member's local timestamp, the earning window, calendar periods."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

import pytest
from google.protobuf import timestamp_pb2

from loyalty.v1 import activity_pb2
from loyalty_server.activity.timing import When, check_window, local_midnight, period_days, when_of
from loyalty_server.activity.values import ActivityProblem
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.program import load_program_file
from loyalty_server.program.model import Period

Reason = activity_pb2.ActivityErrorReason
UTC = dt.UTC
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
LONDON = zoneinfo.ZoneInfo("Europe/London")
SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")  # DST starts at midnight: 00:00 never happens
HAVANA = zoneinfo.ZoneInfo("America/Havana")  # DST ends at 01:00 -> 00:00: midnight happens twice
UTC_ZONE = zoneinfo.ZoneInfo("UTC")
PROGRAM = load_program_file(DEMO_PROGRAM)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


def local(text: str) -> activity_pb2.ActivityData:
    return activity_pb2.ActivityData(id="a1", local_timestamp=text)


def instant(seconds: int, nanos: int = 0) -> activity_pb2.ActivityData:
    return activity_pb2.ActivityData(
        id="a1", occur_time=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    )


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def reason_of(data: activity_pb2.ActivityData, zone: zoneinfo.ZoneInfo) -> int:
    with pytest.raises(ActivityProblem) as caught:
        when_of(data, zone)
    return caught.value.reason


# ----- when_of: the seed's local timestamp --------------------------------------------------------


def test_the_same_local_timestamp_is_another_instant_in_another_zone_but_the_same_local_day() -> None:
    chicago = when_of(local("2026-03-14 08:30:00"), CHICAGO)  # CDT, UTC-5
    tokyo = when_of(local("2026-03-14 08:30:00"), TOKYO)  # JST, UTC+9
    assert chicago == When(utc(2026, 3, 14, 13, 30), dt.date(2026, 3, 14))
    assert tokyo == When(utc(2026, 3, 13, 23, 30), dt.date(2026, 3, 14))  # the day before in UTC
    assert chicago.occurred_at - tokyo.occurred_at == dt.timedelta(hours=14)
    assert chicago.local_day == tokyo.local_day


def test_a_late_evening_keeps_its_local_day_though_utc_is_already_tomorrow() -> None:
    when = when_of(local("2026-01-15 23:30:00"), CHICAGO)  # CST, UTC-6
    assert when == When(utc(2026, 1, 16, 5, 30), dt.date(2026, 1, 15))
    assert when.occurred_at.tzinfo is UTC


@pytest.mark.parametrize("zone", [CHICAGO, TOKYO, LONDON, SANTIAGO, UTC_ZONE], ids=str)
def test_the_local_day_is_the_timestamps_date_and_round_trips(zone: zoneinfo.ZoneInfo) -> None:
    when = when_of(local("2026-07-04 12:34:56"), zone)
    assert when.local_day == dt.date(2026, 7, 4)
    assert when.occurred_at.utcoffset() == dt.timedelta(0)
    back = when.occurred_at.astimezone(zone)
    assert back.replace(tzinfo=None) == dt.datetime(2026, 7, 4, 12, 34, 56)


def test_utc_zone_leaves_the_time_alone() -> None:
    assert when_of(local("2028-02-29 00:00:00"), UTC_ZONE) == When(utc(2028, 2, 29), dt.date(2028, 2, 29))


@pytest.mark.parametrize(
    ("zone", "text", "candidates"),
    [
        # Spring forward: 02:00-03:00 does not exist.
        (CHICAGO, "2026-03-08 02:30:00", {utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8, 30)}),
        (LONDON, "2026-03-29 01:30:00", {utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)}),
        (SANTIAGO, "2024-09-08 00:30:00", {utc(2024, 9, 8, 3, 30), utc(2024, 9, 8, 4, 30)}),
        # Fall back: 01:00-02:00 happens twice.
        (CHICAGO, "2026-11-01 01:30:00", {utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 7, 30)}),
        (LONDON, "2026-10-25 01:30:00", {utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)}),
        (HAVANA, "2025-11-02 00:30:00", {utc(2025, 11, 2, 4, 30), utc(2025, 11, 2, 5, 30)}),
    ],
)
def test_dst_gaps_and_folds_do_not_crash_and_keep_the_local_day(
    zone: zoneinfo.ZoneInfo, text: str, candidates: set[dt.datetime]
) -> None:
    when = when_of(local(text), zone)
    assert when.occurred_at in candidates
    assert when.local_day == dt.date.fromisoformat(text[:10])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-03-01",
        "12:00:00",
        "2026-03-01T12:00:00",
        "2026/03/01 12:00:00",
        "2026-03-01 12:00",
        "2026-03-01 12:00:00Z",
        "2026-03-01 12:00:00+09:00",
        "2026-03-01 12:00:00.5",
        "2026-03-01 12:00:00 ",
        " 2026-03-01 12:00:00",
        "2026-02-30 12:00:00",
        "2026-02-29 12:00:00",  # 2026 is not a leap year
        "2026-13-01 12:00:00",
        "2026-00-10 12:00:00",
        "2026-03-01 24:00:00",
        "2026-03-01 12:60:00",
        "2026-03-01 12:00:60",  # strptime reads 60 and 61, datetime refuses them
        "2026-03-01 12:00:61",
        "26-03-01 12:00:00",
        "tomorrow",
        "1441497600",
    ],
)
def test_malformed_timestamps_are_invalid_timestamp(text: str) -> None:
    assert reason_of(local(text), CHICAGO) == Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP


def test_a_missing_timestamp_is_missing_field() -> None:
    data = activity_pb2.ActivityData(id="a1")
    assert reason_of(data, CHICAGO) == Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD


def test_the_seed_example_timestamp() -> None:
    when = when_of(local("2015-09-08 18:29:28"), CHICAGO)
    assert when == When(utc(2015, 9, 8, 23, 29, 28), dt.date(2015, 9, 8))


@pytest.mark.parametrize(
    ("text", "zone"),
    [("0001-01-01 00:00:00", TOKYO), ("9999-12-31 23:59:59", CHICAGO)],
    ids=["year-1-east-of-utc", "year-9999-west-of-utc"],
)
def test_a_local_timestamp_at_the_ends_of_time_is_refused_not_a_crash(
    text: str, zone: zoneinfo.ZoneInfo
) -> None:
    assert reason_of(local(text), zone) == Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP


# ----- when_of: an instant ------------------------------------------------------------------------


def test_an_instant_keeps_its_time_and_takes_the_members_local_day() -> None:
    seconds = int(utc(2026, 1, 16, 5, 30).timestamp())
    chicago = when_of(instant(seconds), CHICAGO)
    tokyo = when_of(instant(seconds), TOKYO)
    assert chicago == When(utc(2026, 1, 16, 5, 30), dt.date(2026, 1, 15))
    assert tokyo == When(utc(2026, 1, 16, 5, 30), dt.date(2026, 1, 16))


def test_an_instant_keeps_sub_second_precision() -> None:
    seconds = int(utc(2026, 3, 1, 12).timestamp())
    when = when_of(instant(seconds, 500_000_000), UTC_ZONE)
    assert when.occurred_at == utc(2026, 3, 1, 12, 0, 0, 500_000)


def test_the_ends_of_the_accepted_instant_range() -> None:
    assert when_of(instant(1), UTC_ZONE) == When(utc(1970, 1, 1, 0, 0, 1), dt.date(1970, 1, 1))
    assert when_of(instant(1), CHICAGO).local_day == dt.date(1969, 12, 31)
    last = 253_402_300_799  # 9999-12-31T23:59:59Z
    assert when_of(instant(last), UTC_ZONE) == When(utc(9999, 12, 31, 23, 59, 59), dt.date(9999, 12, 31))
    assert when_of(instant(last), CHICAGO).local_day == dt.date(9999, 12, 31)


@pytest.mark.parametrize("seconds", [0, -1, -62_135_596_800, 253_402_300_800, 2**62])
def test_an_occur_time_out_of_range_is_invalid_timestamp(seconds: int) -> None:
    assert reason_of(instant(seconds), CHICAGO) == Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP


def test_the_last_accepted_instant_in_a_zone_east_of_utc_is_not_a_crash() -> None:
    # Its local day would be 10000-01-01, which no date can hold: it can only be refused.
    assert reason_of(instant(253_402_300_799), TOKYO) == Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP


@pytest.mark.parametrize("nanos", [-1, 1_000_000_000])
def test_an_occur_time_with_bad_nanos_is_invalid_timestamp(nanos: int) -> None:
    seconds = int(utc(2026, 3, 1).timestamp())
    assert reason_of(instant(seconds, nanos), CHICAGO) == Reason.ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP


# ----- check_window -------------------------------------------------------------------------------


def window(occurred_at: dt.datetime, now: dt.datetime = NOW) -> int | None:
    try:
        check_window(
            occurred_at,
            now,
            backdate_days=PROGRAM.activity.backdate_days_max,
            future_days=PROGRAM.activity.future_days_max,
        )
    except ActivityProblem as problem:
        return problem.reason
    return None


def test_the_demo_window_is_the_seeds() -> None:
    assert (PROGRAM.activity.backdate_days_max, PROGRAM.activity.future_days_max) == (7, 1)


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (dt.timedelta(0), None),
        (-7 * DAY, None),  # exactly seven days back
        (-7 * DAY - SECOND, Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD),
        (-7 * DAY - dt.timedelta(microseconds=1), Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD),
        (-7 * DAY + SECOND, None),
        (-30 * DAY, Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD),
        (DAY, None),  # exactly one day ahead
        (DAY + SECOND, Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE),
        (DAY + dt.timedelta(microseconds=1), Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE),
        (DAY - SECOND, None),
        (365 * DAY, Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE),
    ],
)
def test_seven_days_back_and_one_day_ahead(offset: dt.timedelta, reason: int | None) -> None:
    assert window(NOW + offset) == reason


def test_the_window_compares_instants_whatever_their_zone() -> None:
    assert window((NOW - 7 * DAY).astimezone(TOKYO)) is None
    assert (
        window((NOW - 7 * DAY - SECOND).astimezone(CHICAGO)) == Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD
    )


def test_a_local_timestamp_at_the_edge_of_the_window() -> None:
    now = utc(2026, 3, 20, 18, 0)  # 13:00 in Chicago (CDT)
    edge = when_of(local("2026-03-13 13:00:00"), CHICAGO).occurred_at
    assert edge == now - 7 * DAY
    assert window(edge, now) is None
    older = when_of(local("2026-03-13 12:59:59"), CHICAGO).occurred_at
    assert window(older, now) == Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD
    # The same wall-clock time in Tokyo is 14 hours earlier: already too old.
    assert window(when_of(local("2026-03-13 13:00:00"), TOKYO).occurred_at, now) == (
        Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD
    )
    ahead = when_of(local("2026-03-21 13:00:00"), CHICAGO).occurred_at
    assert window(ahead, now) is None
    assert window(ahead + SECOND, now) == Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE


def test_a_zero_day_window_accepts_only_now() -> None:
    check_window(NOW, NOW, backdate_days=0, future_days=0)
    for moment, reason in [
        (NOW - dt.timedelta(microseconds=1), Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD),
        (NOW + dt.timedelta(microseconds=1), Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE),
    ]:
        with pytest.raises(ActivityProblem) as caught:
            check_window(moment, NOW, backdate_days=0, future_days=0)
        assert caught.value.reason == reason


def test_window_messages_name_the_limits() -> None:
    with pytest.raises(ActivityProblem, match="older than 7 days"):
        check_window(NOW - 8 * DAY, NOW, backdate_days=7, future_days=1)
    with pytest.raises(ActivityProblem, match=r"more than 1 day\(s\) ahead"):
        check_window(NOW + 2 * DAY, NOW, backdate_days=7, future_days=1)


# ----- period_days --------------------------------------------------------------------------------


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "day", "start", "end"),
    [
        (Period.DAY, "2026-03-14", "2026-03-14", "2026-03-15"),
        (Period.DAY, "2026-12-31", "2026-12-31", "2027-01-01"),
        (Period.DAY, "2028-02-28", "2028-02-28", "2028-02-29"),
        # Weeks start on Monday: 2026-03-09 is a Monday, 2026-03-15 a Sunday.
        (Period.WEEK, "2026-03-09", "2026-03-09", "2026-03-16"),
        (Period.WEEK, "2026-03-12", "2026-03-09", "2026-03-16"),
        (Period.WEEK, "2026-03-15", "2026-03-09", "2026-03-16"),
        (Period.WEEK, "2026-03-16", "2026-03-16", "2026-03-23"),
        (Period.WEEK, "2026-01-01", "2025-12-29", "2026-01-05"),  # across the new year
        (Period.WEEK, "2028-03-01", "2028-02-28", "2028-03-06"),  # across a leap day
        (Period.MONTH, "2026-01-31", "2026-01-01", "2026-02-01"),
        (Period.MONTH, "2026-02-01", "2026-02-01", "2026-03-01"),
        (Period.MONTH, "2026-02-28", "2026-02-01", "2026-03-01"),
        (Period.MONTH, "2028-02-29", "2028-02-01", "2028-03-01"),
        (Period.MONTH, "2028-02-01", "2028-02-01", "2028-03-01"),
        (Period.MONTH, "2026-04-30", "2026-04-01", "2026-05-01"),
        (Period.MONTH, "2026-12-01", "2026-12-01", "2027-01-01"),
        (Period.MONTH, "2026-12-31", "2026-12-01", "2027-01-01"),
    ],
)
def test_period_days(period: Period, day: str, start: str, end: str) -> None:
    assert period_days(period, d(day)) == (d(start), d(end))


def test_every_day_of_four_years_lies_in_its_periods() -> None:
    day = d("2025-01-01")
    while day < d("2029-01-01"):
        start, end = period_days(Period.DAY, day)
        assert (start, end) == (day, day + DAY)
        start, end = period_days(Period.WEEK, day)
        assert start <= day < end
        assert start.weekday() == 0
        assert end - start == 7 * DAY
        start, end = period_days(Period.MONTH, day)
        assert start <= day < end
        assert start == day.replace(day=1)
        assert end.day == 1
        assert (end - start).days == calendar.monthrange(day.year, day.month)[1]
        day += DAY


# ----- local_midnight -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        (CHICAGO, "2026-01-15", utc(2026, 1, 15, 6)),
        (CHICAGO, "2026-07-15", utc(2026, 7, 15, 5)),
        (TOKYO, "2026-01-15", utc(2026, 1, 14, 15)),
        (UTC_ZONE, "2026-01-15", utc(2026, 1, 15)),
        (CHICAGO, "2026-03-08", utc(2026, 3, 8, 6)),  # the change is at 02:00, after midnight
        (CHICAGO, "2026-11-01", utc(2026, 11, 1, 5)),
        # Santiago skips 00:00-01:00 on 2024-09-08: the day starts at 01:00 -03, 04:00 UTC.
        (SANTIAGO, "2024-09-08", utc(2024, 9, 8, 4)),
        # Havana has 00:00-01:00 twice on 2025-11-02: the day starts at the first one (-04).
        (HAVANA, "2025-11-02", utc(2025, 11, 2, 4)),
    ],
)
def test_local_midnight(zone: zoneinfo.ZoneInfo, day: str, expected: dt.datetime) -> None:
    midnight = local_midnight(d(day), zone)
    assert midnight == expected
    assert midnight.tzinfo is UTC


def test_local_days_are_23_or_25_hours_long_on_dst_changes() -> None:
    def length(day: str) -> dt.timedelta:
        return local_midnight(d(day) + DAY, CHICAGO) - local_midnight(d(day), CHICAGO)

    assert length("2026-03-07") == dt.timedelta(hours=24)
    assert length("2026-03-08") == dt.timedelta(hours=23)
    assert length("2026-11-01") == dt.timedelta(hours=25)


@pytest.mark.parametrize("zone", [CHICAGO, TOKYO, LONDON, SANTIAGO, HAVANA, UTC_ZONE], ids=str)
def test_local_midnight_is_the_first_instant_of_the_local_day(zone: zoneinfo.ZoneInfo) -> None:
    day = d("2024-01-01")
    while day < d("2027-01-01"):
        midnight = local_midnight(day, zone)
        assert midnight.astimezone(zone).date() == day, day
        assert (midnight - dt.timedelta(microseconds=1)).astimezone(zone).date() == day - DAY, day
        # An instant at local midnight gives the same local day through when_of.
        assert when_of(instant(int(midnight.timestamp())), zone).local_day == day
        day += DAY
