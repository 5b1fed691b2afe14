"""The gRPC runtime, in process, on SQLite and PostgreSQL: health, reflection, errors, shutdown, TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from loyalty.v1 import activity_pb2, auth_pb2, ledger_pb2, subscription_pb2
from loyalty_server.auth.policy import POLICY
from loyalty_server.errors import ConfigError
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.support import SLOW_METHOD, SlowServicer, bearer, make_settings, service_token, slow_service

LOYALTY_SERVICES = {
    "loyalty.v1.AuthService",
    "loyalty.v1.ActivityService",
    "loyalty.v1.LedgerService",
    "loyalty.v1.SubscriptionService",
}
ALL_SERVICES = [auth_pb2, activity_pb2, ledger_pb2, subscription_pb2]


@pytest.fixture
def slow() -> SlowServicer:
    return SlowServicer()


@pytest.fixture
async def server(tmp_path, database_url, slow):
    server = LoyaltyServer(
        make_settings(tmp_path, database_url), services=[*loyalty_services(), slow_service(slow)]
    )
    await server.start()
    yield server
    await server.stop(grace_s=1)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


def _sleep_call(channel: grpc.aio.Channel):
    return channel.unary_unary(SLOW_METHOD)


async def test_health_serving_overall_and_per_service(channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ["", *sorted(LOYALTY_SERVICES)]:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_reflection_lists_the_four_services_and_resolves_them(channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [reflection_pb2.ServerReflectionRequest(list_services="")]
    requests += [
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=name) for name in LOYALTY_SERVICES
    ]
    replies = [reply async for reply in stub.ServerReflectionInfo(iter(requests), timeout=5)]
    listed = {service.name for service in replies[0].list_services_response.service}
    assert listed >= LOYALTY_SERVICES | {"grpc.health.v1.Health"}
    for reply in replies[1:]:
        # grpcurl needs the file descriptors, including google/api/annotations.proto behind them.
        assert reply.file_descriptor_response.file_descriptor_proto, reply


async def _call_failure(channel, method, path: str, metadata=()) -> grpc.aio.AioRpcError:
    request = b""  # the empty message is valid for every request type
    if method.server_streaming:
        call = channel.unary_stream(path)(request, metadata=metadata, timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            async for _ in call:
                pass
    else:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await channel.unary_unary(path)(request, metadata=metadata, timeout=5)
    return raised.value


async def test_every_rpc_of_every_service_is_implemented(server, channel) -> None:
    """An empty request from a caller the policy lets in gets a real answer, never UNIMPLEMENTED."""
    tokens: dict[tuple, str] = {}
    calls = 0
    for module in ALL_SERVICES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                rule = POLICY[path]
                metadata: tuple = ()
                if not rule.open:
                    role = sorted(rule.roles, key=lambda r: r.value)[0]
                    scopes = (rule.scope,) if rule.scope else ()
                    if (role, scopes) not in tokens:
                        tokens[role, scopes] = await service_token(server, role, scopes=scopes)
                    metadata = bearer(tokens[role, scopes])
                code = await _call_code(channel, method, path, metadata)
                assert code is not grpc.StatusCode.UNIMPLEMENTED, path
                assert code is not grpc.StatusCode.INTERNAL, path
                assert not method.client_streaming, f"{path}: client streaming is not part of the contract"
                calls += 1
    assert calls > 80  # the whole surface


async def _call_code(channel, method, path: str, metadata=()) -> grpc.StatusCode:
    request = b""  # the empty message is valid for every request type
    try:
        if method.server_streaming:  # a stream that starts fine runs until the deadline
            async for _ in channel.unary_stream(path)(request, metadata=metadata, timeout=1):
                pass
        else:
            await channel.unary_unary(path)(request, metadata=metadata, timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_every_guarded_rpc_refuses_a_call_without_credentials(channel) -> None:
    refused = 0
    for module in ALL_SERVICES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                if POLICY[path].open:
                    continue
                for metadata in ((), bearer("not-a-jwt")):
                    error = await _call_failure(channel, method, path, metadata)
                    assert error.code() is grpc.StatusCode.UNAUTHENTICATED, path
                    assert _error_info(error).reason in {"CREDENTIALS_MISSING", "INVALID_TOKEN"}, path
                refused += 1
    assert refused > 60


def _error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    raw = dict(error.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


async def test_request_id_is_echoed_or_made(channel) -> None:
    call = _sleep_call(channel)(b"1", metadata=(("x-request-id", "pos-42.order-7"),), timeout=5)
    await call
    assert dict(await call.trailing_metadata())["x-request-id"] == "pos-42.order-7"
    call = _sleep_call(channel)(b"1", metadata=(("x-request-id", "bad id with spaces"),), timeout=5)
    await call
    made = dict(await call.trailing_metadata())["x-request-id"]
    assert made != "bad id with spaces"
    assert len(made) == 32


async def test_access_log_has_method_code_duration_and_no_secret(channel, caplog) -> None:
    caplog.set_level(logging.INFO, logger="loyalty.rpc")
    metadata = (("authorization", "Bearer SECRET-TOKEN-123"), ("x-request-id", "r-1"))
    await _sleep_call(channel)(b"5", metadata=metadata, timeout=5)
    (record,) = [r for r in caplog.records if r.name == "loyalty.rpc"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["method"] == SLOW_METHOD
    assert fields["code"] == "OK"
    assert fields["duration_ms"] >= 5
    assert "SECRET-TOKEN-123" not in caplog.text
    assert "SECRET-TOKEN-123" not in repr(fields)


async def test_deadline_is_honoured_and_the_handler_cancelled(channel, slow) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _sleep_call(channel)(b"3000", timeout=0.2)
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    for _ in range(50):
        if slow.cancelled:
            break
        await asyncio.sleep(0.02)
    assert slow.cancelled == [3000]  # the server stopped working on it, not just the client
    assert slow.finished == []


async def test_graceful_shutdown_lets_in_flight_calls_finish(tmp_path, database_url) -> None:
    slow = SlowServicer()
    server = LoyaltyServer(
        make_settings(tmp_path, database_url), services=[*loyalty_services(), slow_service(slow)]
    )
    await server.start()
    try:
        await _drain_with_call_in_flight(server, slow)
    finally:
        await server.stop(grace_s=0)
    assert slow.finished == [600]
    assert slow.cancelled == []


async def _drain_with_call_in_flight(server: LoyaltyServer, slow: SlowServicer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        in_flight = asyncio.ensure_future(_sleep_call(channel)(b"600", timeout=10))
        await slow.started.wait()
        stopping = asyncio.create_task(server.stop(grace_s=5))
        # Health turns NOT_SERVING first, so load balancers drain this replica.
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert await in_flight == b"600"
        await stopping


async def test_calls_beyond_the_grace_period_are_cancelled(tmp_path, database_url) -> None:
    slow = SlowServicer()
    server = LoyaltyServer(
        make_settings(tmp_path, database_url), services=[*loyalty_services(), slow_service(slow)]
    )
    await server.start()
    try:
        await _stop_with_long_call(server, slow)
    finally:
        await server.stop(grace_s=0)
    assert slow.cancelled == [30000]


async def _stop_with_long_call(server: LoyaltyServer, slow: SlowServicer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        in_flight = asyncio.ensure_future(_sleep_call(channel)(b"30000", timeout=60))
        await slow.started.wait()
        started = asyncio.get_running_loop().time()
        await server.stop(grace_s=0.3)
        assert asyncio.get_running_loop().time() - started < 5
        with pytest.raises(grpc.aio.AioRpcError):
            await in_flight


async def test_plaintext_is_refused_off_loopback(tmp_path, database_url) -> None:
    server = LoyaltyServer(make_settings(tmp_path, database_url, grpc_address="0.0.0.0:0"))
    with pytest.raises(ConfigError, match="plaintext on a non-loopback address"):
        await server.start()


async def test_bad_program_fails_before_anything_starts(tmp_path, database_url) -> None:
    program = tmp_path / "bad.toml"
    program.write_text("[program]\nname = 'x'\n")
    server = LoyaltyServer(make_settings(tmp_path, database_url, program=str(program)))
    with pytest.raises(ConfigError, match=r"bad\.toml: currencies: a program needs at least one currency"):
        await server.start()


async def test_port_in_use_is_a_clear_error(server, tmp_path, database_url) -> None:
    second = LoyaltyServer(
        make_settings(tmp_path, database_url, grpc_address=f"127.0.0.1:{server.grpc_port}")
    )
    with pytest.raises(ConfigError, match="cannot listen"):
        await second.start()


# --- TLS -----------------------------------------------------------------------------------------


def _make_ca_and_cert(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def issue(subject: str, issuer_key, issuer_name, *, ca: bool, san: bool):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer_name or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
            )
        cert = builder.sign(issuer_key or key, hashes.SHA256())
        return key, cert

    ca_key, ca_cert = issue("test-ca", None, None, ca=True, san=False)
    server_key, server_cert = issue("localhost", ca_key, ca_cert.subject, ca=False, san=True)
    client_key, client_cert = issue("pos-1", ca_key, ca_cert.subject, ca=False, san=False)

    def pem_key(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    files = {}
    for name, data in {
        "ca.pem": ca_cert.public_bytes(serialization.Encoding.PEM),
        "server.pem": server_cert.public_bytes(serialization.Encoding.PEM),
        "server.key": pem_key(server_key),
        "client.pem": client_cert.public_bytes(serialization.Encoding.PEM),
        "client.key": pem_key(client_key),
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        files[name] = path
    return files


async def _health_over(target: str, credentials: grpc.ChannelCredentials) -> int:
    options = (("grpc.ssl_target_name_override", "localhost"),)
    async with grpc.aio.secure_channel(target, credentials, options=options) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return reply.status


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tls_and_mutual_tls(tmp_path, database_url) -> None:
    files = _make_ca_and_cert(tmp_path)
    ca = files["ca.pem"].read_bytes()
    settings = make_settings(
        tmp_path,
        database_url,
        tls_cert_file=str(files["server.pem"]),
        tls_key_file=str(files["server.key"]),
        tls_client_ca_file=str(files["ca.pem"]),
    )
    server = LoyaltyServer(settings)
    await server.start()
    target = f"127.0.0.1:{server.grpc_port}"
    try:
        with_client_cert = grpc.ssl_channel_credentials(
            root_certificates=ca,
            private_key=files["client.key"].read_bytes(),
            certificate_chain=files["client.pem"].read_bytes(),
        )
        assert await _health_over(target, with_client_cert) == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await _health_over(target, grpc.ssl_channel_credentials(root_certificates=ca))
        assert raised.value.code() is grpc.StatusCode.UNAVAILABLE  # no client certificate: no handshake
        async with grpc.aio.insecure_channel(target) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError):
                await health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=2)
    finally:
        await server.stop(grace_s=1)


async def test_tls_files_that_cannot_be_read(tmp_path, database_url) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        tls_cert_file=str(tmp_path / "nope.pem"),
        tls_key_file=str(tmp_path / "nope.key"),
    )
    with pytest.raises(ConfigError, match=r"tls_key_file .*nope\.key: cannot read it"):
        await LoyaltyServer(settings).start()
