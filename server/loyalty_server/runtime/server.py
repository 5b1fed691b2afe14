"""The grpc.aio server: start-up that fails fast, health and reflection, graceful shutdown.

Start-up order: program file, database (reachable, migrated, default tenant), then the port.
Anything wrong before the port opens is a `ConfigError`: one line, no half-started server.
Shutdown: health goes NOT_SERVING, streams are told to end, in-flight calls get a grace period,
then the database closes.

Each server has its own metrics (`metrics`, runtime/metrics.py), fed by the call interceptor, the
ledger's committed flows, the event hub and the webhook worker; `metrics_address` serves them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.activity.history import purge_readings
from loyalty_server.auth.gateway_account import ensure_gateway_account, mint_gateway_token
from loyalty_server.auth.setup import auth_interceptor, open_key_store, token_issuer
from loyalty_server.clock import Clock, SystemClock
from loyalty_server.config import Settings
from loyalty_server.errors import ConfigError, DomainError
from loyalty_server.events.hub import EventHub
from loyalty_server.events.retention import prune_events
from loyalty_server.ledger.expiry_job import run_round as expiry_round
from loyalty_server.ledger.flows import on_flows_committed
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tier_job import run_rounds as tier_rounds
from loyalty_server.logs import log_event
from loyalty_server.program.loader import load_program_document
from loyalty_server.program.registry import ProgramRegistry
from loyalty_server.runtime.context import AppContext
from loyalty_server.runtime.interceptors import CallInterceptor
from loyalty_server.runtime.metrics import ServerMetrics
from loyalty_server.runtime.metrics_http import MetricsEndpoint, serve_metrics
from loyalty_server.runtime.periodic import PeriodicJob
from loyalty_server.runtime.services import ServiceRegistration, loyalty_services
from loyalty_server.runtime.tls import check_plaintext_allowed, server_credentials
from loyalty_server.runtime.tracing import build_tracer
from loyalty_server.storage.engine import create_engine, display_url
from loyalty_server.storage.migrate import migrate
from loyalty_server.tenancy import ensure_default_tenant
from loyalty_server.webhooks.setup import Webhooks, build_webhooks

if TYPE_CHECKING:
    from loyalty_server.runtime.otel_spans import RpcTracer

logger = logging.getLogger("loyalty.server")

DB_CONNECT_TIMEOUT_S = 10.0
UNIX_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


def grpc_options(settings: Settings) -> list[tuple[str, int]]:
    """Limits and keepalive fit for long-lived streams behind proxies and load balancers."""
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.max_concurrent_streams", settings.max_concurrent_streams),
        # The server pings idle connections so dead peers are found and NATs keep the flow open.
        ("grpc.keepalive_time_ms", settings.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", settings.keepalive_timeout_ms),
        ("grpc.keepalive_permit_without_calls", 1),
        # Clients may ping as often as every 10 s, even with no call open, without being cut off.
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.so_reuseport", 0),  # two servers must not silently share a port
    ]


class GenericHandlersOnly:
    """The server as the generated `add_*_to_server` functions see it: their generic handlers go on,
    their registered-method handlers do not. grpc.aio (1.85) keeps a pending request per registered
    method and, after every call it accepts, waits on all of them again (`asyncio.wait` over some 90
    futures: about 50 us a call, more than GetBalance's own read); a generic handler is found by the
    method's name in a dict. The bench's baseline registers its handlers this way too."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self._server = server

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service_name: str, handlers: dict[str, Any]) -> None:
        """Not registered: the same handlers came in through add_generic_rpc_handlers just before."""


async def check_database(engine: AsyncEngine, url: str) -> None:
    try:
        async with asyncio.timeout(DB_CONNECT_TIMEOUT_S), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, OSError, TimeoutError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"database {display_url(url)}: cannot connect ({reason})") from None


class LoyaltyServer:
    """One engine process's gRPC side. `start()` then `stop()`; `grpc_port` is known after start.
    `tracer_provider`: where spans go when tracing is on (default: OpenTelemetry's global one)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        services: Sequence[ServiceRegistration] | None = None,
        tracer_provider: Any | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.services = list(loyalty_services() if services is None else services)
        self.app: AppContext | None = None
        self.grpc_port = 0
        self._server: grpc.aio.Server | None = None
        self._health = health.aio.HealthServicer()
        self._jobs: list[PeriodicJob] = []
        self.gateway_target = ""  # known after start: where an in-process gateway connects
        self._gateway_socket: Path | None = None
        self.metrics = ServerMetrics(tenant_code=self._tenant_code)  # exists before start: scrape any time
        self._tracer_provider = tracer_provider
        self._metrics_endpoint: MetricsEndpoint | None = None
        self._undo_flows: Callable[[], None] | None = None

    async def start(self) -> None:
        settings = self.settings
        program, document = load_program_document(settings.resolved_program)
        check_plaintext_allowed(settings, settings.grpc_address, "grpc_address")
        credentials = server_credentials(settings)
        tracer = build_tracer(settings, self._tracer_provider)  # tracing without the package: ConfigError
        engine = create_engine(
            settings.resolved_database_url,
            pool_size=settings.db_pool_size,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
        try:
            await check_database(engine, settings.resolved_database_url)
            await migrate(engine)
            default_tenant = await ensure_default_tenant(engine, self.clock)
            keys = open_key_store(settings, self.clock)
            programs = ProgramRegistry(program, document)
            await programs.refresh(engine)
            ledger = Ledger(engine, self.clock, programs.program_for)
            hub = EventHub(
                engine,
                poll_interval_s=settings.event_poll_interval_ms / 1000,
                buffer_max=settings.stream_buffer_events,
            )
            webhooks = build_webhooks(settings, engine, self.clock)
            hub.add_listener(webhooks.worker.events_arrived)
            self.app = AppContext(
                settings,
                engine,
                self.clock,
                program,
                default_tenant,
                keys,
                programs,
                ledger,
                hub,
                webhooks,
                self.metrics,
            )
            self._server = self._build_server(tracer)
            self.grpc_port = self._bind(credentials)
            self.gateway_target = self._bind_gateway_socket()
            # Last: nothing after it can fail, so no exporter thread outlives a failed start.
            self._metrics_endpoint = serve_metrics(settings, self.metrics.registry)
        except BaseException:
            await engine.dispose()
            raise
        self._observe(hub, webhooks)
        await self.app.hub.start()
        await self.app.webhooks.worker.start()
        await self._server.start()
        self._start_jobs()
        await self._set_serving(health_pb2.HealthCheckResponse.SERVING)
        log_event(
            logger,
            "serving",
            grpc_address=settings.grpc_address,
            grpc_port=self.grpc_port,
            tls=settings.tls_enabled,
            mutual_tls=bool(settings.tls_client_ca_file),
            database=display_url(settings.resolved_database_url),
            program=program.name,
            metrics_port=self._metrics_endpoint.port if self._metrics_endpoint else None,
            tracing=tracer is not None,
        )

    def _observe(self, hub: EventHub, webhooks: Webhooks) -> None:
        """Feed the metrics: committed points flows, the hub's subscribers, webhook outcomes."""
        assert self.app is not None
        self._undo_flows = on_flows_committed(self.app.engine.sync_engine, self.metrics.points.committed)
        self.metrics.watch_subscribers(lambda: hub.subscriber_count)
        webhooks.worker.observer = self.metrics.webhooks

    def _tenant_code(self, tenant_id: int) -> str:
        """The tenant label of the points metrics: its code (a tenant whose points move is loaded)."""
        if self.app is not None:
            try:
                return self.app.programs.loaded(tenant_id).tenant_code
            except DomainError:
                pass
        return str(tenant_id)

    def _start_jobs(self) -> None:
        assert self.app is not None
        app, settings = self.app, self.settings

        async def refresh_programs() -> dict[str, int]:
            return {"programs_changed": len(await app.programs.refresh(app.engine))}

        async def expire() -> dict[str, int]:
            return (await expiry_round(app.ledger))._asdict()

        async def evaluate_tiers() -> dict[str, int]:
            return {"evaluated_members": await tier_rounds(app.ledger)}

        async def purge_health_readings() -> dict[str, int]:
            return {"readings_purged": await purge_readings(app.engine, app.clock)}

        async def prune_outbox() -> dict[str, int]:
            deleted = await prune_events(app.engine, app.clock, retention_days=settings.event_retention_days)
            return {"events_deleted": deleted}

        self._jobs = [
            PeriodicJob("program-refresh", refresh_programs, settings.program_refresh_s),
            PeriodicJob("expiry", expire, settings.expiry_interval_s),
            PeriodicJob("tiers", evaluate_tiers, settings.tier_interval_s),
            PeriodicJob("health-purge", purge_health_readings, settings.health_purge_interval_s),
            PeriodicJob("event-retention", prune_outbox, settings.event_retention_interval_s),
        ]
        for job in self._jobs:
            job.start()

    def _build_server(self, tracer: RpcTracer | None) -> grpc.aio.Server:
        assert self.app is not None
        extra_rules = {method: rule for s in self.services for method, rule in s.access_rules.items()}
        # CallInterceptor first: it wraps the auth interceptor, so auth failures get rich statuses too.
        authenticate = auth_interceptor(
            self.app.engine, self.clock, self.settings, self.app.keys, extra_rules
        )
        server = grpc.aio.server(
            interceptors=[CallInterceptor(self.metrics.rpc, tracer), authenticate],
            options=grpc_options(self.settings),
        )
        generic_only = GenericHandlersOnly(server)
        for service in self.services:
            service.add_to_server(service.make_servicer(self.app), generic_only)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, generic_only)
        names = [s.full_name for s in self.services]
        names += [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, server)  # one registered method: it checks the type
        return server

    def _bind_gateway_socket(self) -> str:
        """Where the gateway run beside this server connects: a Unix socket of this process in the data
        dir. It works whatever grpc_address is and however TLS is set up (a TLS certificate need not
        be valid for a loopback name); calls over it are authenticated like any other. The TCP port
        on loopback is the fallback when the socket's path is too long for the system."""
        assert self._server is not None
        fallback = f"127.0.0.1:{self.grpc_port}"
        if not self.settings.gateway:
            return fallback
        path = Path(self.settings.data_dir).resolve() / f"gateway-{os.getpid()}.sock"
        if len(str(path)) > UNIX_SOCKET_PATH_MAX:
            return fallback
        path.parent.mkdir(parents=True, exist_ok=True)
        target = f"unix:{path}"
        local = grpc.local_server_credentials(grpc.LocalConnectionType.UDS)
        if self._server.add_secure_port(target, local) == 0:
            return fallback
        self._gateway_socket = path
        return target

    def _bind(self, credentials: grpc.ServerCredentials | None) -> int:
        assert self._server is not None
        address = self.settings.grpc_address
        try:
            if credentials is None:
                port = self._server.add_insecure_port(address)
            else:
                port = self._server.add_secure_port(address, credentials)
        except RuntimeError as exc:
            raise ConfigError(f"grpc_address {address}: cannot listen ({exc})") from None
        if port == 0:
            raise ConfigError(f"grpc_address {address}: cannot listen (address in use or not local)")
        return port

    def gateway_channel_credentials(self) -> grpc.ChannelCredentials | None:
        if self.gateway_target.startswith("unix:"):
            return grpc.local_channel_credentials(grpc.LocalConnectionType.UDS)
        return None

    async def gateway_token_fetch(self) -> Callable[[], Awaitable[tuple[str, dt.datetime]]]:
        """For the gateway run beside this server: internal tokens minted here, no secret involved."""
        assert self.app is not None, "start the server first"
        app = self.app
        await ensure_gateway_account(app.engine, app.default_tenant, app.clock.now())
        issuer = token_issuer(self.settings, app.keys)

        async def fetch() -> tuple[str, dt.datetime]:
            issued = mint_gateway_token(issuer, app.default_tenant, app.clock.now())
            return issued.token, issued.expires_at

        return fetch

    async def _set_serving(self, status: health_pb2.HealthCheckResponse.ServingStatus) -> None:
        await self._health.set("", status)
        for service in self.services:
            await self._health.set(service.full_name, status)

    async def stop(self, grace_s: float | None = None) -> None:
        """Drain and close. In-flight calls get `grace_s` (default: the setting) to finish."""
        if self._server is None or self.app is None:
            return
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        log_event(logger, "shutting down", grace_s=grace)
        await self._health.enter_graceful_shutdown()  # every service answers NOT_SERVING from here on
        self.app.shutting_down.set()
        self.app.hub.close_all()  # streams end with UNAVAILABLE; clients resume elsewhere
        for job in self._jobs:
            await job.stop()
        await self._server.stop(grace)
        await self.app.webhooks.worker.stop()
        await self.app.hub.stop()
        if self._undo_flows is not None:
            self._undo_flows()
            self._undo_flows = None
        if self._metrics_endpoint is not None:
            await self._metrics_endpoint.stop()
            self._metrics_endpoint = None
        await self.app.engine.dispose()
        if self._gateway_socket is not None:
            self._gateway_socket.unlink(missing_ok=True)
            self._gateway_socket = None
        self._server = None
        log_event(logger, "stopped")

    async def wait_for_termination(self) -> None:
        assert self._server is not None
        await self._server.wait_for_termination()
