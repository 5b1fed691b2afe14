"""The baseline: every loyalty.v1 method answered at once with an empty response.

It is registered under the real service names, so the baseline server runs the very same stack as
the engine (grpc.aio options, interceptors with request ids, the access log and authentication,
the event loop): the only difference is the servicer. Requests are still parsed, as the engine's are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from loyalty.v1 import activity_pb2, auth_pb2, ledger_pb2, subscription_pb2
from loyalty_server.runtime.services import ServiceRegistration

_SERVICES: tuple[ServiceDescriptor, ...] = (
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    activity_pb2.DESCRIPTOR.services_by_name["ActivityService"],
    ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"],
    subscription_pb2.DESCRIPTOR.services_by_name["SubscriptionService"],
)


def _handler(method: MethodDescriptor) -> grpc.RpcMethodHandler:
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    empty = response_class()
    options: dict[str, Any] = {
        "request_deserializer": request_class.FromString,
        "response_serializer": response_class.SerializeToString,
    }
    if method.server_streaming:

        async def stream(_request: Any, _context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            return
            yield  # an async generator that ends at once

        return grpc.unary_stream_rpc_method_handler(stream, **options)

    async def unary(_request: Any, _context: grpc.aio.ServicerContext) -> Any:
        return empty

    return grpc.unary_unary_rpc_method_handler(unary, **options)


def _registration(service: ServiceDescriptor) -> ServiceRegistration:
    handlers = {method.name: _handler(method) for method in service.methods}

    def add(_servicer: object, server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))

    return ServiceRegistration(service.full_name, add, lambda _app: None)


def noop_services() -> list[ServiceRegistration]:
    return [_registration(service) for service in _SERVICES]
