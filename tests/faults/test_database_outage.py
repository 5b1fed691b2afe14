"""PostgreSQL goes away under a running server, then comes back.

On a cluster of the test's own (tests/faults/private_postgres.py; the shared one is never stopped), a
client writes in a loop with no retries of its own while the cluster is stopped (`pg_ctl stop -m
immediate`). Every call then answers UNAVAILABLE with the reason DATABASE_UNAVAILABLE and a RetryInfo
— never INTERNAL, never a hang — and the health service still answers (SERVING: the process is
fine and says what is wrong call by call; see the README). Once the cluster is started again the same
server serves again by itself, the refused writes are sent again with their request ids, and the
tables prove that nothing was half-written or written twice: each request id is one transaction, the
balance is the sum of the writes, the ledger invariants hold.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from loyalty.client import LoyaltyClient, RetryPolicy, Unavailable, new_request_id
from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.support import (
    CURRENCY,
    points_by_member,
    refusal_of,
    transactions_per_request_id,
    write_program,
)
from tests.ledger_invariants import check_invariants
from tests.support import make_settings, service_account

NO_RETRY = RetryPolicy(attempts_max=1)  # the test sees each answer as the server gave it
CALL_DEADLINE_S = 10.0
ANSWER_BOUND_S = 3.0  # an outage is answered at once, not after a deadline
WRITES_BEFORE_STOP = 5  # answered before the database is stopped: writes are under way
REFUSALS_MIN = 3  # calls refused while the database is down before it is started again
RECOVERY_TIMEOUT_S = 15.0
POLL_S = 0.1
TEST_TIMEOUT_S = 40


@dataclass
class Writes:
    """Credits of 1, 2, 3… points, each with its own request id, and what each call answered."""

    member_id: str
    request_ids: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    slowest_s: float = 0.0

    def points_of(self, index: int) -> int:
        return index + 1

    @property
    def intended_points(self) -> int:
        return sum(self.points_of(index) for index in range(len(self.request_ids)))


async def credit(client: LoyaltyClient, writes: Writes, request_id: str) -> None:
    points = writes.points_of(writes.request_ids.index(request_id))
    await client.ledger.AdjustPoints(
        ledger_pb2.AdjustPointsRequest(
            member=common_pb2.MemberRef(member_id=writes.member_id),
            currency=CURRENCY,
            points=points,
            reason_code="GOODWILL",
            reason="outage test credit",
            request_id=request_id,
        )
    )


async def write_until_refused(client: LoyaltyClient, writes: Writes, under_way: asyncio.Event) -> None:
    """Write until the database has been down for REFUSALS_MIN refusals; each refusal must be the
    outage's UNAVAILABLE, answered within ANSWER_BOUND_S."""
    while len(writes.refused) < REFUSALS_MIN:
        request_id = new_request_id("outage-")
        writes.request_ids.append(request_id)
        started = time.monotonic()
        refusal = await refusal_of(credit(client, writes, request_id))
        writes.slowest_s = max(writes.slowest_s, time.monotonic() - started)
        if refusal is None:
            assert not writes.refused, "a write succeeded between two refusals while the database was down"
        else:
            assert isinstance(refusal, Unavailable), refusal
            assert refusal.reason == "DATABASE_UNAVAILABLE", refusal
            assert refusal.retry_delay is not None
            assert refusal.retry_delay.total_seconds() >= 1
            writes.refused.append(request_id)
        if len(writes.request_ids) == WRITES_BEFORE_STOP:
            under_way.set()


@pytest.mark.postgres
@pytest.mark.timeout(TEST_TIMEOUT_S)
async def test_postgres_stopped_means_unavailable_and_the_server_recovers_by_itself(
    tmp_path, private_postgres: PrivatePostgres
) -> None:
    cluster = private_postgres
    admin = await asyncpg.connect(cluster.url("postgres"))
    await admin.execute('CREATE DATABASE "loyalty"')
    await admin.close()
    url = cluster.url("loyalty")
    settings = make_settings(tmp_path, url, program=str(write_program(tmp_path)))
    server = LoyaltyServer(settings)
    await server.start()
    engine = create_engine(url)
    try:
        client_id, secret = await service_account(server, Role.ADMIN)
        async with LoyaltyClient(
            f"127.0.0.1:{server.grpc_port}",
            client_id=client_id,
            client_secret=secret,
            deadline_s=CALL_DEADLINE_S,
            retry=NO_RETRY,
        ) as client:
            enrolled = await client.ledger.EnrollMember(
                ledger_pb2.EnrollMemberRequest(
                    member=common_pb2.Member(email="outage@example.com"), request_id=new_request_id()
                )
            )
            writes = Writes(enrolled.member.member_id)
            under_way = asyncio.Event()
            writer = asyncio.create_task(write_until_refused(client, writes, under_way))
            waiting = asyncio.ensure_future(under_way.wait())
            await asyncio.wait([writer, waiting], return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if writer.done():
                writer.result()  # it failed before the outage: its error, not a silent pass
                pytest.fail("the writer stopped before the database did")
            await asyncio.to_thread(cluster.stop_immediately)
            await writer
            assert writes.slowest_s < ANSWER_BOUND_S

            # Reads are refused the same way; health still answers, at once.
            started = time.monotonic()
            with pytest.raises(Unavailable) as read_refused:
                await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=writes.member_id))
            assert read_refused.value.reason == "DATABASE_UNAVAILABLE"
            assert await health_status(server.grpc_port) == health_pb2.HealthCheckResponse.SERVING
            assert time.monotonic() - started < ANSWER_BOUND_S

            await asyncio.to_thread(cluster.start)
            await wait_until_serving(client, writes.member_id)
            for request_id in writes.refused:  # the client's retry, later: same request ids
                await credit(client, writes, request_id)
        await assert_each_write_once(engine, writes)
    finally:
        await engine.dispose()
        await server.stop(grace_s=0)


async def health_status(port: int) -> health_pb2.HealthCheckResponse.ServingStatus:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=ANSWER_BOUND_S
        )
        return reply.status


async def wait_until_serving(client: LoyaltyClient, member_id: str) -> None:
    """The same server process answers again once the database is back: no restart, no operator."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while True:
        try:
            await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member_id))
            return
        except Unavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(POLL_S)


async def assert_each_write_once(engine, writes: Writes) -> None:  # type: ignore[no-untyped-def]
    await check_invariants(engine)
    counts = await transactions_per_request_id(engine, writes.request_ids)
    assert {request_id: counts.get(request_id, 0) for request_id in writes.request_ids} == dict.fromkeys(
        writes.request_ids, 1
    )
    assert (await points_by_member(engine))[writes.member_id] == writes.intended_points
