"""The `loyalty` command as a user runs it: a real process, real signals, real exit codes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.storage.migrate import head_revision

LOYALTY = shutil.which("loyalty", path=str(Path(sys.executable).parent)) or "loyalty"
START_TIMEOUT_S = 30


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    env.update({"LOYALTY_DATA_DIR": str(tmp_path / "data"), **extra})
    return env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LOYALTY, *args], capture_output=True, text=True, timeout=60, env=_env(tmp_path, **env), check=False
    )


class ServeProcess:
    """`loyalty serve` in the background; reads its JSON log lines from stderr."""

    def __init__(self, tmp_path: Path, database_url: str, *args: str, **env: str) -> None:
        self.lines: list[dict] = []
        self.raw: list[str] = []
        self.process = subprocess.Popen(
            [LOYALTY, "serve", "--grpc-address", "127.0.0.1:0", "--no-gateway", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path, LOYALTY_DATABASE_URL=database_url, **env),
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.raw.append(line)
            with contextlib.suppress(json.JSONDecodeError):
                self.lines.append(json.loads(line))

    def wait_for(self, msg: str, timeout_s: float = START_TIMEOUT_S) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.lines:
                if line.get("msg") == msg:
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no {msg!r} log line; stderr was:\n{''.join(self.raw)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def test_serve_then_sigterm_drains_and_exits_cleanly(tmp_path, database_url) -> None:
    serve = ServeProcess(tmp_path, database_url)
    try:
        port = serve.wait_for("serving")["grpc_port"]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            assert (
                stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status
                == health_pb2.HealthCheckResponse.SERVING
            )
            watch = stub.Watch(health_pb2.HealthCheckRequest(), timeout=20)
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
            serve.process.send_signal(signal.SIGTERM)
            # The open stream hears NOT_SERVING before the server goes away.
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert serve.process.wait(timeout=20) == 0
        serve.wait_for("stopped", timeout_s=5)
        messages = [line["msg"] for line in serve.lines]
        assert messages.index("shutting down") < messages.index("stopped")
    finally:
        serve.stop()


def test_sigint_also_stops_cleanly(tmp_path) -> None:
    serve = ServeProcess(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    try:
        serve.wait_for("serving")
        # Once it serves, its start-up heap is out of the collector's way (runtime/heap.py).
        assert serve.wait_for("start-up heap frozen")["objects"] > 100_000
        serve.process.send_signal(signal.SIGINT)
        assert serve.process.wait(timeout=20) == 0
        assert "Traceback" not in "".join(serve.raw)
    finally:
        serve.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--database-url", "postgresql://nobody@127.0.0.1:1/none"], "cannot connect"),
        (["--database-url", "mysql://x@localhost/db"], "unsupported database 'mysql'"),
        (["--database-url", "::not a url::"], "not a database URL"),
        (
            ["--program", "/nonexistent/program.toml"],
            "program file /nonexistent/program.toml: cannot read it",
        ),
        (["--grpc-address", "localhost"], "grpc_address: expected HOST:PORT"),
    ],
)
def test_serve_fails_fast_with_one_line(tmp_path, args: list[str], message: str) -> None:
    started = time.monotonic()
    result = run_cli(tmp_path, "serve", "--no-gateway", "--grpc-address", "127.0.0.1:0", *args)
    assert time.monotonic() - started < 20
    assert result.returncode == 2
    stderr_lines = result.stderr.strip().splitlines()
    assert len(stderr_lines) == 1, result.stderr
    assert stderr_lines[0].startswith("loyalty: error: ")
    assert message in stderr_lines[0]
    assert "Traceback" not in result.stderr


def test_serve_fails_fast_on_a_bad_program_file(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_PROGRAM.read_text().replace('currency = "permanent"', 'currency = "gold"', 1))
    result = run_cli(tmp_path, "serve", "--no-gateway", "--program", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"loyalty: error: program file {bad}: rules[0].currency: unknown currency 'gold'"
    )


def test_migrate(tmp_path, empty_database_url) -> None:
    result = run_cli(tmp_path, "migrate", "--database-url", empty_database_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["migrated_to"] == head_revision()


def test_program_check(tmp_path) -> None:
    good = run_cli(tmp_path, "program", "check", str(DEMO_PROGRAM))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["currencies"] == ["permanent", "temporary"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[program]\nname = 1\n")
    result = run_cli(tmp_path, "program", "check", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == f"loyalty: error: program file {bad}: program.name: expected str, got 1"


def test_tenants_create_and_list(tmp_path, database_url) -> None:
    created = run_cli(
        tmp_path,
        "tenants",
        "create",
        "Germany",
        "--program",
        str(DEMO_PROGRAM),
        "--database-url",
        database_url,
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["code"] == "Germany"
    again = run_cli(
        tmp_path,
        "tenants",
        "create",
        "Germany",
        "--program",
        str(DEMO_PROGRAM),
        "--database-url",
        database_url,
    )
    assert again.returncode == 2
    assert again.stderr.strip() == "loyalty: error: tenant Germany: already exists"
    listed = run_cli(tmp_path, "tenants", "list", "--database-url", database_url)
    assert [json.loads(line) for line in listed.stdout.splitlines()] == [
        {"code": "default", "name": "Default program", "own_program": False},
        {"code": "Germany", "name": "Germany", "own_program": True},
    ]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["migrate"],
        ["program"],
        ["program", "check"],
        ["tenants"],
        ["tenants", "create"],
        ["tenants", "list"],
    ],
)
def test_help_everywhere(tmp_path, args: list[str]) -> None:
    result = run_cli(tmp_path, *args, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: loyalty")
