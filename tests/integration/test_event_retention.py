"""The outbox over time, on SQLite and PostgreSQL: retention deletes old events (with their webhook
deliveries) and expires older cursors; erasure strips a member's personal data from every event,
stored or written in the erasing transaction."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from sqlalchemy import func, select, update

from loyalty.v1 import ledger_pb2, ledger_pb2_grpc, subscription_pb2
from loyalty_server.clock import FakeClock
from loyalty_server.errors import DomainError
from loyalty_server.events.follow import pruned_through, start_cursor
from loyalty_server.events.outbox import append_event
from loyalty_server.events.retention import prune_events
from loyalty_server.events.tables import outbox_cursors
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import events
from loyalty_server.webhooks.endpoints import Owner
from loyalty_server.webhooks.relay import relay_round
from loyalty_server.webhooks.relay_cursor import RELAY_CURSOR
from loyalty_server.webhooks.tables import webhook_deliveries
from tests.integration.test_auth_flow import Flow
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    server = LoyaltyServer(
        make_settings(
            tmp_path,
            database_url,
            event_retention_days=30,
            webhook_allow_http=True,
            webhook_allowed_networks="127.0.0.0/8",
        ),
        clock=clock,
    )
    await server.start()
    yield server
    await server.stop(grace_s=0)


async def write(server: LoyaltyServer, count: int) -> None:
    app = server.app
    assert app is not None
    async with write_transaction(app.engine) as connection:
        for points in range(count):
            event = subscription_pb2.Event(type=subscription_pb2.EVENT_TYPE_POINTS_EARNED)
            event.member.member_id = "m-1"
            event.points_earned.points = points
            await append_event(connection, app.clock, tenant_id=app.default_tenant.id, event=event)


async def sequences(server: LoyaltyServer) -> list[int]:
    async with server.app.engine.connect() as connection:  # type: ignore[union-attr]
        return list(
            (await connection.execute(select(events.c.sequence).order_by(events.c.sequence))).scalars()
        )


async def test_retention_deletes_old_events_and_expires_older_cursors(server, clock) -> None:
    engine = server.app.engine
    await write(server, 3)
    old = await sequences(server)
    clock.advance(dt.timedelta(days=31))
    await write(server, 2)
    recent = [s for s in await sequences(server) if s not in old]
    endpoint_pk = await _endpoint_pk(server)
    async with write_transaction(engine) as connection:  # a delivery of an old event goes with it
        await connection.execute(
            webhook_deliveries.insert().values(
                delivery_id="whd_x",
                message_id="msg_x",
                tenant_id=server.app.default_tenant.id,
                endpoint_pk=endpoint_pk,
                event_sequence=old[0],
                event_type="points.earned",
                status="failed",
                attempt_count=1,
                retry_started_at=NOW,
                manual=False,
                created_at=NOW,
            )
        )
    await relayed(server)
    assert await prune_events(engine, clock, retention_days=30) == 3
    assert await sequences(server) == recent
    async with engine.connect() as connection:
        assert await pruned_through(connection) == old[-1]
        assert (await connection.execute(select(func.count()).select_from(webhook_deliveries))).scalar() == 0
        with pytest.raises(DomainError) as expired:
            await start_cursor(connection, old[0])
        assert expired.value.reason == "CURSOR_EXPIRED"
        assert await start_cursor(connection, old[-1]) == old[-1]  # nothing after it was lost
    # Nothing is old enough any more; a second round deletes nothing.
    assert await prune_events(engine, clock, retention_days=30) == 0


async def test_retention_never_deletes_the_newest_event(server, clock) -> None:
    await write(server, 2)
    before = await sequences(server)
    clock.advance(dt.timedelta(days=40))
    await relayed(server)
    assert await prune_events(server.app.engine, clock, retention_days=30) == len(before) - 1
    assert await sequences(server) == before[-1:]


async def relayed(server: LoyaltyServer) -> None:
    """Retention waits for the webhook relay; let it catch up now rather than on its next poll."""
    while (await relay_round(server.app.engine, server.app.clock))[0]:  # type: ignore[union-attr]
        pass


async def test_retention_waits_for_the_webhook_relay(server, clock) -> None:
    engine = server.app.engine
    # Only this test moves the relay: the server's own relay would catch up behind our back.
    await server.app.webhooks.worker.stop()
    await write(server, 3)
    await relayed(server)
    async with write_transaction(engine) as connection:  # as if the relay had fallen behind
        await connection.execute(
            update(outbox_cursors).where(outbox_cursors.c.name == RELAY_CURSOR).values(sequence=0)
        )
    clock.advance(dt.timedelta(days=31))
    await write(server, 1)
    assert await prune_events(engine, clock, retention_days=30) == 0


async def _endpoint_pk(server: LoyaltyServer) -> int:
    endpoints = server.app.webhooks.endpoints  # type: ignore[union-attr]
    created, _ = await endpoints.create(
        Owner(server.app.default_tenant.id),  # type: ignore[union-attr]
        url="http://127.0.0.1:9/hooks",
        event_types=(),
        description="",
        enabled=False,
        request_id=str(uuid.uuid4()),
    )
    return created.pk


async def test_erasure_strips_personal_data_from_every_event(server) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        flow = await Flow(server, channel).setup()
        # A connected partner: the erasure revokes its grant, and that event is written in the
        # erasing transaction itself.
        _, _, member_id, _ = await flow.connected()
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        admin = bearer(await service_token(server, Role.ADMIN))
        member = (
            await ledger.GetMember(ledger_pb2.GetMemberRequest(member_id=member_id), metadata=admin)
        ).member
        await ledger.EraseMember(
            ledger_pb2.EraseMemberRequest(member_id=member_id, reason="GDPR request", request_id="erase-1"),
            metadata=admin,
        )
    async with server.app.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(events.c.type, events.c.payload).where(events.c.member_id == member_id)
            )
        ).all()
    types = [row.type for row in rows]
    assert {"member.enrolled", "partner.connected", "partner.disconnected", "member.erased"} <= set(types)
    for row in rows:
        stored = subscription_pb2.Event.FromString(bytes(row.payload))
        assert stored.member == subscription_pb2.EventMember(member_id=member_id), row.type
        assert b"@example.com" not in bytes(row.payload)
        assert member.loyalty_id.encode() not in bytes(row.payload)
