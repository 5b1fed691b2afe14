"""Ledger invariants, checked against the database itself (not through the code under test).

Debt-aware (see ledger/book.py): a member account's lots hold max(posted, 0); posted goes below zero
only when the program allows negative balances (`debt_allowed`); recorded debt is never negative and
equals what the member's debt account was posted; a transaction's debt_points is its debt leg; no
transaction is reversed beyond its whole effect (expired points reversed against program/expiry
included), nor beyond what expired of it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.ledger.tables import (
    accounts,
    ledger_transactions,
    lot_draws,
    lots,
    postings,
    source_balances,
)


async def check_invariants(engine: AsyncEngine, *, debt_allowed: bool = False) -> None:
    """`debt_allowed`: the program's debt policy is ALLOW_NEGATIVE (balances may go below zero)."""
    async with engine.connect() as connection:
        # Every transaction sums to zero.
        unbalanced = (
            await connection.execute(
                select(postings.c.transaction_pk)
                .group_by(postings.c.transaction_pk)
                .having(func.sum(postings.c.amount) != 0)
            )
        ).all()
        assert unbalanced == [], f"unbalanced transactions: {unbalanced}"
        # Every transaction has postings, and the member leg equals the recorded points.
        for row in (await connection.execute(select(ledger_transactions))).mappings():
            legs = (
                await connection.execute(
                    select(postings.c.amount, accounts.c.account_type)
                    .join(accounts, accounts.c.id == postings.c.account_pk)
                    .where(postings.c.transaction_pk == row["id"])
                )
            ).all()
            assert sum(amount for amount, kind in legs if kind == "member") == row["points"], row
            assert sum(amount for amount, kind in legs if kind == "debt") == row["debt_points"], row
        # The whole book sums to zero: total supply is auditable at any moment.
        assert (await connection.execute(select(func.coalesce(func.sum(postings.c.amount), 0)))).scalar() == 0
        for account in (
            await connection.execute(select(accounts).where(accounts.c.account_type == "member"))
        ).mappings():
            posted = (
                await connection.execute(
                    select(func.coalesce(func.sum(postings.c.amount), 0)).where(
                        postings.c.account_pk == account["id"]
                    )
                )
            ).scalar()
            assert account["posted"] == posted, (
                f"{account['name']}: posted {account['posted']} != postings {posted}"
            )
            lot_total = (
                await connection.execute(
                    select(func.coalesce(func.sum(lots.c.available), 0)).where(
                        lots.c.account_pk == account["id"]
                    )
                )
            ).scalar()
            assert lot_total == max(account["posted"], 0), (
                f"{account['name']}: lots {lot_total} != posted {account['posted']}"
            )
            assert debt_allowed or account["posted"] >= 0, f"{account['name']}: posted {account['posted']}"
            owed = (
                await connection.execute(
                    select(func.coalesce(func.sum(postings.c.amount), 0))
                    .join(accounts, accounts.c.id == postings.c.account_pk)
                    .where(accounts.c.name == account["name"] + "/debt")
                )
            ).scalar()
            assert account["debt"] >= 0, f"{account['name']}: debt {account['debt']}"
            assert account["debt"] == -owed, (
                f"{account['name']}: debt {account['debt']} != debt postings {-owed}"
            )
            pending_total = (
                await connection.execute(
                    select(func.coalesce(func.sum(lots.c.available), 0)).where(
                        lots.c.account_pk == account["id"], lots.c.pending_until.is_not(None)
                    )
                )
            ).scalar()
            assert pending_total == account["pending"], account["name"]
            source_total = (
                await connection.execute(
                    select(func.coalesce(func.sum(source_balances.c.remaining), 0)).where(
                        source_balances.c.account_pk == account["id"]
                    )
                )
            ).scalar()
            assert source_total == lot_total, account["name"]
            if not debt_allowed:
                assert account["posted"] - account["held"] - account["pending"] >= 0, account["name"]
        bad_lots = (
            await connection.execute(
                select(lots.c.id).where((lots.c.available < 0) | (lots.c.available > lots.c.amount))
            )
        ).all()
        assert bad_lots == []
        await _check_draws_and_reversals(connection)


async def _check_draws_and_reversals(connection) -> None:  # type: ignore[no-untyped-def]
    t = ledger_transactions
    # A debit drew from lots at most what it took from the member, each draw positive.
    drawn = (
        await connection.execute(
            select(
                lot_draws.c.transaction_pk, func.sum(lot_draws.c.points), func.min(lot_draws.c.points)
            ).group_by(lot_draws.c.transaction_pk)
        )
    ).all()
    for transaction_pk, total, smallest in drawn:
        points = (await connection.execute(select(t.c.points).where(t.c.id == transaction_pk))).scalar_one()
        assert smallest > 0, transaction_pk
        assert total <= -points, f"transaction {transaction_pk} drew {total}, took {-points}"
    # Reversals undo at most the whole effect (member + debt legs) of what they reverse, opposite sign.
    # Points of an earn that had already expired are undone by a leg against program/expiry instead of
    # the member (ledger/reversals.py): those legs count as undone too, and never exceed what expired
    # from the original's own lots.
    legs = (
        select(t.c.reverses_pk, accounts.c.account_type, func.sum(postings.c.amount))
        .join(postings, postings.c.transaction_pk == t.c.id)
        .join(accounts, accounts.c.id == postings.c.account_pk)
        .where(t.c.reverses_pk.is_not(None), accounts.c.account_type.in_(["member", "debt", "expiry"]))
        .group_by(t.c.reverses_pk, accounts.c.account_type)
    )
    undone: dict[int, int] = {}
    expiry_legs: dict[int, int] = {}
    for reverses_pk, account_type, amount in await connection.execute(legs):
        undone[reverses_pk] = undone.get(reverses_pk, 0) + int(amount)
        if account_type == "expiry":
            expiry_legs[reverses_pk] = int(amount)
    for reverses_pk, total in undone.items():
        original = (
            await connection.execute(select(t.c.points + t.c.debt_points).where(t.c.id == reverses_pk))
        ).scalar_one()
        assert original * total <= 0, f"reversal of {reverses_pk} has the same sign"
        assert abs(total) <= abs(original), f"{reverses_pk}: {abs(total)} reversed of {abs(original)}"
    for reverses_pk, amount in expiry_legs.items():
        own_lots = (
            await connection.execute(select(lots.c.id).where(lots.c.transaction_pk == reverses_pk))
        ).scalars()
        expired = (
            await connection.execute(
                select(func.coalesce(func.sum(t.c.points), 0)).where(
                    t.c.type == "expire",
                    t.c.origin_type == "expiry",
                    t.c.origin_id.in_([str(pk) for pk in own_lots]),
                )
            )
        ).scalar()
        assert 0 <= -amount <= -expired, f"{reverses_pk}: {-amount} expired points reversed of {-expired}"
