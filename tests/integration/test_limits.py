"""The documented limits at their boundaries, over gRPC on SQLite and PostgreSQL: the maximum passes
(or fails for another reason, said per row), one more is refused with the limit's own reason and
field. Batch and item counts, string lengths, numbers, page sizes and the message size. The README's
"Limits" table lists the same numbers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from loyalty.v1 import (
    activity_pb2,
    activity_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    common_pb2,
    ledger_pb2,
    ledger_pb2_grpc,
    subscription_pb2,
    subscription_pb2_grpc,
)
from loyalty_server import request_text, requests
from loyalty_server.activity import batch, purchases, values
from loyalty_server.activity.rpc import activities as activities_rpc
from loyalty_server.auth.authorization import TRANSACTION_ID_LENGTH_MAX
from loyalty_server.clock import FakeClock
from loyalty_server.ledger.rpc import convert
from loyalty_server.ledger.rpc.base import MEMBER_ID_LENGTH_MAX
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from tests.bad_input import error_details
from tests.integration.test_auth_flow import Flow
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)
NOW_STAMP = timestamp_pb2.Timestamp(seconds=int(NOW.timestamp()))
OK = "OK"  # a row whose maximum is accepted outright
BALL = activity_pb2.PurchaseItem(sku="BALL", category="sports", quantity=1, amount_minor=2599)


@dataclass(frozen=True)
class Refusal:
    reason: str
    field: str  # "" when the refusal names no field (a per-activity failure carries no BadRequest)


# --- the purchase limits (RecordPurchase / RecordReturn, a POS caller) ----------------------------


def purchase(member_id: str, **changes: object) -> activity_pb2.RecordPurchaseRequest:
    values_: dict[str, object] = {
        "request_id": uuid.uuid4().hex,
        "order_id": uuid.uuid4().hex,
        "member": common_pb2.MemberRef(member_id=member_id),
        "store_id": "store-7",
        "currency_code": "USD",
        "items": [BALL],
        "purchase_time": NOW_STAMP,
    }
    values_.update(changes)
    return activity_pb2.RecordPurchaseRequest(**values_)  # type: ignore[arg-type]


def item(**changes: object) -> activity_pb2.PurchaseItem:
    copy = activity_pb2.PurchaseItem()
    copy.CopyFrom(BALL)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


@dataclass(frozen=True)
class PurchaseLimit:
    name: str
    maximum: int
    request: Callable[[str, int], Message]  # (member_id, n) -> the request at size n
    refusal: Refusal
    at_maximum: str = OK  # or the reason the maximum fails for, not the limit's own


PURCHASE_LIMITS = [
    PurchaseLimit(
        "order_id length",
        purchases.ORDER_ID_LENGTH_MAX,
        lambda m, n: purchase(m, order_id="o" * n),
        Refusal("FIELD_TOO_LONG", "order_id"),
    ),
    PurchaseLimit(
        "request_id length",
        requests.REQUEST_ID_LENGTH_MAX,
        lambda m, n: purchase(m, request_id="r" * n),
        Refusal("REQUEST_ID_INVALID", "request_id"),
    ),
    PurchaseLimit(
        "store_id length",
        purchases.STORE_ID_LENGTH_MAX,
        lambda m, n: purchase(m, store_id="s" * n),
        Refusal("FIELD_TOO_LONG", "store_id"),
    ),
    PurchaseLimit(
        "items per order",
        purchases.ITEMS_MAX,
        lambda m, n: purchase(m, items=[item(line_id=f"L{i}", amount_minor=1) for i in range(n)]),
        Refusal("TOO_MANY_ITEMS", "items"),
    ),
    PurchaseLimit(
        "line_id length",
        purchases.LINE_ID_LENGTH_MAX,
        lambda m, n: purchase(m, items=[item(line_id="l" * n)]),
        Refusal("FIELD_TOO_LONG", "items[0].line_id"),
    ),
    PurchaseLimit(
        "sku length",
        purchases.SKU_LENGTH_MAX,
        lambda m, n: purchase(m, items=[item(sku="k" * n)]),
        Refusal("FIELD_TOO_LONG", "items[0].sku"),
    ),
    PurchaseLimit(
        "category length",
        purchases.CATEGORY_LENGTH_MAX,
        lambda m, n: purchase(m, items=[item(category="c" * n)]),
        Refusal("FIELD_TOO_LONG", "items[0].category"),
    ),
    PurchaseLimit(
        "item name length",
        purchases.NAME_LENGTH_MAX,
        lambda m, n: purchase(m, items=[item(name="n" * n)]),
        Refusal("FIELD_TOO_LONG", "items[0].name"),
    ),
    PurchaseLimit(
        "quantity",
        purchases.QUANTITY_MAX,
        lambda m, n: purchase(m, items=[item(quantity=n)]),
        Refusal("INVALID_QUANTITY", "items[0].quantity"),
    ),
    PurchaseLimit(
        "amount_minor",
        purchases.AMOUNT_MAX,
        lambda m, n: purchase(m, items=[item(amount_minor=n)]),
        Refusal("INVALID_AMOUNT", "items[0].amount_minor"),
    ),
    PurchaseLimit(
        "coupon codes per order",
        purchases.COUPONS_MAX,
        lambda m, n: purchase(m, coupon_codes=[f"C{i}" for i in range(n)]),
        Refusal("TOO_MANY_COUPONS", "coupon_codes"),
        at_maximum="COUPON_NOT_FOUND",
    ),
    PurchaseLimit(
        "coupon code length",
        purchases.COUPON_CODE_LENGTH_MAX,
        lambda m, n: purchase(m, coupon_codes=["C" * n]),
        Refusal("FIELD_TOO_LONG", "coupon_codes[0]"),
        at_maximum="COUPON_NOT_FOUND",
    ),
    PurchaseLimit(
        "member_id length",
        MEMBER_ID_LENGTH_MAX,
        lambda m, n: purchase(m, member=common_pb2.MemberRef(member_id="m" * n)),
        Refusal("FIELD_TOO_LONG", "member.member_id"),
        at_maximum="MEMBER_NOT_FOUND",
    ),
    PurchaseLimit(
        "return_id length",
        purchases.RETURN_ID_LENGTH_MAX,
        lambda m, n: activity_pb2.RecordReturnRequest(
            request_id=uuid.uuid4().hex, return_id="r" * n, order_id="no-such-order"
        ),
        Refusal("FIELD_TOO_LONG", "return_id"),
        at_maximum="ORDER_NOT_FOUND",
    ),
    PurchaseLimit(
        "return reason length",
        purchases.REASON_LENGTH_MAX,
        lambda m, n: activity_pb2.RecordReturnRequest(
            request_id=uuid.uuid4().hex, return_id="r-1", order_id="no-such-order", reason="x" * n
        ),
        Refusal("FIELD_TOO_LONG", "reason"),
        at_maximum="ORDER_NOT_FOUND",
    ),
    PurchaseLimit(
        "returned sku length",
        purchases.SKU_LENGTH_MAX,
        lambda m, n: activity_pb2.RecordReturnRequest(
            request_id=uuid.uuid4().hex,
            return_id=uuid.uuid4().hex,
            order_id="limits-order",
            items=[activity_pb2.ReturnItem(sku="k" * n, quantity=1, amount_minor=1)],
        ),
        Refusal("FIELD_TOO_LONG", "items[0].sku"),
        at_maximum="LINE_NOT_FOUND",
    ),
]


# --- the activity limits (PostActivities, the member's partner token) ------------------------------


def steps(activity_id: str = "s1", steps_: int = 1000) -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=activity_id, local_timestamp="2026-11-22 08:00:00")
    data.value.total_steps.steps = steps_
    return data


def exercise(name: str) -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=uuid.uuid4().hex, local_timestamp="2026-11-22 08:00:00")
    data.value.general_exercise.exercise_name = name
    return data


def unparsed(kind: str, raw: str) -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=uuid.uuid4().hex, local_timestamp="2026-11-22 08:00:00")
    data.value.unparsed.type = kind
    data.value.unparsed.value_json = raw
    return data


@dataclass(frozen=True)
class ActivityLimit:
    """A limit on one activity or its entry: past it, the activity fails with FIELD_TOO_LONG."""

    name: str
    maximum: int
    entry: Callable[[int], activity_pb2.ActivityEntry]
    at_maximum: str = OK  # or the activity's failure reason at the maximum


def entry(*data: activity_pb2.ActivityData, **fields: str) -> activity_pb2.ActivityEntry:
    return activity_pb2.ActivityEntry(data=list(data), **fields)


ACTIVITY_LIMITS = [
    ActivityLimit("activity id length", batch.ACTIVITY_ID_LENGTH_MAX, lambda n: entry(steps("i" * n))),
    ActivityLimit(
        "manufacturer_name length",
        batch.ENTRY_NAME_LENGTH_MAX,
        lambda n: entry(steps(uuid.uuid4().hex), manufacturer_name="m" * n),
    ),
    ActivityLimit(
        "device_name length",
        batch.ENTRY_NAME_LENGTH_MAX,
        lambda n: entry(steps(uuid.uuid4().hex), device_name="d" * n),
    ),
    ActivityLimit(
        "user_device_id length",
        batch.USER_DEVICE_ID_LENGTH_MAX,
        lambda n: entry(steps(uuid.uuid4().hex), user_device_id="u" * n),
    ),
    ActivityLimit(
        "transaction_id length",
        TRANSACTION_ID_LENGTH_MAX,
        lambda n: entry(steps(uuid.uuid4().hex), transaction_id="t" * n),
    ),
    ActivityLimit("exercise name length", values.LABEL_LENGTH_MAX, lambda n: entry(exercise("e" * n))),
    ActivityLimit(
        "unparsed value length",
        values.UNPARSED_JSON_LENGTH_MAX,
        lambda n: entry(unparsed("rowing", "1" * n)),
        at_maximum="ACTIVITY_ERROR_REASON_UNKNOWN_TYPE",
    ),
]


# --- helpers --------------------------------------------------------------------------------------


async def refused(call: object) -> tuple[grpc.StatusCode, str, list[str]]:
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        info, fields = error_details(error)
        return error.code(), info.reason if info else "", fields
    return grpc.StatusCode.OK, OK, []


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=FakeClock(NOW))
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


# --- the checks (one server runs them all) --------------------------------------------------------


async def check_purchase_limits(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    pos = bearer(await service_token(server, Role.POS))
    member = (
        await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
            ledger_pb2.EnrollMemberRequest(request_id="limits-member"), metadata=pos
        )
    ).member
    stub = activity_pb2_grpc.ActivityServiceStub(channel)
    await stub.RecordPurchase(purchase(member.member_id, order_id="limits-order"), metadata=pos)

    def send(request: Message) -> object:
        method = (
            stub.RecordPurchase
            if isinstance(request, activity_pb2.RecordPurchaseRequest)
            else stub.RecordReturn
        )
        return method(request, metadata=pos, timeout=30)

    for limit in PURCHASE_LIMITS:
        code, reason, _fields = await refused(send(limit.request(member.member_id, limit.maximum)))
        assert reason == limit.at_maximum, (limit.name, "at the maximum", code, reason)
        code, reason, fields = await refused(send(limit.request(member.member_id, limit.maximum + 1)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, limit.refusal.reason), (
            limit.name,
            reason,
        )
        assert fields == [limit.refusal.field], (limit.name, fields)


async def check_activity_limits(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    flow = await Flow(server, channel).setup()
    client_id, _secret, _member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    stub = activity_pb2_grpc.ActivityServiceStub(channel)

    async def outcome(one: activity_pb2.ActivityEntry) -> str:
        one.affiliate_id = client_id
        reply = await stub.PostActivities(activity_pb2.PostActivitiesRequest(creates=[one]), metadata=partner)
        (result,) = reply.results
        if result.outcome == activity_pb2.ACTIVITY_OUTCOME_FAILED:
            return activity_pb2.ActivityErrorReason.Name(result.failure.reason)
        return OK

    for limit in ACTIVITY_LIMITS:
        assert await outcome(limit.entry(limit.maximum)) == limit.at_maximum, limit.name
        assert await outcome(limit.entry(limit.maximum + 1)) == "ACTIVITY_ERROR_REASON_FIELD_TOO_LONG", (
            limit.name
        )

    # The batch: at most BATCH_ACTIVITIES_MAX activities. The maximum is planned whole (one create
    # and its repeats, which fail DUPLICATE_IN_BATCH without a write each); one more is refused.
    def batch_of(count: int) -> activity_pb2.PostActivitiesRequest:
        return activity_pb2.PostActivitiesRequest(
            creates=[entry(*[steps("dup")] * count, affiliate_id=client_id)]
        )

    reply = await stub.PostActivities(batch_of(batch.BATCH_ACTIVITIES_MAX), metadata=partner, timeout=60)
    assert (reply.applied_count, reply.failed_count) == (1, batch.BATCH_ACTIVITIES_MAX - 1)
    code, reason, fields = await refused(
        stub.PostActivities(batch_of(batch.BATCH_ACTIVITIES_MAX + 1), metadata=partner, timeout=60)
    )
    assert (code, reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "BATCH_TOO_LARGE", ["creates"])


async def check_message_size(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """grpc refuses a request over max_message_bytes before any handler runs (so no ErrorInfo)."""
    limit = server.app.settings.max_message_bytes
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    admin = bearer(await service_token(server, Role.ADMIN))
    just_under = ledger_pb2.GetMemberRequest(member_id="m" * (limit - 100))
    code, reason, _fields = await refused(stub.GetMember(just_under, metadata=admin, timeout=30))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_TOO_LONG")  # read, then refused
    over = ledger_pb2.GetMemberRequest(member_id="m" * limit)
    code, _reason, _fields = await refused(stub.GetMember(over, metadata=admin, timeout=30))
    assert code is grpc.StatusCode.RESOURCE_EXHAUSTED


async def check_page_sizes(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """PAGE_SIZE_MAX (1000) is the most a page holds; larger asks are lowered to it, as common.proto
    documents, so even the largest int32 is accepted. Below zero is refused."""
    admin = bearer(await service_token(server, Role.ADMIN, scopes=("health:read",)))
    member_id = (
        await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
            ledger_pb2.EnrollMemberRequest(request_id="pages-member"), metadata=admin
        )
    ).member.member_id
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    activity = activity_pb2_grpc.ActivityServiceStub(channel)
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    subscription = subscription_pb2_grpc.SubscriptionServiceStub(channel)
    lists = [
        (
            activity.ListActivities,
            lambda size: activity_pb2.ListActivitiesRequest(member_id=member_id, page_size=size),
        ),
        (
            activity.ListHealthReadings,
            lambda size: activity_pb2.ListHealthReadingsRequest(member_id=member_id, page_size=size),
        ),
        (auth.ListPartnerClients, lambda size: auth_pb2.ListPartnerClientsRequest(page_size=size)),
        (auth.ListSigningKeys, lambda size: auth_pb2.ListSigningKeysRequest(page_size=size)),
        (auth.ListServiceAccounts, lambda size: auth_pb2.ListServiceAccountsRequest(page_size=size)),
        (auth.ListGrants, lambda size: auth_pb2.ListGrantsRequest(page_size=size)),
        (auth.ListAuditLogEntries, lambda size: auth_pb2.ListAuditLogEntriesRequest(page_size=size)),
        (ledger.ListMembers, lambda size: ledger_pb2.ListMembersRequest(page_size=size)),
        (
            ledger.ListTransactions,
            lambda size: ledger_pb2.ListTransactionsRequest(member_id=member_id, page_size=size),
        ),
        (
            ledger.ListExpiringPoints,
            lambda size: ledger_pb2.ListExpiringPointsRequest(member_id=member_id, page_size=size),
        ),
        (ledger.ListRewards, lambda size: ledger_pb2.ListRewardsRequest(page_size=size)),
        (ledger.ListCoupons, lambda size: ledger_pb2.ListCouponsRequest(member_id=member_id, page_size=size)),
        (ledger.ListTiers, lambda size: ledger_pb2.ListTiersRequest(page_size=size)),
        (subscription.ListEvents, lambda size: subscription_pb2.ListEventsRequest(page_size=size)),
        (
            subscription.ListWebhookEndpoints,
            lambda size: subscription_pb2.ListWebhookEndpointsRequest(page_size=size),
        ),
    ]
    for method, request in lists:
        code, reason, fields = await refused(method(request(-1), metadata=admin, timeout=30))
        assert (code, reason, fields) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "PAGE_SIZE_INVALID",
            ["page_size"],
        ), (
            method,
            reason,
        )
        assert (await refused(method(request(2**31 - 1), metadata=admin, timeout=30)))[1] == OK, method


async def check_id_lengths(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """Every top-level `*_id` of a request: at most ID_LENGTH_MAX characters. At the maximum the
    lookup runs (and finds nothing); one more is FIELD_TOO_LONG, naming the field."""
    admin = bearer(await service_token(server, Role.ADMIN))
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    subscription = subscription_pb2_grpc.SubscriptionServiceStub(channel)
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    lookups = [
        (ledger.GetHold, ledger_pb2.GetHoldRequest, "hold_id", "HOLD_NOT_FOUND"),
        (ledger.GetTransaction, ledger_pb2.GetTransactionRequest, "transaction_id", "TRANSACTION_NOT_FOUND"),
        (ledger.GetReward, ledger_pb2.GetRewardRequest, "reward_id", "REWARD_NOT_FOUND"),
        (
            subscription.GetWebhookEndpoint,
            subscription_pb2.GetWebhookEndpointRequest,
            "endpoint_id",
            "WEBHOOK_ENDPOINT_NOT_FOUND",
        ),
        (auth.GetPartnerClient, auth_pb2.GetPartnerClientRequest, "client_id", "CLIENT_NOT_FOUND"),
    ]
    for method, request_type, field, not_found in lookups:
        at_maximum = request_type(**{field: "i" * request_text.ID_LENGTH_MAX})
        assert (await refused(method(at_maximum, metadata=admin, timeout=30)))[1] == not_found, field
        over = request_type(**{field: "i" * (request_text.ID_LENGTH_MAX + 1)})
        code, reason, fields = await refused(method(over, metadata=admin, timeout=30))
        assert (code, reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_TOO_LONG", [field])


async def check_list_filters(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """ListActivities and ListHealthReadings: at most 64 types (each is a bound parameter of the
    query; 40,000 of them were INTERNAL on PostgreSQL) and a client_id of at most 64 characters."""
    admin = bearer(await service_token(server, Role.ADMIN, scopes=("health:read",)))
    member_id = (
        await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
            ledger_pb2.EnrollMemberRequest(request_id="filters-member"), metadata=admin
        )
    ).member.member_id
    stub = activity_pb2_grpc.ActivityServiceStub(channel)
    limit = activities_rpc.ACTIVITY_TYPE_FILTER_MAX
    for method, request_type in (
        (stub.ListActivities, activity_pb2.ListActivitiesRequest),
        (stub.ListHealthReadings, activity_pb2.ListHealthReadingsRequest),
    ):
        at_maximum = request_type(member_id=member_id, types=[1] * limit)
        assert (await refused(method(at_maximum, metadata=admin, timeout=30)))[1] == OK
        over = request_type(member_id=member_id, types=[1] * (limit + 1))
        code, reason, fields = await refused(method(over, metadata=admin, timeout=30))
        assert (code, reason, fields) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "ACTIVITY_TYPES_TOO_MANY",
            ["types"],
        )
    length = activities_rpc.CLIENT_ID_LENGTH_MAX
    at_maximum = activity_pb2.ListActivitiesRequest(member_id=member_id, client_id="c" * length)
    assert (await refused(stub.ListActivities(at_maximum, metadata=admin, timeout=30)))[1] == OK
    over = activity_pb2.ListActivitiesRequest(member_id=member_id, client_id="c" * (length + 1))
    code, reason, fields = await refused(stub.ListActivities(over, metadata=admin, timeout=30))
    assert (code, reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "FIELD_TOO_LONG", ["client_id"])


def _with_long_strings(message: Message, depth: int = 0) -> Message:
    """Every singular string field 20,000 characters long, except ids: 129, just past the id rule
    (which would refuse them before anything else); message fields filled the same way, two levels
    down."""
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof is not None and message.WhichOneof(field.containing_oneof.name):
            continue
        if field.type == field.TYPE_STRING and not field.is_repeated:
            length = request_text.ID_LENGTH_MAX + 1 if field.name.endswith("_id") else 20_000
            setattr(message, field.name, "x" * length)
        elif (
            field.type == field.TYPE_MESSAGE
            and not field.is_repeated
            and depth < 2
            and field.message_type.full_name.startswith("loyalty.")
        ):
            _with_long_strings(getattr(message, field.name), depth + 1)
    return message


async def check_every_rpc_with_long_strings(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """Every RPC of the four services with every string far too long: an answer, or a refusal with
    an ErrorInfo.
    Refusals that echoed a long value (a state, an id) used to outgrow gRPC's 16 KiB trailers and
    reach the caller as a bare RESOURCE_EXHAUSTED."""
    admin = bearer(await service_token(server, Role.ADMIN, scopes=("health:read",)))
    for module in (activity_pb2, auth_pb2, ledger_pb2, subscription_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                request = _with_long_strings(getattr(module, method.input_type.name)())
                path = f"/{service.full_name}/{method.name}"
                serialize = type(request).SerializeToString
                if method.server_streaming:
                    stream = channel.unary_stream(path, request_serializer=serialize)(
                        request, metadata=admin, timeout=30
                    )
                    code, reason, _fields = await refused(stream.read())
                else:
                    call = channel.unary_unary(path, request_serializer=serialize)
                    code, reason, _fields = await refused(call(request, metadata=admin, timeout=30))
                assert code not in UNSPECIFIC, (path, code)
                assert reason, (path, code)  # OK for the few with no string to spoil (GetJwks)


UNSPECIFIC = (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)


async def check_times(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """Timestamps: a filter takes Timestamp's whole range; the time of an event (a purchase, an
    evaluation) 1970-01-01 to 9000-01-01, so zone and period arithmetic stays in range. Both ends
    of the calendar were INTERNAL before."""
    pos = bearer(await service_token(server, Role.POS))
    admin = bearer(await service_token(server, Role.ADMIN))
    member_id = (
        await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
            ledger_pb2.EnrollMemberRequest(request_id="times-member"), metadata=pos
        )
    ).member.member_id
    activity = activity_pb2_grpc.ActivityServiceStub(channel)
    earliest, latest = int(convert.MOMENT_EARLIEST.timestamp()), int(convert.MOMENT_LATEST.timestamp())

    def stamp(seconds: int) -> timestamp_pb2.Timestamp:
        return timestamp_pb2.Timestamp(seconds=seconds)

    def purchase_at(seconds: int) -> object:
        request = purchase(member_id, purchase_time=stamp(seconds))
        return activity.RecordPurchase(request, metadata=pos, timeout=30)

    def simulation_at(seconds: int) -> object:
        request = activity_pb2.SimulateActivitiesRequest(
            member_id=member_id, evaluation_time=stamp(seconds), creates=[entry(steps())]
        )
        return activity.SimulateActivities(request, metadata=admin, timeout=30)

    def events_from(seconds: int) -> object:
        request = subscription_pb2.ListEventsRequest(start_time=stamp(seconds))
        return subscription_pb2_grpc.SubscriptionServiceStub(channel).ListEvents(request, metadata=admin)

    invalid = (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_TIMESTAMP")
    for call, lowest, highest, field in (
        (purchase_at, earliest, latest - 1, "purchase_time"),
        (simulation_at, earliest, latest - 1, "evaluation_time"),
        (events_from, convert.TIMESTAMP_SECONDS_MIN, convert.TIMESTAMP_SECONDS_MAX, "start_time"),
    ):
        for seconds in (lowest, highest):
            code, reason, _fields = await refused(call(seconds))
            assert code not in UNSPECIFIC, (field, seconds, code)
            assert reason != "INVALID_TIMESTAMP", (field, seconds)
        for seconds in (lowest - 1, highest + 1, convert.TIMESTAMP_SECONDS_MIN - 1):
            code, reason, fields = await refused(call(seconds))
            assert (code, reason, fields) == (*invalid, [field]), (field, seconds)


async def check_nul_characters(server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
    """No string of any service's request may hold U+0000 (PostgreSQL cannot store it): refused up
    front with the field's path, the same on both databases. It was INTERNAL on PostgreSQL."""
    admin = bearer(await service_token(server, Role.ADMIN))
    pos = bearer(await service_token(server, Role.POS))
    calls = [
        (
            auth_pb2_grpc.AuthServiceStub(channel).ExchangeToken,
            auth_pb2.ExchangeTokenRequest(
                grant_type=auth_pb2.GRANT_TYPE_REFRESH_TOKEN, client_id="pc_\x00", refresh_token="r"
            ),
            admin,
            "client_id",
        ),
        (
            ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember,
            ledger_pb2.EnrollMemberRequest(
                request_id="nul", member=common_pb2.Member(attributes={"k": "v\x00"})
            ),
            admin,
            "member.attributes['k']",
        ),
        (
            activity_pb2_grpc.ActivityServiceStub(channel).RecordPurchase,
            purchase("m_x", order_id="o\x00"),
            pos,
            "order_id",
        ),
        (
            subscription_pb2_grpc.SubscriptionServiceStub(channel).ListEvents,
            subscription_pb2.ListEventsRequest(member_id="\x00"),
            admin,
            "member_id",
        ),
    ]
    for method, request, metadata, field in calls:
        code, reason, fields = await refused(method(request, metadata=metadata, timeout=30))
        assert (code, reason, fields) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_CHARACTER", [field]), (
            method
        )


async def test_documented_limits_at_their_boundaries(server, channel) -> None:
    """One server for every limit: each check below is independent of the others."""
    await check_purchase_limits(server, channel)
    await check_activity_limits(server, channel)
    await check_message_size(server, channel)
    await check_page_sizes(server, channel)
    await check_nul_characters(server, channel)
    await check_id_lengths(server, channel)
    await check_list_filters(server, channel)
    await check_every_rpc_with_long_strings(server, channel)
    await check_times(server, channel)


def test_page_sizes_are_lowered_to_the_maximum() -> None:
    assert requests.page_size(0) == requests.PAGE_SIZE_DEFAULT
    assert requests.page_size(requests.PAGE_SIZE_MAX) == requests.PAGE_SIZE_MAX
    assert requests.page_size(requests.PAGE_SIZE_MAX + 1) == requests.PAGE_SIZE_MAX
