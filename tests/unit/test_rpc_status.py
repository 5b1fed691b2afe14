from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.runtime.rpc_status import to_rpc_status


def _details(status: grpc.Status) -> status_pb2.Status:
    ((key, value),) = status.trailing_metadata
    assert key == "grpc-status-details-bin"
    return status_pb2.Status.FromString(value)


def test_every_kind_maps_to_the_grpc_code_of_the_same_name() -> None:
    for kind in ErrorKind:
        status = to_rpc_status(DomainError(kind, "SOME_REASON", "text"))
        assert status.code.name == kind.value


def test_error_info_and_bad_request_details() -> None:
    error = invalid_argument(
        "AMOUNT_NOT_POSITIVE",
        "amount must be positive",
        FieldViolation("items[1].amount_minor", "must be > 0"),
    )
    status = to_rpc_status(error)
    assert status.code is grpc.StatusCode.INVALID_ARGUMENT
    assert status.details == "amount must be positive"
    rich = _details(status)
    info = error_details_pb2.ErrorInfo()
    bad = error_details_pb2.BadRequest()
    assert rich.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("AMOUNT_NOT_POSITIVE", "loyalty.v1")
    assert rich.details[1].Unpack(bad)
    assert bad.field_violations[0].field == "items[1].amount_minor"


def test_metadata_travels_in_error_info() -> None:
    rich = _details(to_rpc_status(not_found("MEMBER_NOT_FOUND", "no such member", member_id="m_1")))
    info = error_details_pb2.ErrorInfo()
    rich.details[0].Unpack(info)
    assert dict(info.metadata) == {"member_id": "m_1"}


@pytest.mark.parametrize("reason", ["lower_case", "WITH SPACE", "", "1LEADING_DIGIT"])
def test_reasons_must_be_upper_snake_case(reason: str) -> None:
    with pytest.raises(AssertionError):
        DomainError(ErrorKind.INTERNAL, reason, "x")
