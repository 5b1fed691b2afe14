"""Rewards and coupons over gRPC, through a real server: a POS redeems, looks up and uses a coupon;
a partner token sees only its own member's coupons."""

from __future__ import annotations

import uuid

import grpc
import pytest

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.integration.test_auth_flow import Flow, fails
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token


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


async def _member_with_points(server, stub, pos, points: int) -> str:
    enrolled = await stub.EnrollMember(
        ledger_pb2.EnrollMemberRequest(request_id=uuid.uuid4().hex), metadata=pos, timeout=10
    )
    member_id = enrolled.member.member_id
    app = server.app
    entry = Entry(origin_type="bulk_award", origin_id=member_id, reason_code="TEST", request_id=member_id)
    await app.ledger.earn(
        app.default_tenant.id, member_id, currency="permanent", points=points, source_id="bonus", entry=entry
    )
    return member_id


async def test_a_pos_redeems_looks_up_and_uses_a_coupon(server, channel) -> None:
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    pos = bearer(await service_token(server, Role.POS))
    member_id = await _member_with_points(server, stub, pos, 1200)
    redeem = ledger_pb2.RedeemRewardRequest(
        member=common_pb2.MemberRef(member_id=member_id),
        reward_id="coupon-5",
        store_id="store-1",
        request_id="redeem-1",
    )
    redeemed = await stub.RedeemReward(redeem, metadata=pos, timeout=10)
    coupon = redeemed.coupon
    assert coupon.code.startswith("LOY-")
    assert "*" not in coupon.code
    assert (coupon.status, coupon.cost_points, coupon.member_id) == (
        ledger_pb2.COUPON_STATUS_ISSUED,
        500,
        member_id,
    )
    assert redeemed.transaction.points == -500
    assert redeemed.transaction.origin.type == common_pb2.ORIGIN_TYPE_COUPON
    assert redeemed.transaction.origin.id == coupon.coupon_id
    assert redeemed.balance.available_points == 700
    replay = await stub.RedeemReward(redeem, metadata=pos, timeout=10)
    assert replay.coupon.coupon_id == coupon.coupon_id
    assert replay.coupon.code == "LOY-****-****-****-" + coupon.code[-4:]
    assert replay.balance.available_points == 700

    found = await stub.GetCoupon(
        ledger_pb2.GetCouponRequest(code=coupon.code.lower().replace("-", "")), metadata=pos, timeout=10
    )
    assert found.coupon == coupon
    used = await stub.UseCoupon(
        ledger_pb2.UseCouponRequest(code=coupon.code, order_id="order-9", request_id="use-1"),
        metadata=pos,
        timeout=10,
    )
    assert (used.coupon.status, used.coupon.order_id) == (ledger_pb2.COUPON_STATUS_USED, "order-9")
    await fails(
        stub.UseCoupon(
            ledger_pb2.UseCouponRequest(code=coupon.code, order_id="order-10", request_id="use-2"),
            metadata=pos,
            timeout=10,
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        "COUPON_USED",
    )
    rewards = await stub.ListRewards(
        ledger_pb2.ListRewardsRequest(member_id=member_id), metadata=pos, timeout=10
    )
    by_id = {reward.reward_id: reward for reward in rewards.rewards}
    assert by_id["coupon-5"].eligibility.eligible
    assert by_id["coupon-5"].eligibility.redeemed_count == 1
    assert not by_id["coupon-5"].HasField("stock_total")
    assert by_id["gold-gift"].stock_remaining == 1000
    assert by_id["gold-gift"].eligibility.reason == ledger_pb2.REWARD_INELIGIBILITY_TIER_NOT_ELIGIBLE
    listed = await stub.ListCoupons(
        ledger_pb2.ListCouponsRequest(member_id=member_id, statuses=[ledger_pb2.COUPON_STATUS_USED]),
        metadata=pos,
        timeout=10,
    )
    assert [c.coupon_id for c in listed.coupons] == [coupon.coupon_id]
    assert listed.coupons[0].code.startswith("LOY-****-")
    await fails(
        stub.GetCoupon(ledger_pb2.GetCouponRequest(code="LOY-0000-0000-0000-0000"), metadata=pos, timeout=10),
        grpc.StatusCode.NOT_FOUND,
        "COUPON_NOT_FOUND",
    )
    await check_invariants(server.app.engine)


async def test_a_partner_token_sees_only_its_own_members_coupons(server, channel) -> None:
    flow = await Flow(server, channel).setup()
    _client_id, _secret, own_member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    pos = bearer(await service_token(server, Role.POS))
    other_id = await _member_with_points(server, stub, pos, 600)
    redeemed = await stub.RedeemReward(
        ledger_pb2.RedeemRewardRequest(
            member=common_pb2.MemberRef(member_id=other_id), reward_id="coupon-5", request_id="r"
        ),
        metadata=pos,
        timeout=10,
    )
    own = await stub.ListCoupons(
        ledger_pb2.ListCouponsRequest(member_id=own_member_id), metadata=partner, timeout=10
    )
    assert list(own.coupons) == []
    await fails(
        stub.ListCoupons(ledger_pb2.ListCouponsRequest(member_id=other_id), metadata=partner, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await fails(
        stub.ListRewards(ledger_pb2.ListRewardsRequest(member_id=other_id), metadata=partner, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await fails(  # looking a code up is for the till, not for partners
        stub.GetCoupon(ledger_pb2.GetCouponRequest(code=redeemed.coupon.code), metadata=partner, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    catalogue = await stub.ListRewards(
        ledger_pb2.ListRewardsRequest(member_id=own_member_id, eligible_only=True),
        metadata=partner,
        timeout=10,
    )
    assert list(catalogue.rewards) == []  # no points yet
