"""The scheduled side of tiers, run inside the server (no external cron).

Each round evaluates the members whose `tier_review_at` has come: custom tiers that ran out, pending
downgrades to start, warn about or carry out, and windows whose oldest day rolled off. Upgrades need
no round: they happen in the transaction of the earn that crosses the threshold.

Safe across restarts and replicas: each member is evaluated in its own write transaction that locks
the member row and re-checks that the review is still due, and an evaluation always moves
`tier_review_at` past now, so a second replica finds nothing to do and no event goes out twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import members
from loyalty_server.ledger.tiers import Tiers
from loyalty_server.logs import log_event

logger = logging.getLogger("loyalty.tiers")
MEMBERS_PER_ROUND_MAX = 500


async def run_round(ledger: Ledger, *, limit: int = MEMBERS_PER_ROUND_MAX) -> int:
    """Evaluate up to `limit` due members, most overdue first; returns how many were evaluated."""
    assert limit > 0
    query = (
        select(members.c.tenant_id, members.c.member_id)
        .where(members.c.tier_review_at <= ledger.clock.now())
        .order_by(members.c.tier_review_at)
        .limit(limit)
    )
    async with ledger.engine.connect() as connection:
        due = (await connection.execute(query)).all()
    tiers = Tiers(ledger)
    evaluated = 0
    for tenant_id, member_id in due:
        try:
            evaluated += await tiers.evaluate(tenant_id, member_id, due_only=True)
        except Exception as exc:  # one member's failure must not hold up the others; retried next round
            log_event(logger, "tier evaluation failed", logging.ERROR, error=type(exc).__name__)
    return evaluated


async def run_rounds(ledger: Ledger, *, rounds_max: int = 20) -> int:
    """A backlog (say, a window rolling off for many members) is worked through at once, up to a limit."""
    evaluated = 0
    for _ in range(rounds_max):
        count = await run_round(ledger)
        evaluated += count
        if count < MEMBERS_PER_ROUND_MAX:
            break
    return evaluated
