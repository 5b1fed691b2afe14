"""Helpers shared by the integration tests: an in-process server, a slow test-only service,
credentials (service accounts and their tokens) for calls that need them, and counted statements."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from loyalty_server.auth import oauth
from loyalty_server.auth.deps import AuthDeps
from loyalty_server.auth.policy import OPEN
from loyalty_server.auth.service_accounts import AccountSpec, create_account
from loyalty_server.auth.setup import auth_deps
from loyalty_server.config import Settings
from loyalty_server.principal import Role
from loyalty_server.runtime.services import ServiceRegistration
from loyalty_server.storage.engine import write_transaction

SLOW_SERVICE = "loyalty.test.SlowService"
SLOW_METHOD = f"/{SLOW_SERVICE}/Sleep"


@dataclass
class SlowServicer:
    """Sleeps for the number of milliseconds in the request, then echoes it. Records what happened."""

    finished: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def sleep(self, request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
        duration_ms = int(request.decode())
        self.started.set()
        try:
            await asyncio.sleep(duration_ms / 1000)
        except asyncio.CancelledError:
            self.cancelled.append(duration_ms)
            raise
        self.finished.append(duration_ms)
        return request


def slow_service(servicer: SlowServicer) -> ServiceRegistration:
    def add(_servicer: object, server: grpc.aio.Server) -> None:
        handler = grpc.method_handlers_generic_handler(
            SLOW_SERVICE, {"Sleep": grpc.unary_unary_rpc_method_handler(servicer.sleep)}
        )
        server.add_generic_rpc_handlers((handler,))

    return ServiceRegistration(SLOW_SERVICE, add, lambda _app: servicer, access_rules={SLOW_METHOD: OPEN})


def make_settings(tmp_path: Path, database_url: str, **changes: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": database_url,
        "grpc_address": "127.0.0.1:0",
        "gateway": False,
        "shutdown_grace_s": 5.0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


# --- credentials ----------------------------------------------------------------------------------


def deps_of(server: object) -> AuthDeps:
    """The auth deps of a started LoyaltyServer (its engine, clock, settings and keys)."""
    app = server.app  # type: ignore[attr-defined]
    assert app is not None, "start the server first"
    return auth_deps(app.engine, app.clock, app.settings, app.keys, app.program)


async def service_account(
    server: object,
    role: Role = Role.ADMIN,
    *,
    scopes: tuple[str, ...] = (),
    cross_tenant: bool = False,
    tenant_id: int | None = None,
) -> tuple[str, str]:
    """A new service account's (client_id, client_secret), made straight in the database."""
    deps = deps_of(server)
    tenant = tenant_id if tenant_id is not None else server.app.default_tenant.id  # type: ignore[attr-defined]
    spec = AccountSpec(f"test {role.value}", "", role, list(scopes), cross_tenant, 0)
    async with write_transaction(deps.engine) as connection:
        account, secret = await create_account(connection, tenant_id=tenant, spec=spec, now=deps.clock.now())
    return account.client_id, secret


async def service_token(server: object, role: Role = Role.ADMIN, **options: object) -> str:
    """A client-credentials access token of a new service account with `role`."""
    client_id, secret = await service_account(server, role, **options)  # type: ignore[arg-type]
    request = oauth.TokenRequest(
        grant_type=oauth.CLIENT_CREDENTIALS, client_id=client_id, client_secret=secret
    )
    return (await oauth.exchange_token(deps_of(server), request)).access.token


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Calls:
    count: int = 0


def count_calls(monkeypatch: pytest.MonkeyPatch, target: object, method: str) -> Calls:
    """Count the calls of one object's async method from now on (a prepared statement's `rows`, say),
    each still made as before."""
    original = getattr(target, method)
    calls = Calls()

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.count += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(target, method, counted)
    return calls
