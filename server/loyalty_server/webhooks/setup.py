"""The webhook parts one process runs, built from the settings: endpoints, deliveries, the worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.config import Settings
from loyalty_server.webhooks.backoff import RetryPolicy
from loyalty_server.webhooks.deliveries import Deliveries
from loyalty_server.webhooks.dispatch import Rules
from loyalty_server.webhooks.endpoints import Endpoints
from loyalty_server.webhooks.sealing import SecretBox
from loyalty_server.webhooks.urls import UrlPolicy
from loyalty_server.webhooks.worker import WebhookWorker


@dataclass(frozen=True, slots=True)
class Webhooks:
    endpoints: Endpoints
    deliveries: Deliveries
    worker: WebhookWorker


def build_webhooks(settings: Settings, engine: AsyncEngine, clock: Clock) -> Webhooks:
    box = SecretBox.open(Path(settings.data_dir))
    policy = UrlPolicy.from_settings(settings.webhook_allow_http, settings.webhook_allowed_networks)
    rules = Rules(
        retry=RetryPolicy(
            first_delay_s=settings.webhook_first_retry_s, window_s=settings.webhook_retry_window_s
        ),
        disable_after_s=settings.webhook_disable_after_s,
        lease_s=settings.webhook_lease_s,
    )
    worker = WebhookWorker(
        engine,
        clock,
        box,
        policy,
        rules,
        concurrency=settings.webhook_concurrency,
        timeout_s=settings.webhook_timeout_s,
        poll_interval_s=settings.webhook_poll_interval_s,
    )
    return Webhooks(Endpoints(engine, clock, box, policy), Deliveries(engine, clock), worker)
