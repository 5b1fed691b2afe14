"""Helpers shared by the integration tests: an in-process server and a slow test-only service."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from loyalty_server.config import Settings
from loyalty_server.runtime.services import ServiceRegistration

SLOW_SERVICE = "loyalty.test.SlowService"
SLOW_METHOD = f"/{SLOW_SERVICE}/Sleep"


@dataclass
class SlowServicer:
    """Sleeps for the number of milliseconds in the request, then echoes it. Records what happened."""

    finished: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def sleep(self, request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
        duration_ms = int(request.decode())
        self.started.set()
        try:
            await asyncio.sleep(duration_ms / 1000)
        except asyncio.CancelledError:
            self.cancelled.append(duration_ms)
            raise
        self.finished.append(duration_ms)
        return request


def slow_service(servicer: SlowServicer) -> ServiceRegistration:
    def add(_servicer: object, server: grpc.aio.Server) -> None:
        handler = grpc.method_handlers_generic_handler(
            SLOW_SERVICE, {"Sleep": grpc.unary_unary_rpc_method_handler(servicer.sleep)}
        )
        server.add_generic_rpc_handlers((handler,))

    return ServiceRegistration(SLOW_SERVICE, add, lambda _app: servicer)


def make_settings(tmp_path: Path, database_url: str, **changes: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": str(tmp_path / "data"),
        "database_url": database_url,
        "grpc_address": "127.0.0.1:0",
        "gateway": False,
        "shutdown_grace_s": 5.0,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]
