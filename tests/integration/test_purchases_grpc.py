"""Purchases and returns over gRPC, through a real server and a POS service account: the messages
both ways, coupons used on an order, and every documented error as its status code and ErrorInfo
reason (with the offending field for bad input)."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import func, select

from loyalty.v1 import activity_pb2, activity_pb2_grpc, common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.activity.tables import purchases, rule_awards
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.integration.test_auth_flow import fails
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token

BALL = activity_pb2.PurchaseItem(sku="BALL", category="sports", quantity=2, amount_minor=2599)
BOOK = activity_pb2.PurchaseItem(sku="BOOK", category="books", quantity=1, amount_minor=1250)


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url), services=loyalty_services())
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


@pytest.fixture
async def pos(server):
    return bearer(await service_token(server, Role.POS))


def now_stamp(delta: dt.timedelta = dt.timedelta(minutes=-1)) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC) + delta)
    return stamp


async def enroll(channel, pos) -> common_pb2.Member:
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    enrolled = await stub.EnrollMember(
        ledger_pb2.EnrollMemberRequest(request_id=uuid.uuid4().hex), metadata=pos, timeout=10
    )
    return enrolled.member


def purchase_request(
    ref: common_pb2.MemberRef, order_id: str = "o-1", **changes
) -> activity_pb2.RecordPurchaseRequest:
    values = {
        "request_id": f"req-{order_id}",
        "order_id": order_id,
        "member": ref,
        "store_id": "store-7",
        "channel": activity_pb2.SALES_CHANNEL_STORE,
        "currency_code": "USD",
        "items": [BALL, BOOK],
        "purchase_time": now_stamp(),
    }
    values.update(changes)
    return activity_pb2.RecordPurchaseRequest(**values)


def violations(error: grpc.aio.AioRpcError) -> list[str]:
    status = status_pb2.Status.FromString(dict(error.trailing_metadata() or ())["grpc-status-details-bin"])
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [violation.field for violation in bad.field_violations]
    return fields


async def test_a_pos_records_a_purchase_with_a_coupon_reads_it_and_returns_part(server, channel, pos) -> None:
    stub = activity_pb2_grpc.ActivityServiceStub(channel)
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    member = await enroll(channel, pos)
    app = server.app
    entry = Entry(origin_type="bulk_award", origin_id=member.member_id, reason_code="T", request_id="bonus")
    await app.ledger.earn(
        app.default_tenant.id,
        member.member_id,
        currency="permanent",
        points=500,
        source_id="bonus",
        entry=entry,
    )
    coupon = (
        await ledger.RedeemReward(
            ledger_pb2.RedeemRewardRequest(
                member=common_pb2.MemberRef(member_id=member.member_id), reward_id="coupon-5", request_id="r"
            ),
            metadata=pos,
            timeout=10,
        )
    ).coupon

    request = purchase_request(common_pb2.MemberRef(loyalty_id=member.loyalty_id), coupon_codes=[coupon.code])
    recorded = await stub.RecordPurchase(request, metadata=pos, timeout=10)
    purchase = recorded.purchase
    assert (purchase.order_id, purchase.member_id, purchase.loyalty_id) == (
        "o-1",
        member.member_id,
        member.loyalty_id,
    )
    assert (purchase.channel, purchase.currency_code, purchase.total_amount_minor) == (
        activity_pb2.SALES_CHANNEL_STORE,
        "USD",
        3849,
    )
    assert [(line.item.line_id, line.points_earned) for line in purchase.lines] == [("1", 76), ("2", 12)]
    assert purchase.points_earned == 88
    assert list(purchase.coupon_ids) == [coupon.coupon_id]
    assert [(t.type, t.reason_code, t.points) for t in recorded.transactions] == [
        (common_pb2.TRANSACTION_TYPE_EARN, "purchase_general", 37),
        (common_pb2.TRANSACTION_TYPE_EARN, "purchase_sports", 51),
    ]
    assert {(t.origin.type, t.origin.id) for t in recorded.transactions} == {
        (common_pb2.ORIGIN_TYPE_PURCHASE, "o-1")
    }
    assert list(purchase.transaction_ids) == [t.transaction_id for t in recorded.transactions]
    window = purchase.pending_until.ToDatetime(tzinfo=dt.UTC) - purchase.create_time.ToDatetime(tzinfo=dt.UTC)
    assert dt.timedelta(days=30) <= window < dt.timedelta(days=30, seconds=5)  # a real clock runs on
    used = await ledger.GetCoupon(ledger_pb2.GetCouponRequest(code=coupon.code), metadata=pos, timeout=10)
    assert (used.coupon.status, used.coupon.order_id) == (ledger_pb2.COUPON_STATUS_USED, "o-1")

    assert await stub.RecordPurchase(request, metadata=pos, timeout=10) == recorded
    read = await stub.GetPurchase(activity_pb2.GetPurchaseRequest(order_id="o-1"), metadata=pos, timeout=10)
    assert read.purchase == purchase

    returned = await stub.RecordReturn(
        activity_pb2.RecordReturnRequest(
            request_id="ret-1",
            return_id="ret-1",
            order_id="o-1",
            items=[activity_pb2.ReturnItem(sku="BALL", quantity=1, amount_minor=1299)],
            reason="too small",
        ),
        metadata=pos,
        timeout=10,
    )
    back = returned.purchase_return
    # floor(25 x 1299/2599) = 12 and floor(51 x 1299/2599) = 25.
    assert (back.return_id, back.order_id, back.member_id, back.points_reversed, back.debt_points) == (
        "ret-1",
        "o-1",
        member.member_id,
        37,
        0,
    )
    assert [(item.line_id, item.sku, item.quantity, item.amount_minor) for item in back.items] == [
        ("1", "BALL", 1, 1299)
    ]
    assert [(t.type, t.points, t.reason) for t in returned.transactions] == [
        (common_pb2.TRANSACTION_TYPE_REVERSE, -12, "too small"),
        (common_pb2.TRANSACTION_TYPE_REVERSE, -25, "too small"),
    ]
    after = (
        await stub.GetPurchase(activity_pb2.GetPurchaseRequest(order_id="o-1"), metadata=pos, timeout=10)
    ).purchase
    assert (after.points_reversed, after.lines[0].returned_quantity, after.lines[0].points_reversed) == (
        37,
        1,
        37,
    )
    assert len(after.transaction_ids) == 4
    balance = await ledger.GetBalance(
        ledger_pb2.GetBalanceRequest(member_id=member.member_id), metadata=pos, timeout=10
    )
    permanent = next(c for c in balance.balance.currencies if c.currency == "permanent")
    assert (permanent.available_points, permanent.pending_points) == (0, 88 - 37)
    await check_invariants(app.engine)


async def test_errors_come_back_as_status_codes_with_their_reasons(server, channel, pos) -> None:
    stub = activity_pb2_grpc.ActivityServiceStub(channel)
    member = await enroll(channel, pos)
    ref = common_pb2.MemberRef(member_id=member.member_id)
    invalid = grpc.StatusCode.INVALID_ARGUMENT

    async def bad_purchase(reason: str, field: str, **changes) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.RecordPurchase(purchase_request(ref, **changes), metadata=pos, timeout=10)
        await fails(
            stub.RecordPurchase(purchase_request(ref, **changes), metadata=pos, timeout=10), invalid, reason
        )
        assert violations(raised.value) == [field]

    await bad_purchase("ITEMS_REQUIRED", "items", items=[])
    await bad_purchase(
        "INVALID_AMOUNT",
        "items[1].amount_minor",
        items=[BALL, activity_pb2.PurchaseItem(sku="X", quantity=1, amount_minor=-5)],
    )
    await bad_purchase(
        "MISSING_FIELD", "items[0].sku", items=[activity_pb2.PurchaseItem(quantity=1, amount_minor=5)]
    )
    await bad_purchase("UNKNOWN_CURRENCY", "currency_code", currency_code="Euro")
    await bad_purchase("TIME_IN_FUTURE", "purchase_time", purchase_time=now_stamp(dt.timedelta(days=2)))
    await fails(
        stub.RecordPurchase(purchase_request(common_pb2.MemberRef()), metadata=pos, timeout=10),
        invalid,
        "MEMBER_REF_REQUIRED",
    )
    await fails(
        stub.RecordPurchase(purchase_request(ref, request_id=""), metadata=pos, timeout=10),
        invalid,
        "REQUEST_ID_INVALID",
    )
    await fails(
        stub.RecordPurchase(
            purchase_request(common_pb2.MemberRef(member_id="m_nobody")), metadata=pos, timeout=10
        ),
        grpc.StatusCode.NOT_FOUND,
        "MEMBER_NOT_FOUND",
    )

    await stub.RecordPurchase(purchase_request(ref), metadata=pos, timeout=10)
    await fails(
        stub.RecordPurchase(purchase_request(ref, items=[BALL]), metadata=pos, timeout=10),
        grpc.StatusCode.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
    )
    await fails(
        stub.GetPurchase(activity_pb2.GetPurchaseRequest(order_id="o-404"), metadata=pos, timeout=10),
        grpc.StatusCode.NOT_FOUND,
        "ORDER_NOT_FOUND",
    )

    def returning(return_id: str, order_id: str = "o-1", *items: activity_pb2.ReturnItem):
        request = activity_pb2.RecordReturnRequest(
            request_id=return_id, return_id=return_id, order_id=order_id, items=items
        )
        return stub.RecordReturn(request, metadata=pos, timeout=10)

    await fails(returning("r-0", "o-404"), grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    too_many = activity_pb2.ReturnItem(line_id="2", quantity=2, amount_minor=100)
    await fails(returning("r-1", "o-1", too_many), invalid, "RETURN_EXCEEDS_ORDER")
    too_much = activity_pb2.ReturnItem(line_id="2", quantity=1, amount_minor=1251)
    await fails(returning("r-2", "o-1", too_much), invalid, "RETURN_EXCEEDS_ORDER")
    await returning("r-3", "o-1")  # everything
    await fails(
        returning("r-3", "o-1", activity_pb2.ReturnItem(line_id="2", quantity=1, amount_minor=1)),
        grpc.StatusCode.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
    )
    await fails(returning("r-4", "o-1"), invalid, "RETURN_EXCEEDS_ORDER")
    await check_invariants(server.app.engine)


async def test_simulate_purchase_explains_each_line_and_writes_nothing(server, channel, pos) -> None:
    stub = activity_pb2_grpc.ActivityServiceStub(channel)
    member = await enroll(channel, pos)
    request = activity_pb2.SimulatePurchaseRequest(
        member=common_pb2.MemberRef(loyalty_id=member.loyalty_id), items=[BALL, BOOK], currency_code="USD"
    )
    simulated = await stub.SimulatePurchase(request, metadata=pos, timeout=10)
    assert (simulated.points_total, [line.points for line in simulated.lines]) == (88, [76, 12])
    assert simulated.HasField("pending_until")
    ball, book = simulated.lines
    assert ball.item.line_id == "1"
    sports = ball.evaluations[1]
    assert (sports.rule_id, sports.matched, sports.base_points, sports.points_awarded) == (
        "purchase_sports",
        True,
        51,
        51,
    )
    assert (sports.multiplier_percent, sports.multiplier_tier_id, sports.currency, sports.source_id) == (
        100,
        "bronze",
        "permanent",
        "purchase",
    )
    assert sports.measured_units == pytest.approx(25.99)
    assert sports.explanation == "25.99 units spent x 2 = 51; awarded 51"
    assert [(e.rule_id, e.matched, e.points_awarded) for e in book.evaluations] == [
        ("purchase_general", True, 12),
        ("purchase_sports", False, 0),
    ]
    anonymous = await stub.SimulatePurchase(
        activity_pb2.SimulatePurchaseRequest(items=[BALL, BOOK]), metadata=pos, timeout=10
    )
    assert anonymous.points_total == 88
    await fails(
        stub.SimulatePurchase(activity_pb2.SimulatePurchaseRequest(), metadata=pos, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
        "ITEMS_REQUIRED",
    )
    async with server.app.engine.connect() as connection:
        for table in (purchases, rule_awards):
            assert (await connection.execute(select(func.count()).select_from(table))).scalar_one() == 0
