"""A reference POS adapter: NewStore's loyalty integration flows played against the loyalty engine.

`adapter.py` is the part to copy: each NewStore use case (onboard, look up, earn on `order.completed`,
redeem a reward into a coupon and apply it on `order.opened`, reconcile on `return.processed`) as one
method over `LoyaltyClient`. `newstore.py` stands in for the NewStore platform (customer profiles,
orders, events); `scenario.py` plays an associate's day and prints each step.
"""
