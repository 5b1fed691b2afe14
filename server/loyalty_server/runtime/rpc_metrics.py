"""gRPC call metrics: calls by service, method and status code, and the latency of unary calls.

Recording sits on the path of every call (and the benchmark measures it), so it is plain Python
arithmetic on the event loop's thread: each method has a `MethodRecorder`, made on its first call,
holding one `CallStats` per status code; a call is a dict lookup, two increments and a bisect of
the bucket bounds. No lock, no allocation. prometheus_client's own Counter and Histogram take a lock
per value (a few microseconds a call); here the work is done once per scrape instead, by a collector
that turns the stats into the usual `_total`, `_bucket`, `_count` and `_sum` series.

A scrape from another thread (the `metrics_address` exporter) reads stats the loop may be changing:
it copies each table first, and derives a histogram's count from the buckets it copied, so every
series it shows is consistent in itself.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

import grpc
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

UNKNOWN = "unknown"  # the service and method label of a call to a method no service registered
# Unary calls: from well under a millisecond (a cached read) to the client's deadline.
RPC_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = "loyalty_rpc_requests"
DURATION = "loyalty_rpc_duration_seconds"
LABELS = ("service", "method", "code")


def split_method(method: str) -> tuple[str, str]:
    """'/loyalty.v1.LedgerService/GetBalance' -> ('loyalty.v1.LedgerService', 'GetBalance')."""
    _, _, path = method.partition("/")
    service, slash, name = path.rpartition("/")
    if not slash or not service or not name:
        return UNKNOWN, UNKNOWN
    return service, name


class CallStats:
    """The calls of one method that ended with one code."""

    __slots__ = ("buckets", "calls", "sum_s")

    def __init__(self) -> None:
        self.calls = 0
        self.buckets = [0] * (len(RPC_BUCKETS_S) + 1)  # the last one: above every bound (+Inf)
        self.sum_s = 0.0


class MethodRecorder:
    __slots__ = ("by_code", "method", "service")

    def __init__(self, method: str) -> None:
        self.service, self.method = split_method(method)
        self.by_code: dict[grpc.StatusCode, CallStats] = {}

    def record(self, code: grpc.StatusCode, duration_s: float | None) -> None:
        """One call ended with `code`; `duration_s` is None for a stream (its length is no latency)."""
        stats = self.by_code.get(code)
        if stats is None:
            stats = self.by_code[code] = CallStats()
        stats.calls += 1
        if duration_s is not None:
            stats.buckets[bisect_left(RPC_BUCKETS_S, duration_s)] += 1  # the first bound >= it: "le"
            stats.sum_s += duration_s


class RpcMetrics(Collector):
    """The recorders of one server, and the collector that shows them. Register it in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._recorders: dict[str, MethodRecorder] = {}
        if registry is not None:
            registry.register(self)

    def recorder(self, method: str) -> MethodRecorder:
        """The recorder of a registered method (the caller makes sure it is one: labels stay bounded)."""
        recorder = self._recorders.get(method)
        if recorder is None:
            recorder = self._recorders[method] = MethodRecorder(method)
        return recorder

    def unknown_method(self) -> None:
        """A call to a method no service has: grpc answers UNIMPLEMENTED itself."""
        self.recorder(UNKNOWN).record(grpc.StatusCode.UNIMPLEMENTED, None)

    def describe(self) -> Iterator[Metric]:
        """The names, so the registry refuses another metric of the same name."""
        yield CounterMetricFamily(REQUESTS, "", labels=LABELS)
        yield HistogramMetricFamily(DURATION, "", labels=LABELS)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            REQUESTS,
            "gRPC calls handled, by service, method and status code (a stream counts when it ends).",
            labels=LABELS,
        )
        duration = HistogramMetricFamily(
            DURATION, "Time to handle a unary gRPC call, by service, method and status code.", labels=LABELS
        )
        for recorder in self._recorders.copy().values():
            for code, stats in recorder.by_code.copy().items():
                labels = [recorder.service, recorder.method, code.name]
                requests.add_metric(labels, stats.calls)
                buckets, sum_s = list(stats.buckets), stats.sum_s
                if any(buckets):
                    duration.add_metric(labels, _cumulative(buckets), sum_s)
        yield requests
        yield duration


def _cumulative(buckets: list[int]) -> list[tuple[str, float]]:
    bounds = [*(floatToGoString(bound) for bound in RPC_BUCKETS_S), "+Inf"]
    total, shown = 0, []
    for bound, count in zip(bounds, buckets, strict=True):
        total += count
        shown.append((bound, float(total)))
    return shown
