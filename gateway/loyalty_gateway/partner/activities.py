"""The seed's activity batch (JSON) as a PostActivitiesRequest.

Only the envelope can fail the whole request (1001): arrays that are not arrays, entries that are
not objects. A `data` item of the wrong shape is passed on as an UnparsedValue, so the server
refuses that one activity (1081) and applies the rest of the batch, as the seed wants.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from loyalty.v1 import activity_pb2, common_pb2
from loyalty_gateway.partner.params import BadParameters

OPERATIONS = ("creates", "updates", "deletes")
_ENTRY_TEXT_FIELDS = (
    "access_token",
    "affiliate_id",
    "transaction_id",
    "date",
    "user_device_id",
    "manufacturer_name",
    "device_name",
)
UNPARSED_JSON_LENGTH_MAX = 4096  # the proto's limit; a longer odd value is reported without it

Value = activity_pb2.ActivityValue


class NotThisShape(ValueError):
    """A value that does not fit its type: sent on unparsed, refused per activity by the server."""


def batch_request(document: dict[str, Any]) -> activity_pb2.PostActivitiesRequest:
    unknown = sorted(set(document) - {*OPERATIONS, "request_id"})
    if unknown:
        raise BadParameters(f"unknown member {unknown[0]!r}: expected creates, updates and deletes")
    request = activity_pb2.PostActivitiesRequest(request_id=_text(document, "request_id"))
    for operation in OPERATIONS:
        entries = document.get(operation, [])
        if not isinstance(entries, list):
            raise BadParameters(f"{operation} must be an array")
        for index, entry in enumerate(entries):
            _add_entry(getattr(request, operation).add(), entry, f"{operation}[{index}]")
    return request


def first_access_token(request: activity_pb2.PostActivitiesRequest) -> str:
    for operation in OPERATIONS:
        for entry in getattr(request, operation):
            if entry.access_token:
                return entry.access_token
    return ""


def first_transaction_id(document: dict[str, Any]) -> str:
    """The seed's transaction_id lives in the entries; the first one answers for the request."""
    for operation in OPERATIONS:
        entries = document.get(operation)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            value = entries[0].get("transaction_id")
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:64]
    return ""


def _text(document: dict[str, Any], name: str, where: str = "") -> str:
    value = document.get(name, "")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadParameters(f"{where}.{name}: must be a string" if where else f"{name}: must be a string")
    return str(value)


def _add_entry(entry: activity_pb2.ActivityEntry, document: Any, where: str) -> None:
    if not isinstance(document, dict):
        raise BadParameters(f"{where} must be an object")
    for name in _ENTRY_TEXT_FIELDS:
        setattr(entry, name, _text(document, name, where))
    data = document.get("data", [])
    if not isinstance(data, list):
        raise BadParameters(f"{where}.data must be an array")
    for index, item in enumerate(data):
        _add_data(entry.data.add(), item, f"{where}.data[{index}]")


def _add_data(data: activity_pb2.ActivityData, document: Any, where: str) -> None:
    if not isinstance(document, dict):
        raise BadParameters(f"{where} must be an object")
    data.id = _text(document, "id", where)
    data.device_tracked = _flag(document.get("device_tracked", False), f"{where}.device_tracked")
    timestamp = _text(document, "timestamp", where)
    if timestamp:
        data.local_timestamp = timestamp
    type_name = _text(document, "type", where)
    if type_name in _TYPES:
        data.type = _TYPES[type_name]  # type: ignore[assignment]
    if "value" not in document:
        return  # deletes need no value; creates and updates fail MISSING_FIELD on the server
    parse = _PARSERS.get(type_name)
    try:
        if parse is None:
            raise NotThisShape(type_name)
        parse(data.value, document["value"])
    except (NotThisShape, ValueError, TypeError, OverflowError):
        data.value.Clear()
        data.value.unparsed.type = type_name[:50]
        raw = json.dumps(document["value"], separators=(",", ":"))
        data.value.unparsed.value_json = raw if len(raw) <= UNPARSED_JSON_LENGTH_MAX else ""


def _flag(value: Any, where: str) -> bool:
    """The seed sends "true"/"false" as strings; JSON booleans are accepted too."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise BadParameters(f'{where}: "true" or "false"')


# --- values --------------------------------------------------------------------------------------


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise NotThisShape("a number, not a boolean")
    if isinstance(value, str):
        value = float(value)  # "1000" as some devices send it; ValueError otherwise
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise NotThisShape("a number")
    return float(value)


def _whole(value: Any) -> int:
    number = _number(value)
    if number != int(number):
        raise NotThisShape("a whole number")
    return int(number)


def _object(value: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not set(value) <= allowed:
        raise NotThisShape(f"an object with {sorted(allowed)}")
    return value


def _label(value: Any) -> str:
    if not isinstance(value, str):
        raise NotThisShape("a string")
    return value


def _total_steps(target: Value, value: Any) -> None:
    target.total_steps.steps = _whole(value)


def _movement(which: str) -> Callable[[Value, Any], None]:
    def parse(target: Value, value: Any) -> None:
        fields = _object(value, {"duration", "distance", "steps"})
        movement = getattr(target, which)
        movement.SetInParent()
        if "duration" in fields:
            movement.duration_seconds = _whole(fields["duration"])
        if "distance" in fields:
            movement.distance_miles = _number(fields["distance"])
        if "steps" in fields:
            movement.steps = _whole(fields["steps"])

    return parse


def _biking(target: Value, value: Any) -> None:
    fields = _object(value, {"duration", "distance"})
    target.biking.SetInParent()
    if "duration" in fields:
        target.biking.duration_seconds = _whole(fields["duration"])
    if "distance" in fields:  # required: the server says MISSING_FIELD when absent
        target.biking.distance_miles = _number(fields["distance"])


def _general_exercise(target: Value, value: Any) -> None:
    fields = _object(value, {"duration", "type"})
    target.general_exercise.SetInParent()
    target.general_exercise.duration_seconds = _whole(fields.get("duration", 0))
    target.general_exercise.exercise_name = _label(fields.get("type", ""))


def _weight(target: Value, value: Any) -> None:
    target.weight.weight_pounds = _number(value)


def _blood_pressure(target: Value, value: Any) -> None:
    fields = _object(value, {"systolic", "diastolic"})
    target.blood_pressure.SetInParent()
    target.blood_pressure.systolic_mmhg = _whole(fields.get("systolic", 0))
    target.blood_pressure.diastolic_mmhg = _whole(fields.get("diastolic", 0))


def _blood_oxygen(target: Value, value: Any) -> None:
    target.blood_oxygen_ratio.saturation_percent = _number(value)


_MEDICINE = {
    "": activity_pb2.MEDICINE_RELATION_UNSPECIFIED,
    "Pre-Medicine": activity_pb2.MEDICINE_RELATION_PRE_MEDICINE,
    "Post-Medicine": activity_pb2.MEDICINE_RELATION_POST_MEDICINE,
}
_MEAL = {
    "": activity_pb2.MEAL_RELATION_UNSPECIFIED,
    "Pre": activity_pb2.MEAL_RELATION_PRE,
    "Post": activity_pb2.MEAL_RELATION_POST,
}


def _blood_glucose(target: Value, value: Any) -> None:
    fields = _object(value, {"value", "medicine_relation", "meal_relation", "meal"})
    glucose = target.blood_glucose
    glucose.SetInParent()
    glucose.glucose_mg_per_dl = _number(fields.get("value", 0))
    medicine, meal = _label(fields.get("medicine_relation", "")), _label(fields.get("meal_relation", ""))
    if medicine not in _MEDICINE or meal not in _MEAL:
        raise NotThisShape("medicine_relation Pre-Medicine/Post-Medicine, meal_relation Pre/Post")
    glucose.medicine_relation = _MEDICINE[medicine]
    glucose.meal_relation = _MEAL[meal]
    glucose.meal = _label(fields.get("meal", ""))


def _sleep(target: Value, value: Any) -> None:
    fields = _object(value, {"duration", "quality"})
    target.sleep.SetInParent()
    target.sleep.duration_seconds = _whole(fields.get("duration", 0))
    target.sleep.quality = _label(fields.get("quality", ""))


_PARSERS: dict[str, Callable[[Value, Any], None]] = {
    "total_steps": _total_steps,
    "walking": _movement("walking"),
    "running": _movement("running"),
    "biking": _biking,
    "general_exercise": _general_exercise,
    "weight": _weight,
    "blood_pressure": _blood_pressure,
    "blood_oxygen_ratio": _blood_oxygen,
    "blood_glucose": _blood_glucose,
    "sleep": _sleep,
}
_TYPES: dict[str, int] = {
    name: common_pb2.ActivityType.Value(f"ACTIVITY_TYPE_{name.upper()}") for name in _PARSERS
}
