"""The gateway beside the gRPC server: `/healthz` reports the engine's health over gRPC."""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.error
import urllib.request

import httpx
import pytest

from loyalty_gateway.runner import GatewayRunner
from loyalty_server.errors import ConfigError
from loyalty_server.runtime.server import LoyaltyServer
from tests.integration.test_server import _make_ca_and_cert
from tests.support import make_settings


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback URL we built
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_healthz_follows_the_grpc_server(tmp_path, database_url) -> None:
    settings = make_settings(tmp_path, database_url, http_address="127.0.0.1:0", gateway=True)
    server = LoyaltyServer(settings)
    await server.start()
    gateway = GatewayRunner(settings, grpc_target=f"127.0.0.1:{server.grpc_port}")
    await gateway.start()
    url = f"http://127.0.0.1:{gateway.port}/healthz"
    try:
        assert await asyncio.to_thread(_get, url) == (200, {"status": "SERVING"})
        await server.stop(grace_s=0)
        status, body = await asyncio.to_thread(_get, url)
        assert status == 503
        assert body["status"].startswith("UNREACHABLE")
    finally:
        await gateway.stop()
        await server.stop(grace_s=0)


async def test_gateway_port_in_use_is_a_clear_error(tmp_path) -> None:
    first = GatewayRunner(
        make_settings(tmp_path, "sqlite:///x.db", http_address="127.0.0.1:0"), "127.0.0.1:1"
    )
    await first.start()
    try:
        taken = make_settings(tmp_path, "sqlite:///x.db", http_address=f"127.0.0.1:{first.port}")
        with pytest.raises(ConfigError, match=r"http_address .*: cannot listen"):
            await GatewayRunner(taken, "127.0.0.1:1").start()
    finally:
        await first.stop()


def test_gateway_refuses_plaintext_off_loopback(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"http_address 0\.0\.0\.0:0: plaintext on a non-loopback address"):
        GatewayRunner(make_settings(tmp_path, "sqlite:///x.db", http_address="0.0.0.0:0"), "127.0.0.1:1")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_gateway_beside_a_mutual_tls_server(tmp_path, database_url) -> None:
    """The server requires client certificates, for a name that is not 127.0.0.1: the gateway beside
    it still reaches it (over its local socket) and serves https with the same certificate."""
    files = _make_ca_and_cert(tmp_path)
    settings = make_settings(
        tmp_path,
        database_url,
        http_address="127.0.0.1:0",
        gateway=True,
        tls_cert_file=str(files["server.pem"]),
        tls_key_file=str(files["server.key"]),
        tls_client_ca_file=str(files["ca.pem"]),
    )
    server = LoyaltyServer(settings)
    await server.start()
    assert server.gateway_target.startswith("unix:")
    gateway = GatewayRunner(
        settings,
        server.gateway_target,
        token_fetch=await server.gateway_token_fetch(),
        channel_credentials=server.gateway_channel_credentials(),
    )
    await gateway.start()
    try:
        async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=files["ca.pem"])) as http:
            reply = await http.get(f"https://localhost:{gateway.port}/healthz")
        assert reply.json() == {"status": "SERVING"}
    finally:
        await gateway.stop()
        await server.stop(grace_s=0)
    assert not list((tmp_path / "data").glob("gateway-*.sock"))  # the socket is removed on stop
