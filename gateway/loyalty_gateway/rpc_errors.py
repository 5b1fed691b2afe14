"""gRPC failures as HTTP: the status code, and a JSON body in the shape of google.rpc.Status.

The server puts a google.rpc.Status with ErrorInfo (the reason), BadRequest and RetryInfo into the
`grpc-status-details-bin` trailer; the gateway passes it on as JSON, unchanged but for the encoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from starlette.responses import JSONResponse

STATUS_DETAILS_KEY = "grpc-status-details-bin"

# As google.rpc.Code documents the HTTP mapping (and grpc-gateway applies it).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


@dataclass(frozen=True, slots=True)
class RpcFailure:
    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    retry_after_s: float | None = None
    status: status_pb2.Status | None = None  # as the server sent it, when it sent one

    @classmethod
    def of(cls, error: grpc.aio.AioRpcError) -> RpcFailure:
        status = _status_of(error)
        reason, metadata, retry_after_s = "", {}, None
        for detail in status.details if status is not None else ():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                retry_after_s = retry.retry_delay.ToTimedelta().total_seconds()
        return cls(error.code(), error.details() or "", reason, metadata, retry_after_s, status)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def headers(self) -> dict[str, str]:
        """Retry-After on throttling and on unavailability, in whole seconds (HTTP has no fractions)."""
        if self.retry_after_s is not None:
            return {"retry-after": str(max(1, math.ceil(self.retry_after_s)))}
        if self.code is grpc.StatusCode.UNAVAILABLE:
            return {"retry-after": "1"}
        return {}

    def as_json(self) -> dict[str, Any]:
        status = self.status or status_pb2.Status(code=self.code.value[0], message=self.message)
        body = json_format.MessageToDict(status)
        body.setdefault("details", [])
        body["code"] = self.code.value[0]  # MessageToDict drops a zero; a failure is never OK anyway
        body["message"] = status.message or self.message
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.as_json(), status_code=self.http_status, headers=self.headers())


def _status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # a malformed trailer is no worse than none
                return None
            return status
    return None


def gateway_failure(code: grpc.StatusCode, reason: str, message: str, **metadata: str) -> RpcFailure:
    """A failure the gateway itself decides (bad JSON, unknown route...), in the same shape."""
    status = status_pb2.Status(code=code.value[0], message=message)
    info = error_details_pb2.ErrorInfo(reason=reason, domain="loyalty.v1", metadata=metadata)
    status.details.add().Pack(info)
    return RpcFailure(code, message, reason, dict(metadata), None, status)
