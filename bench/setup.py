"""Before the load: a database, a service account, its token and the members the requests name."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
from sqlalchemy.engine import make_url

from bench.process import REPO_ROOT
from loyalty.v1 import auth_pb2, auth_pb2_grpc, common_pb2, ledger_pb2, ledger_pb2_grpc

ENROLL_CONCURRENCY = 4
TOKEN_TTL_S = 86_400  # a whole benchmark run on one token


@dataclass(frozen=True)
class Database:
    url: str
    drop: str = ""  # PostgreSQL: the database to drop afterwards


def sqlite_database(run_dir: Path) -> Database:
    """A new SQLite database in `run_dir`: one a run left there (`--run-dir` given again, or a run
    stopped half-way) is deleted first, since the bench's figures assume the database it built."""
    path = run_dir / "loyalty.db"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return Database(f"sqlite:///{path}")


async def _pg(server_url: str, statement: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def postgres_database(server_url: str) -> Database:
    name = f"loyalty_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return Database(url, drop=name)


def drop_database(server_url: str, database: Database) -> None:
    if database.drop:
        asyncio.run(_pg(server_url, f'DROP DATABASE IF EXISTS "{database.drop}" WITH (FORCE)'))


def create_service_account(database_url: str, data_dir: Path, program: Path) -> tuple[str, str]:
    """An internal service account, made with the CLI (which migrates the database first)."""
    command = [str(Path(sys.executable).parent / "loyalty"), "service-accounts", "create"]
    command += ["--name", "bench", "--role", "internal", "--token-ttl-s", str(TOKEN_TTL_S)]
    command += ["--database-url", database_url, "--data-dir", str(data_dir), "--program", str(program)]
    done = subprocess.run(command, capture_output=True, check=True, cwd=REPO_ROOT)  # noqa: S603
    created = json.loads(done.stdout)
    return created["client_id"], created["client_secret"]


async def access_token(target: str, client_id: str, client_secret: str) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = auth_pb2_grpc.AuthServiceStub(channel)
        answer = await stub.ExchangeToken(
            auth_pb2.ExchangeTokenRequest(
                grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
                client_id=client_id,
                client_secret=client_secret,
            )
        )
    return answer.access_token


async def enroll_members(target: str, token: str, count: int, run_id: str) -> list[str]:
    metadata = (("authorization", f"Bearer {token}"),)
    member_ids: list[str] = [""] * count
    queue = iter(range(count))
    async with grpc.aio.insecure_channel(target) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)

        async def enroller() -> None:
            for index in queue:
                key = f"{run_id}-member-{index}"
                request = ledger_pb2.EnrollMemberRequest(
                    request_id=key, member=common_pb2.Member(email=f"{key}@bench.example")
                )
                answer = await stub.EnrollMember(request, metadata=metadata, timeout=30)
                member_ids[index] = answer.member.member_id

        await asyncio.gather(*(enroller() for _ in range(ENROLL_CONCURRENCY)))
    return member_ids
