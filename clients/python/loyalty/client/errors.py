"""Typed errors: one class per gRPC status code, carrying the server's google.rpc.ErrorInfo.

Every error is still a `grpc.aio.AioRpcError`, so code written against plain gRPC keeps working,
while `except NotFound as e: if e.reason == "MEMBER_NOT_FOUND"` reads like the API it handles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_DOMAIN = "loyalty.v1"

_Detail = TypeVar(
    "_Detail", error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.RetryInfo
)


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


@dataclass(frozen=True, slots=True)
class StatusDetails:
    """What the rich status carries; every part empty when the server sent none."""

    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] | None = None
    field_violations: tuple[FieldViolation, ...] = ()
    retry_delay: dt.timedelta | None = None


class LoyaltyError(grpc.aio.AioRpcError):
    """A failed call. `reason` is the ErrorInfo reason (e.g. `INSUFFICIENT_POINTS`), or "" if none."""

    def __init__(self, error: grpc.aio.AioRpcError, details: StatusDetails) -> None:
        super().__init__(
            error.code(),
            error.initial_metadata(),
            error.trailing_metadata(),
            error.details(),
            error.debug_error_string(),
        )
        self.reason = details.reason
        self.domain = details.domain
        self.error_metadata: dict[str, str] = dict(details.metadata or {})
        self.field_violations = details.field_violations
        self.retry_delay = details.retry_delay

    @property
    def request_id(self) -> str:
        """The server's request id for this call (quote it when reporting a problem)."""
        for key, value in self.trailing_metadata() or ():
            if key == "x-request-id" and isinstance(value, str):
                return value
        return ""

    def __str__(self) -> str:
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.code().name}{reason}: {self.details()}"


class Cancelled(LoyaltyError): ...


class Unknown(LoyaltyError): ...


class InvalidArgument(LoyaltyError): ...


class DeadlineExceeded(LoyaltyError): ...


class NotFound(LoyaltyError): ...


class AlreadyExists(LoyaltyError): ...


class PermissionDenied(LoyaltyError): ...


class ResourceExhausted(LoyaltyError): ...


class FailedPrecondition(LoyaltyError): ...


class Aborted(LoyaltyError): ...


class OutOfRange(LoyaltyError): ...


class Unimplemented(LoyaltyError): ...


class Internal(LoyaltyError): ...


class Unavailable(LoyaltyError): ...


class DataLoss(LoyaltyError): ...


class Unauthenticated(LoyaltyError): ...


ERROR_CLASSES: dict[grpc.StatusCode, type[LoyaltyError]] = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNKNOWN: Unknown,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRange,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DATA_LOSS: DataLoss,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}


def typed_error(error: grpc.aio.AioRpcError) -> LoyaltyError:
    """The typed form of a failed call (the same object when it already is one)."""
    if isinstance(error, LoyaltyError):
        return error
    error_class = ERROR_CLASSES.get(error.code(), LoyaltyError)
    return error_class(error, status_details(error.trailing_metadata()))


def status_details(trailing_metadata: object) -> StatusDetails:
    """Parse the rich status out of trailing metadata. A malformed one is ignored, never raised:
    the status code and message still say what went wrong."""
    for key, value in trailing_metadata or ():  # type: ignore[attr-defined]
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return details_of(status_pb2.Status.FromString(value))
            except Exception:  # a broken detail must not hide the error itself
                return StatusDetails()
    return StatusDetails()


def details_of(status: status_pb2.Status) -> StatusDetails:
    reason, domain, metadata = "", "", {}
    violations: list[FieldViolation] = []
    retry_delay: dt.timedelta | None = None
    for detail in status.details:
        if (info := _unpack(detail, error_details_pb2.ErrorInfo)) is not None:
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif (bad := _unpack(detail, error_details_pb2.BadRequest)) is not None:
            violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif (retry := _unpack(detail, error_details_pb2.RetryInfo)) is not None:
            retry_delay = retry.retry_delay.ToTimedelta()
    return StatusDetails(reason, domain, metadata, tuple(violations), retry_delay)


def _unpack(detail: any_pb2.Any, message_type: type[_Detail]) -> _Detail | None:
    if not detail.Is(message_type.DESCRIPTOR):
        return None
    message = message_type()
    detail.Unpack(message)
    return message
