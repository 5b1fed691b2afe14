"""Tier rules without a database: levels, custom floors, multipliers, progress, downgrade timing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from loyalty_server.ledger import tier_rules
from loyalty_server.ledger.tier_rules import ChangeKind, TierState
from loyalty_server.program.model import CustomTier, TierLevel, Tiers

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
TIERS = Tiers(
    qualifying_window_days=365,
    downgrade_grace_days=30,
    downgrade_warning_days=14,
    qualifying_currencies=("permanent",),
    levels=(
        TierLevel("bronze", "Bronze", 0, 100),
        TierLevel("silver", "Silver", 2000, 110),
        TierLevel("gold", "Gold", 10000, 125),
    ),
    custom=(
        CustomTier("vip", "VIP", "gold", 150, True),
        CustomTier("employee", "Employee", "silver", 200, False),
        CustomTier("patron", "Patron", "gold", 100, False),  # its floor earns more than it does
        CustomTier("friend", "Friend", None, 120, False),
    ),
)


def state(tier_id: str | None = None, custom: str | None = None, **changes: object) -> TierState:
    base = TierState(tier_id, None, custom, None, None, None)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("points", "level"),
    [(0, "bronze"), (1999, "bronze"), (2000, "silver"), (9999, "silver"), (10000, "gold"), (-5, "bronze")],
)
def test_the_highest_level_the_points_reach(points: int, level: str) -> None:
    assert TIERS.levels[tier_rules.justified_rank(TIERS, points)].id == level


def test_unknown_or_missing_level_counts_as_the_lowest() -> None:
    assert tier_rules.level_rank(TIERS, None) == 0
    assert tier_rules.level_rank(TIERS, "platinum") == 0
    assert tier_rules.effective_tier(TIERS, state()).id == "bronze"


@pytest.mark.parametrize(
    ("held", "custom", "effective", "multiplier"),
    [
        (None, None, "bronze", 100),
        ("silver", None, "silver", 110),
        ("bronze", "employee", "employee", 200),  # floor silver lifts the member; its own 200 applies
        ("gold", "employee", "gold", 200),  # gold is above the floor, the employee benefit stays
        ("gold", "vip", "vip", 150),  # same rank: the custom tier is the effective one
        ("bronze", "vip", "vip", 150),
        ("bronze", "patron", "patron", 125),  # the larger multiplier: gold's, guaranteed by the floor
        ("bronze", "friend", "friend", 120),  # no floor: rank 0
        ("silver", "friend", "silver", 120),
    ],
)
def test_custom_tier_is_a_floor_and_the_larger_multiplier_applies(
    held: str | None, custom: str | None, effective: str, multiplier: int
) -> None:
    assert tier_rules.effective_tier(TIERS, state(held, custom)).id == effective
    assert tier_rules.multiplier_percent(TIERS, held, custom) == multiplier


def test_multiplier_rounds_down_but_never_to_nothing() -> None:
    assert tier_rules.apply_multiplier(10, 150) == 15
    assert tier_rules.apply_multiplier(3, 110) == 3
    assert tier_rules.apply_multiplier(1, 50) == 1
    assert tier_rules.apply_multiplier(7, 200) == 14


def test_progress_to_the_next_level() -> None:
    assert tier_rules.progress(TIERS, 0, 500) == tier_rules.Progress(tier_rules.level_ref(TIERS, 1), 1500, 25)
    assert tier_rules.progress(TIERS, 1, 6000).percent == 50
    assert tier_rules.progress(TIERS, 1, 1000) == tier_rules.Progress(tier_rules.level_ref(TIERS, 2), 9000, 0)
    assert tier_rules.progress(TIERS, 2, 3) == tier_rules.Progress(None, 0, 100)


def test_listing_puts_levels_by_rank_then_custom_tiers() -> None:
    listed = tier_rules.all_tiers(TIERS)
    assert [tier.id for tier in listed] == ["bronze", "silver", "gold", "vip", "employee", "patron", "friend"]
    vip = listed[3]
    assert (vip.custom, vip.rank, vip.floor_id, vip.temporary_points_never_expire) == (True, 2, "gold", True)


def test_the_window_counts_whole_utc_days_and_an_earn_counts_when_it_happened() -> None:
    assert tier_rules.window_first_day(TIERS, NOW) == dt.date(2025, 3, 2)  # 365 days with today
    assert tier_rules.leaves_window_at(TIERS, dt.date(2025, 3, 2)) == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    assert tier_rules.qualifying_day(late, late + DAY) == dt.date(2026, 3, 2)  # in UTC
    assert tier_rules.qualifying_day(NOW + DAY, NOW) == NOW.date()  # never after the booking


# --- transitions -----------------------------------------------------------------------------------


def test_upgrade_at_once_when_the_points_cross_a_threshold() -> None:
    result = tier_rules.evaluate(TIERS, state(), 10500, NOW)
    assert (result.state.tier_id, result.state.tier_since) == ("gold", NOW)
    [change] = result.changes
    assert (change.kind, change.previous.id, change.current.id, change.custom) == (
        ChangeKind.UPGRADED,
        "bronze",
        "gold",
        False,
    )
    assert change.qualifying_points == 10500


def test_no_change_no_event() -> None:
    start = state("silver", tier_since=NOW - DAY)
    result = tier_rules.evaluate(TIERS, start, 2500, NOW)
    assert result.state == start
    assert result.changes == ()


def test_downgrade_waits_for_the_grace_period_warns_once_then_happens() -> None:
    held = state("gold", tier_since=NOW - 100 * DAY)
    pending = tier_rules.evaluate(TIERS, held, 5000, NOW)
    assert pending.changes == ()
    assert (pending.state.tier_id, pending.state.downgrade_at) == ("gold", NOW + 30 * DAY)
    assert tier_rules.next_review(TIERS, pending.state, None, NOW) == NOW + 16 * DAY  # the warning
    # Before the warning time: nothing.
    quiet = tier_rules.evaluate(TIERS, pending.state, 5000, NOW + 15 * DAY)
    assert (quiet.state, quiet.changes) == (pending.state, ())
    warned = tier_rules.evaluate(TIERS, pending.state, 4000, NOW + 16 * DAY)
    [warning] = warned.changes
    assert warning.kind is ChangeKind.DOWNGRADE_WARNING
    assert (warning.previous.id, warning.current.id) == ("gold", "silver")
    assert (warning.downgrade_at, warning.points_needed) == (NOW + 30 * DAY, 6000)
    assert warned.state.downgrade_warned_at == NOW + 16 * DAY
    assert tier_rules.next_review(TIERS, warned.state, None, NOW + 16 * DAY) == NOW + 30 * DAY
    again = tier_rules.evaluate(TIERS, warned.state, 4000, NOW + 20 * DAY)
    assert (again.state, again.changes) == (warned.state, ())  # warned once
    # At the downgrade: to what the points justify then (they fell further).
    done = tier_rules.evaluate(TIERS, warned.state, 1000, NOW + 30 * DAY)
    assert done.state == state("bronze", tier_since=NOW + 30 * DAY)
    [change] = done.changes
    assert (change.kind, change.previous.id, change.current.id) == (ChangeKind.DOWNGRADED, "gold", "bronze")


def test_recovery_before_the_downgrade_cancels_it() -> None:
    pending = tier_rules.evaluate(TIERS, state("gold", tier_since=NOW), 5000, NOW).state
    warned = tier_rules.evaluate(TIERS, pending, 5000, NOW + 20 * DAY).state
    recovered = tier_rules.evaluate(TIERS, warned, 10000, NOW + 25 * DAY)
    assert recovered.changes == ()
    assert recovered.state == state("gold", tier_since=NOW)
    # A later dip starts a new, full grace period (and a new warning).
    again = tier_rules.evaluate(TIERS, recovered.state, 9000, NOW + 40 * DAY)
    assert again.state.downgrade_at == NOW + 70 * DAY
    assert again.state.downgrade_warned_at is None


def test_a_late_evaluation_downgrades_without_waiting_again() -> None:
    pending = tier_rules.evaluate(TIERS, state("silver"), 0, NOW).state
    done = tier_rules.evaluate(TIERS, pending, 0, NOW + 90 * DAY)
    assert done.state.tier_id == "bronze"
    assert [change.kind for change in done.changes] == [ChangeKind.DOWNGRADED]


def test_no_grace_downgrades_at_the_first_evaluation_and_a_short_grace_warns_at_once() -> None:
    strict = dataclasses.replace(TIERS, downgrade_grace_days=0)
    done = tier_rules.evaluate(strict, state("silver"), 10, NOW)
    assert [change.kind for change in done.changes] == [ChangeKind.DOWNGRADED]
    short = dataclasses.replace(TIERS, downgrade_grace_days=7)  # less than the 14 warning days
    warned = tier_rules.evaluate(short, state("silver"), 10, NOW)
    assert [change.kind for change in warned.changes] == [ChangeKind.DOWNGRADE_WARNING]
    assert warned.state.downgrade_warned_at == NOW


def test_a_custom_floor_that_keeps_the_effective_tier_silences_warning_and_downgrade() -> None:
    vip = state("gold", "vip", tier_since=NOW)
    pending = tier_rules.evaluate(TIERS, vip, 0, NOW + 16 * DAY)
    assert pending.changes == ()
    warned = tier_rules.evaluate(TIERS, pending.state, 0, NOW + 32 * DAY)
    assert warned.changes == ()
    assert warned.state.downgrade_warned_at == NOW + 32 * DAY  # handled: not due again
    done = tier_rules.evaluate(TIERS, warned.state, 0, NOW + 46 * DAY)
    assert done.changes == ()  # the held level dropped, the effective tier (vip) did not
    assert (done.state.tier_id, done.state.custom_tier_id) == ("bronze", "vip")


def test_setting_and_clearing_a_custom_tier_announces_effective_changes_only() -> None:
    member = state("bronze")
    vip = tier_rules.set_custom(TIERS, member, "vip", NOW + 10 * DAY, 100, NOW)
    [change] = vip.changes
    assert (change.kind, change.previous.id, change.current.id, change.custom) == (
        ChangeKind.UPGRADED,
        "bronze",
        "vip",
        True,
    )
    gold_employee = tier_rules.set_custom(TIERS, state("gold"), "employee", None, 10000, NOW)
    assert gold_employee.changes == ()  # gold stays the effective tier
    cleared = tier_rules.clear_custom(TIERS, vip.state, 100, NOW)
    assert [(c.kind, c.current.id, c.custom) for c in cleared.changes] == [
        (ChangeKind.DOWNGRADED, "bronze", True)
    ]
    assert cleared.state == member


def test_a_custom_tier_ends_at_its_expiry() -> None:
    employee = tier_rules.set_custom(TIERS, state("bronze"), "employee", NOW + DAY, 0, NOW).state
    assert tier_rules.next_review(TIERS, employee, None, NOW) == NOW + DAY
    still = tier_rules.evaluate(TIERS, employee, 0, NOW + DAY - dt.timedelta(seconds=1))
    assert still.changes == ()
    ended = tier_rules.evaluate(TIERS, employee, 0, NOW + DAY)
    assert ended.state.custom_tier_id is None
    assert [(c.kind, c.previous.id, c.current.id, c.custom) for c in ended.changes] == [
        (ChangeKind.DOWNGRADED, "employee", "bronze", True)
    ]


def test_next_review_follows_the_oldest_day_while_above_the_lowest_level() -> None:
    oldest = dt.date(2025, 6, 1)
    assert tier_rules.next_review(TIERS, state("bronze"), oldest, NOW) is None  # nothing can drop
    assert tier_rules.next_review(TIERS, state("silver"), oldest, NOW) == dt.datetime(
        2026, 6, 1, tzinfo=dt.UTC
    )
    custom = state("silver", "vip", custom_expires_at=NOW + DAY)
    assert tier_rules.next_review(TIERS, custom, oldest, NOW) == NOW + DAY


def test_status_shows_progress_from_the_effective_level_and_a_pending_downgrade() -> None:
    pending = tier_rules.evaluate(TIERS, state("gold", tier_since=NOW), 3000, NOW).state
    shown = tier_rules.status(TIERS, pending, 3000, NOW, NOW - 400 * DAY)
    assert (shown.effective.id, shown.held.id, shown.custom) == ("gold", "gold", None)
    assert (shown.downgrade_at, shown.downgrade_to and shown.downgrade_to.id) == (NOW + 30 * DAY, "silver")
    assert shown.progress == tier_rules.Progress(None, 0, 100)
    assert shown.window_start == dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    employee = tier_rules.status(TIERS, state(None, "employee"), 4000, NOW, NOW - DAY)
    assert (employee.effective.id, employee.held.id, employee.earn_multiplier_percent) == (
        "employee",
        "bronze",
        200,
    )
    assert employee.progress == tier_rules.Progress(tier_rules.level_ref(TIERS, 2), 6000, 25)
    assert employee.tier_since == NOW - DAY  # never upgraded: since enrollment
