"""SQLite on a disk that fills up or turns read-only under a running server, then recovers.

The database lives on a small tmpfs the test mounts (root, or CAP_SYS_ADMIN, is needed: without it
the tests are skipped with a message). We run as root, so file permissions would not stop a write;
a real filesystem that is full or mounted read-only does, and SQLite meets the real errors:

- Full: a filler file takes the last free byte, so the WAL cannot grow: SQLITE_FULL. The server
  answers RESOURCE_EXHAUSTED, reason DISK_FULL, with a RetryInfo; reads still work.
- Read-only: `mount -o remount,ro`. Linux refuses that while a file on the filesystem is open for
  writing, so the test first closes the server's pooled connections (engine.dispose(), what a pool
  recycling its connections or a restart does); the server then meets what SQLite does on a
  read-only disk: it cannot open the database (its WAL index cannot be created): SQLITE_CANTOPEN.
  The server answers UNAVAILABLE, reason DATABASE_UNAVAILABLE, with a RetryInfo.

Either way the refused writes leave nothing behind, the file passes `PRAGMA integrity_check`, the
ledger invariants hold, and once space or write access returns the same server writes again,
including the refused writes sent again with their request ids, each exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shutil
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from loyalty.client import LoyaltyClient, ResourceExhausted, RetryPolicy, Unavailable, new_request_id
from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.storage.engine import create_engine
from tests.faults.support import (
    CURRENCY,
    points_by_member,
    refusal_of,
    transactions_per_request_id,
    write_program,
)
from tests.ledger_invariants import check_invariants
from tests.support import make_settings, service_account

DISK_SIZE = "16m"  # the template database is well under 1 MB
NO_RETRY = RetryPolicy(attempts_max=1)
FILL_CHUNK_BYTES = 1024 * 1024
FILL_TAIL_BYTES = 4096  # tmpfs allocates whole pages: the last ones go one page at a time
WRITES_UNTIL_FULL_MAX = 50  # the WAL may reuse space it already holds for a few commits
REFUSALS = 3
REMOUNT_TRIES_MAX = 100  # the server's background jobs may hold a connection for a moment
REMOUNT_PAUSE_S = 0.02
ANSWER_BOUND_S = 3.0
MOUNT_TIMEOUT_S = 10
TEST_TIMEOUT_S = 30


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", *args], capture_output=True, text=True, timeout=MOUNT_TIMEOUT_S, check=False
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_SIZE mounted for this test alone."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "tmpfs", str(mount_point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        _mount("-o", "remount,rw", str(mount_point))
        subprocess.run(["umount", "-l", str(mount_point)], timeout=MOUNT_TIMEOUT_S, check=False)


@contextlib.asynccontextmanager
async def server_on(disk: Path, tmp_path: Path, template: Path) -> AsyncIterator[tuple[LoyaltyServer, str]]:
    database = disk / "loyalty.db"
    shutil.copyfile(template, database)
    url = f"sqlite:///{database}"
    # The data dir (signing keys) stays off the small disk: only the database meets the fault.
    server = LoyaltyServer(make_settings(tmp_path, url, program=str(write_program(tmp_path))))
    await server.start()
    try:
        yield server, url
    finally:
        await server.stop(grace_s=0)


@contextlib.asynccontextmanager
async def admin_client(server: LoyaltyServer) -> AsyncIterator[LoyaltyClient]:
    client_id, secret = await service_account(server, Role.ADMIN)
    async with LoyaltyClient(
        f"127.0.0.1:{server.grpc_port}", client_id=client_id, client_secret=secret, retry=NO_RETRY
    ) as client:
        yield client


class Credits:
    """Credits of known points to one member, each with a request id: sent, refused, intended."""

    def __init__(self, client: LoyaltyClient, member_id: str) -> None:
        self.client = client
        self.member_id = member_id
        self.points: dict[str, int] = {}

    async def send(self, request_id: str | None = None) -> None:
        if request_id is None:
            request_id = new_request_id("disk-")
            self.points[request_id] = len(self.points) + 1
        await self.client.ledger.AdjustPoints(
            ledger_pb2.AdjustPointsRequest(
                member=common_pb2.MemberRef(member_id=self.member_id),
                currency=CURRENCY,
                points=self.points[request_id],
                reason_code="GOODWILL",
                reason="disk fault test credit",
                request_id=request_id,
            )
        )

    @property
    def last(self) -> str:
        return list(self.points)[-1]


async def enroll(client: LoyaltyClient) -> str:
    reply = await client.ledger.EnrollMember(
        ledger_pb2.EnrollMemberRequest(
            member=common_pb2.Member(email="disk@example.com"), request_id=new_request_id()
        )
    )
    return reply.member.member_id


def fill(disk: Path) -> Path:
    """Take every free byte of `disk` with one file."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for size in (FILL_CHUNK_BYTES, FILL_TAIL_BYTES):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


def integrity(database_url: str) -> str:
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


async def assert_written_once(url: str, credits: Credits) -> None:
    """Refused writes left nothing; after recovery every credit is there once; the file is sound."""
    engine = create_engine(url)
    try:
        await check_invariants(engine)
        counts = await transactions_per_request_id(engine, credits.points)
        assert counts == dict.fromkeys(credits.points, 1)
        assert (await points_by_member(engine))[credits.member_id] == sum(credits.points.values())
    finally:
        await engine.dispose()
    assert integrity(url) == "ok"


async def refused_left_nothing(url: str, refused: list[str]) -> None:
    engine = create_engine(url)
    try:
        assert await transactions_per_request_id(engine, refused) == {}
    finally:
        await engine.dispose()


@pytest.mark.timeout(TEST_TIMEOUT_S)
async def test_a_full_disk_is_resource_exhausted_and_writes_resume_when_space_returns(
    tmp_path, small_disk, sqlite_template
) -> None:
    async with (
        server_on(small_disk, tmp_path, sqlite_template) as (server, url),
        admin_client(server) as client,
    ):
        credits = Credits(client, await enroll(client))
        await credits.send()
        filler = fill(small_disk)
        refused: list[str] = []
        for _ in range(WRITES_UNTIL_FULL_MAX):
            started = time.monotonic()
            refusal = await refusal_of(credits.send())
            if refusal is None:
                continue  # the WAL had room left in space it already held
            assert isinstance(refusal, ResourceExhausted), refusal
            assert refusal.reason == "DISK_FULL", refusal
            assert refusal.retry_delay is not None
            assert time.monotonic() - started < ANSWER_BOUND_S
            refused.append(credits.last)
            if len(refused) == REFUSALS:
                break
        assert len(refused) == REFUSALS, f"no write refused in {WRITES_UNTIL_FULL_MAX} on a full disk"
        # Reads need no space.
        await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=credits.member_id))
        filler.unlink()
        await refused_left_nothing(url, refused)
        for request_id in refused:  # sent again, once there is space
            await credits.send(request_id)
        await credits.send()
    await assert_written_once(url, credits)


@pytest.mark.timeout(TEST_TIMEOUT_S)
async def test_a_read_only_disk_is_unavailable_and_writes_resume_when_it_is_writable(
    tmp_path, small_disk, sqlite_template
) -> None:
    async with (
        server_on(small_disk, tmp_path, sqlite_template) as (server, url),
        admin_client(server) as client,
    ):
        credits = Credits(client, await enroll(client))
        await credits.send()
        await remount_read_only(server, small_disk)
        refused: list[str] = []
        for _ in range(REFUSALS):
            started = time.monotonic()
            with pytest.raises(Unavailable) as refusal:
                await credits.send()
            assert refusal.value.reason == "DATABASE_UNAVAILABLE", refusal.value
            assert "read-only" in refusal.value.details()
            assert refusal.value.retry_delay is not None
            assert time.monotonic() - started < ANSWER_BOUND_S
            refused.append(credits.last)
        remounted = _mount("-o", "remount,rw", str(small_disk))
        assert remounted.returncode == 0, remounted.stderr
        await refused_left_nothing(url, refused)
        for request_id in refused:
            await credits.send(request_id)
        await credits.send()
    await assert_written_once(url, credits)


async def remount_read_only(server: LoyaltyServer, disk: Path) -> None:
    """Close the server's pooled connections, then remount read-only (refused while one is open)."""
    assert server.app is not None
    for _ in range(REMOUNT_TRIES_MAX):
        await server.app.engine.dispose()
        if _mount("-o", "remount,ro", str(disk)).returncode == 0:
            return
        await asyncio.sleep(REMOUNT_PAUSE_S)
    pytest.fail(f"{disk} stayed busy: could not remount it read-only")
