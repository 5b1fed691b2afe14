"""The gateway's rate limit, pure: token buckets on a fake clock, and which bucket a request charges."""

from __future__ import annotations

import base64
import json

import pytest

from loyalty_gateway.rate_limit import (
    ADDRESS_FACTOR,
    CLIENT_ID_MAX_CHARS,
    RateLimiter,
    TokenBuckets,
    client_key,
    retry_after_s,
)


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


def _drain(buckets: TokenBuckets, key: str) -> int:
    taken = 0
    while buckets.wait_s(key) == 0:
        buckets.take(key)
        taken += 1
    return taken


def test_a_new_bucket_allows_the_burst_then_waits_for_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate_per_s=2.0, burst=5, clock=clock)
    assert _drain(buckets, "a") == 5
    assert buckets.wait_s("a") == pytest.approx(0.5)  # one token at 2 per second
    clock.advance(0.25)
    assert buckets.wait_s("a") == pytest.approx(0.25)
    clock.advance(0.25)
    assert buckets.wait_s("a") == 0
    assert _drain(buckets, "a") == 1


def test_refill_stops_at_the_burst() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate_per_s=10.0, burst=3, clock=clock)
    _drain(buckets, "a")
    clock.advance(3600)
    assert _drain(buckets, "a") == 3


def test_buckets_are_per_key() -> None:
    buckets = TokenBuckets(rate_per_s=1.0, burst=1, clock=FakeClock())
    assert _drain(buckets, "a") == 1
    assert buckets.wait_s("a") > 0
    assert buckets.wait_s("b") == 0


def test_a_clock_going_back_refills_nothing() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate_per_s=1.0, burst=2, clock=clock)
    _drain(buckets, "a")
    clock.advance(-10)
    assert buckets.wait_s("a") == pytest.approx(1.0)


def test_the_least_recently_used_bucket_is_evicted_beyond_the_cap() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate_per_s=1.0, burst=1, buckets_max=3, clock=clock)
    for key in ("a", "b", "c"):
        buckets.take(key)
    buckets.wait_s("a")  # used again: "b" is now the least recent
    buckets.wait_s("d")
    assert len(buckets) == 3
    assert "b" not in buckets
    assert all(key in buckets for key in ("a", "c", "d"))
    assert buckets.wait_s("a") > 0  # kept, still empty
    assert buckets.wait_s("b") == 0  # forgotten: starts full again


@pytest.mark.parametrize(
    ("rate_per_s", "burst", "buckets_max"), [(0, 1, 1), (-1.0, 1, 1), (1.0, 0, 1), (1.0, 1, 0)]
)
def test_limits_must_be_positive(rate_per_s: float, burst: int, buckets_max: int) -> None:
    with pytest.raises(ValueError, match="required"):
        TokenBuckets(rate_per_s, burst, buckets_max=buckets_max)


@pytest.mark.parametrize(
    ("wait_s", "header"), [(0.0, 1), (0.001, 1), (1.0, 1), (1.0001, 2), (2.5, 3), (59.99, 60)]
)
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait_s: float, header: int) -> None:
    assert retry_after_s(wait_s) == header


def test_the_limiter_charges_the_client_and_its_address() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1.0, burst=3, clock=clock)
    assert [limiter.admit("client:a", "10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limiter.admit("client:a", "10.0.0.1") == pytest.approx(1.0)
    assert limiter.admit("client:b", "10.0.0.1") == 0  # another client, same address: its own bucket


def test_forged_client_keys_do_not_escape_the_address_bucket() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1.0, burst=3, clock=clock)
    address_burst = 3 * ADDRESS_FACTOR
    admitted = [limiter.admit(f"client:forged-{i}", "10.0.0.1") == 0 for i in range(address_burst + 5)]
    assert admitted == [True] * address_burst + [False] * 5
    assert limiter.admit("client:fresh", "10.0.0.1") == pytest.approx(1 / ADDRESS_FACTOR)
    assert limiter.admit("client:fresh", "10.0.0.2") == 0  # another address is untouched


def test_keys_refused_by_their_address_are_not_kept() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, buckets_max=10, clock=FakeClock())
    limiter.admit("client:victim", "10.0.0.2")
    for i in range(1000):  # a flood of forged keys from one address: all but the first few refused
        limiter.admit(f"client:forged-{i}", "10.0.0.1")
    assert len(limiter.clients) == 1 + ADDRESS_FACTOR
    assert "client:victim" in limiter.clients  # not evicted: still empty, still limited
    assert limiter.admit("client:victim", "10.0.0.2") > 0


def test_a_refused_request_takes_no_token() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert limiter.admit("client:a", "10.0.0.1") == 0
    for _ in range(10):
        assert limiter.admit("client:a", "10.0.0.1") > 0
    clock.advance(1.0)
    assert limiter.admit("client:a", "10.0.0.1") == 0  # waiting as told is enough


# --- which bucket ---------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(payload: object) -> str:
    header = _b64url(json.dumps({"alg": "EdDSA", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(payload).encode())}.{_b64url(b'not-checked')}"


def _scope(
    *, authorization: str | None = None, query: str = "", client: tuple[str, int] | None = ("10.0.0.9", 5)
) -> dict:
    headers = [(b"host", b"gateway")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return {"type": "http", "headers": headers, "query_string": query.encode(), "client": client}


def test_the_key_is_the_client_id_claim_of_a_bearer_token() -> None:
    token = _jwt({"sub": "member-1", "client_id": "step-counter", "tid": 1})
    assert client_key(_scope(authorization=f"Bearer {token}")) == "client:step-counter"
    assert client_key(_scope(authorization=f"bearer  {token}", query="client_id=x")) == "client:step-counter"


def test_the_key_is_the_user_of_basic_client_credentials() -> None:
    basic = base64.b64encode(b"my%20app:secret").decode()
    assert client_key(_scope(authorization=f"Basic {basic}")) == "client:my app"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer " + _jwt(["client_id"]),
        "Bearer " + _jwt({"sub": "no client"}),
        "Bearer " + _jwt({"client_id": 42}),
        "Bearer " + _jwt({"client_id": ""}),
        "Bearer " + _jwt({"client_id": "x" * (CLIENT_ID_MAX_CHARS + 1)}),
        "Bearer x." + _b64url(b"\xff\xfe") + ".y",
        "Bearer x." + _b64url(b"[" * 5000) + ".y",
        "Bearer x.@@@@.y",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Digest whatever",
        "",
    ],
)
def test_a_malformed_authorization_falls_back_to_the_address(authorization: str) -> None:
    assert client_key(_scope(authorization=authorization, query="client_id=x")) == "address:10.0.0.9"


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("client_id=partner-7", "client:partner-7"),
        ("member_id=m&affiliate_id=aff%201", "affiliate:aff 1"),
        ("affiliate_id=aff&client_id=cli", "client:cli"),
        ("client_id=&affiliate_id=aff", "affiliate:aff"),
        ("myclient_id=x", "address:10.0.0.9"),
        ("client_id=" + "x" * (CLIENT_ID_MAX_CHARS + 1), "address:10.0.0.9"),
        ("&".join(f"f{i}=1" for i in range(200)) + "&client_id=x", "address:10.0.0.9"),
        ("", "address:10.0.0.9"),
    ],
)
def test_without_a_token_a_query_parameter_names_the_client(query: str, key: str) -> None:
    assert client_key(_scope(query=query)) == key


def test_without_a_client_address_the_key_is_still_one_bucket() -> None:
    assert client_key(_scope(client=None)) == "address:unknown"
