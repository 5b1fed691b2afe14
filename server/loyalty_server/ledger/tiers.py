"""Tiers in the database: qualifying points per member and UTC day, the tier columns of `members`,
and the tier events. The rules themselves are pure (`ledger/tier_rules.py`).

What counts as qualifying: credits of type `earn` (earning rules, awards, bonuses, purchases, bulk
awards) in the program's `qualifying_currencies`, as credited (tier multipliers included).
Adjustments and transfers move balances, not status (a status set by hand is a custom tier);
spending and expiry do not lower them; a reversal of an earn does, on the earn's own day.

Lock order, the same everywhere: member account(s) (ledger/book.py) first, then the member row, then
`qualifying_points`. Every writer of a member's tier columns or qualifying rows holds the member row
lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite writers are serialized by `BEGIN IMMEDIATE`), so
evaluations of one member never interleave and no tier event is sent twice.

Deactivated and erased members are not evaluated by the job (their tier stays as it was). A custom
tier past its end still counts for an earn's multiplier and expiry until an evaluation clears it (the
job's next round, a GetMemberTier, or the evaluation at the end of that very earn).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import common_pb2, subscription_pb2
from loyalty_server import requests
from loyalty_server.auth import audit
from loyalty_server.clock import Clock
from loyalty_server.errors import FieldViolation, invalid_argument, not_found
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger import idempotency, tier_rules
from loyalty_server.ledger.members import Member, MemberStatus, event_member, get_member, require_active
from loyalty_server.ledger.tables import ledger_transactions, members, qualifying_points
from loyalty_server.ledger.tier_rows import (
    Window,
    keep_state,
    keep_window,
    kept_state,
    kept_window,
    points_changed,
)
from loyalty_server.ledger.tier_rules import (
    ChangeKind,
    Evaluation,
    TierChange,
    TierRef,
    TierState,
    TierStatus,
)
from loyalty_server.program.model import Program
from loyalty_server.program.model import Tiers as TierSettings
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.prepared import Prepared, Row
from loyalty_server.storage.sqlite_loop import holds_sqlite_write_lock, read_connection
from loyalty_server.timestamps import set_timestamp

if TYPE_CHECKING:
    from loyalty_server.ledger.operations import Ledger

CustomChange = Callable[[TierState, int, dt.datetime], Evaluation]  # (state, points, now)
QUALIFYING_TYPES = frozenset({"earn"})

_STATE_COLUMNS = (
    members.c.tier_id,
    members.c.tier_since,
    members.c.custom_tier_id,
    members.c.custom_tier_expires_at,
    members.c.downgrade_at,
    members.c.downgrade_warned_at,
)


@dataclass(frozen=True, slots=True)
class MemberTierView:
    member_id: str
    status: TierStatus


def earn_multiplier_percent(program: Program, member: Member) -> int:
    """The member's earning multiplier in percent (100 = normal), for rules that apply tier benefits."""
    return tier_rules.multiplier_percent(program.tiers, member.tier_id, member.custom_tier_id)


def effective_tier_id(program: Program, member: Member) -> str:
    """The tier the member counts as (member views, list filters, reward eligibility): the custom
    tier when its floor is at least the held level, else the held level (NULL: the lowest)."""
    state = TierState(member.tier_id, None, member.custom_tier_id, None, None, None)
    return tier_rules.effective_tier(program.tiers, state).id


# --- state and points ------------------------------------------------------------------------------


# Built once (see members._MEMBER): every qualifying earn reads the tier state under the member lock.
_STATE_ROW = select(*_STATE_COLUMNS, members.c.tier_review_at).where(members.c.id == bindparam("member_pk"))
_STATE = Prepared(_STATE_ROW)
_STATE_FOR_UPDATE = Prepared(_STATE_ROW.with_for_update())


async def _state_row(connection: AsyncConnection, member_pk: int, *, lock: bool) -> Row:
    """The member's tier columns; with `lock`, read under the member's row lock once a transaction
    and kept current after that (tier_rows.py)."""
    if not lock:
        (row,) = await _STATE.rows(connection, member_pk=member_pk)
        return row
    kept = kept_state(connection, member_pk)
    if kept is not None:
        return kept
    (row,) = await _STATE_FOR_UPDATE.rows(connection, member_pk=member_pk)
    keep_state(connection, member_pk, row)
    return row


def keep_state_read_for_write(connection: AsyncConnection, member_row: Row) -> None:
    """A SQLite write transaction holds the database's one write lock from its BEGIN IMMEDIATE, so a
    member row it read is the row as the member's lock would show it: keep its tier columns, and the
    transaction's first qualifying earn reads none of its own. (PostgreSQL reads them under the row's
    lock at that earn, as before: its member read here took no lock.)"""
    if holds_sqlite_write_lock(connection):
        keep_state(connection, member_row["id"], {name: member_row[name] for name in _TIER_STATE_NAMES})


def _state_of(row: Row) -> TierState:
    return TierState(
        tier_id=row["tier_id"],
        tier_since=row["tier_since"],
        custom_tier_id=row["custom_tier_id"],
        custom_expires_at=row["custom_tier_expires_at"],
        downgrade_at=row["downgrade_at"],
        downgrade_warned_at=row["downgrade_warned_at"],
    )


# The window's qualifying points and its oldest day with points, in one read of at most
# `qualifying_window_days` rows (built once, see members._MEMBER).
_WINDOW = Prepared(
    select(
        func.coalesce(func.sum(qualifying_points.c.points), 0).label("points"),
        func.min(case((qualifying_points.c.points > 0, qualifying_points.c.day))).label("oldest_day"),
    ).where(
        qualifying_points.c.member_pk == bindparam("member_pk"),
        qualifying_points.c.day >= bindparam("first_day"),
    )
)


async def _window(
    connection: AsyncConnection, member_pk: int, tiers: TierSettings, now: dt.datetime
) -> tuple[int, dt.date | None]:
    """The window's qualifying points and its oldest day with points (None: no such day). Under the
    member's lock, read once a transaction and kept current after that (tier_rows.py)."""
    first_day = tier_rules.window_first_day(tiers, now)
    kept = kept_window(connection, member_pk, first_day)
    if kept is not None:
        return kept.points, kept.oldest_day
    (row,) = await _WINDOW.rows(connection, member_pk=member_pk, first_day=first_day)
    window = Window(first_day, int(row["points"]), row["oldest_day"])  # PostgreSQL sums to a Decimal
    keep_window(connection, member_pk, window)
    return window.points, window.oldest_day


async def window_points(
    connection: AsyncConnection, member_pk: int, tiers: TierSettings, now: dt.datetime
) -> int:
    """The window's qualifying points: at most `qualifying_window_days` rows."""
    return (await _window(connection, member_pk, tiers, now))[0]


def _qualifying_upsert(dialect_insert):  # type: ignore[no-untyped-def]
    statement = dialect_insert(qualifying_points)
    return statement.on_conflict_do_update(
        index_elements=[qualifying_points.c.member_pk, qualifying_points.c.day],
        set_={"points": qualifying_points.c.points + statement.excluded.points},
    )


# Points added to a day: one statement whether or not the day has its row yet.
_QUALIFYING_COLUMNS = ("tenant_id", "member_pk", "day", "points")
_ADD_QUALIFYING = {
    "postgresql": Prepared(_qualifying_upsert(postgresql.insert), insert_columns=_QUALIFYING_COLUMNS),
    "sqlite": Prepared(_qualifying_upsert(sqlite.insert), insert_columns=_QUALIFYING_COLUMNS),
}


async def _add_points(connection: AsyncConnection, member: Member, day: dt.date, delta: int) -> None:
    """Change one day's points; the caller holds the member row lock, so read-then-write is safe.
    Never below zero: a reversal of an earn booked before tiers were counted has nothing to undo."""
    if delta > 0:  # a day's points are never below zero, so adding needs no floor: one upsert
        values = {"tenant_id": member.tenant_id, "member_pk": member.pk, "day": day, "points": delta}
        await _ADD_QUALIFYING[connection.dialect.name].run(connection, **values)
        points_changed(connection, member.pk, day, delta)
        return
    where = (qualifying_points.c.member_pk == member.pk, qualifying_points.c.day == day)
    current = (await connection.execute(select(qualifying_points.c.points).where(*where))).scalar()
    if current is None:  # nothing counted on that day: nothing to take back
        return
    await connection.execute(update(qualifying_points).where(*where).values(points=max(0, current + delta)))
    points_changed(connection, member.pk, day, delta)


# --- writing an evaluation -------------------------------------------------------------------------

_TIER_STATE_NAMES = (*(column.name for column in _STATE_COLUMNS), "tier_review_at")  # what _store writes
_TIER_WRITES = "loyalty.tier_state_writes"
_STORE_STATE = Prepared(  # bind names other than the columns' (SQLAlchemy reserves those)
    update(members)
    .where(members.c.id == bindparam("b_member_pk"))
    .values({name: bindparam(f"b_{name}", type_=members.c[name].type) for name in _TIER_STATE_NAMES})
)


async def _store(
    connection: AsyncConnection,
    member: Member,
    row: Row,
    state: TierState,
    tiers: TierSettings,
    now: dt.datetime,
    oldest_day: dt.date | None,  # the window's oldest day with points, read with its points
) -> None:
    review = tier_rules.next_review(tiers, state, oldest_day, now)
    values = {  # _TIER_STATE_NAMES
        "tier_id": state.tier_id,
        "tier_since": state.tier_since,
        "custom_tier_id": state.custom_tier_id,
        "custom_tier_expires_at": state.custom_expires_at,
        "downgrade_at": state.downgrade_at,
        "downgrade_warned_at": state.downgrade_warned_at,
        "tier_review_at": review,
    }
    if all(row[name] == value for name, value in values.items()):
        return  # most earns change nothing: no write
    await _STORE_STATE.run(connection, b_member_pk=member.pk, **{f"b_{k}": v for k, v in values.items()})
    keep_state(connection, member.pk, {**row, **values})
    connection.info[_TIER_WRITES] = tier_state_writes(connection) + 1


def tier_state_writes(connection: AsyncConnection) -> int:
    """A count of the tier-state writes made on this connection (only ever grows): a run of writes
    for one member, which holds its lock, re-reads the member only when the count moved."""
    return int(connection.info.get(_TIER_WRITES, 0))


async def _announce(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    changes: tuple[TierChange, ...],
    request_id: str,
) -> None:
    for change in changes:
        await append_event(
            connection, clock, tenant_id=member.tenant_id, event=_event(member, change, request_id)
        )


def _event(member: Member, change: TierChange, request_id: str) -> subscription_pb2.Event:
    event = subscription_pb2.Event(member=event_member(member), request_id=request_id)
    if change.kind is ChangeKind.DOWNGRADE_WARNING:
        assert change.downgrade_at is not None
        event.type = subscription_pb2.EVENT_TYPE_TIER_DOWNGRADE_WARNING
        warning = event.tier_downgrade_warning
        warning.tier_id, warning.tier_name = change.previous.id, change.previous.name
        warning.downgrade_tier_id, warning.downgrade_tier_name = change.current.id, change.current.name
        warning.direction = common_pb2.TIER_MOVE_DIRECTION_DOWN
        set_timestamp(warning.downgrade_time, change.downgrade_at)
        warning.points_needed = change.points_needed
        return event
    up = change.kind is ChangeKind.UPGRADED
    event.type = (
        subscription_pb2.EVENT_TYPE_TIER_UPGRADED if up else subscription_pb2.EVENT_TYPE_TIER_DOWNGRADED
    )
    payload = event.tier_upgraded if up else event.tier_downgraded
    payload.CopyFrom(
        subscription_pb2.TierChangedPayload(
            tier_id=change.current.id,
            tier_name=change.current.name,
            previous_tier_id=change.previous.id,
            previous_tier_name=change.previous.name,
            direction=common_pb2.TIER_MOVE_DIRECTION_UP if up else common_pb2.TIER_MOVE_DIRECTION_DOWN,
            level_move_up=up,
            level_move_down=not up,
            custom=change.custom,
            qualifying_points=change.qualifying_points,
        )
    )
    return event


async def _commit_evaluation(
    connection: AsyncConnection,
    clock: Clock,
    tiers: TierSettings,
    member: Member,
    row: Row,
    evaluation: Evaluation,
    request_id: str,
    oldest_day: dt.date | None,
) -> None:
    await _store(connection, member, row, evaluation.state, tiers, clock.now(), oldest_day)
    await _announce(connection, clock, member, evaluation.changes, request_id)


async def evaluate_locked(
    connection: AsyncConnection, clock: Clock, program: Program, member: Member, request_id: str = ""
) -> None:
    """Lock the member row and bring its tier up to now, with its events, in the caller's transaction."""
    row = await _state_row(connection, member.pk, lock=True)
    await _evaluate(connection, clock, program, member, row, request_id)


async def _evaluate(
    connection: AsyncConnection,
    clock: Clock,
    program: Program,
    member: Member,
    row: Row,  # the member's tier columns, read under its lock
    request_id: str,
) -> None:
    now = clock.now()
    points, oldest_day = await _window(connection, member.pk, program.tiers, now)
    evaluation = tier_rules.evaluate(program.tiers, _state_of(row), points, now)
    await _commit_evaluation(
        connection, clock, program.tiers, member, row, evaluation, request_id, oldest_day
    )


# --- module functions for other ledger code (inside the caller's write transaction) ----------------


async def record_qualifying(
    connection: AsyncConnection,
    clock: Clock,
    program: Program,
    member: Member,
    *,
    currency: str,
    points: int,
    earned_at: dt.datetime,
    request_id: str = "",
) -> None:
    """Count an earn's credited points, and upgrade at once (tier.upgraded) if a threshold is crossed.
    Call after the credit, so the member's account is locked before the member row."""
    assert points > 0
    if currency not in program.tiers.qualifying_currencies:
        return
    row = await _state_row(connection, member.pk, lock=True)
    await _add_points(connection, member, tier_rules.qualifying_day(earned_at, clock.now()), points)
    await _evaluate(connection, clock, program, member, row, request_id)


async def reverse_qualifying(
    connection: AsyncConnection,
    clock: Clock,
    program: Program,
    member: Member,
    *,
    original_pk: int,
    points: int,
    request_id: str = "",
) -> None:
    """Take back `points` (> 0) of a reversed credit from the qualifying day it counted on. The tier
    does not drop at once: falling below the threshold starts the grace period (see tier_rules)."""
    assert points > 0
    query = select(
        ledger_transactions.c.type,
        ledger_transactions.c.currency,
        ledger_transactions.c.effective_at,
        ledger_transactions.c.created_at,
    ).where(ledger_transactions.c.id == original_pk)
    original = (await connection.execute(query)).one()
    if original.type not in QUALIFYING_TYPES or original.currency not in program.tiers.qualifying_currencies:
        return
    row = await _state_row(connection, member.pk, lock=True)
    day = tier_rules.qualifying_day(original.effective_at, original.created_at)
    await _add_points(connection, member, day, -points)
    await _evaluate(connection, clock, program, member, row, request_id)


# --- the Tiers domain --------------------------------------------------------------------------------


class Tiers:
    """Tier operations with their own write transactions (servicer, job, tests)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def list_tiers(self, tenant_id: int) -> list[TierRef]:
        return tier_rules.all_tiers(self.ledger.program_for(tenant_id).tiers)

    async def record_qualifying(
        self,
        tenant_id: int,
        member_id: str,
        *,
        currency: str,
        points: int,
        earned_at: dt.datetime,
        request_id: str = "",
    ) -> None:
        """Count qualifying points outside an earn (e.g. an import of history): one transaction."""
        program = self.ledger.program_for(tenant_id)
        async with write_transaction(self.ledger.engine) as connection:
            member = await get_member(connection, tenant_id, member_id)
            await record_qualifying(
                connection,
                self.ledger.clock,
                program,
                member,
                currency=currency,
                points=points,
                earned_at=earned_at,
                request_id=request_id,
            )

    async def evaluate(self, tenant_id: int, member_id: str, *, due_only: bool = False) -> bool:
        """Evaluate one member now (due_only: only if its review time has come, re-checked under the
        lock, so two replicas never both act). True when it was evaluated."""
        program = self.ledger.program_for(tenant_id)
        clock = self.ledger.clock
        async with write_transaction(self.ledger.engine) as connection:
            member = await get_member(connection, tenant_id, member_id)
            row = await _state_row(connection, member.pk, lock=True)
            now = clock.now()
            due = row["tier_review_at"] is not None and row["tier_review_at"] <= now
            if due_only and not due:
                return False
            if member.status is not MemberStatus.ACTIVE:  # frozen while deactivated or erased
                if row["tier_review_at"] is not None:
                    await connection.execute(
                        update(members).where(members.c.id == member.pk).values(tier_review_at=None)
                    )
                    keep_state(connection, member.pk, {**row, "tier_review_at": None})
                return False
            await evaluate_locked(connection, clock, program, member)
            return True

    async def get_member_tier(self, tenant_id: int, member_id: str) -> MemberTierView:
        """The tier status as of now; a member whose review is due is evaluated first (a write)."""
        async with read_connection(self.ledger.engine) as connection:
            member = await get_member(connection, tenant_id, member_id)
            review_at = (await _state_row(connection, member.pk, lock=False))["tier_review_at"]
        if review_at is not None and review_at <= self.ledger.clock.now():
            await self.evaluate(tenant_id, member_id, due_only=True)
        async with read_connection(self.ledger.engine) as connection:
            return await self._view(connection, tenant_id, member)

    async def _view(self, connection: AsyncConnection, tenant_id: int, member: Member) -> MemberTierView:
        tiers = self.ledger.program_for(tenant_id).tiers
        now = self.ledger.clock.now()
        state = _state_of(await _state_row(connection, member.pk, lock=False))
        points = await window_points(connection, member.pk, tiers, now)
        return MemberTierView(
            member.member_id, tier_rules.status(tiers, state, points, now, member.created_at)
        )

    async def set_custom(
        self,
        tenant_id: int,
        member_id: str,
        tier_id: str,
        *,
        reason: str,
        request_id: str,
        expires_at: dt.datetime | None = None,
        actor: audit.Actor | None = None,
    ) -> MemberTierView:
        """Give a member a custom tier (a floor). INVALID_ARGUMENT NOT_A_CUSTOM_TIER for a threshold
        level, NOT_FOUND TIER_NOT_FOUND for an unknown id. Idempotent by request_id."""
        tiers = self.ledger.program_for(tenant_id).tiers
        _check_custom_tier(tiers, tier_id)
        _check_reason(reason)
        if expires_at is not None and expires_at <= self.ledger.clock.now():
            raise invalid_argument(
                "INVALID_EXPIRE_TIME",
                "expire_time must be in the future",
                FieldViolation("expire_time", "in the past"),
            )
        content = {
            "member_id": member_id,
            "tier_id": tier_id,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "reason": reason,
        }

        def change(state: TierState, points: int, now: dt.datetime) -> Evaluation:
            return tier_rules.set_custom(tiers, state, tier_id, expires_at, points, now)

        details = {"tier_id": tier_id, "reason": reason, "expires_at": content["expires_at"] or ""}
        return await self._custom_change(
            tenant_id, member_id, "tier.set_custom", request_id, content, change, actor, details
        )

    async def clear_custom(
        self,
        tenant_id: int,
        member_id: str,
        *,
        reason: str,
        request_id: str,
        actor: audit.Actor | None = None,
    ) -> MemberTierView:
        """Remove a member's custom tier; the held level applies at once. Idempotent by request_id."""
        tiers = self.ledger.program_for(tenant_id).tiers
        _check_reason(reason)

        def change(state: TierState, points: int, now: dt.datetime) -> Evaluation:
            return tier_rules.clear_custom(tiers, state, points, now)

        content = {"member_id": member_id, "reason": reason}
        return await self._custom_change(
            tenant_id, member_id, "tier.clear_custom", request_id, content, change, actor, {"reason": reason}
        )

    async def _custom_change(
        self,
        tenant_id: int,
        member_id: str,
        action: str,
        request_id: str,
        content: dict[str, Any],
        change: CustomChange,
        actor: audit.Actor | None,
        details: dict[str, str],
    ) -> MemberTierView:
        program = self.ledger.program_for(tenant_id)
        clock = self.ledger.clock
        scope = f"ledger.{action}"
        async with write_transaction(self.ledger.engine) as connection:
            replay = await idempotency.claim(
                connection, clock, tenant_id=tenant_id, scope=scope, key=request_id, content=content
            )
            member = await get_member(connection, tenant_id, member_id)
            if replay is not None:
                return await self._view(connection, tenant_id, member)
            require_active(member)
            row = await _state_row(connection, member.pk, lock=True)
            now = clock.now()
            points, oldest_day = await _window(connection, member.pk, program.tiers, now)
            evaluation = change(_state_of(row), points, now)
            await _commit_evaluation(
                connection, clock, program.tiers, member, row, evaluation, request_id, oldest_day
            )
            who = actor or audit.Actor("system", "internal", tenant_id, request_id=request_id)
            await audit.record(
                connection,
                clock,
                who,
                action=action,
                target_type="member",
                target_id=member_id,
                details=details,
            )
            await idempotency.record(
                connection, tenant_id=tenant_id, scope=scope, key=request_id, result={"member_id": member_id}
            )
            return await self._view(connection, tenant_id, member)


def _check_custom_tier(tiers: TierSettings, tier_id: str) -> None:
    if not tier_id:
        raise invalid_argument(
            "TIER_ID_REQUIRED", "tier_id is required", FieldViolation("tier_id", "required")
        )
    if tier_rules.is_level(tiers, tier_id):
        raise invalid_argument(
            "NOT_A_CUSTOM_TIER",
            f"{tier_id!r} is a threshold tier: members reach it by points",
            FieldViolation("tier_id", "not a custom tier"),
        )
    if tier_rules.custom_tier(tiers, tier_id) is None:
        raise not_found("TIER_NOT_FOUND", "no such tier", tier_id=tier_id)


def _check_reason(reason: str) -> None:
    requests.check_reason(reason, required=True)
