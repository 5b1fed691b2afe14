"""The pure parts of the server's metrics and tracing: label splitting, the per-method recorder and its
cache, points flows by tenant code, webhook failure classes, the settings, tracing without the
package, spans and their attributes, and the gateway's /metrics showing a second registry."""

from __future__ import annotations

import datetime as dt
import sys

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace import StatusCode as SpanStatus
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

from loyalty_gateway.metrics import GatewayMetrics
from loyalty_server.config import Settings, load_settings
from loyalty_server.errors import ConfigError
from loyalty_server.runtime.metrics import ServerMetrics
from loyalty_server.runtime.rpc_metrics import RPC_BUCKETS_S, UNKNOWN, split_method
from loyalty_server.runtime.tracing import build_tracer
from loyalty_server.webhooks.dispatch import FAILURE_REASONS, failure_reason
from loyalty_server.webhooks.http_attempt import AttemptResult

GET_BALANCE = "/loyalty.v1.LedgerService/GetBalance"


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_methods_split_into_service_and_name() -> None:
    assert split_method(GET_BALANCE) == ("loyalty.v1.LedgerService", "GetBalance")
    assert split_method("/grpc.health.v1.Health/Check") == ("grpc.health.v1.Health", "Check")
    for odd in ("", "/", "GetBalance", "//x", "/svc/"):
        assert split_method(odd) == (UNKNOWN, UNKNOWN)


def test_a_method_recorder_counts_by_code_and_times_unary_calls_only() -> None:
    metrics = ServerMetrics()
    recorder = metrics.rpc.recorder(GET_BALANCE)
    assert metrics.rpc.recorder(GET_BALANCE) is recorder  # made once per method
    recorder.record(grpc.StatusCode.OK, 0.002)
    recorder.record(grpc.StatusCode.OK, 0.004)
    recorder.record(grpc.StatusCode.NOT_FOUND, 0.001)
    recorder.record(grpc.StatusCode.CANCELLED, None)  # a stream: counted, not timed
    metrics.rpc.unknown_method()
    got = samples(metrics.exposition())
    labels = (("code", "OK"), ("method", "GetBalance"), ("service", "loyalty.v1.LedgerService"))
    assert got[("loyalty_rpc_requests_total", labels)] == 2
    assert got[("loyalty_rpc_duration_seconds_count", labels)] == 2
    assert got[("loyalty_rpc_duration_seconds_sum", labels)] == pytest.approx(0.006)
    assert got[("loyalty_rpc_duration_seconds_bucket", (*labels[:1], ("le", "0.0025"), *labels[1:]))] == 1
    not_found = (("code", "NOT_FOUND"), *labels[1:])
    assert got[("loyalty_rpc_requests_total", not_found)] == 1
    cancelled = (("code", "CANCELLED"), *labels[1:])
    assert got[("loyalty_rpc_requests_total", cancelled)] == 1
    assert ("loyalty_rpc_duration_seconds_count", cancelled) not in got  # no latency series at all
    unknown = (("code", "UNIMPLEMENTED"), ("method", UNKNOWN), ("service", UNKNOWN))
    assert got[("loyalty_rpc_requests_total", unknown)] == 1


def test_a_duration_on_a_bound_falls_in_that_bucket_and_beyond_all_in_inf() -> None:
    metrics = ServerMetrics()
    recorder = metrics.rpc.recorder(GET_BALANCE)
    stats_before = recorder.by_code.get(grpc.StatusCode.OK)
    for duration in (0.0, 0.001, 0.0011, 99.0):
        recorder.record(grpc.StatusCode.OK, duration)
    assert stats_before is None
    assert recorder.by_code[grpc.StatusCode.OK].buckets == [1, 1, 1] + [0] * (len(RPC_BUCKETS_S) - 3) + [1]
    got = samples(metrics.exposition())
    labels = (("code", "OK"), ("method", "GetBalance"), ("service", "loyalty.v1.LedgerService"))

    def bucket(le: str) -> float:
        return got[("loyalty_rpc_duration_seconds_bucket", (*labels[:1], ("le", le), *labels[1:]))]

    assert (bucket("0.0005"), bucket("0.001"), bucket("0.0025"), bucket("10.0"), bucket("+Inf")) == (
        1,
        2,
        3,
        3,
        4,
    )
    assert got[("loyalty_rpc_duration_seconds_count", labels)] == 4


def test_the_call_metrics_names_are_taken_in_their_registry() -> None:
    metrics = ServerMetrics()
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Counter("loyalty_rpc_requests", "again", registry=metrics.registry)


def test_committed_points_flows_are_labelled_with_the_tenant_code() -> None:
    metrics = ServerMetrics(tenant_code={1: "default", 2: "Germany"}.__getitem__)
    metrics.points.committed({("issued", 1, "permanent"): 88, ("expired", 2, "temporary"): 5})
    metrics.points.committed({("issued", 1, "permanent"): 12, ("redeemed", 1, "permanent"): 40})
    got = samples(metrics.exposition())
    assert got[("loyalty_points_issued_total", (("currency", "permanent"), ("tenant", "default")))] == 100
    assert got[("loyalty_points_redeemed_total", (("currency", "permanent"), ("tenant", "default")))] == 40
    assert got[("loyalty_points_expired_total", (("currency", "temporary"), ("tenant", "Germany")))] == 5


def test_the_subscriber_gauge_reads_its_source_when_scraped() -> None:
    metrics = ServerMetrics()
    count = [3]
    metrics.watch_subscribers(lambda: count[0])
    assert samples(metrics.exposition())[("loyalty_stream_subscribers", ())] == 3
    count[0] = 0
    assert samples(metrics.exposition())[("loyalty_stream_subscribers", ())] == 0


def test_webhook_lag_and_failures() -> None:
    metrics = ServerMetrics()
    metrics.webhooks.delivered(0.2)
    metrics.webhooks.delivered(-0.01)  # the sender's clock a little behind the writer's: 0
    metrics.webhooks.failed("http_5xx")
    metrics.webhooks.failed("http_5xx")
    got = samples(metrics.exposition())
    assert got[("loyalty_webhook_delivery_lag_seconds_count", ())] == 2
    assert got[("loyalty_webhook_delivery_lag_seconds_sum", ())] == pytest.approx(0.2)
    assert got[("loyalty_webhook_delivery_failures_total", (("reason", "http_5xx"),))] == 2


def _attempt(status: int = 0, error: str = "") -> AttemptResult:
    return AttemptResult(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), status, 12, "", error, None)


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (_attempt(error="timeout after 2s"), "timeout"),
        (_attempt(error="connection refused"), "connection"),
        (_attempt(error="ConnectError: [Errno -2] Name or service not known"), "connection"),
        (_attempt(error="SSLError: certificate verify failed"), "connection"),
        (_attempt(error="URL_NOT_ALLOWED: 10.0.0.1 is a private address"), "url_check"),
        (_attempt(error="URL_UNRESOLVABLE: hooks.example does not resolve"), "url_check"),
        (_attempt(410), "gone"),
        (_attempt(404), "http_4xx"),
        (_attempt(429), "http_4xx"),
        (_attempt(500), "http_5xx"),
        (_attempt(503), "http_5xx"),
        (_attempt(302), "http_other"),
    ],
)
def test_failed_attempts_fall_into_few_classes(result: AttemptResult, reason: str) -> None:
    assert failure_reason(result) == reason
    assert reason in FAILURE_REASONS


def test_metrics_and_tracing_settings() -> None:
    assert (Settings().metrics_address, Settings().tracing) == ("", False)
    settings = load_settings(environ={"LOYALTY_METRICS_ADDRESS": "127.0.0.1:9464", "LOYALTY_TRACING": "on"})
    assert (settings.metrics_address, settings.tracing) == ("127.0.0.1:9464", True)
    with pytest.raises(ConfigError, match="metrics_address"):
        load_settings(environ={"LOYALTY_METRICS_ADDRESS": "9464"})


def test_tracing_off_builds_no_tracer() -> None:
    assert build_tracer(Settings()) is None


def test_tracing_without_the_package_is_a_config_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # what `import opentelemetry` sees when absent
    monkeypatch.delitem(sys.modules, "loyalty_server.runtime.otel_spans", raising=False)
    with pytest.raises(ConfigError, match="opentelemetry package is not installed"):
        build_tracer(Settings(tracing=True))


def test_a_call_span_carries_the_rpc_attributes_and_nothing_else() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = build_tracer(Settings(tracing=True), provider)
    assert tracer is not None
    parent_trace = "0af7651916cd43dd8448eb211c80319c"
    metadata = (
        ("authorization", "Bearer secret-token"),
        ("traceparent", f"00-{parent_trace}-b7ad6b7169203331-01"),
        ("baggage", "member=m_123"),
    )
    tracer.start(GET_BALANCE, "req-1", metadata).end(grpc.StatusCode.NOT_FOUND)
    tracer.start(GET_BALANCE, "req-2", ()).end(grpc.StatusCode.INTERNAL)
    first, second = exporter.get_finished_spans()
    assert first.name == "loyalty.v1.LedgerService/GetBalance"
    assert first.kind is SpanKind.SERVER
    assert dict(first.attributes or {}) == {
        "rpc.system": "grpc",
        "rpc.service": "loyalty.v1.LedgerService",
        "rpc.method": "GetBalance",
        "loyalty.request_id": "req-1",
        "rpc.grpc.status_code": grpc.StatusCode.NOT_FOUND.value[0],
    }
    assert format(first.context.trace_id, "032x") == parent_trace  # the caller's trace goes on
    assert first.status.status_code is SpanStatus.UNSET  # NOT_FOUND is the caller's business
    assert second.status.status_code is SpanStatus.ERROR
    assert second.parent is None


def test_the_gateway_shows_another_registry_after_its_own() -> None:
    server = CollectorRegistry()
    Counter("loyalty_rpc_requests", "calls", registry=server).inc(3)
    gateway = GatewayMetrics(also_expose=[server])
    gateway.in_flight.inc()
    got = samples(gateway.exposition())
    assert got[("loyalty_rpc_requests_total", ())] == 3
    assert got[("loyalty_gateway_requests_in_flight", ())] == 1
