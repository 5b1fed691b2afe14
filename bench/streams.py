"""The streams benchmark: subscribers on StreamEvents while a writer produces events at a fixed rate.

Each subscriber process holds many streams on one channel and records, for every event written
inside the measured window, its end-to-end lag: the time it arrived minus its `event_time` (set by
the writing transaction, on the same machine's clock).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field

import grpc

from bench.loadgen import Load, LoadGenerator, Sample
from loyalty.v1 import subscription_pb2, subscription_pb2_grpc

STREAM_GRACE_S = 1.0  # after the window: time for the last events to arrive


@dataclass
class StreamSample:
    window_s: float
    subscribers: int
    lags_us: list[int] = field(default_factory=list)
    writes: Sample | None = None

    @property
    def delivered(self) -> int:
        return len(self.lags_us)


def run_streams(
    writers: LoadGenerator, load: Load, subscribers: int, subscriber_processes: int, per_message: int = 1
) -> StreamSample:
    """`load` is the writer (open loop, one event per call, on `writers`); `subscribers` streams over
    `subscriber_processes` processes of their own read every event, at most `per_message` a message
    (StreamEvents' max_events_per_message; 1 = one event a message, the default)."""
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 1.5 + 0.3 * subscriber_processes  # the subscribers spawn meanwhile
    window = (start_at + load.warmup_s, start_at + load.warmup_s + load.duration_s)
    per_process = _split(subscribers, subscriber_processes)
    with context.Pool(subscriber_processes) as pool:
        pending = pool.starmap_async(
            _subscriber_worker,
            [(load.target, load.metadata, count, window, per_message) for count in per_process],
        )
        writes = writers.run(load, start_at=start_at)
        parts = pending.get(timeout=load.warmup_s + load.duration_s + 60)
    sample = StreamSample(window_s=load.duration_s, subscribers=subscribers, writes=writes)
    for lags in parts:
        sample.lags_us.extend(lags)
    return sample


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def _subscriber_worker(
    target: str,
    metadata: tuple[tuple[str, str], ...],
    streams: int,
    window: tuple[float, float],
    per_message: int,
) -> list[int]:
    import uvloop

    return uvloop.run(_subscribe(target, metadata, streams, window, per_message))


async def _subscribe(
    target: str,
    metadata: tuple[tuple[str, str], ...],
    streams: int,
    window: tuple[float, float],
    per_message: int,
) -> list[int]:
    window_start, window_end = window
    lags_us: list[int] = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
        request = subscription_pb2.StreamEventsRequest(from_now=True, max_events_per_message=per_message)
        calls = [stub.StreamEvents(request, metadata=metadata) for _ in range(streams)]

        async def read(call: grpc.aio.UnaryStreamCall) -> None:
            async for response in call:
                kind = response.WhichOneof("item")
                if kind == "heartbeat":
                    continue
                now = time.time()
                for event in response.batch.events if kind == "batch" else [response.event]:
                    written = event.event_time.ToNanoseconds() / 1e9
                    if window_start <= written < window_end:
                        lags_us.append(int((now - written) * 1_000_000))
                    if written >= window_end:
                        return

        readers = [asyncio.ensure_future(read(call)) for call in calls]
        deadline_s = window_end + STREAM_GRACE_S - time.time()
        await asyncio.wait(readers, timeout=max(1.0, deadline_s))
        for call in calls:
            call.cancel()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return lags_us
