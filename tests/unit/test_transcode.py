"""HTTP request -> request message by the rules of google.api.http (gateway rest/transcode.py), on the
real bindings of the loyalty.v1 protos (rest/http_rules.py), and reply -> proto3 JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from google.protobuf import timestamp_pb2

from loyalty.v1 import activity_pb2, auth_pb2, common_pb2, ledger_pb2, subscription_pb2
from loyalty_gateway.rest import http_rules
from loyalty_gateway.rest.http_rules import HttpBinding, http_bindings
from loyalty_gateway.rest.path_template import parse
from loyalty_gateway.rest.transcode import (
    QUERY_PARAMETERS_MAX,
    TranscodeError,
    build_request,
    response_json,
)


def binding(rpc: str, template: str | None = None) -> HttpBinding:
    found = [
        one
        for one in http_bindings()
        if one.rpc_name == rpc and (template is None or one.template.text == template)
    ]
    assert len(found) == 1, (rpc, template, found)
    return found[0]


def body(document: object) -> bytes:
    return json.dumps(document).encode()


# --- the bindings ---------------------------------------------------------------------------------


def test_the_bindings_are_read_from_the_annotations() -> None:
    enroll = binding("EnrollMember")
    assert (enroll.http_method, enroll.template.text, enroll.body) == ("POST", "/v1/members", "*")
    assert enroll.service.full_name == "loyalty.v1.LedgerService"
    assert enroll.request_type is ledger_pb2.EnrollMemberRequest.DESCRIPTOR
    assert not enroll.server_streaming
    get = binding("GetMember")
    assert (get.http_method, get.template.text, get.body) == ("GET", "/v1/members/{member_id}", "")
    assert binding("StreamEvents").server_streaming
    # additional_bindings give a method more than one route.
    assert {one.template.text for one in http_bindings() if one.rpc_name == "GetPointsTotals"} == {
        "/v1/members/{member_id}/pointsTotals",
        "/v1/pointsTotals",
    }
    assert binding("RevokeToken", "/v1/oauth/deactivate").body == "*"
    assert binding("DeleteWebhookEndpoint").http_method == "DELETE"
    assert binding("UpdateMember").http_method == "PATCH"


def test_methods_without_an_annotation_have_no_route() -> None:
    names = {one.rpc_name for one in http_bindings()}
    for internal in ("ValidateAuthorization", "IssueAuthorizationCode", "RegisterMember", "LoginMember"):
        assert internal not in names
    assert {"EnrollMember", "ExchangeToken", "PostActivities", "StreamEvents"} <= names


def test_no_two_bindings_share_a_method_and_template() -> None:
    keys = [(one.http_method, one.template.text) for one in http_bindings()]
    assert len(keys) == len(set(keys))


def test_a_body_must_be_a_field_of_the_request() -> None:
    method = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].methods_by_name["EnrollMember"]
    http_rules._check_body(method, "*")
    http_rules._check_body(method, "")
    http_rules._check_body(method, "member")
    with pytest.raises(ValueError, match="nickname"):
        http_rules._check_body(method, "nickname")


# --- bodies ---------------------------------------------------------------------------------------


def test_a_whole_body_fills_the_request_in_either_spelling() -> None:
    request = build_request(
        binding("EnrollMember"),
        {},
        [],
        body(
            {
                "member": {"email": "ann@example.com", "given_name": "Ann", "attributes": {"a": "b"}},
                "requestId": "r",
            }
        ),
    )
    assert request == ledger_pb2.EnrollMemberRequest(
        member=common_pb2.Member(email="ann@example.com", given_name="Ann", attributes={"a": "b"}),
        request_id="r",
    )


def test_an_empty_body_is_an_empty_request() -> None:
    for empty in (b"", b"  \n"):
        assert build_request(binding("EnrollMember"), {}, [], empty) == ledger_pb2.EnrollMemberRequest()


def test_int64_enum_and_timestamp_in_a_body() -> None:
    request = build_request(
        binding("AdjustPoints"),
        {},
        [],
        body(
            {
                "member": {"memberId": "m_1"},
                "points": "-25",
                "expireTime": "2027-01-01T00:00:00Z",
                "currency": "permanent",
            }
        ),
    )
    assert request.points == -25
    assert request.member.member_id == "m_1"
    assert request.expire_time.ToDatetime(dt.UTC) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    token = build_request(binding("ExchangeToken"), {}, [], body({"grantType": "GRANT_TYPE_REFRESH_TOKEN"}))
    assert token.grant_type == auth_pb2.GRANT_TYPE_REFRESH_TOKEN


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{oops", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"member"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (body({"member": {}, "nickname": "x"}), "nickname"),
        (body({"member": {"shoeSize": 9}}), "shoeSize"),
        (body({"requestId": 5}), "requestId"),
        (body({"member": {"status": "MEMBER_STATUS_SLEEPING"}}), "MEMBER_STATUS_SLEEPING"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    ],
)
def test_a_bad_body_is_a_transcode_error(raw, message) -> None:
    with pytest.raises(TranscodeError, match=message):
        build_request(binding("EnrollMember"), {}, [], raw)


def test_deep_nesting_is_refused_before_it_hurts() -> None:
    deep: dict = {}
    for _ in range(200):
        deep = {"member": {"attributes": deep}}
    with pytest.raises(TranscodeError):
        build_request(binding("EnrollMember"), {}, [], body(deep))


def test_a_body_of_one_field() -> None:
    """`body: "member"`: the JSON is that field; no annotation of ours uses it, so one is made."""
    enroll = binding("EnrollMember")
    one_field = HttpBinding(enroll.service, enroll.method, "POST", parse("/v1/members"), "member")
    request = build_request(one_field, {}, [("requestId", "r-1")], body({"email": "a@example.com"}))
    assert request == ledger_pb2.EnrollMemberRequest(
        member=common_pb2.Member(email="a@example.com"), request_id="r-1"
    )
    with pytest.raises(TranscodeError, match="already given"):
        build_request(one_field, {}, [("member.email", "b@example.com")], body({"email": "a@example.com"}))
    with pytest.raises(TranscodeError) as raised:
        build_request(one_field, {}, [], body({"requestId": "r"}))
    assert raised.value.field == "member"


# --- path variables -------------------------------------------------------------------------------


def test_path_variables_set_their_fields_even_nested() -> None:
    request = build_request(binding("GetMember"), {"member_id": "m_1"}, [], b"")
    assert request == ledger_pb2.GetMemberRequest(member_id="m_1")
    update = build_request(
        binding("UpdateMember"),
        {"member.member_id": "m_1"},
        [],
        body({"member": {"givenName": "Bea", "memberId": "m_other"}, "updateMask": "givenName,timeZone"}),
    )
    assert update.member.member_id == "m_1"  # the path wins over the body
    assert update.member.given_name == "Bea"
    assert list(update.update_mask.paths) == ["given_name", "time_zone"]
    two = build_request(
        binding("GetWebhookDelivery"), {"endpoint_id": "we_1", "delivery_id": "d 2/3"}, [], b""
    )
    assert (two.endpoint_id, two.delivery_id) == ("we_1", "d 2/3")


def test_a_path_variable_is_not_given_again_in_the_query() -> None:
    with pytest.raises(TranscodeError, match="already given") as raised:
        build_request(binding("GetMember"), {"member_id": "m_1"}, [("member_id", "m_2")], b"")
    assert raised.value.field == "member_id"


def test_a_path_variable_is_not_given_again_in_the_query_in_json_spelling() -> None:
    with pytest.raises(TranscodeError, match="already given"):
        build_request(binding("GetMember"), {"member_id": "m_1"}, [("memberId", "m_2")], b"")


# --- query parameters -----------------------------------------------------------------------------


def test_query_parameters_by_field_type() -> None:
    request = build_request(
        binding("ListMembers"),
        {},
        [
            ("pageSize", "25"),
            ("page_token", "abc"),
            ("status", "MEMBER_STATUS_DEACTIVATED"),
            ("createTimeStart", "2026-01-01T00:00:00Z"),
            ("tierId", "gold"),
        ],
        b"",
    )
    assert request == ledger_pb2.ListMembersRequest(
        page_size=25,
        page_token="abc",
        status=common_pb2.MEMBER_STATUS_DEACTIVATED,
        create_time_start=timestamp_pb2.Timestamp(seconds=1_767_225_600),
        tier_id="gold",
    )
    assert build_request(binding("ListMembers"), {}, [("status", "2")], b"").status == 2  # by number


def test_repeated_query_parameters_fill_a_repeated_field() -> None:
    query = [
        ("eventTypes", "EVENT_TYPE_MEMBER_ENROLLED"),
        ("afterSequence", "42"),
        ("eventTypes", "EVENT_TYPE_POINTS_EARNED"),
    ]
    request = build_request(binding("StreamEvents"), {}, query, b"")
    assert list(request.event_types) == [
        subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED,
        subscription_pb2.EVENT_TYPE_POINTS_EARNED,
    ]
    assert request.WhichOneof("start") == "after_sequence"
    assert request.after_sequence == 42
    snake = build_request(binding("StreamEvents"), {}, [("event_types", "EVENT_TYPE_MEMBER_ERASED")], b"")
    assert list(snake.event_types) == [subscription_pb2.EVENT_TYPE_MEMBER_ERASED]


def test_one_field_in_both_spellings_is_one_parameter() -> None:
    query = [
        ("eventTypes", "EVENT_TYPE_MEMBER_ENROLLED"),
        ("eventTypes", "EVENT_TYPE_POINTS_EARNED"),
        ("event_types", "EVENT_TYPE_MEMBER_ERASED"),
    ]
    request = build_request(binding("StreamEvents"), {}, query, b"")
    assert len(request.event_types) == 3
    with pytest.raises(TranscodeError, match="more than once"):
        build_request(binding("ListMembers"), {}, [("pageSize", "1"), ("page_size", "2")], b"")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_booleans_in_the_query(value, expected) -> None:
    request = build_request(binding("StreamEvents"), {}, [("fromNow", value)], b"")
    assert request.from_now is expected
    assert request.WhichOneof("start") == "from_now"


def test_dotted_query_names_walk_into_messages() -> None:
    request = build_request(
        binding("ListTransactions"),
        {"member_id": "m_1"},
        [("origin.type", "ORIGIN_TYPE_ACTIVITY"), ("origin.id", "a-1"), ("origin.clientId", "pc_1")],
        b"",
    )
    assert request.member_id == "m_1"
    assert request.origin == common_pb2.OriginRef(
        type=common_pb2.ORIGIN_TYPE_ACTIVITY, id="a-1", client_id="pc_1"
    )
    types = [("types", "TRANSACTION_TYPE_EARN"), ("types", "TRANSACTION_TYPE_SPEND")]
    listed = build_request(binding("ListTransactions"), {"member_id": "m_1"}, types, b"")
    assert list(listed.types) == [common_pb2.TRANSACTION_TYPE_EARN, common_pb2.TRANSACTION_TYPE_SPEND]


@pytest.mark.parametrize(
    ("rpc", "query", "field", "message"),
    [
        ("ListMembers", [("bogus", "1")], "bogus", "not a field of ListMembersRequest"),
        ("ListMembers", [("pageSize", "ten")], "pageSize", None),
        ("ListMembers", [("pageSize", "99999999999")], "pageSize", None),
        ("ListMembers", [("pageSize", "1"), ("pageSize", "2")], "pageSize", "more than once"),
        ("ListMembers", [("status", "MEMBER_STATUS_SLEEPING")], "status", None),
        ("ListMembers", [("createTimeStart", "yesterday")], "createTimeStart", None),
        ("ListMembers", [("createTimeStart.seconds", "5")], "createTimeStart.seconds", None),
        ("ListMembers", [("tierId.x", "5")], "tierId.x", "not a message field"),
        ("StreamEvents", [("fromNow", "yes")], "fromNow", "expected true or false"),
        ("ListTransactions", [("origin", "x")], "origin", "send it in a JSON body"),
        ("ListEvents", [("eventTypes", "EVENT_TYPE_NOPE")], "eventTypes", None),
        ("EnrollMember", [("requestId", "r")], "requestId", "in the JSON body"),
    ],
)
def test_bad_query_parameters(rpc, query, field, message) -> None:
    with pytest.raises(TranscodeError, match=message) as raised:
        build_request(binding(rpc), {}, query, b"")
    if field:
        assert raised.value.field == field


def test_at_most_so_many_query_parameters() -> None:
    many = [("eventTypes", "EVENT_TYPE_MEMBER_ENROLLED")] * QUERY_PARAMETERS_MAX
    assert len(build_request(binding("ListEvents"), {}, many, b"").event_types) == QUERY_PARAMETERS_MAX
    with pytest.raises(TranscodeError, match=str(QUERY_PARAMETERS_MAX)):
        build_request(binding("ListEvents"), {}, [*many, ("pageSize", "1")], b"")


def test_a_transcode_error_names_its_field() -> None:
    error = TranscodeError("pageSize", "not a number")
    assert str(error) == "pageSize: not a number"
    assert error.field == "pageSize"
    assert str(TranscodeError("", "bad body")) == "bad body"


# --- replies as proto3 JSON -----------------------------------------------------------------------


def test_replies_show_every_field_int64_as_strings_and_enum_names() -> None:
    reply = ledger_pb2.GetBalanceResponse(
        balance=common_pb2.Balance(
            member_id="m_1",
            currencies=[common_pb2.CurrencyBalance(currency="permanent", available_points=1234)],
            total_available_points=1234,
        )
    )
    shown = response_json(reply)
    balance = shown["balance"]
    assert balance["totalAvailablePoints"] == "1234"
    assert balance["eventSequence"] == "0"  # zero, present
    assert balance["loyaltyId"] == ""
    assert balance["currencies"][0]["availablePoints"] == "1234"
    assert balance["currencies"][0]["sources"] == []
    assert "updateTime" not in balance  # a message field left unset has presence: not shown
    member = response_json(ledger_pb2.GetMemberResponse(member=common_pb2.Member(member_id="m_1")))
    assert member["member"]["status"] == "MEMBER_STATUS_UNSPECIFIED"
    assert member["member"]["attributes"] == {}
    totals = response_json(activity_pb2.GetPointsTotalsResponse(total_rewards_points=2**40))
    assert totals["totalRewardsPoints"] == str(2**40)


def test_sparse_replies_leave_out_what_is_empty() -> None:
    reply = auth_pb2.GetJwksResponse(
        keys=[auth_pb2.Jwk(kty="OKP", crv="Ed25519", x="abc", kid="k1", alg="EdDSA", use="sig")]
    )
    assert response_json(reply, sparse=True) == {
        "keys": [{"kty": "OKP", "crv": "Ed25519", "x": "abc", "kid": "k1", "alg": "EdDSA", "use": "sig"}]
    }
    assert response_json(reply)["keys"][0]["y"] == ""
