"""The partner API over real HTTP (../shared/seeds/partner-api-v1.1-balance-rewards.txt): each
endpoint's success in the seed's exact shape, and every error code it can produce.

Authorization codes come from the internal AuthService methods the login pages call
(RegisterMember, IssueAuthorizationCode), through the gateway's own upstream: these tests are about
the four partner endpoints, not the pages. The clock is fake, so expiry dates are exact and codes
can be let expire.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from loyalty.v1 import auth_pb2, common_pb2
from loyalty_gateway.partner.answers import HTTP_STATUS, SEED_ERRORS
from loyalty_server.auth.pkce import challenge_for
from loyalty_server.clock import FakeClock
from tests.gateway_support import REDIRECT_URI, GatewayStack, running_gateway

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # noon in America/Chicago, the demo's zone
LOCAL_NOON = "2026-11-22 12:00:00"  # activity timestamps are wall-clock times in the member's zone
TODAY = "2026-11-22"
TRANSACTION_ID = "1234567890123456"
STATE = "abcd1234xyz"
PASSWORD = "correct horse battery staple"
VERIFIER = "v" * 20 + "erifier-with-enough-entropy-0123456789"
ERROR_KEYS = {"error_code", "error", "error_description", "transaction_id"}
TOKEN_KEYS = {
    "scope",
    "token_type",
    "access_token_expires_in",
    "refresh_token_expires_in",
    "access_token",
    "refresh_token",
    "transaction_id",
}
CONNECTION_BONUS = 250  # demo.toml: device_connection, 250 temporary points on the first connect
POINTS_PER_MILE, STEPS_PER_MILE = 20, 2000  # demo.toml: rule "steps"


def steps_points(steps: int) -> int:
    return steps * POINTS_PER_MILE // STEPS_PER_MILE


# --- the seed's answers ---------------------------------------------------------------------------


def assert_json(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert isinstance(body, dict)
    return body


def assert_seed_error(response: httpx.Response, code: str, transaction_id: str = TRANSACTION_ID) -> dict:
    """The seed's error object, exactly: its four keys (plus `activities` for 1081), the code's name,
    the HTTP status that goes with the code, and the request's transaction_id echoed."""
    body = assert_json(response)
    assert body.get("error_code") == code, body
    expected_keys = ERROR_KEYS | ({"activities"} if code == "1081" else set())
    assert set(body) == expected_keys, body
    assert body["error"] == SEED_ERRORS[code]
    assert isinstance(body["error_description"], str)
    assert body["error_description"]
    assert body["transaction_id"] == transaction_id
    assert response.status_code == HTTP_STATUS[code], body
    return body


def assert_tokens(response: httpx.Response, *, scope: str = "steps points:read") -> dict[str, str]:
    body = assert_json(response)
    assert response.status_code == 200, body
    assert set(body) == TOKEN_KEYS
    assert all(isinstance(value, str) for value in body.values())
    assert body["token_type"] == "BEARER"
    assert body["scope"] == scope
    assert body["transaction_id"] == TRANSACTION_ID
    assert body["access_token"]
    assert body["refresh_token"]
    assert response.headers["pragma"] == "no-cache"
    return body


def expiry(after: dt.timedelta, now: dt.datetime = NOW) -> str:
    """The seed's YYYY-MM-DD HH:MM:SS (UTC)."""
    return (now + after).strftime("%Y-%m-%d %H:%M:%S")


# --- a partner and its members --------------------------------------------------------------------


@dataclass
class Connected:
    member_id: str
    tokens: dict[str, str]

    @property
    def access_token(self) -> str:
        return self.tokens["access_token"]


@dataclass
class Partner:
    stack: GatewayStack
    client_id: str
    secret: str

    @property
    def http(self) -> httpx.AsyncClient:
        return self.stack.http

    async def session(self) -> tuple[str, str]:
        """A newly registered member: (member_id, member_session_token), as the pages get them."""
        upstream = self.stack.gateway.upstream
        reply = await upstream.as_internal(
            upstream.auth.RegisterMember,
            auth_pb2.RegisterMemberRequest(
                email=f"{uuid.uuid4().hex[:12]}@example.com",
                password=PASSWORD,
                client_id=self.client_id,
                given_name="Ann",
                request_id=uuid.uuid4().hex,
            ),
        )
        return reply.member.member_id, reply.member_session_token

    async def code(self, session: str, *, scope: str = "steps points:read", **changes: str) -> str:
        upstream = self.stack.gateway.upstream
        parameters = auth_pb2.AuthorizationParameters(
            client_id=self.client_id,
            response_type="code",
            scope=scope,
            redirect_uri=REDIRECT_URI,
            channel=common_pb2.CHANNEL_MOBILE,
            transaction_id=TRANSACTION_ID,
            state=STATE,
            **changes,  # type: ignore[arg-type]
        )
        reply = await upstream.as_internal(
            upstream.auth.IssueAuthorizationCode,
            auth_pb2.IssueAuthorizationCodeRequest(parameters=parameters, member_session_token=session),
        )
        return reply.code

    def _token_form(self, values: dict[str, str | None], changes: dict[str, str | None]) -> dict[str, str]:
        """A change of None leaves the parameter out."""
        form: dict[str, str | None] = {
            "act": "getOAuthToken",
            "client_id": self.client_id,
            "client_secret": self.secret,
            "redirect_uri": REDIRECT_URI,
            "channel": "5",
            "transaction_id": TRANSACTION_ID,
            "state": STATE,
            **values,
            **changes,
        }
        return {name: value for name, value in form.items() if value is not None}

    def code_form(self, code: str, **changes: str | None) -> dict[str, str]:
        """The seed's authorization_code request."""
        return self._token_form({"grant_type": "authorization_code", "code": code}, changes)

    def refresh_form(self, refresh_token: str, **changes: str | None) -> dict[str, str]:
        """The seed's refresh_token request."""
        return self._token_form({"grant_type": "refresh_token", "refresh_token": refresh_token}, changes)

    async def token(self, form: dict[str, str]) -> httpx.Response:
        return await self.http.post("/oauth/token", data=form)

    async def connect(self, *, scope: str = "steps points:read") -> Connected:
        member_id, session = await self.session()
        code = await self.code(session, scope=scope)
        return Connected(member_id, assert_tokens(await self.token(self.code_form(code)), scope=scope))

    async def deactivate(self, revoked: str, **changes: str | None) -> httpx.Response:
        form: dict[str, str | None] = {
            "act": "deactivateToken",
            "client_id": self.client_id,
            "client_secret": self.secret,
            "token": revoked,
            "channel": "5",
            "transaction_id": TRANSACTION_ID,
        }
        form.update(changes)
        return await self.http.post(
            "/oauth/deactivate", data={name: value for name, value in form.items() if value is not None}
        )

    def entry(self, access_token: str, data: list[Any], **changes: Any) -> dict[str, Any]:
        """One element of `creates`, `updates` or `deletes`, as the seed shows it."""
        entry: dict[str, Any] = {
            "access_token": access_token,
            "affiliate_id": self.client_id,
            "transaction_id": TRANSACTION_ID,
            "date": TODAY,
            "user_device_id": "device-1",
            "manufacturer_name": "Acme",
            "device_name": "Acme Band",
            "data": data,
        }
        entry.update(changes)
        return entry

    async def post(self, access_token: str, data: list[Any], operation: str = "creates") -> httpx.Response:
        return await self.http.post("/api/activities", json={operation: [self.entry(access_token, data)]})

    async def points(self, access_token: str, **changes: str | None) -> httpx.Response:
        body: dict[str, str | None] = {
            "access_token": access_token,
            "affiliate_id": self.client_id,
            "act": "getBRPoints",
            "transaction_id": TRANSACTION_ID,
        }
        body.update(changes)
        return await self.http.post(
            "/api/points", json={name: value for name, value in body.items() if value is not None}
        )

    async def totals(self, access_token: str) -> tuple[int, int]:
        """(total_rewards_points, healthy_choice_points), checking the seed's shape on the way."""
        response = await self.points(access_token)
        body = assert_json(response)
        assert response.status_code == 200, body
        assert set(body) == {"total_rewards_points", "healthy_choice_points", "transaction_id"}
        assert isinstance(body["total_rewards_points"], str)
        assert isinstance(body["healthy_choice_points"], str)
        assert body["transaction_id"] == TRANSACTION_ID
        return int(body["total_rewards_points"]), int(body["healthy_choice_points"])


def steps(activity_id: str, value: Any, *, timestamp: str = LOCAL_NOON, **changes: Any) -> dict[str, Any]:
    data = {
        "id": activity_id,
        "device_tracked": "true",
        "timestamp": timestamp,
        "type": "total_steps",
        "value": value,
    }
    data.update(changes)
    return data


def assert_success(response: httpx.Response, transaction_id: str = TRANSACTION_ID) -> None:
    body = assert_json(response)
    assert response.status_code == 200, body
    assert body == {"success_code": "2000", "transaction_id": transaction_id}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def stack(tmp_path, database_url, clock) -> AsyncIterator[GatewayStack]:
    async with running_gateway(tmp_path, database_url, clock=clock) as stack:
        yield stack


@pytest.fixture
async def partner(stack) -> Partner:
    return Partner(stack, *await stack.partner_client())


# --- the whole flow, on both databases ------------------------------------------------------------


async def test_connect_post_read_points_and_deactivate(partner) -> None:
    member_id, session = await partner.session()
    code = await partner.code(session)
    tokens = assert_tokens(await partner.token(partner.code_form(code)))
    assert tokens["access_token_expires_in"] == expiry(dt.timedelta(days=30)) == "2026-12-22 18:00:00"
    assert tokens["refresh_token_expires_in"] == expiry(dt.timedelta(days=45)) == "2027-01-06 18:00:00"
    access = tokens["access_token"]
    assert member_id

    # Connecting earned the device-connection bonus, which is no healthy choice.
    assert await partner.totals(access) == (CONNECTION_BONUS, 0)
    assert_success(await partner.post(access, [steps("walk-1", 4000)]))
    assert await partner.totals(access) == (CONNECTION_BONUS + 40, 40)

    answer = await partner.deactivate(access)
    assert assert_json(answer) == {"status": "success", "transaction_id": TRANSACTION_ID}
    assert answer.status_code == 200
    assert_seed_error(await partner.points(access), "1051")
    assert_seed_error(await partner.token(partner.refresh_form(tokens["refresh_token"])), "1051")


# --- /oauth/token ---------------------------------------------------------------------------------


@SQLITE
async def test_token_parameters_in_the_query_string(partner) -> None:
    """The seed writes the parameters as a query string; the body, when there is one, wins."""
    _member_id, session = await partner.session()
    code = await partner.code(session)
    answer = await partner.http.post("/oauth/token", params=partner.code_form(code))
    assert_tokens(answer)

    code = await partner.code(session)
    query = partner.code_form("not-this-code", transaction_id="from-the-query")
    answer = await partner.http.post("/oauth/token", params=query, data={"code": code})
    body = assert_json(answer)
    assert answer.status_code == 200, body
    assert body["transaction_id"] == "from-the-query"


@SQLITE
async def test_token_accepts_a_json_body_and_a_numeric_transaction_id(partner) -> None:
    _member_id, session = await partner.session()
    form: dict[str, Any] = partner.code_form(await partner.code(session))
    form["transaction_id"] = int(TRANSACTION_ID)
    assert_tokens(await partner.http.post("/oauth/token", json=form))


@SQLITE
async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_grant(partner, clock) -> None:
    first = await partner.connect()
    clock.advance(dt.timedelta(minutes=10))
    answer = await partner.token(partner.refresh_form(first.tokens["refresh_token"]))
    second = assert_tokens(answer)
    assert second["access_token_expires_in"] == expiry(dt.timedelta(days=30, minutes=10))
    assert second["refresh_token_expires_in"] == expiry(dt.timedelta(days=45, minutes=10))
    assert second["refresh_token"] != first.tokens["refresh_token"]
    assert second["access_token"] != first.access_token
    assert (await partner.points(second["access_token"])).status_code == 200

    reused = await partner.token(partner.refresh_form(first.tokens["refresh_token"]))
    assert_seed_error(reused, "1051")
    # The whole grant is gone: the newest tokens too.
    assert_seed_error(await partner.points(second["access_token"]), "1051")
    assert_seed_error(await partner.token(partner.refresh_form(second["refresh_token"])), "1051")


@SQLITE
async def test_refresh_may_narrow_the_scope_but_never_widen_it(stack) -> None:
    partner = Partner(stack, *await stack.partner_client())
    connected = await partner.connect(scope="steps")
    wider = partner.refresh_form(connected.tokens["refresh_token"], scope="steps points:read")
    assert_seed_error(await partner.token(wider), "1031")
    unknown = partner.refresh_form(connected.tokens["refresh_token"], scope="admin")
    assert_seed_error(await partner.token(unknown), "1031")
    # The refused refresh token was not used up.
    same = partner.refresh_form(connected.tokens["refresh_token"], scope="steps")
    assert_tokens(await partner.token(same), scope="steps")


@SQLITE
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"act": None}, id="missing act"),
        pytest.param({"act": "getBRPoints"}, id="wrong act"),
        pytest.param({"grant_type": None}, id="missing grant_type"),
        pytest.param({"grant_type": "password"}, id="unknown grant_type"),
        pytest.param({"grant_type": "client_credentials"}, id="no grant_type the seed knows"),
        pytest.param({"client_id": None}, id="missing client_id"),
        pytest.param({"channel": "7"}, id="channel not 1, 5 or 6"),
        pytest.param({"transaction_id": "x" * 65}, id="transaction_id over 64 characters"),
    ],
)
async def test_token_invalid_request_1001(partner, changes) -> None:
    _member_id, session = await partner.session()
    form = partner.code_form(await partner.code(session), **changes)
    assert_seed_error(await partner.token(form), "1001", form.get("transaction_id", ""))


@SQLITE
async def test_token_without_any_parameter_is_1001(partner) -> None:
    assert_seed_error(await partner.http.post("/oauth/token"), "1001", "")
    garbage = await partner.http.post(
        "/oauth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_seed_error(garbage, "1001", "")


@SQLITE
async def test_token_overlong_parameter_is_1001(partner) -> None:
    form = partner.code_form("x" * 8193)
    assert_seed_error(await partner.token(form), "1001", "")


@SQLITE
async def test_a_form_the_parser_refuses_is_still_the_seeds_1001(partner) -> None:
    too_many = {**partner.code_form("code"), **{f"extra{i}": "x" for i in range(60)}}
    assert_seed_error(await partner.token(too_many), "1001", "")  # the body is unreadable
    with_file = await partner.http.post(
        "/oauth/token", data=partner.code_form("code"), files={"upload": ("a.txt", b"x")}
    )
    assert_seed_error(with_file, "1001", "")


@SQLITE
async def test_token_unauthorized_client_1011(stack, partner) -> None:
    _member_id, session = await partner.session()
    code = await partner.code(session)
    assert_seed_error(await partner.token(partner.code_form(code, client_id="pc_unknown")), "1011")
    assert_seed_error(
        await partner.token(partner.code_form(code, client_secret=partner.secret + "x")), "1011"
    )
    assert_seed_error(await partner.token(partner.code_form(code, client_secret=None)), "1011")
    other = Partner(stack, *await stack.partner_client())
    other_code = await other.code((await other.session())[1])
    assert_seed_error(await other.token(other.code_form(other_code, client_secret=partner.secret)), "1011")
    # None of these used the code up.
    assert_tokens(await partner.token(partner.code_form(code)))


@SQLITE
async def test_a_refresh_with_a_redirect_uri_the_client_lacks_is_1011(partner) -> None:
    connected = await partner.connect()
    form = partner.refresh_form(connected.tokens["refresh_token"], redirect_uri="https://evil.example/cb")
    assert_seed_error(await partner.token(form), "1011")


@SQLITE
async def test_a_code_with_another_redirect_uri_is_1041_and_not_burnt(partner) -> None:
    """At the token endpoint the code is bound to its redirect URI (auth.proto: 1041)."""
    _member_id, session = await partner.session()
    code = await partner.code(session)
    assert_seed_error(await partner.token(partner.code_form(code, redirect_uri=REDIRECT_URI + "/x")), "1041")
    assert_tokens(await partner.token(partner.code_form(code)))


@SQLITE
async def test_wrong_reused_and_missing_codes_are_1041(partner) -> None:
    _member_id, session = await partner.session()
    assert_seed_error(await partner.token(partner.code_form("no-such-code")), "1041")
    code = await partner.code(session)
    first = assert_tokens(await partner.token(partner.code_form(code)))
    reused = assert_seed_error(await partner.token(partner.code_form(code)), "1041")
    assert "code" in reused["error_description"].lower()
    # A reused code revokes what it issued.
    assert_seed_error(await partner.points(first["access_token"]), "1051")


@SQLITE
async def test_a_code_expires_after_two_minutes_1041(partner, clock) -> None:
    _member_id, session = await partner.session()
    fresh = await partner.code(session)
    late = await partner.code(session)
    clock.advance(dt.timedelta(seconds=119))
    assert_tokens(await partner.token(partner.code_form(fresh)))
    clock.advance(dt.timedelta(seconds=2))
    assert_seed_error(await partner.token(partner.code_form(late)), "1041")


@SQLITE
async def test_pkce_mismatch_is_1041_and_the_right_verifier_works(partner) -> None:
    _member_id, session = await partner.session()
    code = await partner.code(session, code_challenge=challenge_for(VERIFIER), code_challenge_method="S256")
    wrong = partner.code_form(code, code_verifier=VERIFIER[:-1] + "X")
    assert_seed_error(await partner.token(wrong), "1041")
    assert_seed_error(await partner.token(partner.code_form(code)), "1041")  # no verifier at all
    assert_tokens(await partner.token(partner.code_form(code, code_verifier=VERIFIER)))


@SQLITE
async def test_a_public_client_exchanges_with_pkce_and_no_secret(stack) -> None:
    partner = Partner(stack, *await stack.partner_client(public=True))
    assert partner.secret == ""
    _member_id, session = await partner.session()
    code = await partner.code(session, code_challenge=challenge_for(VERIFIER), code_challenge_method="S256")
    tokens = assert_tokens(await partner.token(partner.code_form(code, code_verifier=VERIFIER)))
    assert_tokens(await partner.token(partner.refresh_form(tokens["refresh_token"])))


@SQLITE
async def test_bad_and_expired_refresh_tokens_are_1051(partner, clock) -> None:
    assert_seed_error(await partner.token(partner.refresh_form("nonsense")), "1051")
    assert_seed_error(await partner.token(partner.refresh_form("")), "1001")  # a missing parameter
    connected = await partner.connect()
    clock.advance(dt.timedelta(days=45, seconds=1))
    assert_seed_error(await partner.token(partner.refresh_form(connected.tokens["refresh_token"])), "1051")


@SQLITE
async def test_an_expired_access_token_is_1051(partner, clock) -> None:
    connected = await partner.connect()
    clock.advance(dt.timedelta(days=30, seconds=1))
    assert_seed_error(await partner.points(connected.access_token), "1051")
    assert_seed_error(await partner.post(connected.access_token, [steps("late", 100)]), "1051")


@SQLITE
async def test_wrong_methods_on_the_partner_paths(partner) -> None:
    for path in ("/oauth/token", "/oauth/deactivate", "/api/activities", "/api/points"):
        answer = await partner.http.get(path)
        assert answer.status_code == 405, path
        assert "POST" in answer.headers["allow"]


# --- /oauth/deactivate ----------------------------------------------------------------------------


@SQLITE
async def test_deactivate_by_refresh_token_ends_the_grant(partner) -> None:
    connected = await partner.connect()
    answer = await partner.deactivate(connected.tokens["refresh_token"], transaction_id="t-2")
    assert assert_json(answer) == {"status": "success", "transaction_id": "t-2"}
    assert_seed_error(await partner.points(connected.access_token), "1051")


@SQLITE
async def test_deactivate_unknown_or_repeated_tokens_is_still_success(partner) -> None:
    """RFC 7009: nothing to revoke is no error."""
    connected = await partner.connect()
    for token in ("nonsense", connected.access_token, connected.access_token):
        answer = await partner.deactivate(token)
        assert answer.status_code == 200
        assert assert_json(answer) == {"status": "success", "transaction_id": TRANSACTION_ID}


@SQLITE
async def test_deactivate_errors(stack, partner) -> None:
    connected = await partner.connect()
    assert_seed_error(await partner.deactivate(connected.access_token, client_secret="wrong"), "1011")
    assert_seed_error(await partner.deactivate(connected.access_token, client_id="pc_unknown"), "1011")
    other = Partner(stack, *await stack.partner_client())
    assert_seed_error(await other.deactivate(connected.access_token), "1011")  # not its token
    assert_seed_error(await partner.deactivate(connected.access_token, token=None), "1001")
    assert_seed_error(await partner.deactivate(connected.access_token, client_id=None), "1001")
    assert_seed_error(await partner.deactivate(connected.access_token, act="getOAuthToken"), "1001")
    assert_seed_error(await partner.deactivate(connected.access_token, act=None), "1001")
    assert_seed_error(await partner.deactivate(connected.access_token, channel="2"), "1001")
    # None of it deactivated anything.
    assert (await partner.points(connected.access_token)).status_code == 200


@SQLITE
async def test_deactivate_parameters_in_the_query_string(partner) -> None:
    connected = await partner.connect()
    query = {
        "act": "deactivateToken",
        "client_id": partner.client_id,
        "client_secret": partner.secret,
        "token": connected.access_token,
        "channel": "1",
        "transaction_id": TRANSACTION_ID,
    }
    answer = await partner.http.post("/oauth/deactivate", params=query)
    assert assert_json(answer) == {"status": "success", "transaction_id": TRANSACTION_ID}
    assert_seed_error(await partner.points(connected.access_token), "1051")


# --- /api/activities ------------------------------------------------------------------------------


@SQLITE
async def test_creates_updates_and_deletes_move_the_points(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    batch = [
        steps("day-1", 4000),  # 2 miles
        {
            "id": "walk-1",
            "device_tracked": "false",
            "timestamp": "2026-11-21 08:30:00",
            "type": "walking",
            "value": {"duration": 600, "distance": 1, "steps": 2000},
        },
        {"id": "w-1", "device_tracked": "true", "timestamp": LOCAL_NOON, "type": "weight", "value": 168},
        {
            "id": "sleep-1",
            "device_tracked": "true",
            "timestamp": LOCAL_NOON,
            "type": "sleep",
            "value": {"duration": 34552, "quality": "Normal"},
        },
    ]
    assert_success(await partner.post(access, batch))
    healthy = steps_points(4000) + 20 + 20  # a mile walked, a weight reading; sleep earns nothing
    assert await partner.totals(access) == (CONNECTION_BONUS + healthy, healthy)

    assert_success(await partner.post(access, [steps("day-1", 6000)], "updates"))
    healthy += steps_points(6000) - steps_points(4000)
    assert await partner.totals(access) == (CONNECTION_BONUS + healthy, healthy)

    assert_success(await partner.post(access, [{"id": "day-1"}], "deletes"))
    healthy -= steps_points(6000)
    assert await partner.totals(access) == (CONNECTION_BONUS + healthy, healthy)
    # A delete sent again (after a lost answer) is no error.
    assert_success(await partner.post(access, [{"id": "day-1"}], "deletes"))
    assert await partner.totals(access) == (CONNECTION_BONUS + healthy, healthy)


@SQLITE
async def test_a_replayed_batch_earns_nothing_twice(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    batch = {"creates": [partner.entry(access, [steps("a", 2000), steps("b", "3000")])]}
    assert_success(await partner.http.post("/api/activities", json=batch))
    expected = (CONNECTION_BONUS + 50, 50)
    assert await partner.totals(access) == expected
    assert_success(await partner.http.post("/api/activities", json=batch))
    assert await partner.totals(access) == expected
    # The same id with other content is refused, not applied.
    answer = await partner.post(access, [steps("a", 8000)])
    body = assert_seed_error(answer, "1081")
    assert [(failed["id"], failed["error"]) for failed in body["activities"]] == [("a", "id_reused")]
    assert await partner.totals(access) == expected


@SQLITE
async def test_one_batch_creates_updates_and_deletes_together(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    assert_success(await partner.post(access, [steps("x", 2000), steps("y", 2000)]))
    batch = {
        "creates": [partner.entry(access, [steps("z", 2000)])],
        "updates": [partner.entry(access, [steps("x", 4000)])],
        "deletes": [partner.entry(access, [{"id": "y"}])],
    }
    assert_success(await partner.http.post("/api/activities", json=batch))
    assert await partner.totals(access) == (CONNECTION_BONUS + 60, 60)


@SQLITE
async def test_failed_activities_are_1081_while_the_valid_ones_are_applied(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    batch = [
        steps("good", 2000),
        steps("too-many-steps", 100_001),
        {**steps("no-such-type", 10), "type": "swimming"},
        steps("wrong-shape", {"steps": 10}),
        steps("too-old", 2000, timestamp="2026-11-14 12:00:00"),
        steps("future", 2000, timestamp="2026-11-24 12:00:00"),
        steps("bad-time", 2000, timestamp="2026-11-22T12:00:00Z"),
        steps("good", 2000),
        {**steps("no-value", 1), "value": None},
        {"id": "no-value-at-all", "device_tracked": "true", "timestamp": LOCAL_NOON, "type": "weight"},
    ]
    answer = await partner.post(access, batch)
    body = assert_seed_error(answer, "1081")
    assert answer.status_code == 200  # the batch was processed
    failed = {(item["id"], item["error"]) for item in body["activities"]}
    assert failed == {
        ("too-many-steps", "value_out_of_range"),
        ("no-such-type", "unknown_type"),
        ("wrong-shape", "invalid_value"),
        ("too-old", "timestamp_too_old"),
        ("future", "timestamp_in_future"),
        ("bad-time", "invalid_timestamp"),
        ("good", "duplicate_in_batch"),
        ("no-value", "invalid_value"),
        ("no-value-at-all", "missing_field"),
    }
    for item in body["activities"]:
        assert set(item) == {"id", "operation", "error", "error_description", "transaction_id"}
        assert item["operation"] == "creates"
        assert item["transaction_id"] == TRANSACTION_ID
        assert item["error_description"]
    assert await partner.totals(access) == (CONNECTION_BONUS + 20, 20)


@SQLITE
async def test_1081_for_updates_and_deletes_of_unknown_ids(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    batch = {
        "updates": [partner.entry(access, [steps("never-created", 2000)])],
        "deletes": [partner.entry(access, [{"id": "never-created-either"}])],
    }
    body = assert_seed_error(await partner.http.post("/api/activities", json=batch), "1081")
    assert [(item["id"], item["operation"], item["error"]) for item in body["activities"]] == [
        ("never-created", "updates", "not_found"),
        ("never-created-either", "deletes", "not_found"),
    ]


@SQLITE
async def test_an_entry_field_too_long_fails_its_activities(partner) -> None:
    connected = await partner.connect()
    entry = partner.entry(connected.access_token, [steps("a", 2000)], device_name="x" * 21)
    body = assert_seed_error(await partner.http.post("/api/activities", json={"creates": [entry]}), "1081")
    assert [(item["id"], item["error"]) for item in body["activities"]] == [("a", "field_too_long")]


@SQLITE
@pytest.mark.parametrize(
    ("document", "transaction_id"),
    [
        ({"creates": {}}, ""),
        ({"creates": "x"}, ""),
        ({"creates": ["x"]}, ""),
        ({"creates": [{"transaction_id": TRANSACTION_ID, "data": {}}]}, TRANSACTION_ID),
        ({"creates": [{"transaction_id": TRANSACTION_ID, "data": ["x"]}]}, TRANSACTION_ID),
        ({"creates": [], "upserts": []}, ""),
        ({"creates": [{"transaction_id": TRANSACTION_ID, "affiliate_id": 1.5, "data": []}]}, TRANSACTION_ID),
        ({"creates": [{"transaction_id": 1234567890123456, "data": []}]}, TRANSACTION_ID),  # no token
        ({"creates": []}, ""),  # nothing at all: no token either
    ],
)
async def test_activities_invalid_envelope_1001(partner, document, transaction_id) -> None:
    assert_seed_error(await partner.http.post("/api/activities", json=document), "1001", transaction_id)


@SQLITE
async def test_activities_invalid_request_1001(partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    for body in (b"not json", b"[1, 2]", b'"creates"', b"", b"\xff\xfe"):
        answer = await partner.http.post(
            "/api/activities", content=body, headers={"content-type": "application/json"}
        )
        assert_seed_error(answer, "1001", "")
    for flag in ("yes", "TRUE", 1, None):
        answer = await partner.post(access, [steps("a", 2000, device_tracked=flag)])
        assert_seed_error(answer, "1001")
    # A batch without a single activity.
    assert_seed_error(await partner.post(access, []), "1001")
    # JSON booleans for device_tracked are accepted as well as the seed's strings.
    assert_success(await partner.post(access, [steps("b", 2000, device_tracked=False)]))
    assert await partner.totals(access) == (CONNECTION_BONUS + 20, 20)


@SQLITE
async def test_activities_authenticate_with_a_bearer_header_too(partner) -> None:
    connected = await partner.connect()
    entry = partner.entry("", [steps("a", 2000)])
    answer = await partner.http.post(
        "/api/activities",
        json={"creates": [entry]},
        headers={"authorization": f"Bearer {connected.access_token}"},
    )
    assert_success(answer)
    assert await partner.totals(connected.access_token) == (CONNECTION_BONUS + 20, 20)


@SQLITE
async def test_activities_bad_or_revoked_token_1051(partner) -> None:
    assert_seed_error(await partner.post("nonsense", [steps("a", 2000)]), "1051")
    assert_seed_error(await partner.post("t\u00f6ken", [steps("a", 2000)]), "1051")  # no metadata
    connected = await partner.connect()
    assert (await partner.deactivate(connected.access_token)).status_code == 200
    assert_seed_error(await partner.post(connected.access_token, [steps("a", 2000)]), "1051")


@SQLITE
async def test_activities_of_another_affiliate_1011(stack, partner) -> None:
    connected = await partner.connect()
    other_id, _secret = await stack.partner_client()
    entry = partner.entry(connected.access_token, [steps("a", 2000)], affiliate_id=other_id)
    assert_seed_error(await partner.http.post("/api/activities", json={"creates": [entry]}), "1011")
    # A token of another partner's member in this partner's batch.
    other = Partner(stack, other_id, _secret)
    theirs = await other.connect()
    batch = {
        "creates": [
            partner.entry(connected.access_token, [steps("b", 2000)]),
            partner.entry(theirs.access_token, [steps("c", 2000)]),
        ]
    }
    assert_seed_error(await partner.http.post("/api/activities", json=batch), "1011")
    assert await partner.totals(connected.access_token) == (CONNECTION_BONUS, 0)


@SQLITE
async def test_activities_without_the_steps_scope_1031(stack) -> None:
    partner = Partner(stack, *await stack.partner_client(scopes=("points:read",)))
    connected = await partner.connect(scope="points:read")
    assert_seed_error(await partner.post(connected.access_token, [steps("a", 2000)]), "1031")
    assert await partner.totals(connected.access_token) == (CONNECTION_BONUS, 0)


# --- /api/points ----------------------------------------------------------------------------------


@SQLITE
async def test_points_in_the_query_string_and_by_bearer_header(partner) -> None:
    connected = await partner.connect()
    query = {
        "access_token": connected.access_token,
        "affiliate_id": partner.client_id,
        "act": "getBRPoints",
        "transaction_id": "q-1",
    }
    answer = await partner.http.post("/api/points", params=query)
    assert assert_json(answer) == {
        "total_rewards_points": str(CONNECTION_BONUS),
        "healthy_choice_points": "0",
        "transaction_id": "q-1",
    }
    answer = await partner.http.post(
        "/api/points",
        data={"act": "getBRPoints", "transaction_id": "h-1"},
        headers={"authorization": f"Bearer {connected.access_token}"},
    )
    assert answer.status_code == 200
    assert assert_json(answer)["total_rewards_points"] == str(CONNECTION_BONUS)
    # affiliate_id is optional.
    assert (await partner.points(connected.access_token, affiliate_id=None)).status_code == 200


@SQLITE
async def test_points_errors(stack, partner) -> None:
    connected = await partner.connect()
    access = connected.access_token
    assert_seed_error(await partner.points(access, act="getOAuthToken"), "1001")
    assert_seed_error(await partner.points(access, act=None), "1001")
    assert_seed_error(await partner.points("", transaction_id="t-9"), "1001", "t-9")
    assert_seed_error(await partner.points(access, transaction_id="x" * 65), "1001", "x" * 65)
    assert_seed_error(await partner.points("nonsense"), "1051")
    assert_seed_error(await partner.points("tok\nen"), "1051")  # gRPC metadata cannot carry it
    other_id, _secret = await stack.partner_client()
    assert_seed_error(await partner.points(access, affiliate_id=other_id), "1011")
    answer = await partner.http.post(
        "/api/points", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert_seed_error(answer, "1001", "")
    answer = await partner.http.post("/api/points", json={"act": "getBRPoints", "access_token": ["x"]})
    assert_seed_error(answer, "1001", "")


@SQLITE
async def test_a_members_points_are_its_own(partner) -> None:
    ann = await partner.connect()
    bob = await partner.connect()
    assert_success(await partner.post(ann.access_token, [steps("a", 10_000)]))
    assert await partner.totals(ann.access_token) == (CONNECTION_BONUS + 100, 100)
    assert await partner.totals(bob.access_token) == (CONNECTION_BONUS, 0)


# --- 1061: the engine behind the gateway is gone (last: it stops the server) ---------------------


@SQLITE
async def test_every_endpoint_answers_1061_when_the_engine_is_down(stack, partner) -> None:
    connected = await partner.connect()
    await stack.server.stop(grace_s=0)
    answers = [
        await partner.token(partner.refresh_form(connected.tokens["refresh_token"])),
        await partner.deactivate(connected.access_token),
        await partner.post(connected.access_token, [steps("a", 2000)]),
        await partner.points(connected.access_token),
    ]
    for answer in answers:
        assert_seed_error(answer, "1061")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "1"
