"""Webhooks over gRPC against a real receiver, on SQLite and PostgreSQL: registration (URL checks,
secret once, partner ownership), signed delivery the Standard Webhooks way, retries after 500s with
the same webhook-id, Retry-After, the retry window, 410 and failing for long disable (and tell the
tenant), the delivery log with its filters, redelivery, replay of failures, secret rotation (two
signatures), updates (etag, mask, pausing), deletion, who sees what (partners, other tenants), and
stopping the server while the worker waits on the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import func, select, text

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc, subscription_pb2, subscription_pb2_grpc
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.events.feed import latest_sequence
from loyalty_server.events.tables import outbox_cursors
from loyalty_server.ledger.operations import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine
from loyalty_server.tenancy import create_tenant
from loyalty_server.webhooks import relay
from loyalty_server.webhooks.relay import relay_round
from loyalty_server.webhooks.relay_cursor import RELAY_CURSOR
from loyalty_server.webhooks.signing import SignatureError, verify
from loyalty_server.webhooks.tables import webhook_attempts, webhook_deliveries, webhook_secrets
from tests.integration.test_auth_flow import Flow, fails
from tests.support import bearer, make_settings, service_token
from tests.webhook_receiver import Answer, Received, running_receiver

pb = subscription_pb2
T = pb.EventType
PENDING = pb.WEBHOOK_DELIVERY_STATUS_PENDING
SUCCEEDED = pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED
FAILED = pb.WEBHOOK_DELIVERY_STATUS_FAILED
AUTOMATIC = pb.WEBHOOK_ATTEMPT_TRIGGER_AUTOMATIC
MANUAL = pb.WEBHOOK_ATTEMPT_TRIGGER_MANUAL
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
FAST = {
    "webhook_allow_http": True,
    "webhook_allowed_networks": "127.0.0.0/8",
    "webhook_poll_interval_s": 0.1,
    "webhook_first_retry_s": 0.3,
    "webhook_timeout_s": 2.0,
    "webhook_lease_s": 5.0,
    "event_poll_interval_ms": 50,
}


def with_settings(**changes: object):
    """Run a test on a server with these settings on top of FAST (overrides the `changes` fixture)."""
    label = ",".join(f"{name}={value}" for name, value in changes.items())
    return pytest.mark.parametrize("changes", [changes], ids=[label])


@pytest.fixture
def changes() -> dict[str, object]:
    return {}


@pytest.fixture
async def server(tmp_path, database_url, changes):
    server = LoyaltyServer(make_settings(tmp_path, database_url, **(FAST | changes)))
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


async def earn(server: LoyaltyServer, member_id: str, points: int) -> None:
    """Credit points straight through the ledger (a points.earned event) in the default tenant."""
    entry = Entry(origin_type="adjustment", origin_id=rid(), reason_code="TEST", request_id=rid())
    await server.app.ledger.earn(  # type: ignore[union-attr]
        server.app.default_tenant.id,  # type: ignore[union-attr]
        member_id,
        currency="permanent",
        points=points,
        source_id="bonus",
        entry=entry,
    )


async def wait_until(check, timeout_s: float = 10.0):
    """Poll `check()` (a database-backed read) until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached within {timeout_s} s")


async def relayed(server: LoyaltyServer) -> None:
    """Wait until the relay has turned every event written so far into deliveries (it moves its
    cursor in the same transaction): after this, an endpoint without a delivery never gets one."""
    engine = server.app.engine  # type: ignore[union-attr]
    async with engine.connect() as connection:
        target = await latest_sequence(connection)

    async def caught_up() -> bool:
        async with engine.connect() as connection:
            cursor = await connection.execute(
                select(outbox_cursors.c.sequence).where(outbox_cursors.c.name == RELAY_CURSOR)
            )
            return cursor.scalar_one() >= target

    await wait_until(caught_up)


async def get_endpoint(stub, metadata, endpoint_id: str) -> pb.WebhookEndpoint:
    request = pb.GetWebhookEndpointRequest(endpoint_id=endpoint_id)
    return (await stub.GetWebhookEndpoint(request, metadata=metadata)).webhook_endpoint


async def update_endpoint(
    stub, metadata, endpoint_id: str, paths: list[str], *, etag: str = "", **fields: object
) -> pb.WebhookEndpoint:
    request = pb.UpdateWebhookEndpointRequest(
        webhook_endpoint=pb.WebhookEndpoint(endpoint_id=endpoint_id, etag=etag, **fields),  # type: ignore[arg-type]
        update_mask=field_mask_pb2.FieldMask(paths=paths),
        request_id=rid(),
    )
    return (await stub.UpdateWebhookEndpoint(request, metadata=metadata)).webhook_endpoint


async def set_enabled(stub, metadata, endpoint_id: str, enabled: bool) -> pb.WebhookEndpoint:
    return await update_endpoint(stub, metadata, endpoint_id, ["enabled"], enabled=enabled)


async def deliveries_of(stub, metadata, endpoint_id: str, **filters: object) -> list[pb.WebhookDelivery]:
    """An endpoint's deliveries, newest first (one page of up to 1000)."""
    request = pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id, page_size=1000, **filters)  # type: ignore[arg-type]
    return list((await stub.ListWebhookDeliveries(request, metadata=metadata)).deliveries)


async def get_delivery(stub, metadata, endpoint_id: str, delivery_id: str) -> pb.WebhookDelivery:
    request = pb.GetWebhookDeliveryRequest(endpoint_id=endpoint_id, delivery_id=delivery_id)
    return (await stub.GetWebhookDelivery(request, metadata=metadata)).delivery


async def settled(stub, metadata, endpoint_id: str, count: int) -> list[pb.WebhookDelivery]:
    """Wait until the endpoint has `count` deliveries and none is pending; newest first."""

    async def done() -> list[pb.WebhookDelivery] | None:
        listed = await deliveries_of(stub, metadata, endpoint_id)
        if len(listed) == count and all(d.status != PENDING for d in listed):
            return listed
        return None

    return await wait_until(done)


async def disabled(stub, metadata, endpoint_id: str) -> pb.WebhookEndpoint:
    async def check() -> pb.WebhookEndpoint | None:
        endpoint = await get_endpoint(stub, metadata, endpoint_id)
        return None if endpoint.enabled else endpoint

    return await wait_until(check)


def loyalty_id_of(got: Received) -> str:
    return str(got.envelope["data"]["member"]["loyaltyId"])


def member_id_of(got: Received) -> str:
    return str(got.envelope["data"].get("member", {}).get("memberId", ""))


def verified(secret: str, got: Received) -> None:
    verify(secret, got.headers, got.body, now_s=int(time.time()))


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


async def test_with_no_endpoint_the_relay_moves_past_events_and_a_new_endpoint_gets_only_later_ones(
    server, stub, ledger, admin, receiver
) -> None:
    await enroll(ledger, admin, "CARD-1")
    await relayed(server)  # no endpoint: the cursor moves to the latest event, nothing is created
    async with server.app.engine.connect() as connection:  # type: ignore[union-attr]
        count = select(func.count()).select_from(webhook_deliveries)
        assert (await connection.execute(count)).scalar_one() == 0
    await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    await enroll(ledger, admin, "CARD-2")
    (got,) = await receiver.wait_for(1)
    assert loyalty_id_of(got) == "CARD-2"
    await relayed(server)
    assert len(receiver.received) == 1


async def test_with_no_endpoint_enabled_a_relay_round_reads_no_event(
    server, stub, ledger, admin, receiver, monkeypatch
) -> None:
    await server.app.webhooks.worker.stop()  # type: ignore[union-attr]  # only this test relays
    engine, clock = server.app.engine, server.app.clock  # type: ignore[union-attr]
    await enroll(ledger, admin, "CARD-1")
    await enroll(ledger, admin, "CARD-2")
    assert await relay_round(engine, clock) == (0, 0), "moved past, none read"
    async with engine.connect() as connection:
        latest = await latest_sequence(connection)
        cursor = select(outbox_cursors.c.sequence).where(outbox_cursors.c.name == RELAY_CURSOR)
        assert (await connection.execute(cursor)).scalar_one() == latest > 0
    # Caught up, a round writes nothing (it runs every second on an idle server).
    moves: list[int] = []
    real_move = relay.move_relay_cursor

    async def counted_move(connection, sequence: int) -> None:
        moves.append(sequence)
        await real_move(connection, sequence)

    monkeypatch.setattr(relay, "move_relay_cursor", counted_move)
    assert await relay_round(engine, clock) == (0, 0)
    assert moves == []
    # With an endpoint enabled, the relay reads again: the next event, and only it.
    await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    await enroll(ledger, admin, "CARD-3")
    assert await relay_round(engine, clock) == (1, 1)


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


# --- disabling ------------------------------------------------------------------------------------


async def test_a_410_disables_the_endpoint_at_once_and_tells_the_tenants_other_endpoints(
    server, stub, ledger, admin, receiver
) -> None:
    receiver.script = [Answer(410, body=b"gone for good")]
    url = receiver.url + "?token=receiver-secret"  # the disabled event names the origin only
    gone_id = (
        await create_endpoint(stub, admin, url, T.EVENT_TYPE_MEMBER_ENROLLED)
    ).webhook_endpoint.endpoint_id
    async with running_receiver() as watcher:
        watching = await create_endpoint(stub, admin, watcher.url)  # every type
        await enroll(ledger, admin, "CARD-1")
        (got,) = await receiver.wait_for(1)
        assert loyalty_id_of(got) == "CARD-1"
        notice = await watcher.wait_for_match(lambda r: r.type == "webhook_endpoint.disabled")
        verified(watching.signing_secret, notice)
        assert notice.envelope["data"]["webhookEndpointDisabled"] == {
            "endpointId": gone_id,
            "url": f"http://127.0.0.1:{receiver.port}",
            "reason": "WEBHOOK_DISABLED_REASON_GONE",
        }
        assert notice.envelope["storeCode"] == "default"
        # The event is written with the change: the endpoint is disabled by now.
        endpoint = await get_endpoint(stub, admin, gone_id)
        assert not endpoint.enabled
        assert endpoint.disabled_reason == pb.WEBHOOK_DISABLED_REASON_GONE
        assert endpoint.HasField("disable_time")
        (delivery,) = await settled(stub, admin, gone_id, 1)
        assert delivery.status == FAILED
        assert delivery.attempt_count == 1
        assert delivery.last_attempt.http_status_code == 410
        assert delivery.last_attempt.response_snippet == "gone for good"
        assert delivery.HasField("complete_time")
        assert not delivery.HasField("next_attempt_time")
        listed = await stub.ListEvents(
            pb.ListEventsRequest(event_types=[T.EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED]), metadata=admin
        )
        (event,) = listed.events
        assert event.type_name == "webhook_endpoint.disabled"
        assert event.webhook_endpoint_disabled.endpoint_id == gone_id
        assert event.webhook_endpoint_disabled.reason == pb.WEBHOOK_DISABLED_REASON_GONE
        assert event.webhook_endpoint_disabled.url == f"http://127.0.0.1:{receiver.port}"
        assert not event.member.member_id, "the event is about no member"
        # Later events do not reach the disabled endpoint; the other one still gets them.
        await enroll(ledger, admin, "CARD-2")
        await watcher.wait_for_match(lambda r: r.type == "member.enrolled" and loyalty_id_of(r) == "CARD-2")
        await relayed(server)
        assert [d.delivery_id for d in await deliveries_of(stub, admin, gone_id)] == [delivery.delivery_id]
        assert len(receiver.received) == 1


@with_settings(webhook_disable_after_s=1, webhook_concurrency=1)
async def test_an_endpoint_failing_for_longer_than_the_limit_is_disabled_and_its_pending_deliveries_fail(
    server, stub, ledger, admin, receiver
) -> None:
    receiver.default = Answer(500)
    endpoint_id = (
        await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    ).webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    await enroll(ledger, admin, "CARD-2")

    async def failing() -> pb.WebhookEndpoint | None:
        endpoint = await get_endpoint(stub, admin, endpoint_id)
        return endpoint if endpoint.HasField("failing_since_time") else None

    assert (await wait_until(failing)).enabled, "failing, not yet for long"
    endpoint = await disabled(stub, admin, endpoint_id)
    assert endpoint.disabled_reason == pb.WEBHOOK_DISABLED_REASON_FAILING
    failing_for = endpoint.disable_time.ToDatetime(dt.UTC) - endpoint.failing_since_time.ToDatetime(dt.UTC)
    assert failing_for >= dt.timedelta(seconds=1)
    deliveries = await settled(stub, admin, endpoint_id, 2)
    assert [d.status for d in deliveries] == [FAILED, FAILED]
    assert all(d.HasField("complete_time") and not d.HasField("next_attempt_time") for d in deliveries)
    assert {d.last_attempt.http_status_code for d in deliveries} == {500}
    listed = await stub.ListEvents(
        pb.ListEventsRequest(event_types=[T.EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED]), metadata=admin
    )
    (event,) = listed.events
    assert event.webhook_endpoint_disabled.endpoint_id == endpoint_id
    assert event.webhook_endpoint_disabled.reason == pb.WEBHOOK_DISABLED_REASON_FAILING
    # Nothing is attempted any more.
    attempts_then = sum(d.attempt_count for d in deliveries)
    await enroll(ledger, admin, "CARD-3")
    await relayed(server)
    assert sum(d.attempt_count for d in await deliveries_of(stub, admin, endpoint_id)) == attempts_then
    assert len(receiver.received) == attempts_then


async def test_an_attempt_in_flight_when_its_endpoint_is_disabled_ends_failed(
    server, stub, ledger, admin, receiver
) -> None:
    # Two attempts in flight at once: the first answer (410) disables the endpoint, which fails its
    # pending deliveries; the other attempt's 500 comes after that.
    first_answer, second_answer = asyncio.Event(), asyncio.Event()
    receiver.script = [Answer(410, hold=first_answer), Answer(500, hold=second_answer)]
    endpoint_id = (
        await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    ).webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    await enroll(ledger, admin, "CARD-2")
    _, second = await receiver.wait_for(2)
    first_answer.set()
    assert (await disabled(stub, admin, endpoint_id)).disabled_reason == pb.WEBHOOK_DISABLED_REASON_GONE
    second_answer.set()

    async def second_recorded() -> pb.WebhookDelivery | None:
        listed = await deliveries_of(stub, admin, endpoint_id)
        late = [d for d in listed if d.message_id == second.message_id and d.attempt_count == 1]
        return late[0] if late else None

    late = await wait_until(second_recorded)
    assert late.last_attempt.http_status_code == 500
    assert late.status == FAILED, "disabling failed it; the late answer must not make it pending again"


# --- retries --------------------------------------------------------------------------------------


@with_settings(webhook_retry_window_s=2)
async def test_a_delivery_failing_past_its_retry_window_is_given_up(
    server, stub, ledger, admin, receiver
) -> None:
    receiver.default = Answer(500)
    endpoint_id = (
        await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    ).webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    (listed,) = await settled(stub, admin, endpoint_id, 1)
    assert listed.status == FAILED
    assert listed.attempt_count >= 2
    assert listed.HasField("complete_time")
    assert not listed.HasField("next_attempt_time")
    delivery = await get_delivery(stub, admin, endpoint_id, listed.delivery_id)
    assert [a.http_status_code for a in delivery.attempts] == [500] * delivery.attempt_count
    assert {a.trigger for a in delivery.attempts} == {AUTOMATIC}
    first, last = delivery.attempts[0].start_time.ToDatetime(), delivery.attempts[-1].start_time.ToDatetime()
    assert last - first <= dt.timedelta(seconds=2), "no attempt after the window"
    assert {got.message_id for got in receiver.received} == {delivery.message_id}
    assert len(receiver.received) == delivery.attempt_count
    # Giving up one delivery is not disabling the endpoint (that takes webhook_disable_after_s).
    endpoint = await get_endpoint(stub, admin, endpoint_id)
    assert endpoint.enabled
    assert endpoint.HasField("failing_since_time")


# --- redelivery and replay ------------------------------------------------------------------------


async def test_redelivering_sends_the_same_webhook_id_again_once_per_request_id(
    server, stub, ledger, admin, receiver
) -> None:
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    endpoint_id = created.webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    (first,) = await receiver.wait_for(1)
    (delivery,) = await settled(stub, admin, endpoint_id, 1)
    assert delivery.status == SUCCEEDED
    request = pb.RedeliverWebhookDeliveryRequest(
        endpoint_id=endpoint_id, delivery_id=delivery.delivery_id, request_id=rid()
    )
    queued = (await stub.RedeliverWebhookDelivery(request, metadata=admin)).delivery
    assert (queued.delivery_id, queued.message_id) == (delivery.delivery_id, delivery.message_id)
    assert queued.status == PENDING
    assert queued.HasField("next_attempt_time")
    _, again = await receiver.wait_for(2)
    assert again.message_id == first.message_id
    assert again.body == first.body
    verified(created.signing_secret, again)

    async def two_attempts() -> pb.WebhookDelivery | None:
        full = await get_delivery(stub, admin, endpoint_id, delivery.delivery_id)
        return full if full.attempt_count == 2 and full.status != PENDING else None

    full = await wait_until(two_attempts)
    assert full.status == SUCCEEDED
    assert [(a.attempt_number, a.trigger) for a in full.attempts] == [(1, AUTOMATIC), (2, MANUAL)]
    assert full.last_attempt.trigger == MANUAL
    # The same request_id again: the answer of the first call, nothing queued.
    replayed = (await stub.RedeliverWebhookDelivery(request, metadata=admin)).delivery
    assert replayed.status == SUCCEEDED
    assert replayed.attempt_count == 2
    await enroll(ledger, admin, "CARD-2")
    later = await receiver.wait_for_match(lambda r: loyalty_id_of(r) == "CARD-2")
    await settled(stub, admin, endpoint_id, 2)
    assert [got.message_id for got in receiver.received] == [first.message_id] * 2 + [later.message_id]
    assert (await get_delivery(stub, admin, endpoint_id, delivery.delivery_id)).attempt_count == 2
    # Unknown ids.
    await fails(
        stub.RedeliverWebhookDelivery(
            pb.RedeliverWebhookDeliveryRequest(
                endpoint_id=endpoint_id, delivery_id="whd_nope", request_id=rid()
            ),
            metadata=admin,
        ),
        NOT_FOUND,
        "WEBHOOK_DELIVERY_NOT_FOUND",
    )
    await fails(
        stub.GetWebhookDelivery(
            pb.GetWebhookDeliveryRequest(endpoint_id=endpoint_id, delivery_id="whd_nope"), metadata=admin
        ),
        NOT_FOUND,
        "WEBHOOK_DELIVERY_NOT_FOUND",
    )
    await fails(
        stub.RedeliverWebhookDelivery(
            pb.RedeliverWebhookDeliveryRequest(
                endpoint_id="we_nope", delivery_id=delivery.delivery_id, request_id=rid()
            ),
            metadata=admin,
        ),
        NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    )
    # A disabled endpoint is not delivered to, not even by hand.
    await set_enabled(stub, admin, endpoint_id, False)
    info = await fails(
        stub.RedeliverWebhookDelivery(
            pb.RedeliverWebhookDeliveryRequest(
                endpoint_id=endpoint_id, delivery_id=delivery.delivery_id, request_id=rid()
            ),
            metadata=admin,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "ENDPOINT_DISABLED",
    )
    assert info.metadata["endpoint_id"] == endpoint_id
    assert (await get_delivery(stub, admin, endpoint_id, delivery.delivery_id)).status == SUCCEEDED


@with_settings(webhook_concurrency=1)
async def test_replaying_failed_deliveries_sends_them_again_oldest_first_with_their_webhook_ids(
    server, stub, ledger, admin, receiver
) -> None:
    # One attempt at a time: while the first is held, the next two wait as pending deliveries, and
    # the 410 that disables the endpoint fails them.
    gate = asyncio.Event()
    receiver.script = [Answer(410, hold=gate)]
    endpoint_id = (
        await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    ).webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    await receiver.wait_for(1)
    await enroll(ledger, admin, "CARD-2")
    await enroll(ledger, admin, "CARD-3")

    async def three() -> list[pb.WebhookDelivery] | None:
        listed = await deliveries_of(stub, admin, endpoint_id)
        return listed if len(listed) == 3 else None

    assert [d.status for d in await wait_until(three)] == [PENDING] * 3
    gate.set()
    await disabled(stub, admin, endpoint_id)
    failed = await settled(stub, admin, endpoint_id, 3)
    assert [d.status for d in failed] == [FAILED] * 3
    assert [d.attempt_count for d in failed] == [0, 0, 1]  # newest first
    oldest_first = failed[::-1]
    replay = pb.ReplayFailedWebhookDeliveriesRequest(endpoint_id=endpoint_id, request_id=rid())
    await fails(
        stub.ReplayFailedWebhookDeliveries(replay, metadata=admin),
        grpc.StatusCode.FAILED_PRECONDITION,
        "ENDPOINT_DISABLED",
    )
    enabled = await set_enabled(stub, admin, endpoint_id, True)
    assert enabled.enabled
    assert enabled.disabled_reason == pb.WEBHOOK_DISABLED_REASON_UNSPECIFIED
    assert not enabled.HasField("disable_time")
    assert [d.status for d in await deliveries_of(stub, admin, endpoint_id)] == [FAILED] * 3, (
        "enabling resumes pending deliveries only; failed ones wait for a replay"
    )
    assert (await stub.ReplayFailedWebhookDeliveries(replay, metadata=admin)).replayed_count == 3
    got = await receiver.wait_for(4)
    assert [g.message_id for g in got[1:]] == [d.message_id for d in oldest_first]
    assert [loyalty_id_of(g) for g in got[1:]] == ["CARD-1", "CARD-2", "CARD-3"]
    done = await settled(stub, admin, endpoint_id, 3)
    assert [d.status for d in done] == [SUCCEEDED] * 3
    first = await get_delivery(stub, admin, endpoint_id, oldest_first[0].delivery_id)
    assert [(a.http_status_code, a.trigger) for a in first.attempts] == [(410, AUTOMATIC), (204, MANUAL)]
    for delivery in oldest_first[1:]:
        full = await get_delivery(stub, admin, endpoint_id, delivery.delivery_id)
        assert [(a.attempt_number, a.trigger) for a in full.attempts] == [(1, MANUAL)]
    # The same request_id: the same count, nothing queued again; a new one finds nothing failed.
    assert (await stub.ReplayFailedWebhookDeliveries(replay, metadata=admin)).replayed_count == 3
    assert [d.status for d in await deliveries_of(stub, admin, endpoint_id)] == [SUCCEEDED] * 3
    fresh = pb.ReplayFailedWebhookDeliveriesRequest(endpoint_id=endpoint_id, request_id=rid())
    assert (await stub.ReplayFailedWebhookDeliveries(fresh, metadata=admin)).replayed_count == 0
    assert len(receiver.received) == 4


# --- secrets --------------------------------------------------------------------------------------


async def test_rotating_the_secret_signs_with_both_until_the_previous_one_expires(
    server, stub, ledger, admin, receiver
) -> None:
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    endpoint_id, old = created.webhook_endpoint.endpoint_id, created.signing_secret
    rotate = pb.RotateWebhookSecretRequest(endpoint_id=endpoint_id, request_id=rid())
    rotated = await stub.RotateWebhookSecret(rotate, metadata=admin)
    new = rotated.signing_secret
    assert new.startswith("whsec_")
    assert new != old
    expires = rotated.previous_secret_expire_time.ToDatetime(dt.UTC)
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=1))) < dt.timedelta(minutes=1)
    assert rotated.webhook_endpoint.HasField("secret_rotate_time")
    assert rotated.webhook_endpoint.etag != created.webhook_endpoint.etag
    await enroll(ledger, admin, "CARD-1")
    (got,) = await receiver.wait_for(1)
    assert len(got.signatures) == 2
    assert all(signature.startswith("v1,") for signature in got.signatures)
    verified(old, got)
    verified(new, got)
    # With no grace period only the newest secret signs.
    now_only = await stub.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(
            endpoint_id=endpoint_id, previous_secret_ttl_seconds=0, request_id=rid()
        ),
        metadata=admin,
    )
    newest = now_only.signing_secret
    assert newest.startswith("whsec_")
    assert newest not in (old, new)
    await enroll(ledger, admin, "CARD-2")
    _, later = await receiver.wait_for(2)
    assert len(later.signatures) == 1
    verified(newest, later)
    for expired in (old, new):
        with pytest.raises(SignatureError):
            verified(expired, later)
    for ttl in (604801, -1):
        await fails(
            stub.RotateWebhookSecret(
                pb.RotateWebhookSecretRequest(
                    endpoint_id=endpoint_id, previous_secret_ttl_seconds=ttl, request_id=rid()
                ),
                metadata=admin,
            ),
            INVALID,
            "ROTATION_TTL_INVALID",
        )
    await fails(
        stub.RotateWebhookSecret(
            pb.RotateWebhookSecretRequest(endpoint_id="we_nope", request_id=rid()), metadata=admin
        ),
        NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    )


async def test_a_replayed_rotation_changes_nothing_and_shows_no_secret(server, stub, admin, receiver) -> None:
    endpoint_id = (await create_endpoint(stub, admin, receiver.url)).webhook_endpoint.endpoint_id
    rotate = pb.RotateWebhookSecretRequest(endpoint_id=endpoint_id, request_id=rid())
    rotated = await stub.RotateWebhookSecret(rotate, metadata=admin)
    assert rotated.signing_secret.startswith("whsec_")
    replayed = await stub.RotateWebhookSecret(rotate, metadata=admin)
    assert replayed.signing_secret == ""
    assert replayed.previous_secret_expire_time == rotated.previous_secret_expire_time
    assert replayed.webhook_endpoint.etag == rotated.webhook_endpoint.etag


# --- endpoints ------------------------------------------------------------------------------------


async def test_creating_an_endpoint_shows_the_secret_once_and_its_filter_holds(
    server, stub, ledger, admin, receiver
) -> None:
    request = pb.CreateWebhookEndpointRequest(
        webhook_endpoint=pb.WebhookEndpoint(
            url=receiver.url, event_types=[T.EVENT_TYPE_POINTS_EARNED], description="points only"
        ),
        request_id=rid(),
    )
    created = await stub.CreateWebhookEndpoint(request, metadata=admin)
    endpoint = created.webhook_endpoint
    assert created.signing_secret.startswith("whsec_")
    assert endpoint.endpoint_id.startswith("we_")
    assert (endpoint.url, list(endpoint.event_types), endpoint.description) == (
        receiver.url,
        [T.EVENT_TYPE_POINTS_EARNED],
        "points only",
    )
    assert endpoint.enabled
    assert endpoint.disabled_reason == pb.WEBHOOK_DISABLED_REASON_UNSPECIFIED
    assert (endpoint.owner_client_id, endpoint.tenant_code) == ("", "default")
    assert endpoint.HasField("create_time")
    assert endpoint.etag
    replayed = await stub.CreateWebhookEndpoint(request, metadata=admin)
    assert replayed.signing_secret == ""
    assert replayed.webhook_endpoint.endpoint_id == endpoint.endpoint_id
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
    assert [e.endpoint_id for e in listed.webhook_endpoints] == [endpoint.endpoint_id]
    # Private and link-local targets are refused even when given as literal addresses.
    for url in (
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.1]/x",
        "http://192.168.1.1:8080/x",
    ):
        await fails(create_endpoint(stub, admin, url), INVALID, "URL_NOT_ALLOWED")
    for url in ("ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "", "http://127.0.0.1/x#frag"):
        await fails(create_endpoint(stub, admin, url), INVALID, "URL_INVALID")
    # Created disabled: nothing is delivered to it.
    paused = await stub.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(
            webhook_endpoint=pb.WebhookEndpoint(url=receiver.url, enabled=False), request_id=rid()
        ),
        metadata=admin,
    )
    assert not paused.webhook_endpoint.enabled
    assert paused.webhook_endpoint.disabled_reason == pb.WEBHOOK_DISABLED_REASON_MANUAL
    # Only the types asked for are delivered.
    member = await enroll(ledger, admin, "CARD-1")
    await earn(server, member.member_id, 5)
    (got,) = await receiver.wait_for(1)
    verified(created.signing_secret, got)
    assert got.type == "points.earned"
    assert got.envelope["data"]["pointsEarned"]["points"] == "5"
    assert member_id_of(got) == member.member_id
    await relayed(server)
    (delivery,) = await settled(stub, admin, endpoint.endpoint_id, 1)
    assert delivery.event_type == T.EVENT_TYPE_POINTS_EARNED
    assert await deliveries_of(stub, admin, paused.webhook_endpoint.endpoint_id) == []
    assert len(receiver.received) == 1


@with_settings(webhook_allow_http=False, webhook_allowed_networks="")
async def test_by_default_http_and_loopback_urls_are_refused(server, stub, admin) -> None:
    await fails(create_endpoint(stub, admin, "http://127.0.0.1:8080/hooks"), INVALID, "URL_INVALID")
    await fails(create_endpoint(stub, admin, "http://example.com/hooks"), INVALID, "URL_INVALID")
    for url in (
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://[::1]/hooks",
        "https://10.0.0.1/x",
    ):
        await fails(create_endpoint(stub, admin, url), INVALID, "URL_NOT_ALLOWED")
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
    assert list(listed.webhook_endpoints) == []


async def test_updating_an_endpoint_checks_its_etag_and_mask_and_pausing_it_stops_delivery(
    server, stub, ledger, admin, receiver
) -> None:
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    secret, endpoint = created.signing_secret, created.webhook_endpoint
    endpoint_id = endpoint.endpoint_id
    for paths in ([], ["secret"], ["description", "owner_client_id"], ["enabled", "etag"]):
        await fails(
            update_endpoint(stub, admin, endpoint_id, paths, description="x"), INVALID, "UPDATE_MASK_INVALID"
        )
    changed = await update_endpoint(
        stub,
        admin,
        endpoint_id,
        ["description", "event_types"],
        etag=endpoint.etag,
        description="renamed",
        event_types=[T.EVENT_TYPE_MEMBER_ENROLLED, T.EVENT_TYPE_POINTS_EARNED],
    )
    assert changed.description == "renamed"
    assert list(changed.event_types) == [T.EVENT_TYPE_MEMBER_ENROLLED, T.EVENT_TYPE_POINTS_EARNED]
    assert changed.url == receiver.url, "fields outside the mask keep their values"
    assert changed.etag != endpoint.etag
    info = await fails(
        update_endpoint(stub, admin, endpoint_id, ["description"], etag=endpoint.etag, description="stale"),
        grpc.StatusCode.ABORTED,
        "ETAG_MISMATCH",
    )
    assert info.metadata["etag"] == changed.etag
    assert (await get_endpoint(stub, admin, endpoint_id)).description == "renamed"
    await fails(
        update_endpoint(stub, admin, endpoint_id, ["url"], url="http://10.0.0.1/x"),
        INVALID,
        "URL_NOT_ALLOWED",
    )
    await fails(
        update_endpoint(stub, admin, "we_nope", ["description"], description="x"),
        NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    )
    # Paused by hand: events meanwhile are not delivered, not even after it is enabled again.
    paused = await update_endpoint(stub, admin, endpoint_id, ["enabled"], etag=changed.etag, enabled=False)
    assert not paused.enabled
    assert paused.disabled_reason == pb.WEBHOOK_DISABLED_REASON_MANUAL
    assert paused.HasField("disable_time")
    await enroll(ledger, admin, "CARD-1")
    await relayed(server)
    assert await deliveries_of(stub, admin, endpoint_id) == []
    resumed = await set_enabled(stub, admin, endpoint_id, True)
    assert resumed.enabled
    assert resumed.disabled_reason == pb.WEBHOOK_DISABLED_REASON_UNSPECIFIED
    assert not resumed.HasField("disable_time")
    await enroll(ledger, admin, "CARD-2")
    (got,) = await receiver.wait_for(1)
    assert loyalty_id_of(got) == "CARD-2"
    await relayed(server)
    assert len(await settled(stub, admin, endpoint_id, 1)) == 1
    # The secret is shown at creation only.
    got_back = await stub.GetWebhookEndpoint(
        pb.GetWebhookEndpointRequest(endpoint_id=endpoint_id), metadata=admin
    )
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
    for message in (got_back, listed, changed, paused, resumed):
        serialized = message.SerializeToString()
        assert secret.encode() not in serialized
        assert b"whsec_" not in serialized


async def test_deleting_an_endpoint_removes_it_with_its_deliveries(
    server, stub, ledger, admin, receiver
) -> None:
    created = await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_MEMBER_ENROLLED)
    endpoint_id = created.webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    await receiver.wait_for(1)
    (succeeded,) = await settled(stub, admin, endpoint_id, 1)
    receiver.default = Answer(500)  # the next one stays pending, retried
    await enroll(ledger, admin, "CARD-2")
    await receiver.wait_for(2)

    async def retrying() -> pb.WebhookDelivery | None:
        listed = await deliveries_of(stub, admin, endpoint_id, statuses=[PENDING])
        return listed[0] if listed and listed[0].attempt_count >= 1 else None

    pending = await wait_until(retrying)
    delete = pb.DeleteWebhookEndpointRequest(endpoint_id=endpoint_id, request_id=rid())
    await stub.DeleteWebhookEndpoint(delete, metadata=admin)
    await fails(
        stub.GetWebhookEndpoint(pb.GetWebhookEndpointRequest(endpoint_id=endpoint_id), metadata=admin),
        NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
    )
    await fails(deliveries_of(stub, admin, endpoint_id), NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND")
    for delivery in (succeeded, pending):
        await fails(
            get_delivery(stub, admin, endpoint_id, delivery.delivery_id),
            NOT_FOUND,
            "WEBHOOK_ENDPOINT_NOT_FOUND",
        )
    async with server.app.engine.connect() as connection:
        for table in (webhook_deliveries, webhook_attempts, webhook_secrets):
            count = await connection.execute(select(func.count()).select_from(table))
            assert count.scalar_one() == 0, f"{table.name} keeps rows of the deleted endpoint"
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
    assert list(listed.webhook_endpoints) == []
    # A replay succeeds; a new delete of what is gone is NOT_FOUND.
    await stub.DeleteWebhookEndpoint(delete, metadata=admin)
    for again in (
        pb.DeleteWebhookEndpointRequest(endpoint_id=endpoint_id),
        pb.DeleteWebhookEndpointRequest(endpoint_id=endpoint_id, request_id=rid()),
    ):
        await fails(
            stub.DeleteWebhookEndpoint(again, metadata=admin), NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND"
        )


# --- who sees what --------------------------------------------------------------------------------


async def test_a_partner_endpoint_gets_only_its_granted_members_events_and_only_the_partner_sees_it(
    server, channel, stub, ledger, admin, receiver
) -> None:
    flow = await Flow(server, channel).setup()
    client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    tenant_endpoint = (await create_endpoint(stub, admin, receiver.url)).webhook_endpoint
    async with running_receiver() as partner_receiver:
        created = await create_endpoint(stub, partner, partner_receiver.url)
        endpoint = created.webhook_endpoint
        assert endpoint.owner_client_id == client_id
        assert endpoint.tenant_code == "default"
        # Another member's events and another partner's connection are not the partner's.
        other = await enroll(ledger, admin, "CARD-OTHER")
        await earn(server, other.member_id, 7)
        other_client_id, *_ = await flow.connected()
        await earn(server, member_id, 5)
        got = await partner_receiver.wait_for_match(lambda r: r.type == "points.earned")
        verified(created.signing_secret, got)
        assert member_id_of(got) == member_id
        assert got.envelope["data"]["pointsEarned"]["points"] == "5"
        await relayed(server)
        (delivery,) = await settled(stub, partner, endpoint.endpoint_id, 1)
        assert delivery.event_type == T.EVENT_TYPE_POINTS_EARNED
        assert [member_id_of(r) for r in partner_receiver.received] == [member_id]
        # The tenant's endpoint got everything, including what the partner did not.
        await receiver.wait_for_match(lambda r: r.type == "points.earned" and member_id_of(r) == member_id)
        assert {member_id, other.member_id} <= {member_id_of(r) for r in receiver.of_type("points.earned")}
        connected = receiver.of_type("partner.connected")
        assert [r.envelope["data"]["partnerConnected"]["clientId"] for r in connected] == [other_client_id]
        # The partner's own partner.connected events reach it: a second member connects.
        registered = await flow.register(client_id, email="zoe@example.com")
        issued = await flow.code(client_id, registered.member_session_token)
        await flow.exchange(client_id, _secret, issued.code)
        own = await partner_receiver.wait_for_match(lambda r: r.type == "partner.connected")
        assert own.envelope["data"]["partnerConnected"]["clientId"] == client_id
        assert member_id_of(own) == registered.member.member_id
    # Admins see every endpoint of the tenant; the partner only its own.
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
    assert [e.endpoint_id for e in listed.webhook_endpoints] == [
        tenant_endpoint.endpoint_id,
        endpoint.endpoint_id,
    ]
    assert (await get_endpoint(stub, admin, endpoint.endpoint_id)).owner_client_id == client_id
    listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=partner)
    assert [e.endpoint_id for e in listed.webhook_endpoints] == [endpoint.endpoint_id]
    theirs = tenant_endpoint.endpoint_id
    for call in (
        get_endpoint(stub, partner, theirs),
        update_endpoint(stub, partner, theirs, ["description"], description="mine now"),
        stub.DeleteWebhookEndpoint(pb.DeleteWebhookEndpointRequest(endpoint_id=theirs), metadata=partner),
        stub.RotateWebhookSecret(
            pb.RotateWebhookSecretRequest(endpoint_id=theirs, request_id=rid()), metadata=partner
        ),
        deliveries_of(stub, partner, theirs),
    ):
        await fails(call, NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND")
    assert (await get_endpoint(stub, admin, theirs)).description == "test"


@with_settings(webhook_retry_window_s=1)
async def test_lists_page_and_delivery_filters_bind_their_page_tokens(
    server, stub, ledger, admin, receiver
) -> None:
    # Endpoints: three, two per page, oldest first.
    types = (T.EVENT_TYPE_MEMBER_ENROLLED, T.EVENT_TYPE_POINTS_EARNED)
    endpoint_id = (await create_endpoint(stub, admin, receiver.url, *types)).webhook_endpoint.endpoint_id
    quiet = [
        (
            await create_endpoint(stub, admin, receiver.url, T.EVENT_TYPE_HOLD_EXPIRED)
        ).webhook_endpoint.endpoint_id
        for _ in range(2)
    ]
    first = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(page_size=2), metadata=admin)
    assert [e.endpoint_id for e in first.webhook_endpoints] == [endpoint_id, quiet[0]]
    assert first.next_page_token
    second = await stub.ListWebhookEndpoints(
        pb.ListWebhookEndpointsRequest(page_size=2, page_token=first.next_page_token), metadata=admin
    )
    assert [e.endpoint_id for e in second.webhook_endpoints] == [quiet[1]]
    assert second.next_page_token == ""
    await fails(
        stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(page_token="garbage"), metadata=admin),
        INVALID,
        "PAGE_TOKEN_INVALID",
    )
    # Deliveries: one failed (500s past the retry window), three succeeded.
    receiver.default = Answer(500)
    ann = await enroll(ledger, admin, "CARD-1")
    (gave_up,) = await settled(stub, admin, endpoint_id, 1)
    assert gave_up.status == FAILED
    receiver.default = Answer()
    await earn(server, ann.member_id, 5)
    bob = await enroll(ledger, admin, "CARD-2")
    await earn(server, bob.member_id, 6)
    everything = await settled(stub, admin, endpoint_id, 4)
    assert [d.event_type for d in everything] == [
        T.EVENT_TYPE_POINTS_EARNED,
        T.EVENT_TYPE_MEMBER_ENROLLED,
        T.EVENT_TYPE_POINTS_EARNED,
        T.EVENT_TYPE_MEMBER_ENROLLED,
    ], "newest first"
    assert [d.event_sequence for d in everything] == sorted(
        (d.event_sequence for d in everything), reverse=True
    )
    assert [d.status for d in everything] == [SUCCEEDED] * 3 + [FAILED]
    earned_ids = [everything[0].delivery_id, everything[2].delivery_id]

    def ids(deliveries: list[pb.WebhookDelivery]) -> list[str]:
        return [d.delivery_id for d in deliveries]

    assert ids(await deliveries_of(stub, admin, endpoint_id, statuses=[FAILED])) == [gave_up.delivery_id]
    assert (
        ids(await deliveries_of(stub, admin, endpoint_id, event_types=[T.EVENT_TYPE_POINTS_EARNED]))
        == earned_ids
    )
    both = await deliveries_of(
        stub, admin, endpoint_id, statuses=[SUCCEEDED], event_types=[T.EVENT_TYPE_MEMBER_ENROLLED]
    )
    assert ids(both) == [everything[1].delivery_id]
    assert await deliveries_of(stub, admin, endpoint_id, statuses=[PENDING]) == []
    # Paging through one filter; its token is refused with any other.
    earned = {"event_types": [T.EVENT_TYPE_POINTS_EARNED]}
    page = await stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id, page_size=1, **earned), metadata=admin
    )
    assert ids(list(page.deliveries)) == earned_ids[:1]
    token = page.next_page_token
    assert token
    page = await stub.ListWebhookDeliveries(
        pb.ListWebhookDeliveriesRequest(endpoint_id=endpoint_id, page_size=1, page_token=token, **earned),
        metadata=admin,
    )
    assert ids(list(page.deliveries)) == earned_ids[1:]
    assert page.next_page_token == ""
    for other_filters in (
        {"statuses": [FAILED]},
        {"event_types": [T.EVENT_TYPE_MEMBER_ENROLLED]},
        {},
        {"event_types": [T.EVENT_TYPE_POINTS_EARNED], "statuses": [SUCCEEDED]},
    ):
        request = pb.ListWebhookDeliveriesRequest(
            endpoint_id=endpoint_id, page_size=1, page_token=token, **other_filters
        )
        await fails(stub.ListWebhookDeliveries(request, metadata=admin), INVALID, "PAGE_TOKEN_INVALID")


async def test_another_tenant_neither_reaches_nor_receives_the_first_tenants_endpoints(
    server, stub, ledger, admin, receiver
) -> None:
    app = server.app
    second = await create_tenant(app.engine, app.clock, "second", "Second store", DEMO_PROGRAM.read_text())
    await app.programs.refresh(app.engine)
    other = bearer(await service_token(server, Role.ADMIN, tenant_id=second.id))
    ours = await create_endpoint(stub, admin, receiver.url)
    ours_id = ours.webhook_endpoint.endpoint_id
    async with running_receiver() as their_receiver:
        theirs = await create_endpoint(stub, other, their_receiver.url)
        theirs_id = theirs.webhook_endpoint.endpoint_id
        assert theirs.webhook_endpoint.tenant_code == "second"
        for call in (
            get_endpoint(stub, other, ours_id),
            update_endpoint(stub, other, ours_id, ["enabled"], enabled=False),
            stub.DeleteWebhookEndpoint(
                pb.DeleteWebhookEndpointRequest(endpoint_id=ours_id, request_id=rid()), metadata=other
            ),
            stub.RotateWebhookSecret(
                pb.RotateWebhookSecretRequest(endpoint_id=ours_id, request_id=rid()), metadata=other
            ),
            deliveries_of(stub, other, ours_id),
            stub.ReplayFailedWebhookDeliveries(
                pb.ReplayFailedWebhookDeliveriesRequest(endpoint_id=ours_id, request_id=rid()), metadata=other
            ),
        ):
            await fails(call, NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND")
        listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=other)
        assert [e.endpoint_id for e in listed.webhook_endpoints] == [theirs_id]
        listed = await stub.ListWebhookEndpoints(pb.ListWebhookEndpointsRequest(), metadata=admin)
        assert [e.endpoint_id for e in listed.webhook_endpoints] == [ours_id]
        await fails(get_endpoint(stub, admin, theirs_id), NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND")
        # Each endpoint gets its own tenant's events only, even with the same card number.
        ann = await enroll(ledger, admin, "CARD-1")
        zoe = await enroll(ledger, other, "CARD-1")
        (mine,) = await receiver.wait_for(1)
        (their,) = await their_receiver.wait_for(1)
        await relayed(server)
        verified(ours.signing_secret, mine)
        verified(theirs.signing_secret, their)
        assert (mine.envelope["storeCode"], member_id_of(mine)) == ("default", ann.member_id)
        assert (their.envelope["storeCode"], member_id_of(their)) == ("second", zoe.member_id)
        assert len(await settled(stub, admin, ours_id, 1)) == 1
        assert len(await settled(stub, other, theirs_id, 1)) == 1
        assert len(receiver.received) == len(their_receiver.received) == 1
    still = await get_endpoint(stub, admin, ours_id)
    assert still.enabled
    assert still.etag == ours.webhook_endpoint.etag, "untouched by the other tenant's calls"


async def test_a_delivery_names_the_event_it_delivers(server, stub, ledger, admin, receiver) -> None:
    endpoint_id = (await create_endpoint(stub, admin, receiver.url)).webhook_endpoint.endpoint_id
    await enroll(ledger, admin, "CARD-1")
    (got,) = await receiver.wait_for(1)
    (delivery,) = await settled(stub, admin, endpoint_id, 1)
    assert delivery.event_sequence == int(got.envelope["data"]["sequence"])
    assert delivery.event_id == got.envelope["data"]["eventId"]


async def test_stopping_the_server_while_the_webhook_worker_waits_on_the_database(
    server, database_url
) -> None:
    # Both worker loops are parked inside a query when stop() cancels them. asyncpg's cancellation
    # comes out of SQLAlchemy as another exception (MissingGreenlet), which the loops once logged
    # and carried on from, so stop() waited forever.
    if not database_url.startswith("postgresql"):
        pytest.skip("the locks that park the worker inside a query are PostgreSQL's")
    blocker_engine = create_engine(database_url)
    try:
        async with blocker_engine.connect() as blocker, blocker_engine.connect() as observer:
            # The relay waits for its cursor row, the sender's claim for the deliveries table.
            cursor = outbox_cursors.c
            await blocker.execute(
                select(cursor.sequence).where(cursor.name == RELAY_CURSOR).with_for_update()
            )
            await blocker.execute(text("LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE"))

            async def both_wait() -> bool:
                waiting = await observer.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                await observer.rollback()  # a fresh snapshot for the next poll
                return waiting.scalar_one() >= 2

            await wait_until(both_wait)
            stopping = asyncio.create_task(server.stop(grace_s=0))
            try:
                done, _ = await asyncio.wait([stopping], timeout=3)
                assert done, "LoyaltyServer.stop() did not return within 3 s"
            finally:
                await blocker.rollback()
                worker = server.app.webhooks.worker
                while not (await asyncio.wait([stopping], timeout=1))[0]:  # it hung: end the loops
                    for task in worker._tasks:
                        task.cancel()
    finally:
        await blocker_engine.dispose()


async def test_creating_an_endpoint_waits_for_a_relay_round_in_progress(
    server, stub, admin, receiver, database_url
) -> None:
    # On PostgreSQL a relay round that found no endpoint could otherwise move past an event committed
    # after the new endpoint read its start: the endpoint takes the relay's lock first
    # (webhooks/relay_cursor.py). SQLite's one writer already serializes the two.
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    await server.app.webhooks.worker.stop()  # type: ignore[union-attr]
    blocker_engine = create_engine(database_url)
    try:
        async with blocker_engine.connect() as blocker:  # a relay round, holding the cursor
            cursor = outbox_cursors.c
            await blocker.execute(
                select(cursor.sequence).where(cursor.name == RELAY_CURSOR).with_for_update()
            )
            creating = asyncio.create_task(create_endpoint(stub, admin, receiver.url))
            done, _ = await asyncio.wait([creating], timeout=0.5)
            assert not done, "the endpoint was created while a relay round held the cursor"
            await blocker.rollback()
            created = await asyncio.wait_for(creating, timeout=5)
            assert created.webhook_endpoint.enabled
    finally:
        await blocker_engine.dispose()
