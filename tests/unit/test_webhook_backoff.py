"""Webhook retry timing: about three days of exponential backoff, jittered, honouring Retry-After."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from loyalty_server.webhooks.backoff import RetryPolicy, delay_s, next_attempt_at, parse_retry_after

START = dt.datetime(2026, 9, 21, 12, 0, tzinfo=dt.UTC)
NO_JITTER = RetryPolicy(jitter=0)


def _schedule(policy: RetryPolicy, retry_after_s: int | None = None) -> list[dt.datetime]:
    """Attempt times until give-up, when every attempt fails at once."""
    rng = random.Random(7)
    attempts = [START]
    while True:
        at = next_attempt_at(
            policy,
            retry_started_at=START,
            now=attempts[-1],
            attempts_made=len(attempts),
            retry_after_s=retry_after_s,
            rng=rng,
        )
        if at is None:
            return attempts
        attempts.append(at)


def test_default_schedule_spans_about_three_days() -> None:
    attempts = _schedule(NO_JITTER)
    assert 10 <= len(attempts) <= 16
    last_h = (attempts[-1] - START).total_seconds() / 3600
    assert 60 <= last_h <= 72


def test_delays_grow_then_hit_the_cap() -> None:
    rng = random.Random(1)
    delays = [delay_s(NO_JITTER, attempts_made, rng) for attempts_made in range(1, 12)]
    assert delays[:4] == [30, 90, 270, 810]
    assert delays == sorted(delays)
    assert delays[-1] == 14 * 3600


def test_huge_attempt_counts_stay_capped() -> None:
    assert delay_s(NO_JITTER, 10_000, random.Random(1)) == 14 * 3600


def test_delay_needs_a_failed_attempt() -> None:
    with pytest.raises(AssertionError):
        delay_s(NO_JITTER, 0, random.Random(1))


@pytest.mark.parametrize("attempts_made", [1, 3, 20])
def test_jitter_stays_within_bounds_and_varies(attempts_made: int) -> None:
    policy = RetryPolicy()
    base_s = delay_s(NO_JITTER, attempts_made, random.Random(0))
    delays = [delay_s(policy, attempts_made, random.Random(seed)) for seed in range(2000)]
    assert all(0.8 * base_s <= d <= 1.2 * base_s for d in delays)
    assert min(delays) < 0.85 * base_s
    assert max(delays) > 1.15 * base_s


def test_jittered_schedule_still_gives_up_inside_the_window() -> None:
    for seed in range(50):
        rng = random.Random(seed)
        now, attempts_made = START, 1
        while (at := _next(RetryPolicy(), now, attempts_made, None, rng)) is not None:
            now, attempts_made = at, attempts_made + 1
        assert now <= START + dt.timedelta(hours=72)
        assert 9 <= attempts_made <= 17


def _next(
    policy: RetryPolicy, now: dt.datetime, attempts_made: int, retry_after_s: int | None, rng: random.Random
) -> dt.datetime | None:
    return next_attempt_at(
        policy,
        retry_started_at=START,
        now=now,
        attempts_made=attempts_made,
        retry_after_s=retry_after_s,
        rng=rng,
    )


def test_longer_retry_after_wins() -> None:
    at = _next(NO_JITTER, START, 1, 600, random.Random(1))
    assert at == START + dt.timedelta(seconds=600)


def test_shorter_retry_after_does_not_shorten_the_backoff() -> None:
    at = _next(NO_JITTER, START, 3, 5, random.Random(1))
    assert at == START + dt.timedelta(seconds=270)


def test_negative_retry_after_is_ignored() -> None:
    at = _next(NO_JITTER, START, 1, -100, random.Random(1))
    assert at == START + dt.timedelta(seconds=30)


def test_retry_after_is_clamped_to_its_maximum() -> None:
    policy = RetryPolicy(jitter=0, retry_after_max_s=3600)
    at = _next(policy, START, 1, 10 * 86_400, random.Random(1))
    assert at == START + dt.timedelta(hours=1)


def test_retry_after_beyond_the_window_gives_up() -> None:
    now = START + dt.timedelta(hours=60)
    assert _next(NO_JITTER, now, 2, 23 * 3600, random.Random(1)) is None


def test_window_is_measured_from_retry_start_not_now() -> None:
    just_inside = START + dt.timedelta(hours=72) - dt.timedelta(seconds=31)
    assert _next(NO_JITTER, just_inside, 1, None, random.Random(1)) is not None
    assert _next(NO_JITTER, just_inside + dt.timedelta(seconds=2), 1, None, random.Random(1)) is None


def test_naive_times_are_refused() -> None:
    naive = dt.datetime(2026, 9, 21, 12, 0)
    with pytest.raises(AssertionError):
        next_attempt_at(
            NO_JITTER,
            retry_started_at=naive,
            now=START,
            attempts_made=1,
            retry_after_s=None,
            rng=random.Random(),
        )
    with pytest.raises(AssertionError):
        next_attempt_at(
            NO_JITTER,
            retry_started_at=START,
            now=naive,
            attempts_made=1,
            retry_after_s=None,
            rng=random.Random(),
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"first_delay_s": 0},
        {"first_delay_s": -1},
        {"factor": 0.5},
        {"delay_max_s": 10},  # below first_delay_s
        {"window_s": 0},
        {"jitter": -0.1},
        {"jitter": 1},
        {"retry_after_max_s": 0},
    ],
)
def test_policy_validates_its_limits(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each field has its own message
        RetryPolicy(**changes)  # type: ignore[arg-type]


# --- Retry-After parsing ---------------------------------------------------------------------------

NOW = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120),
        ("  120  ", 120),
        ("0", 0),
        ("-5", 0),
        ("999999", 86_400),
        ("9" * 200, 86_400),
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120),
        ("Wednesday, 21-Oct-15 07:30:00 GMT", 120),  # RFC 850, obsolete but allowed
        ("Wed Oct 21 07:30:00 2015", 120),  # asctime, treated as GMT
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0),  # in the past
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0),
        ("Fri, 21 Oct 2016 07:28:00 GMT", 86_400),  # a year away: clamped
        ("Wed, 21 Oct 2015 07:28:00.5 GMT", None),
    ],
)
def test_parse_retry_after(value: str, expected: int | None) -> None:
    assert parse_retry_after(value, NOW, max_s=86_400) == expected


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "1.5", "12s", "0x10", "Wed, 99 Oct 2015 07:28:00 GMT"]
)
def test_unusable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW, max_s=86_400) is None


def test_retry_after_date_rounds_up_to_whole_seconds() -> None:
    now = NOW - dt.timedelta(milliseconds=500)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, max_s=60) == 1
