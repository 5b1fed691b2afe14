"""What the auth operations need: the database, the clock, the settings and the token issuer."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.auth.tokens import TokenIssuer
from loyalty_server.clock import Clock
from loyalty_server.config import Settings
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.program import Program
from loyalty_server.requests import check_reason  # noqa: F401 (auth modules import it from here)
from loyalty_server.storage.schema import tenants

if TYPE_CHECKING:
    from loyalty_server.auth.grants import Grant


@dataclass(frozen=True, slots=True)
class AuthDeps:
    engine: AsyncEngine
    clock: Clock
    settings: Settings
    issuer: TokenIssuer
    program: Program  # the configured program (the default tenant's)
    # Called in the transaction that creates a partner grant (the activity domain's connection bonus).
    on_partner_connected: Callable[[AsyncConnection, Grant], Awaitable[object]] | None = None


async def tenant_code_of(connection: AsyncConnection, tenant_id: int) -> str:
    return (await connection.execute(select(tenants.c.code).where(tenants.c.id == tenant_id))).scalar_one()


def dumps(values: list[str]) -> str:
    return json.dumps(values)


def loads(text: str) -> list[str]:
    return list(json.loads(text))


def check_text(value: str, field: str, *, length_min: int, length_max: int) -> str:
    if not length_min <= len(value) <= length_max:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"{field}: {length_min}-{length_max} characters",
            FieldViolation(field, f"{length_min}-{length_max} characters"),
        )
    return value


def unauthorized_client(message: str = "unknown or disabled client, or wrong client secret") -> DomainError:
    return DomainError(ErrorKind.UNAUTHENTICATED, "UNAUTHORIZED_CLIENT", message)
