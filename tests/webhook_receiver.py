"""A webhook receiver for tests: a real HTTP server (Starlette on uvicorn, on a free loopback port)
that records every request and answers from a script (status, headers, delay, a gate to hold the
answer until the test opens it), then with its default answer (204 unless the test sets another)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
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

    @property
    def type(self) -> str:
        return str(self.envelope["type"])

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split()


@dataclass(frozen=True)
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0
    hold: asyncio.Event | None = None  # answer only once this is set


@dataclass
class Receiver:
    port: int = 0
    script: list[Answer] = field(default_factory=list)  # answers used in order, then `default`
    default: Answer = field(default_factory=Answer)
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    holding: list[asyncio.Event] = field(default_factory=list)  # gates of answers held so far

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        async with asyncio.timeout(timeout_s), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def wait_for_match(
        self, predicate: Callable[[Received], bool], timeout_s: float = 10.0
    ) -> Received:
        """The first request received (so far or later) that `predicate` accepts."""
        async with asyncio.timeout(timeout_s), self.arrived:
            await self.arrived.wait_for(lambda: any(predicate(got) for got in self.received))
        return next(got for got in self.received if predicate(got))

    def of_type(self, type_name: str) -> list[Received]:
        return [got for got in self.received if got.type == type_name]

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(dict(request.headers), body, time.monotonic()))
        async with self.arrived:
            self.arrived.notify_all()
        answer = self.script.pop(0) if self.script else self.default
        if answer.hold is not None:
            self.holding.append(answer.hold)
            await answer.hold.wait()
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
        for gate in receiver.holding:  # a test that failed midway must not leave a request hanging
            gate.set()
        server.should_exit = True
        server.force_exit = True  # do not wait for a scripted slow answer to finish
        await task
