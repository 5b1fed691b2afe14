"""What the fault tests share: a real `loyalty serve` on a fixed port (so it can be restarted on the
same one), a small program whose points are exact (no tier multipliers, no return window, no
expiry), an admin service account made straight in the database, and the checks from the tables."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Awaitable, Iterable, Mapping
from pathlib import Path

import grpc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.client import RetryPolicy
from loyalty_server.auth.service_accounts import AccountSpec, create_account
from loyalty_server.clock import SystemClock
from loyalty_server.ledger.tables import ledger_transactions, members
from loyalty_server.principal import Role
from loyalty_server.storage.engine import write_transaction
from loyalty_server.tenancy import ensure_default_tenant
from tests.integration.test_cli import ServeProcess

CURRENCY = "points"
# One point per 1.00 spent, spendable at once, never expiring, one tier: what a member holds is
# exactly what the client meant to give and take, so the tables can be checked against it.
EXACT_PROGRAM = """
[program]
name = "Fault tests"
default_time_zone = "UTC"
debt_policy = "record_debt"

[currencies.points]
name = "Points"
expiry = "never"

[sources.purchase]
name = "Purchases"

[tiers]
qualifying_window_days = 365
downgrade_grace_days = 30
downgrade_warning_days = 14
qualifying_currencies = ["points"]

[[tiers.levels]]
id = "member"
name = "Member"
threshold = 0

[[rules]]
id = "purchase"
description = "1 point per 1.00 spent"
purchase_categories = ["*"]
measure = "amount"
points_per_unit = 1
amount_minor_per_unit = 100
source = "purchase"
currency = "points"
"""
# Clients ride out a restart: many quick tries, short waits (a restart takes a few seconds).
PATIENT_RETRY = RetryPolicy(attempts_max=60, backoff_initial_ms=50, backoff_max_ms=400)
SERVE_START_TIMEOUT_S = 30
# gRPC's own reconnect backoff starts at 1 s and grows to 2 min: a channel that saw the server die
# would sit out the restart for longer than the test's budget. Reconnect within a fraction of a second.
QUICK_RECONNECT: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_program(directory: Path) -> Path:
    path = directory / "fault-program.toml"
    path.write_text(EXACT_PROGRAM)
    return path


def serve(tmp_path: Path, database_url: str, port: int, program: Path) -> ServeProcess:
    """`loyalty serve` as a subprocess on 127.0.0.1:`port`; returns once it logged "serving"."""
    process = ServeProcess(
        tmp_path, database_url, "--grpc-address", f"127.0.0.1:{port}", "--program", str(program)
    )
    process.wait_for("serving", timeout_s=SERVE_START_TIMEOUT_S)
    return process


async def credentials(engine: AsyncEngine, role: Role) -> tuple[str, str]:
    """A new service account of the default tenant, made in the database: (client_id, secret)."""
    clock = SystemClock()
    tenant = await ensure_default_tenant(engine, clock)
    spec = AccountSpec(f"fault tests {role.value}", "", role, [], False, 0)
    async with write_transaction(engine) as connection:
        account, secret = await create_account(connection, tenant_id=tenant.id, spec=spec, now=clock.now())
    return account.client_id, secret


async def transactions_per_request_id(engine: AsyncEngine, request_ids: Iterable[str]) -> dict[str, int]:
    """How many ledger transactions carry each of `request_ids` (absent: none)."""
    wanted = list(request_ids)
    counts: dict[str, int] = {}
    async with engine.connect() as connection:
        for start in range(0, len(wanted), 500):  # stay under any bind-parameter limit
            chunk = wanted[start : start + 500]
            rows = await connection.execute(
                select(ledger_transactions.c.request_id, func.count())
                .where(ledger_transactions.c.request_id.in_(chunk))
                .group_by(ledger_transactions.c.request_id)
            )
            counts.update({request_id: count for request_id, count in rows})
    return counts


async def points_by_member(engine: AsyncEngine) -> Mapping[str, int]:
    """Each member's net points in CURRENCY, summed from the ledger's transactions."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(members.c.member_id, func.coalesce(func.sum(ledger_transactions.c.points), 0))
            .join(ledger_transactions, ledger_transactions.c.member_pk == members.c.id, isouter=True)
            .where((ledger_transactions.c.currency == CURRENCY) | ledger_transactions.c.id.is_(None))
            .group_by(members.c.member_id)
        )
        return {member_id: int(points) for member_id, points in rows}


def purchase_time() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)


async def refusal_of(call: Awaitable[object]) -> grpc.aio.AioRpcError | None:
    """The error a call ended with (the client's typed one), or None when it succeeded."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error
    return None
