"""The loyalty adapter between NewStore and the engine: one method per use case of NewStore's loyalty
integration guide, each a few calls over `LoyaltyClient`.

Every write's request id is derived from NewStore's own ids (customer, cart, order, return), so an
adapter that crashes and consumes the same event again, or retries after a timeout, changes nothing
twice: the engine answers a replay with the first result. The engine is the source of truth for
points, tiers and rewards; the adapter keeps no loyalty state of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from examples.newstore_pos.newstore import (
    LOYALTY_ID_ATTRIBUTE,
    Customer,
    OrderCompleted,
    OrderOpened,
    ReturnProcessed,
)
from loyalty.client import AlreadyExists, LoyaltyClient
from loyalty.v1 import activity_pb2, common_pb2, ledger_pb2


@dataclass(frozen=True)
class LoyaltyView:
    """What the associate's loyalty WebView shows for a customer."""

    loyalty_id: str
    name: str
    tier: str
    available_points: int
    pending_points: int


@dataclass(frozen=True)
class Earned:
    order_id: str
    points: int
    pending_until: str  # when the points become spendable (the return window), "" if at once


@dataclass(frozen=True)
class Reconciled:
    return_id: str
    points_reversed: int
    debt_points: int  # points already spent that the member now owes (the program's debt policy)
    coupons_cancelled: int  # rewards whose points came back because the whole order came back


class LoyaltyAdapter:
    def __init__(self, client: LoyaltyClient, *, store_id: str) -> None:
        self._client = client
        self._store_id = store_id

    # --- onboarding and look-up -------------------------------------------------------------------

    async def onboard(self, customer: Customer) -> str:
        """Enroll the customer and keep the loyalty id on their profile. A customer whose e-mail is
        already a member is linked to that member instead of failing."""
        if customer.loyalty_id:
            return customer.loyalty_id
        request = ledger_pb2.EnrollMemberRequest(
            member=common_pb2.Member(
                email=customer.email,
                phone=customer.phone,
                given_name=customer.given_name,
                family_name=customer.family_name,
                enrollment_channel=common_pb2.ENROLLMENT_CHANNEL_POS,
                enrollment_store_id=self._store_id,
            ),
            request_id=f"newstore-customer-{customer.customer_id}",
        )
        try:
            member = (await self._client.ledger.EnrollMember(request)).member
        except AlreadyExists as taken:
            if taken.reason != "EMAIL_TAKEN":
                raise
            member = (
                await self._client.ledger.LookupMember(ledger_pb2.LookupMemberRequest(email=customer.email))
            ).member
        customer.extended_attributes[LOYALTY_ID_ATTRIBUTE] = member.loyalty_id
        return member.loyalty_id

    async def look_up(self, loyalty_id: str) -> LoyaltyView:
        reply = await self._client.ledger.LookupMember(
            ledger_pb2.LookupMemberRequest(loyalty_id=loyalty_id, view=ledger_pb2.MEMBER_VIEW_FULL)
        )
        currencies = reply.balance.currencies
        return LoyaltyView(
            loyalty_id=reply.member.loyalty_id,
            name=f"{reply.member.given_name} {reply.member.family_name}".strip(),
            tier=reply.tier.tier.name,
            available_points=reply.balance.total_available_points,
            pending_points=sum(currency.pending_points for currency in currencies),
        )

    # --- rewards: redeemed into a coupon, applied in the cart, spent when the order opens -----------

    async def rewards_for(self, loyalty_id: str) -> list[ledger_pb2.Reward]:
        """The rewards this customer can redeem now (the WebView's list)."""
        member_id = await self._member_id(loyalty_id)
        reply = await self._client.ledger.ListRewards(
            ledger_pb2.ListRewardsRequest(member_id=member_id, eligible_only=True)
        )
        return list(reply.rewards)

    async def redeem(self, loyalty_id: str, reward_id: str, *, cart_id: str) -> str:
        """Spend points on a reward; the coupon code goes back to Associate App through the deep link.
        One coupon per reward and cart, however often the associate taps."""
        reply = await self._client.ledger.RedeemReward(
            ledger_pb2.RedeemRewardRequest(
                member=common_pb2.MemberRef(loyalty_id=loyalty_id),
                reward_id=reward_id,
                store_id=self._store_id,
                request_id=f"newstore-cart-{cart_id}-reward-{reward_id}",
            )
        )
        return reply.coupon.code

    async def on_order_opened(self, event: OrderOpened) -> int:
        """Mark the order's loyalty coupons used, so none is applied twice. Returns how many."""
        order = event.order
        for code in order.coupon_codes:
            await self._client.ledger.UseCoupon(
                ledger_pb2.UseCouponRequest(
                    code=code,
                    order_id=order.order_id,
                    store_id=order.store_id,
                    request_id=f"newstore-order-{order.order_id}-coupon-{_code_key(code)}",
                )
            )
        return len(order.coupon_codes)

    # --- earning and reconciling --------------------------------------------------------------------

    async def on_order_completed(self, event: OrderCompleted, loyalty_id: str) -> Earned:
        order = event.order
        reply = await self._client.activity.RecordPurchase(
            activity_pb2.RecordPurchaseRequest(
                request_id=f"newstore-order-{order.order_id}",
                order_id=order.order_id,
                member=common_pb2.MemberRef(loyalty_id=loyalty_id),
                store_id=order.store_id,
                channel=activity_pb2.SALES_CHANNEL_STORE,
                currency_code=order.currency,
                items=[
                    activity_pb2.PurchaseItem(
                        line_id=line.line_id,
                        sku=line.sku,
                        category=line.category,
                        quantity=line.quantity,
                        amount_minor=line.price_minor,
                        name=line.name,
                    )
                    for line in order.lines
                ],
                purchase_time=_timestamp(event.completed_at),
            )
        )
        purchase = reply.purchase
        pending = purchase.pending_until.ToJsonString() if purchase.HasField("pending_until") else ""
        return Earned(order.order_id, purchase.points_earned, pending)

    async def on_return_processed(self, event: ReturnProcessed) -> Reconciled:
        """Take back the points the returned items earned; when the whole order has come back, give
        back the points spent on the loyalty coupons used on it."""
        reply = await self._client.activity.RecordReturn(
            activity_pb2.RecordReturnRequest(
                request_id=f"newstore-return-{event.return_id}",
                return_id=event.return_id,
                order_id=event.order.order_id,
                items=[
                    activity_pb2.ReturnItem(
                        line_id=line.line_id, quantity=line.quantity, amount_minor=line.refund_minor
                    )
                    for line in event.lines
                ],
                return_time=_timestamp(event.processed_at),
                store_id=event.order.store_id,
            )
        )
        cancelled = 0
        if await self._everything_returned(event.order.order_id):
            for code in event.order.coupon_codes:
                await self._client.ledger.CancelCoupon(
                    ledger_pb2.CancelCouponRequest(
                        code=code,
                        reason=f"order {event.order.order_id} returned",
                        request_id=f"newstore-return-{event.return_id}-coupon-{_code_key(code)}",
                    )
                )
                cancelled += 1
        returned = reply.purchase_return
        return Reconciled(event.return_id, returned.points_reversed, returned.debt_points, cancelled)

    # --- helpers ------------------------------------------------------------------------------------

    async def _member_id(self, loyalty_id: str) -> str:
        reply = await self._client.ledger.LookupMember(ledger_pb2.LookupMemberRequest(loyalty_id=loyalty_id))
        return reply.member.member_id

    async def _everything_returned(self, order_id: str) -> bool:
        purchase = (
            await self._client.activity.GetPurchase(activity_pb2.GetPurchaseRequest(order_id=order_id))
        ).purchase
        return all(line.returned_quantity >= line.item.quantity for line in purchase.lines)


def _code_key(code: str) -> str:
    """A coupon code is a bearer secret: request ids (which are logged) carry a digest of it."""
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _timestamp(moment: object) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)  # type: ignore[arg-type]
    return stamp
