"""The hand-written part of the OpenAPI document: the partner API of the seed (Balance Rewards API
v1.1: form-encoded token endpoints, JSON activities and points, the member's authorize page) and
the operational endpoints. These have no proto of their own, so nothing can be generated for them.
"""

from __future__ import annotations

from typing import Any

from loyalty_gateway.openapi_schemas import Schema, ref
from loyalty_gateway.partner.answers import SEED_ERRORS

PARTNER_TAG = "Partner API"
OPERATIONS_TAG = "Operations"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

SEED_TIME_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"  # "YYYY-MM-DD HH:MM:SS"
SEED_DATE_PATTERN = "^[0-9]{4}[-_][0-9]{2}[-_][0-9]{2}$"  # the seed writes both YYYY-MM-DD and YYYY_MM_DD
DIGITS_PATTERN = "^[0-9]+$"
ACTIVITY_TYPES = (
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
)
CHANNELS = ("1", "5", "6")  # web app, mobile app, tablet app
ERROR_STATUSES = ("400", "401", "403", "429", "500", "503")
BODY_OR_HEADER = "The member's access token; without it, the `Authorization: Bearer` header's."
# The member's token in the body (the seed's way) or as a bearer header: either will do.
MEMBER_TOKEN_SECURITY: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]

TAGS = [
    {
        "name": PARTNER_TAG,
        "description": "The partner API of the Balance Rewards API v1.1, kept wire-compatible: OAuth "
        "authorization code flow with form-encoded token endpoints, activity batches and points totals. "
        "Errors take the seed's shape (`error_code`, `error`, `error_description`, `transaction_id`).",
    },
    {"name": OPERATIONS_TAG, "description": "Health and metrics, for load balancers and Prometheus."},
]


def _string(description: str, **extra: Any) -> Schema:
    return {"type": "string", "description": description, **extra}


def _object(properties: dict[str, Schema], required: tuple[str, ...] = (), *, closed: bool = True) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": not closed}
    if required:
        schema["required"] = list(required)
    return schema


def _transaction_id() -> Schema:
    return _string("The partner's id of this request, echoed in the answer.", maxLength=64)


def partner_schemas() -> dict[str, Schema]:
    return {
        "partner.Error": _object(
            {
                "error_code": _string("The seed's error code.", enum=list(SEED_ERRORS)),
                "error": _string("The name that goes with the code.", enum=list(SEED_ERRORS.values())),
                "error_description": _string("What was wrong, for a developer."),
                "transaction_id": _transaction_id(),
            },
            ("error_code", "error", "error_description", "transaction_id"),
            closed=False,
        ),
        "partner.TokenRequest": _object(
            {
                "grant_type": _string("", enum=["authorization_code", "refresh_token"]),
                "act": _string("The seed's action name.", enum=["getOAuthToken"]),
                "client_id": _string("The partner's client id (the seed's affiliate id)."),
                "client_secret": _string("The client secret (the seed's API key); not for public clients."),
                "code": _string("The authorization code (grant_type=authorization_code); valid 2 minutes."),
                "redirect_uri": _string("The redirect URI the code was issued for."),
                "channel": _string("1 web app, 5 mobile app, 6 tablet app.", enum=list(CHANNELS)),
                "transaction_id": _transaction_id(),
                "state": _string("Echoed."),
                "refresh_token": _string("The refresh token (grant_type=refresh_token)."),
                "code_verifier": _string("The PKCE verifier, when the code was requested with a challenge."),
                "scope": _string("refresh_token grants: narrow the scopes (space-separated)."),
            },
            ("grant_type", "act", "client_id"),
            closed=False,
        ),
        "partner.TokenResponse": _object(
            {
                "scope": _string("The granted scopes, space-separated."),
                "token_type": _string("", enum=["BEARER"]),
                "access_token_expires_in": _string(
                    "When the access token expires (UTC).", pattern=SEED_TIME_PATTERN
                ),
                "refresh_token_expires_in": _string(
                    "When the refresh token expires (UTC).", pattern=SEED_TIME_PATTERN
                ),
                "access_token": _string("The member's access token."),
                "refresh_token": _string("The member's refresh token."),
                "transaction_id": _transaction_id(),
            },
            ("scope", "token_type", "access_token_expires_in", "refresh_token_expires_in", "access_token"),
            closed=False,
        ),
        "partner.DeactivateRequest": _object(
            {
                "act": _string("The seed's action name.", enum=["deactivateToken"]),
                "client_id": _string("The partner's client id."),
                "client_secret": _string("The client secret; not for public clients."),
                "token": _string("An access or refresh token of the grant to deactivate."),
                "channel": _string("1 web app, 5 mobile app, 6 tablet app.", enum=list(CHANNELS)),
                "transaction_id": _transaction_id(),
            },
            ("act", "client_id", "token"),
            closed=False,
        ),
        "partner.DeactivateResponse": _object(
            {"status": _string("", enum=["success"]), "transaction_id": _transaction_id()},
            ("status", "transaction_id"),
        ),
        "partner.ActivityBatch": _object(
            {
                kind: {"type": "array", "items": ref("partner.ActivityEntry"), "description": description}
                for kind, description in (
                    ("creates", "Activities posted for the first time."),
                    ("updates", "New values for activities posted before (the same `id`)."),
                    ("deletes", "Activities posted before, to withdraw (the same `id`)."),
                )
            }
        ),
        "partner.ActivityEntry": _object(
            {
                "access_token": _string(BODY_OR_HEADER),
                "affiliate_id": _string("The partner's client id."),
                "transaction_id": _transaction_id(),
                "date": _string("The day the request is sent (informational).", pattern=SEED_DATE_PATTERN),
                "user_device_id": _string(
                    "The user's id in the partner's app, or a device UUID.", maxLength=128
                ),
                "manufacturer_name": _string("The partner's company name.", maxLength=20),
                "device_name": _string("The device name shown to the member.", maxLength=20),
                "data": {"type": "array", "items": ref("partner.Activity")},
            },
            ("data",),
        ),
        "partner.Activity": _object(
            {
                "id": _string("Unique per member and activity, for ever.", maxLength=128),
                "device_tracked": _string(
                    "Recorded by a device (true) or entered by hand.", enum=["true", "false"]
                ),
                "timestamp": _string(
                    "When it was done, in the member's time zone.", pattern=SEED_TIME_PATTERN
                ),
                "type": _string(
                    "The activity type; an unknown type fails that activity.", enum=list(ACTIVITY_TYPES)
                ),
                "value": _activity_value(),
            },
            ("id", "timestamp", "type", "value"),
        ),
        "partner.ActivitySuccess": _object(
            {"success_code": _string("", enum=["2000"]), "transaction_id": _transaction_id()},
            ("success_code", "transaction_id"),
        ),
        "partner.ActivityFailure": _object(
            {
                "error_code": _string("", enum=["1081"]),
                "error": _string("", enum=["process_activity_error"]),
                "error_description": _string("What was wrong, for a developer."),
                "transaction_id": _transaction_id(),
                "activities": {
                    "type": "array",
                    "description": "The activities that failed; the others were applied.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": _string("The activity's id, as posted."),
                            "operation": _string("", enum=["creates", "updates", "deletes"]),
                            "error": _string("Why, in lower case, e.g. out_of_range."),
                            "error_description": _string("What was wrong, for a developer."),
                            "transaction_id": _string("The entry's transaction_id."),
                        },
                        "required": ["id"],
                        "additionalProperties": True,
                    },
                },
            },
            ("error_code", "error", "activities"),
            closed=False,
        ),
        "partner.PointsRequest": _object(
            {
                "access_token": _string(BODY_OR_HEADER),
                "affiliate_id": _string("The partner's client id."),
                "act": _string("The seed's action name.", enum=["getBRPoints"]),
                "transaction_id": _transaction_id(),
            },
            ("act",),
        ),
        "partner.PointsResponse": _object(
            {
                "total_rewards_points": _string("The member's points balance.", pattern=DIGITS_PATTERN),
                "healthy_choice_points": _string(
                    "Points earned by healthy activities.", pattern=DIGITS_PATTERN
                ),
                "transaction_id": _transaction_id(),
            },
            ("total_rewards_points", "healthy_choice_points", "transaction_id"),
        ),
        "ops.Health": _object(
            {"status": _string("SERVING, or why not (NOT_SERVING, UNREACHABLE (...)).")}, ("status",)
        ),
    }


def _activity_value() -> Schema:
    """A number for total_steps, weight and blood_oxygen_ratio; an object for the other types."""
    number = {"type": "number", "minimum": 0}
    fields = {
        "duration": {**number, "description": "Seconds, 0-86400."},
        "distance": {**number, "description": "Miles, 0-1400."},
        "steps": {**number, "description": "0-100000."},
        "type": _string("general_exercise: the exercise's name."),
        "systolic": {**number, "description": "mmHg, 0-300."},
        "diastolic": {**number, "description": "mmHg, 0-300."},
        "value": {**number, "description": "blood_glucose: mg/dL, 0-1000."},
        "medicine_relation": _string("blood_glucose: Pre-Medicine or Post-Medicine."),
        "meal_relation": _string("blood_glucose: Pre or Post."),
        "meal": _string("blood_glucose: e.g. Breakfast."),
        "quality": _string("sleep: e.g. Good, Normal, Bad."),
    }
    return {
        "description": "By type; see the seed's table of activity values.",
        "anyOf": [number, {"type": "object", "properties": fields, "additionalProperties": True}],
    }


def _json_body(name: str) -> Schema:
    return {"required": True, "content": {JSON: {"schema": ref(name)}}}


def _form_body(name: str, note: str) -> Schema:
    return {"required": True, "description": note, "content": {FORM: {"schema": ref(name)}}}


def _answers(success: Schema) -> dict[str, Schema]:
    return {
        "200": success,
        **{status: {"$ref": "#/components/responses/PartnerError"} for status in ERROR_STATUSES},
    }


def _json_answer(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _operation(operation_id: str, tag: str, summary: str, description: str, **parts: Any) -> Schema:
    return {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
        "security": [],  # credentials, when any, are in the request itself
        **parts,
    }


def _member_operation(operation_id: str, summary: str, description: str, **parts: Any) -> Schema:
    return {
        **_operation(operation_id, PARTNER_TAG, summary, description, **parts),
        "security": MEMBER_TOKEN_SECURITY,
    }


def _query(name: str, description: str, **schema: Any) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


QUERY_TOO = "The parameters may also come in the query string, as the seed's examples show them."


def partner_paths() -> dict[str, Schema]:
    return {
        "/oauth/authorize": {
            "get": _operation(
                "Partner_Authorize",
                PARTNER_TAG,
                "The member's login page of the authorization code flow.",
                "Opened in a browser or web view. After login or registration the member is redirected "
                "to `redirect_uri` with `code`, `scope`, `transaction_id` and `state` (or `error_code`, "
                "`error`, `error_description`).",
                parameters=[
                    _query("client_id", "The partner's client id."),
                    _query("response_type", "", enum=["code"]),
                    _query("scope", "Space-separated scopes, e.g. steps."),
                    _query("redirect_uri", "One of the client's registered redirect URIs."),
                    _query("channel", "1 web app, 5 mobile app, 6 tablet app.", enum=list(CHANNELS)),
                    _query("transaction_id", "Echoed in the redirect."),
                    _query("state", "Echoed in the redirect."),
                    _query("code_challenge", "PKCE challenge (RFC 7636)."),
                    _query("code_challenge_method", "", enum=["S256"]),
                ],
                responses={
                    "200": {
                        "description": "The login page.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                    "303": {
                        "description": "Back to the partner: the redirect URI with the code, or the error.",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                    },
                    "400": {
                        "description": "No usable client or redirect URI: an error page, never a redirect.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                },
            )
        },
        "/oauth/token": {
            "post": _operation(
                "Partner_GetToken",
                PARTNER_TAG,
                "Exchanges an authorization code, or a refresh token, for the member's tokens.",
                "Access tokens last 30 days and refresh tokens 45 days. Answers are never cached.",
                requestBody=_form_body("partner.TokenRequest", QUERY_TOO),
                responses=_answers(_json_answer("The member's tokens.", ref("partner.TokenResponse"))),
            )
        },
        "/oauth/deactivate": {
            "post": _operation(
                "Partner_DeactivateToken",
                PARTNER_TAG,
                "Deactivates a member's access and refresh tokens (the whole grant).",
                "The member must authorize the partner again afterwards.",
                requestBody=_form_body("partner.DeactivateRequest", QUERY_TOO),
                responses=_answers(_json_answer("Deactivated.", ref("partner.DeactivateResponse"))),
            )
        },
        "/api/activities": {
            "post": _member_operation(
                "Partner_PostActivities",
                "Posts a batch of activity creates, updates and deletes.",
                "Points are awarded for activities done up to seven days before and at most one day "
                "after the request. When some activities fail, the answer is error 1081 "
                "(process_activity_error) with the failed activities; the others are applied.",
                requestBody=_json_body("partner.ActivityBatch"),
                responses=_answers(
                    _json_answer(
                        "Processed: every activity (2000), or all but those listed (1081).",
                        {"oneOf": [ref("partner.ActivitySuccess"), ref("partner.ActivityFailure")]},
                    )
                ),
            )
        },
        "/api/points": {
            "post": _member_operation(
                "Partner_GetPoints",
                "Reads the member's points totals.",
                "Both totals are strings of digits, as the seed has them.",
                requestBody=_json_body("partner.PointsRequest"),
                responses=_answers(_json_answer("The totals.", ref("partner.PointsResponse"))),
            )
        },
        "/healthz": {
            "get": _operation(
                "Ops_Health",
                OPERATIONS_TAG,
                "Whether the engine behind the gateway is serving.",
                "The gRPC server's own health check, passed through.",
                responses={
                    "200": _json_answer("Serving.", ref("ops.Health")),
                    "503": _json_answer("Not serving, or not reachable.", ref("ops.Health")),
                },
            )
        },
        "/metrics": {
            "get": _operation(
                "Ops_Metrics",
                OPERATIONS_TAG,
                "The gateway's metrics in the Prometheus text format.",
                "Requests by route, method and status, with durations.",
                responses={
                    "200": {
                        "description": "Metrics.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            )
        },
    }


def partner_responses() -> dict[str, Schema]:
    return {
        "PartnerError": {
            "description": "Refused: the seed's error object. 400 bad request, 401 bad client or token, "
            "403 access denied, 429 too many requests, 500 application error, 503 temporarily unavailable.",
            "content": {JSON: {"schema": ref("partner.Error")}},
        }
    }
