"""The auth interceptor: every call is authenticated from its bearer token and authorized against
the policy table before the servicer runs; the servicer finds the caller in `current_principal()`.

It sits inside the CallInterceptor, which turns the DomainErrors raised here into rich statuses.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import grpc

from loyalty_server.auth.authenticate import Authenticator
from loyalty_server.auth.policy import AccessRule, authorize, method_not_allowed, rule_for
from loyalty_server.principal import Principal, principal_var


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self, authenticator: Authenticator, extra_rules: Mapping[str, AccessRule] | None = None
    ) -> None:
        self.authenticator = authenticator
        self.extra_rules = dict(extra_rules or {})

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        rule = rule_for(method, self.extra_rules)
        if rule is not None and rule.open:
            return handler
        return self._guard(handler, method, rule)

    async def _admit(
        self, context: grpc.aio.ServicerContext, method: str, rule: AccessRule | None
    ) -> Principal:
        if rule is None:
            raise method_not_allowed(method)
        principal = await self.authenticator.authenticate(context.invocation_metadata())
        authorize(principal, rule)
        return principal

    def _guard(
        self, handler: grpc.RpcMethodHandler, method: str, rule: AccessRule | None
    ) -> grpc.RpcMethodHandler:
        options = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method, rule), **options
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, method, rule), **options
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                self._stream(handler.stream_stream, method, rule), **options
            )

        # Client streaming is not part of the contract: closed by default, never let through unchecked.
        async def refuse(_requests: Any, _context: grpc.aio.ServicerContext) -> Any:
            raise method_not_allowed(method)

        return grpc.stream_unary_rpc_method_handler(refuse, **options)

    def _unary(
        self, behavior: Callable[..., Any], method: str, rule: AccessRule | None
    ) -> Callable[..., Awaitable[Any]]:
        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = principal_var.set(await self._admit(context, method, rule))
            try:
                result = behavior(request, context)
                return await result if inspect.isawaitable(result) else result
            finally:
                principal_var.reset(token)

        return unary

    def _stream(
        self, behavior: Callable[..., Any], method: str, rule: AccessRule | None
    ) -> Callable[..., AsyncIterator[Any]]:
        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            token = principal_var.set(await self._admit(context, method, rule))
            try:
                result = behavior(request, context)
                if hasattr(result, "__aiter__"):
                    async for item in result:
                        yield item
                elif inspect.isawaitable(result):
                    await result
            finally:
                principal_var.reset(token)

        return stream
