"""Activity values without I/O: each partner-API type's shape, ranges and units, and the reasons."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from loyalty.v1 import activity_pb2, common_pb2
from loyalty_server.activity import values
from loyalty_server.activity.values import ActivityProblem, Measurement, check_value
from loyalty_server.program.loader import ACTIVITY_TYPES

AType = common_pb2.ActivityType
Reason = activity_pb2.ActivityErrorReason
UNSPECIFIED = AType.ACTIVITY_TYPE_UNSPECIFIED
STEPS_PER_MILE = 2000

V = activity_pb2.ActivityValue
Movement = activity_pb2.MovementValue


def check(value: activity_pb2.ActivityValue, declared: int = UNSPECIFIED, spm: int = STEPS_PER_MILE):
    return check_value(declared, value, steps_per_mile=spm)


def refused(value: activity_pb2.ActivityValue, declared: int = UNSPECIFIED) -> ActivityProblem:
    with pytest.raises(ActivityProblem) as caught:
        check(value, declared)
    return caught.value


def total_steps(steps: int) -> activity_pb2.ActivityValue:
    return V(total_steps=activity_pb2.TotalStepsValue(steps=steps))


def walking(**fields: object) -> activity_pb2.ActivityValue:
    return V(walking=Movement(**fields))


def running(**fields: object) -> activity_pb2.ActivityValue:
    return V(running=Movement(**fields))


def biking(**fields: object) -> activity_pb2.ActivityValue:
    return V(biking=activity_pb2.BikingValue(**fields))


def exercise(duration: int = 3600, name: str = "Yoga") -> activity_pb2.ActivityValue:
    return V(
        general_exercise=activity_pb2.GeneralExerciseValue(duration_seconds=duration, exercise_name=name)
    )


def weight(pounds: float) -> activity_pb2.ActivityValue:
    return V(weight=activity_pb2.WeightValue(weight_pounds=pounds))


def pressure(systolic: int = 120, diastolic: int = 80) -> activity_pb2.ActivityValue:
    return V(blood_pressure=activity_pb2.BloodPressureValue(systolic_mmhg=systolic, diastolic_mmhg=diastolic))


def oxygen(percent: float) -> activity_pb2.ActivityValue:
    return V(blood_oxygen_ratio=activity_pb2.BloodOxygenValue(saturation_percent=percent))


def glucose(mg: float = 100.0, meal: str = "Breakfast") -> activity_pb2.ActivityValue:
    return V(
        blood_glucose=activity_pb2.BloodGlucoseValue(
            glucose_mg_per_dl=mg,
            meal=meal,
            meal_relation=activity_pb2.MEAL_RELATION_PRE,
            medicine_relation=activity_pb2.MEDICINE_RELATION_POST_MEDICINE,
        )
    )


def sleep(duration: int = 28_800, quality: str = "Good") -> activity_pb2.ActivityValue:
    return V(sleep=activity_pb2.SleepValue(duration_seconds=duration, quality=quality))


# One valid value per type, as the seed's examples give them, and what each measures.
SEED_EXAMPLES = [
    ("total_steps", total_steps(1000), Fraction(1, 2)),
    ("walking", walking(duration_seconds=600, distance_miles=1, steps=2000), Fraction(1)),
    ("running", running(duration_seconds=600, distance_miles=1, steps=2000), Fraction(1)),
    ("biking", biking(duration_seconds=3600, distance_miles=5), Fraction(5)),
    ("general_exercise", exercise(3600, "Cross-Fit"), Fraction(0)),
    ("weight", weight(168), Fraction(0)),
    ("blood_pressure", pressure(120, 80), Fraction(0)),
    ("blood_oxygen_ratio", oxygen(98), Fraction(0)),
    ("blood_glucose", glucose(100, "Lunch"), Fraction(0)),
    ("sleep", sleep(28_800, "Normal"), Fraction(0)),
]
EXAMPLE_BY_NAME = {name: value for name, value, _ in SEED_EXAMPLES}


# ----- the type table -----------------------------------------------------------------------------


def test_type_names_are_the_value_oneof_fields_and_the_loaders_types() -> None:
    oneof = activity_pb2.ActivityValue.DESCRIPTOR.oneofs_by_name["value"]
    assert {field.name for field in oneof.fields} == set(values.TYPE_BY_NAME) | {"unparsed"}
    assert set(values.TYPE_BY_NAME) == ACTIVITY_TYPES
    assert len(set(values.TYPE_BY_NAME.values())) == len(values.TYPE_BY_NAME)
    assert set(values.TYPE_BY_NAME.values()) == set(AType.values()) - {UNSPECIFIED}
    for name, number in values.TYPE_BY_NAME.items():
        assert values.NAME_BY_TYPE[number] == name
        assert AType.Name(number) == f"ACTIVITY_TYPE_{name.upper()}"
    health = set(values.HEALTH_TYPES)
    assert health == {"weight", "blood_pressure", "blood_oxygen_ratio", "blood_glucose"}


@pytest.mark.parametrize(("name", "value", "miles"), SEED_EXAMPLES, ids=[name for name, *_ in SEED_EXAMPLES])
def test_seed_examples_are_accepted_with_and_without_a_declared_type(
    name: str, value: activity_pb2.ActivityValue, miles: Fraction
) -> None:
    assert check(value) == Measurement(name, miles)
    assert check(value, values.TYPE_BY_NAME[name]) == Measurement(name, miles)
    assert isinstance(check(value).miles, Fraction)


def test_sleep_is_shown_but_measures_nothing() -> None:
    assert check(sleep()) == Measurement("sleep", Fraction(0))


# ----- missing, unparsed, mismatched -------------------------------------------------------------


def test_a_missing_value_is_missing_field() -> None:
    assert refused(V()).reason == Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD
    assert refused(V(), AType.ACTIVITY_TYPE_TOTAL_STEPS).reason == Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD


@pytest.mark.parametrize("type_name", sorted(values.TYPE_BY_NAME))
def test_an_unparsed_value_of_a_known_type_is_invalid_value(type_name: str) -> None:
    value = V(unparsed=activity_pb2.UnparsedValue(type=type_name, value_json='{"oops": true}'))
    problem = refused(value)
    assert problem.reason == Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE
    assert "oops" not in problem.message
    # The declared type does not turn it into a mismatch: the shape is what is wrong.
    other = AType.ACTIVITY_TYPE_SLEEP if type_name != "sleep" else AType.ACTIVITY_TYPE_WEIGHT
    assert refused(value, other).reason == Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE


@pytest.mark.parametrize("type_name", ["swimming", "", "Total_Steps", "steps", "unparsed", "x" * 51])
def test_an_unparsed_value_of_an_unknown_type_is_unknown_type(type_name: str) -> None:
    problem = refused(V(unparsed=activity_pb2.UnparsedValue(type=type_name, value_json="1000")))
    assert problem.reason == Reason.ACTIVITY_ERROR_REASON_UNKNOWN_TYPE
    assert "1000" not in problem.message


@pytest.mark.parametrize("value_name", sorted(values.TYPE_BY_NAME))
def test_a_declared_type_that_disagrees_with_the_value_is_type_mismatch(value_name: str) -> None:
    value = EXAMPLE_BY_NAME[value_name]
    for declared_name, declared in values.TYPE_BY_NAME.items():
        if declared_name == value_name:
            assert check(value, declared).type_name == value_name
            continue
        problem = refused(value, declared)
        assert problem.reason == Reason.ACTIVITY_ERROR_REASON_TYPE_MISMATCH, (declared_name, value_name)


def test_type_mismatch_comes_before_the_range_check() -> None:
    problem = refused(total_steps(100_001), AType.ACTIVITY_TYPE_WALKING)
    assert problem.reason == Reason.ACTIVITY_ERROR_REASON_TYPE_MISMATCH


def test_an_undefined_declared_type_number_is_a_mismatch() -> None:
    assert refused(total_steps(10), 999).reason == Reason.ACTIVITY_ERROR_REASON_TYPE_MISMATCH


# ----- steps and movement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "miles"),
    [(0, Fraction(0)), (1, Fraction(1, 2000)), (1999, Fraction(1999, 2000)), (2000, Fraction(1)),
     (100_000, Fraction(50))],
)  # fmt: skip
def test_total_steps_in_range_convert_at_steps_per_mile(steps: int, miles: Fraction) -> None:
    assert check(total_steps(steps)) == Measurement("total_steps", miles)


@pytest.mark.parametrize("steps", [100_001, -1, 2**62])
def test_total_steps_out_of_range(steps: int) -> None:
    problem = refused(total_steps(steps))
    assert problem.reason == Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE
    assert problem.message == "steps must be 0-100000"


def test_steps_per_mile_is_the_programs() -> None:
    assert check(total_steps(2000), spm=1000).miles == 2
    assert check(walking(steps=2000), spm=1000).miles == 2
    assert check(total_steps(1), spm=3).miles == Fraction(1, 3)


@pytest.mark.parametrize("make", [walking, running], ids=["walking", "running"])
class TestMovement:
    def test_distance_alone(self, make) -> None:
        assert check(make(distance_miles=1.5)).miles == Fraction(3, 2)

    def test_steps_alone(self, make) -> None:
        assert check(make(steps=3000)).miles == Fraction(3, 2)

    def test_steps_zero_is_given_not_missing(self, make) -> None:
        assert check(make(steps=0)).miles == 0
        assert check(make(distance_miles=0.0)).miles == 0

    @pytest.mark.parametrize(
        ("distance", "steps", "miles"),
        [
            (1.0, 2000, Fraction(1)),  # the seed's example: the same walk twice, counted once
            (1.5, 2000, Fraction(3, 2)),  # distance larger
            (0.5, 3000, Fraction(3, 2)),  # steps larger
            (1.0, 2001, Fraction(2001, 2000)),
            (0.0, 0, Fraction(0)),
        ],
    )
    def test_distance_and_steps_the_larger_counts_once(
        self, make, distance: float, steps: int, miles: Fraction
    ) -> None:
        assert check(make(distance_miles=distance, steps=steps)).miles == miles

    def test_neither_distance_nor_steps_is_missing_field(self, make) -> None:
        assert refused(make()).reason == Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD
        problem = refused(make(duration_seconds=600))
        assert problem.reason == Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD
        assert "distance or steps" in problem.message

    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            ({"steps": 100_000}, None),
            ({"steps": 100_001}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            ({"steps": -1}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            ({"distance_miles": 1400.0}, None),
            (
                {"distance_miles": math.nextafter(1400.0, math.inf)},
                Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE,
            ),
            ({"distance_miles": -0.01}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            ({"distance_miles": math.nan}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
            ({"distance_miles": math.inf}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
            ({"distance_miles": -math.inf}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
            ({"steps": 10, "duration_seconds": 0}, None),
            ({"steps": 10, "duration_seconds": 86_400}, None),
            ({"steps": 10, "duration_seconds": 86_401}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            ({"steps": 10, "duration_seconds": -1}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            # A bad value is refused even when the other one alone would do.
            ({"steps": 100_001, "distance_miles": 1.0}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
            ({"steps": 2000, "distance_miles": math.nan}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
            # The duration is checked before the missing distance and steps.
            ({"duration_seconds": 86_401}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
        ],
    )
    def test_ranges(self, make, fields: dict[str, float], reason: int | None) -> None:
        if reason is None:
            check(make(**fields))
        else:
            assert refused(make(**fields)).reason == reason


# ----- biking and exact decimals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "miles"),
    [
        (1.1, Fraction(11, 10)),
        (1.15, Fraction(23, 20)),  # the binary double is 1.149999…: it must not count as less
        (0.35, Fraction(7, 20)),  # likewise 0.34999…
        (0.1 + 0.2, Fraction("0.30000000000000004")),  # what was sent, however odd
        (1e-05, Fraction(1, 100_000)),
        (0.0, Fraction(0)),
        (-0.0, Fraction(0)),
        (1400.0, Fraction(1400)),
    ],
)
def test_biking_distance_is_the_decimal_the_partner_sent(distance: float, miles: Fraction) -> None:
    measurement = check(biking(distance_miles=distance, duration_seconds=3600))
    assert measurement == Measurement("biking", miles)
    assert type(measurement.miles) is Fraction


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"distance_miles": math.nextafter(1400.0, math.inf)},
            Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE,
        ),
        ({"distance_miles": 1400.5}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
        ({"distance_miles": -1.0}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
        ({"distance_miles": math.nan}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
        ({"distance_miles": math.inf}, Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE),
        ({"distance_miles": 5, "duration_seconds": 86_401}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
        ({"distance_miles": 5, "duration_seconds": -1}, Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
    ],
)
def test_biking_ranges(fields: dict[str, float], reason: int) -> None:
    assert refused(biking(**fields)).reason == reason


def test_biking_duration_is_optional() -> None:
    assert check(biking(distance_miles=2)).miles == 2
    assert check(biking(distance_miles=2, duration_seconds=86_400)).miles == 2


# ----- the occurrence types -----------------------------------------------------------------------

OUT = Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE
INVALID = Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (exercise(0), None),
        (exercise(86_400), None),
        (exercise(86_401), OUT),
        (exercise(-1), OUT),
        (weight(0), None),
        (weight(1500), None),
        (weight(1500.01), OUT),
        (weight(-0.5), OUT),
        (weight(math.nan), INVALID),
        (weight(math.inf), INVALID),
        (weight(-math.inf), INVALID),
        (pressure(0, 0), None),
        (pressure(300, 300), None),
        (pressure(301, 80), OUT),
        (pressure(120, 301), OUT),
        (pressure(-1, 80), OUT),
        (pressure(120, -1), OUT),
        (oxygen(0), None),
        (oxygen(100), None),
        (oxygen(100.001), OUT),
        (oxygen(-1), OUT),
        (oxygen(math.nan), INVALID),
        (oxygen(math.inf), INVALID),
        (glucose(0), None),
        (glucose(1000), None),
        (glucose(1000.5), OUT),
        (glucose(-3), OUT),
        (glucose(math.nan), INVALID),
        (glucose(-math.inf), INVALID),
        (sleep(0), None),
        (sleep(86_400), None),
        (sleep(86_401), OUT),
        (sleep(-1), OUT),
    ],
)
def test_occurrence_type_ranges(value: activity_pb2.ActivityValue, reason: int | None) -> None:
    if reason is None:
        assert check(value).miles == 0
    else:
        assert refused(value).reason == reason


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda text: exercise(name=text), "exercise name"),
        (lambda text: glucose(meal=text), "meal"),
        (lambda text: sleep(quality=text), "quality"),
    ],
    ids=["exercise_name", "meal", "quality"],
)
def test_labels_hold_at_most_50_characters(make, field: str) -> None:
    assert check(make("")).miles == 0
    assert check(make("x" * 50)).miles == 0
    assert check(make("é" * 50)).miles == 0  # characters, not bytes
    assert check(make("🏊" * 50)).miles == 0
    problem = refused(make("y" * 51))
    assert problem.reason == Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG
    assert problem.message.startswith(field)
    assert "yyy" not in problem.message
    assert refused(make("é" * 51)).reason == Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG


# ----- messages never carry the value -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "secret", "message"),
    [
        (weight(1678.25), "1678", "weight must be 0-1500"),
        (pressure(301, 80), "301", "systolic must be 0-300"),
        (pressure(120, 333), "333", "diastolic must be 0-300"),
        (oxygen(123.5), "123", "saturation must be 0-100"),
        (glucose(4321.5), "4321", "glucose must be 0-1000"),
        (glucose(math.nan), "nan", "glucose must be a number"),
        (biking(distance_miles=9876.5), "9876", "distance must be 0-1400"),
        (walking(steps=123_456), "123456", "steps must be 0-100000"),
        (sleep(99_999), "99999", "duration must be 0-86400"),
    ],
)
def test_messages_name_the_field_and_range_never_the_value(
    value: activity_pb2.ActivityValue, secret: str, message: str
) -> None:
    problem = refused(value)
    assert problem.message == message
    assert str(problem) == message
    assert secret not in problem.message.lower()
