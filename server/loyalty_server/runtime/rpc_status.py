"""Domain errors -> gRPC status with rich details (google.rpc.Status carrying ErrorInfo and BadRequest)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from loyalty_server.errors import DomainError, ErrorKind

ERROR_DOMAIN = "loyalty.v1"

_CODES: dict[ErrorKind, grpc.StatusCode] = {kind: grpc.StatusCode[kind.value] for kind in ErrorKind}


def grpc_code(kind: ErrorKind) -> grpc.StatusCode:
    return _CODES[kind]


def to_rpc_status(error: DomainError) -> grpc.Status:
    return rpc_status.to_status(status_proto(error))


def status_proto(error: DomainError) -> status_pb2.Status:
    """The google.rpc.Status of a refusal: also what batch responses carry per entry."""
    code = grpc_code(error.kind)
    details: list[object] = [
        error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)
    ]
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.field_violations
                ]
            )
        )
    if error.retry_after_s is not None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromSeconds(error.retry_after_s)
        details.append(retry)
    return status_pb2.Status(code=code.value[0], message=error.message, details=[_pack(d) for d in details])


def simple_status(code: grpc.StatusCode, reason: str, message: str) -> grpc.Status:
    """A rich status for failures that do not come from the domain (unimplemented, internal, unavailable)."""
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)
    status = status_pb2.Status(code=code.value[0], message=message, details=[_pack(info)])
    return rpc_status.to_status(status)


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


assert grpc.StatusCode.UNIMPLEMENTED.value[0] == code_pb2.UNIMPLEMENTED
