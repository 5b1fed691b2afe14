"""One benchmark server process: the engine, or the no-op baseline, on the same stack.

    python -m bench.server --mode engine|noop --database-url URL --data-dir DIR [--program FILE]
        [--profile OUT.html]

It prints one JSON line, {"port": N, "pid": N}, once it serves, and stops on SIGTERM or SIGINT. Both modes
run `LoyaltyServer` with the same settings under uvloop, as `loyalty serve` does; only the servicers
differ, and the baseline's background jobs never come round again after the one round each runs at
start-up (before any load). Both servers run on one database (the baseline authenticates against it):
on SQLite the baseline's event watcher saw every event the engine wrote and woke its webhook relay,
whose write transaction (moving its cursor past them) every 200 ms, with the webhook sender's every
second, made the engine's writer wait for the lock in SQLite's busy handler, whose sleeps grow to
100 ms: 80-830 ms waits for the write lock in 5 % of the engine's batches, x1 at half load. On
PostgreSQL the watcher is woken by LISTEN/NOTIFY, so the baseline's relay still moves its cursor as
the engine writes events; there writers wait only for the rows they share (the relay cursor's), not
for one database-wide lock.
With --profile, pyinstrument samples the whole run and writes an HTML report at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path

import uvloop

from bench.noop import noop_services
from loyalty_server import logs
from loyalty_server.config import Settings
from loyalty_server.runtime.heap import freeze_startup_heap
from loyalty_server.runtime.server import LoyaltyServer

DAY_S = 24 * 3600  # between two rounds of the baseline's background jobs: none during a bench
_BASELINE_QUIET = {
    "event_poll_interval_ms": DAY_S * 1000,
    "webhook_poll_interval_s": DAY_S,
    "expiry_interval_s": DAY_S,
    "tier_interval_s": DAY_S,
    "health_purge_interval_s": DAY_S,
    "event_retention_interval_s": DAY_S,
}


def bench_settings(
    database_url: str, data_dir: str, program: str | None, *, mode: str = "engine"
) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "grpc_address": "127.0.0.1:0",
        "gateway": False,
        "shutdown_grace_s": 2.0,
        "log_level": "info",  # as deployed: one access-log line per call (the harness sends it to a file)
    }
    if program:
        values["program"] = program
    if mode == "noop":
        values.update(_BASELINE_QUIET)
    return Settings(**values)  # type: ignore[arg-type]


async def serve(args: argparse.Namespace) -> None:
    settings = bench_settings(args.database_url, args.data_dir, args.program, mode=args.mode)
    logs.configure(settings.log_level)
    services = noop_services() if args.mode == "noop" else None
    server = LoyaltyServer(settings, services=services)
    await server.start()
    freeze_startup_heap()  # as `loyalty serve` does
    print(json.dumps({"port": server.grpc_port, "pid": os.getpid()}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(grace_s=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--mode", choices=["engine", "noop"], required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--program")
    parser.add_argument("--profile", help="write a pyinstrument HTML profile of the run here")
    args = parser.parse_args()
    if not args.profile:
        uvloop.run(serve(args))
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    try:
        uvloop.run(serve(args))
    finally:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_html())
        text = profiler.output_text(unicode=False, color=False, show_all=False)
        Path(args.profile).with_suffix(".txt").write_text(text)


if __name__ == "__main__":
    main()
