"""REST for the RPCs over real HTTP: the routes the protos' google.api.http annotations declare,
path variables (nested, percent-encoded, next to custom verbs), query parameters, proto3 JSON
(int64 as strings, enum names), google.rpc.Status errors, and server streams as Server-Sent Events.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from loyalty_server.principal import Role
from tests.gateway_support import GatewayStack, running_gateway
from tests.support import bearer, service_token

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
WAIT_S = 10  # the longest any event may take to arrive


@pytest.fixture
async def stack(tmp_path, database_url) -> AsyncIterator[GatewayStack]:
    async with running_gateway(tmp_path, database_url) as stack:
        yield stack


@pytest.fixture
async def admin(stack) -> dict[str, str]:
    return dict(await stack.admin())


def assert_status(response: httpx.Response, http_status: int, code: int, reason: str) -> dict[str, Any]:
    """A google.rpc.Status as JSON, its first detail the ErrorInfo with `reason`."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code
    assert body["message"]
    info = body["details"][0]
    assert info["@type"] == ERROR_INFO
    assert info["reason"] == reason, body
    assert info["domain"] == "loyalty.v1"
    return body


async def enroll(stack: GatewayStack, admin: dict[str, str], **member: Any) -> dict[str, Any]:
    member = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "givenName": "Ann", **member}
    response = await stack.http.post(
        "/v1/members", json={"member": member, "requestId": uuid.uuid4().hex}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()["member"]


# --- members: body, path variables, custom verbs, query parameters --------------------------------


async def test_enroll_read_update_deactivate_a_member(stack, admin) -> None:
    enrolled = await enroll(stack, admin, givenName="Ann", attributes={"club": "runners"})
    member_id = enrolled["memberId"]
    assert member_id.startswith("m_")
    # proto3 JSON: camelCase names, enum names, every field even when empty.
    assert enrolled["status"] == "MEMBER_STATUS_ACTIVE"
    assert enrolled["enrollmentChannel"] == "ENROLLMENT_CHANNEL_API"
    assert enrolled["attributes"] == {"club": "runners"}
    assert enrolled["familyName"] == ""

    read = await stack.http.get(f"/v1/members/{member_id}", headers=admin)
    assert read.status_code == 200
    assert read.headers["cache-control"] == "no-store"
    assert read.json()["member"] == enrolled

    patched = await stack.http.patch(
        f"/v1/members/{member_id}",
        json={"member": {"givenName": "Bea"}, "updateMask": "givenName", "requestId": uuid.uuid4().hex},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["member"]["memberId"] == member_id  # from the path: member.member_id
    assert patched.json()["member"]["givenName"] == "Bea"

    deactivated = await stack.http.post(
        f"/v1/members/{member_id}:deactivate",
        json={"reason": "asked to leave", "request_id": uuid.uuid4().hex},  # either field spelling
        headers=admin,
    )
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["member"]["status"] == "MEMBER_STATUS_DEACTIVATED"
    # The plain route beside the verb route still reads the member.
    again = await stack.http.get(f"/v1/members/{member_id}", headers=admin)
    assert again.json()["member"]["status"] == "MEMBER_STATUS_DEACTIVATED"


@SQLITE
async def test_a_full_member_view_shows_int64_as_strings(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    adjusted = await stack.http.post(
        "/v1/admin/members:adjustPoints",
        json={
            "member": {"memberId": member_id},
            "currency": "permanent",
            "points": 1234,  # a JSON number in, a string out
            "reasonCode": "GOODWILL",
            "reason": "a test credit",
            "requestId": uuid.uuid4().hex,
        },
        headers=admin,
    )
    assert adjusted.status_code == 200, adjusted.text
    assert adjusted.json()["balance"]["availablePoints"] == "1234"
    full = await stack.http.get(
        f"/v1/members/{member_id}", params={"view": "MEMBER_VIEW_FULL"}, headers=admin
    )
    assert full.status_code == 200, full.text
    balance = full.json()["balance"]
    assert balance["totalAvailablePoints"] == "1234"
    permanent = next(entry for entry in balance["currencies"] if entry["currency"] == "permanent")
    assert permanent["availablePoints"] == "1234"
    assert permanent["debtPoints"] == "0"  # zero int64s are there too, as strings
    assert full.json()["tier"]["tier"]["tierId"] == "bronze"
    basic = await stack.http.get(f"/v1/members/{member_id}", params={"view": "2"}, headers=admin)
    assert basic.json()["balance"] == balance  # an enum by number works as well


@SQLITE
async def test_list_members_pages_and_filters_by_query(stack, admin) -> None:
    ids = [(await enroll(stack, admin))["memberId"] for _ in range(3)]
    first = await stack.http.get("/v1/members", params={"pageSize": "2"}, headers=admin)
    assert first.status_code == 200, first.text
    assert [member["memberId"] for member in first.json()["members"]] == ids[::-1][:2]  # newest first
    token = first.json()["nextPageToken"]
    assert token
    second = await stack.http.get("/v1/members", params={"page_size": "2", "pageToken": token}, headers=admin)
    assert [member["memberId"] for member in second.json()["members"]] == [ids[0]]
    assert second.json()["nextPageToken"] == ""

    await stack.http.post(
        f"/v1/members/{ids[1]}:deactivate",
        json={"reason": "test", "requestId": uuid.uuid4().hex},
        headers=admin,
    )
    only = await stack.http.get("/v1/members", params={"status": "MEMBER_STATUS_DEACTIVATED"}, headers=admin)
    assert [member["memberId"] for member in only.json()["members"]] == [ids[1]]
    later = await stack.http.get(
        "/v1/members", params={"createTimeStart": "2999-01-01T00:00:00Z"}, headers=admin
    )
    assert later.status_code == 200
    assert later.json()["members"] == []


@SQLITE
async def test_repeated_query_parameters(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    await stack.http.post(
        f"/v1/members/{member_id}:deactivate",
        json={"reason": "test", "requestId": uuid.uuid4().hex},
        headers=admin,
    )
    both = [("eventTypes", "EVENT_TYPE_MEMBER_ENROLLED"), ("eventTypes", "EVENT_TYPE_MEMBER_DEACTIVATED")]
    listed = await stack.http.get("/v1/events", params=[*both, ("memberId", member_id)], headers=admin)
    assert listed.status_code == 200, listed.text
    events = listed.json()["events"]
    assert [event["typeName"] for event in events] == ["member.enrolled", "member.deactivated"]
    assert all(isinstance(event["sequence"], str) for event in events)
    one = await stack.http.get(
        "/v1/events",
        params={"eventTypes": "EVENT_TYPE_MEMBER_DEACTIVATED", "memberId": member_id},
        headers=admin,
    )
    assert [event["typeName"] for event in one.json()["events"]] == ["member.deactivated"]


@SQLITE
async def test_a_percent_encoded_path_variable_is_decoded_and_stays_one_segment(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    encoded = member_id.replace("_", "%5F")
    assert encoded != member_id
    found = await stack.http.get(f"/v1/members/{encoded}", headers=admin)
    assert found.status_code == 200, found.text
    assert found.json()["member"]["memberId"] == member_id
    # An encoded "/" is part of the id, not a path separator: GetMember, not GetBalance.
    slashed = await stack.http.get(f"/v1/members/{member_id}%2Fbalance", headers=admin)
    body = assert_status(slashed, 404, 5, "MEMBER_NOT_FOUND")
    assert body["details"][0]["metadata"] == {"member_id": f"{member_id}/balance"}
    balance = await stack.http.get(f"/v1/members/{member_id}/balance", headers=admin)
    assert balance.status_code == 200
    assert balance.json()["balance"]["memberId"] == member_id


# --- errors -------------------------------------------------------------------------------------


@SQLITE
async def test_bad_input_is_400_with_a_google_rpc_status(stack, admin) -> None:
    unknown_field = await stack.http.post(
        "/v1/members",
        json={"member": {"email": "a@example.com"}, "requestId": "r-1", "nickname": "x"},
        headers=admin,
    )
    body = assert_status(unknown_field, 400, 3, "INVALID_ARGUMENT")
    assert "nickname" in body["message"]
    nested_unknown = await stack.http.post(
        "/v1/members", json={"member": {"shoeSize": 9}, "requestId": "r-2"}, headers=admin
    )
    assert "shoeSize" in assert_status(nested_unknown, 400, 3, "INVALID_ARGUMENT")["message"]

    unknown_query = await stack.http.get("/v1/members", params={"bogus": "1"}, headers=admin)
    body = assert_status(unknown_query, 400, 3, "INVALID_ARGUMENT")
    assert body["details"][0]["metadata"] == {"field": "bogus"}

    for params in (
        {"pageSize": "many"},
        {"status": "MEMBER_STATUS_SLEEPING"},
        {"createTimeStart": "yesterday"},
    ):
        answer = await stack.http.get("/v1/members", params=params, headers=admin)
        assert_status(answer, 400, 3, "INVALID_ARGUMENT")
    twice = await stack.http.get("/v1/members", params=[("pageSize", "1"), ("pageSize", "2")], headers=admin)
    assert_status(twice, 400, 3, "INVALID_ARGUMENT")

    not_json = await stack.http.post("/v1/members", content=b"{oops", headers=admin)
    assert_status(not_json, 400, 3, "INVALID_ARGUMENT")
    not_an_object = await stack.http.post("/v1/members", json=[1, 2], headers=admin)
    assert_status(not_an_object, 400, 3, "INVALID_ARGUMENT")
    query_for_a_body = await stack.http.post(
        "/v1/members", params={"requestId": "r-3"}, json={"member": {}}, headers=admin
    )
    assert_status(query_for_a_body, 400, 3, "INVALID_ARGUMENT")
    path_again = await stack.http.get("/v1/members/m_1", params={"member_id": "m_2"}, headers=admin)
    assert_status(path_again, 400, 3, "INVALID_ARGUMENT")


@SQLITE
async def test_server_errors_pass_through_with_their_reason(stack, admin) -> None:
    missing = await stack.http.get("/v1/members/m_nobody", headers=admin)
    body = assert_status(missing, 404, 5, "MEMBER_NOT_FOUND")
    assert body["details"][0]["metadata"] == {"member_id": "m_nobody"}

    anonymous = await stack.http.get("/v1/members/m_nobody")
    assert_status(anonymous, 401, 16, "CREDENTIALS_MISSING")
    forged = await stack.http.get("/v1/members/m_nobody", headers={"authorization": "Bearer not-a-jwt"})
    assert_status(forged, 401, 16, "INVALID_TOKEN")

    pos = dict(bearer(await service_token(stack.server, Role.POS)))
    refused = await stack.http.get("/v1/members", headers=pos)  # ListMembers: internal and admin only
    assert_status(refused, 403, 7, "ROLE_REQUIRED")

    member_id = (await enroll(stack, admin))["memberId"]
    email = (await stack.http.get(f"/v1/members/{member_id}", headers=admin)).json()["member"]["email"]
    taken = await stack.http.post(
        "/v1/members", json={"member": {"email": email}, "requestId": uuid.uuid4().hex}, headers=admin
    )
    assert_status(taken, 409, 6, "EMAIL_TAKEN")


@SQLITE
async def test_a_wrong_method_is_405_with_allow(stack, admin) -> None:
    answer = await stack.http.delete("/v1/members", headers=admin)
    body = assert_status(answer, 405, 12, "METHOD_NOT_ALLOWED")
    assert answer.headers["allow"] == "GET, POST"
    assert "DELETE" in body["message"]
    verb = await stack.http.put("/v1/members/m_1:deactivate", headers=admin)
    assert_status(verb, 405, 12, "METHOD_NOT_ALLOWED")
    assert verb.headers["allow"] == "POST"
    jwks = await stack.http.post("/.well-known/jwks.json", json={})
    assert_status(jwks, 405, 12, "METHOD_NOT_ALLOWED")
    assert jwks.headers["allow"] == "GET"


@SQLITE
async def test_an_unknown_route_is_404_with_a_google_rpc_status(stack, admin) -> None:
    answer = await stack.http.get("/v1/nothing-here", headers=admin)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == 5


@SQLITE
async def test_head_answers_like_get_without_a_body(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    answer = await stack.http.head(f"/v1/members/{member_id}", headers=admin)
    assert answer.status_code == 200
    assert answer.content == b""


@SQLITE
async def test_the_jwks_has_no_empty_members_and_needs_no_token(stack) -> None:
    for path in ("/.well-known/jwks.json", "/v1/oauth/jwks"):
        answer = await stack.http.get(path)
        assert answer.status_code == 200, answer.text
        keys = answer.json()["keys"]
        assert keys
        for key in keys:
            assert all(value != "" for value in key.values()), key
            assert {"kty", "crv", "x", "kid", "alg", "use"} <= set(key)
            assert key["use"] == "sig"
            if key["kty"] == "OKP":
                assert "y" not in key
                assert (key["crv"], key["alg"]) == ("Ed25519", "EdDSA")


@SQLITE
async def test_the_token_endpoint_over_rest_speaks_proto3_json(stack) -> None:
    """/v1/oauth/token is the RPC itself (not the seed's /oauth/token): errors are google.rpc.Status."""
    answer = await stack.http.post(
        "/v1/oauth/token", json={"grantType": "GRANT_TYPE_CLIENT_CREDENTIALS", "clientId": "pc_unknown"}
    )
    body = assert_status(answer, 401, 16, "UNAUTHORIZED_CLIENT")
    assert body["details"][0]["metadata"]["error_code"] == "1011"


# --- Server-Sent Events ---------------------------------------------------------------------------


class EventReader:
    """The SSE frames of a streaming response: each a dict of its fields (event, id, data, retry)."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        self.lines = response.aiter_lines()

    async def frame(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        async with asyncio.timeout(WAIT_S):
            while True:
                line = await anext(self.lines)
                if line == "":
                    if fields:
                        return fields
                    continue
                name, _, value = line.partition(":")
                assert name not in fields, f"{name} twice in one frame"
                fields[name] = value.removeprefix(" ")

    async def event(self, name: str = "event") -> tuple[int, dict[str, Any]]:
        """The next frame called `name` (heartbeats skipped): (its id, its data)."""
        while True:
            frame = await self.frame()
            if frame.get("event") == "heartbeat" and name != "heartbeat":
                continue
            assert frame.get("event") == name, frame
            data = json.loads(frame["data"])
            return int(frame.get("id", "0")), data


async def test_events_stream_live_and_resume_with_last_event_id(stack, admin) -> None:
    first = await enroll(stack, admin)
    async with stack.http.stream("GET", "/v1/events:stream?afterSequence=0", headers=admin) as response:
        reader = EventReader(response)
        assert await reader.frame() == {"retry": "3000"}
        first_id, event = await reader.event()
        assert event["typeName"] == "member.enrolled"
        assert event["member"]["memberId"] == first["memberId"]
        assert event["sequence"] == str(first_id)  # the SSE id is the event's sequence
        assert event["memberEnrolled"]["enrollmentChannel"] == "ENROLLMENT_CHANNEL_API"

        second = await enroll(stack, admin)  # while the stream is open: arrives live
        second_id, event = await reader.event()
        assert second_id > first_id
        assert (event["typeName"], event["member"]["memberId"]) == ("member.enrolled", second["memberId"])

    # A reconnecting EventSource repeats its first URL; Last-Event-ID wins over afterSequence.
    headers = {**admin, "last-event-id": str(first_id)}
    async with stack.http.stream("GET", "/v1/events:stream?afterSequence=0", headers=headers) as response:
        reader = EventReader(response)
        assert await reader.frame() == {"retry": "3000"}
        resumed_id, event = await reader.event()
        assert resumed_id == second_id
        assert event["member"]["memberId"] == second["memberId"]


@SQLITE
async def test_events_stream_filters_by_repeated_query_parameters(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    await enroll(stack, admin)
    await stack.http.post(
        f"/v1/members/{member_id}:deactivate",
        json={"reason": "test", "requestId": uuid.uuid4().hex},
        headers=admin,
    )
    query = "afterSequence=0&eventTypes=EVENT_TYPE_MEMBER_DEACTIVATED&eventTypes=EVENT_TYPE_MEMBER_ERASED"
    async with stack.http.stream("GET", f"/v1/events:stream?{query}", headers=admin) as response:
        reader = EventReader(response)
        await reader.frame()  # retry
        _id, event = await reader.event()
        assert (event["typeName"], event["member"]["memberId"]) == ("member.deactivated", member_id)


@SQLITE
async def test_watch_member_sends_a_snapshot_first_then_one_per_change(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    pos = dict(bearer(await service_token(stack.server, Role.POS)))
    # WatchMember has no cursor: a Last-Event-ID (an EventSource reconnecting) is ignored.
    headers = {**pos, "last-event-id": "not-a-number"}
    async with stack.http.stream("GET", f"/v1/members/{member_id}:watch", headers=headers) as response:
        reader = EventReader(response)
        assert await reader.frame() == {"retry": "3000"}
        _id, snapshot = await reader.event("snapshot")
        assert snapshot["memberId"] == member_id
        assert snapshot["balance"]["totalAvailablePoints"] == "0"
        assert snapshot["cause"] == "EVENT_TYPE_UNSPECIFIED"
        credit = await stack.http.post(
            "/v1/admin/members:adjustPoints",
            json={
                "member": {"memberId": member_id},
                "currency": "permanent",
                "points": "40",
                "reasonCode": "GOODWILL",
                "reason": "a test credit",
                "requestId": uuid.uuid4().hex,
            },
            headers=admin,
        )
        assert credit.status_code == 200, credit.text
        changed_id, changed = await reader.event("snapshot")
        assert changed["balance"]["totalAvailablePoints"] == "40"
        assert changed_id == int(changed["sequence"]) > 0


@SQLITE
async def test_a_stream_that_fails_after_it_started_ends_with_an_error_event(stack, admin) -> None:
    member_id = (await enroll(stack, admin))["memberId"]
    async with stack.http.stream("GET", "/v1/events:stream?afterSequence=0", headers=admin) as response:
        reader = EventReader(response)
        await reader.frame()  # retry
        _id, event = await reader.event()
        assert event["member"]["memberId"] == member_id
        await stack.server.stop(grace_s=0)
        _id, error = await reader.event("error")
        assert error["code"] == 14  # UNAVAILABLE: reconnect with Last-Event-ID
        assert error["message"]
        with pytest.raises(StopAsyncIteration):
            await reader.frame()  # and the stream ends


@SQLITE
async def test_a_refused_stream_is_a_json_error_not_an_event_stream(stack, admin) -> None:
    forged = await stack.http.get("/v1/events:stream", headers={"authorization": "Bearer not-a-jwt"})
    assert_status(forged, 401, 16, "INVALID_TOKEN")
    anonymous = await stack.http.get("/v1/events:stream")
    assert_status(anonymous, 401, 16, "CREDENTIALS_MISSING")
    # WatchMember is not for admins.
    assert_status(await stack.http.get("/v1/members/m_1:watch", headers=admin), 403, 7, "ROLE_REQUIRED")
    pos = dict(bearer(await service_token(stack.server, Role.POS)))
    assert_status(await stack.http.get("/v1/members/m_nobody:watch", headers=pos), 404, 5, "MEMBER_NOT_FOUND")
    for last_event_id in ("abc", "-1", "1.5", "9" * 21):
        answer = await stack.http.get("/v1/events:stream", headers={**admin, "last-event-id": last_event_id})
        assert_status(answer, 400, 3, "INVALID_LAST_EVENT_ID")
    bad_query = await stack.http.get("/v1/events:stream", params={"afterSequence": "x"}, headers=admin)
    assert_status(bad_query, 400, 3, "INVALID_ARGUMENT")
    too_often = await stack.http.get(
        "/v1/events:stream", params={"heartbeatIntervalSeconds": "1"}, headers=admin
    )
    assert too_often.status_code == 400
    assert too_often.headers["content-type"] == "application/json"
