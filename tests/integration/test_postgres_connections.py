"""PostgreSQL's connections: prepared statements run straight on asyncpg (storage/prepared_asyncpg.py),
inside the transaction SQLAlchemy manages (never on their own, rolled back with it, their errors
SQLAlchemy's, a connection that died under one replaced); reads run in autocommit; a pooled
connection whose server went away is replaced at checkout, without a ping."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.events import outbox
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.outages import database_outage
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import idempotency_keys
from loyalty_server.storage.sqlite_loop import read_connection
from tests.integration.test_prepared import AT, KEYS

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

_INSERT_KEY = Prepared(
    insert(idempotency_keys),
    insert_columns=("tenant_id", "scope", "key", "request_hash", "response", "created_at", "expires_at"),
)
_KEYS = Prepared(select(KEYS.key).where(KEYS.scope == bindparam("scope")).order_by(KEYS.key))
_BACKEND_PID = Prepared(select(func.pg_backend_pid().label("pid")))


def key_row(tenant_id: int, key: str, scope: str = "asyncpg") -> dict:
    return {
        "tenant_id": tenant_id,
        "scope": scope,
        "key": key,
        "request_hash": b"d",
        "response": b"",
        "created_at": AT,
        "expires_at": AT,
    }


class Refused(Exception):
    pass


async def stored_keys(engine, scope: str = "asyncpg") -> list[str]:
    async with engine.connect() as connection:  # SQLAlchemy's own path: what is committed
        return [row.key for row in await connection.execute(select(KEYS.key).where(KEYS.scope == scope))]


async def test_statements_bypass_sqlalchemys_execute(engine, tenant_id, monkeypatch) -> None:
    async def refused(*_args, **_kwargs):
        raise AssertionError("a prepared statement went through SQLAlchemy's execute")

    async with write_transaction(engine) as connection:
        monkeypatch.setattr(AsyncConnection, "execute", refused)
        assert await _INSERT_KEY.run(connection, **key_row(tenant_id, "a")) == 1
        await _INSERT_KEY.run_many(connection, [key_row(tenant_id, "b"), key_row(tenant_id, "c")])
        assert await _KEYS.rows(connection, scope="asyncpg") == [{"key": k} for k in "abc"]
        monkeypatch.undo()
    assert sorted(await stored_keys(engine)) == ["a", "b", "c"]


async def written_then_refused(engine, tenant_id: int, *, sqlalchemy_first: bool) -> None:
    async with write_transaction(engine) as connection:
        if sqlalchemy_first:
            await connection.execute(select(1))  # SQLAlchemy began it: the same transaction
        await _INSERT_KEY.run(connection, **key_row(tenant_id, "one"))
        await _INSERT_KEY.run_many(connection, [key_row(tenant_id, "many")])
        raise Refused


async def test_a_first_statement_runs_in_the_transaction_and_rolls_back_with_it(engine, tenant_id) -> None:
    # SQLAlchemy's adapter sends BEGIN only before its own first statement: here there is none.
    with pytest.raises(Refused):
        await written_then_refused(engine, tenant_id, sqlalchemy_first=False)
    assert await stored_keys(engine) == []
    with pytest.raises(Refused):
        await written_then_refused(engine, tenant_id, sqlalchemy_first=True)
    assert await stored_keys(engine) == []
    async with read_connection(engine) as connection:  # autocommit: a write there is refused
        with pytest.raises(AssertionError, match="outside a write transaction"):
            await _INSERT_KEY.run(connection, **key_row(tenant_id, "read"))
        with pytest.raises(AssertionError, match="outside a write transaction"):
            await _INSERT_KEY.run_many(connection, [key_row(tenant_id, "read")])
    assert await stored_keys(engine) == []


async def insert_key(engine, tenant_id: int, key: str) -> None:
    async with write_transaction(engine) as connection:
        await _INSERT_KEY.run(connection, **key_row(tenant_id, key))


async def insert_keys(engine, tenant_id: int, keys: list[str]) -> None:
    async with write_transaction(engine) as connection:
        await _INSERT_KEY.run_many(connection, [key_row(tenant_id, key) for key in keys])


async def test_errors_are_sqlalchemys_with_the_sqlstate(engine, tenant_id) -> None:
    await insert_key(engine, tenant_id, "a")
    with pytest.raises(IntegrityError) as raised:
        await insert_key(engine, tenant_id, "a")
    assert raised.value.orig.sqlstate == "23505"  # type: ignore[union-attr]
    assert not raised.value.connection_invalidated
    with pytest.raises(IntegrityError):  # a batch fails whole, nothing of it kept
        await insert_keys(engine, tenant_id, ["b", "a"])
    assert await stored_keys(engine) == ["a"]


async def insert_after_the_backend_is_killed(engine, database_url: str, tenant_id: int) -> None:
    async with write_transaction(engine) as connection:
        (row,) = await _BACKEND_PID.rows(connection)
        killer = await asyncpg.connect(database_url)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", row["pid"])
        finally:
            await killer.close()
        await _INSERT_KEY.run(connection, **key_row(tenant_id, "lost"))


async def test_a_connection_killed_under_a_statement_is_replaced(engine, database_url, tenant_id) -> None:
    with pytest.raises(DBAPIError) as raised:
        await insert_after_the_backend_is_killed(engine, database_url, tenant_id)
    assert raised.value.connection_invalidated
    outage = database_outage(raised.value)
    assert outage is not None
    assert outage.reason == "DATABASE_UNAVAILABLE"
    await insert_key(engine, tenant_id, "kept")  # the pool gives a live connection
    assert await stored_keys(engine) == ["kept"]


async def test_a_pooled_connection_whose_backend_died_is_replaced_before_use(engine, database_url) -> None:
    async with read_connection(engine) as connection:
        (row,) = await _BACKEND_PID.rows(connection)
        pooled = (await connection.get_raw_connection()).driver_connection
    killer = await asyncpg.connect(database_url)
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", row["pid"])
    finally:
        await killer.close()
    deadline = asyncio.get_running_loop().time() + 5.0
    while not pooled.is_closed():  # asyncpg reads the server's goodbye while the connection idles
        assert asyncio.get_running_loop().time() < deadline, "the killed backend's socket stayed open"
        await asyncio.sleep(0.01)
    async with read_connection(engine) as connection:  # no error: the pool replaced it at checkout
        (replaced,) = await _BACKEND_PID.rows(connection)
    assert replaced["pid"] != row["pid"]


_TRANSACTION_START = Prepared(select(func.now().label("at")))


async def test_reads_run_in_autocommit(engine) -> None:
    """No BEGIN and ROLLBACK around a read connection's statements: each is a transaction of its own
    (now() is a transaction's start time)."""
    async with read_connection(engine) as connection:
        (first,) = await _TRANSACTION_START.rows(connection)
        await asyncio.sleep(0.01)
        (second,) = await _TRANSACTION_START.rows(connection)
    assert second["at"] > first["at"]
    async with write_transaction(engine) as connection:  # one transaction: one start time
        (first,) = await _TRANSACTION_START.rows(connection)
        await asyncio.sleep(0.01)
        (second,) = await _TRANSACTION_START.rows(connection)
    assert second["at"] == first["at"]


async def test_the_outbox_holds_the_commit_order_lock_and_notifies_at_commit(engine, database_url) -> None:
    """One statement takes both (events/outbox.py): the lock until the commit, the notice at it."""
    listener = await asyncpg.connect(database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(outbox.NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[2]))
    other = await asyncpg.connect(database_url)
    try:
        async with write_transaction(engine) as connection:
            await outbox._COMMIT_ORDER_AND_NOTIFY.rows(
                connection, lock_key=outbox.COMMIT_ORDER_LOCK, channel=outbox.NOTIFY_CHANNEL
            )
            assert not await other.fetchval("SELECT pg_try_advisory_xact_lock($1)", outbox.COMMIT_ORDER_LOCK)
            await asyncio.sleep(0.05)
            assert heard.empty(), "notified before the commit"
        assert await asyncio.wait_for(heard.get(), timeout=5.0) == outbox.NOTIFY_CHANNEL
        assert await other.fetchval("SELECT pg_try_advisory_xact_lock($1)", outbox.COMMIT_ORDER_LOCK)
    finally:
        await other.close()
        await listener.close()
