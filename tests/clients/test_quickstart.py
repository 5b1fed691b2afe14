"""The README's Python quick start (`examples/quickstart_service.py`) run as written: its own process,
an `internal` account's credentials from `service-accounts create --format env`, a real server."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from loyalty_server.runtime.server import LoyaltyServer
from tests.integration.test_cli import run_cli
from tests.support import make_settings

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "quickstart_service.py"
RUN_TIMEOUT_S = 60


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url))
    await server.start()
    yield server
    await server.stop(grace_s=0)


def test_the_readme_shows_the_script_and_how_to_run_it() -> None:
    readme = (REPO / "README.md").read_text()
    assert '--role internal --format env)"\n.venv/bin/python examples/quickstart_service.py' in readme


async def test_the_python_quick_start_runs_as_written(server, tmp_path, database_url) -> None:
    created = await asyncio.to_thread(
        run_cli,
        tmp_path,
        "service-accounts",
        "create",
        "--name",
        "quickstart",
        "--role",
        "internal",
        "--format",
        "env",
        "--database-url",
        database_url,
    )
    assert created.returncode == 0, created.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in created.stdout.splitlines())
    env = {
        **os.environ,
        "LOYALTY_TARGET": f"127.0.0.1:{server.grpc_port}",
        "LOYALTY_CLIENT_ID": exports["LOYALTY_CLIENT_ID"],
        "LOYALTY_CLIENT_SECRET": exports["LOYALTY_CLIENT_SECRET"].strip("'"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    out = stdout.decode()
    assert process.returncode == 0, f"{out}\n{stderr.decode()}"
    assert re.search(r"^enrolled m_\w+, loyalty id \d+$", out, re.MULTILINE), out
    assert re.search(r"^purchase order-\w+: 76 points earned$", out, re.MULTILINE), out  # 25.99 x (1 + 2)
    assert "permanent: 0 available, 76 pending" in out  # the demo's 30-day return window
    assert re.search(r"^refused as expected: MEMBER_NOT_FOUND \(request id \w+\)$", out, re.MULTILINE), out
