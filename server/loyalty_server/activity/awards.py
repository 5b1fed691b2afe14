"""Rule awards in the database: what each rule currently gives one origin, the usage limits count,
and the ledger postings that move a rule's award from what it was to what it is now.

Everything here runs inside the caller's write transaction, with the member's accounts locked
(`Ledger.lock_member`), so two writes for one member never count the same limit at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.activity.rules import Multiplier, Usage
from loyalty_server.activity.tables import rule_awards
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import Member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.reversals import left_to_reverse, reverse_transaction
from loyalty_server.ledger.tables import ledger_transactions
from loyalty_server.ledger.tiers import earn_multiplier_percent, effective_tier_id
from loyalty_server.program.model import Program
from loyalty_server.storage.prepared import Prepared


@dataclass(frozen=True, slots=True)
class Posted:
    points_delta: int  # signed change of the member's points, debt included
    transaction_ids: list[str]
    debt_points: int = 0  # of a negative delta: what could not be taken back (already spent)
    transaction_pks: list[int] = field(default_factory=list)  # of the transaction_ids, in order
    pending_until: dt.datetime | None = None  # of an earn: when its points become spendable


def multiplier_of(program: Program, member: Member) -> Multiplier:
    return Multiplier(earn_multiplier_percent(program, member), effective_tier_id(program, member))


# Statements prepared once (storage/prepared.py): every activity and purchase runs them.
_USAGE = (
    select(
        rule_awards.c.rule_id,
        rule_awards.c.local_day,
        func.sum(rule_awards.c.points).label("points"),
        func.sum(case((rule_awards.c.points > 0, 1), else_=0)).label("awards"),
    )
    .where(
        rule_awards.c.member_pk == bindparam("member_pk"),
        rule_awards.c.local_day >= bindparam("first_day"),
        rule_awards.c.local_day < bindparam("end_day"),
    )
    .group_by(rule_awards.c.rule_id, rule_awards.c.local_day)
)
_USAGE_ALL = Prepared(_USAGE)
_USAGE_EXCEPT = Prepared(_USAGE.where(rule_awards.c.origin_key != bindparam("exclude_origin")))
_AWARDS_OF = Prepared(
    select(rule_awards.c.rule_id, rule_awards.c.points).where(
        rule_awards.c.member_pk == bindparam("member_pk"),
        rule_awards.c.origin_key == bindparam("origin_key"),
    )
)
_UPDATE_AWARD = Prepared(  # bind names other than the columns' (SQLAlchemy reserves those)
    update(rule_awards)
    .where(
        rule_awards.c.member_pk == bindparam("b_member_pk"),
        rule_awards.c.origin_key == bindparam("b_origin_key"),
        rule_awards.c.rule_id == bindparam("b_rule_id"),
    )
    .values(points=bindparam("b_points"), local_day=bindparam("b_day", type_=rule_awards.c.local_day.type))
)
_INSERT_AWARD = Prepared(
    insert(rule_awards),
    insert_columns=("tenant_id", "member_pk", "rule_id", "origin_key", "local_day", "points"),
)


async def load_usage(
    connection: AsyncConnection,
    member_pk: int,
    window: tuple[dt.date, dt.date],
    *,
    exclude_origin: str | None = "",
) -> Usage:
    """The member's awards per rule and local day in the window (at most rules x ~62 rows), but
    those of `exclude_origin` (None: a new origin, which has none)."""
    values = {"member_pk": member_pk, "first_day": window[0], "end_day": window[1]}
    if exclude_origin is None:
        rows = await _USAGE_ALL.rows(connection, **values)
    else:
        rows = await _USAGE_EXCEPT.rows(connection, **values, exclude_origin=exclude_origin)
    # int(): PostgreSQL sums to a Decimal.
    return Usage(
        {(row["rule_id"], row["local_day"]): (int(row["points"]), int(row["awards"])) for row in rows}
    )


async def awards_of(connection: AsyncConnection, member_pk: int, origin_key: str) -> dict[str, int]:
    """What each rule currently awards this origin."""
    rows = await _AWARDS_OF.rows(connection, member_pk=member_pk, origin_key=origin_key)
    return {row["rule_id"]: int(row["points"]) for row in rows}


async def store_award(
    connection: AsyncConnection, member: Member, origin_key: str, rule_id: str, day: dt.date, points: int
) -> None:
    assert points >= 0
    values = {
        "b_member_pk": member.pk,
        "b_origin_key": origin_key,
        "b_rule_id": rule_id,
        "b_points": points,
        "b_day": day,
    }
    if await _UPDATE_AWARD.run(connection, **values) == 0:
        await insert_award(connection, member, origin_key, rule_id, day, points)


async def insert_award(
    connection: AsyncConnection, member: Member, origin_key: str, rule_id: str, day: dt.date, points: int
) -> None:
    """The first award of a rule to an origin (store_award when the origin may have one already)."""
    assert points >= 0
    values = {
        "tenant_id": member.tenant_id,
        "member_pk": member.pk,
        "rule_id": rule_id,
        "origin_key": origin_key,
        "local_day": day,
        "points": points,
    }
    await _INSERT_AWARD.run(connection, **values)


async def post_rule_change(
    ledger: Ledger,
    connection: AsyncConnection,
    program: Program,
    member: Member,
    rule_id: str,
    delta: int,
    entry: Entry,
) -> Posted:
    """Move the member's points for one rule of one origin by `delta`: an earn of the difference,
    or a reversal of it from that rule's earlier earns of the origin (newest first; what was spent
    follows the program's debt policy). The ledger transactions carry the rule id as reason code,
    which is how a reduction finds them, even after the rule left the program."""
    entry = dataclasses.replace(entry, reason_code=rule_id)
    if delta > 0:
        rule = next(rule for rule in program.rules if rule.id == rule_id)
        booked = await ledger.earn_in(
            connection,
            program,
            member,
            currency=rule.currency,
            points=delta,
            source_id=rule.source,
            entry=entry,
            pending_days=rule.pending_days,
        )
        return Posted(
            booked.points + booked.debt_points,
            [booked.transaction_id],
            transaction_pks=[booked.pk],
            pending_until=booked.pending_until,
        )
    if delta == 0:
        return Posted(0, [])
    return await _take_back(ledger, connection, member, -delta, entry)


async def _take_back(
    ledger: Ledger, connection: AsyncConnection, member: Member, points: int, entry: Entry
) -> Posted:
    t = ledger_transactions
    query = (
        select(t)
        .where(
            t.c.member_pk == member.pk,
            t.c.type == "earn",
            t.c.origin_type == entry.origin_type,
            t.c.origin_id == entry.origin_id,
            t.c.origin_client_id == entry.origin_client_id,
            t.c.reason_code == entry.reason_code,
        )
        .order_by(t.c.id.desc())
    )
    earns = list((await connection.execute(query)).mappings())
    left_points, ids, pks, debt = points, [], [], 0
    for earn in earns:
        share = min(left_points, await left_to_reverse(connection, earn))
        if share == 0:
            continue
        done = await reverse_transaction(ledger, connection, member, earn["id"], points=share, entry=entry)
        ids.append(done.booked.transaction_id)
        pks.append(done.booked.pk)
        debt += done.debt_points
        left_points -= share
        if left_points == 0:
            break
    # The award rows and the earns move together, so the earns cover a reduction, unless an operator
    # already reversed the origin by hand (ReversePoints): then only what is left is taken back.
    return Posted(-(points - left_points), ids, debt, transaction_pks=pks)
