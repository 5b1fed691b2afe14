"""The server's metrics and traces against real calls, on SQLite and PostgreSQL: calls counted by
method and code (errors, unauthenticated, unknown methods), points issued, redeemed and expired by
committed transactions only (a refused redemption and a replayed purchase count nothing), the live
subscriber gauge, webhook failures and delivery lag, the metrics served by the in-process gateway and
on `metrics_address`, and a server span per call when tracing is on."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import sys
import time
import uuid

import grpc
import httpx
import pytest
from google.protobuf import timestamp_pb2
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from loyalty.v1 import (
    activity_pb2,
    activity_pb2_grpc,
    common_pb2,
    ledger_pb2,
    ledger_pb2_grpc,
    subscription_pb2,
    subscription_pb2_grpc,
)
from loyalty_server.cli import _start_gateway
from loyalty_server.clock import FakeClock
from loyalty_server.errors import ConfigError
from loyalty_server.ledger.book import Entry
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import write_transaction
from tests.support import bearer, make_settings, service_token
from tests.webhook_receiver import Answer, running_receiver

START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
LEDGER = "loyalty.v1.LedgerService"
ACTIVITY = "loyalty.v1.ActivityService"
BALL = activity_pb2.PurchaseItem(sku="BALL", category="sports", quantity=2, amount_minor=2599)
BOOK = activity_pb2.PurchaseItem(sku="BOOK", category="books", quantity=1, amount_minor=1250)
BALL_AND_BOOK_POINTS = 88  # the demo program: 1 a dollar on all, 2 more a dollar on sports
WEBHOOKS_FAST = {
    "webhook_allow_http": True,
    "webhook_allowed_networks": "127.0.0.0/8",
    "webhook_poll_interval_s": 0.1,
    "webhook_first_retry_s": 0.2,
    "webhook_timeout_s": 2.0,
    "webhook_lease_s": 5.0,
    "event_poll_interval_ms": 50,
}


def metric(text: bytes | str, name: str, **labels: str) -> float:
    """One sample's value in an exposition (0 when the series does not exist yet)."""
    text = text.decode() if isinstance(text, bytes) else text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def calls(server: LoyaltyServer, service: str, method: str, code: str = "OK") -> float:
    labels = {"service": service, "method": method, "code": code}
    return metric(server.metrics.exposition(), "loyalty_rpc_requests_total", **labels)


def points(server: LoyaltyServer, flow: str, currency: str) -> float:
    text = server.metrics.exposition()
    return metric(text, f"loyalty_points_{flow}_total", tenant="default", currency=currency)


async def eventually(check, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


def rid() -> str:
    return uuid.uuid4().hex


def stamp(moment: dt.datetime) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


async def started(server: LoyaltyServer) -> LoyaltyServer:
    await server.start()
    return server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    server = await started(LoyaltyServer(make_settings(tmp_path, database_url), clock=clock))
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


async def test_calls_and_committed_points_are_counted(server, channel, clock) -> None:
    internal = bearer(await service_token(server, Role.INTERNAL))
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    activity = activity_pb2_grpc.ActivityServiceStub(channel)
    member = (
        await ledger.EnrollMember(ledger_pb2.EnrollMemberRequest(request_id=rid()), metadata=internal)
    ).member
    ref = common_pb2.MemberRef(member_id=member.member_id)
    purchase = activity_pb2.RecordPurchaseRequest(
        request_id=rid(),
        order_id="o-1",
        member=ref,
        store_id="store-7",
        channel=activity_pb2.SALES_CHANNEL_STORE,
        currency_code="USD",
        items=[BALL, BOOK],
        purchase_time=stamp(clock.now() - dt.timedelta(minutes=1)),
    )
    earned = await activity.RecordPurchase(purchase, metadata=internal)
    assert earned.purchase.points_earned == BALL_AND_BOOK_POINTS
    await activity.RecordPurchase(purchase, metadata=internal)  # a replay writes nothing
    award = ledger_pb2.BulkAwardEntry(
        request_id=rid(),
        member=ref,
        currency="temporary",
        points=300,
        source_id="bonus",
        expire_time=stamp(clock.now() + dt.timedelta(days=1)),
    )
    await ledger.BulkAwardPoints(ledger_pb2.BulkAwardPointsRequest(entries=[award]), metadata=internal)

    def redeem(currency: str, amount: int) -> ledger_pb2.RedeemRequest:
        return ledger_pb2.RedeemRequest(member=ref, currency=currency, points=amount, request_id=rid())

    await ledger.Redeem(redeem("temporary", 100), metadata=internal)
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # the purchase points are pending: nothing to spend
        await ledger.Redeem(redeem("permanent", 10), metadata=internal)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    clock.advance(dt.timedelta(days=2))  # the 200 temporary points left expire when next read
    internal = bearer(await service_token(server, Role.INTERNAL))  # the first one has expired too
    await ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id), metadata=internal)

    assert points(server, "issued", "permanent") == BALL_AND_BOOK_POINTS
    assert points(server, "issued", "temporary") == 300
    assert points(server, "redeemed", "temporary") == 100
    assert points(server, "redeemed", "permanent") == 0
    assert points(server, "expired", "temporary") == 200

    # Every call by method and code; the refused one too, with its code.
    assert calls(server, LEDGER, "EnrollMember") == 1
    assert calls(server, ACTIVITY, "RecordPurchase") == 2
    assert calls(server, LEDGER, "BulkAwardPoints") == 1
    assert calls(server, LEDGER, "Redeem") == 1
    assert calls(server, LEDGER, "Redeem", "FAILED_PRECONDITION") == 1
    assert calls(server, LEDGER, "GetBalance") == 1
    text = server.metrics.exposition()
    labels = {"service": ACTIVITY, "method": "RecordPurchase", "code": "OK"}
    assert metric(text, "loyalty_rpc_duration_seconds_count", **labels) == 2
    assert 0 < metric(text, "loyalty_rpc_duration_seconds_sum", **labels) < 20

    # No token: UNAUTHENTICATED under the method called. A method nobody serves: one label for all.
    with pytest.raises(grpc.aio.AioRpcError):
        await ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id))
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await channel.unary_unary("/loyalty.v1.NoSuchService/Nothing")(b"", metadata=internal)
    assert unknown.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert calls(server, LEDGER, "GetBalance", "UNAUTHENTICATED") == 1
    assert calls(server, "unknown", "unknown", "UNIMPLEMENTED") == 1
    assert b"NoSuchService" not in server.metrics.exposition()


async def test_points_of_a_rolled_back_transaction_are_not_counted(server) -> None:
    app = server.app
    tenant_id = app.default_tenant.id
    member = await app.ledger.enroll(tenant_id, request_id=rid())

    def entry() -> Entry:
        return Entry(origin_type="adjustment", origin_id="", reason_code="TEST", request_id=rid())

    class Abandoned(Exception):
        pass

    async def earn_then_abandon() -> None:
        async with write_transaction(app.engine) as connection:
            locked = await app.ledger.lock_member(connection, tenant_id, member.member_id, ["permanent"])
            await app.ledger.earn_in(
                connection,
                app.program,
                locked,
                currency="permanent",
                points=40,
                source_id="bonus",
                entry=entry(),
            )
            assert points(server, "issued", "permanent") == 0  # written, not committed: not yet
            raise Abandoned

    with pytest.raises(Abandoned):
        await earn_then_abandon()
    assert points(server, "issued", "permanent") == 0
    await app.ledger.earn(
        tenant_id, member.member_id, currency="permanent", points=40, source_id="bonus", entry=entry()
    )
    assert points(server, "issued", "permanent") == 40


async def test_a_live_stream_is_a_subscriber_until_it_ends(server, channel) -> None:
    def subscribers() -> float:
        return metric(server.metrics.exposition(), "loyalty_stream_subscribers")

    internal = bearer(await service_token(server, Role.INTERNAL))
    assert subscribers() == 0
    stream = subscription_pb2_grpc.SubscriptionServiceStub(channel).StreamEvents(
        subscription_pb2.StreamEventsRequest(), metadata=internal
    )
    await stream.initial_metadata()  # accepted: it follows the hub from here on
    await eventually(lambda: subscribers() == 1)
    stream.cancel()
    await eventually(lambda: subscribers() == 0)
    service, method = "loyalty.v1.SubscriptionService", "StreamEvents"
    await eventually(lambda: calls(server, service, method, "CANCELLED") == 1)
    # A stream is counted when it ends; its length is no latency, so it is not timed.
    labels = {"service": service, "method": method, "code": "CANCELLED"}
    assert metric(server.metrics.exposition(), "loyalty_rpc_duration_seconds_count", **labels) == 0


async def test_webhook_failures_and_delivery_lag(tmp_path, database_url) -> None:
    server = await started(LoyaltyServer(make_settings(tmp_path, database_url, **WEBHOOKS_FAST)))
    try:
        async with (
            running_receiver() as receiver,
            grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel,
        ):
            receiver.script = [Answer(status=503)]  # the first attempt fails, the retry succeeds
            admin = bearer(await service_token(server, Role.ADMIN))
            endpoint = subscription_pb2.WebhookEndpoint(
                url=receiver.url, event_types=[subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED]
            )
            await subscription_pb2_grpc.SubscriptionServiceStub(channel).CreateWebhookEndpoint(
                subscription_pb2.CreateWebhookEndpointRequest(webhook_endpoint=endpoint, request_id=rid()),
                metadata=admin,
            )
            await ledger_pb2_grpc.LedgerServiceStub(channel).EnrollMember(
                ledger_pb2.EnrollMemberRequest(request_id=rid()), metadata=admin
            )

            def lag(suffix: str) -> float:
                return metric(server.metrics.exposition(), f"loyalty_webhook_delivery_lag_seconds_{suffix}")

            await eventually(lambda: lag("count") == 1)
            await receiver.wait_for(2)
        text = server.metrics.exposition()
        assert metric(text, "loyalty_webhook_delivery_failures_total", reason="http_5xx") == 1
        assert 0.1 < lag("sum") < 10  # the event waited at least for the first retry's delay
    finally:
        await server.stop(grace_s=0)


async def test_metrics_are_served_by_the_gateway_and_on_metrics_address(tmp_path, database_url) -> None:
    settings = make_settings(
        tmp_path, database_url, gateway=True, http_address="127.0.0.1:0", metrics_address="127.0.0.1:0"
    )
    server = await started(LoyaltyServer(settings))
    gateway = await _start_gateway(settings, server)  # as `loyalty serve` starts it
    try:
        admin = bearer(await service_token(server, Role.ADMIN))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.port}") as http:
            enrolled = await http.post("/v1/members", json={"requestId": rid()}, headers=dict(admin))
            assert enrolled.status_code == 200, enrolled.text
            from_gateway = (await http.get("/metrics")).text
            port = server._metrics_endpoint.port  # type: ignore[union-attr]
            own_port = await http.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await gateway.stop()
        await server.stop(grace_s=0)
    # The gateway's /metrics: its own requests, then the server's calls.
    labels = {"method": "POST", "route": "/v1/members", "status": "200"}
    assert metric(from_gateway, "loyalty_gateway_requests_total", **labels) == 1
    labels = {"service": LEDGER, "method": "EnrollMember", "code": "OK"}
    assert metric(from_gateway, "loyalty_rpc_requests_total", **labels) == 1
    # metrics_address: the server's alone.
    assert own_port.status_code == 200
    assert own_port.headers["content-type"].startswith("text/plain")
    assert metric(own_port.text, "loyalty_rpc_requests_total", **labels) == 1
    assert "loyalty_gateway_requests_total" not in own_port.text


async def test_a_metrics_address_in_use_is_a_clear_error_at_start(tmp_path, database_url) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        server = LoyaltyServer(make_settings(tmp_path, database_url, metrics_address=busy))
        with pytest.raises(ConfigError, match=f"metrics_address {busy}: cannot listen"):
            await server.start()


async def test_each_call_gets_a_server_span(tmp_path, database_url) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = make_settings(tmp_path, database_url, tracing=True)
    server = await started(LoyaltyServer(settings, tracer_provider=provider))
    try:
        token = await service_token(server, Role.INTERNAL)
        metadata = (*bearer(token), ("x-request-id", "req-42"))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
            await ledger.EnrollMember(ledger_pb2.EnrollMemberRequest(request_id=rid()), metadata=metadata)
            with pytest.raises(grpc.aio.AioRpcError):
                await ledger.GetBalance(
                    ledger_pb2.GetBalanceRequest(member_id="m_missing"), metadata=metadata
                )
    finally:
        await server.stop(grace_s=0)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {f"{LEDGER}/EnrollMember", f"{LEDGER}/GetBalance"}
    enroll, balance = spans[f"{LEDGER}/EnrollMember"], spans[f"{LEDGER}/GetBalance"]
    assert dict(enroll.attributes or {}) == {
        "rpc.system": "grpc",
        "rpc.service": LEDGER,
        "rpc.method": "EnrollMember",
        "rpc.grpc.status_code": grpc.StatusCode.OK.value[0],
        "loyalty.request_id": "req-42",
    }
    assert balance.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]  # type: ignore[index]
    for span in (enroll, balance):
        assert token not in repr(dict(span.attributes or {}))
        assert not span.events  # no exception text, no metadata


async def test_tracing_without_the_package_fails_at_start(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # what `import opentelemetry` sees when absent
    monkeypatch.delitem(sys.modules, "loyalty_server.runtime.otel_spans", raising=False)
    database_url = f"sqlite:///{tmp_path / 'never-opened.db'}"  # it fails before any database work
    server = LoyaltyServer(make_settings(tmp_path, database_url, tracing=True))
    with pytest.raises(ConfigError, match="tracing: the opentelemetry package is not installed"):
        await server.start()
    assert server.app is None  # before the database or any port
