"""Real `loyalty serve` processes: a server killed with SIGKILL in the middle of a webhook attempt
has the attempt made again after a restart (same webhook-id), and two replicas on one PostgreSQL
each stream every event written through either and make each webhook attempt exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc, subscription_pb2, subscription_pb2_grpc
from loyalty_server.auth import oauth
from loyalty_server.auth.service_accounts import AccountSpec, create_account
from loyalty_server.auth.setup import auth_deps, open_key_store
from loyalty_server.clock import SystemClock
from loyalty_server.config import DEMO_PROGRAM, Settings
from loyalty_server.events.feed import latest_sequence
from loyalty_server.events.outbox import append_event
from loyalty_server.principal import Role
from loyalty_server.program.loader import load_program_document
from loyalty_server.storage.engine import create_engine, write_transaction
from loyalty_server.tenancy import ensure_default_tenant
from loyalty_server.webhooks.endpoints import Endpoints, Owner
from loyalty_server.webhooks.sealing import SecretBox
from loyalty_server.webhooks.signing import verify
from loyalty_server.webhooks.tables import webhook_attempts, webhook_deliveries
from loyalty_server.webhooks.urls import UrlPolicy
from tests.integration.test_cli import ServeProcess
from tests.support import bearer
from tests.webhook_receiver import Answer, Receiver, running_receiver

pb = subscription_pb2
WEBHOOK_ENV = {
    "LOYALTY_WEBHOOK_ALLOW_HTTP": "true",
    "LOYALTY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "LOYALTY_WEBHOOK_POLL_INTERVAL_S": "0.1",
    "LOYALTY_WEBHOOK_TIMEOUT_S": "2",
    "LOYALTY_WEBHOOK_LEASE_S": "3",
    "LOYALTY_EVENT_POLL_INTERVAL_MS": "100",
}


async def started(tmp_path: Path, database_url: str) -> tuple[ServeProcess, int]:
    serve = ServeProcess(tmp_path, database_url, **WEBHOOK_ENV)
    line = await asyncio.to_thread(serve.wait_for, "serving")
    return serve, int(line["grpc_port"])


async def register(engine: AsyncEngine, data_dir: Path, receiver: Receiver) -> str:
    """An endpoint for every event of the default tenant, made the way the servicer makes it."""
    clock = SystemClock()
    tenant = await ensure_default_tenant(engine, clock)
    endpoints = Endpoints(
        engine, clock, SecretBox.open(data_dir), UrlPolicy.from_settings(True, "127.0.0.0/8")
    )
    _, secret = await endpoints.create(
        Owner(tenant.id), url=receiver.url, event_types=(), description="", enabled=True, request_id="e1"
    )
    return secret


async def write_event(engine: AsyncEngine) -> None:
    clock = SystemClock()
    tenant = await ensure_default_tenant(engine, clock)
    event = pb.Event(type=pb.EVENT_TYPE_POINTS_EARNED)
    event.member.member_id = "m-1"
    event.points_earned.points = 5
    async with write_transaction(engine) as connection:
        await append_event(connection, clock, tenant_id=tenant.id, event=event)


async def test_a_server_killed_mid_delivery_sends_it_again_after_a_restart(tmp_path, database_url) -> None:
    engine = create_engine(database_url)
    first, _ = await started(tmp_path, database_url)
    try:
        async with running_receiver() as receiver:
            receiver.script = [Answer(204, delay_s=10)]  # the first attempt hangs: the server dies in it
            secret = await register(engine, tmp_path / "data", receiver)
            await write_event(engine)
            (hung,) = await receiver.wait_for(1)
            first.process.kill()  # SIGKILL: no chance to record or release anything
            await asyncio.to_thread(first.process.wait, 10)
            second, _ = await started(tmp_path, database_url)
            try:
                _, again = await receiver.wait_for(2, timeout_s=15)  # once the lease has run out
                assert again.message_id == hung.message_id
                verify(secret, again.headers, again.body, now_s=int(time.time()))

                async def delivered() -> bool:
                    async with engine.connect() as connection:
                        status = (await connection.execute(select(webhook_deliveries.c.status))).scalar_one()
                    return status == "succeeded"

                await poll(delivered)
                async with engine.connect() as connection:
                    attempts = (await connection.execute(select(webhook_attempts))).mappings().all()
                # The killed attempt left no record: only the one that finished is logged.
                assert [(a["attempt_number"], a["http_status"]) for a in attempts] == [(1, 204)]
            finally:
                second.stop()
    finally:
        first.stop()
        await engine.dispose()


async def poll(check, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout_s} s")


async def mint_token(engine: AsyncEngine, data_dir: Path, database_url: str) -> str:
    """An internal service token signed with the replicas' shared keys (the data dir)."""
    clock = SystemClock()
    settings = Settings(data_dir=str(data_dir), database_url=database_url)
    tenant = await ensure_default_tenant(engine, clock)
    spec = AccountSpec("replica test", "", Role.INTERNAL, [], False, 0)
    async with write_transaction(engine) as connection:
        account, secret = await create_account(connection, tenant_id=tenant.id, spec=spec, now=clock.now())
    program, _ = load_program_document(DEMO_PROGRAM)
    deps = auth_deps(engine, clock, settings, open_key_store(settings, clock), program)
    request = oauth.TokenRequest(
        grant_type=oauth.CLIENT_CREDENTIALS, client_id=account.client_id, client_secret=secret
    )
    return (await oauth.exchange_token(deps, request)).access.token


async def test_two_replicas_on_one_postgresql_share_streams_and_webhooks(tmp_path, database_url) -> None:
    if "postgresql" not in database_url:
        pytest.skip("replicas share a PostgreSQL server; SQLite is one process's embedded database")
    engine = create_engine(database_url)
    a, port_a = await started(tmp_path, database_url)
    b, port_b = await started(tmp_path, database_url)
    try:
        async with (
            running_receiver() as receiver,
            grpc.aio.insecure_channel(f"127.0.0.1:{port_a}") as channel_a,
            grpc.aio.insecure_channel(f"127.0.0.1:{port_b}") as channel_b,
        ):
            await register(engine, tmp_path / "data", receiver)
            metadata = bearer(await mint_token(engine, tmp_path / "data", database_url))
            async with engine.connect() as connection:
                start = await latest_sequence(connection)  # a cursor: no race with the first write
            request = pb.StreamEventsRequest(
                after_sequence=start, event_types=[pb.EVENT_TYPE_MEMBER_ENROLLED]
            )
            streams = [
                subscription_pb2_grpc.SubscriptionServiceStub(channel).StreamEvents(
                    request, metadata=metadata
                )
                for channel in (channel_a, channel_b)
            ]
            count = 20
            ledgers = [ledger_pb2_grpc.LedgerServiceStub(c) for c in (channel_a, channel_b)]
            for index in range(count):  # alternately through each replica
                enroll = ledger_pb2.EnrollMemberRequest(
                    member=common_pb2.Member(loyalty_id=f"CARD-{index}"), request_id=str(uuid.uuid4())
                )
                await ledgers[index % 2].EnrollMember(enroll, metadata=metadata)
            seen = [await read_events(stream, count) for stream in streams]
            assert seen[0] == seen[1], "both replicas stream the same events in the same order"
            assert sorted(seen[0]) == seen[0]
            assert len(set(seen[0])) == count
            got = await receiver.wait_for(count, timeout_s=15)

            async def all_succeeded() -> bool:
                async with engine.connect() as connection:
                    statuses = (await connection.execute(select(webhook_deliveries.c.status))).scalars().all()
                return len(statuses) == count and set(statuses) == {"succeeded"}

            await poll(all_succeeded)
            got = receiver.received
            assert len(got) == count, "each attempt made once across replicas"
            assert len({r.message_id for r in got}) == count
            for stream in streams:
                stream.cancel()
    finally:
        a.stop()
        b.stop()
        await engine.dispose()


async def read_events(stream, count: int) -> list[int]:
    sequences: list[int] = []
    async with asyncio.timeout(15):
        while len(sequences) < count:
            item = await stream.read()
            assert item is not grpc.aio.EOF
            if item.WhichOneof("item") == "event":
                sequences.append(item.event.sequence)
    return sequences
