"""gRPC failures as the partner API's error codes.

The AuthService already names the seed's code in its ErrorInfo metadata (`error_code`); the other
services' reasons are mapped here, as activity.proto documents them. What cannot be told apart
falls back on the status code: bad input is 1001, anything unexpected 1071.
"""

from __future__ import annotations

import grpc
from starlette.responses import JSONResponse

from loyalty_gateway.partner.answers import SEED_ERRORS, seed_error
from loyalty_gateway.rpc_errors import RpcFailure

_BY_REASON: dict[str, str] = {
    "CLIENT_MISMATCH": "1011",
    "MEMBER_NOT_GRANTED": "1011",
    "SCOPE_REQUIRED": "1031",
    "INVALID_TOKEN": "1051",
    "CREDENTIALS_MISSING": "1051",
    "MEMBER_NOT_FOUND": "1051",  # the token's member is gone (erased): the token is no good
}
_BY_STATUS: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.INVALID_ARGUMENT: "1001",
    grpc.StatusCode.OUT_OF_RANGE: "1001",
    grpc.StatusCode.FAILED_PRECONDITION: "1001",
    grpc.StatusCode.UNAUTHENTICATED: "1051",
    grpc.StatusCode.PERMISSION_DENIED: "1011",
    grpc.StatusCode.UNAVAILABLE: "1061",
    grpc.StatusCode.DEADLINE_EXCEEDED: "1061",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "1061",
}


def seed_code(failure: RpcFailure) -> str:
    named = failure.metadata.get("error_code", "")
    if named in SEED_ERRORS:
        return named
    return _BY_REASON.get(failure.reason) or _BY_STATUS.get(failure.code, "1071")


def failure_answer(failure: RpcFailure, transaction_id: str) -> JSONResponse:
    code = seed_code(failure)
    description = failure.message if code != "1071" else "the request could not be processed"
    return seed_error(
        code,
        description,
        failure.metadata.get("transaction_id") or transaction_id,
        status=429 if failure.code is grpc.StatusCode.RESOURCE_EXHAUSTED else None,
        headers=failure.headers(),
    )
