"""One Starlette route per path template of the protos' HTTP bindings, dispatching on the method.

Templates are matched on the raw path (see path_template.py), most specific first, so
`/v1/members/{member_id}:watch` wins over `/v1/members/{member_id}`. A path that matches with
another method answers 405 with Allow. Unary methods answer JSON; server-streaming ones answer
Server-Sent Events (sse.py).
"""

from __future__ import annotations

from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from loyalty_gateway.rest.http_rules import HttpBinding, http_bindings
from loyalty_gateway.rest.path_template import PathTemplate
from loyalty_gateway.rest.sse import stream_response
from loyalty_gateway.rest.transcode import TranscodeError, build_request, response_json
from loyalty_gateway.rpc_errors import RpcFailure, gateway_failure
from loyalty_gateway.upstream import BadHeader, Upstream, forwarded_metadata

# Answers read by other standards' libraries, which refuse empty members (a JWKS with "y": "" for an
# Ed25519 key): only the fields that are set.
SPARSE_RESPONSES = frozenset({"loyalty.v1.AuthService.GetJwks"})


class RestRoute(BaseRoute):
    """The bindings sharing one path template; `path` is the template (the metrics' route label)."""

    def __init__(self, template: PathTemplate, bindings: dict[str, HttpBinding], upstream: Upstream) -> None:
        self.template = template
        self.path = template.text
        self.bindings = bindings  # by HTTP method
        self.upstream = upstream

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        values = self.template.match(path.split("?", 1)[0])
        if values is None:
            return Match.NONE, {}
        child = {"path_params": values, "endpoint": self.handle}
        method = scope["method"]
        return (Match.FULL if method in self.bindings or method == "HEAD" else Match.PARTIAL), child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        binding = self.bindings.get(request.method) or self.bindings.get(
            "GET" if request.method == "HEAD" else ""
        )
        if binding is None:
            allow = ", ".join(sorted(self.bindings))
            failure = gateway_failure(
                grpc.StatusCode.UNIMPLEMENTED,
                "METHOD_NOT_ALLOWED",
                f"{request.method} {self.path}: use {allow}",
            )
            response: Response = JSONResponse(failure.as_json(), status_code=405, headers={"allow": allow})
        else:
            response = await call(self.upstream, binding, request)
        await response(scope, receive, send)


async def call(upstream: Upstream, binding: HttpBinding, request: Request) -> Response:
    try:
        message = build_request(
            binding,
            request.path_params,
            list(request.query_params.multi_items()),
            await request.body() if binding.body else b"",
        )
    except TranscodeError as exc:
        return gateway_failure(
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", str(exc), field=exc.field
        ).response()
    try:
        metadata = forwarded_metadata(request.headers)
    except BadHeader as exc:
        return gateway_failure(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_HEADER", str(exc)).response()
    stub_method = getattr(upstream.stub_for(binding.service.full_name), binding.method.name)
    if binding.server_streaming:
        return await stream_response(
            upstream.streams,
            stub_method,
            message,
            metadata,
            request,
            headers_timeout_s=upstream.call_timeout_s,
        )
    try:
        reply: Any = await stub_method(message, metadata=metadata, timeout=upstream.call_timeout_s)
    except grpc.aio.AioRpcError as exc:
        return RpcFailure.of(exc).response()
    sparse = binding.method.full_name in SPARSE_RESPONSES
    return JSONResponse(response_json(reply, sparse=sparse), headers={"cache-control": "no-store"})


def rest_routes(upstream: Upstream) -> list[BaseRoute]:
    by_template: dict[str, dict[str, HttpBinding]] = {}
    templates: dict[str, PathTemplate] = {}
    for binding in http_bindings():  # already most specific first
        text = binding.template.text
        templates.setdefault(text, binding.template)
        methods = by_template.setdefault(text, {})
        assert binding.http_method not in methods, f"two bindings for {binding.http_method} {text}"
        methods[binding.http_method] = binding
    return [RestRoute(templates[text], methods, upstream) for text, methods in by_template.items()]
