"""The partner API's pure translations: the seed's JSON activity batch as a PostActivitiesRequest
(gateway partner/activities.py), and gRPC failures as the seed's error codes (partner/errors.py)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2

from loyalty.v1 import activity_pb2, common_pb2
from loyalty_gateway.partner import activities, errors
from loyalty_gateway.partner.activities import (
    UNPARSED_JSON_LENGTH_MAX,
    batch_request,
    first_access_token,
    first_transaction_id,
)
from loyalty_gateway.partner.answers import HTTP_STATUS, SEED_ERRORS
from loyalty_gateway.partner.params import BadParameters
from loyalty_gateway.rpc_errors import RpcFailure

Value = activity_pb2.ActivityValue


def item(type_name: str, value: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "id": "MjAxNS0wOS0wOCAxODoyOTaksdf",
        "device_tracked": "true",
        "timestamp": "2015-09-08 18:29:28",
        "type": type_name,
        "value": value,
    }
    data.update(changes)
    return data


def one(data: dict[str, Any], operation: str = "creates") -> activity_pb2.ActivityData:
    """The one ActivityData of a batch holding just `data`."""
    request = batch_request({operation: [{"data": [data]}]})
    (entry,) = getattr(request, operation)
    (converted,) = entry.data
    return converted


# --- the envelope ---------------------------------------------------------------------------------


def test_the_seeds_example_batch() -> None:
    document = {
        "creates": [
            {
                "access_token": "USER_ACCESS_TOKEN",
                "affiliate_id": "YOUR_AFFILIATE_ID",
                "transaction_id": "RANDOM_NUMBER_16",
                "date": "2015-09-08",
                "user_device_id": "uuid-1",
                "manufacturer_name": "YOUR_COMPANY_NAME",
                "device_name": "YOUR_DEVICE_NAME",
                "data": [item("total_steps", 1000)],
            }
        ]
    }
    request = batch_request(document)
    assert request == activity_pb2.PostActivitiesRequest(
        creates=[
            activity_pb2.ActivityEntry(
                access_token="USER_ACCESS_TOKEN",
                affiliate_id="YOUR_AFFILIATE_ID",
                transaction_id="RANDOM_NUMBER_16",
                date="2015-09-08",
                user_device_id="uuid-1",
                manufacturer_name="YOUR_COMPANY_NAME",
                device_name="YOUR_DEVICE_NAME",
                data=[
                    activity_pb2.ActivityData(
                        id="MjAxNS0wOS0wOCAxODoyOTaksdf",
                        device_tracked=True,
                        local_timestamp="2015-09-08 18:29:28",
                        type=common_pb2.ACTIVITY_TYPE_TOTAL_STEPS,
                        value=Value(total_steps=activity_pb2.TotalStepsValue(steps=1000)),
                    )
                ],
            )
        ]
    )
    assert first_access_token(request) == "USER_ACCESS_TOKEN"
    assert first_transaction_id(document) == "RANDOM_NUMBER_16"


def test_creates_updates_and_deletes_keep_their_arrays_and_order() -> None:
    request = batch_request(
        {
            "request_id": "batch-1",
            "deletes": [{"data": [{"id": "d1"}]}],
            "creates": [{"data": [item("weight", 168, id="c1"), item("weight", 170, id="c2")]}],
            "updates": [{"data": [item("weight", 169, id="u1")]}, {"data": [item("weight", 1, id="u2")]}],
        }
    )
    assert request.request_id == "batch-1"
    assert [data.id for entry in request.creates for data in entry.data] == ["c1", "c2"]
    assert [data.id for entry in request.updates for data in entry.data] == ["u1", "u2"]
    (deleted,) = request.deletes[0].data
    assert deleted.id == "d1"
    assert not deleted.HasField("value")  # deletes need none
    assert deleted.WhichOneof("when") is None


def test_an_empty_document_is_an_empty_request() -> None:
    assert batch_request({}) == activity_pb2.PostActivitiesRequest()
    assert (
        batch_request({"creates": [], "updates": [], "deletes": []}) == activity_pb2.PostActivitiesRequest()
    )
    assert batch_request({"creates": [{}]}) == activity_pb2.PostActivitiesRequest(
        creates=[activity_pb2.ActivityEntry()]
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"creates": {}}, "creates must be an array"),
        ({"updates": "x"}, "updates must be an array"),
        ({"deletes": None}, "deletes must be an array"),
        ({"creates": ["x"]}, r"creates\[0\] must be an object"),
        ({"creates": [{}, []]}, r"creates\[1\] must be an object"),
        ({"creates": [{"data": {}}]}, r"creates\[0\].data must be an array"),
        ({"creates": [{"data": [1]}]}, r"creates\[0\].data\[0\] must be an object"),
        ({"upserts": []}, "unknown member 'upserts'"),
        ({"creates": [], "access_token": "t"}, "unknown member 'access_token'"),
        ({"request_id": ["r"]}, "request_id: must be a string"),
        ({"creates": [{"access_token": None}]}, r"creates\[0\].access_token: must be a string"),
        ({"creates": [{"affiliate_id": 1.5}]}, r"creates\[0\].affiliate_id: must be a string"),
        ({"creates": [{"device_name": True}]}, r"creates\[0\].device_name: must be a string"),
        ({"creates": [{"data": [{"id": {"a": 1}}]}]}, r"creates\[0\].data\[0\].id: must be a string"),
        ({"creates": [{"data": [{"id": "a", "timestamp": 1442}]}]}, None),  # a number is no timestamp…
        ({"creates": [{"data": [{"id": "a", "type": ["walking"]}]}]}, r"data\[0\].type: must be a string"),
    ],
)
def test_a_bad_envelope_is_bad_parameters(document, message) -> None:
    if message is None:  # …but an int passes as text and the server judges it (INVALID_TIMESTAMP)
        assert one(document["creates"][0]["data"][0]).local_timestamp == "1442"
        return
    with pytest.raises(BadParameters, match=message):
        batch_request(document)


@pytest.mark.parametrize(
    ("flag", "expected"), [("true", True), ("false", False), (True, True), (False, False)]
)
def test_device_tracked_as_the_seeds_strings_or_booleans(flag, expected) -> None:
    assert one(item("weight", 168, device_tracked=flag)).device_tracked is expected


def test_device_tracked_left_out_is_false() -> None:
    data = item("weight", 168)
    del data["device_tracked"]
    assert one(data).device_tracked is False


@pytest.mark.parametrize("flag", ["True", "yes", "1", 1, 0, None, "", []])
def test_device_tracked_anything_else_is_bad_parameters(flag) -> None:
    with pytest.raises(BadParameters, match=r"creates\[0\].data\[0\].device_tracked"):
        batch_request({"creates": [{"data": [item("weight", 168, device_tracked=flag)]}]})


def test_numeric_ids_pass_as_text() -> None:
    document = {"creates": [{"transaction_id": 1234567890123456, "data": [item("weight", 1, id=42)]}]}
    request = batch_request(document)
    assert request.creates[0].transaction_id == "1234567890123456"
    assert request.creates[0].data[0].id == "42"
    assert first_transaction_id(document) == "1234567890123456"


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "value", "expected", "activity_type"),
    [
        ("total_steps", 1000, Value(total_steps={"steps": 1000}), "TOTAL_STEPS"),
        ("total_steps", "1000", Value(total_steps={"steps": 1000}), "TOTAL_STEPS"),
        ("total_steps", 1000.0, Value(total_steps={"steps": 1000}), "TOTAL_STEPS"),
        (
            "walking",
            {"duration": 600, "distance": 1, "steps": 2000},
            Value(walking={"duration_seconds": 600, "distance_miles": 1.0, "steps": 2000}),
            "WALKING",
        ),
        ("walking", {"steps": 2000}, Value(walking={"steps": 2000}), "WALKING"),
        (
            "running",
            {"duration": 600, "distance": 1.5},
            Value(running={"duration_seconds": 600, "distance_miles": 1.5}),
            "RUNNING",
        ),
        (
            "biking",
            {"duration": 3600, "distance": 5},
            Value(biking={"duration_seconds": 3600, "distance_miles": 5.0}),
            "BIKING",
        ),
        (
            "general_exercise",
            {"duration": 3600, "type": "Yoga"},
            Value(general_exercise={"duration_seconds": 3600, "exercise_name": "Yoga"}),
            "GENERAL_EXERCISE",
        ),
        ("weight", 168, Value(weight={"weight_pounds": 168.0}), "WEIGHT"),
        ("weight", 168.5, Value(weight={"weight_pounds": 168.5}), "WEIGHT"),
        (
            "blood_pressure",
            {"systolic": 120, "diastolic": 80},
            Value(blood_pressure={"systolic_mmhg": 120, "diastolic_mmhg": 80}),
            "BLOOD_PRESSURE",
        ),
        (
            "blood_oxygen_ratio",
            97,
            Value(blood_oxygen_ratio={"saturation_percent": 97.0}),
            "BLOOD_OXYGEN_RATIO",
        ),
        (
            "blood_glucose",
            {"value": 56.2, "medicine_relation": "Pre-Medicine", "meal_relation": "Pre", "meal": "Breakfast"},
            Value(
                blood_glucose={
                    "glucose_mg_per_dl": 56.2,
                    "medicine_relation": activity_pb2.MEDICINE_RELATION_PRE_MEDICINE,
                    "meal_relation": activity_pb2.MEAL_RELATION_PRE,
                    "meal": "Breakfast",
                }
            ),
            "BLOOD_GLUCOSE",
        ),
        (
            "blood_glucose",
            {"value": 120, "medicine_relation": "Post-Medicine", "meal_relation": "Post"},
            Value(
                blood_glucose={
                    "glucose_mg_per_dl": 120.0,
                    "medicine_relation": activity_pb2.MEDICINE_RELATION_POST_MEDICINE,
                    "meal_relation": activity_pb2.MEAL_RELATION_POST,
                }
            ),
            "BLOOD_GLUCOSE",
        ),
        (
            "sleep",
            {"duration": 34552, "quality": "Normal"},
            Value(sleep={"duration_seconds": 34552, "quality": "Normal"}),
            "SLEEP",
        ),
    ],
)
def test_each_seed_type_becomes_its_typed_value(type_name, value, expected, activity_type) -> None:
    data = one(item(type_name, value))
    assert data.value == expected
    assert data.type == common_pb2.ActivityType.Value(f"ACTIVITY_TYPE_{activity_type}")


def test_every_seed_type_has_a_parser_and_an_activity_type() -> None:
    seed_types = {
        "total_steps",
        "walking",
        "running",
        "biking",
        "general_exercise",
        "weight",
        "blood_pressure",
        "blood_oxygen_ratio",
        "blood_glucose",
        "sleep",
    }
    assert set(activities._PARSERS) == seed_types
    assert set(activities._TYPES) == seed_types
    oneof_members = {field.name for field in Value.DESCRIPTOR.oneofs_by_name["value"].fields}
    assert seed_types <= oneof_members  # the oneof member is named like the seed's type


def test_a_movement_with_no_fields_is_still_that_type() -> None:
    """The server then says MISSING_FIELD (neither distance nor steps), not UNKNOWN_TYPE."""
    data = one(item("walking", {}))
    assert data.value.WhichOneof("value") == "walking"
    assert not data.value.walking.HasField("steps")
    biking = one(item("biking", {"duration": 60}))
    assert biking.value.WhichOneof("value") == "biking"


def test_out_of_range_numbers_are_passed_on_for_the_server_to_refuse() -> None:
    """Ranges are the server's business (VALUE_OUT_OF_RANGE per activity), not the gateway's."""
    assert one(item("total_steps", 100_001)).value.total_steps.steps == 100_001
    assert one(item("total_steps", -5)).value.total_steps.steps == -5
    assert one(item("weight", 1501)).value.weight.weight_pounds == 1501


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("total_steps", {"steps": 10}),  # an object where a number belongs
        ("total_steps", 1.5),  # not whole
        ("total_steps", True),  # a boolean is no number
        ("total_steps", "many"),
        ("total_steps", "NaN"),
        ("total_steps", "Infinity"),
        ("total_steps", 1e300),  # whole, but beyond int64
        ("total_steps", None),
        ("total_steps", [1000]),
        ("walking", 2000),  # a number where an object belongs
        ("walking", {"steps": 2000, "pace": 5}),  # a member the seed does not have
        ("walking", {"duration": "long"}),
        ("running", {"distance": [1]}),
        ("biking", {"distance": 5, "steps": 100}),
        ("general_exercise", {"duration": 60, "type": 5}),
        ("general_exercise", "Yoga"),
        ("weight", {"pounds": 168}),
        ("blood_pressure", {"systolic": 120, "diastolic": 80.5}),
        ("blood_pressure", {"systolic": 3_000_000_000, "diastolic": 80}),  # beyond int32
        ("blood_pressure", "120/80"),
        ("blood_oxygen_ratio", {"value": 97}),
        ("blood_glucose", {"value": 56, "medicine_relation": "During"}),
        ("blood_glucose", {"value": 56, "meal_relation": "pre"}),
        ("blood_glucose", {"value": 56, "meal": 1}),
        ("blood_glucose", 56),
        ("sleep", {"duration": 100, "quality": None}),
        ("sleep", 34552),
    ],
)
def test_a_value_of_the_wrong_shape_is_passed_on_unparsed(type_name, value) -> None:
    """One bad activity must not fail the batch: the server refuses it alone (INVALID_VALUE)."""
    data = one(item(type_name, value))
    assert data.value.WhichOneof("value") == "unparsed"
    assert data.value.unparsed.type == type_name
    assert json.loads(data.value.unparsed.value_json) == value
    assert data.type == common_pb2.ActivityType.Value(f"ACTIVITY_TYPE_{type_name.upper()}")
    assert (data.id, data.device_tracked, data.local_timestamp) == (  # the rest is kept
        "MjAxNS0wOS0wOCAxODoyOTaksdf",
        True,
        "2015-09-08 18:29:28",
    )


def test_nan_from_json_is_refused_too() -> None:
    """json.loads accepts NaN and Infinity; neither is a number of the seed."""
    document = json.loads('{"creates": [{"data": [{"id": "a", "type": "weight", "value": NaN}]}]}')
    assert batch_request(document).creates[0].data[0].value.WhichOneof("value") == "unparsed"


@pytest.mark.parametrize("type_name", ["swimming", "", "TOTAL_STEPS", "total steps"])
def test_an_unknown_type_is_passed_on_unparsed_without_a_type(type_name) -> None:
    data = one(item(type_name, 10))
    assert data.type == common_pb2.ACTIVITY_TYPE_UNSPECIFIED
    assert data.value.unparsed == activity_pb2.UnparsedValue(type=type_name, value_json="10")


def test_a_long_type_name_is_cut_and_a_long_value_left_out() -> None:
    data = one(item("t" * 80, 10))
    assert data.value.unparsed.type == "t" * 50
    big = {"steps": "x" * UNPARSED_JSON_LENGTH_MAX}
    data = one(item("total_steps", big))
    assert data.value.WhichOneof("value") == "unparsed"
    assert data.value.unparsed.type == "total_steps"
    assert data.value.unparsed.value_json == ""  # too long to carry: reported without it
    fits = "x" * (UNPARSED_JSON_LENGTH_MAX - 2)  # with its quotes, exactly the maximum
    assert one(item("total_steps", fits)).value.unparsed.value_json == json.dumps(fits)


def test_a_create_without_a_value_or_a_timestamp_leaves_them_unset() -> None:
    """The server answers MISSING_FIELD for that activity alone."""
    data = one({"id": "a", "type": "weight"})
    assert not data.HasField("value")
    assert data.WhichOneof("when") is None
    assert data.type == common_pb2.ACTIVITY_TYPE_WEIGHT
    assert not one({"id": "a", "type": "weight", "timestamp": ""}).HasField("local_timestamp")


def test_an_explicit_null_value_is_unparsed_not_missing() -> None:
    data = one(item("weight", None))
    assert data.value.unparsed == activity_pb2.UnparsedValue(type="weight", value_json="null")


# --- the first token and transaction id -----------------------------------------------------------


def test_the_first_access_token_of_any_array() -> None:
    request = batch_request(
        {
            "creates": [{"data": []}],
            "updates": [{"access_token": "", "data": []}, {"access_token": "t-2", "data": []}],
            "deletes": [{"access_token": "t-3", "data": []}],
        }
    )
    assert first_access_token(request) == "t-2"
    assert first_access_token(activity_pb2.PostActivitiesRequest()) == ""


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"creates": [{"transaction_id": "t-1"}]}, "t-1"),
        ({"creates": [{"transaction_id": 42}]}, "42"),
        ({"creates": [], "updates": [{"transaction_id": "t-2"}]}, "t-2"),
        ({"creates": [{"transaction_id": True}], "deletes": [{"transaction_id": "t-3"}]}, "t-3"),
        ({"creates": [{"transaction_id": "x" * 100}]}, "x" * 64),
        ({"creates": ["not an object"]}, ""),
        ({"creates": {"transaction_id": "t"}}, ""),
        ({}, ""),
    ],
)
def test_the_first_transaction_id_even_of_a_bad_document(document, expected) -> None:
    """It answers for the whole request, a 1001 included, so it is read before any check."""
    assert first_transaction_id(document) == expected


# --- gRPC failures as seed codes ------------------------------------------------------------------


def failure(
    code: grpc.StatusCode, reason: str = "", retry_after_s: float | None = None, **metadata: str
) -> RpcFailure:
    return RpcFailure(code, f"{reason or code.name} happened", reason, metadata, retry_after_s)


@pytest.mark.parametrize(
    ("rpc_failure", "expected"),
    [
        # The AuthService names the seed's code itself.
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_AUTHORIZATION_CODE", error_code="1041"), "1041"),
        (failure(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED_CLIENT", error_code="1011"), "1011"),
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "REDIRECT_URI_MISMATCH", error_code="1011"), "1011"),
        (failure(grpc.StatusCode.PERMISSION_DENIED, "ACCOUNT_LOCKED", error_code="1021"), "1021"),
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SCOPE", error_code="1031"), "1031"),
        (failure(grpc.StatusCode.UNAUTHENTICATED, "REFRESH_TOKEN_REUSED", error_code="1051"), "1051"),
        (failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "LOGIN_THROTTLED", error_code="1061"), "1061"),
        (failure(grpc.StatusCode.INTERNAL, "REGISTRATION_FAILED", error_code="1071"), "1071"),
        # A code the seed does not have is not trusted: the reason or status decides.
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "X", error_code="9999"), "1001"),
        # The other services' reasons, as activity.proto documents them.
        (failure(grpc.StatusCode.PERMISSION_DENIED, "CLIENT_MISMATCH"), "1011"),
        (failure(grpc.StatusCode.PERMISSION_DENIED, "MEMBER_NOT_GRANTED"), "1011"),
        (failure(grpc.StatusCode.PERMISSION_DENIED, "SCOPE_REQUIRED"), "1031"),
        (failure(grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN"), "1051"),
        (failure(grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING"), "1051"),
        (failure(grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND"), "1051"),
        # What cannot be told apart falls back on the status code.
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "BATCH_EMPTY"), "1001"),
        (failure(grpc.StatusCode.INVALID_ARGUMENT, "BATCH_TOO_LARGE"), "1001"),
        (failure(grpc.StatusCode.OUT_OF_RANGE), "1001"),
        (failure(grpc.StatusCode.FAILED_PRECONDITION, "MEMBER_DEACTIVATED"), "1001"),
        (failure(grpc.StatusCode.UNAUTHENTICATED), "1051"),
        (failure(grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED"), "1011"),
        (failure(grpc.StatusCode.UNAVAILABLE), "1061"),
        (failure(grpc.StatusCode.DEADLINE_EXCEEDED), "1061"),
        (failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"), "1061"),
        (failure(grpc.StatusCode.INTERNAL), "1071"),
        (failure(grpc.StatusCode.UNKNOWN), "1071"),
        (failure(grpc.StatusCode.NOT_FOUND, "GRANT_NOT_FOUND"), "1071"),
        (failure(grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED"), "1071"),
        (failure(grpc.StatusCode.ABORTED), "1071"),
    ],
)
def test_seed_code_of_a_failure(rpc_failure, expected) -> None:
    assert errors.seed_code(rpc_failure) == expected
    assert expected in SEED_ERRORS


def answer_of(rpc_failure: RpcFailure, transaction_id: str = "t-req") -> tuple[int, dict[str, str], dict]:
    response = errors.failure_answer(rpc_failure, transaction_id)
    return response.status_code, dict(response.headers), json.loads(response.body)


def test_a_failure_answer_is_the_seeds_error_object() -> None:
    status, headers, body = answer_of(failure(grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN"))
    assert status == HTTP_STATUS["1051"] == 401
    assert body == {
        "error_code": "1051",
        "error": "invalid_token",
        "error_description": "INVALID_TOKEN happened",
        "transaction_id": "t-req",
    }
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert "retry-after" not in headers


def test_the_servers_transaction_id_wins_over_the_requests() -> None:
    rpc_failure = failure(
        grpc.StatusCode.INVALID_ARGUMENT, "PKCE_MISMATCH", error_code="1041", transaction_id="t-srv"
    )
    _status, _headers, body = answer_of(rpc_failure)
    assert body["transaction_id"] == "t-srv"


def test_an_unexpected_failure_says_nothing_of_its_inside() -> None:
    status, _headers, body = answer_of(failure(grpc.StatusCode.INTERNAL, "DATABASE_EXPLODED"))
    assert status == 500
    assert body["error_code"] == "1071"
    assert body["error"] == "application_error"
    assert "DATABASE" not in body["error_description"]
    assert body["error_description"] == "the request could not be processed"


def test_unavailable_and_throttled_answers_say_when_to_retry() -> None:
    status, headers, body = answer_of(failure(grpc.StatusCode.UNAVAILABLE, "TEMPORARILY_UNAVAILABLE"))
    assert (status, body["error_code"], headers["retry-after"]) == (503, "1061", "1")
    status, headers, body = answer_of(
        failure(grpc.StatusCode.RESOURCE_EXHAUSTED, "LOGIN_THROTTLED", retry_after_s=2.2, error_code="1061")
    )
    assert (status, body["error_code"], headers["retry-after"]) == (429, "1061", "3")
    status, headers, _body = answer_of(failure(grpc.StatusCode.RESOURCE_EXHAUSTED, retry_after_s=0.1))
    assert (status, headers["retry-after"]) == (429, "1")


def test_a_failure_read_from_a_real_grpc_error() -> None:
    """RpcFailure.of takes the reason and metadata from the grpc-status-details-bin trailer."""
    info = error_details_pb2.ErrorInfo(
        reason="INVALID_SCOPE", domain="loyalty.v1", metadata={"error_code": "1031", "transaction_id": "t-7"}
    )
    retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=4))
    status = status_pb2.Status(
        code=grpc.StatusCode.INVALID_ARGUMENT.value[0], message="scope admin is unknown"
    )
    status.details.add().Pack(info)
    status.details.add().Pack(retry)
    error = grpc.aio.AioRpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString())),
        details="scope admin is unknown",
    )
    rpc_failure = RpcFailure.of(error)
    assert (rpc_failure.reason, rpc_failure.retry_after_s) == ("INVALID_SCOPE", 4.0)
    http_status, headers, body = answer_of(rpc_failure)
    assert (http_status, body["error_code"], body["transaction_id"]) == (400, "1031", "t-7")
    assert body["error_description"] == "scope admin is unknown"
    assert headers["retry-after"] == "4"
    # Without the trailer: the status code alone.
    bare = grpc.aio.AioRpcError(grpc.StatusCode.UNAUTHENTICATED, grpc.aio.Metadata(), grpc.aio.Metadata())
    assert errors.seed_code(RpcFailure.of(bare)) == "1051"
