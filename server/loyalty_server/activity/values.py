"""Activity values: the partner API's types, their shapes and ranges, and what each one measures.

Pure: no I/O. `check_value` either returns the activity's measurement (miles for movement, one
occurrence for the rest) or raises `ActivityProblem` with the seed's per-activity reason. Messages
name the field and its range, never the value a member sent: health values stay out of errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from loyalty.v1 import activity_pb2, common_pb2

AType = common_pb2.ActivityType
Reason = activity_pb2.ActivityErrorReason

# The seed's `type` strings, which are also the ActivityValue oneof's field names.
TYPE_BY_NAME: dict[str, int] = {
    "total_steps": AType.ACTIVITY_TYPE_TOTAL_STEPS,
    "walking": AType.ACTIVITY_TYPE_WALKING,
    "running": AType.ACTIVITY_TYPE_RUNNING,
    "biking": AType.ACTIVITY_TYPE_BIKING,
    "general_exercise": AType.ACTIVITY_TYPE_GENERAL_EXERCISE,
    "weight": AType.ACTIVITY_TYPE_WEIGHT,
    "blood_pressure": AType.ACTIVITY_TYPE_BLOOD_PRESSURE,
    "blood_oxygen_ratio": AType.ACTIVITY_TYPE_BLOOD_OXYGEN_RATIO,
    "blood_glucose": AType.ACTIVITY_TYPE_BLOOD_GLUCOSE,
    "sleep": AType.ACTIVITY_TYPE_SLEEP,
}
NAME_BY_TYPE: dict[int, str] = {value: name for name, value in TYPE_BY_NAME.items()}
# Raw readings of these types are health data in the narrow sense (the list); every raw
# value is kept only for the retention period, but these are the ones that must never leak.
HEALTH_TYPES = frozenset({"weight", "blood_pressure", "blood_oxygen_ratio", "blood_glucose"})

SECONDS_MAX = 86_400
STEPS_MAX = 100_000
MILES_MAX = 1_400
POUNDS_MAX = 1_500
MMHG_MAX = 300
PERCENT_MAX = 100
GLUCOSE_MAX = 1_000
LABEL_LENGTH_MAX = 50  # exercise name, meal, sleep quality
UNPARSED_JSON_LENGTH_MAX = 4096  # an unparsed value's JSON text (the proto's 4 KiB)


class ActivityProblem(Exception):
    """One activity is refused; the rest of its batch goes on."""

    def __init__(self, reason: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Measurement:
    type_name: str
    miles: Fraction  # distance measured (movement types), else 0


def _problem(reason: int, message: str) -> ActivityProblem:
    return ActivityProblem(reason, message)


def _whole(value: int, field: str, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise _problem(Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE, f"{field} must be 0-{maximum}")


def _decimal(value: float, field: str, maximum: int) -> Fraction:
    if not math.isfinite(value):
        raise _problem(Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE, f"{field} must be a number")
    if not 0 <= value <= maximum:
        raise _problem(Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE, f"{field} must be 0-{maximum}")
    # The shortest decimal that round-trips (1.1, not 1.100000000000000088...): what the partner sent.
    return Fraction(repr(value))


def _label(value: str, field: str) -> None:
    if len(value) > LABEL_LENGTH_MAX:
        raise _problem(
            Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG, f"{field}: at most {LABEL_LENGTH_MAX} characters"
        )


def _movement(value: activity_pb2.MovementValue, steps_per_mile: int) -> Fraction:
    """Walking and running earn on distance or steps; when both are given the larger counts once
    (the seed: one pedestrian activity is one of total_steps, walking or running, never a sum)."""
    if value.HasField("duration_seconds"):
        _whole(value.duration_seconds, "duration", SECONDS_MAX)
    if not value.HasField("distance_miles") and not value.HasField("steps"):
        raise _problem(Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD, "distance or steps is required")
    miles = Fraction(0)
    if value.HasField("distance_miles"):
        miles = _decimal(value.distance_miles, "distance", MILES_MAX)
    if value.HasField("steps"):
        _whole(value.steps, "steps", STEPS_MAX)
        miles = max(miles, Fraction(value.steps, steps_per_mile))
    return miles


def check_value(declared_type: int, value: activity_pb2.ActivityValue, *, steps_per_mile: int) -> Measurement:
    """Validate one activity's value against its type; return what it measures."""
    assert steps_per_mile > 0
    which = value.WhichOneof("value")
    if which is None:
        raise _problem(Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD, "value is required")
    if which == "unparsed":
        # A type longer than LABEL_LENGTH_MAX cannot be a known one: UNKNOWN_TYPE below says so.
        if len(value.unparsed.value_json) > UNPARSED_JSON_LENGTH_MAX:
            raise _problem(
                Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG,
                f"value: at most {UNPARSED_JSON_LENGTH_MAX} characters of JSON",
            )
        known = value.unparsed.type in TYPE_BY_NAME
        reason = (
            Reason.ACTIVITY_ERROR_REASON_INVALID_VALUE if known else Reason.ACTIVITY_ERROR_REASON_UNKNOWN_TYPE
        )
        message = f"value has the wrong shape for {value.unparsed.type}" if known else "unknown activity type"
        raise _problem(reason, message)
    if declared_type not in (AType.ACTIVITY_TYPE_UNSPECIFIED, TYPE_BY_NAME[which]):
        raise _problem(
            Reason.ACTIVITY_ERROR_REASON_TYPE_MISMATCH, f"type and value disagree (value is {which})"
        )
    return Measurement(which, _measure(which, value, steps_per_mile))


def _measure(which: str, value: activity_pb2.ActivityValue, steps_per_mile: int) -> Fraction:
    if which == "total_steps":
        _whole(value.total_steps.steps, "steps", STEPS_MAX)
        return Fraction(value.total_steps.steps, steps_per_mile)
    if which in ("walking", "running"):
        return _movement(getattr(value, which), steps_per_mile)
    if which == "biking":
        if value.biking.HasField("duration_seconds"):
            _whole(value.biking.duration_seconds, "duration", SECONDS_MAX)
        return _decimal(value.biking.distance_miles, "distance", MILES_MAX)
    if which == "general_exercise":
        _whole(value.general_exercise.duration_seconds, "duration", SECONDS_MAX)
        _label(value.general_exercise.exercise_name, "exercise name")
    elif which == "weight":
        _decimal(value.weight.weight_pounds, "weight", POUNDS_MAX)
    elif which == "blood_pressure":
        _whole(value.blood_pressure.systolic_mmhg, "systolic", MMHG_MAX)
        _whole(value.blood_pressure.diastolic_mmhg, "diastolic", MMHG_MAX)
    elif which == "blood_oxygen_ratio":
        _decimal(value.blood_oxygen_ratio.saturation_percent, "saturation", PERCENT_MAX)
    elif which == "blood_glucose":
        _decimal(value.blood_glucose.glucose_mg_per_dl, "glucose", GLUCOSE_MAX)
        _label(value.blood_glucose.meal, "meal")
    else:
        assert which == "sleep", which
        _whole(value.sleep.duration_seconds, "duration", SECONDS_MAX)
        _label(value.sleep.quality, "quality")
    return Fraction(0)
