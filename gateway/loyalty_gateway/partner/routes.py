"""The partner API's four endpoints, each a translation to one RPC and back.

/oauth/token -> ExchangeToken, /oauth/deactivate -> RevokeToken, /api/activities ->
PostActivities, /api/points -> GetPointsTotals. Answers have the seed's exact fields; every
failure is the seed's error object with the request's transaction_id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loyalty.v1 import activity_pb2, auth_pb2
from loyalty_gateway.partner.activities import batch_request, first_access_token, first_transaction_id
from loyalty_gateway.partner.answers import seed_error, seed_success
from loyalty_gateway.partner.errors import failure_answer
from loyalty_gateway.partner.params import BadParameters, expect_act, read_json_object, read_params, required
from loyalty_gateway.rpc_errors import RpcFailure
from loyalty_gateway.upstream import Upstream, metadata_value_ok

_GRANT_TYPES = {
    "authorization_code": auth_pb2.GRANT_TYPE_AUTHORIZATION_CODE,
    "refresh_token": auth_pb2.GRANT_TYPE_REFRESH_TOKEN,
}
_CHANNELS = {"1": 1, "5": 5, "6": 6}
Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]


def partner_routes(upstream: Upstream) -> list[BaseRoute]:
    timeout_s = upstream.call_timeout_s

    async def token(request: Request, params: dict[str, str]) -> Response:
        expect_act(params, "getOAuthToken")
        required(params, "grant_type", "client_id")
        grant_type = _GRANT_TYPES.get(params["grant_type"])
        if grant_type is None:
            raise BadParameters("grant_type must be authorization_code or refresh_token")
        reply = await upstream.auth.ExchangeToken(
            auth_pb2.ExchangeTokenRequest(
                grant_type=grant_type,
                client_id=params["client_id"],
                client_secret=params.get("client_secret", ""),
                code=params.get("code", ""),
                redirect_uri=params.get("redirect_uri", ""),
                code_verifier=params.get("code_verifier", ""),
                refresh_token=params.get("refresh_token", ""),
                scope=params.get("scope", ""),
                channel=_channel(params),  # type: ignore[arg-type]
                transaction_id=params.get("transaction_id", ""),
                state=params.get("state", ""),
            ),
            timeout=timeout_s,
        )
        return seed_success(
            {
                "scope": reply.scope,
                "token_type": reply.token_type,
                "access_token_expires_in": reply.access_token_expires_in,
                "refresh_token_expires_in": reply.refresh_token_expires_in,
                "access_token": reply.access_token,
                "refresh_token": reply.refresh_token,
                "transaction_id": reply.transaction_id,
            }
        )

    async def deactivate(request: Request, params: dict[str, str]) -> Response:
        expect_act(params, "deactivateToken")
        required(params, "client_id", "token")
        reply = await upstream.auth.RevokeToken(
            auth_pb2.RevokeTokenRequest(
                client_id=params["client_id"],
                client_secret=params.get("client_secret", ""),
                token=params["token"],
                channel=_channel(params),  # type: ignore[arg-type]
                transaction_id=params.get("transaction_id", ""),
            ),
            timeout=timeout_s,
        )
        return seed_success({"status": reply.status, "transaction_id": reply.transaction_id})

    async def activities(request: Request, params: dict[str, str]) -> Response:
        document = read_json_object(await request.body())
        params.setdefault("transaction_id", first_transaction_id(document))  # for a 1001 answer
        batch = batch_request(document)
        access_token = first_access_token(batch) or _bearer(request)
        if not access_token:
            raise BadParameters("missing parameter: access_token")
        reply = await upstream.activity.PostActivities(
            batch, metadata=_authorization(access_token), timeout=timeout_s
        )
        if reply.failed_activities:
            return seed_error(
                "1081",
                f"{len(reply.failed_activities)} of {len(reply.results)} activities failed",
                reply.transaction_id,
                activities=[_failed(failed) for failed in reply.failed_activities],
            )
        return seed_success({"success_code": "2000", "transaction_id": reply.transaction_id})

    async def points(request: Request, params: dict[str, str]) -> Response:
        expect_act(params, "getBRPoints")
        access_token = params.get("access_token") or _bearer(request)
        if not access_token:
            raise BadParameters("missing parameter: access_token")
        reply = await upstream.activity.GetPointsTotals(
            activity_pb2.GetPointsTotalsRequest(
                affiliate_id=params.get("affiliate_id", ""), transaction_id=params.get("transaction_id", "")
            ),
            metadata=_authorization(access_token),
            timeout=timeout_s,
        )
        return seed_success(
            {
                "total_rewards_points": str(reply.total_rewards_points),
                "healthy_choice_points": str(reply.healthy_choice_points),
                "transaction_id": reply.transaction_id,
            }
        )

    return [
        Route("/oauth/token", _endpoint(token), methods=["POST"]),
        Route("/oauth/deactivate", _endpoint(deactivate), methods=["POST"]),
        Route("/api/activities", _endpoint(activities, reads_params=False), methods=["POST"]),
        Route("/api/points", _endpoint(points), methods=["POST"]),
    ]


def _endpoint(handler: Handler, *, reads_params: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Bad parameters are 1001 and gRPC failures their seed code; both echo the transaction_id."""

    async def endpoint(request: Request) -> Response:
        # Until the parameters are read, a failure echoes the query string's transaction_id.
        params: dict[str, str] = {"transaction_id": request.query_params.get("transaction_id", "")[:64]}
        try:
            params = await read_params(request) if reads_params else dict(request.query_params)
            return await handler(request, params)
        except BadParameters as exc:
            return seed_error("1001", str(exc), params.get("transaction_id", ""))
        except UnusableToken as exc:
            return seed_error("1051", str(exc), params.get("transaction_id", ""))
        except grpc.aio.AioRpcError as exc:
            return failure_answer(RpcFailure.of(exc), params.get("transaction_id", ""))

    return endpoint


def _channel(params: dict[str, str]) -> int:
    """The seed's channel (1 web, 5 mobile, 6 tablet); anything else is the server's 1001."""
    text = params.get("channel", "")
    if text and text not in _CHANNELS:
        raise BadParameters("channel must be 1, 5 or 6")
    return _CHANNELS.get(text, 0)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class UnusableToken(ValueError):
    """A token no server could have issued (gRPC metadata is printable ASCII): 1051 at once."""


def _authorization(access_token: str) -> tuple[tuple[str, str], ...]:
    if not metadata_value_ok(access_token):
        raise UnusableToken("invalid access token: not one this server issued")
    return (("authorization", f"Bearer {access_token}"),)


def _failed(failed: activity_pb2.FailedActivity) -> dict[str, str]:
    """One failed activity of a 1081 answer: its id, and why, in the seed's lower-case style."""
    reason = activity_pb2.ActivityErrorReason.Name(failed.reason).removeprefix("ACTIVITY_ERROR_REASON_")
    operation = activity_pb2.ActivityOperation.Name(failed.operation).removeprefix("ACTIVITY_OPERATION_")
    return {
        "id": failed.id,
        "operation": {"CREATE": "creates", "UPDATE": "updates", "DELETE": "deletes"}.get(operation, ""),
        "error": reason.lower(),
        "error_description": failed.message,
        "transaction_id": failed.transaction_id,
    }
