"""The gateway's OpenAPI 3.1 document, served at /openapi.json, and its docs page at /docs.

The REST part is generated from the same HTTP bindings the routes are built from (rest/http_rules.py),
so the document cannot drift from what the gateway serves; the partner API and the operational
endpoints have no protos and are written by hand (openapi_partner.py). The document is built once,
on first use, off the event loop (reading the protos' comments runs protoc).
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from typing import Any

from google.api import annotations_pb2
from google.rpc import status_pb2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import loyalty_server
from loyalty_gateway import docs_page
from loyalty_gateway.openapi_comments import proto_comments
from loyalty_gateway.openapi_partner import TAGS as PARTNER_TAGS
from loyalty_gateway.openapi_partner import partner_paths, partner_responses, partner_schemas
from loyalty_gateway.openapi_schemas import (
    Schema,
    SchemaBuilder,
    first_sentence,
    is_map,
    is_repeated,
    is_required,
    is_well_known,
)
from loyalty_gateway.rest.http_rules import SERVICE_FILES, HttpBinding, http_bindings
from loyalty_gateway.rest.transcode import QUERY_STRING_MESSAGES
from loyalty_server.auth.policy import rule_for
from loyalty_server.config import Settings

OPENAPI_VERSION = "3.1.0"
TITLE = "Loyalty engine API"
CACHE_CONTROL = "public, max-age=300"  # changes only with a new release
JSON_TYPE = "application/json"
EVENT_STREAM = "text/event-stream"
SECURED = [{"bearerAuth": []}]

DESCRIPTION = """\
REST over the loyalty engine's gRPC services, and the partner API.

JSON follows protobuf's proto3 JSON mapping: lowerCamelCase field names (requests also accept the \
proto names), 64-bit integers as strings, enums by name, times as RFC 3339 strings. Unknown fields \
are refused (400). Every error of the REST routes is a `google.rpc.Status` with a \
`google.rpc.ErrorInfo` (domain `loyalty.v1`) among its details; HTTP statuses follow \
`google.rpc.Code`. Streaming methods answer Server-Sent Events.

Authenticate with `Authorization: Bearer <JWT>` (from `POST /v1/oauth/token`). Admins may name the \
tenant of one call in `X-Loyalty-Tenant`."""


_BUILD_LOCK = threading.Lock()  # built once, even when the first requests come together


def build_openapi() -> dict[str, Any]:
    """The whole document: pure data, computed once. Callers must not change it."""
    with _BUILD_LOCK:
        return _build()


@cache
def _build() -> dict[str, Any]:
    builder = SchemaBuilder(proto_comments())
    paths: dict[str, dict[str, Any]] = {}
    for binding, operation_id in _operation_ids(http_bindings()):
        operations = paths.setdefault(binding.template.openapi_path, {})
        method = binding.http_method.lower()
        assert method not in operations, f"two operations for {method} {binding.template.text}"
        operations[method] = _operation(builder, binding, operation_id)
    builder.message(status_pb2.Status.DESCRIPTOR)  # every error answer: components.responses.Error
    for path, operations in partner_paths().items():
        assert path not in paths, path
        paths[path] = operations
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": loyalty_server.__version__, "description": DESCRIPTION},
        "tags": [*_service_tags(builder.comments), *PARTNER_TAGS],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted({**builder.components, **partner_schemas()}.items())),
            "parameters": _shared_parameters(),
            "responses": {"Error": _error_response(), **partner_responses()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A token from POST /v1/oauth/token (or the partner token endpoint).",
                }
            },
        },
    }


@cache
def _document_bytes() -> tuple[bytes, str]:
    body = json.dumps(build_openapi(), separators=(",", ":"), ensure_ascii=False).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _operation_ids(bindings: tuple[HttpBinding, ...]) -> list[tuple[HttpBinding, str]]:
    """`<Service>_<Method>`; the method's additional bindings get `_2`, `_3`... in annotation order
    (not the routes' matching order, which puts the most specific template first)."""
    named = []
    for binding in bindings:
        number = _binding_number(binding)
        suffix = f"_{number}" if number > 1 else ""
        named.append((binding, f"{binding.service.name}_{binding.rpc_name}{suffix}"))
    return named


def _binding_number(binding: HttpBinding) -> int:
    rule = binding.method.GetOptions().Extensions[annotations_pb2.http]
    for number, current in enumerate((rule, *rule.additional_bindings), start=1):
        pattern = current.WhichOneof("pattern")
        if pattern == "custom":
            verb, path = current.custom.kind.upper(), current.custom.path
        else:
            verb, path = (pattern or "").upper(), getattr(current, pattern) if pattern else ""
        if (verb, path) == (binding.http_method, binding.template.text):
            return number
    raise AssertionError(f"{binding.method.full_name}: {binding.template.text} is not among its bindings")


def _operation(builder: SchemaBuilder, binding: HttpBinding, operation_id: str) -> dict[str, Any]:
    method = binding.method
    comment = builder.comments.get(method.full_name, "")
    grpc_name = f"/{binding.service.full_name}/{method.name}"
    rule = rule_for(grpc_name)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [binding.service.name],
        "summary": first_sentence(comment) if comment else _words(method.name),
        "description": comment,
        "parameters": _parameters(builder, binding),
        "responses": {"200": _success(builder, binding), "default": {"$ref": "#/components/responses/Error"}},
        "security": [] if rule is not None and rule.open else SECURED,
        "x-grpc-method": grpc_name,
    }
    body = _request_body(builder, binding)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _words(name: str) -> str:
    """`GetBalance` -> `Get balance`: a summary when there is no comment."""
    spaced = "".join(f" {char.lower()}" if char.isupper() else char for char in name).strip()
    return spaced[:1].upper() + spaced[1:]


def _parameters(builder: SchemaBuilder, binding: HttpBinding) -> list[Schema]:
    parameters = [_path_parameter(builder, binding, variable) for variable in binding.template.variables]
    if binding.body != "*":
        taken = {variable.split(".")[0] for variable in binding.template.variables} | {binding.body}
        parameters += _query_parameters(builder, binding, taken)
    parameters += [
        {"$ref": "#/components/parameters/Tenant"},
        {"$ref": "#/components/parameters/RequestId"},
    ]
    if binding.server_streaming and "after_sequence" in binding.request_type.fields_by_name:
        parameters.append({"$ref": "#/components/parameters/LastEventId"})
    return parameters


def _path_parameter(builder: SchemaBuilder, binding: HttpBinding, variable: str) -> Schema:
    descriptor, field = binding.request_type, None
    for name in variable.split("."):
        field = descriptor.fields_by_name[name]
        descriptor = field.message_type
    assert field is not None
    schema = builder.value(field)
    if schema.get("type") == "string":
        schema["minLength"] = 1  # an empty segment matches no template
    parameter = {"name": variable, "in": "path", "required": True, "schema": schema}
    comment = builder.comments.get(field.full_name)
    if comment:
        parameter["description"] = comment
    return parameter


def _query_parameters(builder: SchemaBuilder, binding: HttpBinding, taken: set[str]) -> list[Schema]:
    """Every field not in the path or body: scalars, enums, repeated scalars (the parameter
    repeated) and well-known string forms; a message field's own such fields as `field.sub`, one
    level deep. Maps and repeated messages cannot be query parameters."""
    parameters = []
    for field in binding.request_type.fields:
        if field.name in taken or is_map(field):
            continue
        if _is_query_leaf(field):
            parameters.append(_query_parameter(builder, field.json_name, field, required=is_required(field)))
        elif not is_repeated(field):
            for child in field.message_type.fields:
                if _is_query_leaf(child):
                    name = f"{field.json_name}.{child.json_name}"
                    parameters.append(_query_parameter(builder, name, child, required=False))
    return parameters


def _is_query_leaf(field: Any) -> bool:
    if is_map(field):
        return False
    return field.message_type is None or field.message_type.full_name in QUERY_STRING_MESSAGES


def _query_parameter(builder: SchemaBuilder, name: str, field: Any, *, required: bool) -> Schema:
    value = builder.value(field)
    schema = {"type": "array", "items": value} if is_repeated(field) else value
    parameter: Schema = {"name": name, "in": "query", "required": required, "schema": schema}
    if is_repeated(field):
        parameter.update(style="form", explode=True)  # eventTypes=A&eventTypes=B
    comment = builder.comments.get(field.full_name)
    if comment:
        parameter["description"] = comment
    return parameter


def _request_body(builder: SchemaBuilder, binding: HttpBinding) -> Schema | None:
    if not binding.body:
        return None
    in_path = frozenset(binding.template.variables)
    request = binding.request_type
    if binding.body == "*":
        schema = builder.object_schema(request, in_path) if in_path else builder.message(request)
        described = "The request message, without the fields in the path."
    else:
        field = request.fields_by_name[binding.body]
        inner = frozenset(v.split(".", 1)[1] for v in in_path if v.startswith(binding.body + "."))
        schema = builder.field(field, inner)
        described = f"The request's `{field.json_name}`; the other fields are query parameters."
    return {"required": True, "description": described, "content": {JSON_TYPE: {"schema": schema}}}


def _success(builder: SchemaBuilder, binding: HttpBinding) -> Schema:
    reply = binding.method.output_type
    if not binding.server_streaming:
        return {
            "description": f"A {reply.full_name}.",
            "content": {JSON_TYPE: {"schema": builder.message(reply)}},
        }
    return {
        "description": (
            f"Server-Sent Events, one per {reply.full_name}: `event` is the name of the item set in "
            "its oneof, `data` that item's JSON, `id` its sequence (send it back as `Last-Event-ID` "
            "to resume). A failure after the stream started is an `error` event with a "
            "google.rpc.Status, and ends the stream."
        ),
        "content": {EVENT_STREAM: {"schema": _event_schema(builder, binding)}},
    }


def _event_schema(builder: SchemaBuilder, binding: HttpBinding) -> Schema:
    """One event of the stream (before OpenAPI 3.2, an event stream's schema describes one event)."""
    reply = binding.method.output_type
    if reply.oneofs:  # the first oneof names the event (rest/sse.py)
        items = [(field.name, field.message_type) for field in reply.oneofs[0].fields]
    else:
        items = [("message", reply)]
    items.append(("error", status_pb2.Status.DESCRIPTOR))
    variants = []
    for name, descriptor in items:
        data: Schema = {"type": "string", "contentMediaType": JSON_TYPE}
        if descriptor is not None and not is_well_known(descriptor):
            data["contentSchema"] = builder.message(descriptor)
        variants.append(
            {
                "type": "object",
                "properties": {"event": {"const": name}, "data": data, "id": {"type": "string"}},
                "required": ["event", "data"],
            }
        )
    return {"oneOf": variants}


def _service_tags(comments: dict[str, str]) -> list[Schema]:
    tags = []
    for module in SERVICE_FILES:
        for service in module.DESCRIPTOR.services_by_name.values():
            tag: Schema = {"name": service.name}
            if comments.get(service.full_name):
                tag["description"] = comments[service.full_name]
            tags.append(tag)
    return tags


def _shared_parameters() -> dict[str, Schema]:
    return {
        "Tenant": {
            "name": "x-loyalty-tenant",
            "in": "header",
            "required": False,
            "description": "Admins only: the tenant code this call acts in (default: the admin's own).",
            "schema": {"type": "string"},
        },
        "RequestId": {
            "name": "x-request-id",
            "in": "header",
            "required": False,
            "description": "A correlation id for the logs; not an idempotency key (that is `requestId`).",
            "schema": {"type": "string"},
        },
        "LastEventId": {
            "name": "Last-Event-ID",
            "in": "header",
            "required": False,
            "description": "Resume after this event sequence (an EventSource sends it when it reconnects).",
            "schema": {"type": "string", "pattern": "^[0-9]{1,20}$"},
        },
    }


def _error_response() -> Schema:
    return {
        "description": (
            "A google.rpc.Status: `code` is the gRPC code, `details` hold a google.rpc.ErrorInfo "
            '(`"@type": "type.googleapis.com/google.rpc.ErrorInfo"`, `reason`, `domain` "loyalty.v1", '
            "`metadata`) and, for bad input, a google.rpc.BadRequest. HTTP statuses follow "
            "google.rpc.Code: 400, 401, 403, 404, 409, 429, 499, 500, 501, 503, 504."
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait, on 429 and 503.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "content": {JSON_TYPE: {"schema": {"$ref": "#/components/schemas/google.rpc.Status"}}},
    }


def openapi_routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/openapi.json", _openapi_json, methods=["GET"]),
        Route("/docs", _docs, methods=["GET"]),
        Route(docs_page.STYLESHEET_PATH, _stylesheet, methods=["GET"]),
    ]


async def _openapi_json(request: Request) -> Response:
    body, etag = await run_in_threadpool(_document_bytes)
    headers = {"cache-control": CACHE_CONTROL, "etag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON_TYPE, headers=headers)


async def _docs(_request: Request) -> Response:
    page = await run_in_threadpool(_docs_html)
    return Response(page, media_type="text/html; charset=utf-8", headers=docs_page.PAGE_HEADERS)


@cache
def _docs_html() -> str:
    return docs_page.render(build_openapi())


async def _stylesheet(_request: Request) -> Response:
    return Response(
        docs_page.stylesheet(),
        media_type="text/css; charset=utf-8",
        headers={"cache-control": CACHE_CONTROL, "x-content-type-options": "nosniff"},
    )
