"""The gateway as operators run it: beside the server in `loyalty serve`, or alone with
`loyalty gateway --target`, as real processes with real signals."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import httpx
import pytest

from tests.integration.test_cli import LOYALTY, ServeProcess, _env, run_cli

SQLITE = ["sqlite"]


def _account(tmp_path, database_url: str, role: str) -> dict:
    result = run_cli(
        tmp_path, "service-accounts", "create", "--name", f"test {role}", "--role", role,
        "--database-url", database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _token(grpc_port: int, account: dict) -> str:
    """A client-credentials token over the gateway-less REST route would need a gateway: use gRPC."""
    import grpc

    from loyalty.v1 import auth_pb2, auth_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        reply = auth_pb2_grpc.AuthServiceStub(channel).ExchangeToken(
            auth_pb2.ExchangeTokenRequest(
                grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                client_id=account["client_id"],
                client_secret=account["client_secret"],
            ),
            timeout=10,
        )
    return reply.access_token


@pytest.mark.parametrize("database_url", SQLITE, indirect=True)
def test_serve_runs_the_gateway_and_sigterm_ends_open_event_streams(tmp_path, database_url) -> None:
    admin = _account(tmp_path, database_url, "admin")
    serve = ServeProcess(tmp_path, database_url, "--gateway", "--http-address", "127.0.0.1:0")
    try:
        grpc_port = serve.wait_for("serving")["grpc_port"]
        base = f"http://127.0.0.1:{serve.wait_for('gateway serving')['http_port']}"
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "SERVING"}
        token = _token(grpc_port, admin)
        lines: list[str] = []
        opened = threading.Event()

        def follow() -> None:
            headers = {"authorization": f"Bearer {token}"}
            with httpx.stream("GET", f"{base}/v1/events:stream", headers=headers, timeout=30) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                opened.set()
                lines.extend(response.iter_lines())

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        assert opened.wait(10)
        started = time.monotonic()
        serve.process.terminate()
        assert serve.process.wait(timeout=20) == 0
        reader.join(timeout=5)
        # The stream was told to reconnect rather than held open until the grace period ran out.
        assert time.monotonic() - started < 10
        assert "event: error" in lines
        error = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        assert error["details"][0]["reason"] == "SERVER_SHUTTING_DOWN"
    finally:
        serve.stop()


@pytest.mark.parametrize("database_url", SQLITE, indirect=True)
def test_gateway_alone_in_front_of_a_remote_server(tmp_path, database_url) -> None:
    internal = _account(tmp_path, database_url, "internal")
    serve = ServeProcess(tmp_path, database_url)
    gateway = None
    try:
        grpc_port = serve.wait_for("serving")["grpc_port"]
        gateway = subprocess.Popen(
            [LOYALTY, "gateway", "--target", f"127.0.0.1:{grpc_port}", "--http-address", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(
                tmp_path,
                LOYALTY_GATEWAY_CLIENT_ID=internal["client_id"],
                LOYALTY_GATEWAY_CLIENT_SECRET=internal["client_secret"],
            ),
        )
        assert gateway.stderr is not None
        line: dict = {}
        for _ in range(20):  # uvicorn's own start-up lines come first
            line = json.loads(gateway.stderr.readline() or "{}")
            if line.get("msg") == "gateway serving":
                break
        assert line.get("msg") == "gateway serving", line
        base = f"http://127.0.0.1:{line['http_port']}"
        assert httpx.get(f"{base}/healthz", timeout=5).json() == {"status": "SERVING"}
        assert httpx.get(f"{base}/.well-known/jwks.json", timeout=5).json()["keys"]
        gateway.terminate()
        assert gateway.wait(timeout=20) == 0
    finally:
        if gateway is not None and gateway.poll() is None:
            gateway.kill()
        serve.stop()


def test_gateway_alone_needs_its_credentials(tmp_path) -> None:
    result = run_cli(tmp_path, "gateway", "--target", "127.0.0.1:1")
    assert result.returncode == 2
    assert "gateway_client_id and gateway_client_secret" in result.stderr
