"""PostActivities under arbitrary input (hypothesis): creates, updates and deletes with any types,
values, timestamps, ids and entry fields, posted with the member's partner token or by an internal
service naming the member. Every
batch either succeeds (each activity applied, replayed or failed with a reason) or is refused with a
specific status and reason; the server keeps serving and the ledger's books stay balanced."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from hypothesis import example, given
from hypothesis import strategies as st

from loyalty.v1 import activity_pb2, activity_pb2_grpc
from loyalty_server.clock import FakeClock
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
from tests.integration.test_auth_flow import Flow
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # noon in America/Chicago, the demo's zone
EXAMPLES = 40
Outcome = activity_pb2.ActivityOutcome
PARTNER, INTERNAL = "partner", "internal"  # who calls: the member's partner token, or a service for member_id
CLIENT_ID, MEMBER_ID = "<client id>", "<member id>"  # placeholders, replaced by the connected ones
# A small pool of ids, so updates and deletes find earlier creates.
activity_ids = st.integers(1, 40).map(lambda n: f"a{n}")

# --- strategies -----------------------------------------------------------------------------------

local_times = st.builds(
    lambda days, seconds: (dt.datetime(2026, 11, 22) + dt.timedelta(days=days, seconds=seconds)).strftime(
        "%Y-%m-%d %H:%M:%S"
    ),
    st.integers(-9, 2),
    st.integers(0, 86_399),
)
instants = st.builds(
    lambda seconds, nanos: timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos),
    mostly(
        st.integers(int(NOW.timestamp()) - 9 * 86_400, int(NOW.timestamp()) + 2 * 86_400),
        st.integers(INT64_MIN // 2, INT64_MAX // 2),
    ),
    mostly(st.just(0), st.integers(INT32_MIN, INT32_MAX)),
)
whole = mostly(st.integers(0, 100_000), st.integers(INT64_MIN, INT64_MAX))
int32s = mostly(st.integers(0, 300), st.integers(INT32_MIN, INT32_MAX))
decimals = mostly(st.floats(0, 1500), st.floats(allow_nan=True, allow_infinity=True))
labels = mostly(st.sampled_from(["Yoga", "Good", "Lunch", ""]), wild_text(80))


def _value(which: str, fields: dict[str, Any]) -> activity_pb2.ActivityValue:
    value = activity_pb2.ActivityValue()
    getattr(value, which).SetInParent()
    for name, field_value in fields.items():
        setattr(getattr(value, which), name, field_value)
    return value


valid_values = st.one_of(
    st.builds(lambda n: _value("total_steps", {"steps": n}), st.integers(0, 100_000)),
    st.builds(lambda n: _value("running", {"distance_miles": n}), st.floats(0, 20)),
    st.builds(lambda n: _value("weight", {"weight_pounds": n}), st.floats(50, 400)),
    st.builds(
        lambda s, d: _value("blood_pressure", {"systolic_mmhg": s, "diastolic_mmhg": d}),
        st.integers(90, 200),
        st.integers(50, 120),
    ),
)
wild_values = st.one_of(
    st.builds(lambda n: _value("total_steps", {"steps": n}), whole),
    st.builds(
        lambda which, fields: _value(which, fields),
        st.sampled_from(["walking", "running"]),
        st.fixed_dictionaries(
            {}, optional={"duration_seconds": whole, "distance_miles": decimals, "steps": whole}
        ),
    ),
    st.builds(
        lambda fields: _value("biking", fields),
        st.fixed_dictionaries({}, optional={"duration_seconds": whole, "distance_miles": decimals}),
    ),
    st.builds(
        lambda s, name: _value("general_exercise", {"duration_seconds": s, "exercise_name": name}),
        whole,
        labels,
    ),
    st.builds(lambda w: _value("weight", {"weight_pounds": w}), decimals),
    st.builds(
        lambda s, d: _value("blood_pressure", {"systolic_mmhg": s, "diastolic_mmhg": d}), int32s, int32s
    ),
    st.builds(lambda p: _value("blood_oxygen_ratio", {"saturation_percent": p}), decimals),
    st.builds(
        lambda g, medicine, meal_relation, meal: _value(
            "blood_glucose",
            {
                "glucose_mg_per_dl": g,
                "medicine_relation": medicine,
                "meal_relation": meal_relation,
                "meal": meal,
            },
        ),
        decimals,
        st.integers(-1, 5),
        st.integers(-1, 5),
        labels,
    ),
    st.builds(lambda s, q: _value("sleep", {"duration_seconds": s, "quality": q}), whole, labels),
    st.builds(
        lambda kind, raw: _value("unparsed", {"type": kind, "value_json": raw}),
        mostly(st.sampled_from(["total_steps", "rowing"]), wild_text(80)),
        wild_text(),
    ),
    st.just(activity_pb2.ActivityValue()),  # no value at all
)


@st.composite
def activity_data(draw: st.DrawFn) -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(
        id=draw(mostly(activity_ids, wild_text(200))),
        device_tracked=draw(st.booleans()),
        type=draw(mostly(st.just(0), st.integers(-3, 15))),  # unknown enum numbers included
        value=draw(mostly(valid_values, wild_values, wild_one_in=3)),
    )
    when = draw(st.sampled_from(["local", "local", "local", "local", "instant", "wild", "none"]))
    if when == "local":
        data.local_timestamp = draw(local_times)
    elif when == "instant":
        data.occur_time.CopyFrom(draw(instants))
    elif when == "wild":
        data.local_timestamp = draw(wild_text(40))
    return data


@st.composite
def activity_entry(draw: st.DrawFn) -> activity_pb2.ActivityEntry:
    def field(valid: str, wild_size: int) -> str:
        return draw(mostly(st.just(valid), wild_text(wild_size), wild_one_in=20))

    return activity_pb2.ActivityEntry(
        access_token=field("", 100),
        affiliate_id=field(CLIENT_ID, 80),
        transaction_id=field("1234567890123456", 80),
        date=field("2026-11-22", 40),
        user_device_id=field("device-1", 200),
        manufacturer_name=field("Acme", 30),
        device_name=field("Acme Band", 30),
        data=draw(st.lists(activity_data(), min_size=1, max_size=4)),
        member_id=field(MEMBER_ID, 80),
    )


batches = st.builds(
    lambda request_id, creates, updates, deletes: activity_pb2.PostActivitiesRequest(
        request_id=request_id, creates=creates, updates=updates, deletes=deletes
    ),
    mostly(st.just(""), st.one_of(st.uuids().map(str), wild_text(200)), wild_one_in=4),
    st.lists(activity_entry(), min_size=1, max_size=3),
    st.lists(activity_entry(), max_size=1),
    st.lists(activity_entry(), max_size=1),
)


def _steps(activity_id: str, steps: int) -> activity_pb2.ActivityData:
    return activity_pb2.ActivityData(
        id=activity_id, local_timestamp="2026-11-22 08:00:00", value=_value("total_steps", {"steps": steps})
    )


# Regressions (NUL in a stored string was INTERNAL on PostgreSQL) and edges, run on every run.
NUL_ID = activity_pb2.PostActivitiesRequest(
    creates=[activity_pb2.ActivityEntry(affiliate_id=CLIENT_ID, data=[_steps("a\x00b", 2000)])]
)
FAR_INSTANT = activity_pb2.PostActivitiesRequest(
    creates=[
        activity_pb2.ActivityEntry(
            affiliate_id=CLIENT_ID,
            data=[
                activity_pb2.ActivityData(
                    id="far",
                    occur_time=timestamp_pb2.Timestamp(seconds=-(2**40)),
                    value=_value("total_steps", {"steps": 1}),
                )
            ],
        )
    ]
)
NUL_DEVICE = activity_pb2.PostActivitiesRequest(
    creates=[
        activity_pb2.ActivityEntry(affiliate_id=CLIENT_ID, user_device_id="\x00", data=[_steps("d1", 10)])
    ]
)

# --- the property ---------------------------------------------------------------------------------


@dataclass
class Connected:
    """A server with a partner connected to a member, and what the examples call it with."""

    server: LoyaltyServer
    channel: grpc.aio.Channel
    flow: Flow
    client_id: str
    member_id: str
    access_token: str
    seen: Counter[str] = field(default_factory=Counter)  # what the examples did, to check the mix

    @property
    def stub(self) -> activity_pb2_grpc.ActivityServiceStub:
        return activity_pb2_grpc.ActivityServiceStub(self.channel)

    def resolved(self, request: activity_pb2.PostActivitiesRequest) -> activity_pb2.PostActivitiesRequest:
        """A copy with the placeholders replaced by the connected partner and member."""
        copy = activity_pb2.PostActivitiesRequest.FromString(request.SerializeToString())
        for array in (copy.creates, copy.updates, copy.deletes):
            for entry in array:
                if entry.affiliate_id == CLIENT_ID:
                    entry.affiliate_id = self.client_id
                if entry.member_id == MEMBER_ID:
                    entry.member_id = self.member_id
        return copy

    async def post(self, caller: str, request: activity_pb2.PostActivitiesRequest) -> None:
        request = self.resolved(request)
        metadata = bearer(self.access_token) if caller == PARTNER else self.flow.gateway
        try:
            reply = await self.stub.PostActivities(request, metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as error:
            self.seen[f"refused {assert_refused_on_purpose(error, request)}"] += 1
            return
        arrays = (request.creates, request.updates, request.deletes)
        count = sum(len(entry.data) for array in arrays for entry in array)
        assert len(reply.results) == count
        assert reply.applied_count + reply.failed_count == count
        for result in reply.results:
            assert result.outcome != Outcome.ACTIVITY_OUTCOME_UNSPECIFIED, result
            self.seen[Outcome.Name(result.outcome)] += 1
            if result.outcome == Outcome.ACTIVITY_OUTCOME_FAILED:
                assert result.failure.reason != activity_pb2.ACTIVITY_ERROR_REASON_UNSPECIFIED, result
                self.seen[activity_pb2.ActivityErrorReason.Name(result.failure.reason)] += 1


@asynccontextmanager
async def connected_server(tmp_path: Path, database_url: str) -> AsyncIterator[Connected]:
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=FakeClock(NOW))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            flow = await Flow(server, channel).setup()
            client_id, _secret, member_id, tokens = await flow.connected()
            yield Connected(server, channel, flow, client_id, member_id, tokens.access_token)
    finally:
        await server.stop(grace_s=0)


async def _still_serving_and_balanced(connected: Connected) -> int:
    """A plain valid batch is applied after everything else; the books balance. Returns the applied
    count of that batch."""
    entry = activity_pb2.ActivityEntry(affiliate_id=connected.client_id, data=[_steps("after-all", 2000)])
    reply = await connected.stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry]),
        metadata=bearer(connected.access_token),
        timeout=30,
    )
    await check_invariants(connected.server.app.engine)
    return reply.applied_count


def test_any_batch_succeeds_or_is_refused_with_a_reason(tmp_path, database_url) -> None:
    with LoopThread() as loop:
        context = connected_server(tmp_path, database_url)
        connected = loop.run(context.__aenter__())
        try:

            @bounded(EXAMPLES)
            @given(caller=mostly(st.just(PARTNER), st.just(INTERNAL), wild_one_in=4), request=batches)
            @example(caller=PARTNER, request=NUL_ID)
            @example(caller=INTERNAL, request=NUL_ID)
            @example(caller=PARTNER, request=FAR_INSTANT)
            @example(caller=PARTNER, request=NUL_DEVICE)
            def batch_is_handled(caller: str, request: activity_pb2.PostActivitiesRequest) -> None:
                loop.run(connected.post(caller, request))

            batch_is_handled()
            print(sorted(connected.seen.items()))  # shown with -s: how the examples fell out
            # Not only refusals: the strategies are built from valid batches, so writes happened.
            assert connected.seen["ACTIVITY_OUTCOME_APPLIED"] > 0, connected.seen
            assert connected.seen["ACTIVITY_OUTCOME_FAILED"] > 0, connected.seen
            assert loop.run(_still_serving_and_balanced(connected)) == 1
        finally:
            loop.run(context.__aexit__(None, None, None))
