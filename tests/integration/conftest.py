"""Fixtures of the ledger's integration tests: a migrated engine, the default tenant, a Ledger on the
demo program and a fake clock. A module that needs another program or time defines its own."""

from __future__ import annotations

import datetime as dt

import pytest

from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.ledger.operations import Ledger
from loyalty_server.program import load_program_file
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import migrate
from loyalty_server.tenancy import ensure_default_tenant

LEDGER_START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DEMO = load_program_file(DEMO_PROGRAM)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(LEDGER_START)


@pytest.fixture
async def engine(database_url: str):
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tenant_id(engine, clock) -> int:
    return (await ensure_default_tenant(engine, clock)).id


@pytest.fixture
def ledger(engine, clock) -> Ledger:
    return Ledger(engine, clock, lambda _tenant_id: DEMO)
