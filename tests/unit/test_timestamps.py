"""set_timestamp writes what Timestamp.FromDatetime writes, across the Timestamp's whole range."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from loyalty.v1 import subscription_pb2
from loyalty_server.timestamps import set_timestamp, timestamp

_ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(-dt.timedelta(hours=8))]
)


def _from_datetime(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=_ZONES))
def test_same_as_from_datetime(moment: dt.datetime) -> None:
    stamp = timestamp(moment)
    assert stamp == _from_datetime(moment)
    assert stamp is not None
    assert stamp.ToDatetime(tzinfo=dt.UTC) == moment


def test_edges() -> None:
    for moment in (
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    ):
        assert timestamp(moment) == _from_datetime(moment)
    before_epoch = timestamp(dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC))
    assert before_epoch == timestamp_pb2.Timestamp(seconds=-1, nanos=999_999_000)
    assert timestamp(None) is None


def test_the_epoch_is_still_set_on_a_message() -> None:
    event = subscription_pb2.Event()
    set_timestamp(event.event_time, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    assert event.HasField("event_time")
