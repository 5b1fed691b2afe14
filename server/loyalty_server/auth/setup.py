"""Putting auth on a server: the key store (first start generates the key), the deps, the interceptor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.auth.authenticate import Authenticator
from loyalty_server.auth.deps import AuthDeps
from loyalty_server.auth.grants import Grant
from loyalty_server.auth.interceptor import AuthInterceptor
from loyalty_server.auth.keys import KeyStore
from loyalty_server.auth.policy import AccessRule
from loyalty_server.auth.service_accounts import TOKEN_TTL_MAX_S
from loyalty_server.auth.tokens import TokenIssuer
from loyalty_server.clock import Clock
from loyalty_server.config import Settings
from loyalty_server.program import Program

KEYS_DIRECTORY = "signing-keys"


def open_key_store(settings: Settings, clock: Clock) -> KeyStore:
    """The data dir's signing keys; generates the first one on first start."""
    # A retired key must verify every token it signed: the longest lifetime any token can have.
    verify_window_s = max(settings.access_token_ttl_s, TOKEN_TTL_MAX_S)
    keys = KeyStore(Path(settings.data_dir) / KEYS_DIRECTORY, verify_window_s=verify_window_s)
    keys.load_or_create(clock.now(), settings.signing_algorithm)
    return keys


def token_issuer(settings: Settings, keys: KeyStore) -> TokenIssuer:
    return TokenIssuer(keys, issuer=settings.token_issuer, audience=settings.token_audience)


def auth_deps(
    engine: AsyncEngine,
    clock: Clock,
    settings: Settings,
    keys: KeyStore,
    program: Program,
    on_partner_connected: Callable[[AsyncConnection, Grant], Awaitable[object]] | None = None,
) -> AuthDeps:
    return AuthDeps(
        engine=engine,
        clock=clock,
        settings=settings,
        issuer=token_issuer(settings, keys),
        program=program,
        on_partner_connected=on_partner_connected,
    )


def auth_interceptor(
    engine: AsyncEngine,
    clock: Clock,
    settings: Settings,
    keys: KeyStore,
    extra_rules: Mapping[str, AccessRule],
) -> AuthInterceptor:
    return AuthInterceptor(Authenticator(engine, clock, token_issuer(settings, keys)), extra_rules)
