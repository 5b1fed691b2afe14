"""Two programs in one engine, through the gateway: the same e-mail in both, different points for the
same activity under each program's rules, and no token of one tenant reaching the other's data over
REST, the partner API or an event stream."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from loyalty.v1 import auth_pb2, auth_pb2_grpc
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.principal import Role
from loyalty_server.tenancy import create_tenant
from tests.gateway_support import REDIRECT_URI, GatewayStack, running_gateway
from tests.support import service_token

PASSWORD = "correct horse battery staple"


def _double_steps_program() -> str:
    """The demo program, but steps earn 40 points a mile instead of 20."""
    text = DEMO_PROGRAM.read_text()
    head, steps_rule = text.split('id = "steps"', 1)
    assert "points_per_unit = 20" in steps_rule
    return head + 'id = "steps"' + steps_rule.replace("points_per_unit = 20", "points_per_unit = 40", 1)


async def _partner_token(stack: GatewayStack, client_id: str, secret: str, email: str) -> str:
    upstream = stack.gateway.upstream
    session = await upstream.as_internal(
        upstream.auth.RegisterMember,
        auth_pb2.RegisterMemberRequest(
            email=email, password=PASSWORD, client_id=client_id, request_id=uuid.uuid4().hex
        ),
    )
    parameters = auth_pb2.AuthorizationParameters(
        client_id=client_id, response_type="code", scope="steps", redirect_uri=REDIRECT_URI, channel=1
    )
    code = await upstream.as_internal(
        upstream.auth.IssueAuthorizationCode,
        auth_pb2.IssueAuthorizationCodeRequest(
            parameters=parameters, member_session_token=session.member_session_token
        ),
    )
    answer = await stack.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "act": "getOAuthToken",
            "client_id": client_id,
            "client_secret": secret,
            "code": code.code,
            "redirect_uri": REDIRECT_URI,
            "channel": "1",
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


async def _post_steps(stack: GatewayStack, client_id: str, token: str, steps: int) -> dict:
    now = dt.datetime.now()
    batch = {
        "creates": [
            {
                "access_token": token,
                "affiliate_id": client_id,
                "transaction_id": "1234567890123456",
                "date": now.strftime("%Y-%m-%d"),
                "data": [
                    {
                        "id": "walk-1",  # the same activity id in both tenants
                        "device_tracked": "true",
                        "timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
                        "type": "total_steps",
                        "value": steps,
                    }
                ],
            }
        ]
    }
    return (await stack.http.post("/api/activities", json=batch)).json()


async def _points(stack: GatewayStack, client_id: str, token: str) -> dict:
    body = {"access_token": token, "affiliate_id": client_id, "act": "getBRPoints"}
    return (await stack.http.post("/api/points", json=body)).json()


async def _stream_tenants(stack: GatewayStack, headers: dict[str, str], count: int) -> set[str]:
    """The tenant codes of the first `count` events a stream from the start shows."""
    codes: set[str] = set()
    params = {"afterSequence": "0"}
    async with stack.http.stream("GET", "/v1/events:stream", params=params, headers=headers) as response:
        assert response.status_code == 200
        seen = 0
        async for line in response.aiter_lines():
            if line.startswith("data: ") and '"tenantCode"' in line:
                codes.add(json.loads(line[6:])["tenantCode"])
                seen += 1
                if seen == count:
                    break
    return codes


async def test_two_programs_stay_apart_through_the_gateway(tmp_path, database_url) -> None:
    async with running_gateway(tmp_path, database_url) as stack:
        app = stack.server.app
        assert app is not None
        germany = await create_tenant(app.engine, app.clock, "Germany", "Germany", _double_steps_program())
        await app.programs.refresh(app.engine)
        home = {"authorization": f"Bearer {await service_token(stack.server, Role.ADMIN)}"}
        away = {
            "authorization": f"Bearer {await service_token(stack.server, Role.ADMIN, tenant_id=germany.id)}"
        }

        # The same e-mail enrolls in both programs: two members.
        members = []
        for headers in (home, away):
            answer = await stack.http.post(
                "/v1/members",
                json={"member": {"email": "ann@example.com"}, "requestId": "enroll-ann"},  # same key too
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            members.append(answer.json()["member"])
        assert members[0]["memberId"] != members[1]["memberId"]
        assert [m["tenantCode"] for m in members] == ["default", "Germany"]

        # The same order id in both programs: two purchases, each read back in its own tenant only.
        tills = []
        for tenant_id in (app.default_tenant.id, germany.id):
            till = await service_token(stack.server, Role.POS, tenant_id=tenant_id)
            tills.append({"authorization": f"Bearer {till}"})
        for headers, member in ((tills[0], members[0]), (tills[1], members[1])):
            purchase = {
                "requestId": "order-1001",
                "orderId": "1001",
                "member": {"memberId": member["memberId"]},
                "currencyCode": "USD",
                "items": [{"sku": "SKU-1", "quantity": "1", "amountMinor": "1000"}],
                "purchaseTime": dt.datetime.now(dt.UTC).isoformat(),
            }
            answer = await stack.http.post("/v1/purchases", json=purchase, headers=headers)
            assert answer.status_code == 200, answer.text
        for headers, member in ((tills[0], members[0]), (tills[1], members[1])):
            answer = await stack.http.get("/v1/purchases/1001", headers=headers)
            assert answer.json()["purchase"]["memberId"] == member["memberId"]

        # Neither admin reaches the other's member, nor may name the other tenant.
        for headers, member in ((home, members[1]), (away, members[0])):
            answer = await stack.http.get(f"/v1/members/{member['memberId']}", headers=headers)
            assert answer.status_code == 404
        answer = await stack.http.get(
            f"/v1/members/{members[1]['memberId']}", headers={**home, "x-loyalty-tenant": "Germany"}
        )
        assert (answer.status_code, answer.json()["details"][0]["reason"]) == (403, "TENANT_NOT_ALLOWED")

        # A partner in each program; the same activity earns under each program's own rule.
        home_client, home_secret = await stack.partner_client()
        away_client, away_secret = await _partner_client_in(stack, germany.id)
        home_token = await _partner_token(stack, home_client, home_secret, "zoe@example.com")
        away_token = await _partner_token(stack, away_client, away_secret, "zoe@example.com")
        for client, token in ((home_client, home_token), (away_client, away_token)):
            assert (await _post_steps(stack, client, token, 4000))["success_code"] == "2000"
        assert (await _points(stack, home_client, home_token))["healthy_choice_points"] == "40"
        assert (await _points(stack, away_client, away_token))["healthy_choice_points"] == "80"

        # One tenant's partner token is nothing to the other's client.
        crossed = await _points(stack, away_client, home_token)
        assert crossed["error_code"] == "1011"

        # Each admin's stream shows its own tenant's events only.
        assert await _stream_tenants(stack, home, 3) == {"default"}
        assert await _stream_tenants(stack, away, 3) == {"Germany"}


async def _partner_client_in(stack: GatewayStack, tenant_id: int) -> tuple[str, str]:
    """A partner client of another tenant, registered by that tenant's admin over gRPC."""
    admin = (
        ("authorization", f"Bearer {await service_token(stack.server, Role.ADMIN, tenant_id=tenant_id)}"),
    )
    reply = await auth_pb2_grpc.AuthServiceStub(stack.channel).CreatePartnerClient(
        auth_pb2.CreatePartnerClientRequest(
            partner_client=auth_pb2.PartnerClient(
                name="Schrittzähler",
                client_type=auth_pb2.CLIENT_TYPE_CONFIDENTIAL,
                redirect_uris=[REDIRECT_URI],
                scopes=["steps", "points:read"],
            ),
            request_id=uuid.uuid4().hex,
        ),
        metadata=admin,
    )
    return reply.partner_client.client_id, reply.client_secret


pytestmark = pytest.mark.timeout(120)
