"""kill -9 of the server in the middle of a write load, then a restart on the same port.

Several LoyaltyClients write at once (adjustments, purchases, redemptions of known amounts, each with
a request id of its own) to a `loyalty serve` process, which is SIGKILLed while calls are in flight;
a new server is started on the same port, database and data dir. The clients' retries (same request
id) carry every write through. The tables then prove that nothing was lost and nothing counted
twice: each request id is one ledger transaction, each member holds exactly what its client meant,
and the ledger invariants hold.

It fails if retries were off (a call in flight at the kill raises UNAVAILABLE), if a replay after a
lost answer were written again (a request id with two transactions, a balance too high), or if a
commit the client saw succeed were lost in the crash (a request id with none).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.client import LoyaltyClient, new_request_id
from loyalty.v1 import activity_pb2, common_pb2, ledger_pb2
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine
from tests.faults.support import (
    CURRENCY,
    PATIENT_RETRY,
    QUICK_RECONNECT,
    credentials,
    free_port,
    points_by_member,
    purchase_time,
    serve,
    transactions_per_request_id,
    write_program,
)
from tests.ledger_invariants import check_invariants
from tests.support import make_settings

CLIENTS = 4  # concurrent writers, one member each (so a redemption never races another client)
OPS_PER_CLIENT = 8
KILL_AFTER_OPS = 12  # writes answered (all clients together) before the kill: over a third of the load
DOWN_S = 0.3  # how long the server stays dead before it is started again
CALL_DEADLINE_S = 5.0
KILL_WAIT_S = 5
TEST_TIMEOUT_S = 40


@dataclass
class Plan:
    """One client's writes, decided up front: what the member should hold at the end is known."""

    member_id: str
    # (kind, points), kind: adjust | purchase (1 point per 1.00) | redeem
    writes: list[tuple[str, int]] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)

    @property
    def intended_points(self) -> int:
        return sum(-points if kind == "redeem" else points for kind, points in self.writes)


def make_plan(member_id: str, rng: random.Random) -> Plan:
    plan = Plan(member_id)
    balance = 0
    for _ in range(OPS_PER_CLIENT):
        kind = rng.choice(["adjust", "purchase", "redeem"]) if balance >= 10 else "adjust"
        points = rng.randint(1, balance) if kind == "redeem" else rng.randint(1, 50)
        balance += -points if kind == "redeem" else points
        plan.writes.append((kind, points))
        plan.request_ids.append(new_request_id("kill-"))
    return plan


@dataclass
class Clients:
    admin: LoyaltyClient  # adjustments are an admin's
    pos: LoyaltyClient  # enrolments, purchases and redemptions a point of sale's


async def write(clients: Clients, plan: Plan, index: int) -> None:
    kind, points = plan.writes[index]
    request_id = plan.request_ids[index]
    member = common_pb2.MemberRef(member_id=plan.member_id)
    if kind == "adjust":
        await clients.admin.ledger.AdjustPoints(
            ledger_pb2.AdjustPointsRequest(
                member=member,
                currency=CURRENCY,
                points=points,
                reason_code="GOODWILL",
                reason="fault test credit",
                request_id=request_id,
            )
        )
    elif kind == "purchase":
        request = activity_pb2.RecordPurchaseRequest(
            request_id=request_id,
            order_id=request_id,
            member=member,
            currency_code="EUR",
            items=[activity_pb2.PurchaseItem(sku="sku-1", quantity=1, amount_minor=points * 100)],
        )
        request.purchase_time.FromDatetime(purchase_time())
        await clients.pos.activity.RecordPurchase(request)
    else:
        await clients.pos.ledger.Redeem(
            ledger_pb2.RedeemRequest(member=member, currency=CURRENCY, points=points, request_id=request_id)
        )


@pytest.mark.timeout(TEST_TIMEOUT_S)
async def test_kill_9_mid_load_loses_nothing_and_counts_nothing_twice(tmp_path, database_url) -> None:
    port = free_port()
    program = write_program(tmp_path)
    killed = serve(tmp_path, database_url, port, program)
    # The restart: a new server on the same port, database and data dir (signing keys). It runs in
    # this process, which has the code loaded already: seconds sooner than a second `loyalty serve`.
    restarted = LoyaltyServer(
        make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}", program=str(program))
    )
    engine = create_engine(database_url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients = Clients(
                *[
                    await stack.enter_async_context(await connect(engine, port, role))
                    for role in (Role.ADMIN, Role.POS)
                ]
            )
            rng = random.Random(9)
            plans = [make_plan(await enroll(clients.pos, n), rng) for n in range(CLIENTS)]
            answered = in_flight = 0
            enough = asyncio.Event()

            async def run(plan: Plan) -> None:
                nonlocal answered, in_flight
                for index in range(OPS_PER_CLIENT):
                    in_flight += 1
                    await write(clients, plan, index)
                    in_flight -= 1
                    answered += 1
                    if answered >= KILL_AFTER_OPS:
                        enough.set()

            load = asyncio.ensure_future(asyncio.gather(*(run(plan) for plan in plans)))
            waiting = asyncio.ensure_future(enough.wait())
            await asyncio.wait([load, waiting], return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if load.done():
                load.result()  # a write failed before the kill: its error, not a silent pass
                pytest.fail("the load finished before the kill: make it longer")
            in_flight_at_kill = in_flight
            killed.process.send_signal(signal.SIGKILL)
            killed.process.wait(timeout=KILL_WAIT_S)
            await asyncio.sleep(DOWN_S)
            await restarted.start()
            await load
        # The kill came mid-load: calls were in flight, so some met a dying server.
        assert in_flight_at_kill > 0
        await assert_each_write_once(engine, plans)
    finally:
        killed.stop()
        await restarted.stop(grace_s=0)
        await engine.dispose()


async def connect(engine: AsyncEngine, port: int, role: Role) -> LoyaltyClient:
    client_id, secret = await credentials(engine, role)
    return LoyaltyClient(
        f"127.0.0.1:{port}",
        client_id=client_id,
        client_secret=secret,
        deadline_s=CALL_DEADLINE_S,
        retry=PATIENT_RETRY,
        channel_options=QUICK_RECONNECT,
    )


async def enroll(client: LoyaltyClient, number: int) -> str:
    reply = await client.ledger.EnrollMember(
        ledger_pb2.EnrollMemberRequest(
            member=common_pb2.Member(email=f"kill{number}@example.com"), request_id=new_request_id()
        )
    )
    return reply.member.member_id


async def assert_each_write_once(engine: AsyncEngine, plans: list[Plan]) -> None:
    await check_invariants(engine)
    request_ids = [request_id for plan in plans for request_id in plan.request_ids]
    counts = await transactions_per_request_id(engine, request_ids)
    lost = [request_id for request_id in request_ids if counts.get(request_id, 0) == 0]
    twice = {request_id: count for request_id, count in counts.items() if count > 1}
    assert lost == [], f"{len(lost)} answered writes are not in the ledger"
    assert twice == {}, f"writes counted more than once: {twice}"
    held = await points_by_member(engine)
    assert {plan.member_id: held[plan.member_id] for plan in plans} == {
        plan.member_id: plan.intended_points for plan in plans
    }
