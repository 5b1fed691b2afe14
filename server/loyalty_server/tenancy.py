"""Tenants: the programs (stores, countries, brands) one engine serves, each fully isolated.

A single-program deployment never sees this: the `default` tenant exists from the first start and
runs the configured program file. Other tenants carry their own validated program document.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.errors import ConfigError
from loyalty_server.program import Program, parse_program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import DEFAULT_TENANT_CODE, tenants

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
TENANTS_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Tenant:
    id: int
    code: str
    name: str
    program_toml: str | None  # None: the server's configured program
    created_at: dt.datetime


def check_tenant_code(code: str) -> str:
    if not _CODE.match(code):
        raise ConfigError(
            f"tenant code {code!r}: use 1-64 letters, digits, '_' or '-', starting with a letter or digit"
        )
    return code


async def ensure_default_tenant(engine: AsyncEngine, clock: Clock) -> Tenant:
    """Create the default tenant on first start; afterwards just read it. Safe when replicas race."""
    existing = await get_tenant(engine, DEFAULT_TENANT_CODE)
    if existing:
        return existing
    now = clock.now()
    try:
        async with write_transaction(engine) as connection:
            await connection.execute(
                insert(tenants).values(
                    code=DEFAULT_TENANT_CODE,
                    name="Default program",
                    program_toml=None,
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass  # another replica created it first
    tenant = await get_tenant(engine, DEFAULT_TENANT_CODE)
    assert tenant is not None
    return tenant


async def create_tenant(engine: AsyncEngine, clock: Clock, code: str, name: str, program_toml: str) -> Tenant:
    check_tenant_code(code)
    parse_program(program_toml, origin=f"tenant {code}")  # validated exactly like the default program
    now = clock.now()
    try:
        async with write_transaction(engine) as connection:
            count = (await connection.execute(select(func.count()).select_from(tenants))).scalar_one()
            if count >= TENANTS_MAX:
                raise ConfigError(
                    f"tenant {code}: the engine already serves {TENANTS_MAX} tenants, the most it allows"
                )
            await connection.execute(
                insert(tenants).values(
                    code=code, name=name, program_toml=program_toml, created_at=now, updated_at=now
                )
            )
    except IntegrityError:
        raise ConfigError(f"tenant {code}: already exists") from None
    tenant = await get_tenant(engine, code)
    assert tenant is not None
    return tenant


async def get_tenant(engine: AsyncEngine, code: str) -> Tenant | None:
    async with engine.connect() as connection:
        row = (await connection.execute(select(tenants).where(tenants.c.code == code))).first()
    return _to_tenant(row) if row else None


async def list_tenants(engine: AsyncEngine) -> list[Tenant]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(tenants).order_by(tenants.c.id).limit(TENANTS_MAX))).all()
    return [_to_tenant(row) for row in rows]


def tenant_program(tenant: Tenant, configured: Program) -> Program:
    """The program a tenant runs: its own document, or the server's configured one."""
    if tenant.program_toml is None:
        return configured
    return parse_program(tenant.program_toml, origin=f"tenant {tenant.code}")


def _to_tenant(row: object) -> Tenant:
    mapping = row._mapping  # type: ignore[attr-defined]
    return Tenant(
        id=mapping["id"],
        code=mapping["code"],
        name=mapping["name"],
        program_toml=mapping["program_toml"],
        created_at=mapping["created_at"],
    )
