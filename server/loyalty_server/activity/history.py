"""Reading activities back: the activity list (metadata and points), raw readings within retention
(audited), the partner API's points totals, and the retention purge.

Raw values leave the engine only through `list_readings`, which the servicer guards with the
health:read scope and which writes an audit entry for every read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty.v1 import activity_pb2
from loyalty_server.activity.tables import activities, health_readings
from loyalty_server.auth import audit, paging
from loyalty_server.clock import Clock
from loyalty_server.ledger.members import Member
from loyalty_server.ledger.tables import accounts, source_balances
from loyalty_server.program.model import Program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.sqlite_loop import read_connection

PURGE_BATCH_MAX = 1000  # readings one purge statement deletes; the job loops until none are due


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    type_names: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    client_id: str = ""
    include_deleted: bool = False

    def fingerprint(self) -> str:
        """Binds a page token to the filters it was made for."""
        return repr((self.type_names, self.start, self.end, self.client_id, self.include_deleted))


@dataclass(frozen=True, slots=True)
class ActivityView:
    activity_id: str
    client_id: str
    type_name: str
    state: str
    device_tracked: bool
    occurred_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    user_device_id: str
    manufacturer_name: str
    device_name: str
    points: int
    value_retained: bool


@dataclass(frozen=True, slots=True)
class ReadingView:
    activity_id: str
    client_id: str
    type_name: str
    occurred_at: dt.datetime
    value: activity_pb2.ActivityValue
    purge_at: dt.datetime


def _page_query(query, filters: ActivityFilter, page_token: str):  # type: ignore[no-untyped-def]
    a = activities
    if filters.type_names:
        query = query.where(a.c.type.in_(filters.type_names))
    if filters.start is not None:
        query = query.where(a.c.occurred_at >= filters.start)
    if filters.end is not None:
        query = query.where(a.c.occurred_at < filters.end)
    if filters.client_id:
        query = query.where(a.c.client_id == filters.client_id)
    position = paging.decode(page_token, length=2, binding=filters.fingerprint())
    if position is not None:
        after = dt.datetime.fromisoformat(position[0])
        query = query.where((a.c.occurred_at < after) | ((a.c.occurred_at == after) & (a.c.id < position[1])))
    return query.order_by(a.c.occurred_at.desc(), a.c.id.desc())


def _next_token(rows: Sequence, limit: int, filters: ActivityFilter) -> str:  # type: ignore[type-arg]
    if len(rows) <= limit:
        return ""
    last = rows[limit - 1]
    return paging.encode([last["occurred_at"].isoformat(), last["id"]], binding=filters.fingerprint())


async def list_activities(
    engine: AsyncEngine, member: Member, filters: ActivityFilter, *, limit: int, page_token: str
) -> tuple[list[ActivityView], str]:
    """The member's activities, newest first (occurred_at, then id), keyset-paged."""
    assert limit > 0
    a = activities
    retained = select(health_readings.c.activity_pk).where(health_readings.c.activity_pk == a.c.id).exists()
    query = select(a, retained.label("value_retained")).where(a.c.member_pk == member.pk)
    if not filters.include_deleted:
        query = query.where(a.c.state == "active")
    query = _page_query(query, filters, page_token).limit(limit + 1)
    async with read_connection(engine) as connection:
        rows = list((await connection.execute(query)).mappings())
    views = [
        ActivityView(
            activity_id=row["activity_id"],
            client_id=row["client_id"],
            type_name=row["type"],
            state=row["state"],
            device_tracked=row["device_tracked"],
            occurred_at=row["occurred_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            user_device_id=row["user_device_id"],
            manufacturer_name=row["manufacturer_name"],
            device_name=row["device_name"],
            points=row["points"],
            value_retained=bool(row["value_retained"]),
        )
        for row in rows[:limit]
    ]
    return views, _next_token(rows, limit, filters)


async def list_readings(
    engine: AsyncEngine,
    clock: Clock,
    member: Member,
    filters: ActivityFilter,
    *,
    limit: int,
    page_token: str,
    who: audit.Actor,
) -> tuple[list[ReadingView], str]:
    """Raw readings not yet purged, newest first; the read itself is audited in the same transaction."""
    assert limit > 0
    a, h = activities, health_readings
    query = (
        select(a.c.id, a.c.activity_id, a.c.client_id, a.c.type, a.c.occurred_at, h.c.value, h.c.purge_at)
        .select_from(h.join(a, a.c.id == h.c.activity_pk))
        .where(h.c.member_pk == member.pk, h.c.purge_at > clock.now(), a.c.state == "active")
    )
    query = _page_query(query, filters, page_token).limit(limit + 1)
    async with write_transaction(engine) as connection:
        rows = list((await connection.execute(query)).mappings())
        await audit.record(
            connection,
            clock,
            who,
            action="activity.read_health_readings",
            target_type="member",
            target_id=member.member_id,
            details={"readings": str(min(len(rows), limit))},
        )
    views = [
        ReadingView(
            row["activity_id"],
            row["client_id"],
            row["type"],
            row["occurred_at"],
            activity_pb2.ActivityValue.FromString(row["value"]),
            row["purge_at"],
        )
        for row in rows[:limit]
    ]
    return views, _next_token(rows, limit, filters)


def healthy_sources(program: Program) -> list[str]:
    """The partner API's "healthy choices": the sources the program's activity rules earn into."""
    return sorted({rule.source for rule in program.rules if rule.activity_types})


async def healthy_choice_points(connection: AsyncConnection, program: Program, member: Member) -> int:
    """Points the member earned from healthy choices, net of reversals, every currency."""
    query = (
        select(func.coalesce(func.sum(source_balances.c.lifetime_earned), 0))
        .select_from(source_balances.join(accounts, accounts.c.id == source_balances.c.account_pk))
        .where(accounts.c.member_pk == member.pk, source_balances.c.source_id.in_(healthy_sources(program)))
    )
    return int((await connection.execute(query)).scalar_one())


async def purge_readings(engine: AsyncEngine, clock: Clock) -> int:
    """Delete raw readings past their retention; returns how many went."""
    purged = 0
    while True:
        async with write_transaction(engine) as connection:
            due = (
                select(health_readings.c.activity_pk)
                .where(health_readings.c.purge_at <= clock.now())
                .limit(PURGE_BATCH_MAX)
            )
            pks = list((await connection.execute(due)).scalars())
            if pks:
                await connection.execute(
                    delete(health_readings).where(health_readings.c.activity_pk.in_(pks))
                )
        purged += len(pks)
        if len(pks) < PURGE_BATCH_MAX:
            return purged


async def erase_activity_data(connection: AsyncConnection, member_pk: int) -> int:
    """The member's erasure, in its transaction: every raw reading goes, and the partner's user id
    (personal data); the activities' points and times stay with the anonymous ledger. Returns the
    number of readings deleted."""
    deleted = await connection.execute(
        delete(health_readings).where(health_readings.c.member_pk == member_pk)
    )
    await connection.execute(
        update(activities).where(activities.c.member_pk == member_pk).values(user_device_id="")
    )
    return deleted.rowcount
