"""The partner API's answers: the seed's error object (error_code, error, error_description,
transaction_id) and the HTTP status that goes with each code."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# The seed's codes with their names; the gateway never invents others.
SEED_ERRORS: dict[str, str] = {
    "1001": "invalid_request",
    "1011": "unauthorized_client",
    "1021": "access_denied",
    "1031": "invalid_scope",
    "1041": "invalid_authcode",
    "1051": "invalid_token",
    "1061": "temporarily_unavailable",
    "1071": "application_error",
    "1081": "process_activity_error",
}

# The seed gives no HTTP statuses; these follow RFC 6749 section 5.2 where it has one.
HTTP_STATUS: dict[str, int] = {
    "1001": 400,
    "1011": 401,
    "1021": 403,
    "1031": 400,
    "1041": 400,
    "1051": 401,
    "1061": 503,
    "1071": 500,
    "1081": 200,  # the batch was processed: the valid activities are applied
}


def seed_error(
    code: str,
    description: str,
    transaction_id: str = "",
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    assert code in SEED_ERRORS, code
    body: dict[str, Any] = {
        "error_code": code,
        "error": SEED_ERRORS[code],
        "error_description": description,
        "transaction_id": transaction_id,
        **extra,
    }
    return JSONResponse(
        body,
        status_code=status or HTTP_STATUS[code],
        headers={"cache-control": "no-store", **(headers or {})},
    )


def seed_success(body: dict[str, Any]) -> JSONResponse:
    """RFC 6749 5.1: token answers must not be cached; no partner answer should be."""
    return JSONResponse(body, headers={"cache-control": "no-store", "pragma": "no-cache"})


# The partner API's paths: errors there take the seed's shape, everywhere else google.rpc.Status's.
PARTNER_PATHS = frozenset({"/oauth/token", "/oauth/deactivate", "/api/activities", "/api/points"})
