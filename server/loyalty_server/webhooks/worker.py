"""The webhook worker of one process: the relay (events → deliveries) and the sender (deliveries →
HTTP attempts), each a loop woken by new work and otherwise polling.

At most `concurrency` attempts are in flight. Stopping cancels them: their leases run out and they
are attempted again later (receivers dedupe by webhook-id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.events.feed import TenantCodes
from loyalty_server.logs import log_event
from loyalty_server.tasks import being_cancelled
from loyalty_server.webhooks.dispatch import Claim, DeliveryObserver, Rules, claim_due, record_outcome
from loyalty_server.webhooks.endpoints import current_secrets
from loyalty_server.webhooks.http_attempt import post_webhook
from loyalty_server.webhooks.payload import webhook_body
from loyalty_server.webhooks.relay import RELAY_BATCH_MAX, relay_round
from loyalty_server.webhooks.sealing import SecretBox
from loyalty_server.webhooks.signing import webhook_headers
from loyalty_server.webhooks.urls import UrlPolicy

logger = logging.getLogger("loyalty.webhooks")
# A caught-up relay waits this long before its next round: every commit with events rings it, and a
# round is a write transaction of its own (the cursor), so under a write load it would take a turn
# of the one SQLite writer per commit. Webhooks are not that urgent: rounds gather what arrived.
RELAY_GAP_S = 0.05


class WebhookWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        box: SecretBox,
        url_policy: UrlPolicy,
        rules: Rules,
        *,
        concurrency: int,
        timeout_s: float,
        poll_interval_s: float,
    ) -> None:
        assert concurrency > 0
        assert timeout_s < rules.lease_s, "an attempt must end before its lease does"
        self.engine = engine
        self.clock = clock
        self.box = box
        self.url_policy = url_policy
        self.rules = rules
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        self._codes = TenantCodes()
        self._rng = random.Random()
        self._relay_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self.observer: DeliveryObserver | None = None  # told of each committed outcome (the metrics)

    def events_arrived(self) -> None:
        self._relay_wake.set()

    def deliveries_due(self) -> None:
        self._send_wake.set()

    async def start(self) -> None:
        assert not self._tasks, "worker already started"
        # No connection reuse across attempts: each goes to the address checked for it.
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(max_keepalive_connections=0), trust_env=False, verify=True
        )
        self._tasks = [
            asyncio.create_task(self._relay_loop(), name="webhook-relay"),
            asyncio.create_task(self._send_loop(), name="webhook-send"),
        ]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._in_flight]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._in_flight, return_exceptions=True)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _relay_loop(self) -> None:
        while True:
            await _wait(self._relay_wake, self.poll_interval_s)
            try:
                while True:
                    seen, created = await relay_round(self.engine, self.clock)
                    if created:
                        self.deliveries_due()
                    if seen < RELAY_BATCH_MAX:
                        break
            except Exception as exc:
                if being_cancelled():
                    raise
                log_event(logger, "webhook relay failed", logging.WARNING, error=type(exc).__name__)
            await asyncio.sleep(RELAY_GAP_S)

    async def _send_loop(self) -> None:
        while True:
            free = self.concurrency - len(self._in_flight)
            claimed: list[Claim] = []
            if free > 0:
                try:
                    claimed = await claim_due(
                        self.engine,
                        self.clock,
                        self._codes,
                        holder=self.holder,
                        lease_s=self.rules.lease_s,
                        limit=free,
                    )
                except Exception as exc:
                    if being_cancelled():
                        raise
                    log_event(logger, "webhook claim failed", logging.WARNING, error=type(exc).__name__)
            for claim in claimed:
                task = asyncio.create_task(self._attempt(claim), name=f"webhook-{claim.delivery_pk}")
                self._in_flight.add(task)
                task.add_done_callback(self._attempt_done)
            if free > 0 and len(claimed) == free:
                continue  # more may be due
            await _wait(self._send_wake, self.poll_interval_s)

    def _attempt_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._send_wake.set()

    async def _attempt(self, claim: Claim) -> None:
        assert self._client is not None
        try:
            async with self.engine.connect() as connection:
                secrets = await current_secrets(connection, self.box, claim.endpoint, self.clock.now())
            body = webhook_body(claim.event, claim.tenant_code)
            now = self.clock.now()
            headers = webhook_headers(secrets, claim.message_id, int(now.timestamp()), body)
            result = await post_webhook(
                self._client,
                claim.endpoint.url,
                headers,
                body,
                policy=self.url_policy,
                timeout_s=self.timeout_s,
                now=now,
            )
            await record_outcome(
                self.engine,
                self.clock,
                claim,
                result,
                self.rules,
                holder=self.holder,
                rng=self._rng,
                observer=self.observer,
            )
        except Exception as exc:  # the lease runs out and another round tries again
            if being_cancelled():
                raise
            log_event(logger, "webhook attempt failed", logging.ERROR, error=type(exc).__name__)


async def _wait(event: asyncio.Event, timeout_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    event.clear()
