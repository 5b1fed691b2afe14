"""SQLite read connections on the loop (storage/sqlite_loop.py): kept open and reused, yet every use
reads in a snapshot of its own, never one left over from the use before."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.storage import sqlite_loop
from loyalty_server.storage.engine import create_engine, write_transaction
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.sqlite_loop import READ_CONNECTIONS_KEPT, LoopConnection, read_connection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'reads.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
    yield engine
    await engine.dispose()


def driver_of(connection: object) -> object:
    assert isinstance(connection, LoopConnection)
    return connection.driver()


async def add_item(engine: AsyncEngine, item_id: int) -> None:
    async with write_transaction(engine) as connection:
        await connection.execute(text("INSERT INTO item (id) VALUES (:id)"), {"id": item_id})


async def item_count(connection: object) -> int:
    result = await connection.execute(text("SELECT count(*) FROM item"))  # type: ignore[attr-defined]
    return int(result.scalar_one())


async def test_a_read_connection_is_reused(engine: AsyncEngine) -> None:
    async with read_connection(engine) as first:
        first_driver = driver_of(first)
    async with read_connection(engine) as second:
        assert driver_of(second) is first_driver


async def test_a_reused_connection_reads_what_was_committed_since(engine: AsyncEngine) -> None:
    """The first use opened a snapshot (a SQLAlchemy read begins a transaction); giving the
    connection back must end it, or the next use would not see the write in between."""
    async with read_connection(engine) as connection:
        assert await item_count(connection) == 0
    await add_item(engine, 1)
    async with read_connection(engine) as connection:
        assert await item_count(connection) == 1


async def test_a_use_that_raised_gives_its_connection_back_clean(engine: AsyncEngine) -> None:
    async def fail_mid_read() -> None:
        async with read_connection(engine) as connection:
            assert await item_count(connection) == 0
            raise RuntimeError("the caller failed mid-read")

    with pytest.raises(RuntimeError):
        await fail_mid_read()
    await add_item(engine, 1)
    async with read_connection(engine) as connection:
        assert await item_count(connection) == 1


async def test_concurrent_reads_get_connections_of_their_own_and_the_surplus_is_closed(
    engine: AsyncEngine,
) -> None:
    holders = READ_CONNECTIONS_KEPT + 8
    drivers: list[object] = []
    all_in = asyncio.Event()

    async def hold() -> None:
        async with read_connection(engine) as connection:
            drivers.append(driver_of(connection))
            if len(drivers) == holders:
                all_in.set()
            await all_in.wait()

    await asyncio.gather(*(hold() for _ in range(holders)))
    assert len({id(driver) for driver in drivers}) == holders
    kept: set[int] = set()
    for _ in range(holders):  # one at a time now: only the kept ones come back
        async with read_connection(engine) as connection:
            kept.add(id(driver_of(connection)))
    assert len(kept) == 1
    assert len(_kept(engine)) == READ_CONNECTIONS_KEPT


def _kept(engine: AsyncEngine) -> list[LoopConnection]:
    return list(sqlite_loop._readers[engine.sync_engine]._idle)


async def test_disposing_the_engine_closes_the_kept_connections(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'dispose.db'}")
    async with read_connection(engine) as connection:
        sync = connection.sync_connection  # type: ignore[attr-defined]
    assert not sync.closed
    await engine.dispose()
    assert sync.closed


_items = Table("item", MetaData(), Column("id", Integer, primary_key=True))
_COUNT = Prepared(select(func.count().label("n")).select_from(_items))
_INSERT = Prepared(insert(_items), insert_columns=("id",))


async def prepared_count(connection: object) -> int:
    (row,) = await _COUNT.rows(connection)  # type: ignore[arg-type]
    return int(row["n"])


async def test_every_read_of_one_use_sees_the_same_snapshot(engine: AsyncEngine) -> None:
    """Prepared reads go straight to the driver: without the use's own transaction each would read
    the newest state, and a view built from several reads could mix two states."""
    async with read_connection(engine) as connection:
        assert await prepared_count(connection) == 0
        await add_item(engine, 1)  # committed by the writer meanwhile
        assert await prepared_count(connection) == 0
        assert await item_count(connection) == 0  # SQLAlchemy's autobegin joins the use's snapshot
        kept = connection
    assert isinstance(kept, LoopConnection)
    assert not kept.driver().in_transaction
    assert not kept.sync_connection.in_transaction()
    async with read_connection(engine) as connection:
        assert await prepared_count(connection) == 1


async def test_a_prepared_write_on_a_read_connection_is_refused(engine: AsyncEngine) -> None:
    """Its transaction is rolled back when it is given back: a write there would be lost silently."""

    async def write_on_a_read_connection() -> None:
        async with read_connection(engine) as connection:
            await _INSERT.run(connection, id=1)  # type: ignore[arg-type]

    with pytest.raises(RuntimeError, match="outside a write transaction"):
        await write_on_a_read_connection()
    async with read_connection(engine) as connection:
        assert await item_count(connection) == 0


async def test_a_connection_in_use_when_the_engine_is_disposed_is_closed_when_given_back(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'in-use.db'}")
    async with read_connection(engine) as connection:
        sync = connection.sync_connection  # type: ignore[attr-defined]
        await engine.dispose()
        assert not sync.closed
    assert sync.closed


async def test_an_engine_dropped_without_dispose_leaves_no_kept_connections_behind(tmp_path: Path) -> None:
    """The registry must not keep an engine (and up to 32 open connections) alive on its own."""
    engine = create_engine(f"sqlite:///{tmp_path / 'dropped.db'}")
    async with read_connection(engine) as connection:
        assert await item_count_or_none(connection) is None
    key = weakref.ref(engine.sync_engine)
    assert key() in sqlite_loop._readers
    del engine, connection
    gc.collect()
    assert key() is None
    assert (
        len(
            [
                k
                for k in sqlite_loop._readers
                if k is not None and k.url.database == str(tmp_path / "dropped.db")
            ]
        )
        == 0
    )


async def item_count_or_none(connection: object) -> int | None:
    result = await connection.execute(text("SELECT name FROM sqlite_master WHERE name = 'item'"))  # type: ignore[attr-defined]
    return result.scalar()
