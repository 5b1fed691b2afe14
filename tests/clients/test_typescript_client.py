"""The TypeScript client (clients/typescript) against a real server: builds it with npm once per
session, then runs its smoke test (`node dist/smoke.js`: stream, enroll, purchase, balance, event,
an error with its reason) as a POS service account, and checks the result from Python.

Needs node and npm: without them the test is skipped with a message, except under CI=true, where it
fails (CI must prove the client works)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from loyalty.v1 import ledger_pb2, ledger_pb2_grpc
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from tests.conftest import IN_CI
from tests.support import bearer, make_settings, service_account, service_token

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "typescript"
INSTALL_STAMP = CLIENT_DIR / "node_modules" / ".installed"
INSTALL_TIMEOUT_S = 180  # a cold npm cache downloads buf's binary (~15 MB)
BUILD_TIMEOUT_S = 90  # buf generate + tsc: ~7 s here
SMOKE_TIMEOUT_S = 60  # the smoke test bounds each of its own waits at 10 s
OUTPUT_TAIL_CHARS = 6000


@dataclass(frozen=True)
class Node:
    node: str


def _run(command: list[str], timeout_s: float) -> None:
    """Runs an npm command in the client's directory; fails the test with its output if it fails."""
    try:
        subprocess.run(
            command,
            cwd=CLIENT_DIR,
            check=True,
            timeout=timeout_s,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"`{' '.join(command)}` timed out after {timeout_s} s:\n{output[-OUTPUT_TAIL_CHARS:]}")
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"`{' '.join(command)}` exited {exc.returncode}:\n{exc.stdout[-OUTPUT_TAIL_CHARS:]}")


@pytest.fixture(scope="session")
def typescript_client() -> Node:
    """The client built (dist/) once per session: npm install when needed, then `npm run build`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        message = f"{missing} not found: the TypeScript client cannot be built"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the TypeScript client test is mandatory)", pytrace=False)
        pytest.skip(f"{message}; install Node.js 20+ and npm to run it")
    package_json = CLIENT_DIR / "package.json"
    if not INSTALL_STAMP.exists() or INSTALL_STAMP.stat().st_mtime < package_json.stat().st_mtime:
        _run([npm, "install", "--no-package-lock", "--no-audit", "--no-fund"], INSTALL_TIMEOUT_S)
        INSTALL_STAMP.touch()
    _run([npm, "run", "build"], BUILD_TIMEOUT_S)
    return Node(node)


@pytest.fixture
async def server(tmp_path, database_url):
    server = LoyaltyServer(make_settings(tmp_path, database_url), services=loyalty_services())
    await server.start()
    yield server
    await server.stop(grace_s=0)


async def run_smoke(node: Node, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        node.node,
        "dist/smoke.js",
        cwd=CLIENT_DIR,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), SMOKE_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()
        pytest.fail(
            f"node dist/smoke.js did not finish within {SMOKE_TIMEOUT_S} s:\n"
            f"{stdout.decode()}\n{stderr.decode()}"
        )
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def line(stdout: str, pattern: str) -> re.Match[str]:
    found = re.search(pattern, stdout, re.MULTILINE)
    assert found, f"no line matching {pattern!r} in the smoke test's output:\n{stdout}"
    return found


# The build of the first test counts against its timeout too.
@pytest.mark.timeout(INSTALL_TIMEOUT_S + BUILD_TIMEOUT_S + SMOKE_TIMEOUT_S)
async def test_the_typescript_client_smoke_test_passes_against_a_real_server(
    typescript_client: Node, server
) -> None:
    client_id, secret = await service_account(server, Role.POS)
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOYALTY_")}
    env |= {
        "LOYALTY_TARGET": f"http://127.0.0.1:{server.grpc_port}",
        "LOYALTY_CLIENT_ID": client_id,
        "LOYALTY_CLIENT_SECRET": secret,
    }

    code, stdout, stderr = await run_smoke(typescript_client, env)

    assert code == 0, f"smoke test exited {code}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    line(stdout, r"^stream: open")
    member_id = line(stdout, r"^enroll: member (\S+) loyalty_id \S+$")[1]
    earned = int(line(stdout, r"^purchase: order smoke-\S+ earned (\d+) points$")[1])
    assert earned > 0
    assert int(line(stdout, r"^balance: (\d+) points")[1]) == earned
    events = re.findall(
        rf"^event: points\.earned sequence \d+ member {re.escape(member_id)} points (\d+)$", stdout, re.M
    )
    assert events, stdout
    assert sum(map(int, events)) == earned
    line(stdout, r"^error: GetBalance\(unknown member\) NOT_FOUND MEMBER_NOT_FOUND$")
    line(stdout, r"^smoke: ok$")

    # What the client wrote is what the server holds: the purchase's points (pending for the return
    # window) on the member it enrolled.
    token = await service_token(server, Role.POS)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
        response = await ledger.GetBalance(
            ledger_pb2.GetBalanceRequest(member_id=member_id), metadata=bearer(token), timeout=10
        )
    currencies = response.balance.currencies
    assert sum(c.available_points + c.pending_points for c in currencies) == earned
    assert sum(c.lifetime_earned_points for c in currencies) == earned
