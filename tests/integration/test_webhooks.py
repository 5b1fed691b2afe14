"""Webhooks over gRPC against a real receiver, on SQLite and PostgreSQL: registration (URL checks,
secret once, partner ownership), signed delivery the Standard Webhooks way, retries after 500s with
the same webhook-id, Retry-After, 410 disables, the delivery log, redelivery, replay of failures,
secret rotation (two signatures), and deletion."""

from __future__ import annotations

import asyncio
import time
import uuid

import grpc
import pytest

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc, subscription_pb2, subscription_pb2_grpc
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.webhooks.signing import verify
from tests.support import bearer, make_settings, service_token
from tests.webhook_receiver import Answer, running_receiver

pb = subscription_pb2
T = pb.EventType
FAST = {
    "webhook_allow_http": True,
    "webhook_allowed_networks": "127.0.0.0/8",
    "webhook_poll_interval_s": 0.1,
    "webhook_first_retry_s": 0.3,
    "webhook_timeout_s": 2.0,
    "webhook_lease_s": 5.0,
    "event_poll_interval_ms": 50,
}


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url, **FAST))
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


@pytest.fixture
def stub(channel) -> subscription_pb2_grpc.SubscriptionServiceStub:
    return subscription_pb2_grpc.SubscriptionServiceStub(channel)


@pytest.fixture
def ledger(channel) -> ledger_pb2_grpc.LedgerServiceStub:
    return ledger_pb2_grpc.LedgerServiceStub(channel)


@pytest.fixture
async def admin(server):
    return bearer(await service_token(server, Role.ADMIN))


@pytest.fixture
async def receiver():
    async with running_receiver() as receiver:
        yield receiver


def rid() -> str:
    return str(uuid.uuid4())


async def create_endpoint(stub, metadata, url: str, *types: int) -> pb.CreateWebhookEndpointResponse:
    request = pb.CreateWebhookEndpointRequest(
        webhook_endpoint=pb.WebhookEndpoint(url=url, event_types=list(types), description="test"),
        request_id=rid(),
    )
    return await stub.CreateWebhookEndpoint(request, metadata=metadata)


async def enroll(ledger, metadata, loyalty_id: str) -> common_pb2.Member:
    request = ledger_pb2.EnrollMemberRequest(
        member=common_pb2.Member(loyalty_id=loyalty_id), request_id=rid()
    )
    return (await ledger.EnrollMember(request, metadata=metadata)).member


async def wait_until(check, timeout_s: float = 10.0):
    """Poll `check()` (a database-backed read) until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached within {timeout_s} s")


async def test_a_signed_delivery_of_an_event(stub, ledger, admin, receiver) -> None:
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    secret = created.signing_secret
    assert secret.startswith("whsec_")
    member = await enroll(ledger, admin, "CARD-1")
    (got,) = await receiver.wait_for(1)
    verify(secret, got.headers, got.body, now_s=int(time.time()))
    envelope = got.envelope
    assert envelope["type"] == "member.enrolled"
    assert envelope["storeCode"] == "default"
    assert envelope["data"]["member"]["memberId"] == member.member_id
    assert envelope["data"]["member"]["loyaltyId"] == "CARD-1"
    assert got.message_id.startswith("msg_")
    # The delivery log shows it succeeded, with its attempt.
    endpoint_id = created.webhook_endpoint.endpoint_id

    async def succeeded():
        listed = await stub.ListWebhookDeliveries(
            pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id), metadata=admin
        )
        done = [d for d in listed.deliveries if d.status == pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED]
        return done[0] if done else None

    delivery = await wait_until(succeeded)
    assert delivery.message_id == got.message_id
    assert delivery.last_attempt.http_status_code == 204
    assert delivery.event_type == T.EVENT_TYPE_MEMBER_ENROLLED


async def test_retries_after_500s_keep_the_webhook_id_and_honour_retry_after(
    stub, ledger, admin, receiver
) -> None:
    receiver.script = [
        Answer(500, body=b"oops"),
        Answer(503, headers={"retry-after": "1"}),
        Answer(200),
    ]
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    await enroll(ledger, admin, "CARD-1")
    first, second, third = await receiver.wait_for(3, timeout_s=15)
    assert first.message_id == second.message_id == third.message_id
    for got in (first, second, third):
        verify(created.signing_secret, got.headers, got.body, now_s=int(time.time()))
    assert third.at_monotonic - second.at_monotonic >= 0.95, "Retry-After: 1 was honoured"
    endpoint_id = created.webhook_endpoint.endpoint_id
    listed = await stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id), metadata=admin
    )
    (delivery,) = listed.deliveries

    async def attempts_logged():
        full = await stub.GetWebhookDelivery(
            pb.GetWebhookDeliveryRequest(endpoint_id=endpoint_id, delivery_id=delivery.delivery_id),
            metadata=admin,
        )
        return full.delivery if len(full.delivery.attempts) == 3 else None

    full = await wait_until(attempts_logged)
    assert [a.http_status_code for a in full.attempts] == [500, 503, 200]
    assert full.attempts[0].response_snippet == "oops"
    assert full.attempts[1].retry_after_seconds == 1
    assert full.status == pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED
    assert [a.attempt_number for a in full.attempts] == [1, 2, 3]
