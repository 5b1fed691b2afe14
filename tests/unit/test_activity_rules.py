"""The earning rules engine without I/O: matching, units, rounding, tier multiplier, per-period limits."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import zoneinfo
from fractions import Fraction

import pytest

from loyalty.v1 import activity_pb2, common_pb2
from loyalty_server.activity import rules as engine
from loyalty_server.activity.rules import (
    NO_MULTIPLIER,
    Multiplier,
    RuleResult,
    Usage,
    activity_rules,
    base_points,
    evaluate_purchase_rule,
    evaluate_rule,
    event_rules,
    multiplied,
    purchase_rule_ids,
    purchase_rules,
    share_out,
    units_of,
    usage_window,
)
from loyalty_server.activity.timing import period_days, when_of
from loyalty_server.activity.values import check_value
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.program import load_program_file, parse_program
from loyalty_server.program.model import Period, Program

DEMO = load_program_file(DEMO_PROGRAM)
RULES = {rule.id: rule for rule in DEMO.rules}
V = activity_pb2.ActivityValue
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
DAY = dt.timedelta(days=1)
MARCH_14 = dt.date(2026, 3, 14)  # a Saturday
EMPLOYEE = Multiplier(200, "employee")
SILVER = Multiplier(110, "silver")
GOLD = Multiplier(125, "gold")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ----- values -------------------------------------------------------------------------------------


def steps(count: int) -> activity_pb2.ActivityValue:
    return V(total_steps=activity_pb2.TotalStepsValue(steps=count))


def walk(**fields: object) -> activity_pb2.ActivityValue:
    return V(walking=activity_pb2.MovementValue(**fields))


def bike(miles: float) -> activity_pb2.ActivityValue:
    return V(biking=activity_pb2.BikingValue(distance_miles=miles, duration_seconds=3600))


def workout() -> activity_pb2.ActivityValue:
    return V(general_exercise=activity_pb2.GeneralExerciseValue(duration_seconds=1800, exercise_name="Yoga"))


def glucose() -> activity_pb2.ActivityValue:
    return V(blood_glucose=activity_pb2.BloodGlucoseValue(glucose_mg_per_dl=95, meal="Breakfast"))


def weighing() -> activity_pb2.ActivityValue:
    return V(weight=activity_pb2.WeightValue(weight_pounds=168))


def pressure() -> activity_pb2.ActivityValue:
    return V(blood_pressure=activity_pb2.BloodPressureValue(systolic_mmhg=120, diastolic_mmhg=80))


def oxygen() -> activity_pb2.ActivityValue:
    return V(blood_oxygen_ratio=activity_pb2.BloodOxygenValue(saturation_percent=98))


def sleep() -> activity_pb2.ActivityValue:
    return V(sleep=activity_pb2.SleepValue(duration_seconds=28_800, quality="Good"))


def earn(
    value: activity_pb2.ActivityValue,
    day: dt.date,
    usage: Usage,
    *,
    multiplier: Multiplier = NO_MULTIPLIER,
    program: Program = DEMO,
) -> list[RuleResult]:
    """What intake does for one activity: check the value, then every matching rule in order."""
    measurement = check_value(
        common_pb2.ActivityType.ACTIVITY_TYPE_UNSPECIFIED,
        value,
        steps_per_mile=program.activity.steps_per_mile,
    )
    return [
        evaluate_rule(
            program,
            rule,
            units_of(rule, miles=measurement.miles),
            multiplier=multiplier,
            day=day,
            usage=usage,
        )
        for rule in activity_rules(program, measurement.type_name)
    ]


def points(results: list[RuleResult]) -> int:
    return sum(result.points for result in results)


def only(results: list[RuleResult]) -> RuleResult:
    assert len(results) == 1, results
    return results[0]


def check_named(result: RuleResult, limit_id: str) -> engine.LimitCheck:
    return next(check for check in result.limits if check.limit_id == limit_id)


# ----- a small program of our own -----------------------------------------------------------------

CUSTOM_TEXT = """
[program]
name = "Test"
default_time_zone = "UTC"

[activity]
steps_per_mile = 1000

[currencies.points]
expiry = "never"

[sources.s]

[tiers]
[[tiers.levels]]
id = "base"
name = "Base"
threshold = 0

[limits.walk_daily]
period = "day"
points_max = 30

[limits.walk_weekly]
period = "week"
points_max = 100

[limits.shop_daily]
period = "day"
points_max = 100

[[rules]]
id = "walk"
activity_types = ["walking"]
measure = "miles"
points_per_unit = 10
shared_limits = ["walk_daily", "walk_weekly"]
source = "s"
currency = "points"

[[rules]]
id = "walk_bonus"
activity_types = ["walking"]
measure = "occurrence"
points_per_unit = 5
shared_limits = ["walk_daily"]
source = "s"
currency = "points"

[[rules]]
id = "yoga"
activity_types = ["general_exercise"]
measure = "occurrence"
points_per_unit = 5
awards_max_per_week = 2
source = "s"
currency = "points"

[[rules]]
id = "run"
activity_types = ["running"]
measure = "miles"
points_per_unit = 10
awards_max_per_day = 1
awards_max_per_month = 3
source = "s"
currency = "points"

[[rules]]
id = "shop"
purchase_categories = ["*"]
measure = "amount"
points_per_unit = 1
amount_minor_per_unit = 100
shared_limits = ["shop_daily"]
source = "s"
currency = "points"

[[rules]]
id = "shoes"
purchase_categories = ["shoes", "boots"]
measure = "amount"
points_per_unit = 3
amount_minor_per_unit = 1000
shared_limits = ["shop_daily"]
source = "s"
currency = "points"

[[rules]]
id = "welcome"
events = ["partner.connected"]
measure = "occurrence"
points_per_unit = 100
source = "s"
currency = "points"
"""
CUSTOM = parse_program(CUSTOM_TEXT, origin="custom.toml")
CUSTOM_RULES = {rule.id: rule for rule in CUSTOM.rules}


# ----- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "rule_ids"),
    [
        ("total_steps", ["steps"]),
        ("walking", ["steps"]),
        ("running", ["steps"]),
        ("biking", ["biking"]),
        ("general_exercise", ["general_exercise"]),
        ("weight", ["weight"]),
        ("blood_pressure", ["blood_pressure"]),
        ("blood_glucose", ["blood_glucose"]),
        ("blood_oxygen_ratio", []),  # the seed awards nothing for it
        ("sleep", []),  # the seed: shown, never earns
        ("swimming", []),
        ("", []),
    ],
)
def test_demo_activity_rules(type_name: str, rule_ids: list[str]) -> None:
    assert [rule.id for rule in activity_rules(DEMO, type_name)] == rule_ids


def test_a_type_matches_every_rule_naming_it_in_program_order() -> None:
    assert [rule.id for rule in activity_rules(CUSTOM, "walking")] == ["walk", "walk_bonus"]


def test_purchase_rules_match_the_category_or_everything() -> None:
    assert [rule.id for rule in purchase_rules(DEMO, "sports")] == ["purchase_general", "purchase_sports"]
    assert [rule.id for rule in purchase_rules(DEMO, "food")] == ["purchase_general"]
    assert [rule.id for rule in purchase_rules(DEMO, "")] == ["purchase_general"]
    assert [rule.id for rule in purchase_rules(DEMO, "Sports")] == ["purchase_general"]  # exact match
    assert [rule.id for rule in purchase_rules(CUSTOM, "boots")] == ["shop", "shoes"]
    assert [rule.id for rule in purchase_rules(CUSTOM, "")] == ["shop"]
    assert purchase_rule_ids(DEMO) == ["purchase_general", "purchase_sports"]
    assert purchase_rule_ids(CUSTOM) == ["shop", "shoes"]


def test_an_empty_category_matches_no_named_category() -> None:
    text = CUSTOM_TEXT.replace('purchase_categories = ["*"]', 'purchase_categories = ["food"]')
    program = parse_program(text)
    assert purchase_rules(program, "") == []
    assert [rule.id for rule in purchase_rules(program, "food")] == ["shop"]


def test_event_rules() -> None:
    assert [rule.id for rule in event_rules(DEMO, "partner.connected")] == ["device_connection"]
    assert event_rules(DEMO, "member.enrolled") == []  # no rule may name an event that never earns
    assert [rule.id for rule in event_rules(CUSTOM, "partner.connected")] == ["welcome"]
    assert event_rules(CUSTOM, "total_steps") == []


def test_activity_and_event_rules_never_match_purchases_and_back() -> None:
    assert all(not rule.activity_types for rule in purchase_rules(DEMO, "sports"))
    assert all(not rule.purchase_categories for rule in activity_rules(DEMO, "walking"))


def test_sleep_never_earns() -> None:
    usage = Usage()
    assert earn(sleep(), MARCH_14, usage) == []
    assert earn(oxygen(), MARCH_14, usage) == []
    assert usage.by_rule_day == {}


# ----- units and base points ----------------------------------------------------------------------


def test_units_of_each_measure() -> None:
    assert units_of(RULES["steps"], miles=Fraction(7, 4)) == Fraction(7, 4)
    assert units_of(RULES["general_exercise"], miles=Fraction(7, 4)) == 1
    assert units_of(RULES["general_exercise"]) == 1
    assert units_of(RULES["purchase_general"], amount_minor=1999) == Fraction(1999, 100)
    assert units_of(RULES["purchase_sports"], amount_minor=0) == 0
    assert units_of(CUSTOM_RULES["shoes"], amount_minor=2500) == Fraction(5, 2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (steps(0), 0),
        (steps(99), 0),
        (steps(100), 1),
        (steps(1999), 19),  # 19.99 rounded down
        (steps(2000), 20),
        (steps(2001), 20),
        (steps(100_000), 1000),
        (walk(distance_miles=1.0, steps=2000), 20),  # one walk given twice counts once
        (walk(distance_miles=1.5, steps=2000), 30),
        (walk(distance_miles=0.5, steps=3000), 30),
        (walk(steps=1999), 19),
        (walk(distance_miles=0.99), 19),
        (bike(1.1), 22),  # 1.1 * 20 in floats is 22.000000000000004
        (bike(1.15), 23),  # the double is 1.1499999…: exact decimals must still give 23
        (bike(0.35), 7),  # likewise 0.34999…
        (bike(0.049), 0),
        (bike(1400), 28_000),
    ],
)
def test_base_points_are_exact_and_rounded_down(value: activity_pb2.ActivityValue, expected: int) -> None:
    result = only(earn(value, MARCH_14, Usage()))
    assert result.base_points == expected
    assert result.points == expected  # no limit reached on an empty month (biking has none)
    assert isinstance(result.points, int)


def test_base_points_of_purchases() -> None:
    general = RULES["purchase_general"]
    assert base_points(general, units_of(general, amount_minor=99)) == 0
    assert base_points(general, units_of(general, amount_minor=100)) == 1
    assert base_points(general, units_of(general, amount_minor=19_999)) == 199
    sports = RULES["purchase_sports"]
    assert base_points(sports, units_of(sports, amount_minor=150)) == 3
    assert base_points(sports, units_of(sports, amount_minor=149)) == 2


def test_base_points_refuse_negative_units() -> None:
    with pytest.raises(AssertionError):
        base_points(RULES["steps"], Fraction(-1))


# ----- the tier multiplier ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "multiplier", "expected"),
    [
        (0, EMPLOYEE, 0),
        (20, NO_MULTIPLIER, 20),
        (20, EMPLOYEE, 40),
        (19, SILVER, 20),  # 20.9 rounded down
        (19, GOLD, 23),  # 23.75 rounded down
        (1, SILVER, 1),
        (1, Multiplier(50, "half"), 1),  # never below one point for a positive earn
        (3, Multiplier(50, "half"), 1),
        (20, Multiplier(150, "vip"), 30),
    ],
)
def test_multiplied(base: int, multiplier: Multiplier, expected: int) -> None:
    assert multiplied(base, multiplier) == expected


def test_a_multiplier_must_be_positive() -> None:
    with pytest.raises(AssertionError):
        Multiplier(0, "none")


def test_the_demo_tiers_multipliers() -> None:
    percents = {level.id: level.earn_multiplier_percent for level in DEMO.tiers.levels}
    percents |= {tier.id: tier.earn_multiplier_percent for tier in DEMO.tiers.custom}
    assert percents == {"bronze": 100, "silver": 110, "gold": 125, "vip": 150, "employee": 200}


def test_the_multiplier_applies_to_the_award_and_is_explained() -> None:
    result = only(earn(steps(2000), MARCH_14, Usage(), multiplier=EMPLOYEE))
    assert (result.base_points, result.points_before_limits, result.points) == (20, 40, 40)
    assert result.multiplier == EMPLOYEE
    assert "tier employee x200% = 40" in result.explanation
    assert result.explanation.endswith("awarded 40")
    # Nothing to multiply: no tier step in the explanation.
    nothing = only(earn(steps(50), MARCH_14, Usage(), multiplier=EMPLOYEE))
    assert (nothing.base_points, nothing.points) == (0, 0)
    assert "tier" not in nothing.explanation


def test_the_multiplier_applies_before_the_limits() -> None:
    usage = Usage({("steps", d("2026-03-02")): (980, 3)})
    result = only(earn(steps(2000), MARCH_14, usage, multiplier=EMPLOYEE))
    assert (result.base_points, result.points_before_limits, result.points) == (20, 40, 20)
    check = check_named(result, "healthy_monthly")
    assert (check.used, check.maximum, check.bit, check.points_cut) == (980, 1000, True, 20)
    assert result.explanation == (
        "1 miles x 20 = 20; tier employee x200% = 40; "
        "monthly limit healthy_monthly: 20 left, cut 20; awarded 20"
    )
    assert usage.points(["steps", "general_exercise"], d("2026-03-01"), d("2026-04-01")) == 1000


def test_a_multiplied_award_is_still_blocked_by_a_full_day() -> None:
    usage = Usage()
    assert points(earn(workout(), MARCH_14, usage, multiplier=EMPLOYEE)) == 40
    blocked = only(earn(workout(), MARCH_14, usage, multiplier=EMPLOYEE))
    assert (blocked.points_before_limits, blocked.points) == (40, 0)


# ----- the demo's seed rules ----------------------------------------------------------------------


def test_20_points_a_mile_with_no_daily_maximum() -> None:
    usage = Usage()
    for _ in range(5):
        assert points(earn(steps(10_000), MARCH_14, usage)) == 100
    assert points(earn(bike(5), MARCH_14, usage)) == 100
    assert usage.by_rule_day == {("steps", MARCH_14): (500, 5), ("biking", MARCH_14): (100, 1)}


def test_general_exercise_one_a_day_by_the_members_local_day() -> None:
    usage = Usage()
    first = only(earn(workout(), MARCH_14, usage))
    assert first.points == 20
    assert check_named(first, "general_exercise/awards_per_day").used == 0
    second = only(earn(workout(), MARCH_14, usage))
    assert (second.points_before_limits, second.points) == (20, 0)
    check = check_named(second, "general_exercise/awards_per_day")
    assert (check.kind, check.period, check.maximum, check.used, check.bit, check.points_cut) == (
        "awards",
        Period.DAY,
        1,
        1,
        True,
        20,
    )
    assert (check.start_day, check.end_day) == (MARCH_14, MARCH_14 + DAY)
    assert "general_exercise/awards_per_day: reached: no award" in second.explanation
    assert second.explanation.endswith("awarded 0")
    # The blocked one counts for nothing, and the next local day is a new day.
    assert usage.by_rule_day == {("general_exercise", MARCH_14): (20, 1)}
    assert points(earn(workout(), MARCH_14 + DAY, usage)) == 20
    assert points(earn(workout(), MARCH_14 - DAY, usage)) == 20


def test_one_a_day_follows_the_local_day_not_the_utc_day() -> None:
    # Chicago: 23:30 and 00:30 local are the same UTC day (04:30Z, 05:30Z) but two local days.
    usage = Usage()
    for text in ["2026-03-14 23:30:00", "2026-03-15 00:30:00"]:
        when = when_of(activity_pb2.ActivityData(local_timestamp=text), CHICAGO)
        assert when.occurred_at.date() == d("2026-03-15")
        assert points(earn(workout(), when.local_day, usage)) == 20
    # Tokyo: 08:00 and 10:00 local are two UTC days (23:00Z, 01:00Z) but one local day.
    usage = Usage()
    awarded = []
    for text in ["2026-03-14 08:00:00", "2026-03-14 10:00:00"]:
        when = when_of(activity_pb2.ActivityData(local_timestamp=text), TOKYO)
        awarded.append(points(earn(workout(), when.local_day, usage)))
    assert awarded == [20, 0]


@pytest.mark.parametrize(("make", "per_day"), [(weighing, 1), (pressure, 1), (glucose, 2)])
def test_health_readings_per_day(make, per_day: int) -> None:
    usage = Usage()
    awarded = [points(earn(make(), MARCH_14, usage)) for _ in range(per_day + 2)]
    assert awarded == [20] * per_day + [0, 0]
    assert points(earn(make(), MARCH_14 + DAY, usage)) == 20


def test_blood_glucose_two_a_day_is_explained() -> None:
    usage = Usage()
    earn(glucose(), MARCH_14, usage)
    second = only(earn(glucose(), MARCH_14, usage))
    assert second.points == 20
    assert "blood_glucose/awards_per_day: 1 of 2 used" in second.explanation
    third = only(earn(glucose(), MARCH_14, usage))
    assert third.points == 0
    assert "blood_glucose/awards_per_day: reached: no award" in third.explanation


def test_device_connection_two_a_month() -> None:
    rule = RULES["device_connection"]
    usage = Usage()

    def connect(day: dt.date) -> int:
        return evaluate_rule(
            DEMO, rule, units_of(rule), multiplier=NO_MULTIPLIER, day=day, usage=usage
        ).points

    assert [connect(d("2026-01-05")), connect(d("2026-01-31")), connect(d("2026-01-31"))] == [250, 250, 0]
    assert connect(d("2026-02-01")) == 250  # a new month
    blocked = evaluate_rule(
        DEMO, rule, units_of(rule), multiplier=NO_MULTIPLIER, day=d("2026-01-20"), usage=usage
    )
    check = check_named(blocked, "device_connection/awards_per_month")
    assert (check.start_day, check.end_day, check.used, check.bit) == (
        d("2026-01-01"),
        d("2026-02-01"),
        2,
        True,
    )
    assert "monthly awards device_connection/awards_per_month: reached: no award" in blocked.explanation


# ----- the shared monthly limit -------------------------------------------------------------------


def test_healthy_monthly_is_cut_exactly_at_the_limit_and_gives_nothing_after() -> None:
    usage = Usage()
    assert points(earn(steps(98_000), d("2026-03-02"), usage)) == 980  # 49 miles
    at_limit = only(earn(workout(), d("2026-03-03"), usage))
    assert at_limit.points == 20  # exactly fills the month: not cut
    check = check_named(at_limit, "healthy_monthly")
    assert (check.used, check.bit, check.points_cut) == (980, False, 0)
    after = only(earn(steps(2000), d("2026-03-04"), usage))
    assert (after.points_before_limits, after.points) == (20, 0)
    check = check_named(after, "healthy_monthly")
    assert (check.used, check.bit, check.points_cut) == (1000, True, 20)
    assert "monthly limit healthy_monthly: 0 left, cut 20" in after.explanation
    late_workout = only(earn(workout(), d("2026-03-31"), usage))
    assert late_workout.points == 0
    # Biking is not under the limit.
    assert points(earn(bike(1), d("2026-03-31"), usage)) == 20
    month = (d("2026-03-01"), d("2026-04-01"))
    assert usage.points(["steps", "general_exercise"], *month) == 1000


def test_healthy_monthly_cuts_an_award_to_what_is_left() -> None:
    usage = Usage({("steps", d("2026-03-01")): (990, 4)})
    result = only(earn(workout(), MARCH_14, usage))
    assert (result.points_before_limits, result.points) == (20, 10)
    assert check_named(result, "healthy_monthly").points_cut == 10
    assert "monthly limit healthy_monthly: 10 left, cut 10; awarded 10" in result.explanation


def test_a_single_award_can_fill_the_month() -> None:
    usage = Usage()
    assert points(earn(steps(100_000), MARCH_14, usage)) == 1000
    assert points(earn(steps(100_000), MARCH_14, usage)) == 0
    assert points(earn(workout(), MARCH_14, usage)) == 0


def test_the_month_is_the_members_month() -> None:
    usage = Usage()
    assert points(earn(steps(100_000), d("2026-01-31"), usage)) == 1000
    assert points(earn(steps(2000), d("2026-01-31"), usage)) == 0
    first = only(earn(steps(2000), d("2026-02-01"), usage))
    assert first.points == 20
    check = check_named(first, "healthy_monthly")
    assert (check.start_day, check.end_day, check.used) == (d("2026-02-01"), d("2026-03-01"), 0)


def test_a_late_evening_counts_in_the_local_month_not_the_utc_one() -> None:
    # 23:30 on Jan 31 in Chicago is already Feb 1 in UTC; it still fills January.
    usage = Usage()
    late = when_of(activity_pb2.ActivityData(local_timestamp="2026-01-31 23:30:00"), CHICAGO)
    assert late.occurred_at.date() == d("2026-02-01")
    assert points(earn(steps(100_000), late.local_day, usage)) == 1000
    early = when_of(activity_pb2.ActivityData(local_timestamp="2026-02-01 00:30:00"), CHICAGO)
    assert points(earn(steps(100_000), early.local_day, usage)) == 1000
    assert usage.by_rule_day == {("steps", d("2026-01-31")): (1000, 1), ("steps", d("2026-02-01")): (1000, 1)}


def test_an_award_cut_to_nothing_is_not_an_award() -> None:
    usage = Usage({("steps", d("2026-03-01")): (1000, 1)})
    assert points(earn(workout(), MARCH_14, usage)) == 0
    assert usage.awards("general_exercise", MARCH_14, MARCH_14 + DAY) == 0
    assert ("general_exercise", MARCH_14) not in usage.by_rule_day


# ----- other limits: weekly, several shared limits, rules one after another ------------------------


def test_weekly_awards_count_from_monday() -> None:
    usage = Usage()
    monday, sunday = d("2026-03-09"), d("2026-03-15")
    yoga = [points(earn(workout(), day, usage, program=CUSTOM)) for day in (monday, d("2026-03-11"), sunday)]
    assert yoga == [5, 5, 0]
    blocked = only(earn(workout(), sunday, usage, program=CUSTOM))
    check = check_named(blocked, "yoga/awards_per_week")
    assert (check.start_day, check.end_day, check.used, check.bit) == (monday, d("2026-03-16"), 2, True)
    assert "weekly awards yoga/awards_per_week: reached: no award" in blocked.explanation
    assert points(earn(workout(), sunday + DAY, usage, program=CUSTOM)) == 5  # the next Monday


def test_daily_and_monthly_award_limits_together() -> None:
    usage = Usage()
    run = V(running=activity_pb2.MovementValue(steps=1000))  # 1 mile at 1000 steps a mile
    days = [d("2026-03-01"), d("2026-03-01"), d("2026-03-02"), d("2026-03-03"), d("2026-03-04")]
    assert [points(earn(run, day, usage, program=CUSTOM)) for day in days] == [10, 0, 10, 10, 0]
    assert points(earn(run, d("2026-04-01"), usage, program=CUSTOM)) == 10
    result = only(earn(run, d("2026-03-05"), usage, program=CUSTOM))
    assert [(check.limit_id, check.bit) for check in result.limits] == [
        ("run/awards_per_day", False),
        ("run/awards_per_month", True),
    ]


def test_shared_limits_cut_in_the_rules_order_and_rules_see_each_others_awards() -> None:
    usage = Usage()
    walking = walk(steps=5000)  # 5 miles at 1000 steps a mile: 50 points, then a 5 point bonus
    walk_result, bonus = earn(walking, MARCH_14, usage, program=CUSTOM)
    assert (walk_result.points_before_limits, walk_result.points) == (50, 30)
    assert [(c.limit_id, c.period, c.used, c.points_cut) for c in walk_result.limits] == [
        ("walk_daily", Period.DAY, 0, 20),
        ("walk_weekly", Period.WEEK, 0, 0),
    ]
    # The bonus shares the daily limit the walk just filled.
    assert (bonus.points_before_limits, bonus.points) == (5, 0)
    assert check_named(bonus, "walk_daily").used == 30
    # The weekly limit counts what the daily one let through: 30 a day, 100 a week; the bonus is
    # under the daily limit only, so it earns on the day the weekly one cuts the walk short.
    assert points(earn(walking, MARCH_14 + DAY, usage, program=CUSTOM)) == 30  # Sunday: 60 this week
    week = [d("2026-03-16") + DAY * n for n in range(4)]  # Monday .. Thursday of the next week

    def walk_and_bonus(day: dt.date) -> tuple[int, int]:
        walked, bonus = earn(walking, day, usage, program=CUSTOM)
        return walked.points, bonus.points

    assert [walk_and_bonus(day) for day in week] == [(30, 0), (30, 0), (30, 0), (10, 5)]
    assert [walk_and_bonus(day) for day in week] == [(0, 0), (0, 0), (0, 0), (0, 5)]
    assert usage.points(["walk"], week[0], week[0] + 7 * DAY) == 100
    assert usage.points(["walk", "walk_bonus"], week[3], week[3] + DAY) == 20


def test_a_zero_point_award_does_not_use_an_award_limit() -> None:
    usage = Usage()
    none = only(earn(V(running=activity_pb2.MovementValue(steps=0)), MARCH_14, usage, program=CUSTOM))
    assert none.points == 0
    assert check_named(none, "run/awards_per_day").bit is False
    assert usage.by_rule_day == {}
    assert (
        points(earn(V(running=activity_pb2.MovementValue(steps=1000)), MARCH_14, usage, program=CUSTOM)) == 10
    )


def test_every_limit_of_a_rule_is_reported_even_when_it_does_not_bite() -> None:
    result = only(earn(steps(2000), MARCH_14, Usage()))
    assert [(check.limit_id, check.kind, check.bit) for check in result.limits] == [
        ("healthy_monthly", "points", False)
    ]
    assert result.explanation == "1 miles x 20 = 20; monthly limit healthy_monthly: 1000 left; awarded 20"
    general = only(earn(workout(), MARCH_14, Usage()))
    assert [(check.limit_id, check.kind) for check in general.limits] == [
        ("general_exercise/awards_per_day", "awards"),
        ("healthy_monthly", "points"),
    ]
    assert only(earn(bike(2), MARCH_14, Usage())).limits == ()


def test_explanations_spell_daily() -> None:
    usage = Usage()
    earn(workout(), MARCH_14, usage)
    blocked = only(earn(workout(), MARCH_14, usage))
    assert "daily awards general_exercise/awards_per_day: reached: no award" in blocked.explanation
    walk_result = earn(walk(steps=5000), MARCH_14, Usage(), program=CUSTOM)[0]
    assert "daily limit walk_daily: 30 left, cut 20" in walk_result.explanation
    assert "dayly" not in blocked.explanation + walk_result.explanation


# ----- Usage --------------------------------------------------------------------------------------


def test_usage_counts_points_and_awards_per_rule_and_day() -> None:
    usage = Usage()
    usage.add("steps", d("2026-03-01"), 20)
    usage.add("steps", d("2026-03-01"), 30)
    usage.add("general_exercise", d("2026-03-02"), 20)
    usage.add("steps", d("2026-04-01"), 7)
    assert usage.by_rule_day[("steps", d("2026-03-01"))] == (50, 2)
    march = (d("2026-03-01"), d("2026-04-01"))
    assert usage.points(["steps"], *march) == 50
    assert usage.points(["steps", "general_exercise"], *march) == 70
    assert usage.points(["biking"], *march) == 0
    assert usage.points([], *march) == 0
    assert usage.points(["steps"], d("2026-03-02"), d("2026-04-02")) == 7  # end is exclusive
    assert usage.awards("steps", *march) == 2
    assert usage.awards("general_exercise", d("2026-03-01"), d("2026-03-02")) == 0


def test_usage_add_zero_changes_nothing() -> None:
    usage = Usage()
    usage.add("steps", MARCH_14, 0)
    assert usage.by_rule_day == {}


def test_usage_add_negative_points_undoes_an_award() -> None:
    usage = Usage()
    assert points(earn(workout(), MARCH_14, usage)) == 20
    assert points(earn(workout(), MARCH_14, usage)) == 0
    usage.add("general_exercise", MARCH_14, -20)  # the award is taken back (a delete)
    assert usage.by_rule_day[("general_exercise", MARCH_14)] == (0, 0)
    assert usage.awards("general_exercise", MARCH_14, MARCH_14 + DAY) == 0
    assert points(earn(workout(), MARCH_14, usage)) == 20  # the day is free again


def test_usage_undo_frees_the_shared_limit() -> None:
    usage = Usage()
    assert points(earn(steps(100_000), MARCH_14, usage)) == 1000
    assert points(earn(workout(), MARCH_14, usage)) == 0
    usage.add("steps", MARCH_14, -1000)
    assert usage.by_rule_day[("steps", MARCH_14)] == (0, 0)
    assert points(earn(workout(), MARCH_14, usage)) == 20


# ----- usage_window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "window"),
    [
        (["2026-03-14"], ("2026-03-01", "2026-04-01")),
        (["2026-03-31"], ("2026-03-01", "2026-04-06")),  # a Tuesday: its week runs into April
        (["2026-03-01"], ("2026-02-23", "2026-04-01")),  # a Sunday: its week began in February
        (["2026-01-01"], ("2025-12-29", "2026-02-01")),  # across the year
        (["2026-03-14", "2026-02-10"], ("2026-02-01", "2026-04-01")),
        (["2028-02-29"], ("2028-02-01", "2028-03-06")),
    ],
)
def test_usage_window(days: list[str], window: tuple[str, str]) -> None:
    assert usage_window([d(day) for day in days]) == (d(window[0]), d(window[1]))


def test_usage_window_covers_every_period_of_its_days() -> None:
    rng = random.Random(1414)
    for _ in range(300):
        days = [d("2025-01-01") + DAY * rng.randrange(4 * 366) for _ in range(rng.randint(1, 4))]
        start, end = usage_window(days)
        for day in days:
            for period in Period:
                period_start, period_end = period_days(period, day)
                assert start <= period_start
                assert period_end <= end


def test_usage_window_needs_a_day() -> None:
    with pytest.raises(AssertionError):
        usage_window([])


# ----- purchases ----------------------------------------------------------------------------------


def test_purchase_lines_earn_each_on_its_own_amount() -> None:
    usage = Usage()
    rule = RULES["purchase_general"]
    result, lines = evaluate_purchase_rule(
        DEMO, rule, [1999, 500, 0, 99], multiplier=NO_MULTIPLIER, day=MARCH_14, usage=usage
    )
    assert lines == [19, 5, 0, 0]  # 19.99 + 5 + 0.99 would round to 25 on the total
    assert (result.units, result.base_points, result.points_before_limits, result.points) == (
        Fraction(2598, 100),
        24,
        24,
        24,
    )
    assert result.limits == ()
    assert result.explanation == "25.98 units spent x 1 = 24; awarded 24"
    assert usage.by_rule_day == {("purchase_general", MARCH_14): (24, 1)}


def test_purchase_multiplier_applies_per_line() -> None:
    rule = RULES["purchase_general"]
    result, lines = evaluate_purchase_rule(
        DEMO, rule, [150, 150, 2000], multiplier=Multiplier(150, "vip"), day=MARCH_14, usage=Usage()
    )
    assert lines == [1, 1, 30]  # each line's 1 point x 150 % rounds down to 1
    assert (result.base_points, result.points_before_limits, result.points) == (22, 32, 32)
    assert "tier vip x150% = 32" in result.explanation


def test_a_limit_cut_is_shared_out_over_the_lines() -> None:
    usage = Usage()
    rule = CUSTOM_RULES["shop"]
    result, lines = evaluate_purchase_rule(
        CUSTOM, rule, [12_000, 6000, 2000, 0], multiplier=NO_MULTIPLIER, day=MARCH_14, usage=usage
    )
    assert (result.points_before_limits, result.points) == (200, 100)
    assert lines == [60, 30, 10, 0]
    check = check_named(result, "shop_daily")
    assert (check.used, check.bit, check.points_cut) == (0, True, 100)
    assert "daily limit shop_daily: 100 left, cut 100; awarded 100" in result.explanation.replace(
        "dayly", "daily"
    )
    # The other purchase rule shares the day's limit: nothing left for it.
    shoes, shoe_lines = evaluate_purchase_rule(
        CUSTOM, CUSTOM_RULES["shoes"], [12_000, 0], multiplier=NO_MULTIPLIER, day=MARCH_14, usage=usage
    )
    assert (shoes.points_before_limits, shoes.points, shoe_lines) == (36, 0, [0, 0])
    assert usage.by_rule_day == {("shop", MARCH_14): (100, 1)}
    # A new day.
    _, lines = evaluate_purchase_rule(
        CUSTOM, rule, [500], multiplier=NO_MULTIPLIER, day=MARCH_14 + DAY, usage=usage
    )
    assert lines == [5]


def test_a_cut_with_remainders_goes_to_the_largest_ones() -> None:
    usage = Usage({("shoes", MARCH_14): (49, 2)})  # 51 left of the day's 100
    _, lines = evaluate_purchase_rule(
        CUSTOM, CUSTOM_RULES["shop"], [6000, 3000, 1000], multiplier=NO_MULTIPLIER, day=MARCH_14, usage=usage
    )
    assert lines == [31, 15, 5]  # 30.6, 15.3, 5.1
    assert sum(lines) == 51


def test_a_purchase_with_no_points_is_no_award() -> None:
    usage = Usage()
    result, lines = evaluate_purchase_rule(
        DEMO, RULES["purchase_sports"], [0, 0, 49], multiplier=GOLD, day=MARCH_14, usage=usage
    )
    assert (result.points, lines) == (0, [0, 0, 0])
    assert "tier" not in result.explanation
    assert usage.by_rule_day == {}


# ----- share_out ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        (0, [], []),
        (0, [0, 0], [0, 0]),
        (0, [5, 7], [0, 0]),
        (12, [5, 7], [5, 7]),
        (10, [10], [10]),
        (5, [5, 5], [3, 2]),  # a tie: the earlier line gets the point
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (51, [60, 30, 10], [31, 15, 5]),
        (7, [0, 10, 0, 4], [0, 5, 0, 2]),
        (3, [2, 2, 9], [1, 0, 2]),  # 0.46, 0.46, 2.08
    ],
)
def test_share_out(total: int, weights: list[int], shares: list[int]) -> None:
    assert share_out(total, weights) == shares


@pytest.mark.parametrize(("total", "weights"), [(1, []), (1, [0, 0]), (11, [5, 5]), (-1, [5])])
def test_share_out_refuses_an_impossible_total(total: int, weights: list[int]) -> None:
    with pytest.raises(AssertionError):
        share_out(total, weights)


def test_share_out_sums_exactly_never_exceeds_a_weight_and_stays_proportional() -> None:
    rng = random.Random(20260314)
    for _ in range(3000):
        weights = [
            rng.choice([0, 1, 2, 3, rng.randrange(1000), rng.randrange(10**9)])
            for _ in range(rng.randint(1, 12))
        ]
        weight_sum = sum(weights)
        total = rng.choice([0, weight_sum, rng.randint(0, weight_sum), max(0, weight_sum - 1)])
        shares = share_out(total, weights)
        assert sum(shares) == total, (total, weights)
        assert len(shares) == len(weights)
        for share, weight in zip(shares, weights, strict=True):
            assert 0 <= share <= weight, (total, weights, shares)
            if weight_sum:
                exact = Fraction(total * weight, weight_sum)
                assert exact - 1 < share < exact + 1, (total, weights, shares)
        # More weight never gets fewer points.
        order = sorted(range(len(weights)), key=weights.__getitem__)
        for low, high in itertools.pairwise(order):
            if weights[low] < weights[high]:
                assert shares[low] <= shares[high], (total, weights, shares)
