"""Pure rules about lots: when earned points expire, and which lots a spend consumes.

No I/O: the storage layer reads lots, asks these functions, and writes what they decide.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from loyalty_server.program.model import Currency, Expiry

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class LotView:
    """What spending needs to know about a lot."""

    lot_pk: int
    available: int
    expires_at: dt.datetime | None
    pending_until: dt.datetime | None
    source_id: str


def expires_at_for(
    currency: Currency, earned_at: dt.datetime, zone: zoneinfo.ZoneInfo, *, never: bool = False
) -> dt.datetime | None:
    """When points earned at `earned_at` expire, by the currency's rule, in the member's own calendar.

    `never` is the VIP benefit "temporary points never expire". Month and year ends are the last
    instant of that month/year in the member's time zone, returned in UTC.
    """
    assert earned_at.tzinfo is not None
    if never or currency.expiry is Expiry.NEVER:
        return None
    if currency.expiry is Expiry.AFTER_DAYS:
        assert currency.expiry_days is not None
        return earned_at + dt.timedelta(days=currency.expiry_days)
    local = earned_at.astimezone(zone)
    if currency.expiry is Expiry.END_OF_MONTH:
        first_of_next = (local.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    else:
        first_of_next = local.replace(year=local.year + 1, month=1, day=1)
    boundary = dt.datetime(first_of_next.year, first_of_next.month, 1, tzinfo=zone)
    return boundary.astimezone(dt.UTC)


def is_spendable(lot: LotView, now: dt.datetime) -> bool:
    """Spends run on a settled account, where a lot past its expiry that still holds points is one
    settlement spared for an active hold (book.py): spending it is what capturing that hold does."""
    if lot.available <= 0:
        return False
    return lot.pending_until is None or lot.pending_until <= now


def spend_order(lots: Sequence[LotView]) -> list[LotView]:
    """Soonest-expiring first; lots that never expire last; oldest first among equals."""
    return sorted(lots, key=lambda lot: (lot.expires_at or _FAR_FUTURE, lot.lot_pk))


def allocate_spend(lots: Sequence[LotView], points: int, now: dt.datetime) -> list[tuple[LotView, int]]:
    """Which lots give how many points to a spend of `points`. The caller has checked availability."""
    assert points > 0
    taken: list[tuple[LotView, int]] = []
    remaining = points
    for lot in spend_order([lot for lot in lots if is_spendable(lot, now)]):
        take = min(lot.available, remaining)
        taken.append((lot, take))
        remaining -= take
        if remaining == 0:
            break
    assert remaining == 0, f"allocate_spend: {remaining} points short; availability was not checked"
    return taken
