"""A member's tier state and qualifying window as a write transaction has read them, kept current.

Every qualifying earn reads the member's tier columns under the member's lock and sums its
qualifying window, then adds its points to one day. A run of earns for one member (PostActivities,
`ActivityIntake.apply_creates`) holds that lock throughout, so after the first earn both reads
would only find what this transaction itself wrote: the copies kept here are used instead. On SQLite
the tier columns are kept from the start: `Ledger.lock_member` reads the whole member row inside the
write transaction, under the database's write lock (`tiers.keep_state_read_for_write`).

They stay current because every write that changes them in the transaction goes through
ledger/tiers.py: `_store` keeps the tier columns it wrote, `_add_points` adds a positive change to
the kept window (a negative one forgets it: the window's oldest day may have emptied), and the other
write to the tier columns keeps what it wrote. How long a copy counts: storage/transaction_scope.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.prepared import Row
from loyalty_server.storage.transaction_scope import forget_value, kept_values, values_to_keep

_KEY = "loyalty.locked_tier_rows"


@dataclass(frozen=True, slots=True)
class Window:
    first_day: dt.date  # the window's first day, which moves with the clock
    points: int  # the qualifying points of the days from first_day on
    oldest_day: dt.date | None  # the oldest of those days with points; None: no such day


@dataclass(slots=True)
class _Kept:
    state: Row  # the member's tier columns (tiers._STATE_ROW), read under a lock or written since
    window: Window | None = None


def kept_state(connection: AsyncConnection, member_pk: int) -> Row | None:
    """The tier columns as this transaction last locked or wrote them; None when they must be read."""
    kept = _kept(connection, member_pk)
    return None if kept is None else kept.state


def keep_state(connection: AsyncConnection, member_pk: int, state: Row) -> None:
    """Remember the tier columns read under the member's lock (or SQLite's write lock), or just
    written, in this transaction.
    A write keeps the window already kept: the tier columns do not change the qualifying points."""
    members = values_to_keep(connection, _KEY)
    if members is None:
        return
    before: _Kept | None = members.get(member_pk)
    members[member_pk] = _Kept(state, before.window if before is not None else None)


def kept_window(connection: AsyncConnection, member_pk: int, first_day: dt.date) -> Window | None:
    """The window starting on `first_day` as kept, or None (not kept, or kept for another first day)."""
    kept = _kept(connection, member_pk)
    if kept is None or kept.window is None or kept.window.first_day != first_day:
        return None
    return kept.window


def keep_window(connection: AsyncConnection, member_pk: int, window: Window) -> None:
    """Remember the window read under the member's lock (only with the tier columns read under it)."""
    kept = _kept(connection, member_pk)
    if kept is not None:
        kept.window = window


def points_changed(connection: AsyncConnection, member_pk: int, day: dt.date, points: int) -> None:
    """This transaction changed `day`'s qualifying points by `points`: bring the kept window along."""
    kept = _kept(connection, member_pk)
    if kept is None:  # none in this scope; one an outer scope kept would miss this change
        forget_value(connection, _KEY, member_pk)
        return
    if kept.window is None:
        return
    window = kept.window
    if points < 0:  # the day may have emptied, and then the oldest day with points is unknown
        kept.window = None
    elif points > 0 and day >= window.first_day:
        oldest = day if window.oldest_day is None else min(window.oldest_day, day)
        kept.window = Window(window.first_day, window.points + points, oldest)


def _kept(connection: AsyncConnection, member_pk: int) -> _Kept | None:
    members = kept_values(connection, _KEY)
    return None if members is None else members.get(member_pk)
