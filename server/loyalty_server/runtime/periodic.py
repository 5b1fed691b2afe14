"""Background jobs inside the server process: a round every `interval_s` until the server stops.

A round that fails is logged and tried again next time: every job is written so that a half-done or
repeated round leaves the data consistent (each unit of work is its own transaction, re-checked
under its lock), which is also what makes several replicas running the same job safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from loyalty_server.logs import log_event
from loyalty_server.tasks import being_cancelled

logger = logging.getLogger("loyalty.jobs")

Round = Callable[[], Awaitable[Mapping[str, int] | None]]  # returns counts worth logging, if any


class PeriodicJob:
    def __init__(self, name: str, run_round: Round, interval_s: float) -> None:
        assert interval_s > 0, f"{name}: interval_s must be positive"
        self.name = name
        self.run_round = run_round
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        assert self._task is None, f"{self.name} already started"
        self._task = asyncio.create_task(self._loop(), name=f"job-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                counts = await self.run_round()
                if counts and any(counts.values()):
                    log_event(logger, f"{self.name} round", **counts)
            except Exception as exc:
                if being_cancelled():
                    raise
                log_event(logger, f"{self.name} round failed", logging.ERROR, error=type(exc).__name__)
            await asyncio.sleep(self.interval_s)
