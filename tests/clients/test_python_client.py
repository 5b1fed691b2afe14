"""`LoyaltyClient` against a real server: client-credentials tokens fetched, reused and renewed;
typed errors; retries of idempotent calls after a lost answer, a missed deadline and a server that is
not up yet; event streams that resume across a server restart without a gap or a duplicate; TLS."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest

from loyalty.client import (
    InvalidArgument,
    LoyaltyClient,
    NotFound,
    RetryPolicy,
    Tls,
    Unauthenticated,
    Unavailable,
    new_request_id,
)
from loyalty.v1 import common_pb2, ledger_pb2, subscription_pb2
from loyalty_server.clock import FakeClock
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import ServiceRegistration, loyalty_services
from tests.integration.test_server import _make_ca_and_cert
from tests.support import make_settings, service_account

FAST_RETRY = RetryPolicy(attempts_max=5, backoff_initial_ms=20, backoff_max_ms=200, stream_reconnects_max=100)
STEP_TIMEOUT_S = 15
CURRENCY = "permanent"  # the demo program's


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def enroll_request(request_id: str, email: str = "") -> ledger_pb2.EnrollMemberRequest:
    return ledger_pb2.EnrollMemberRequest(member=common_pb2.Member(email=email), request_id=request_id)


async def member_count(client: LoyaltyClient) -> int:
    reply = await client.ledger.ListMembers(ledger_pb2.ListMembersRequest(page_size=100))
    return len(reply.members)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def server(tmp_path, database_url, port):
    server = LoyaltyServer(make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}"))
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def credentials(server) -> tuple[str, str]:
    return await service_account(server, Role.ADMIN)


@pytest.fixture
async def client(server, credentials):
    client_id, secret = credentials
    async with LoyaltyClient(
        f"127.0.0.1:{server.grpc_port}", client_id=client_id, client_secret=secret, retry=FAST_RETRY
    ) as client:
        yield client


# --- tokens and errors ---------------------------------------------------------------------------


async def test_fetches_one_token_and_reuses_it(client) -> None:
    fetches = count_token_fetches(client)
    first = await client.ledger.EnrollMember(enroll_request(new_request_id(), "ann@example.com"))
    member_id = first.member.member_id
    balance = await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member_id))
    reads = [client.ledger.GetMember(ledger_pb2.GetMemberRequest(member_id=member_id)) for _ in range(10)]
    await asyncio.gather(*reads)
    assert balance.balance.total_available_points == 0
    assert fetches() == 1


async def test_typed_errors_carry_the_reason_and_the_fields(client) -> None:
    with pytest.raises(NotFound) as missing:
        await client.ledger.GetMember(ledger_pb2.GetMemberRequest(member_id="mem_nobody"))
    assert missing.value.reason == "MEMBER_NOT_FOUND"
    assert missing.value.domain == "loyalty.v1"
    assert missing.value.request_id  # to quote in a bug report
    assert isinstance(missing.value, grpc.aio.AioRpcError)  # plain gRPC handling still works

    with pytest.raises(InvalidArgument) as invalid:
        await client.ledger.EnrollMember(ledger_pb2.EnrollMemberRequest(member=common_pb2.Member()))
    assert "request_id" in [violation.field for violation in invalid.value.field_violations]
    assert "INVALID_ARGUMENT" in str(invalid.value)


async def test_a_wrong_secret_is_a_clear_unauthenticated(server, credentials) -> None:
    client_id, _secret = credentials
    async with LoyaltyClient(
        f"127.0.0.1:{server.grpc_port}", client_id=client_id, client_secret="nope"
    ) as client:
        with pytest.raises(Unauthenticated) as refused:
            await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())
    assert refused.value.reason


async def test_a_refused_token_is_renewed_once(tmp_path, database_url, port) -> None:
    clock = FakeClock(dt.datetime.now(dt.UTC))
    server = LoyaltyServer(
        make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}"), clock=clock
    )
    await server.start()
    try:
        client_id, secret = await service_account(server, Role.ADMIN)
        async with LoyaltyClient(f"127.0.0.1:{port}", client_id=client_id, client_secret=secret) as client:
            fetches = count_token_fetches(client)
            await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())
            # The server's time jumps past the token's life; the client's own clock does not, so
            # only the refusal tells it to fetch a new one.
            clock.advance(dt.timedelta(days=60))
            await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())
            assert fetches() == 2
    finally:
        await server.stop(grace_s=0)


async def test_a_fixed_token_is_not_renewed(server, credentials) -> None:
    async with LoyaltyClient(f"127.0.0.1:{server.grpc_port}", token="not-a-token") as client:
        with pytest.raises(Unauthenticated):
            await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())


# --- retries -------------------------------------------------------------------------------------


def faulty_ledger(fault: Callable[[Any, Any, Any], Any]) -> list[ServiceRegistration]:
    """The real services, with LedgerService.EnrollMember wrapped by `fault(real, request, context)`."""
    services = loyalty_services()
    for index, registration in enumerate(services):
        if registration.full_name == "loyalty.v1.LedgerService":
            make = registration.make_servicer

            def make_faulty(app, make=make):
                servicer = make(app)
                real = servicer.EnrollMember

                async def enroll(request, context):
                    return await fault(real, request, context)

                servicer.EnrollMember = enroll
                return servicer

            services[index] = ServiceRegistration(
                registration.full_name, registration.add_to_server, make_faulty
            )
    return services


@contextlib.asynccontextmanager
async def faulty_client(
    tmp_path, database_url, port, fault, **client_options: Any
) -> AsyncIterator[LoyaltyClient]:
    """A server with `fault` around EnrollMember, and an admin's client of it (FAST_RETRY unless told)."""
    settings = make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}")
    server = LoyaltyServer(settings, services=faulty_ledger(fault))
    await server.start()
    try:
        client_id, secret = await service_account(server, Role.ADMIN)
        options = {"retry": FAST_RETRY, **client_options}
        async with LoyaltyClient(
            f"127.0.0.1:{port}", client_id=client_id, client_secret=secret, **options
        ) as client:
            yield client
    finally:
        await server.stop(grace_s=0)


async def test_a_lost_answer_is_retried_and_replayed(tmp_path, database_url, port) -> None:
    calls: list[str] = []

    async def commit_then_fail(real, request, context):
        calls.append(request.request_id)
        reply = await real(request, context)  # committed ...
        if len(calls) == 1:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset")  # ... but the answer is lost
        return reply

    async with faulty_client(tmp_path, database_url, port, commit_then_fail) as client:
        request_id = new_request_id()
        reply = await client.ledger.EnrollMember(enroll_request(request_id, "bo@example.com"))
        assert calls == [request_id, request_id]
        assert reply.member.email == "bo@example.com"
        assert await member_count(client) == 1  # enrolled once, answered twice


async def test_a_missed_deadline_is_retried_and_replayed(tmp_path, database_url, port) -> None:
    calls: list[str] = []

    async def commit_then_stall(real, request, context):
        calls.append(request.request_id)
        reply = await real(request, context)
        if len(calls) == 1:
            await asyncio.sleep(5)  # the client's deadline passes first
        return reply

    async with faulty_client(tmp_path, database_url, port, commit_then_stall, deadline_s=1.0) as client:
        await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())  # token fetched, channel up
        reply = await client.ledger.EnrollMember(enroll_request(new_request_id(), "cy@example.com"))
        assert len(calls) == 2
        assert reply.member.email == "cy@example.com"
        assert await member_count(client) == 1


async def test_a_call_without_request_id_is_not_retried(tmp_path, database_url, port) -> None:
    calls: list[str] = []

    async def always_unavailable(real, request, context):
        calls.append(request.request_id)
        await context.abort(grpc.StatusCode.UNAVAILABLE, "down")

    async with faulty_client(tmp_path, database_url, port, always_unavailable) as client:
        with pytest.raises(Unavailable):
            await client.ledger.EnrollMember(enroll_request(""))
        assert calls == [""]
        with pytest.raises(Unavailable):  # idempotent, but every try fails: attempts_max, then the error
            await client.ledger.EnrollMember(enroll_request("r-1"))
        assert calls == ["", *["r-1"] * FAST_RETRY.attempts_max]


async def test_retries_until_the_server_is_up(tmp_path, database_url, port) -> None:
    settings = make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}")
    server = LoyaltyServer(settings)
    await server.start()
    client_id, secret = await service_account(server, Role.ADMIN)
    await server.stop(grace_s=0)

    retry = RetryPolicy(attempts_max=40, backoff_initial_ms=50, backoff_max_ms=100)
    async with LoyaltyClient(
        f"127.0.0.1:{port}", client_id=client_id, client_secret=secret, retry=retry
    ) as client:
        call = asyncio.ensure_future(  # a grpc call is awaitable, not a coroutine
            client.ledger.EnrollMember(enroll_request(new_request_id(), "di@example.com"))
        )
        await asyncio.sleep(0.5)
        assert not call.done()  # still retrying: the server is down
        restarted = LoyaltyServer(settings)
        await restarted.start()
        try:
            reply = await asyncio.wait_for(call, STEP_TIMEOUT_S)
            assert reply.member.email == "di@example.com"
        finally:
            await restarted.stop(grace_s=0)


# --- streams -------------------------------------------------------------------------------------


async def test_event_stream_resumes_across_a_restart_without_gap_or_duplicate(
    tmp_path, database_url, port
) -> None:
    """The stream reads from server A; B is a replica on the same database. A goes down, members are
    enrolled through B while it is down, A comes back: the stream carries on with those events."""
    settings_a = make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}")
    server_a = LoyaltyServer(settings_a)
    await server_a.start()
    server_b = LoyaltyServer(make_settings(tmp_path, database_url))
    await server_b.start()
    client_id, secret = await service_account(server_a, Role.ADMIN)
    received: list[subscription_pb2.Event] = []
    try:
        async with (
            LoyaltyClient(
                f"127.0.0.1:{port}", client_id=client_id, client_secret=secret, retry=FAST_RETRY
            ) as reader,
            LoyaltyClient(
                f"127.0.0.1:{server_b.grpc_port}", client_id=client_id, client_secret=secret
            ) as writer,
        ):
            stream = reader.events(event_types=[subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED])
            events = aiter(stream)
            first = asyncio.create_task(anext(events))
            await wait_until(lambda: stream.cursor is not None)  # connected: it knows where it starts

            # Cut before the first event: the start cursor from the header must carry it over.
            await server_a.stop(grace_s=0)
            await writer.ledger.EnrollMember(enroll_request(new_request_id(), "e1@example.com"))
            server_a = LoyaltyServer(settings_a)
            await server_a.start()
            received.append(await asyncio.wait_for(first, STEP_TIMEOUT_S))

            # Cut after an event: resumes after its sequence.
            await server_a.stop(grace_s=0)
            for n in (2, 3):
                await writer.ledger.EnrollMember(enroll_request(new_request_id(), f"e{n}@example.com"))
            server_a = LoyaltyServer(settings_a)
            await server_a.start()
            for _ in range(2):
                received.append(await asyncio.wait_for(anext(events), STEP_TIMEOUT_S))
            await events.aclose()

            history = await writer.subscription.ListEvents(
                subscription_pb2.ListEventsRequest(event_types=[subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED])
            )
        assert [event.member.email for event in received] == [
            "e1@example.com",
            "e2@example.com",
            "e3@example.com",
        ]
        assert [event.sequence for event in received] == [event.sequence for event in history.events]
        assert stream.cursor == received[-1].sequence
        assert stream.reconnects >= 2
    finally:
        await server_a.stop(grace_s=0)
        await server_b.stop(grace_s=0)


async def test_watch_member_resumes_with_a_fresh_snapshot(tmp_path, database_url, port) -> None:
    settings = make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{port}")
    server = LoyaltyServer(settings)
    await server.start()
    client_id, secret = await service_account(server, Role.INTERNAL)
    try:
        async with LoyaltyClient(
            f"127.0.0.1:{port}", client_id=client_id, client_secret=secret, retry=FAST_RETRY
        ) as client:
            admin_id, admin_secret = await service_account(server, Role.ADMIN)
            member = (await client.ledger.EnrollMember(enroll_request(new_request_id()))).member
            snapshots = aiter(client.watch_member(member.member_id))
            first = await asyncio.wait_for(anext(snapshots), STEP_TIMEOUT_S)
            await server.stop(grace_s=0)
            server = LoyaltyServer(settings)
            await server.start()
            async with LoyaltyClient(
                f"127.0.0.1:{port}", client_id=admin_id, client_secret=admin_secret
            ) as admin:
                await admin.ledger.AdjustPoints(
                    ledger_pb2.AdjustPointsRequest(
                        member=common_pb2.MemberRef(member_id=member.member_id),
                        currency=CURRENCY,
                        points=70,
                        reason_code="GOODWILL",
                        reason="a test credit",
                        request_id=new_request_id(),
                    )
                )
            seen = [await asyncio.wait_for(anext(snapshots), STEP_TIMEOUT_S)]
            while total_points(seen[-1]) != 70:
                seen.append(await asyncio.wait_for(anext(snapshots), STEP_TIMEOUT_S))
            await snapshots.aclose()
        assert total_points(first) == 0
    finally:
        await server.stop(grace_s=0)


# --- TLS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tls_and_mutual_tls(tmp_path, database_url) -> None:
    files = _make_ca_and_cert(tmp_path)
    settings = make_settings(
        tmp_path,
        database_url,
        tls_cert_file=str(files["server.pem"]),
        tls_key_file=str(files["server.key"]),
        tls_client_ca_file=str(files["ca.pem"]),
    )
    server = LoyaltyServer(settings)
    await server.start()
    try:
        client_id, secret = await service_account(server, Role.ADMIN)
        target = f"127.0.0.1:{server.grpc_port}"
        mutual = Tls(
            ca_file=files["ca.pem"],
            cert_file=files["client.pem"],
            key_file=files["client.key"],
            server_name="localhost",
        )
        async with LoyaltyClient(target, client_id=client_id, client_secret=secret, tls=mutual) as client:
            assert await member_count(client) == 0
        # Without a client certificate the handshake fails: UNAVAILABLE, retried, then given up.
        no_cert = Tls(ca_file=files["ca.pem"], server_name="localhost")
        quick = RetryPolicy(attempts_max=2, backoff_initial_ms=10, backoff_max_ms=10)
        async with LoyaltyClient(
            target, client_id=client_id, client_secret=secret, tls=no_cert, retry=quick
        ) as client:
            with pytest.raises(Unavailable):
                await client.ledger.ListMembers(ledger_pb2.ListMembersRequest())
    finally:
        await server.stop(grace_s=0)


# --- helpers -------------------------------------------------------------------------------------


def count_token_fetches(client: LoyaltyClient) -> Callable[[], int]:
    """Count the client's token fetches from now on (wraps its token source's fetch)."""
    tokens = client.call_settings.tokens
    fetch = tokens._fetch  # type: ignore[union-attr]
    count = 0

    async def counted() -> tuple[str, float]:
        nonlocal count
        count += 1
        return await fetch()

    tokens._fetch = counted  # type: ignore[union-attr]
    return lambda: count


async def wait_until(condition: Callable[[], bool], timeout_s: float = STEP_TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (state set inside the stream's generator)
            await asyncio.sleep(0.01)


def total_points(snapshot: subscription_pb2.MemberSnapshot) -> int:
    return snapshot.balance.total_available_points
