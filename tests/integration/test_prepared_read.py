"""Prepared reads (storage/prepared.py) give exactly the rows SQLAlchemy gives, on both databases, and
the balance read built on one (ledger/balance_read.py) finds members, accounts and sources."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, select

from loyalty_server.errors import DomainError
from loyalty_server.ledger import balance_read
from loyalty_server.ledger.balance_read import read_member_balances
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.tables import accounts, members
from loyalty_server.storage.prepared import PreparedRead
from loyalty_server.storage.sqlite_loop import LoopConnection, read_connection


def entry(request_id: str) -> Entry:
    return Entry(origin_type="bulk_award", origin_id=request_id, reason_code="TEST", request_id=request_id)


async def earn(ledger, tenant_id: int, member_id: str, currency: str, points: int, source_id: str) -> None:
    await ledger.earn(
        tenant_id,
        member_id,
        currency=currency,
        points=points,
        source_id=source_id,
        entry=entry(f"{member_id}-{currency}-{source_id}"),
    )


async def test_prepared_rows_equal_sqlalchemy_rows(ledger, engine, tenant_id) -> None:
    rich = await ledger.enroll(tenant_id, request_id="rich", email="rich@example.com")
    bare = await ledger.enroll(tenant_id, request_id="bare")
    await earn(ledger, tenant_id, rich.member_id, "permanent", 500, "healthy_choice")
    await earn(ledger, tenant_id, rich.member_id, "permanent", 200, "purchase")
    await earn(ledger, tenant_id, rich.member_id, "temporary", 70, "bonus")
    statement = balance_read._MEMBER_BALANCES.statement
    for member in (rich, bare):
        parameters = {"tenant": tenant_id, "member": member.member_id}
        async with engine.connect() as connection:  # SQLAlchemy's own execution, on either database
            expected = [dict(row) for row in (await connection.execute(statement, parameters)).mappings()]
        async with read_connection(engine) as connection:  # on SQLite: straight to the driver
            if engine.dialect.name == "sqlite":
                assert isinstance(connection, LoopConnection)
            got = await balance_read._MEMBER_BALANCES.rows(connection, **parameters)
        assert got == expected
        assert [type(value) for value in got[0].values()] == [type(value) for value in expected[0].values()]
    created_at = got[0]["created_at"]
    assert isinstance(created_at, dt.datetime)
    assert created_at.tzinfo is dt.UTC


async def test_member_balances_gather_accounts_and_sources(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, "permanent", 500, "healthy_choice")
    await earn(ledger, tenant_id, member.member_id, "permanent", 200, "purchase")
    await earn(ledger, tenant_id, member.member_id, "temporary", 70, "bonus")
    async with read_connection(engine) as connection:
        read = await read_member_balances(connection, tenant_id, member.member_id)
    assert (read.member.pk, read.member.member_id) == (member.pk, member.member_id)
    assert sorted(read.accounts) == ["permanent", "temporary"]
    permanent = read.accounts["permanent"]
    assert (permanent.posted, permanent.lifetime_earned) == (700, 700)
    assert permanent.sources == {"healthy_choice": (500, 500), "purchase": (200, 200)}
    assert read.accounts["temporary"].sources == {"bonus": (70, 70)}
    assert read.accounts["temporary"].settle_at is not None  # temporary points expire: due one day
    balance = await ledger.balance(tenant_id, member.member_id)
    assert balance.total_available == 770


async def test_member_without_accounts_and_unknown_members(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    async with read_connection(engine) as connection:
        read = await read_member_balances(connection, tenant_id, member.member_id)
        assert (read.member.member_id, read.accounts) == (member.member_id, {})
        with pytest.raises(DomainError) as raised:
            await read_member_balances(connection, tenant_id, "m_nobody")
        assert raised.value.reason == "MEMBER_NOT_FOUND"
    async with read_connection(engine) as connection:
        with pytest.raises(DomainError) as raised:  # looked for in another tenant: simply not found
            await read_member_balances(connection, tenant_id + 1, member.member_id)
    assert raised.value.reason == "MEMBER_NOT_FOUND"


async def test_statements_a_driver_cannot_take_as_they_are_are_refused(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the driver path is SQLite's")
    repeated_names = PreparedRead(select(members.c.id, accounts.c.id).where(members.c.id == bindparam("pk")))
    converted_parameter = PreparedRead(select(members.c.id).where(members.c.created_at < bindparam("at")))
    async with read_connection(engine) as connection:
        with pytest.raises(AssertionError, match="label the columns"):
            await repeated_names.rows(connection, pk=1)
        with pytest.raises(AssertionError, match="at"):
            await converted_parameter.rows(connection, at=dt.datetime.now(dt.UTC))
