"""SubscriptionService streams and the event list over gRPC, on SQLite and PostgreSQL: backlog then
live with no gap or duplicate at the seam, resume after a disconnect, filters and who may see what,
a stalled subscriber, many subscribers, heartbeats, shutdown, cursors, WatchMember and ListEvents."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid

import grpc
import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc, subscription_pb2, subscription_pb2_grpc
from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.events import feed
from loyalty_server.events.outbox import append_event
from loyalty_server.events.tables import outbox_cursors
from loyalty_server.ledger.operations import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine, write_transaction
from loyalty_server.storage.schema import events
from loyalty_server.tenancy import create_tenant
from tests.integration.test_auth_flow import Flow, fails
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
    server: LoyaltyServer,
    member_id: str,
    points: range,
    *,
    per_commit: int = 100,
    padding: int = 0,
    engine: AsyncEngine | None = None,
    pause_s: float = 0.0,
) -> None:
    """Synthetic points.earned events, many per commit: streams do not care who wrote them.
    `padding` characters of reason code make each event that much larger. `engine`: write through
    another engine (as another process would), which the server's hub sees only by polling or NOTIFY."""
    app = server.app
    assert app is not None
    values = list(points)
    for start in range(0, len(values), per_commit):
        async with write_transaction(engine or app.engine) as connection:
            for value in values[start : start + per_commit]:
                event = subscription_pb2.Event(type=T.EVENT_TYPE_POINTS_EARNED)
                event.member.member_id = member_id
                event.points_earned.points = value
                event.points_earned.currency = "permanent"
                event.points_earned.reason_code = "X" * padding
                await append_event(connection, app.clock, tenant_id=app.default_tenant.id, event=event)
        if pause_s:
            await asyncio.sleep(pause_s)


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
    call = events_stub.StreamEvents(subscription_pb2.StreamEventsRequest(after_sequence=0), metadata=internal)
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
                # 32 MiB in all (2000 events of 16 KiB): more than HTTP/2 flow control lets the stalled
                # client's transport take in, so the server's writes to it block and its buffer fills.
                count = 2000
                reading = asyncio.create_task(take_events(healthy, count, timeout_s=60))
                # The writer, the server and the healthy client share this test's event loop, and
                # SQLite writes run on it without suspending: a writer that never paused would starve
                # the healthy client itself. A real writer is a stream of requests: 10 ms between
                # commits of 20 (2 ms was too little once writes got faster: on a busy CI machine the
                # healthy client then fell 300 events behind too). The stalled one fills up all the same.
                await write_events(
                    server,
                    member.member_id,
                    range(1, count + 1),
                    per_commit=20,
                    padding=16 * 1024,
                    pause_s=0.01,
                )
                received = await reading
                assert [e.points_earned.points for e in received] == list(range(1, count + 1))
                # The stalled one never read: it gets what fitted in the transport, then the status.
                with pytest.raises(grpc.aio.AioRpcError) as failure:
                    await drain(stalled, timeout_s=30)
                assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert "SUBSCRIBER_TOO_SLOW" in str(failure.value.trailing_metadata())
                healthy.cancel()
    finally:
        await server.stop(grace_s=0)


# --- helpers of the tests below ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(tmp_path, database_url: str, **settings: object):
    """A server of a test's own. Servers started with the same tmp_path share the data dir, and so
    the signing keys, like replicas do."""
    server = LoyaltyServer(make_settings(tmp_path, database_url, **settings))
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace_s=0)


async def until(predicate, *, timeout_s: float = 5.0, what: str = "condition") -> None:
    """Await a condition that has no event to wait on (e.g. a subscriber count)."""
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():  # noqa: ASYNC110 (the server offers no event for these)
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def drain(call, *, timeout_s: float = 10.0) -> None:
    """Read a stream to its end (raises its status if it fails)."""
    async with asyncio.timeout(timeout_s):
        while (await call.read()) is not grpc.aio.EOF:
            pass


async def stream_fails(call, code: grpc.StatusCode, reason: str):
    return await fails(drain(call), code, reason)


async def next_item(call, *, timeout_s: float = 10.0):
    async with asyncio.timeout(timeout_s):
        item = await call.read()
    assert item is not grpc.aio.EOF, "the stream ended"
    return item


async def list_all(stub, metadata, **filters) -> list[subscription_pb2.Event]:
    """Every event ListEvents shows with these filters, over all pages."""
    got: list[subscription_pb2.Event] = []
    token = ""
    while True:
        page = await stub.ListEvents(
            subscription_pb2.ListEventsRequest(page_size=1000, page_token=token, **filters), metadata=metadata
        )
        got.extend(page.events)
        token = page.next_page_token
        if not token:
            return got


async def stored_sequences(
    server: LoyaltyServer,
    *,
    tenant_id: int | None = None,
    member_id: str | None = None,
    type_name: str | None = None,
) -> list[int]:
    """Sequences straight from the outbox table."""
    app = server.app
    assert app is not None
    query = select(events.c.sequence).where(
        events.c.tenant_id == (tenant_id if tenant_id is not None else app.default_tenant.id)
    )
    if member_id is not None:
        query = query.where(events.c.member_id == member_id)
    if type_name is not None:
        query = query.where(events.c.type == type_name)
    async with app.engine.connect() as connection:
        return list((await connection.execute(query.order_by(events.c.sequence))).scalars())


async def set_retention(server: LoyaltyServer, sequence: int) -> None:
    app = server.app
    assert app is not None
    async with write_transaction(app.engine) as connection:
        await connection.execute(delete(outbox_cursors).where(outbox_cursors.c.name == "retention"))
        await connection.execute(insert(outbox_cursors).values(name="retention", sequence=sequence))


def request(**fields) -> subscription_pb2.StreamEventsRequest:
    return subscription_pb2.StreamEventsRequest(**fields)


def points_of(items: list[subscription_pb2.Event]) -> list[int]:
    return [e.points_earned.points for e in items]


# --- resume, the seam, many subscribers -----------------------------------------------------------


async def test_a_resumed_stream_gets_exactly_what_it_missed(server, events_stub, ledger_stub, internal):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await write_events(server, member.member_id, range(1, 11), per_commit=3)
    first = events_stub.StreamEvents(request(after_sequence=0), metadata=internal)
    seen = await take_events(first, 6)  # the enrolment and points 1-5
    assert points_of(seen[1:]) == [1, 2, 3, 4, 5]
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first.read()
    await write_events(server, member.member_id, range(11, 21), per_commit=4)
    # The last sequence received is the cursor.
    second = events_stub.StreamEvents(request(after_sequence=seen[-1].sequence), metadata=internal)
    rest = await take_events(second, 15)
    assert points_of(rest) == list(range(6, 21))
    everything = await list_all(events_stub, internal)
    assert [e.sequence for e in seen + rest] == [e.sequence for e in everything]
    assert [e.sequence for e in everything] == await stored_sequences(server)
    assert [e.event_id for e in seen + rest] == [e.event_id for e in everything]
    # Nothing more is pending: the next thing after a new write is that write.
    await write_events(server, member.member_id, range(99, 100))
    (last,) = await take_events(second, 1)
    assert last.points_earned.points == 99
    assert last.sequence == (await stored_sequences(server))[-1]
    second.cancel()


@pytest.mark.parametrize("writers_are", ["in this process", "in another process"])
async def test_the_seam_under_concurrent_writes_loses_and_repeats_nothing(
    tmp_path, database_url, writers_are
):
    """Writers keep committing from before the stream reaches the end of its backlog until after it
    has joined the hub. In this process every commit wakes the hub at once, so the hub is usually
    ahead of the stream's backlog reads; in another process (an engine of its own) the hub learns of
    commits only by polling every 2 s (or NOTIFY on PostgreSQL), so on SQLite it lags behind what the
    backlog reads see, and the stream must drop what its buffer repeats."""
    elsewhere = writers_are == "in another process"
    async with (
        running(tmp_path, database_url, event_poll_interval_ms=2000 if elsewhere else 300) as server,
        grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel,
        contextlib.AsyncExitStack() as stack,
    ):
        ledger_stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        events_stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
        internal = bearer(await service_token(server, Role.INTERNAL))
        ann = await enroll(ledger_stub, internal, loyalty_id="CARD-ANN")
        bob = await enroll(ledger_stub, internal, loyalty_id="CARD-BOB")
        backlog = feed.READ_BATCH_MAX * 2 + 200
        await write_events(server, ann.member_id, range(1, backlog + 1), per_commit=100)
        await write_events(server, bob.member_id, range(1, 101), per_commit=100)
        engine = None
        if elsewhere:
            engine = create_engine(server.settings.resolved_database_url)
            stack.push_async_callback(engine.dispose)
        hub = server.app.hub

        async def keep_writing(member_id: str, first: int, per_commit: int) -> int:
            """Commit `per_commit` events at a time until 20 commits after the stream joined the hub.
            Returns the last points written."""
            points, after_joining = first, 0
            while after_joining < 20:
                await write_events(
                    server,
                    member_id,
                    range(points, points + per_commit),
                    per_commit=per_commit,
                    engine=engine,
                )
                points += per_commit
                after_joining += hub.subscriber_count > 0
            return points - 1

        call = events_stub.StreamEvents(
            request(after_sequence=0, member_id=ann.member_id, event_types=[T.EVENT_TYPE_POINTS_EARNED]),
            metadata=internal,
        )
        received: list[subscription_pb2.Event] = []

        async def read() -> None:
            while True:
                item = await call.read()
                assert item is not grpc.aio.EOF
                if item.WhichOneof("item") == "event":
                    received.append(item.event)

        reader = asyncio.create_task(read())
        await until(lambda: bool(received), what="the backlog to start")
        assert hub.subscriber_count == 0, "still reading the backlog"
        last, _ = await asyncio.gather(
            keep_writing(ann.member_id, backlog + 1, 3), keep_writing(bob.member_id, 101, 2)
        )
        expected = await stored_sequences(server, member_id=ann.member_id, type_name="points.earned")
        assert len(expected) == last
        await until(
            lambda: reader.done() or (received and received[-1].sequence >= expected[-1]),
            timeout_s=10,
            what="the stream to reach the last event",
        )
        assert not reader.done(), reader.exception()
        reader.cancel()
        call.cancel()
        sequences = [e.sequence for e in received]
        assert sequences == expected, "exactly the matching events, each once, in order"
        assert points_of(received) == list(range(1, last + 1))
        assert {e.member.member_id for e in received} == {ann.member_id}


async def test_a_hundred_subscribers_get_the_same_events_in_order(server, ledger_stub, internal):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    subscribers = 100
    async with contextlib.AsyncExitStack() as stack:
        channels = [
            await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}"))
            for _ in range(4)
        ]
        stubs = [subscription_pb2_grpc.SubscriptionServiceStub(channel) for channel in channels]
        calls = [
            stubs[i % len(stubs)].StreamEvents(
                request(from_now=True, event_types=[T.EVENT_TYPE_POINTS_EARNED]), metadata=internal
            )
            for i in range(subscribers)
        ]
        hub = server.app.hub
        await until(lambda: hub.subscriber_count >= subscribers, what="every stream to subscribe")
        count = 40
        await write_events(server, member.member_id, range(1, count + 1), per_commit=7)
        received = await asyncio.gather(*(take_events(call, count) for call in calls))
        expected = await stored_sequences(server, type_name="points.earned")
        for events_of_one in received:
            assert [e.sequence for e in events_of_one] == expected
            assert points_of(events_of_one) == list(range(1, count + 1))
        for call in calls:
            call.cancel()


# --- filters and who may see what -----------------------------------------------------------------


async def test_filters_by_type_and_member(server, events_stub, ledger_stub, internal):
    ann = await enroll(ledger_stub, internal, loyalty_id="CARD-ANN")
    bob = await enroll(ledger_stub, internal, loyalty_id="CARD-BOB")
    await earn(server, ann.member_id, 10)
    await earn(server, bob.member_id, 20)
    await earn(server, ann.member_id, 30)

    anns = events_stub.StreamEvents(
        request(after_sequence=0, member_id=ann.member_id, event_types=[T.EVENT_TYPE_POINTS_EARNED]),
        metadata=internal,
    )
    enrolments = events_stub.StreamEvents(
        request(after_sequence=0, event_types=[T.EVENT_TYPE_MEMBER_ENROLLED, T.EVENT_TYPE_MEMBER_ERASED]),
        metadata=internal,
    )
    bobs = events_stub.StreamEvents(request(after_sequence=0, member_id=bob.member_id), metadata=internal)
    got = await take_events(anns, 2)
    assert points_of(got) == [10, 30]
    assert {e.member.member_id for e in got} == {ann.member_id}
    got = await take_events(enrolments, 2)
    assert [e.member.member_id for e in got] == [ann.member_id, bob.member_id]
    got = await take_events(bobs, 2)
    assert [e.type for e in got] == [T.EVENT_TYPE_MEMBER_ENROLLED, T.EVENT_TYPE_POINTS_EARNED]
    # Live, too: the next of each is its own.
    await earn(server, bob.member_id, 40)
    await earn(server, ann.member_id, 50)
    carl = await enroll(ledger_stub, internal, loyalty_id="CARD-CARL")
    assert points_of(await take_events(anns, 1)) == [50]
    assert points_of(await take_events(bobs, 1)) == [40]
    assert [e.member.member_id for e in await take_events(enrolments, 1)] == [carl.member_id]
    for call in (anns, enrolments, bobs):
        call.cancel()
    # The same filters on the list.
    listed = await list_all(
        events_stub, internal, member_id=ann.member_id, event_types=[T.EVENT_TYPE_POINTS_EARNED]
    )
    assert points_of(listed) == [10, 30, 50]

    invalid = events_stub.StreamEvents(request(after_sequence=0, event_types=[999]), metadata=internal)
    await stream_fails(invalid, grpc.StatusCode.INVALID_ARGUMENT, "EVENT_TYPE_INVALID")
    unknown = events_stub.StreamEvents(request(after_sequence=0, member_id="m_nobody"), metadata=internal)
    await stream_fails(unknown, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND")
    await fails(
        events_stub.ListEvents(subscription_pb2.ListEventsRequest(event_types=[999]), metadata=internal),
        grpc.StatusCode.INVALID_ARGUMENT,
        "EVENT_TYPE_INVALID",
    )
    await fails(
        events_stub.ListEvents(subscription_pb2.ListEventsRequest(member_id="m_nobody"), metadata=internal),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )


async def test_a_partner_token_sees_only_its_own_member(server, channel, events_stub, ledger_stub, internal):
    flow = await Flow(server, channel).setup()
    _client_id, _secret, own_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    other = await enroll(ledger_stub, internal, loyalty_id="CARD-OTHER")
    await earn(server, other.member_id, 5)
    own_events = await list_all(events_stub, internal, member_id=own_id)
    assert len(own_events) >= 2  # enrolled, partner.connected (and the connection bonus)

    call = events_stub.StreamEvents(request(after_sequence=0), metadata=partner)
    got = await take_events(call, len(own_events))
    assert [e.sequence for e in got] == [e.sequence for e in own_events]
    # Live: another member's event is skipped, the own member's next one arrives.
    await earn(server, other.member_id, 6)
    await earn(server, own_id, 7)
    (live,) = await take_events(call, 1)
    assert (live.member.member_id, live.points_earned.points) == (own_id, 7)
    call.cancel()

    listed = await list_all(events_stub, partner)
    assert [e.sequence for e in listed] == [e.sequence for e in own_events] + [live.sequence]
    assert {e.member.member_id for e in listed} == {own_id}

    watch = events_stub.WatchMember(subscription_pb2.WatchMemberRequest(), metadata=partner)
    first = await next_item(watch)
    assert first.snapshot.member_id == own_id
    watch.cancel()

    await stream_fails(
        events_stub.StreamEvents(request(after_sequence=0, member_id=other.member_id), metadata=partner),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await fails(
        events_stub.ListEvents(
            subscription_pb2.ListEventsRequest(member_id=other.member_id), metadata=partner
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await stream_fails(
        events_stub.WatchMember(
            subscription_pb2.WatchMemberRequest(member_id=other.member_id), metadata=partner
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )


# --- heartbeats, shutdown, cursors ----------------------------------------------------------------


async def test_an_idle_stream_gets_heartbeats_with_a_safe_cursor(server, events_stub, ledger_stub, internal):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await earn(server, member.member_id, 10)
    call = events_stub.StreamEvents(
        request(after_sequence=0, event_types=[T.EVENT_TYPE_POINTS_EARNED], heartbeat_interval_seconds=5),
        metadata=internal,
    )
    (earned,) = await take_events(call, 1)
    started = asyncio.get_running_loop().time()
    # An event the stream does not show moves the heartbeat's cursor past it.
    other = await enroll(ledger_stub, internal, loyalty_id="CARD-2")
    latest = (await stored_sequences(server))[-1]
    await until(lambda: server.app.hub.position >= latest, what="the hub to read the enrolment")
    item = await next_item(call, timeout_s=8)
    waited = asyncio.get_running_loop().time() - started
    assert item.WhichOneof("item") == "heartbeat"
    assert 4 <= waited < 7, waited
    assert item.heartbeat.sequence >= earned.sequence
    assert item.heartbeat.sequence == latest
    assert item.heartbeat.HasField("server_time")
    # Resuming from the heartbeat's cursor skips nothing that matches.
    await earn(server, other.member_id, 20)
    resumed = events_stub.StreamEvents(
        request(after_sequence=item.heartbeat.sequence, event_types=[T.EVENT_TYPE_POINTS_EARNED]),
        metadata=internal,
    )
    assert points_of(await take_events(resumed, 1)) == [20]
    call.cancel()
    resumed.cancel()

    for seconds in (3, 301):
        await stream_fails(
            events_stub.StreamEvents(
                request(from_now=True, heartbeat_interval_seconds=seconds), metadata=internal
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "HEARTBEAT_INTERVAL_INVALID",
        )
        await stream_fails(
            events_stub.WatchMember(
                subscription_pb2.WatchMemberRequest(
                    member_id=member.member_id, heartbeat_interval_seconds=seconds
                ),
                metadata=internal,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "HEARTBEAT_INTERVAL_INVALID",
        )


async def test_shutdown_ends_open_streams_with_unavailable(
    tmp_path, database_url, server, events_stub, ledger_stub, internal
):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    stream = events_stub.StreamEvents(request(after_sequence=0), metadata=internal)
    (enrolled,) = await take_events(stream, 1)
    watch = events_stub.WatchMember(
        subscription_pb2.WatchMemberRequest(member_id=member.member_id), metadata=internal
    )
    assert (await next_item(watch)).WhichOneof("item") == "snapshot"
    await until(lambda: server.app.hub.subscriber_count == 2, what="both streams to subscribe")
    started = asyncio.get_running_loop().time()
    stopping = asyncio.create_task(server.stop(grace_s=1))
    info = await stream_fails(stream, grpc.StatusCode.UNAVAILABLE, "SERVER_SHUTTING_DOWN")
    await stream_fails(watch, grpc.StatusCode.UNAVAILABLE, "SERVER_SHUTTING_DOWN")
    # The streams ended themselves rather than being cut at the end of the grace period.
    assert asyncio.get_running_loop().time() - started < 1.0
    assert info.domain
    await stopping
    # A client resumes elsewhere from the last sequence it got: that cursor is still valid.
    async with running(tmp_path, database_url) as elsewhere:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{elsewhere.grpc_port}")
        async with channel:
            stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
            metadata = bearer(await service_token(elsewhere, Role.INTERNAL))
            resumed = stub.StreamEvents(request(after_sequence=enrolled.sequence), metadata=metadata)
            await earn(elsewhere, member.member_id, 5)
            (earned,) = await take_events(resumed, 1)
            assert earned.sequence > enrolled.sequence
            assert earned.points_earned.points == 5
            resumed.cancel()


async def test_cursors_ahead_expired_and_from_now(server, events_stub, ledger_stub, internal):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await write_events(server, member.member_id, range(1, 11))
    sequences = await stored_sequences(server)
    latest = sequences[-1]
    info = await stream_fails(
        events_stub.StreamEvents(request(after_sequence=latest + 1), metadata=internal),
        grpc.StatusCode.OUT_OF_RANGE,
        "CURSOR_AHEAD",
    )
    assert info.metadata["latest_sequence"] == str(latest)
    # The latest itself is a valid cursor: nothing until the next write.
    at_latest = events_stub.StreamEvents(request(after_sequence=latest), metadata=internal)
    hub = server.app.hub
    await until(lambda: hub.subscriber_count == 1, what="the stream at the latest to subscribe")

    # Retention deleted everything up to the 5th event (points 1-4 and the enrolment).
    pruned = sequences[4]
    await set_retention(server, pruned)
    info = await stream_fails(
        events_stub.StreamEvents(request(after_sequence=pruned - 1), metadata=internal),
        grpc.StatusCode.OUT_OF_RANGE,
        "CURSOR_EXPIRED",
    )
    assert info.metadata["oldest_cursor"] == str(pruned)
    at_pruned = events_stub.StreamEvents(request(after_sequence=pruned), metadata=internal)
    assert points_of(await take_events(at_pruned, 6)) == [5, 6, 7, 8, 9, 10]
    # Those came from the backlog; the stream subscribes to the hub after it. Let it, so its late
    # subscription cannot pass for the from_now stream's below.
    await until(lambda: hub.subscriber_count == 2, what="the pruned stream to go live")
    at_pruned.cancel()
    await until(lambda: hub.subscriber_count == 1, what="the cancelled stream to unsubscribe")

    # from_now starts with what is written after the call began, without the backlog.
    from_now = events_stub.StreamEvents(request(from_now=True), metadata=internal)
    await until(lambda: hub.subscriber_count == 2, what="the from_now stream to subscribe")
    await write_events(server, member.member_id, range(11, 13))
    assert points_of(await take_events(from_now, 2)) == [11, 12]
    assert points_of(await take_events(at_latest, 2)) == [11, 12]
    from_now.cancel()
    at_latest.cancel()


async def test_after_sequence_zero_starts_at_the_oldest_retained_event(
    server, events_stub, ledger_stub, internal
):
    """subscription.proto: "after_sequence ... 0 = from the oldest retained event"."""
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await write_events(server, member.member_id, range(1, 6))
    sequences = await stored_sequences(server)
    await set_retention(server, sequences[2])  # the enrolment and points 1-2 are gone
    call = events_stub.StreamEvents(request(after_sequence=0), metadata=internal)
    try:
        assert points_of(await take_events(call, 3)) == [3, 4, 5]
    finally:
        call.cancel()


# --- WatchMember and ListEvents -------------------------------------------------------------------


async def test_a_snapshot_names_every_event_it_reflects_when_the_hub_lags(
    server, events_stub, ledger_stub, internal, monkeypatch
):
    """The hub reads committed events a moment after the commit; a watch that starts in between
    must not name an older sequence than its balance reflects (a client resuming from it would be
    sent the earn again). The lag is forced here: the subscription starts at 0."""
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await earn(server, member.member_id, 100)
    hub = server.app.hub
    subscribe = hub.subscribe

    def lagging_subscribe(only):  # as if the hub had read nothing yet
        subscription = subscribe(only)
        subscription.start = 0
        return subscription

    monkeypatch.setattr(hub, "subscribe", lagging_subscribe)
    watch = events_stub.WatchMember(
        subscription_pb2.WatchMemberRequest(member_id=member.member_id), metadata=internal
    )
    try:
        first = (await next_item(watch)).snapshot
        assert first.balance.total_available_points == 100
        assert first.sequence >= (await stored_sequences(server, member_id=member.member_id))[-1]
    finally:
        watch.cancel()


async def test_watch_member_sends_a_snapshot_then_one_per_change_then_heartbeats(
    server, events_stub, ledger_stub, internal
):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    other = await enroll(ledger_stub, internal, loyalty_id="CARD-2")
    await earn(server, member.member_id, 100)
    watch = events_stub.WatchMember(
        subscription_pb2.WatchMemberRequest(member_id=member.member_id, heartbeat_interval_seconds=5),
        metadata=internal,
    )
    first = (await next_item(watch)).snapshot
    assert first.member_id == member.member_id
    assert first.cause == T.EVENT_TYPE_UNSPECIFIED
    assert first.balance.total_available_points == 100
    assert first.tier.ListFields(), "the tier status is part of the snapshot"
    assert first.HasField("snapshot_time")
    earned_before = (await stored_sequences(server, member_id=member.member_id))[-1]
    assert first.sequence >= earned_before

    await earn(server, other.member_id, 999)  # another member's change: no snapshot
    await earn(server, member.member_id, 50)
    item = await next_item(watch)
    assert item.WhichOneof("item") == "snapshot"
    second = item.snapshot
    assert second.cause == T.EVENT_TYPE_POINTS_EARNED
    assert second.balance.total_available_points == 150
    assert {c.currency: c.available_points for c in second.balance.currencies}["permanent"] == 150
    assert second.sequence == (await stored_sequences(server, member_id=member.member_id))[-1]
    assert second.sequence > first.sequence

    item = await next_item(watch, timeout_s=8)
    assert item.WhichOneof("item") == "heartbeat"
    assert item.heartbeat.sequence >= second.sequence
    watch.cancel()

    await stream_fails(
        events_stub.WatchMember(subscription_pb2.WatchMemberRequest(member_id="m_nobody"), metadata=internal),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )


async def test_list_events_pages_and_filters(tmp_path, database_url):
    clock = FakeClock(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC))
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=clock)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
            ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
            internal = bearer(await service_token(server, Role.INTERNAL))
            ann = await enroll(ledger, internal, loyalty_id="CARD-ANN")
            clock.advance(dt.timedelta(minutes=1))
            await earn(server, ann.member_id, 10)
            clock.advance(dt.timedelta(minutes=1))
            bob = await enroll(ledger, internal, loyalty_id="CARD-BOB")
            clock.advance(dt.timedelta(minutes=1))
            await earn(server, bob.member_id, 20)
            clock.advance(dt.timedelta(minutes=1))
            await earn(server, ann.member_id, 30)
            everything = await stored_sequences(server)
            assert len(everything) == 5

            pages = []
            token = ""
            while True:
                page = await stub.ListEvents(
                    subscription_pb2.ListEventsRequest(page_size=2, page_token=token), metadata=internal
                )
                pages.append(page)
                assert page.latest_sequence == everything[-1]
                token = page.next_page_token
                if not token:
                    break
            assert [len(page.events) for page in pages] == [2, 2, 1]
            assert [e.sequence for page in pages for e in page.events] == everything
            assert {e.tenant_code for page in pages for e in page.events} == {"default"}
            times = [e.event_time.ToDatetime(dt.UTC) for page in pages for e in page.events]
            assert times == [clock.now() - dt.timedelta(minutes=4 - i) for i in range(5)]

            def listing(**filters):
                return stub.ListEvents(subscription_pb2.ListEventsRequest(**filters), metadata=internal)

            earned = await listing(event_types=[T.EVENT_TYPE_POINTS_EARNED])
            assert points_of(earned.events) == [10, 20, 30]
            anns = await listing(member_id=ann.member_id)
            assert [e.sequence for e in anns.events] == [everything[0], everything[1], everything[4]]
            after = await listing(after_sequence=everything[2])
            assert [e.sequence for e in after.events] == everything[3:]
            # start_time is inclusive, end_time exclusive.
            third = pages[1].events[0].event_time
            since = await listing(start_time=third)
            assert [e.sequence for e in since.events] == everything[2:]
            before = await listing(end_time=third)
            assert [e.sequence for e in before.events] == everything[:2]
            window = await listing(
                start_time=pages[0].events[1].event_time, end_time=pages[2].events[0].event_time
            )
            assert [e.sequence for e in window.events] == everything[1:4]
            # Paging with filters, then the token reused with other filters.
            first = await listing(page_size=2, event_types=[T.EVENT_TYPE_POINTS_EARNED])
            assert points_of(first.events) == [10, 20]
            rest = await listing(
                page_size=2, event_types=[T.EVENT_TYPE_POINTS_EARNED], page_token=first.next_page_token
            )
            assert points_of(rest.events) == [30]
            assert rest.next_page_token == ""
            for changed in (
                {"event_types": [T.EVENT_TYPE_MEMBER_ENROLLED]},
                {"event_types": [T.EVENT_TYPE_POINTS_EARNED], "member_id": ann.member_id},
                {"event_types": [T.EVENT_TYPE_POINTS_EARNED], "after_sequence": 1},
                {"event_types": [T.EVENT_TYPE_POINTS_EARNED], "start_time": third},
            ):
                await fails(
                    listing(page_size=2, page_token=first.next_page_token, **changed),
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "PAGE_TOKEN_INVALID",
                )
            await fails(
                listing(page_token="not-a-token"), grpc.StatusCode.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID"
            )
    finally:
        await server.stop(grace_s=0)


# --- tenants and replicas -------------------------------------------------------------------------


async def test_tenants_never_see_each_others_events(server, channel, events_stub, ledger_stub, internal):
    app = server.app
    second = await create_tenant(app.engine, app.clock, "second", "Second store", DEMO_PROGRAM.read_text())
    await app.programs.refresh(app.engine)
    other = bearer(await service_token(server, Role.INTERNAL, tenant_id=second.id))

    stream_default = events_stub.StreamEvents(request(after_sequence=0), metadata=internal)
    stream_second = events_stub.StreamEvents(request(after_sequence=0), metadata=other)
    ann = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    zoe = await enroll(ledger_stub, other, loyalty_id="CARD-1")  # the same card number, another tenant
    bob = await enroll(ledger_stub, internal, loyalty_id="CARD-2")
    yan = await enroll(ledger_stub, other, loyalty_id="CARD-2")

    got_default = await take_events(stream_default, 2)
    got_second = await take_events(stream_second, 2)
    assert [e.member.member_id for e in got_default] == [ann.member_id, bob.member_id]
    assert [e.member.member_id for e in got_second] == [zoe.member_id, yan.member_id]
    assert {e.tenant_code for e in got_default} == {"default"}
    assert {e.tenant_code for e in got_second} == {"second"}
    # Nothing of the other tenant slipped in between: the next event of each is its own next write.
    await earn(server, ann.member_id, 1)
    await enroll(ledger_stub, other, loyalty_id="CARD-3")
    assert (await take_events(stream_default, 1))[0].points_earned.points == 1
    (third,) = await take_events(stream_second, 1)
    assert (third.member.loyalty_id, third.tenant_code) == ("CARD-3", "second")
    stream_default.cancel()
    stream_second.cancel()

    listed_default = await list_all(events_stub, internal)
    listed_second = await list_all(events_stub, other)
    assert [e.sequence for e in listed_default] == await stored_sequences(server)
    assert [e.sequence for e in listed_second] == await stored_sequences(server, tenant_id=second.id)
    assert not {e.sequence for e in listed_default} & {e.sequence for e in listed_second}
    assert {e.tenant_code for e in listed_second} == {"second"}
    # Another tenant's member is not found, whether streamed, listed or watched.
    await stream_fails(
        events_stub.StreamEvents(request(after_sequence=0, member_id=ann.member_id), metadata=other),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )
    await fails(
        events_stub.ListEvents(
            subscription_pb2.ListEventsRequest(member_id=zoe.member_id), metadata=internal
        ),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )
    await stream_fails(
        events_stub.WatchMember(subscription_pb2.WatchMemberRequest(member_id=ann.member_id), metadata=other),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )


async def _listening_backends(server: LoyaltyServer) -> int:
    async with server.app.engine.connect() as connection:
        query = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query ILIKE 'LISTEN %'"
        )
        return int((await connection.execute(query)).scalar_one())


async def test_a_replica_sees_events_written_through_another_at_once(tmp_path, database_url):
    if "postgresql" not in database_url:
        pytest.skip("replicas share a PostgreSQL database; SQLite serves one process")
    # A polls only every 10 s: seeing B's writes within 5 s proves the LISTEN/NOTIFY wake-up.
    async with (
        running(tmp_path, database_url, event_poll_interval_ms=10_000) as a,
        running(tmp_path, database_url, event_poll_interval_ms=10_000) as b,
        grpc.aio.insecure_channel(f"127.0.0.1:{a.grpc_port}") as channel_a,
        grpc.aio.insecure_channel(f"127.0.0.1:{b.grpc_port}") as channel_b,
    ):
        assert a.grpc_port != b.grpc_port
        assert a.app.engine is not b.app.engine
        assert a.app.hub is not b.app.hub
        # Both hubs are listening (the listener is set up in the background after start).
        listening = 0

        async def both_listening() -> bool:
            nonlocal listening
            listening = await _listening_backends(a)
            return listening >= 2

        async with asyncio.timeout(5):
            while not await both_listening():  # noqa: ASYNC110 (a query, not an event)
                await asyncio.sleep(0.01)

        token = await service_token(b, Role.INTERNAL)
        stream = subscription_pb2_grpc.SubscriptionServiceStub(channel_a).StreamEvents(
            request(from_now=True), metadata=bearer(token)
        )
        await until(lambda: a.app.hub.subscriber_count == 1, what="the stream on A to subscribe")
        ledger_b = ledger_pb2_grpc.LedgerServiceStub(channel_b)
        members = [await enroll(ledger_b, bearer(token), loyalty_id=f"CARD-{i}") for i in range(3)]
        started = asyncio.get_running_loop().time()
        got = await take_events(stream, 3, timeout_s=5)
        assert asyncio.get_running_loop().time() - started < 5
        assert [e.member.member_id for e in got] == [m.member_id for m in members]
        assert [e.sequence for e in got] == await stored_sequences(a)
        # And the other way round, live, one at a time.
        back = subscription_pb2_grpc.SubscriptionServiceStub(channel_b).StreamEvents(
            request(from_now=True), metadata=bearer(token)
        )
        await until(lambda: b.app.hub.subscriber_count == 1, what="the stream on B to subscribe")
        carl = await enroll(ledger_pb2_grpc.LedgerServiceStub(channel_a), bearer(token), loyalty_id="CARD-A")
        assert (await take_events(back, 1, timeout_s=5))[0].member.member_id == carl.member_id
        assert (await take_events(stream, 1, timeout_s=5))[0].member.member_id == carl.member_id
        stream.cancel()
        back.cancel()


# --- batches ----------------------------------------------------------------------------------------


async def take_batched(call, count: int, *, timeout_s: float = 10.0) -> list[list[subscription_pb2.Event]]:
    """The batches of a batched stream until `count` events came (heartbeats skipped)."""
    batches: list[list[subscription_pb2.Event]] = []
    async with asyncio.timeout(timeout_s):
        while sum(len(batch) for batch in batches) < count:
            item = await call.read()
            assert item is not grpc.aio.EOF, "the stream ended"
            assert item.WhichOneof("item") in ("batch", "heartbeat"), "a batched stream sends no lone event"
            if item.WhichOneof("item") == "batch":
                batches.append(list(item.batch.events))
    return batches


async def test_a_batched_stream_sends_the_same_events_fewer_messages(
    server, events_stub, ledger_stub, internal
):
    member = await enroll(ledger_stub, internal, loyalty_id="CARD-1")
    await write_events(server, member.member_id, range(1, 1201), per_commit=400)  # backlog: pages of 500
    single = events_stub.StreamEvents(request(after_sequence=0), metadata=internal)
    batched = events_stub.StreamEvents(
        request(after_sequence=0, max_events_per_message=100), metadata=internal
    )
    backlog = 1201  # the enrolment and the points
    expected = await take_events(single, backlog)
    batches = await take_batched(batched, backlog)
    assert all(1 <= len(batch) <= 100 for batch in batches)
    assert len(batches) <= 20  # 500-event pages cut in hundreds, not one message per event
    assert [e.sequence for batch in batches for e in batch] == [e.sequence for e in expected]
    assert [e for batch in batches for e in batch] == expected  # the same events, byte for byte
    # Live: whatever is ready together goes together, in order, nothing lost or repeated.
    await write_events(server, member.member_id, range(1, 301), per_commit=50)
    live = await take_batched(batched, 300)
    assert points_of([e for batch in live for e in batch]) == list(range(1, 301))
    assert len(live) < 300
    single.cancel()
    batched.cancel()


@pytest.mark.parametrize("per_message", [-1, 1001])
async def test_events_per_message_out_of_range_is_refused(events_stub, internal, per_message):
    call = events_stub.StreamEvents(
        request(from_now=True, max_events_per_message=per_message), metadata=internal
    )
    await stream_fails(call, grpc.StatusCode.INVALID_ARGUMENT, "EVENTS_PER_MESSAGE_INVALID")
