"""SubscriptionService streams and the event list over gRPC, on SQLite and PostgreSQL: backlog then
live with no gap or duplicate at the seam, resume after a disconnect, filters and who may see what,
a stalled subscriber, many subscribers, heartbeats, shutdown, cursors, WatchMember and ListEvents."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc, subscription_pb2, subscription_pb2_grpc
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger.operations import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import write_transaction
from tests.integration.test_auth_flow import fails
from tests.support import bearer, make_settings, service_token

T = subscription_pb2.EventType


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url, event_poll_interval_ms=50))
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


@pytest.fixture
def events_stub(channel) -> subscription_pb2_grpc.SubscriptionServiceStub:
    return subscription_pb2_grpc.SubscriptionServiceStub(channel)


@pytest.fixture
def ledger_stub(channel) -> ledger_pb2_grpc.LedgerServiceStub:
    return ledger_pb2_grpc.LedgerServiceStub(channel)


@pytest.fixture
async def internal(server):
    return bearer(await service_token(server, Role.INTERNAL))


def rid() -> str:
    return str(uuid.uuid4())


async def enroll(ledger_stub, metadata, **fields) -> common_pb2.Member:
    request = ledger_pb2.EnrollMemberRequest(member=common_pb2.Member(**fields), request_id=rid())
    return (await ledger_stub.EnrollMember(request, metadata=metadata)).member


async def earn(server: LoyaltyServer, member_id: str, points: int) -> None:
    entry = Entry(origin_type="adjustment", origin_id=rid(), reason_code="TEST", request_id=rid())
    await server.app.ledger.earn(  # type: ignore[union-attr]
        server.app.default_tenant.id,  # type: ignore[union-attr]
        member_id,
        currency="permanent",
        points=points,
        source_id="bonus",
        entry=entry,
    )


async def write_events(
    server: LoyaltyServer, member_id: str, points: range, *, per_commit: int = 100, padding: int = 0
) -> None:
    """Synthetic points.earned events, many per commit: streams do not care who wrote them.
    `padding` characters of reason code make each event that much larger."""
    app = server.app
    assert app is not None
    values = list(points)
    for start in range(0, len(values), per_commit):
        async with write_transaction(app.engine) as connection:
            for value in values[start : start + per_commit]:
                event = subscription_pb2.Event(type=T.EVENT_TYPE_POINTS_EARNED)
                event.member.member_id = member_id
                event.points_earned.points = value
                event.points_earned.currency = "permanent"
                event.points_earned.reason_code = "X" * padding
                await append_event(connection, app.clock, tenant_id=app.default_tenant.id, event=event)


async def take_events(call, count: int, *, timeout_s: float = 10.0) -> list[subscription_pb2.Event]:
    """The next `count` events of a stream (heartbeats skipped)."""
    got: list[subscription_pb2.Event] = []
    async with asyncio.timeout(timeout_s):
        while len(got) < count:
            item = await call.read()
            assert item is not grpc.aio.EOF, f"stream ended after {len(got)} events"
            if item.WhichOneof("item") == "event":
                got.append(item.event)
    return got


async def test_backlog_then_live_with_no_gap_and_no_duplicate(server, events_stub, ledger_stub, internal):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1", email="ann@example.com")
    for points in (10, 20, 30):
        await earn(server, member.member_id, points)
    call = events_stub.StreamEvents(
        subscription_pb2.StreamEventsRequest(after_sequence=0), metadata=internal
    )
    backlog = await take_events(call, 4)
    assert [e.type for e in backlog] == [T.EVENT_TYPE_MEMBER_ENROLLED] + [T.EVENT_TYPE_POINTS_EARNED] * 3
    assert [e.points_earned.points for e in backlog[1:]] == [10, 20, 30]
    first = backlog[0]
    assert first.member.member_id == member.member_id
    assert first.member.loyalty_id == "CARD-1"
    assert first.tenant_code == "default"
    assert first.type_name == "member.enrolled"
    assert first.event_id
    assert first.HasField("event_time")
    # Live: written while the stream runs, in the order committed.
    writers = [earn(server, member.member_id, points) for points in range(1, 21)]
    for write in writers:
        await write
    live = await take_events(call, 20)
    sequences = [e.sequence for e in backlog + live]
    assert sequences == sorted(set(sequences)), "sequences strictly increase: no duplicate"
    assert [e.points_earned.points for e in live] == list(range(1, 21))
    call.cancel()


async def test_a_stalled_subscriber_is_cut_off_without_slowing_writers_or_others(
    tmp_path, database_url
) -> None:
    server = LoyaltyServer(
        make_settings(tmp_path, database_url, event_poll_interval_ms=50, stream_buffer_events=300)
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
            ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
            metadata = bearer(await service_token(server, Role.INTERNAL))
            member = await enroll(ledger, metadata, loyalty_id="CARD-1")
            request = subscription_pb2.StreamEventsRequest(
                from_now=True, event_types=[T.EVENT_TYPE_POINTS_EARNED]
            )
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as own_channel:
                stalled = subscription_pb2_grpc.SubscriptionServiceStub(own_channel).StreamEvents(
                    request, metadata=metadata
                )
                healthy = stub.StreamEvents(request, metadata=metadata)
                await asyncio.sleep(0.3)  # both subscribed
                # 32 MiB in all (2000 events of 16 KiB): more than HTTP/2 flow control lets the stalled client's transport
                # take in, so the server's writes to it block and its buffer fills.
                count = 2000
                reading = asyncio.create_task(take_events(healthy, count, timeout_s=60))
                await write_events(server, member.member_id, range(1, count + 1), per_commit=20, padding=16 * 1024)
                received = await reading
                assert [e.points_earned.points for e in received] == list(range(1, count + 1))
                # The stalled one never read: it gets what fitted in the transport, then the status.
                with pytest.raises(grpc.aio.AioRpcError) as failure:
                    async with asyncio.timeout(30):
                        while (await stalled.read()) is not grpc.aio.EOF:
                            pass
                assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert "SUBSCRIBER_TOO_SLOW" in str(failure.value.trailing_metadata())
                healthy.cancel()
    finally:
        await server.stop(grace_s=0)
