"""The partner API's error codes (1001-1071) for each reason, which the gateway answers with.

The auth servicer adds them to the ErrorInfo metadata of the OAuth calls' failures, together with
the request's transaction_id and state, so the gateway can echo them on every answer.
"""

from __future__ import annotations

from loyalty_server.auth.authorization import STATE_LENGTH_MAX, TRANSACTION_ID_LENGTH_MAX
from loyalty_server.errors import DomainError, ErrorKind

_CODES: dict[str, tuple[str, str]] = {}
for _reasons, _code in (
    (
        (
            "INVALID_REQUEST",
            "INVALID_GRANT_TYPE",
            "INVALID_RESPONSE_TYPE",
            "INVALID_CHANNEL",
            "PKCE_REQUIRED",
            "INVALID_CODE_CHALLENGE_METHOD",
            "PASSWORD_TOO_WEAK",
        ),
        ("1001", "invalid_request"),
    ),
    (("UNAUTHORIZED_CLIENT", "REDIRECT_URI_MISMATCH"), ("1011", "unauthorized_client")),
    (("ACCESS_DENIED", "ACCOUNT_LOCKED", "INVALID_CREDENTIALS"), ("1021", "access_denied")),
    (("INVALID_SCOPE",), ("1031", "invalid_scope")),
    (("INVALID_AUTHORIZATION_CODE", "PKCE_MISMATCH"), ("1041", "invalid_authcode")),
    (("INVALID_TOKEN", "REFRESH_TOKEN_REUSED"), ("1051", "invalid_token")),
    (("TEMPORARILY_UNAVAILABLE", "LOGIN_THROTTLED"), ("1061", "temporarily_unavailable")),
    (("REGISTRATION_FAILED",), ("1071", "application_error")),
):
    for _reason in _reasons:
        _CODES[_reason] = _code


def seed_code(error: DomainError) -> tuple[str, str]:
    """(error_code, error) of the partner API; other bad input is 1001, anything else 1071."""
    if error.reason in _CODES:
        return _CODES[error.reason]
    if error.kind is ErrorKind.INVALID_ARGUMENT:
        return "1001", "invalid_request"
    return "1071", "application_error"


def with_seed_fields(error: DomainError, *, transaction_id: str = "", state: str = "") -> DomainError:
    code, name = seed_code(error)
    metadata = {**error.metadata, "error_code": code, "error": name}
    # An over-long value is itself the error: echoing it could outgrow gRPC's 16 KiB trailers, and
    # the caller would get a bare RESOURCE_EXHAUSTED instead of this refusal.
    if transaction_id and len(transaction_id) <= TRANSACTION_ID_LENGTH_MAX:
        metadata["transaction_id"] = transaction_id
    if state and len(state) <= STATE_LENGTH_MAX:
        metadata["state"] = state
    return DomainError(
        error.kind,
        error.reason,
        error.message,
        metadata=metadata,
        field_violations=error.field_violations,
        retry_after_s=error.retry_after_s,
    )
