"""A webhook receiver for tests: a real HTTP server (Starlette on uvicorn, on a free loopback port)
that records every request and answers from a script (status, headers, delay), then 204."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at_monotonic: float

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def envelope(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0


@dataclass
class Receiver:
    port: int = 0
    script: list[Answer] = field(default_factory=list)  # answers used in order, then 204
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        async with asyncio.timeout(timeout_s), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(dict(request.headers), body, time.monotonic()))
        async with self.arrived:
            self.arrived.notify_all()
        answer = self.script.pop(0) if self.script else Answer()
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_receiver(port: int = 0) -> AsyncIterator[Receiver]:
    receiver = Receiver(port or free_port())
    app = Starlette(routes=[Route("/hooks", receiver._handle, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn has no started event; 5 s at most
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the receiver did not start"
    try:
        yield receiver
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for a scripted slow answer to finish
        await task
