"""Ledger invariants, checked against the database itself (not through the code under test)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.ledger.tables import accounts, ledger_transactions, lots, postings, source_balances


async def check_invariants(engine: AsyncEngine, *, debt_allowed: bool = False) -> None:
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
            assert lot_total == account["posted"], (
                f"{account['name']}: lots {lot_total} != posted {account['posted']}"
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
