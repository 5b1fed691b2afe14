"""The account rows a write keeps after locking them (ledger/account_rows.py): used while they are
current, never after a savepoint that changed them rolled back, never in another transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loyalty_server.ledger.book import Entry, credit, lock_account, member_account_pk
from loyalty_server.ledger.tables import accounts
from loyalty_server.storage.engine import write_transaction
from tests.ledger_invariants import check_invariants


def entry(request_id: str) -> Entry:
    return Entry(origin_type="bulk_award", origin_id=request_id, reason_code="TEST", request_id=request_id)


async def _posted(connection, account_pk: int) -> int:
    query = select(accounts.c.posted).where(accounts.c.id == account_pk)
    return (await connection.execute(query)).scalar_one()


async def _credit(connection, ledger, member, points: int, request_id: str) -> None:
    now = ledger.clock.now()
    await credit(
        connection,
        ledger.clock,
        member,
        currency="permanent",
        points=points,
        source_id="purchase",
        entry=entry(request_id),
        effective_at=now,
        expires_at=None,
        pending_until=None,
    )


async def _credit_in_a_rolled_back_savepoint(connection, ledger, member, pk: int) -> None:
    async with connection.begin_nested():
        await _credit(connection, ledger, member, 70, "lost")
        assert (await lock_account(connection, pk))["posted"] == 70  # kept, as written
        raise RuntimeError("roll the savepoint back")


async def test_a_row_kept_in_a_rolled_back_savepoint_is_read_again(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="enroll")
    async with write_transaction(engine) as connection:
        member = await ledger.lock_member(connection, tenant_id, member.member_id, ["permanent"])
        pk = await member_account_pk(connection, member, "permanent", ledger.clock.now())
        with pytest.raises(RuntimeError):
            await _credit_in_a_rolled_back_savepoint(connection, ledger, member, pk)
        # The credit is gone: the row kept inside the savepoint must not be used.
        assert (await lock_account(connection, pk))["posted"] == await _posted(connection, pk) == 0
        await _credit(connection, ledger, member, 30, "kept")
        await _credit(connection, ledger, member, 12, "kept-too")  # the second credit uses the kept row
        assert (await lock_account(connection, pk))["posted"] == await _posted(connection, pk) == 42
    balance = await ledger.balance(tenant_id, member.member_id)
    assert balance.total_available == 42
    await check_invariants(engine)


async def test_a_row_kept_by_one_write_is_not_used_by_the_next(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="enroll")
    for points, request_id in ((5, "first"), (7, "second")):
        async with write_transaction(engine) as connection:
            locked = await ledger.lock_member(connection, tenant_id, member.member_id, ["permanent"])
            pk = await member_account_pk(connection, locked, "permanent", ledger.clock.now())
            assert (await lock_account(connection, pk))["posted"] == await _posted(connection, pk)
            await _credit(connection, ledger, locked, points, request_id)
    assert (await ledger.balance(tenant_id, member.member_id)).total_available == 12
    await check_invariants(engine)
