"""LedgerService handlers: the rewards catalogue and coupons (see ledger/rewards.py for the rules,
including when a coupon's code is shown in full and when masked)."""

from __future__ import annotations

import grpc

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.book import Booked
from loyalty_server.ledger.rewards import CouponView, Ineligibility, Rewards, RewardView
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import currency_balance_to_proto, timestamp, transaction_to_proto
from loyalty_server.ledger.transactions import load_transactions

_Context = grpc.aio.ServicerContext

COUPON_STATUSES = {
    "issued": ledger_pb2.COUPON_STATUS_ISSUED,
    "used": ledger_pb2.COUPON_STATUS_USED,
    "cancelled": ledger_pb2.COUPON_STATUS_CANCELLED,
    "expired": ledger_pb2.COUPON_STATUS_EXPIRED,
}
COUPON_STATUS_NAMES = {value: name for name, value in COUPON_STATUSES.items()}
INELIGIBILITIES = {
    Ineligibility.MEMBER_INACTIVE: ledger_pb2.REWARD_INELIGIBILITY_MEMBER_INACTIVE,
    Ineligibility.TIER_NOT_ELIGIBLE: ledger_pb2.REWARD_INELIGIBILITY_TIER_NOT_ELIGIBLE,
    Ineligibility.MEMBER_LIMIT_REACHED: ledger_pb2.REWARD_INELIGIBILITY_MEMBER_LIMIT_REACHED,
    Ineligibility.OUT_OF_STOCK: ledger_pb2.REWARD_INELIGIBILITY_OUT_OF_STOCK,
    Ineligibility.INSUFFICIENT_POINTS: ledger_pb2.REWARD_INELIGIBILITY_INSUFFICIENT_POINTS,
}


class RewardRpcs(LedgerRpcBase):
    @property
    def rewards(self) -> Rewards:
        return Rewards(self.ledger)

    async def ListRewards(
        self, request: ledger_pb2.ListRewardsRequest, context: _Context
    ) -> ledger_pb2.ListRewardsResponse:
        if request.member_id:
            self.check_member_access(request.member_id)
        page, token = await self.rewards.list_rewards(
            self.tenant_id(),
            member_id=request.member_id,
            eligible_only=request.eligible_only,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return ledger_pb2.ListRewardsResponse(
            rewards=[reward_to_proto(view) for view in page], next_page_token=token
        )

    async def GetReward(
        self, request: ledger_pb2.GetRewardRequest, context: _Context
    ) -> ledger_pb2.GetRewardResponse:
        if request.member_id:
            self.check_member_access(request.member_id)
        view = await self.rewards.get_reward(self.tenant_id(), request.reward_id, member_id=request.member_id)
        return ledger_pb2.GetRewardResponse(reward=reward_to_proto(view))

    async def RedeemReward(
        self, request: ledger_pb2.RedeemRewardRequest, context: _Context
    ) -> ledger_pb2.RedeemRewardResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_for(request.member)
        redemption = await self.rewards.redeem_reward(
            self.tenant_id(),
            member.member_id,
            request.reward_id,
            request_id=request.request_id,
            store_id=request.store_id,
            actor=self.actor(),
        )
        coupon = redemption.coupon
        return ledger_pb2.RedeemRewardResponse(
            coupon=coupon_to_proto(coupon),
            transaction=await self._transaction(redemption.booked),
            balance=await self._currency_balance(coupon.member_id, coupon.currency),
        )

    async def GetCoupon(
        self, request: ledger_pb2.GetCouponRequest, context: _Context
    ) -> ledger_pb2.GetCouponResponse:
        coupon = await self.rewards.get_coupon(self.tenant_id(), request.code)
        self.check_member_access(coupon.member_id)
        return ledger_pb2.GetCouponResponse(coupon=coupon_to_proto(coupon))

    async def ListCoupons(
        self, request: ledger_pb2.ListCouponsRequest, context: _Context
    ) -> ledger_pb2.ListCouponsResponse:
        await self.member_by_id(request.member_id)
        unknown = [value for value in request.statuses if value not in COUPON_STATUS_NAMES]
        if unknown:
            raise invalid_argument(
                "UNKNOWN_COUPON_STATUS", "unknown coupon status", FieldViolation("statuses", "unknown")
            )
        page, token = await self.rewards.list_coupons(
            self.tenant_id(),
            request.member_id,
            statuses=frozenset(COUPON_STATUS_NAMES[value] for value in request.statuses),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return ledger_pb2.ListCouponsResponse(
            coupons=[coupon_to_proto(view) for view in page], next_page_token=token
        )

    async def UseCoupon(
        self, request: ledger_pb2.UseCouponRequest, context: _Context
    ) -> ledger_pb2.UseCouponResponse:
        requests.check_request_id(request.request_id)
        coupon = await self.rewards.use_coupon(
            self.tenant_id(),
            request.code,
            order_id=request.order_id,
            store_id=request.store_id,
            request_id=request.request_id,
        )
        return ledger_pb2.UseCouponResponse(coupon=coupon_to_proto(coupon))

    async def CancelCoupon(
        self, request: ledger_pb2.CancelCouponRequest, context: _Context
    ) -> ledger_pb2.CancelCouponResponse:
        requests.check_request_id(request.request_id)
        cancellation = await self.rewards.cancel_coupon(
            self.tenant_id(),
            request.code,
            request_id=request.request_id,
            reason=request.reason,
            actor=self.actor(),
        )
        return ledger_pb2.CancelCouponResponse(
            coupon=coupon_to_proto(cancellation.coupon),
            transaction=await self._transaction(cancellation.booked),
        )

    # --- helpers ------------------------------------------------------------------------------------

    async def _transaction(self, booked: Booked) -> common_pb2.Transaction:
        async with self.engine.connect() as connection:
            (transaction,) = await load_transactions(connection, [booked.pk])
        return transaction_to_proto(transaction)

    async def _currency_balance(self, member_id: str, currency: str) -> common_pb2.CurrencyBalance:
        balance = await self.ledger.balance(self.tenant_id(), member_id)
        (figures,) = [view for view in balance.currencies if view.currency == currency]
        return currency_balance_to_proto(figures)


def reward_to_proto(view: RewardView) -> ledger_pb2.Reward:
    reward = view.reward
    message = ledger_pb2.Reward(
        reward_id=reward.id,
        name=reward.name,
        cost_points=reward.cost,
        currency=reward.currency,
        discount_minor=reward.discount_minor,
        coupon_valid_days=reward.valid_days,
        stock_total=reward.stock,
        stock_remaining=view.stock_remaining,
        per_member_max=reward.per_member_max,
        eligible_tier_ids=reward.tiers,
    )
    if view.eligibility is not None:
        eligibility = view.eligibility
        message.eligibility.CopyFrom(
            ledger_pb2.RewardEligibility(
                eligible=eligibility.eligible,
                reason=INELIGIBILITIES[eligibility.reason] if eligibility.reason else None,
                redeemed_count=eligibility.redeemed_count,
            )
        )
    return message


def coupon_to_proto(view: CouponView) -> ledger_pb2.Coupon:
    return ledger_pb2.Coupon(
        coupon_id=view.coupon_id,
        code=view.code,
        reward_id=view.reward_id,
        reward_name=view.reward_name,
        member_id=view.member_id,
        loyalty_id=view.loyalty_id,
        status=COUPON_STATUSES[view.status],
        cost_points=view.cost_points,
        currency=view.currency,
        discount_minor=view.discount_minor,
        transaction_id=view.transaction_id,
        reversal_transaction_id=view.reversal_transaction_id or "",
        order_id=view.order_id,
        store_id=view.store_id,
        issue_time=timestamp(view.issued_at),
        expire_time=timestamp(view.expires_at),
        use_time=timestamp(view.used_at),
        cancel_time=timestamp(view.cancelled_at),
        cancel_reason=view.cancel_reason,
    )
