"""Migrations, the schema and tenants, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import ConfigError
from loyalty_server.storage.all_tables import metadata
from loyalty_server.storage.engine import create_engine, write_transaction
from loyalty_server.storage.migrate import current_revision, head_revision, migrate
from loyalty_server.storage.schema import DEFAULT_TENANT_CODE, events
from loyalty_server.tenancy import (
    create_tenant,
    ensure_default_tenant,
    get_tenant,
    list_tenants,
    tenant_program,
)

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


async def test_migrations_reach_head_and_are_idempotent(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
        await migrate(engine)
        await migrate(engine)  # a second start, or a second replica, finds nothing to do
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_code(engine) -> None:
    """The migrations and schema.py describe the same tables, columns, indexes and constraints."""

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_every_program_table_belongs_to_a_tenant(engine) -> None:
    def tables_without_tenant(connection):
        inspector = inspect(connection)
        # Engine-wide bookkeeping, not program data: the schema version and positions in the global outbox.
        engine_wide = ("alembic_version", "tenants", "outbox_cursors")
        names = [name for name in inspector.get_table_names() if name not in engine_wide]
        return [name for name in names if "tenant_id" not in {c["name"] for c in inspector.get_columns(name)}]

    async with engine.connect() as connection:
        assert await connection.run_sync(tables_without_tenant) == []


async def test_default_tenant_is_created_once(engine) -> None:
    clock = FakeClock(NOW)
    first = await ensure_default_tenant(engine, clock)
    second = await ensure_default_tenant(engine, clock)
    assert first == second
    assert first.code == DEFAULT_TENANT_CODE
    assert first.program_toml is None


async def test_tenants_create_list_and_program(engine) -> None:
    clock = FakeClock(NOW)
    await ensure_default_tenant(engine, clock)
    program_text = DEMO_PROGRAM.read_text().replace('name = "Demo Rewards"', 'name = "Germany Rewards"')
    germany = await create_tenant(engine, clock, "Germany", "Germany", program_text)
    assert [t.code for t in await list_tenants(engine)] == [DEFAULT_TENANT_CODE, "Germany"]
    assert germany.created_at == NOW
    stored = await get_tenant(engine, "Germany")
    assert stored is not None
    assert tenant_program(stored, configured=None).name == "Germany Rewards"  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="already exists"):
        await create_tenant(engine, clock, "Germany", "again", program_text)


async def test_tenant_program_is_validated_like_the_default(engine) -> None:
    bad = DEMO_PROGRAM.read_text().replace("points_per_unit = 20", "points_per_unit = 0", 1)
    with pytest.raises(ConfigError, match=r"tenant Spain: rules\[0\]\.points_per_unit"):
        await create_tenant(engine, FakeClock(NOW), "Spain", "Spain", bad)
    assert await get_tenant(engine, "Spain") is None


@pytest.mark.parametrize("code", ["", "has space", "ü", "x" * 65, "-lead"])
async def test_bad_tenant_codes(engine, code: str) -> None:
    with pytest.raises(ConfigError, match="tenant code"):
        await create_tenant(engine, FakeClock(NOW), code, "n", DEMO_PROGRAM.read_text())


async def test_foreign_keys_are_enforced(engine) -> None:
    """An event cannot name a tenant that does not exist (SQLite enforces this only when told to)."""
    with pytest.raises(IntegrityError):
        async with write_transaction(engine) as connection:
            await connection.execute(
                insert(events).values(
                    event_id="e1", tenant_id=999, type="member.enrolled", occurred_at=NOW, payload=b""
                )
            )


async def test_event_sequence_increases_and_times_stay_aware(engine) -> None:
    tenant = await ensure_default_tenant(engine, FakeClock(NOW))
    async with write_transaction(engine) as connection:
        for index in range(3):
            await connection.execute(
                insert(events).values(
                    event_id=f"e{index}",
                    tenant_id=tenant.id,
                    type="points.earned",
                    occurred_at=NOW,
                    payload=b"x",
                )
            )
    async with engine.connect() as connection:
        rows = (await connection.execute(select(events.c.sequence, events.c.occurred_at))).all()
    sequences = [row.sequence for row in rows]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 3
    assert all(row.occurred_at.astimezone(dt.UTC) == NOW for row in rows)
