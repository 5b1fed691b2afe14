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
from google.protobuf.timestamp_pb2 import Timestamp

from bench.loadgen import Load, LoadGenerator, Sample
from loyalty.v1 import subscription_pb2, subscription_pb2_grpc

STREAM_GRACE_S = 1.0  # after the window: time for the last events to arrive


@dataclass
class StreamSample:
    window: tuple[float, float]  # the measured window, in wall-clock seconds
    subscribers: int
    lags_us: list[int] = field(default_factory=list)
    writes: Sample | None = None
    ended: dict[str, int] = field(default_factory=dict)  # streams that ended early, by status code

    @property
    def window_s(self) -> float:
        return self.window[1] - self.window[0]

    @property
    def delivered(self) -> int:
        return len(self.lags_us)


async def events_written(
    target: str, metadata: tuple[tuple[str, str], ...], window: tuple[float, float]
) -> int:
    """How many member.enrolled events the server wrote inside the window (what each subscriber should
    have received): ListEvents over the window's times, page by page."""
    start, end = Timestamp(), Timestamp()
    start.FromNanoseconds(int(window[0] * 1e9))
    end.FromNanoseconds(int(window[1] * 1e9))
    count, token = 0, ""
    async with grpc.aio.insecure_channel(target) as channel:
        stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
        while True:
            request = subscription_pb2.ListEventsRequest(
                page_size=1000,
                page_token=token,
                event_types=[subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED],
                start_time=start,
                end_time=end,
            )
            page = await stub.ListEvents(request, metadata=metadata, timeout=30)
            count += len(page.events)
            token = page.next_page_token
            if not token:
                return count


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
    sample = StreamSample(window=window, subscribers=subscribers, writes=writes)
    for lags, ended in parts:
        sample.lags_us.extend(lags)
        for code, count in ended.items():
            sample.ended[code] = sample.ended.get(code, 0) + count
    return sample


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def _subscriber_worker(
    target: str,
    metadata: tuple[tuple[str, str], ...],
    streams: int,
    window: tuple[float, float],
    per_message: int,
) -> tuple[list[int], dict[str, int]]:
    import uvloop

    return uvloop.run(_subscribe(target, metadata, streams, window, per_message))


async def _subscribe(
    target: str,
    metadata: tuple[tuple[str, str], ...],
    streams: int,
    window: tuple[float, float],
    per_message: int,
) -> tuple[list[int], dict[str, int]]:
    """Every measured event's lag, and how many streams ended early with which status (a stream
    that falls too far behind is cut off with RESOURCE_EXHAUSTED: its events count as undelivered)."""
    window_start, window_end = window
    lags_us: list[int] = []
    ended: dict[str, int] = {}
    async with grpc.aio.insecure_channel(target) as channel:
        stub = subscription_pb2_grpc.SubscriptionServiceStub(channel)
        request = subscription_pb2.StreamEventsRequest(from_now=True, max_events_per_message=per_message)
        calls = [stub.StreamEvents(request, metadata=metadata) for _ in range(streams)]

        async def read(call: grpc.aio.UnaryStreamCall) -> None:
            try:
                await follow(call)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.CANCELLED:
                    ended[error.code().name] = ended.get(error.code().name, 0) + 1

        async def follow(call: grpc.aio.UnaryStreamCall) -> None:
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
    return lags_us, ended
