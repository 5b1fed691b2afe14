"""Typed client errors: one class per status code, still a grpc.aio.AioRpcError, carrying what the
server's packed google.rpc.Status says (ErrorInfo reason/domain/metadata, BadRequest field violations,
RetryInfo delay) and the `x-request-id`; a broken details blob never hides the error itself."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from loyalty.client.errors import (
    ERROR_CLASSES,
    STATUS_DETAILS_KEY,
    FieldViolation,
    InvalidArgument,
    LoyaltyError,
    NotFound,
    StatusDetails,
    Unavailable,
    status_details,
    typed_error,
)


def _packed(*details: object) -> list[any_pb2.Any]:
    return [_any(detail) for detail in details]


def _any(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def _status_blob(code: grpc.StatusCode, message: str, *details: object) -> bytes:
    status = status_pb2.Status(code=code.value[0], message=message, details=_packed(*details))
    return status.SerializeToString()


def _rpc_error(
    code: grpc.StatusCode, details: str = "msg", *trailing: tuple[str, str | bytes]
) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details)


ERROR_INFO = error_details_pb2.ErrorInfo(
    reason="MEMBER_NOT_FOUND", domain="loyalty.v1", metadata={"member_id": "mem_1", "field": "member"}
)


def _camel(code: grpc.StatusCode) -> str:
    return "".join(part.capitalize() for part in code.name.split("_"))


def test_every_status_code_but_ok_has_a_class() -> None:
    assert set(ERROR_CLASSES) == set(grpc.StatusCode) - {grpc.StatusCode.OK}


@pytest.mark.parametrize(("code", "error_class"), list(ERROR_CLASSES.items()))
def test_typed_error_maps_the_code_to_its_class(
    code: grpc.StatusCode, error_class: type[LoyaltyError]
) -> None:
    error = typed_error(_rpc_error(code, "it failed"))
    assert type(error) is error_class
    assert error_class.__name__ == _camel(code)
    assert error.code() is code
    assert error.details() == "it failed"
    assert isinstance(error, LoyaltyError)
    assert isinstance(error, grpc.aio.AioRpcError)


def test_an_unmapped_code_is_a_plain_loyalty_error() -> None:
    error = typed_error(_rpc_error(grpc.StatusCode.OK))
    assert type(error) is LoyaltyError


def test_error_info_is_parsed_from_the_trailing_status() -> None:
    blob = _status_blob(grpc.StatusCode.NOT_FOUND, "no such member", ERROR_INFO)
    error = typed_error(_rpc_error(grpc.StatusCode.NOT_FOUND, "no such member", (STATUS_DETAILS_KEY, blob)))
    assert isinstance(error, NotFound)
    assert error.reason == "MEMBER_NOT_FOUND"
    assert error.domain == "loyalty.v1"
    assert error.error_metadata == {"member_id": "mem_1", "field": "member"}
    assert error.field_violations == ()
    assert error.retry_delay is None


def test_field_violations_and_retry_delay_are_parsed() -> None:
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="request_id", description="required"),
            error_details_pb2.BadRequest.FieldViolation(field="member.email", description="not an email"),
        ]
    )
    retry_info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000))
    info = error_details_pb2.ErrorInfo(reason="FIELD_INVALID", domain="loyalty.v1")
    blob = _status_blob(grpc.StatusCode.INVALID_ARGUMENT, "bad", info, bad_request, retry_info)
    error = typed_error(_rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "bad", (STATUS_DETAILS_KEY, blob)))
    assert isinstance(error, InvalidArgument)
    assert error.reason == "FIELD_INVALID"
    assert error.field_violations == (
        FieldViolation("request_id", "required"),
        FieldViolation("member.email", "not an email"),
    )
    assert error.retry_delay == dt.timedelta(seconds=2.5)


def test_violations_from_several_bad_requests_are_joined_in_order() -> None:
    first = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field="a", description="1")]
    )
    second = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field="b", description="2")]
    )
    blob = _status_blob(grpc.StatusCode.INVALID_ARGUMENT, "bad", first, second)
    details = status_details(grpc.aio.Metadata((STATUS_DETAILS_KEY, blob)))
    assert details.field_violations == (FieldViolation("a", "1"), FieldViolation("b", "2"))
    assert details.reason == ""


def test_unknown_detail_types_are_skipped() -> None:
    other = error_details_pb2.DebugInfo(detail="stack")
    blob = _status_blob(grpc.StatusCode.INTERNAL, "boom", other, ERROR_INFO)
    details = status_details(grpc.aio.Metadata((STATUS_DETAILS_KEY, blob)))
    assert details.reason == "MEMBER_NOT_FOUND"
    assert details.field_violations == ()


@pytest.mark.parametrize("blob", [b"\xff\xff\xff", b"\x1a\x05\x0a\x03abc\xff"])
def test_a_malformed_details_blob_is_ignored(blob: bytes) -> None:
    error = typed_error(_rpc_error(grpc.StatusCode.UNAVAILABLE, "down", (STATUS_DETAILS_KEY, blob)))
    assert isinstance(error, Unavailable)
    assert error.reason == ""
    assert error.domain == ""
    assert error.error_metadata == {}
    assert error.field_violations == ()
    assert error.retry_delay is None
    assert error.details() == "down"


def test_a_packed_detail_with_a_broken_value_is_ignored() -> None:
    broken = any_pb2.Any(type_url="type.googleapis.com/google.rpc.ErrorInfo", value=b"\xff\xff")
    status = status_pb2.Status(code=5, message="x", details=[broken])
    assert (
        status_details(grpc.aio.Metadata((STATUS_DETAILS_KEY, status.SerializeToString()))) == StatusDetails()
    )


def test_no_trailing_metadata_means_empty_details() -> None:
    assert status_details(None) == StatusDetails()
    assert status_details(grpc.aio.Metadata(("x-request-id", "req-1"))) == StatusDetails()
    error = typed_error(grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, None, None, "closed"))
    assert error.reason == ""
    assert error.request_id == ""


def test_request_id_comes_from_the_trailing_metadata() -> None:
    error = typed_error(
        _rpc_error(grpc.StatusCode.NOT_FOUND, "missing", ("x-other", "no"), ("x-request-id", "req-7f3a"))
    )
    assert error.request_id == "req-7f3a"
    assert typed_error(_rpc_error(grpc.StatusCode.NOT_FOUND)).request_id == ""


def test_str_shows_the_code_the_reason_and_the_message() -> None:
    blob = _status_blob(grpc.StatusCode.NOT_FOUND, "no such member", ERROR_INFO)
    error = typed_error(_rpc_error(grpc.StatusCode.NOT_FOUND, "no such member", (STATUS_DETAILS_KEY, blob)))
    assert str(error) == "NOT_FOUND MEMBER_NOT_FOUND: no such member"
    assert str(typed_error(_rpc_error(grpc.StatusCode.UNAVAILABLE, "down"))) == "UNAVAILABLE: down"


def test_a_typed_error_is_returned_as_is() -> None:
    error = typed_error(_rpc_error(grpc.StatusCode.ABORTED))
    assert typed_error(error) is error


def test_the_typed_error_keeps_the_original_metadata() -> None:
    trailing = grpc.aio.Metadata(("x-request-id", "req-1"))
    initial = grpc.aio.Metadata(("loyalty-start-sequence", "9"))
    original = grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, initial, trailing, "down", "debug text")
    error = typed_error(original)
    assert error.initial_metadata() == initial
    assert error.trailing_metadata() == trailing
    assert error.debug_error_string() == "debug text"


async def test_plain_grpc_handlers_still_catch_it() -> None:
    async def fails() -> None:
        raise typed_error(_rpc_error(grpc.StatusCode.PERMISSION_DENIED, "no"))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fails()
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
