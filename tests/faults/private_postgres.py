"""A PostgreSQL cluster of one test's own, which it may stop and start at will.

The shared server on :5432 serves other tests at the same time, so it is never touched: this one is
made with initdb in a temporary directory, listens on a free port of 127.0.0.1 (its Unix socket in
that directory) and is removed afterwards. PostgreSQL refuses to run as root: as root, its commands
run as the `postgres` OS user (runuser). Without the binaries the test is skipped with a message,
except under CI=true, where they are installed and the test must run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.faults.support import free_port

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
POSTGRES_OS_USER = "postgres"
COMMAND_TIMEOUT_S = 60  # initdb on a loaded machine; pg_ctl -w waits for the server itself
START_TIMEOUT_S = 30


def _bin_dir() -> Path | None:
    found = sorted(glob.glob(POSTGRES_BIN_GLOB), key=lambda path: int(Path(path).parent.name or 0))
    candidates = [Path(path) for path in found if (Path(path) / "initdb").exists()]
    if candidates:
        return candidates[-1]  # the newest major version
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class PrivatePostgres:
    bin_dir: Path
    directory: Path  # owned by the OS user PostgreSQL runs as
    port: int
    as_root: bool

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        argv = [str(self.bin_dir / command[0]), *command[1:]]
        if self.as_root:
            argv = ["runuser", "-u", POSTGRES_OS_USER, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
        assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"

    def init(self) -> None:
        # --no-sync and fsync=off: a throwaway cluster; durability across an OS crash is not the point
        # here, and a stop -m immediate is a process crash, which loses nothing the OS was given.
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=16MB"
        )
        log = self.directory / "server.log"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        )

    def stop_immediately(self) -> None:
        """`pg_ctl stop -m immediate`: every backend killed at once, no checkpoint (a crash, really)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def stop_quietly(self) -> None:
        with contextlib.suppress(AssertionError):  # already stopped
            self.stop_immediately()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        message = f"PostgreSQL's server binaries (initdb, pg_ctl) not found under {POSTGRES_BIN_GLOB}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: install postgresql)", pytrace=False)
        pytest.skip(f"{message}; install postgresql to run the database-outage test")
    as_root = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="loyalty-pg-"))  # short: the socket path has a length cap
    if as_root:
        shutil.chown(directory, user=POSTGRES_OS_USER, group=POSTGRES_OS_USER)
    cluster = PrivatePostgres(bin_dir, directory, free_port(), as_root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop_quietly()
        shutil.rmtree(directory, ignore_errors=True)
