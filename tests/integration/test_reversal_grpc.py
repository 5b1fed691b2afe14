"""ReversePoints, AdjustPoints and TransferPoints over gRPC, through a real server with an admin token;
a POS token may not adjust."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import timestamp_pb2

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.integration.test_auth_flow import fails
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url), services=loyalty_services())
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def stub(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield ledger_pb2_grpc.LedgerServiceStub(channel)


@pytest.fixture
async def admin(server):
    return bearer(await service_token(server, Role.ADMIN))


async def enroll(stub, admin) -> str:
    request = ledger_pb2.EnrollMemberRequest(request_id=uuid.uuid4().hex)
    return (await stub.EnrollMember(request, metadata=admin, timeout=10)).member.member_id


async def earn_for_order(server, member_id: str, points: int, order_id: str) -> None:
    app = server.app
    entry = Entry(origin_type="purchase", origin_id=order_id, reason_code="PURCHASE", request_id=order_id)
    await app.ledger.earn(
        app.default_tenant.id,
        member_id,
        currency="permanent",
        points=points,
        source_id="purchase",
        entry=entry,
    )


def ref(member_id: str) -> common_pb2.MemberRef:
    return common_pb2.MemberRef(member_id=member_id)


async def test_reverse_points_of_an_order(server, stub, admin) -> None:
    member_id = await enroll(stub, admin)
    await earn_for_order(server, member_id, 100, "order-1")
    origin = common_pb2.OriginRef(type=common_pb2.ORIGIN_TYPE_PURCHASE, id="order-1")
    half = ledger_pb2.ReversePointsRequest(
        origin=origin,
        proportion=ledger_pb2.Proportion(numerator=1, denominator=4),
        reason_code="RETURN",
        request_id="r1",
    )
    reversed_ = await stub.ReversePoints(half, metadata=admin, timeout=10)
    assert (reversed_.points_reversed, reversed_.debt_points) == (25, 0)
    (transaction,) = reversed_.transactions
    assert (transaction.type, transaction.points, transaction.member_id) == (
        common_pb2.TRANSACTION_TYPE_REVERSE,
        -25,
        member_id,
    )
    assert transaction.origin == origin
    assert transaction.reverses_transaction_id
    assert await stub.ReversePoints(half, metadata=admin, timeout=10) == reversed_  # replay
    rest = ledger_pb2.ReversePointsRequest(origin=origin, all=True, reason_code="RETURN", request_id="r2")
    assert (await stub.ReversePoints(rest, metadata=admin, timeout=10)).points_reversed == 75
    again = ledger_pb2.ReversePointsRequest(origin=origin, all=True, reason_code="RETURN", request_id="r3")
    await fails(
        stub.ReversePoints(again, metadata=admin, timeout=10),
        grpc.StatusCode.FAILED_PRECONDITION,
        "NOTHING_TO_REVERSE",
    )
    unknown = ledger_pb2.ReversePointsRequest(
        origin=common_pb2.OriginRef(type=common_pb2.ORIGIN_TYPE_PURCHASE, id="order-2"),
        points=5,
        reason_code="RETURN",
        request_id="r4",
    )
    await fails(
        stub.ReversePoints(unknown, metadata=admin, timeout=10), grpc.StatusCode.NOT_FOUND, "ORIGIN_NOT_FOUND"
    )
    no_portion = ledger_pb2.ReversePointsRequest(origin=origin, reason_code="RETURN", request_id="r5")
    await fails(
        stub.ReversePoints(no_portion, metadata=admin, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AMOUNT",
    )
    await check_invariants(server.app.engine)


async def test_adjust_points(server, stub, admin) -> None:
    member_id = await enroll(stub, admin)
    expire = timestamp_pb2.Timestamp(seconds=4_102_444_800)  # 2100-01-01
    credit = ledger_pb2.AdjustPointsRequest(
        member=ref(member_id),
        currency="temporary",
        points=40,
        reason_code="GOODWILL",
        reason="parcel arrived late",
        expire_time=expire,
        request_id="a1",
    )
    adjusted = await stub.AdjustPoints(credit, metadata=admin, timeout=10)
    assert (adjusted.transaction.type, adjusted.transaction.points, adjusted.transaction.source_id) == (
        common_pb2.TRANSACTION_TYPE_ADJUST,
        40,
        "adjustment",
    )
    assert adjusted.transaction.expire_time == expire
    assert adjusted.transaction.origin.type == common_pb2.ORIGIN_TYPE_ADJUSTMENT
    assert adjusted.transaction.origin.id == adjusted.transaction.transaction_id
    assert adjusted.balance.available_points == 40
    debit = ledger_pb2.AdjustPointsRequest(
        member=ref(member_id),
        currency="temporary",
        points=-15,
        reason_code="CORRECTION",
        reason="double credit",
        request_id="a2",
    )
    assert (await stub.AdjustPoints(debit, metadata=admin, timeout=10)).balance.available_points == 25
    too_much = ledger_pb2.AdjustPointsRequest(
        member=ref(member_id),
        currency="temporary",
        points=-26,
        reason_code="CORRECTION",
        reason="oops",
        request_id="a3",
    )
    await fails(
        stub.AdjustPoints(too_much, metadata=admin, timeout=10),
        grpc.StatusCode.FAILED_PRECONDITION,
        "INSUFFICIENT_POINTS",
    )
    no_reason = ledger_pb2.AdjustPointsRequest(
        member=ref(member_id), currency="temporary", points=5, reason_code="GOODWILL", request_id="a4"
    )
    await fails(
        stub.AdjustPoints(no_reason, metadata=admin, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASON_REQUIRED",
    )
    pos = bearer(await service_token(server, Role.POS))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.AdjustPoints(credit, metadata=pos, timeout=10)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    await check_invariants(server.app.engine)


async def test_transfer_points(server, stub, admin) -> None:
    giver, receiver = await enroll(stub, admin), await enroll(stub, admin)
    await earn_for_order(server, giver, 90, "order-1")
    request = ledger_pb2.TransferPointsRequest(
        from_member=ref(giver),
        to_member=ref(receiver),
        currency="permanent",
        all_available=True,
        reason="program switch",
        request_id="t1",
    )
    done = await stub.TransferPoints(request, metadata=admin, timeout=10)
    assert done.transfer_id.startswith("tr_")
    assert (done.out_transaction.type, done.out_transaction.points, done.out_transaction.member_id) == (
        common_pb2.TRANSACTION_TYPE_TRANSFER_OUT,
        -90,
        giver,
    )
    assert (done.in_transaction.type, done.in_transaction.points, done.in_transaction.member_id) == (
        common_pb2.TRANSACTION_TYPE_TRANSFER_IN,
        90,
        receiver,
    )
    assert done.in_transaction.origin.id == done.transfer_id
    assert await stub.TransferPoints(request, metadata=admin, timeout=10) == done  # replay
    to_self = ledger_pb2.TransferPointsRequest(
        from_member=ref(receiver),
        to_member=ref(receiver),
        currency="permanent",
        points=5,
        reason="merge",
        request_id="t2",
    )
    await fails(
        stub.TransferPoints(to_self, metadata=admin, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "SAME_MEMBER",
    )
    both = ledger_pb2.TransferPointsRequest(
        from_member=ref(receiver),
        to_member=ref(giver),
        currency="permanent",
        points=5,
        all_available=True,
        reason="merge",
        request_id="t3",
    )
    await fails(
        stub.TransferPoints(both, metadata=admin, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AMOUNT",
    )
    balance = await stub.GetBalance(
        ledger_pb2.GetBalanceRequest(member_id=receiver), metadata=admin, timeout=10
    )
    assert balance.balance.total_available_points == 90
    await check_invariants(server.app.engine)
