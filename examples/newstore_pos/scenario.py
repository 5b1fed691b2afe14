"""An associate's day in a NewStore store, played against the engine, each step printed.

Ann is onboarded and looked up, buys a jacket and shoes (points earned on `order.completed`), comes
back and redeems points into a coupon that is applied to her next order (used on `order.opened`),
then returns the shoes and the whole second order (`return.processed`: points taken back, the coupon's
points given back). Finally one event is delivered twice, as an event stream may, and nothing changes.

All NewStore ids (customer, carts, orders, returns) derive from `run_id`, so runs against the same
engine do not collide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from examples.newstore_pos.adapter import LoyaltyAdapter, LoyaltyView
from examples.newstore_pos.newstore import (
    Customer,
    Order,
    OrderCompleted,
    OrderLine,
    OrderOpened,
    ReturnedLine,
    ReturnProcessed,
)

Print = Callable[[str], None]


class ScenarioFailed(Exception):
    """The engine answered something the flow cannot accept."""


async def play(adapter: LoyaltyAdapter, *, run_id: str, store_id: str, say: Print = print) -> LoyaltyView:
    now = dt.datetime.now(dt.UTC)
    ann = Customer(f"{run_id}-ann", f"ann.{run_id}@example.com", "Ann", "Lee")

    say(f"1. onboard: NewStore customer {ann.customer_id} ({ann.email})")
    loyalty_id = await adapter.onboard(ann)
    say(f"   enrolled; loyalty id {loyalty_id} kept on the customer profile")

    view = await adapter.look_up(loyalty_id)
    say(f"2. look up {loyalty_id}: {view.name}, tier {view.tier}, {view.available_points} points")

    first = Order(
        f"{run_id}-order-1",
        ann.customer_id,
        store_id,
        "EUR",
        [
            OrderLine("1", "JKT-RAIN-M", "outerwear", 1, 8900, "Rain jacket"),
            OrderLine("2", "SHO-TRAIL-42", "shoes", 1, 12000, "Trail shoes"),
        ],
    )
    earned = await adapter.on_order_completed(OrderCompleted(first, now), loyalty_id)
    say(f"3. order.completed {first.order_id} (209.00 EUR): earned {earned.points} points")
    view = await _show(adapter, loyalty_id, say)

    rewards = await adapter.rewards_for(loyalty_id)
    say(f"4. rewards Ann can redeem: {', '.join(f'{r.reward_id} ({r.cost_points} points)' for r in rewards)}")
    if not rewards:
        raise ScenarioFailed("no reward is redeemable after the first order")
    reward = rewards[0]
    cart_id = f"{run_id}-cart-2"
    code = await adapter.redeem(loyalty_id, reward.reward_id, cart_id=cart_id)
    say(f"   redeemed {reward.reward_id} for cart {cart_id}: coupon {_masked(code)} sent to Associate App")
    view = await _show(adapter, loyalty_id, say)

    second = Order(
        f"{run_id}-order-2",
        ann.customer_id,
        store_id,
        "EUR",
        [OrderLine("1", "TSH-LOGO-M", "tops", 2, 4000 - reward.discount_minor, "Logo T-shirt")],
        coupon_codes=[code],
    )
    used = await adapter.on_order_opened(OrderOpened(second))
    say(f"5. order.opened {second.order_id} with the coupon applied: {used} coupon marked used")
    earned = await adapter.on_order_completed(OrderCompleted(second, now), loyalty_id)
    say(f"   order.completed {second.order_id}: earned {earned.points} points")
    view = await _show(adapter, loyalty_id, say)

    shoes_back = ReturnProcessed(f"{run_id}-return-1", first, [ReturnedLine("2", 1, 12000)], now)
    reconciled = await adapter.on_return_processed(shoes_back)
    say(
        f"6. return.processed {shoes_back.return_id} (the shoes of {first.order_id}): "
        f"{reconciled.points_reversed} points taken back, {reconciled.debt_points} owed"
    )
    all_back = ReturnProcessed(
        f"{run_id}-return-2", second, [ReturnedLine("1", 2, second.lines[0].price_minor)], now
    )
    reconciled = await adapter.on_return_processed(all_back)
    say(
        f"   return.processed {all_back.return_id} (all of {second.order_id}): "
        f"{reconciled.points_reversed} points taken back, "
        f"{reconciled.coupons_cancelled} coupon cancelled and its points given back"
    )
    view = await _show(adapter, loyalty_id, say)

    replayed = await adapter.on_order_completed(OrderCompleted(first, now), loyalty_id)
    after = await adapter.look_up(loyalty_id)
    say(f"7. order.completed {first.order_id} delivered again: {replayed.points} points, as the first time")
    if after != view:
        raise ScenarioFailed(f"a replayed event changed the balance: {view} -> {after}")
    say(f"   balance unchanged: {after.available_points} points, tier {after.tier}")
    return after


async def _show(adapter: LoyaltyAdapter, loyalty_id: str, say: Print) -> LoyaltyView:
    view = await adapter.look_up(loyalty_id)
    pending = f" (+{view.pending_points} pending)" if view.pending_points else ""
    say(f"   balance: {view.available_points} points{pending}, tier {view.tier}")
    return view


def _masked(code: str) -> str:
    """Coupon codes are bearer secrets: print only the end, as the engine's own lists do."""
    return f"…{code[-4:]}"
