"""UtcDateTime's one-step SQLite processors (storage/schema.py) bind and read exactly what
SQLAlchemy's own pair (process_bind_param / process_result_value, then SQLite's DATETIME) does."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator

from loyalty_server.storage.schema import UtcDateTime

DIALECT = sqlite.dialect()
TYPE = UtcDateTime().dialect_impl(DIALECT)  # as statements use it: its impl is SQLite's DATETIME
ZONES = [dt.UTC, ZoneInfo("America/Chicago"), ZoneInfo("Asia/Kolkata"), dt.timezone(dt.timedelta(hours=-3))]


def moments(count: int) -> list[dt.datetime]:
    rng = random.Random(7)
    edges = [
        dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),  # no microseconds: still written with six digits
        dt.datetime(1, 1, 2, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ]
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return edges + [
        (start + dt.timedelta(microseconds=rng.randrange(4 * 10**15))).astimezone(rng.choice(ZONES))
        for _ in range(count)
    ]


def test_binding_writes_the_text_sqlalchemys_pair_writes() -> None:
    ours = TYPE.bind_processor(DIALECT)
    theirs = TypeDecorator.bind_processor(TYPE, DIALECT)
    assert ours is not None
    assert theirs is not None
    for moment in moments(2000):
        assert ours(moment) == theirs(moment), moment
    assert ours(None) is None


def test_reading_gives_the_datetime_sqlalchemys_pair_gives() -> None:
    ours = TYPE.result_processor(DIALECT, None)
    theirs = TypeDecorator.result_processor(TYPE, DIALECT, None)
    bind = TYPE.bind_processor(DIALECT)
    for moment in moments(2000):
        stored = bind(moment)
        assert ours(stored) == theirs(stored) == moment
        assert ours(stored).tzinfo is dt.UTC
    by_hand = {  # written by SQL or by hand, an offset included
        "2026-03-01 12:00:00": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
        "2026-03-01 12:00:00.5": dt.datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=dt.UTC),
        "2026-03-01 14:00:00+02:00": dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
    }
    for stored, moment in by_hand.items():
        assert ours(stored) == theirs(stored) == moment
        assert ours(stored).tzinfo is dt.UTC
    by_hand = ("2026-03-01 12:00:00", "2026-03-01 12:00:00.5", "2026-03-01 14:00:00+02:00")
    for stored in by_hand:  # written by SQL or by hand, an offset included
        assert ours(stored) == theirs(stored) == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC) or (
            stored.endswith(".5")
        )
        assert ours(stored).tzinfo is dt.UTC
    assert ours(None) is None


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(AssertionError, match="naive"):
        TYPE.bind_processor(DIALECT)(dt.datetime(2026, 3, 1))
