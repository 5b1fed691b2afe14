"""Client bearer tokens: a renewing token is fetched once however many callers want it at once, reused
until exactly half its lifetime on the monotonic clock, and dropped only when the token refused is
the current one; a static token is never renewed; empty tokens and non-positive lifetimes are refused."""

from __future__ import annotations

import asyncio

import pytest

from loyalty.client.tokens import RenewingToken, StaticToken


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Fetches:
    """A token endpoint handing out tok-1, tok-2, ... with a fixed lifetime."""

    def __init__(self, lifetime_s: float = 600.0) -> None:
        self.count = 0
        self.lifetime_s = lifetime_s

    async def __call__(self) -> tuple[str, float]:
        self.count += 1
        return f"tok-{self.count}", self.lifetime_s


async def test_the_first_get_fetches_and_later_ones_reuse() -> None:
    fetches = Fetches()
    tokens = RenewingToken(fetches, monotonic=FakeClock())
    assert [await tokens.get() for _ in range(5)] == ["tok-1"] * 5
    assert fetches.count == 1


async def test_many_concurrent_callers_share_one_fetch() -> None:
    release = asyncio.Event()
    started = 0

    async def slow_fetch() -> tuple[str, float]:
        nonlocal started
        started += 1
        await release.wait()
        return f"tok-{started}", 600.0

    tokens = RenewingToken(slow_fetch, monotonic=FakeClock())
    callers = asyncio.gather(*(tokens.get() for _ in range(20)))
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == 1  # the others wait for it
    assert not callers.done()
    release.set()
    assert await callers == ["tok-1"] * 20
    assert started == 1


async def test_renewed_exactly_at_half_its_lifetime() -> None:
    clock = FakeClock(1_000.0)
    fetches = Fetches(lifetime_s=600.0)
    tokens = RenewingToken(fetches, monotonic=clock)
    assert await tokens.get() == "tok-1"
    clock.now = 1_299.999
    assert await tokens.get() == "tok-1"
    assert fetches.count == 1
    clock.now = 1_300.0
    assert await tokens.get() == "tok-2"
    assert fetches.count == 2
    # The new one lives from when it was fetched: renewed at 1300 + 300.
    clock.now = 1_599.0
    assert await tokens.get() == "tok-2"
    clock.now = 1_650.0
    assert await tokens.get() == "tok-3"


async def test_the_lifetime_counts_from_when_the_fetch_started() -> None:
    clock = FakeClock(0.0)

    async def fetch_taking_ten_seconds() -> tuple[str, float]:
        clock.now += 10.0
        return "tok", 100.0

    tokens = RenewingToken(fetch_taking_ten_seconds, monotonic=clock)
    await tokens.get()
    clock.now = 49.9  # half-life measured from 0, not from 10
    assert tokens._fresh() is True
    clock.now = 50.0
    assert tokens._fresh() is False


async def test_invalidating_the_current_token_makes_the_next_get_fetch() -> None:
    fetches = Fetches()
    tokens = RenewingToken(fetches, monotonic=FakeClock())
    assert await tokens.get() == "tok-1"
    assert tokens.invalidate("tok-1") is True
    assert await tokens.get() == "tok-2"
    assert fetches.count == 2


async def test_invalidating_an_old_token_keeps_the_newer_one() -> None:
    fetches = Fetches()
    tokens = RenewingToken(fetches, monotonic=FakeClock())
    await tokens.get()
    tokens.invalidate("tok-1")
    assert await tokens.get() == "tok-2"
    # A late refusal of tok-1 (a call that was in flight with it) must not drop tok-2.
    assert tokens.invalidate("tok-1") is True
    assert await tokens.get() == "tok-2"
    assert fetches.count == 2


async def test_a_failed_fetch_is_raised_and_the_next_get_tries_again() -> None:
    outcomes: list[Exception | tuple[str, float]] = [ConnectionError("down"), ("tok-ok", 60.0)]

    async def flaky_fetch() -> tuple[str, float]:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    tokens = RenewingToken(flaky_fetch, monotonic=FakeClock())
    with pytest.raises(ConnectionError):
        await tokens.get()
    assert await tokens.get() == "tok-ok"


@pytest.mark.parametrize(("token", "lifetime_s"), [("", 600.0), ("tok", 0.0), ("tok", -5.0)])
async def test_an_empty_token_or_a_non_positive_lifetime_is_refused(token: str, lifetime_s: float) -> None:
    async def fetch() -> tuple[str, float]:
        return token, lifetime_s

    tokens = RenewingToken(fetch, monotonic=FakeClock())
    with pytest.raises(AssertionError):
        await tokens.get()


async def test_a_static_token_is_never_renewed() -> None:
    tokens = StaticToken("fixed")
    assert await tokens.get() == "fixed"
    assert tokens.invalidate("fixed") is False
    assert await tokens.get() == "fixed"


def test_a_static_token_cannot_be_empty() -> None:
    with pytest.raises(AssertionError):
        StaticToken("")


async def test_a_failing_fetch_is_shared_and_the_next_get_tries_again() -> None:
    release = asyncio.Event()
    attempts = 0

    async def failing_then_fine() -> tuple[str, float]:
        nonlocal attempts
        attempts += 1
        await release.wait()
        if attempts == 1:
            raise ConnectionError("token endpoint down")
        return "tok-2", 600.0

    tokens = RenewingToken(failing_then_fine, monotonic=FakeClock())
    waiting = asyncio.gather(*(tokens.get() for _ in range(10)), return_exceptions=True)
    await asyncio.sleep(0)
    release.set()
    results = await waiting
    assert attempts == 1  # asked once for all ten, not once each
    assert all(isinstance(result, ConnectionError) for result in results)
    assert await tokens.get() == "tok-2"
    assert attempts == 2


async def test_a_caller_giving_up_does_not_cancel_the_others_fetch() -> None:
    release = asyncio.Event()

    async def slow_fetch() -> tuple[str, float]:
        await release.wait()
        return "tok-1", 600.0

    tokens = RenewingToken(slow_fetch, monotonic=FakeClock())
    impatient = asyncio.ensure_future(tokens.get())
    patient = asyncio.ensure_future(tokens.get())
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == "tok-1"
    assert impatient.cancelled()
