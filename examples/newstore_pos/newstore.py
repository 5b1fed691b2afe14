"""The NewStore side, reduced to what the loyalty flows touch: customer profiles (with the loyalty id as
an extended attribute), orders, and the events the platform emits. A real adapter reads these from
NewStore's Event Stream and APIs; the shapes keep only the fields the flows use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

LOYALTY_ID_ATTRIBUTE = "loyalty_id"  # the customer profile's extended attribute


@dataclass
class Customer:
    customer_id: str
    email: str
    given_name: str = ""
    family_name: str = ""
    phone: str = ""
    extended_attributes: dict[str, str] = field(default_factory=dict)

    @property
    def loyalty_id(self) -> str | None:
        return self.extended_attributes.get(LOYALTY_ID_ATTRIBUTE)


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    category: str
    quantity: int
    price_minor: int  # what the customer paid for the line, after discounts
    name: str = ""


@dataclass
class Order:
    order_id: str
    customer_id: str
    store_id: str
    currency: str
    lines: list[OrderLine]
    coupon_codes: list[str] = field(default_factory=list)  # loyalty coupons applied in the cart
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class OrderOpened:
    """`order.opened`: the order was placed; its loyalty coupons are now spent."""

    order: Order


@dataclass(frozen=True)
class OrderCompleted:
    """`order.completed`: emitted for every completed purchase; points are earned on it."""

    order: Order
    completed_at: dt.datetime


@dataclass(frozen=True)
class ReturnedLine:
    line_id: str
    quantity: int
    refund_minor: int


@dataclass(frozen=True)
class ReturnProcessed:
    """`return.processed`: items of an order came back and were refunded."""

    return_id: str
    order: Order
    lines: list[ReturnedLine]
    processed_at: dt.datetime


NewStoreEvent = OrderOpened | OrderCompleted | ReturnProcessed
