"""The HTTP bindings of the loyalty.v1 services, read from their google.api.http annotations.

Annotating a method in the proto is all it takes to expose it: the routes (rest/routes.py) and the
OpenAPI document (openapi.py) are both built from this one list. Methods without an annotation
(the login pages' internal methods) have no REST route.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import Descriptor, MethodDescriptor, ServiceDescriptor

from loyalty.v1 import activity_pb2, auth_pb2, ledger_pb2, subscription_pb2
from loyalty_gateway.rest.path_template import PathTemplate, parse

SERVICE_FILES = (auth_pb2, activity_pb2, ledger_pb2, subscription_pb2)
_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class HttpBinding:
    service: ServiceDescriptor
    method: MethodDescriptor
    http_method: str  # "GET", "POST", ...
    template: PathTemplate
    body: str  # "" (no body), "*" (the whole request) or a top-level field name

    @property
    def rpc_name(self) -> str:
        return self.method.name

    @property
    def request_type(self) -> Descriptor:
        return self.method.input_type

    @property
    def server_streaming(self) -> bool:
        return self.method.server_streaming

    def sort_key(self) -> tuple[int, int]:
        """Verb templates first, then the most literal: /v1/members/{id}:watch before /v1/members/{id}."""
        return (0 if self.template.verb else 1, -self.template.literal_length)


def _bindings_of(rule: http_pb2.HttpRule) -> list[tuple[str, str, str]]:
    found = []
    for current in (rule, *rule.additional_bindings):
        pattern = current.WhichOneof("pattern")
        if pattern in _VERBS:
            found.append((pattern.upper(), getattr(current, pattern), current.body))
        elif pattern == "custom":
            found.append((current.custom.kind.upper(), current.custom.path, current.body))
    return found


@cache
def http_bindings() -> tuple[HttpBinding, ...]:
    bindings = []
    for module in SERVICE_FILES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                if not options.HasExtension(annotations_pb2.http):
                    continue
                for http_method, path, body in _bindings_of(options.Extensions[annotations_pb2.http]):
                    _check_body(method, body)
                    bindings.append(HttpBinding(service, method, http_method, parse(path), body))
    return tuple(sorted(bindings, key=HttpBinding.sort_key))


def _check_body(method: MethodDescriptor, body: str) -> None:
    if body not in ("", "*") and body not in method.input_type.fields_by_name:
        raise ValueError(f"{method.full_name}: body {body!r} is not a field of its request")
