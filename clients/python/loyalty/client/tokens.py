"""Bearer tokens for the client: a fixed one, or client credentials fetched and renewed by itself.

A fetched token is reused until half its lifetime has passed, measured on the monotonic clock from
the server's `expires_in_seconds` (so a wrong wall clock on either side does not matter). However
many calls need a token at once, one fetch runs and the others wait for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

# (token, lifetime in seconds): what one fetch returns.
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]


class TokenSource(Protocol):
    async def get(self) -> str: ...

    def invalidate(self, token: str) -> bool:
        """The server refused `token`. True when a later `get()` may return another one."""
        ...


class StaticToken:
    """A token someone else manages: never renewed, so a refusal is final."""

    def __init__(self, token: str) -> None:
        assert token, "an empty token"
        self._token = token

    async def get(self) -> str:
        return self._token

    def invalidate(self, token: str) -> bool:
        return False


class RenewingToken:
    """A token fetched on first use, renewed at half its lifetime or after the server refused it."""

    def __init__(self, fetch: TokenFetch, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._monotonic = monotonic
        self._token = ""
        self._renew_at = 0.0
        # The fetch under way, shared by every caller that needs a token meanwhile: they all get its
        # token or its error, so a failing endpoint is asked once, not once per waiting call.
        self._renewal: asyncio.Future[str] | None = None

    def _fresh(self) -> bool:
        return bool(self._token) and self._monotonic() < self._renew_at

    async def get(self) -> str:
        if self._fresh():
            return self._token
        if self._renewal is None:
            self._renewal = asyncio.ensure_future(self._renew())
            self._renewal.add_done_callback(self._renewal_done)
        # shield: a caller that gives up (cancelled) does not cancel the others' fetch.
        return await asyncio.shield(self._renewal)

    async def _renew(self) -> str:
        fetched_at = self._monotonic()
        token, lifetime_s = await self._fetch()
        assert token, "the token endpoint returned no token"
        assert lifetime_s > 0, "the token endpoint returned an expired token"
        self._token = token
        self._renew_at = fetched_at + lifetime_s / 2
        return token

    def _renewal_done(self, renewal: asyncio.Future[str]) -> None:
        self._renewal = None  # the next get() after a failure starts a fresh fetch
        if not renewal.cancelled():
            renewal.exception()  # retrieved here too: every waiter may have been cancelled

    def invalidate(self, token: str) -> bool:
        # Only the token that was refused: a newer one fetched meanwhile stays.
        if token == self._token:
            self._token = ""
        return True
