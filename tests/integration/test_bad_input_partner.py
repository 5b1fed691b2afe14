"""The partner JSON and form endpoints under arbitrary input (hypothesis), through the gateway:
/api/activities, /api/points, /oauth/token and /oauth/deactivate with bodies built from valid ones
and mutated: members dropped, values replaced by any JSON (wrong types, huge numbers, unicode,
nesting), unknown members added, or raw bytes. Every answer is a success or one of the seed's error
codes other than 1071 (internal), never an HTTP 5xx; the server keeps serving and the ledger's books
stay balanced."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from loyalty_gateway.partner.answers import SEED_ERRORS
from loyalty_server.clock import FakeClock
from tests.bad_input import LoopThread, bounded, mostly, wild_text
from tests.gateway_support import GatewayStack, running_gateway
from tests.integration.test_partner_api import LOCAL_NOON, TODAY, TRANSACTION_ID, Partner
from tests.ledger_invariants import check_invariants

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # noon in America/Chicago, the demo's zone
EXAMPLES = 30
# Placeholders the examples carry, replaced by the live ones when sent.
ACCESS, CLIENT_ID, SECRET, REFRESH, CODE, REVOCABLE = (
    "<access token>",
    "<client id>",
    "<client secret>",
    "<refresh token>",
    "<fresh code>",
    "<revocable token>",
)
PATHS = ("/api/activities", "/api/points", "/oauth/token", "/oauth/deactivate")

# --- strategies: valid bodies, then mutations ------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),  # beyond int64 and float precision
    st.floats(allow_nan=False, allow_infinity=False),
    wild_text(60),
)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(wild_text(12), inner, max_size=3)),
    max_leaves=8,
)


def steps_item(activity_id: str, value: Any) -> dict[str, Any]:
    return {
        "id": activity_id,
        "device_tracked": "true",
        "timestamp": LOCAL_NOON,
        "type": "total_steps",
        "value": value,
    }


data_items = st.builds(
    lambda n, steps, kind: steps_item(f"w-{n}", steps) | ({"type": kind} if kind else {}),
    st.integers(1, 30),
    mostly(st.integers(0, 100_000), any_json, wild_one_in=4),
    mostly(
        st.just(""), st.sampled_from(["walking", "weight", "sleep", "blood_glucose", "rowing"]), wild_one_in=4
    ),
)


def entry(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "access_token": ACCESS,
        "affiliate_id": CLIENT_ID,
        "transaction_id": TRANSACTION_ID,
        "date": TODAY,
        "user_device_id": "device-1",
        "manufacturer_name": "Acme",
        "device_name": "Acme Band",
        "data": data,
    }


valid_bodies = st.one_of(
    st.builds(
        lambda operation, data: ("/api/activities", {operation: [entry(data)]}),
        st.sampled_from(["creates", "creates", "updates", "deletes"]),
        st.lists(data_items, min_size=1, max_size=3),
    ),
    st.just(
        (
            "/api/points",
            {
                "access_token": ACCESS,
                "affiliate_id": CLIENT_ID,
                "act": "getBRPoints",
                "transaction_id": TRANSACTION_ID,
            },
        )
    ),
    st.just(
        (
            "/oauth/token",
            {
                "act": "getOAuthToken",
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "code": CODE,
                "redirect_uri": "https://partner.example/callback",
                "channel": "5",
                "transaction_id": TRANSACTION_ID,
                "state": "xyz",
            },
        )
    ),
    st.just(
        (
            "/oauth/token",
            {
                "act": "getOAuthToken",
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "refresh_token": REFRESH,
                "channel": "5",
                "transaction_id": TRANSACTION_ID,
            },
        )
    ),
    st.just(
        (
            "/oauth/deactivate",
            {
                "act": "deactivateToken",
                "client_id": CLIENT_ID,
                "client_secret": SECRET,
                "token": REVOCABLE,
                "channel": "5",
                "transaction_id": TRANSACTION_ID,
            },
        )
    ),
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document that a mutation can change: keys of objects, list items."""
    found: list[tuple[Any, ...]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            found += [(*prefix, key), *_paths(value, (*prefix, key))]
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += [(*prefix, index), *_paths(value, (*prefix, index))]
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@st.composite
def mutated(draw: st.DrawFn, body: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    path, document = body[0], json.loads(json.dumps(body[1]))  # a deep copy to change
    for _ in range(draw(st.integers(0, 2))):
        places = _paths(document)
        how = draw(st.sampled_from(["replace", "drop", "add"]))
        if how == "add" or not places:
            document[draw(wild_text(20))] = draw(any_json)
            continue
        place = draw(st.sampled_from(places))
        parent = _parent(document, place)
        if how == "drop":
            del parent[place[-1]]
        else:
            parent[place[-1]] = draw(any_json)
    return path, document


raw_bodies = st.tuples(
    st.sampled_from(PATHS),
    st.one_of(
        st.binary(max_size=200), st.sampled_from([b"", b"[]", b"null", b"{", b'{"creates": 1}', b"\xff\xfe"])
    ),
    st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
    ),
)
# Out of ten: four valid bodies, three mutated, one mutated and sent as a form, two raw bodies.
_KINDS = {
    "valid": valid_bodies.map(lambda body: ("json", body)),
    "mutated": valid_bodies.flatmap(mutated).map(lambda body: ("json", body)),
    "form": valid_bodies.flatmap(mutated).map(lambda body: ("form", body)),
    "raw": raw_bodies.map(lambda raw: ("raw", raw)),
}
requests = st.sampled_from(["valid"] * 4 + ["mutated"] * 3 + ["form"] + ["raw"] * 2).flatmap(
    _KINDS.__getitem__
)

# Regressions and edges, run on every run: a NUL client_id was a 500 (1071) from /oauth/token on
# PostgreSQL.
NUL_IN_ACTIVITY_ID = ("json", ("/api/activities", {"creates": [entry([steps_item("w-\x00", 1000)])]}))
HUGE_STEPS = ("json", ("/api/activities", {"creates": [entry([steps_item("w-huge", 10**400)])]}))
NUL_CLIENT_ID = (
    "form",
    (
        "/oauth/token",
        {
            "act": "getOAuthToken",
            "grant_type": "refresh_token",
            "client_id": "pc_\x00",
            "refresh_token": REFRESH,
        },
    ),
)
NUL_TOKEN = (
    "form",
    ("/oauth/deactivate", {"act": "deactivateToken", "client_id": CLIENT_ID, "token": "x\x00"}),
)

# --- the property ---------------------------------------------------------------------------------


@dataclass
class Live:
    """The gateway, a connected partner and member, and the live values placeholders stand for."""

    stack: GatewayStack
    partner: Partner
    access_token: str
    refresh_token: str
    session: str  # a member's login session: codes for it cost no registration (a password hash)
    seen: Counter[str] = field(default_factory=Counter)

    async def _fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: await self._fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [await self._fill(item) for item in value]
        if value == CODE:  # a fresh authorization code
            return await self.partner.code(self.session)
        if value == REVOCABLE:  # a token of its own, so revoking it leaves the shared one usable
            code = await self.partner.code(self.session)
            response = await self.partner.token(self.partner.code_form(code))
            return response.json()["access_token"]
        live = {
            ACCESS: self.access_token,
            CLIENT_ID: self.partner.client_id,
            SECRET: self.partner.secret,
            REFRESH: self.refresh_token,
        }
        return live.get(value, value) if isinstance(value, str) else value

    async def send(self, kind: str, request: Any) -> None:
        if kind == "raw":
            path, body, content_type = request
            response = await self.stack.http.post(path, content=body, headers={"content-type": content_type})
        else:
            path, document = request
            document = await self._fill(document)
            if kind == "json":
                response = await self.stack.http.post(path, content=json.dumps(document).encode())
            else:
                form = {
                    str(key): value if isinstance(value, str) else json.dumps(value)
                    for key, value in document.items()
                }
                response = await self.stack.http.post(path, data=form)
        self.check(path, response)

    def check(self, path: str, response: httpx.Response) -> None:
        assert response.status_code < 500, (path, response.status_code, response.text)
        body = response.json()
        assert isinstance(body, dict), body
        code = body.get("error_code")
        if code is None:
            assert response.status_code == 200, body
            self.seen[f"{path} ok"] += 1
            if path == "/oauth/token" and body.get("refresh_token"):
                self.refresh_token = body["refresh_token"]  # refreshing rotates it
                self.access_token = body["access_token"]
            return
        assert code in SEED_ERRORS, body
        assert code != "1071", body  # application_error: something broke inside
        assert set(body) >= {"error_code", "error", "error_description", "transaction_id"}, body
        self.seen[f"{path} {code}"] += 1


@asynccontextmanager
async def live_gateway(tmp_path: Path, database_url: str) -> AsyncIterator[Live]:
    # No rate limit here: hundreds of quick requests from one address are the point.
    async with running_gateway(
        tmp_path, database_url, clock=FakeClock(NOW), gateway_rate_per_s=1e6, gateway_rate_burst=10**6
    ) as stack:
        partner = Partner(stack, *await stack.partner_client())
        _member_id, session = await partner.session()
        tokens = (await partner.token(partner.code_form(await partner.code(session)))).json()
        yield Live(stack, partner, tokens["access_token"], tokens["refresh_token"], session)


async def _still_serving_and_balanced(live: Live) -> None:
    """After everything: a new member connects, posts an activity and reads its points; the books
    balance. (A new member: the examples may have revoked the shared grant, by reusing a refresh
    token, and used up its monthly limit.)"""
    access_token = (await live.partner.connect()).access_token
    before = await live.partner.totals(access_token)
    response = await live.partner.post(access_token, [steps_item("after-all", 2000)])
    assert response.status_code == 200, response.text
    assert response.json() == {"success_code": "2000", "transaction_id": TRANSACTION_ID}
    assert await live.partner.totals(access_token) == (before[0] + 20, before[1] + 20)  # one mile: 20 points
    await check_invariants(live.stack.server.app.engine)


def test_any_partner_request_gets_a_seed_answer_and_never_a_5xx(tmp_path, database_url) -> None:
    with LoopThread() as loop:
        context = live_gateway(tmp_path, database_url)
        live = loop.run(context.__aenter__())
        try:

            @bounded(EXAMPLES)
            @given(request=requests)
            @example(request=NUL_IN_ACTIVITY_ID)
            @example(request=HUGE_STEPS)
            @example(request=NUL_CLIENT_ID)
            @example(request=NUL_TOKEN)
            def request_is_answered(request: tuple[str, Any]) -> None:
                loop.run(live.send(*request))

            request_is_answered()
            print(sorted(live.seen.items()))  # shown with -s: how the examples fell out
            # Not only refusals: the strategies start from valid requests, so writes happened.
            assert live.seen["/api/activities ok"] > 0, live.seen
            assert live.seen["/oauth/token ok"] > 0, live.seen
            loop.run(_still_serving_and_balanced(live))
        finally:
            loop.run(context.__aexit__(None, None, None))
