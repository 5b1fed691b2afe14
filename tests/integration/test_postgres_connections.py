"""PostgreSQL's connections: prepared statements run straight on asyncpg (storage/prepared_asyncpg.py),
inside the transaction SQLAlchemy manages (never on their own, rolled back with it, their errors
SQLAlchemy's, a connection that died under one replaced); reads run in autocommit; a pooled
connection whose server went away is replaced at checkout, without a ping."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Float, bindparam, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.events import outbox
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.outages import database_outage
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.sqlite_loop import read_connection
from tests.integration.test_prepared import _INSERT_KEYS, AT, KEYS, insert_keys

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

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
        assert await _INSERT_KEYS.run(connection, **key_row(tenant_id, "a")) == 1
        await _INSERT_KEYS.run_many(connection, [key_row(tenant_id, "b"), key_row(tenant_id, "c")])
        assert await _KEYS.rows(connection, scope="asyncpg") == [{"key": k} for k in "abc"]
        monkeypatch.undo()
    assert sorted(await stored_keys(engine)) == ["a", "b", "c"]


async def written_then_refused(engine, tenant_id: int, *, sqlalchemy_first: bool) -> None:
    async with write_transaction(engine) as connection:
        if sqlalchemy_first:
            await connection.execute(select(1))  # SQLAlchemy began it: the same transaction
        await _INSERT_KEYS.run(connection, **key_row(tenant_id, "one"))
        await _INSERT_KEYS.run_many(connection, [key_row(tenant_id, "many")])
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
        with pytest.raises(RuntimeError, match="outside a write transaction"):
            await _INSERT_KEYS.run(connection, **key_row(tenant_id, "read"))
        with pytest.raises(RuntimeError, match="outside a write transaction"):
            await _INSERT_KEYS.run_many(connection, [key_row(tenant_id, "read")])
    assert await stored_keys(engine) == []


async def insert_key(engine, tenant_id: int, key: str) -> None:
    async with write_transaction(engine) as connection:
        await _INSERT_KEYS.run(connection, **key_row(tenant_id, key))


async def test_errors_are_sqlalchemys_with_the_sqlstate(engine, tenant_id) -> None:
    await insert_key(engine, tenant_id, "a")
    with pytest.raises(IntegrityError) as raised:
        await insert_key(engine, tenant_id, "a")
    assert raised.value.orig.sqlstate == "23505"  # type: ignore[union-attr]
    assert not raised.value.connection_invalidated
    with pytest.raises(IntegrityError):  # a batch fails whole, nothing of it kept
        await insert_keys(engine, [key_row(tenant_id, "b"), key_row(tenant_id, "a")])
    assert await stored_keys(engine) == ["a"]


async def kill_backend(database_url: str, pid: int) -> None:
    killer = await asyncpg.connect(database_url)
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


async def backend_pids(engine, count: int) -> set[int]:
    """The backends of `count` connections held at once (so that the pool holds that many)."""
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(read_connection(engine)) for _ in range(count)]
        return {(await _BACKEND_PID.rows(connection))[0]["pid"] for connection in connections}


async def insert_after_the_backend_is_killed(engine, database_url: str, tenant_id: int) -> None:
    async with write_transaction(engine) as connection:
        (row,) = await _BACKEND_PID.rows(connection)
        await kill_backend(database_url, row["pid"])
        await _INSERT_KEYS.run(connection, **key_row(tenant_id, "lost"))


async def test_a_connection_killed_under_a_statement_invalidates_the_pool(
    engine, database_url, tenant_id
) -> None:
    before = await backend_pids(engine, 2)  # both pooled: one is killed, the other stays alive
    with pytest.raises(DBAPIError) as raised:
        await insert_after_the_backend_is_killed(engine, database_url, tenant_id)
    assert raised.value.connection_invalidated
    outage = database_outage(raised.value)
    assert outage is not None
    assert outage.reason == "DATABASE_UNAVAILABLE"
    # As SQLAlchemy does on a disconnect: every connection made before it is replaced, the live one too.
    assert not (await backend_pids(engine, 2)) & before
    await insert_key(engine, tenant_id, "kept")
    assert await stored_keys(engine) == ["kept"]


_SLEEP = Prepared(select(func.pg_sleep(bindparam("seconds", type_=Float)).label("slept")))


async def test_a_statement_cancelled_mid_way_discards_its_connection(engine, database_url, tenant_id) -> None:
    """A client's cancel or a deadline: SQLAlchemy's own path discards the connection, so does this,
    once the server was told to stop the statement (it would otherwise run on, holding its locks)."""
    started = asyncio.Event()
    held: list[Any] = []

    async def sleep_in_a_transaction() -> None:
        async with write_transaction(engine) as connection:
            await _INSERT_KEYS.run(connection, **key_row(tenant_id, "cancelled"))
            held.append((await connection.get_raw_connection()).driver_connection)
            started.set()
            await _SLEEP.rows(connection, seconds=5.0)

    task = asyncio.create_task(sleep_in_a_transaction())
    await asyncio.wait_for(started.wait(), timeout=5.0)
    await asyncio.sleep(0.1)  # the sleep is sent (the task has run up to its fetch)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert held[0].is_closed()
    watcher = await asyncpg.connect(database_url)
    try:
        deadline = asyncio.get_running_loop().time() + 3.0
        while await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep%'"
            " AND datname = current_database() AND pid <> pg_backend_pid()"
        ):
            assert asyncio.get_running_loop().time() < deadline, "the cancelled statement runs on"
            await asyncio.sleep(0.05)
    finally:
        await watcher.close()
    await insert_key(engine, tenant_id, "next")  # the pool gives a live connection
    assert await stored_keys(engine) == ["next"]


_LOCK_KEY_ROWS = Prepared(select(KEYS.key).where(KEYS.scope == bindparam("scope")).with_for_update())


async def test_a_row_lock_on_a_read_connection_is_refused(engine) -> None:
    """In autocommit the lock would end with its statement: no protection at all."""
    async with read_connection(engine) as connection:
        with pytest.raises(RuntimeError, match="row lock outside a write transaction"):
            await _LOCK_KEY_ROWS.rows(connection, scope="asyncpg")
    async with write_transaction(engine) as connection:
        assert await _LOCK_KEY_ROWS.rows(connection, scope="asyncpg") == []


async def test_a_pooled_connection_whose_backend_died_is_replaced_before_use(engine, database_url) -> None:
    async with read_connection(engine) as connection:
        (row,) = await _BACKEND_PID.rows(connection)
        pooled = (await connection.get_raw_connection()).driver_connection
    await kill_backend(database_url, row["pid"])
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
