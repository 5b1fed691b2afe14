"""The reference POS adapter (`examples/newstore_pos`) run end to end as its own process against a
real server on the store program: every step of NewStore's flows printed, the figures they print, and
afterwards the books checked from the tables."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import grpc
import pytest

from loyalty.v1 import ledger_pb2, ledger_pb2_grpc
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from tests.ledger_invariants import check_invariants
from tests.support import bearer, make_settings, service_account, service_token

REPO = Path(__file__).resolve().parents[2]
STORE_PROGRAM = REPO / "examples" / "newstore_pos" / "store-program.toml"
RUN_TIMEOUT_S = 60

EXPECTED_STEPS = [
    r"^1\. onboard: NewStore customer ci-ann ",
    r"^   enrolled; loyalty id (?P<loyalty_id>\d+) kept on the customer profile$",
    r"^2\. look up \d+: Ann Lee, tier Member, 0 points$",
    r"^3\. order\.completed ci-order-1 \(209\.00 EUR\): earned 2690 points$",
    r"^   balance: 2690 points, tier Insider$",
    r"^4\. rewards Ann can redeem: ten-off \(1000 points\)$",
    r"^   redeemed ten-off for cart ci-cart-2: coupon …\w{4} sent to Associate App$",
    r"^   balance: 1690 points, tier Insider$",
    r"^5\. order\.opened ci-order-2 with the coupon applied: 1 coupon marked used$",
    r"^   order\.completed ci-order-2: earned 375 points$",  # 30.00 at 10/EUR, x1.25 as an Insider
    r"^   balance: 2065 points, tier Insider$",
    r"^6\. return\.processed ci-return-1 \(the shoes of ci-order-1\): 1800 points taken back, 0 owed$",
    r"^   return\.processed ci-return-2 \(all of ci-order-2\): 375 points taken back, 1 coupon cancelled",
    r"^   balance: 890 points, tier Insider$",
    r"^7\. order\.completed ci-order-1 delivered again: 2690 points, as the first time$",
    r"^   balance unchanged: 890 points, tier Insider$",
    r"^done: \d+ ends with 890 points, tier Insider$",
]


@pytest.fixture
async def server(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, program=str(STORE_PROGRAM))
    server = LoyaltyServer(settings)
    await server.start()
    yield server
    await server.stop(grace_s=0)


async def run_adapter(server: LoyaltyServer, *args: str, secret_env: dict[str, str]) -> tuple[int, str, str]:
    env = {**os.environ, **secret_env, "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "examples.newstore_pos",
        "--target",
        f"127.0.0.1:{server.grpc_port}",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        raise
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_the_adapter_plays_every_flow(server) -> None:
    client_id, secret = await service_account(server, Role.POS)
    code, out, err = await run_adapter(
        server, "--client-id", client_id, "--run-id", "ci", secret_env={"LOYALTY_CLIENT_SECRET": secret}
    )
    assert code == 0, f"adapter failed:\n{out}\n{err}"
    lines = out.splitlines()[1:]  # after the banner
    assert len(lines) == len(EXPECTED_STEPS), out
    for pattern, line in zip(EXPECTED_STEPS, lines, strict=True):
        assert re.match(pattern, line), f"{line!r} does not match {pattern!r}\n{out}"
    assert secret not in out + err

    # The engine agrees with what the adapter printed, and its books balance.
    loyalty_id = re.match(EXPECTED_STEPS[1], lines[1])["loyalty_id"]  # type: ignore[index]
    admin = bearer(await service_token(server, Role.ADMIN))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        found = await ledger_pb2_grpc.LedgerServiceStub(channel).LookupMember(
            ledger_pb2.LookupMemberRequest(loyalty_id=loyalty_id, view=ledger_pb2.MEMBER_VIEW_FULL),
            metadata=admin,
            timeout=10,
        )
    assert found.balance.total_available_points == 890
    assert found.tier.tier.tier_id == "insider"
    await check_invariants(server.app.engine)


async def test_the_adapter_reports_a_refusal_and_fails(server) -> None:
    client_id, _secret = await service_account(server, Role.POS)
    code, _out, err = await run_adapter(
        server, "--client-id", client_id, secret_env={"LOYALTY_CLIENT_SECRET": "wrong"}
    )
    assert code == 1
    assert err.startswith("failed: UNAUTHENTICATED"), err


async def test_the_adapter_needs_its_credentials(server) -> None:
    code, _out, err = await run_adapter(
        server, secret_env={"LOYALTY_CLIENT_ID": "", "LOYALTY_CLIENT_SECRET": ""}
    )
    assert code == 2
    assert "LOYALTY_CLIENT_SECRET" in err
