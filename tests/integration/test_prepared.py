"""Prepared statements (storage/prepared.py) read and write exactly what SQLAlchemy does, on both
databases, and the balance read built on one (ledger/balance_read.py) finds members, accounts, sources."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from loyalty_server.errors import DomainError
from loyalty_server.ledger import balance_read
from loyalty_server.ledger.balance_read import read_member_balances
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.tables import accounts, members
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import idempotency_keys
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
    for member in (bare, rich):
        parameters = {"tenant": tenant_id, "member": member.member_id}
        async with engine.connect() as connection:  # SQLAlchemy's own execution, on either database
            expected = [dict(row) for row in (await connection.execute(statement, parameters)).mappings()]
        async with read_connection(engine) as connection:  # on SQLite: straight to the driver
            if engine.dialect.name == "sqlite":
                assert isinstance(connection, LoopConnection)
            got = await balance_read._MEMBER_BALANCES.rows(connection, **parameters)
        assert got == expected
        assert [type(value) for value in got[0].values()] == [type(value) for value in expected[0].values()]
    updated_at = got[0]["account_updated_at"]  # rich's, through UtcDateTime's result processor
    assert isinstance(updated_at, dt.datetime)
    assert updated_at.tzinfo is dt.UTC


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


KEYS = idempotency_keys.c
_INSERT_KEY = Prepared(
    insert(idempotency_keys)
    .values(
        tenant_id=bindparam("tenant"),
        scope=bindparam("scope"),
        key=bindparam("key"),
        request_hash=bindparam("digest"),
        response=b"",
        created_at=bindparam("at"),
        expires_at=bindparam("at"),
    )
    .returning(KEYS.key, KEYS.created_at)
)
_SET_RESPONSE = Prepared(
    update(idempotency_keys)
    .where(KEYS.tenant_id == bindparam("tenant"), KEYS.scope == "test")
    .values(response=bindparam("response"))
)
_KEYS_SINCE = Prepared(
    select(KEYS.key, KEYS.response, KEYS.created_at)
    .where(KEYS.tenant_id == bindparam("tenant"), KEYS.created_at >= bindparam("since"))
    .order_by(KEYS.key)
)
AT = dt.datetime(2026, 12, 2, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))


async def test_prepared_writes_match_sqlalchemy_and_raise_its_errors(engine, tenant_id) -> None:
    async with write_transaction(engine) as connection:
        returned = [
            await _INSERT_KEY.first(connection, tenant=tenant_id, scope="test", key=key, digest=b"d", at=AT)
            for key in ("a", "b")
        ]
        assert returned == [{"key": "a", "created_at": AT}, {"key": "b", "created_at": AT}]
        assert await _SET_RESPONSE.run(connection, tenant=tenant_id, response=b"done") == 2
    async with write_transaction(engine) as connection:
        with pytest.raises(IntegrityError):  # the same key again: SQLAlchemy's error, as callers expect
            await _INSERT_KEY.first(connection, tenant=tenant_id, scope="test", key="a", digest=b"d", at=AT)
    expected_statement = select(KEYS.key, KEYS.response, KEYS.created_at).where(KEYS.tenant_id == tenant_id)
    async with engine.connect() as connection:
        expected = [
            dict(r) for r in (await connection.execute(expected_statement.order_by(KEYS.key))).mappings()
        ]
    assert [(r["key"], bytes(r["response"])) for r in expected] == [("a", b"done"), ("b", b"done")]
    async with read_connection(engine) as connection:
        # A datetime parameter goes through its column type on the way in, as through SQLAlchemy.
        got = await _KEYS_SINCE.rows(connection, tenant=tenant_id, since=AT)
        assert got == expected
        assert got[0]["created_at"] == AT
        assert (
            await _KEYS_SINCE.rows(connection, tenant=tenant_id, since=AT + dt.timedelta(microseconds=1))
            == []
        )


async def test_statements_a_driver_cannot_take_as_they_are_are_refused(engine, tenant_id) -> None:
    repeated_names = Prepared(select(members.c.id, accounts.c.id).where(members.c.id == bindparam("pk")))
    async with read_connection(engine) as connection:
        with pytest.raises(AssertionError, match="label the columns"):
            await repeated_names.rows(connection, pk=1)
        with pytest.raises(AssertionError, match="returns no rows"):
            await _SET_RESPONSE.rows(connection, tenant=tenant_id, response=b"x")
        with pytest.raises(RuntimeError, match="outside a write transaction"):  # it would autocommit
            await _SET_RESPONSE.run(connection, tenant=tenant_id, response=b"x")


_INSERT_KEYS = Prepared(
    insert(idempotency_keys),
    insert_columns=("tenant_id", "scope", "key", "request_hash", "response", "created_at", "expires_at"),
)


async def insert_keys(engine, rows: list[dict]) -> None:
    async with write_transaction(engine) as connection:
        await _INSERT_KEYS.run_many(connection, rows)


async def test_many_rows_in_one_call(engine, tenant_id) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "scope": "many",
            "key": key,
            "request_hash": b"d",
            "response": b"",
            "created_at": AT,
            "expires_at": AT,
        }
        for key in ("x", "y", "z")
    ]
    await insert_keys(engine, rows)
    with pytest.raises(IntegrityError):  # the write fails whole: "w" is not kept either
        await insert_keys(engine, [{**rows[0], "key": "w"}, rows[1]])
    async with engine.connect() as connection:
        stored = (
            await connection.execute(select(KEYS.key, KEYS.created_at).where(KEYS.scope == "many"))
        ).all()
    assert sorted(stored) == [("x", AT), ("y", AT), ("z", AT)]
