"""BulkAwardPoints on SQLite and PostgreSQL: each entry succeeds or fails on its own, replays return
the first transaction, batch limits; in the domain and through a real gRPC server."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import select

from loyalty.v1 import common_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.bulk import ENTRIES_MAX, AwardEntry, bulk_award, check_batch
from loyalty_server.ledger.rpc.convert import timestamp
from loyalty_server.ledger.tables import ledger_transactions, lots
from loyalty_server.principal import Role
from loyalty_server.program import load_program_file
from loyalty_server.runtime.server import LoyaltyServer
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_token

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PROGRAM = load_program_file(DEMO_PROGRAM)


def award(request_id: str, points: int = 10, **fields: object) -> AwardEntry:
    values: dict[str, object] = {"currency": "permanent", "source_id": "bonus", "loyalty_id": "C1"}
    values.update(fields)
    return AwardEntry(request_id=request_id, points=points, **values)  # type: ignore[arg-type]


async def test_each_entry_succeeds_or_fails_on_its_own(ledger, engine, clock, tenant_id) -> None:
    ada = await ledger.enroll(tenant_id, request_id="e1", loyalty_id="C1")
    expires = START + dt.timedelta(days=30)
    entries = [
        award("b1", 100, reason_code="SPRING", reason="spring campaign"),
        award("b2", 5, member_id=ada.member_id, loyalty_id="", currency="temporary", expires_at=expires),
        award("b3", loyalty_id="NOBODY"),
        award("b4", currency="gold"),
        award("b5", 0),
        award("b6", reason_code="lower"),
        award("b7", expires_at=START - dt.timedelta(seconds=1)),
        award("b8", loyalty_id=""),
        award("b1", 100, reason_code="SPRING", reason="spring campaign"),  # a replay
        award("b1", 999),  # the same request id for another credit
        award("", 1),
    ]
    outcomes = await bulk_award(ledger, tenant_id, entries, actor="internal:test")
    assert [outcome.request_id for outcome in outcomes] == [entry.request_id for entry in entries]
    succeeded = [outcome.request_id for outcome in outcomes if outcome.error is None]
    assert succeeded == ["b1", "b2", "b1"]
    failures = {o.request_id: (o.error.kind, o.error.reason) for o in outcomes if o.error}
    assert failures == {
        "b3": (ErrorKind.NOT_FOUND, "MEMBER_NOT_FOUND"),
        "b4": (ErrorKind.INVALID_ARGUMENT, "UNKNOWN_CURRENCY"),
        "b5": (ErrorKind.INVALID_ARGUMENT, "INVALID_AMOUNT"),
        "b6": (ErrorKind.INVALID_ARGUMENT, "REASON_CODE_INVALID"),
        "b7": (ErrorKind.INVALID_ARGUMENT, "EXPIRE_TIME_INVALID"),
        "b8": (ErrorKind.INVALID_ARGUMENT, "MEMBER_REF_REQUIRED"),
        "b1": (ErrorKind.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED"),
        "": (ErrorKind.INVALID_ARGUMENT, "REQUEST_ID_INVALID"),
    }
    first, second, replay = outcomes[0].booked, outcomes[1].booked, outcomes[8].booked
    assert replay == first
    assert (first.points, first.currency, first.expires_at) == (100, "permanent", None)
    assert (second.points, second.currency, second.expires_at) == (5, "temporary", expires)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                ledger_transactions.select().where(ledger_transactions.c.origin_type == "bulk_award")
            )
        ).mappings()
        recorded = {row["origin_id"]: (row["reason_code"], row["reason"], row["actor"]) for row in rows}
        lot_expiry = await connection.scalar(
            select(lots.c.expires_at).where(lots.c.transaction_pk == second.pk)
        )
    assert recorded == {
        "b1": ("SPRING", "spring campaign", "internal:test"),
        "b2": ("BULK_AWARD", "", "internal:test"),
    }
    assert lot_expiry == expires  # not the currency's 90 days
    balance = await ledger.balance(tenant_id, ada.member_id)
    assert [(c.currency, c.available) for c in balance.currencies] == [("permanent", 100), ("temporary", 5)]
    await check_invariants(engine)


async def test_the_tier_multiplier_applies_only_when_asked(ledger, engine, tenant_id) -> None:
    await ledger.enroll(tenant_id, request_id="e1", loyalty_id="C1")
    silver = PROGRAM.tiers.levels[1]
    outcomes = await bulk_award(
        ledger,
        tenant_id,
        [
            award("reach-silver", silver.threshold),
            award("plain", 100),
            award("multiplied", 100, apply_tier_multiplier=True),
        ],
    )
    assert [outcome.booked.points for outcome in outcomes] == [
        silver.threshold,
        100,
        100 * silver.earn_multiplier_percent // 100,
    ]
    await check_invariants(engine)


async def test_batch_size_limits(ledger, tenant_id) -> None:
    check_batch([award("x")] * ENTRIES_MAX)
    for entries in ([], [award(f"r{number}") for number in range(ENTRIES_MAX + 1)]):
        with pytest.raises(DomainError) as raised:
            await bulk_award(ledger, tenant_id, entries)
        assert (raised.value.kind, raised.value.reason) == (ErrorKind.INVALID_ARGUMENT, "BATCH_TOO_LARGE")


# --- over gRPC --------------------------------------------------------------------------------------


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url))
    await server.start()
    yield server
    await server.stop(grace_s=1)


def _detail(status: status_pb2.Status) -> error_details_pb2.ErrorInfo:
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


def _entry(request_id: str, loyalty_id: str, points: int, **fields: object) -> ledger_pb2.BulkAwardEntry:
    return ledger_pb2.BulkAwardEntry(
        request_id=request_id,
        member=common_pb2.MemberRef(loyalty_id=loyalty_id),
        currency="permanent",
        points=points,
        source_id="bonus",
        **fields,
    )


async def test_bulk_award_over_grpc(server) -> None:
    ledger = server.app.ledger
    tenant_id = server.app.default_tenant.id
    await ledger.enroll(tenant_id, request_id="e1", loyalty_id="C1")
    await ledger.enroll(tenant_id, request_id="e2", loyalty_id="C2")
    internal = bearer(await service_token(server, Role.INTERNAL))
    pos = bearer(await service_token(server, Role.POS))
    expire = ledger.clock.now() + dt.timedelta(days=10)
    request = ledger_pb2.BulkAwardPointsRequest(
        entries=[
            _entry("g1", "C1", 50, reason_code="WELCOME"),
            _entry("g2", "NOBODY", 50),
            _entry("g3", "C2", 20, expire_time=timestamp(expire)),
            _entry("g1", "C1", 50, reason_code="WELCOME"),
        ]
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        reply = await stub.BulkAwardPoints(request, metadata=internal, timeout=10)
        again = await stub.BulkAwardPoints(request, metadata=internal, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as too_many:
            await stub.BulkAwardPoints(
                ledger_pb2.BulkAwardPointsRequest(entries=[_entry(f"x{n}", "C1", 1) for n in range(1001)]),
                metadata=internal,
                timeout=10,
            )
        with pytest.raises(grpc.aio.AioRpcError) as empty:
            await stub.BulkAwardPoints(ledger_pb2.BulkAwardPointsRequest(), metadata=internal, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.BulkAwardPoints(request, metadata=pos, timeout=10)
    assert (reply.succeeded_count, reply.failed_count) == (3, 1)
    assert [result.request_id for result in reply.results] == ["g1", "g2", "g3", "g1"]
    assert [result.status.code for result in reply.results] == [
        grpc.StatusCode.OK.value[0],
        grpc.StatusCode.NOT_FOUND.value[0],
        grpc.StatusCode.OK.value[0],
        grpc.StatusCode.OK.value[0],
    ]
    failed = reply.results[1]
    assert _detail(failed.status).reason == "MEMBER_NOT_FOUND"
    assert failed.status.message == "no member with this loyalty_id"
    assert not failed.HasField("transaction")
    first, third, replay = (reply.results[index].transaction for index in (0, 2, 3))
    assert replay == first
    assert (first.points, first.loyalty_id, first.reason_code) == (50, "C1", "WELCOME")
    assert first.origin.type == common_pb2.ORIGIN_TYPE_BULK_AWARD
    assert first.origin.id == "g1"
    assert first.actor.startswith("service:sa_")
    assert third.expire_time.ToDatetime(tzinfo=dt.UTC) == expire
    assert list(again.results) == list(reply.results)  # the whole batch again: replays only
    for raised in (too_many, empty):
        assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        details = dict(raised.value.trailing_metadata())["grpc-status-details-bin"]
        assert _detail(status_pb2.Status.FromString(details)).reason == "BATCH_TOO_LARGE"
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    balance = await ledger.balance(tenant_id, first.member_id)
    assert balance.total_available == 50
    await check_invariants(server.app.engine)
