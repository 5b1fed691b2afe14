"""RecordPurchase and RecordReturn under arbitrary input (hypothesis): items, amounts, quantities,
ids, times, currencies, channels, member references and coupon codes, mostly valid with wild values
mixed in; returns name orders of the same small pool, so many of them find a real order. Every call
either succeeds or is refused with a specific status and reason; the server keeps serving and the
ledger's books stay balanced."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from hypothesis import example, given
from hypothesis import strategies as st

from loyalty.v1 import activity_pb2, activity_pb2_grpc, common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.clock import FakeClock
from loyalty_server.ledger.rpc.convert import MOMENT_LATEST, TIMESTAMP_SECONDS_MAX, TIMESTAMP_SECONDS_MIN
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from tests.bad_input import (
    INT32_MAX,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    LoopThread,
    assert_refused_on_purpose,
    bounded,
    mostly,
    wild_text,
)
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)
EXAMPLES = 60
MEMBER_ID, LOYALTY_ID = "<member id>", "<loyalty id>"  # placeholders, replaced by the enrolled member's
FRESH = "<fresh request id>"  # replaced by a new uuid: hypothesis repeats drawn ids, which would reuse keys

# Timestamp's own ends and the engine's range for the time of an event, each +-1 s and +-1 day.
CALENDAR_EDGES = sorted(
    {
        edge + delta
        for edge in (TIMESTAMP_SECONDS_MIN, TIMESTAMP_SECONDS_MAX, 0, int(MOMENT_LATEST.timestamp()))
        for delta in (-86_400, -1, 0, 1, 86_400)
    }
)

# --- strategies -----------------------------------------------------------------------------------

order_ids = st.integers(1, 8).map(lambda n: f"o-{n}")  # a small pool: returns find real orders
request_ids = mostly(st.just(FRESH), st.uuids().map(str), wild_one_in=4)
instants = st.builds(
    lambda seconds, nanos: timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos),
    mostly(
        st.integers(int(NOW.timestamp()) - 30 * 86_400, int(NOW.timestamp()) + 2 * 86_400),
        st.one_of(st.integers(INT64_MIN, INT64_MAX), st.sampled_from(CALENDAR_EDGES)),
    ),
    mostly(st.just(0), st.integers(INT32_MIN, INT32_MAX)),
)
member_refs = mostly(
    st.sampled_from([common_pb2.MemberRef(member_id=MEMBER_ID), common_pb2.MemberRef(loyalty_id=LOYALTY_ID)]),
    st.one_of(
        st.just(common_pb2.MemberRef()),
        wild_text(100).map(lambda text: common_pb2.MemberRef(member_id=text)),
        wild_text(100).map(lambda text: common_pb2.MemberRef(loyalty_id=text)),
    ),
)
quantities = mostly(st.integers(1, 5), st.integers(INT64_MIN, INT64_MAX))
amounts = mostly(st.integers(0, 100_000), st.integers(INT64_MIN, INT64_MAX))


def text(valid: st.SearchStrategy[str], wild_size: int) -> st.SearchStrategy[str]:
    return mostly(valid, wild_text(wild_size), wild_one_in=12)


purchase_items = st.builds(
    activity_pb2.PurchaseItem,
    line_id=text(mostly(st.just(""), st.sampled_from(["1", "2", "L-1"]), wild_one_in=6), 80),
    sku=text(st.sampled_from(["BALL", "BOOK", "SHOE"]), 80),
    category=text(st.sampled_from(["sports", "books", ""]), 80),
    quantity=quantities,
    amount_minor=amounts,
    name=text(st.just("A thing"), 250),
)
return_items = st.builds(
    activity_pb2.ReturnItem,
    line_id=text(st.sampled_from(["", "1", "2", "L-1"]), 80),
    sku=text(st.sampled_from(["", "BALL", "BOOK"]), 80),
    quantity=quantities,
    amount_minor=mostly(st.integers(0, 3000), st.integers(INT64_MIN, INT64_MAX)),
)


@st.composite
def purchases(draw: st.DrawFn) -> activity_pb2.RecordPurchaseRequest:
    request = activity_pb2.RecordPurchaseRequest(
        request_id=draw(text(request_ids, 200)),
        order_id=draw(text(order_ids, 200)),
        member=draw(member_refs),
        store_id=draw(text(st.just("store-7"), 100)),
        channel=draw(mostly(st.integers(0, 4), st.integers(INT32_MIN, INT32_MAX))),
        currency_code=draw(text(st.just("USD"), 10)),
        items=draw(
            mostly(st.lists(purchase_items, min_size=1, max_size=4), st.lists(purchase_items, max_size=8))
        ),
        coupon_codes=draw(mostly(st.just([]), st.lists(wild_text(60), max_size=3))),
    )
    if draw(st.integers(1, 10)) < 10:
        request.purchase_time.CopyFrom(draw(instants))
    return request


@st.composite
def returns(draw: st.DrawFn) -> activity_pb2.RecordReturnRequest:
    request = activity_pb2.RecordReturnRequest(
        request_id=draw(text(request_ids, 200)),
        return_id=draw(text(st.integers(1, 40).map(lambda n: f"r-{n}"), 200)),
        order_id=draw(text(order_ids, 200)),
        items=draw(st.lists(return_items, max_size=3)),
        store_id=draw(text(st.just("store-7"), 100)),
        reason=draw(text(st.just("too small"), 600)),
    )
    if draw(st.booleans()):
        request.return_time.CopyFrom(draw(instants))
    return request


calls = st.one_of(purchases(), purchases(), returns())

# Regressions, run on every run: times past Timestamp's range or at the calendar's ends were INTERNAL
# (datetime overflow), a NUL in a stored string INTERNAL on PostgreSQL; long coupon codes and return
# skus had no limit.
BALL = activity_pb2.PurchaseItem(sku="BALL", category="sports", quantity=1, amount_minor=2599)
FAR_PURCHASE_TIME = activity_pb2.RecordPurchaseRequest(
    request_id="far-time",
    order_id="o-far",
    member=common_pb2.MemberRef(member_id=MEMBER_ID),
    currency_code="USD",
    items=[BALL],
    purchase_time=timestamp_pb2.Timestamp(seconds=INT64_MAX),
)
FAR_RETURN_TIME = activity_pb2.RecordReturnRequest(
    request_id="far-return",
    return_id="r-far",
    order_id="o-1",
    return_time=timestamp_pb2.Timestamp(seconds=-(2**62)),
)
YEAR_ONE_PURCHASE = activity_pb2.RecordPurchaseRequest(
    request_id="year-one",
    order_id="o-year-one",
    member=common_pb2.MemberRef(member_id=MEMBER_ID),
    currency_code="USD",
    items=[BALL],
    purchase_time=timestamp_pb2.Timestamp(seconds=TIMESTAMP_SECONDS_MIN),
)
NUL_ORDER = activity_pb2.RecordPurchaseRequest(
    request_id="nul-order",
    order_id="o\x001",
    member=common_pb2.MemberRef(member_id=MEMBER_ID),
    currency_code="USD",
    items=[BALL],
    purchase_time=timestamp_pb2.Timestamp(seconds=int(NOW.timestamp())),
)
NUL_COUPON = activity_pb2.RecordPurchaseRequest(
    request_id="nul-coupon",
    order_id="o-coupon",
    member=common_pb2.MemberRef(loyalty_id=LOYALTY_ID),
    currency_code="USD",
    items=[BALL],
    purchase_time=timestamp_pb2.Timestamp(seconds=int(NOW.timestamp())),
    coupon_codes=["\x00"],
)
LONG_COUPON = activity_pb2.RecordPurchaseRequest(
    request_id="long-coupon",
    order_id="o-long-coupon",
    member=common_pb2.MemberRef(member_id=MEMBER_ID),
    currency_code="USD",
    items=[BALL],
    purchase_time=timestamp_pb2.Timestamp(seconds=int(NOW.timestamp())),
    coupon_codes=["C" * 100_000],
)
LONG_RETURN_SKU = activity_pb2.RecordReturnRequest(
    request_id="long-sku",
    return_id="r-long-sku",
    order_id="o-1",
    items=[activity_pb2.ReturnItem(sku="S" * 100_000, quantity=1, amount_minor=1)],
)

# --- the property ---------------------------------------------------------------------------------


@dataclass
class Till:
    """A server with a POS credential and an enrolled member; what the examples did."""

    server: LoyaltyServer
    channel: grpc.aio.Channel
    pos: tuple[tuple[str, str], ...]
    member: common_pb2.Member
    seen: Counter[str] = field(default_factory=Counter)

    def resolved(self, request: Message) -> Message:
        copy = type(request).FromString(request.SerializeToString())
        if copy.request_id == FRESH:  # type: ignore[attr-defined]
            copy.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
        if isinstance(copy, activity_pb2.RecordPurchaseRequest):
            if copy.member.member_id == MEMBER_ID:
                copy.member.member_id = self.member.member_id
            if copy.member.loyalty_id == LOYALTY_ID:
                copy.member.loyalty_id = self.member.loyalty_id
        return copy

    async def call(self, request: Message) -> None:
        request = self.resolved(request)
        stub = activity_pb2_grpc.ActivityServiceStub(self.channel)
        purchase = isinstance(request, activity_pb2.RecordPurchaseRequest)
        method = stub.RecordPurchase if purchase else stub.RecordReturn
        name = "purchase" if purchase else "return"
        try:
            reply = await method(request, metadata=self.pos, timeout=30)
        except grpc.aio.AioRpcError as error:
            self.seen[f"{name} refused {assert_refused_on_purpose(error, request)}"] += 1
            return
        self.seen[f"{name} recorded"] += 1
        if purchase:
            assert reply.purchase.order_id == request.order_id
            assert reply.purchase.points_earned >= 0
        else:
            assert reply.purchase_return.return_id == request.return_id
            assert reply.purchase_return.points_reversed >= 0


@asynccontextmanager
async def till(tmp_path: Path, database_url: str) -> AsyncIterator[Till]:
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=FakeClock(NOW))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            pos = bearer(await service_token(server, Role.POS))
            enrolled = await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
                ledger_pb2.EnrollMemberRequest(request_id="enroll-1"), metadata=pos, timeout=30
            )
            yield Till(server, channel, pos, enrolled.member)
    finally:
        await server.stop(grace_s=0)


async def _still_serving_and_balanced(shop: Till) -> None:
    stub = activity_pb2_grpc.ActivityServiceStub(shop.channel)
    reply = await stub.RecordPurchase(
        activity_pb2.RecordPurchaseRequest(
            request_id="after-all",
            order_id="o-after-all",
            member=common_pb2.MemberRef(member_id=shop.member.member_id),
            currency_code="USD",
            items=[BALL],
            purchase_time=timestamp_pb2.Timestamp(seconds=int(NOW.timestamp())),
        ),
        metadata=shop.pos,
        timeout=30,
    )
    assert reply.purchase.points_earned > 0
    await check_invariants(shop.server.app.engine)


def test_any_purchase_or_return_succeeds_or_is_refused_with_a_reason(tmp_path, database_url) -> None:
    with LoopThread() as loop:
        context = till(tmp_path, database_url)
        shop = loop.run(context.__aenter__())
        try:

            @bounded(EXAMPLES)
            @given(request=calls)
            @example(request=FAR_PURCHASE_TIME)
            @example(request=FAR_RETURN_TIME)
            @example(request=YEAR_ONE_PURCHASE)
            @example(request=NUL_ORDER)
            @example(request=NUL_COUPON)
            @example(request=LONG_COUPON)
            @example(request=LONG_RETURN_SKU)
            def call_is_handled(request: Message) -> None:
                loop.run(shop.call(request))

            call_is_handled()
            print(sorted(shop.seen.items()))  # shown with -s: how the examples fell out
            # Not only refusals: the strategies are built from valid requests, so writes happened.
            assert shop.seen["purchase recorded"] > 0, shop.seen
            assert shop.seen["return recorded"] > 0, shop.seen
            loop.run(_still_serving_and_balanced(shop))
        finally:
            loop.run(context.__aexit__(None, None, None))
