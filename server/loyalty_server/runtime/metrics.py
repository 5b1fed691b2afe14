"""The server's Prometheus metrics: calls, points, live streams, webhook deliveries.

Each LoyaltyServer owns one ServerMetrics with its own CollectorRegistry (never prometheus_client's
global one: a process may run several servers, the tests run many). Labels are bounded: a method is
one the server registered (the interceptor only sees those; anything else is `unknown`), a code a
grpc.StatusCode name, a tenant one of the few tenants, a currency one of its program's, a failure
reason one of `webhooks.dispatch.FAILURE_REASONS`. Never a member, a token, a URL or a value.

The call metrics are on the path of every RPC and have a lock-free recorder of their own
(runtime/rpc_metrics.py); the others change at most once per write, stream or webhook attempt
and use prometheus_client's metrics as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from loyalty_server.ledger.flows import FlowKey
from loyalty_server.runtime.rpc_metrics import RpcMetrics

# Webhook lag: a live receiver answers in well under a second; a retried one after minutes or hours.
WEBHOOK_LAG_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600)


class PointsMetrics:
    """Points issued, redeemed and expired by committed transactions (see ledger/flows.py)."""

    def __init__(self, registry: CollectorRegistry, tenant_code: Callable[[int], str]) -> None:
        labels = ["tenant", "currency"]
        self._tenant_code = tenant_code
        self._by_flow: dict[str, Counter] = {
            "issued": Counter(
                "loyalty_points_issued",
                "Points issued to members (out of program/issuance), committed.",
                labels,
                registry=registry,
            ),
            "redeemed": Counter(
                "loyalty_points_redeemed",
                "Points members spent (into program/redemption), committed.",
                labels,
                registry=registry,
            ),
            "expired": Counter(
                "loyalty_points_expired",
                "Points that expired (into program/expiry), committed.",
                labels,
                registry=registry,
            ),
        }

    def committed(self, totals: Mapping[FlowKey, int]) -> None:
        for (flow, tenant_id, currency), points in totals.items():
            self._by_flow[flow].labels(self._tenant_code(tenant_id), currency).inc(points)


class WebhookMetrics:
    """What the delivery worker saw: how late successful deliveries were, and why attempts failed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lag = Histogram(
            "loyalty_webhook_delivery_lag_seconds",
            "Time from an event's creation to its successful delivery to an endpoint (retries included).",
            buckets=WEBHOOK_LAG_BUCKETS_S,
            registry=registry,
        )
        self.failures = Counter(
            "loyalty_webhook_delivery_failures",
            "Webhook delivery attempts that failed, by reason class.",
            ["reason"],
            registry=registry,
        )

    def delivered(self, lag_s: float) -> None:
        self.lag.observe(max(lag_s, 0.0))  # clocks of the writer and the sender may differ a little

    def failed(self, reason: str) -> None:
        self.failures.labels(reason).inc()


class ServerMetrics:
    """All of one server's metrics, in its own registry."""

    def __init__(self, tenant_code: Callable[[int], str] = str) -> None:
        self.registry = CollectorRegistry()
        self.rpc = RpcMetrics(self.registry)
        self.points = PointsMetrics(self.registry, tenant_code)
        self.webhooks = WebhookMetrics(self.registry)
        self.stream_subscribers = Gauge(
            "loyalty_stream_subscribers",
            "Live event subscribers of this process (StreamEvents and WatchMember calls).",
            registry=self.registry,
        )

    def watch_subscribers(self, count: Callable[[], int]) -> None:
        """The gauge reads the hub's count when scraped: nothing to keep up to date on the stream path."""
        self.stream_subscribers.set_function(count)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
