"""What every servicer may use: settings, the database engine, the clock, programs, the shutdown signal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.auth.keys import KeyStore
from loyalty_server.clock import Clock
from loyalty_server.config import Settings
from loyalty_server.events.hub import EventHub
from loyalty_server.ledger.operations import Ledger
from loyalty_server.program import Program
from loyalty_server.program.registry import ProgramRegistry
from loyalty_server.runtime.metrics import ServerMetrics
from loyalty_server.tenancy import Tenant
from loyalty_server.webhooks.setup import Webhooks


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    program: Program  # the configured program: the default tenant's
    default_tenant: Tenant
    keys: KeyStore  # the access-token signing keys of the data dir
    programs: ProgramRegistry  # every tenant's program, refreshed from the database
    ledger: Ledger
    hub: EventHub  # this process's reader of the outbox, feeding live streams
    webhooks: Webhooks  # endpoints, deliveries and this process's delivery worker
    metrics: ServerMetrics  # this server's Prometheus metrics, in a registry of its own
    # Set when the server begins to shut down: long-lived streams end on it instead of being cut.
    shutting_down: asyncio.Event = field(default_factory=asyncio.Event)
