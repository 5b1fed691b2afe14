"""The load generator: worker processes, each one grpc.aio channel driving one method.

Two shapes of load:
- closed loop (`rate_per_s` 0): `concurrency` calls in flight per process, each sent as soon as the
  previous one answered. Its throughput is the saturation rate.
- open loop (`rate_per_s` > 0): calls leave on a fixed schedule whatever the answers do, and each
  latency is counted from its scheduled time, so a stall shows in the percentiles instead of
  silently slowing the senders down (no coordinated omission).

Requests go out as pre-built bytes (no serializer on the client), so the client spends its CPU on
the wire, not on protobuf. Only calls scheduled inside the measured window (after the warm-up) count.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc

from bench.requests import RequestSpec, request_builder

IN_FLIGHT_MAX = 20_000  # open loop: calls outstanding per process before new ones are dropped
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
]


@dataclass(frozen=True)
class Load:
    target: str
    method: str  # e.g. "/loyalty.v1.LedgerService/GetBalance"
    requests: RequestSpec
    metadata: tuple[tuple[str, str], ...]
    duration_s: float
    warmup_s: float
    processes: int = 1
    concurrency: int = 32  # closed loop: calls in flight per process
    rate_per_s: float = 0.0  # open loop: calls per second over all processes; 0 = closed loop
    timeout_s: float = 30.0


# A call scheduled this close to the window's end may return after it and still be on time: at most
# the stream lag target. Calls of a server that fell behind return late too, but were scheduled
# earlier: they are not allowed for (bench/harness.py, BEHIND).
LATE_ALLOWANCE_S = 0.100


@dataclass
class Sample:
    """What the workers measured inside the window, merged."""

    window_s: float
    latencies_us: list[int] = field(default_factory=list)  # of OK calls
    codes: Counter[str] = field(default_factory=Counter)
    dropped: int = 0  # open loop: calls never sent because too many were outstanding
    # OK calls scheduled in the window's last LATE_ALLOWANCE_S that returned after its end.
    finished_late: int = 0
    error_examples: dict[str, str] = field(default_factory=dict)  # the first details seen per code

    @property
    def ok(self) -> int:
        return self.codes.get("OK", 0)

    @property
    def errors(self) -> int:
        return sum(n for code, n in self.codes.items() if code != "OK") + self.dropped

    def merge(self, other: Sample) -> None:
        self.latencies_us.extend(other.latencies_us)
        self.codes.update(other.codes)
        self.dropped += other.dropped
        self.finished_late += other.finished_late
        for code, details in other.error_examples.items():
            self.error_examples.setdefault(code, details)


def percentile_ms(latencies_us: list[int], fraction: float) -> float:
    if not latencies_us:
        return float("nan")
    ordered = sorted(latencies_us)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] / 1000


class LoadGenerator:
    """A pool of worker processes, started once and reused by every load of a run (starting Python
    with grpc in a fresh process takes about a second)."""

    def __init__(self, processes: int) -> None:
        assert processes >= 1
        self.processes = processes
        self._pool = multiprocessing.get_context("spawn").Pool(processes)  # never fork grpc state

    def run(self, load: Load, start_at: float | None = None) -> Sample:
        """Run `load` on the workers and merge what they measured (blocks until done). With several
        workers they start together at `start_at` (wall clock; default: once all can be ready)."""
        assert load.processes == self.processes, "a load runs on every worker of its generator"
        if start_at is None and load.processes > 1:
            start_at = time.time() + 0.5
        jobs = [(load, index, start_at or 0.0) for index in range(load.processes)]
        parts = self._pool.starmap(_worker, jobs)
        sample = Sample(window_s=load.duration_s)
        for part in parts:
            sample.merge(part)
        return sample

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _worker(load: Load, worker_index: int, start_at: float) -> Sample:
    import uvloop

    return uvloop.run(_drive(load, worker_index, start_at))


async def _drive(load: Load, worker_index: int, start_at: float) -> Sample:
    build = request_builder(load.requests, worker_index)
    async with grpc.aio.insecure_channel(load.target, options=CHANNEL_OPTIONS) as channel:
        await channel.channel_ready()
        call = channel.unary_unary(load.method)
        if start_at:
            await asyncio.sleep(max(0.0, start_at - time.time()))
        if load.rate_per_s > 0:
            return await _open_loop(load, call, build)
        return await _closed_loop(load, call, build)


class _Recorder:
    def __init__(self, load: Load) -> None:
        now = time.perf_counter()
        self.window_start = now + load.warmup_s
        self.end = self.window_start + load.duration_s
        self.sample = Sample(window_s=load.duration_s)

    def record(self, scheduled: float, code: grpc.StatusCode, details: str = "") -> None:
        if not self.window_start <= scheduled < self.end:
            return
        if details:
            self.sample.error_examples.setdefault(code.name, details[:200])
        self.sample.codes[code.name] += 1
        if code is grpc.StatusCode.OK:
            now = time.perf_counter()
            self.sample.latencies_us.append(int((now - scheduled) * 1_000_000))
            self.sample.finished_late += now >= self.end and scheduled >= self.end - LATE_ALLOWANCE_S


async def _one_call(
    load: Load, call: grpc.aio.UnaryUnaryMultiCallable, body: bytes, scheduled: float, recorder: _Recorder
) -> None:
    try:
        await call(body, metadata=load.metadata, timeout=load.timeout_s)
        code, details = grpc.StatusCode.OK, ""
    except grpc.aio.AioRpcError as exc:
        code, details = exc.code(), exc.details() or ""
    recorder.record(scheduled, code, details)


async def _closed_loop(
    load: Load, call: grpc.aio.UnaryUnaryMultiCallable, build: Callable[[int], bytes]
) -> Sample:
    recorder = _Recorder(load)
    counter = iter(range(10**12))

    async def sender() -> None:
        while (started := time.perf_counter()) < recorder.end:
            await _one_call(load, call, build(next(counter)), started, recorder)

    await asyncio.gather(*(sender() for _ in range(load.concurrency)))
    return recorder.sample


async def _open_loop(
    load: Load, call: grpc.aio.UnaryUnaryMultiCallable, build: Callable[[int], bytes]
) -> Sample:
    recorder = _Recorder(load)
    interval_s = load.processes / load.rate_per_s
    first = time.perf_counter()
    pending: set[asyncio.Task[None]] = set()
    index = 0
    while (scheduled := first + index * interval_s) < recorder.end:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(pending) >= IN_FLIGHT_MAX:
            recorder.sample.dropped += recorder.window_start <= scheduled
        else:
            task = asyncio.create_task(_one_call(load, call, build(index), scheduled, recorder))
            pending.add(task)
            task.add_done_callback(pending.discard)
        index += 1
    if pending:
        await asyncio.wait(pending, timeout=load.timeout_s)
    return recorder.sample
