"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: LOYALTY_TEST_POSTGRES_URL (default: the `test` database on 127.0.0.1:5432). Each test gets
a database of its own, copied from a template migrated once per session, and dropped after. Without
a reachable server the PostgreSQL half is skipped with a message, except under CI=true, where it
fails: CI must prove both.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("LOYALTY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_CONNECT_TIMEOUT_S = 5


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=PG_CONNECT_TIMEOUT_S)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    try:
        asyncio.run(_pg_execute(PG_URL, "SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {exc}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the PostgreSQL run is mandatory)", pytrace=False)
        pytest.skip(f"{message}; set LOYALTY_TEST_POSTGRES_URL to run the PostgreSQL half")
    return PG_URL


async def _migrate(url: str) -> None:
    from loyalty_server.storage.engine import create_engine
    from loyalty_server.storage.migrate import migrate

    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; each test starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "loyalty.db"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session: each test's database is a copy
    (CREATE DATABASE ... TEMPLATE), which is faster than running the migrations every time."""
    name = f"loyalty_template_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(postgres_server_url, f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(
            _migrate(make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False))
        )
        yield name
    finally:
        asyncio.run(_pg_execute(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "loyalty.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{request.getfixturevalue("postgres_template")}"' if migrated else ""
    asyncio.run(_pg_execute(server_url, f'CREATE DATABASE "{name}"{template}'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of this test's own, already migrated to head (a copy of a session template):
    a SQLite file, or a PostgreSQL database."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database, for the tests of the migrations themselves."""
    yield from _fresh_database(request, tmp_path, migrated=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI, a run in which no PostgreSQL test passed is a failed run, whatever else happened."""
    if not IN_CI or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = reporter.stats.get("passed", []) if reporter else []
    if not any("postgresql" in report.nodeid for report in passed):
        if reporter:
            reporter.write_line(
                "CI=true but no PostgreSQL test passed: the PostgreSQL run is mandatory", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
