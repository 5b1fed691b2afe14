"""ActivityService over gRPC, SQLite and PostgreSQL: the partner API's batch with a partner's member
token, the device-connection bonus, points totals, history, raw readings (scope, retention, erasure),
simulations, and that no health value reaches an event or a log line."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import grpc
import pytest
from sqlalchemy import select

from loyalty.v1 import activity_pb2, activity_pb2_grpc, ledger_pb2, ledger_pb2_grpc, subscription_pb2
from loyalty_server.activity.history import purge_readings
from loyalty_server.activity.tables import health_readings
from loyalty_server.clock import FakeClock
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.schema import events
from tests.integration.test_auth_flow import Flow, fails
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)  # 12:00 in Chicago, the demo's default zone
Op = activity_pb2.ActivityOperation
Outcome = activity_pb2.ActivityOutcome
Reason = activity_pb2.ActivityErrorReason
# Distinctive health values: none of them may show up outside ListHealthReadings. More decimals
# than any logged figure has (durations: 3), and a dot, so no id or latency can contain them by chance.
WEIGHT, SYSTOLIC, DIASTOLIC, GLUCOSE, OXYGEN = 187.3141, 131, 87, 93.7141, 97.2141
BAD_WEIGHT = 1987.3141


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    server = LoyaltyServer(make_settings(tmp_path, database_url), clock=clock)
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


@pytest.fixture
async def flow(server, channel) -> Flow:
    return await Flow(server, channel).setup()


@pytest.fixture
def stub(channel) -> activity_pb2_grpc.ActivityServiceStub:
    return activity_pb2_grpc.ActivityServiceStub(channel)


def steps(activity_id: str, count: int, local: str = "2026-11-22 08:00:00") -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=activity_id, local_timestamp=local, device_tracked=True)
    data.value.total_steps.steps = count
    return data


def health_batch() -> list[activity_pb2.ActivityData]:
    weight = activity_pb2.ActivityData(id="w1", local_timestamp="2026-11-22 07:00:00")
    weight.value.weight.weight_pounds = WEIGHT
    pressure = activity_pb2.ActivityData(id="bp1", local_timestamp="2026-11-22 07:01:00")
    pressure.value.blood_pressure.systolic_mmhg = SYSTOLIC
    pressure.value.blood_pressure.diastolic_mmhg = DIASTOLIC
    glucose = activity_pb2.ActivityData(id="bg1", local_timestamp="2026-11-22 07:02:00")
    glucose.value.blood_glucose.glucose_mg_per_dl = GLUCOSE
    oxygen = activity_pb2.ActivityData(id="ox1", local_timestamp="2026-11-22 07:03:00")
    oxygen.value.blood_oxygen_ratio.saturation_percent = OXYGEN
    return [weight, pressure, glucose, oxygen]


def entry(client_id: str, *data: activity_pb2.ActivityData, **fields: str) -> activity_pb2.ActivityEntry:
    values = {"affiliate_id": client_id, "transaction_id": "1234567890123456", "date": "2026-11-22"}
    values.update(fields)
    return activity_pb2.ActivityEntry(data=list(data), **values)


async def balance(channel, admin, member_id: str) -> int:
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    reply = await ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member_id), metadata=admin)
    return reply.balance.total_available_points


async def test_connecting_a_partner_earns_the_bonus_twice_a_month(flow, channel) -> None:
    registered = await flow.register((await flow.partner())[0], email="bonus@example.com")
    member_id = registered.member.member_id
    for expected in (250, 500, 500):  # the third connection in November earns nothing
        client_id, secret = await flow.partner()
        issued = await flow.code(client_id, registered.member_session_token)
        await flow.exchange(client_id, secret, issued.code)
        assert await balance(channel, flow.admin, member_id) == expected


async def test_a_mixed_batch_applies_every_valid_activity_and_lists_the_failures(flow, stub, server) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    unknown = activity_pb2.ActivityData(id="u1", local_timestamp="2026-11-22 08:00:00")
    unknown.value.unparsed.type = "rowing"
    unknown.value.unparsed.value_json = "{}"
    old = steps("old", 4000, local="2026-11-14 08:00:00")  # more than 7 days back
    request = activity_pb2.PostActivitiesRequest(
        creates=[
            entry(client_id, steps("s1", 5000), steps("s2", 100001), steps("s1", 5000), unknown, old),
            entry(client_id, steps("s3", 2000), device_name="A" * 21),
        ]
    )
    reply = await stub.PostActivities(request, metadata=partner)
    assert [r.outcome for r in reply.results] == [
        Outcome.ACTIVITY_OUTCOME_APPLIED, *[Outcome.ACTIVITY_OUTCOME_FAILED] * 5,
    ]  # fmt: skip
    assert [(f.id, f.reason) for f in reply.failed_activities] == [
        ("s2", Reason.ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE),
        ("s1", Reason.ACTIVITY_ERROR_REASON_DUPLICATE_IN_BATCH),
        ("u1", Reason.ACTIVITY_ERROR_REASON_UNKNOWN_TYPE),
        ("old", Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD),
        ("s3", Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG),
    ]
    assert (reply.applied_count, reply.failed_count, reply.points_delta) == (1, 5, 50)
    assert reply.transaction_id == "1234567890123456"
    assert reply.results[0].member_id == member_id
    assert reply.results[0].ledger_transaction_ids

    # The partner API's points totals: the 250 connection bonus plus 50 for steps; 50 healthy.
    totals = await stub.GetPointsTotals(
        activity_pb2.GetPointsTotalsRequest(affiliate_id=client_id, transaction_id="t-1"), metadata=partner
    )
    assert (totals.total_rewards_points, totals.healthy_choice_points, totals.transaction_id) == (
        300,
        50,
        "t-1",
    )
    await check_invariants(server.app.engine)


async def test_updates_deletes_and_a_replayed_batch(flow, stub, channel) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    first = activity_pb2.PostActivitiesRequest(
        request_id="batch-1", creates=[entry(client_id, steps("s1", 6000))]
    )
    reply = await stub.PostActivities(first, metadata=partner)
    assert reply.points_delta == 60
    assert await stub.PostActivities(first, metadata=partner) == reply  # verbatim
    changed = activity_pb2.PostActivitiesRequest(
        request_id="batch-1", creates=[entry(client_id, steps("s1", 7000))]
    )
    await fails(
        stub.PostActivities(changed, metadata=partner),
        grpc.StatusCode.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
    )
    # Without a request id the activity itself is idempotent: REPLAYED, nothing earned.
    again = await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry(client_id, steps("s1", 6000))]), metadata=partner
    )
    assert (again.results[0].outcome, again.points_delta) == (Outcome.ACTIVITY_OUTCOME_REPLAYED, 0)

    mixed = activity_pb2.PostActivitiesRequest(
        updates=[entry(client_id, steps("s1", 3000))], deletes=[entry(client_id, steps("s1", 0))]
    )
    reply = await stub.PostActivities(mixed, metadata=partner)
    assert [r.points_delta for r in reply.results] == [-30, -30]
    assert await balance(channel, flow.admin, member_id) == 250  # the connection bonus alone
    listed = await stub.ListActivities(
        activity_pb2.ListActivitiesRequest(member_id=member_id, include_deleted=True), metadata=partner
    )
    assert [(a.id, a.state, a.points) for a in listed.activities] == [
        ("s1", activity_pb2.ACTIVITY_STATE_DELETED, 0)
    ]


async def test_who_may_post_for_whom(flow, stub, server) -> None:
    client_a, _secret, member_a, tokens_a = await flow.connected()
    client_b, _secret_b, member_b, tokens_b = await flow.connected()
    partner_a = bearer(tokens_a.access_token)
    # Another client's member token inside an entry.
    foreign = activity_pb2.PostActivitiesRequest(
        creates=[entry(client_a, steps("x", 10), access_token=tokens_b.access_token)]
    )
    await fails(
        stub.PostActivities(foreign, metadata=partner_a), grpc.StatusCode.PERMISSION_DENIED, "CLIENT_MISMATCH"
    )
    wrong_affiliate = activity_pb2.PostActivitiesRequest(creates=[entry(client_b, steps("x", 10))])
    await fails(
        stub.PostActivities(wrong_affiliate, metadata=partner_a),
        grpc.StatusCode.PERMISSION_DENIED,
        "CLIENT_MISMATCH",
    )
    bad_token = activity_pb2.PostActivitiesRequest(
        creates=[entry(client_a, steps("x", 10), access_token="nope")]
    )
    await fails(
        stub.PostActivities(bad_token, metadata=partner_a), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN"
    )
    other_member = activity_pb2.PostActivitiesRequest(
        creates=[entry(client_a, steps("x", 10), member_id=member_b)]
    )
    await fails(
        stub.PostActivities(other_member, metadata=partner_a),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    await fails(
        stub.PostActivities(activity_pb2.PostActivitiesRequest(), metadata=partner_a),
        grpc.StatusCode.INVALID_ARGUMENT,
        "BATCH_EMPTY",
    )
    huge = activity_pb2.PostActivitiesRequest(
        creates=[entry(client_a, *[steps(f"h{i}", 1) for i in range(1001)])]
    )
    await fails(
        stub.PostActivities(huge, metadata=partner_a), grpc.StatusCode.INVALID_ARGUMENT, "BATCH_TOO_LARGE"
    )
    # A POS may not post activities at all; an internal service posts for any member of its tenant.
    pos = bearer(await service_token(server, Role.POS))
    await fails(
        stub.PostActivities(
            activity_pb2.PostActivitiesRequest(creates=[entry("", steps("x", 10), member_id=member_a)]),
            metadata=pos,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    internal = bearer(await service_token(server, Role.INTERNAL))
    reply = await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(
            creates=[activity_pb2.ActivityEntry(member_id=member_b, data=[steps("i1", 2000)])]
        ),
        metadata=internal,
    )
    assert reply.points_delta == 20
    await fails(
        stub.ListActivities(activity_pb2.ListActivitiesRequest(member_id=member_b), metadata=partner_a),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )


async def test_simulation_explains_and_writes_nothing(flow, stub, server, channel) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    exercise = [activity_pb2.ActivityData(id=f"g{i}", local_timestamp="2026-11-22 06:00:00") for i in (1, 2)]
    for data in exercise:
        data.value.general_exercise.duration_seconds = 1200
    request = activity_pb2.SimulateActivitiesRequest(creates=[entry(client_id, steps("s1", 3200), *exercise)])
    reply = await stub.SimulateActivities(request, metadata=partner)
    assert [a.points_delta for a in reply.activities] == [32, 20, 0]
    assert reply.points_delta == 52
    (second,) = reply.activities[2].evaluations
    (daily,) = [check for check in second.limits if check.limit_id == "general_exercise/awards_per_day"]
    assert (daily.bit, daily.used, daily.maximum) == (True, 1, 1)
    assert "reached" in second.explanation
    steps_rule = reply.activities[0].evaluations[0]
    assert (steps_rule.rule_id, steps_rule.measured_units, steps_rule.points_awarded) == ("steps", 1.6, 32)
    # The month limit's period is November in Chicago.
    (monthly,) = [c for c in steps_rule.limits if c.limit_id == "healthy_monthly"]
    assert monthly.period_start_time.ToDatetime(dt.UTC) == dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)
    assert await balance(channel, flow.admin, member_id) == 250  # nothing written
    listed = await stub.ListActivities(
        activity_pb2.ListActivitiesRequest(member_id=member_id), metadata=partner
    )
    assert list(listed.activities) == []


async def test_health_values_stay_inside(flow, stub, server, clock, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="loyalty")
    client_id, _secret, member_id, tokens = await flow.connected(scopes=("steps", "health:read"))
    partner = bearer(tokens.access_token)
    reply = await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry(client_id, *health_batch())]), metadata=partner
    )
    assert reply.points_delta == 60  # weight, blood pressure, glucose; oxygen earns nothing
    # The member granted only `steps`, so the partner cannot read them; a service holding health:read can.
    await fails(
        stub.ListHealthReadings(
            activity_pb2.ListHealthReadingsRequest(member_id=member_id), metadata=partner
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "SCOPE_REQUIRED",
    )
    reader = bearer(await service_token(server, Role.INTERNAL, scopes=("health:read",)))
    readings = await stub.ListHealthReadings(
        activity_pb2.ListHealthReadingsRequest(member_id=member_id), metadata=reader
    )
    assert {r.activity_id for r in readings.readings} == {"w1", "bp1", "bg1", "ox1"}
    weight = next(r for r in readings.readings if r.activity_id == "w1")
    assert weight.value.weight.weight_pounds == WEIGHT
    no_scope = bearer(await service_token(server, Role.INTERNAL))
    await fails(
        stub.ListHealthReadings(
            activity_pb2.ListHealthReadingsRequest(member_id=member_id), metadata=no_scope
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "SCOPE_REQUIRED",
    )
    # A failing value's message names the range, not the value.
    bad = activity_pb2.ActivityData(id="w2", local_timestamp="2026-11-22 07:00:00")
    bad.value.weight.weight_pounds = BAD_WEIGHT
    failed = await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry(client_id, bad)]), metadata=partner
    )
    assert str(BAD_WEIGHT) not in failed.failed_activities[0].message
    assert "1987" not in failed.failed_activities[0].message

    async with server.app.engine.connect() as connection:
        stored = [
            subscription_pb2.Event.FromString(p)
            for p in (await connection.execute(select(events.c.payload))).scalars()
        ]
    texts = [str(event) for event in stored] + [record.getMessage() for record in caplog.records]
    texts += [str(getattr(record, "fields", "")) for record in caplog.records]
    for value in (str(WEIGHT), str(GLUCOSE), str(OXYGEN), str(BAD_WEIGHT)):
        assert not any(value in text for text in texts), value
    assert any(e.type == subscription_pb2.EVENT_TYPE_ACTIVITY_ACCEPTED for e in stored)

    # Retention: a week, then the purge job deletes them.
    clock.advance(dt.timedelta(days=7, seconds=1))
    assert await purge_readings(server.app.engine, clock) == 4
    # A new token: the first one expired during the week.
    reader = bearer(await service_token(server, Role.INTERNAL, scopes=("health:read",)))
    readings = await stub.ListHealthReadings(
        activity_pb2.ListHealthReadingsRequest(member_id=member_id), metadata=reader
    )
    assert list(readings.readings) == []


async def test_erasure_deletes_the_readings(flow, stub, server, channel) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry(client_id, *health_batch())]),
        metadata=bearer(tokens.access_token),
    )
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    erased = await ledger.EraseMember(
        ledger_pb2.EraseMemberRequest(
            member_id=member_id, reason="member asked", request_id=uuid.uuid4().hex
        ),
        metadata=flow.admin,
    )
    assert erased.health_readings_deleted == 4
    async with server.app.engine.connect() as connection:
        assert (await connection.execute(select(health_readings))).all() == []


async def test_the_activity_list_pages_newest_first(flow, stub) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    partner = bearer(tokens.access_token)
    hours = ["06", "07", "08"]
    batch = [steps(f"s{hour}", 1000, local=f"2026-11-22 {hour}:00:00") for hour in hours]
    await stub.PostActivities(
        activity_pb2.PostActivitiesRequest(creates=[entry(client_id, *batch)]), metadata=partner
    )
    first = await stub.ListActivities(
        activity_pb2.ListActivitiesRequest(member_id=member_id, page_size=2), metadata=partner
    )
    assert [a.id for a in first.activities] == ["s08", "s07"]
    assert first.activities[0].value_retained
    rest = await stub.ListActivities(
        activity_pb2.ListActivitiesRequest(
            member_id=member_id, page_size=2, page_token=first.next_page_token
        ),
        metadata=partner,
    )
    assert ([a.id for a in rest.activities], rest.next_page_token) == (["s06"], "")
    other_filters = activity_pb2.ListActivitiesRequest(
        member_id=member_id, page_token=first.next_page_token, include_deleted=True
    )
    await fails(
        stub.ListActivities(other_filters, metadata=partner),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_INVALID",
    )
