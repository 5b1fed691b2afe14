"""The OpenAPI document (issue #7): valid OpenAPI 3.1 that schemathesis loads, every HTTP binding an
operation, every $ref resolvable, and schemas that the proto3 JSON of real messages satisfies. Also
its two routes, /openapi.json and the script-free /docs page."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from google.protobuf import descriptor_pool, json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.rpc import error_details_pb2
from schemathesis.core.result import Ok
from starlette.applications import Starlette

from loyalty_gateway import docs_page
from loyalty_gateway.openapi import build_openapi, openapi_routes
from loyalty_gateway.openapi_comments import proto_comments
from loyalty_gateway.openapi_schemas import REF_PREFIX
from loyalty_gateway.rest.http_rules import http_bindings
from loyalty_server.auth.policy import rule_for
from tests.integration.test_schemathesis import for_schemathesis
from tests.support import make_settings

PARTNER_OPERATIONS = {
    ("get", "/oauth/authorize"),
    ("post", "/oauth/token"),
    ("post", "/oauth/deactivate"),
    ("post", "/api/activities"),
    ("post", "/api/points"),
    ("get", "/healthz"),
    ("get", "/metrics"),
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
FILL_DEPTH_MAX = 4  # deep enough to reach every field of every loyalty.v1 message at least once


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = document
    for key in reference[2:].split("/"):
        assert isinstance(node, dict), reference
        assert key in node, f"{reference}: no {key!r}"
        node = node[key]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def parameters_of(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(document, p["$ref"]) if "$ref" in p else p for p in operation.get("parameters", [])]


# --- the document as a whole ----------------------------------------------------------------------


def test_schemathesis_loads_and_validates_the_document(document: dict[str, Any]) -> None:
    schemathesis.openapi.from_dict(copy.deepcopy(document)).validate()  # the OpenAPI 3.1 meta-schema
    schema = schemathesis.openapi.from_dict(for_schemathesis(document))
    problems = [str(result.err()) for result in schema.get_all_operations() if not isinstance(result, Ok)]
    assert not problems, problems
    tested = sum(1 for _ in schema.get_all_operations())
    assert tested == sum(1 for _ in operations(document)) - 3  # two event streams, one HTML page


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    found = set(references(document))
    assert found, "no $ref at all?"
    for reference in found:
        resolve(document, reference)


def test_every_component_is_used(document: dict[str, Any]) -> None:
    used = {ref.removeprefix(REF_PREFIX) for ref in references(document) if ref.startswith(REF_PREFIX)}
    unused = set(document["components"]["schemas"]) - used
    assert not unused, f"components nothing refers to: {sorted(unused)}"


def test_every_binding_is_an_operation(document: dict[str, Any]) -> None:
    bindings = http_bindings()
    for binding in bindings:
        item = document["paths"].get(binding.template.openapi_path)
        assert item is not None, binding.template.text
        operation = item.get(binding.http_method.lower())
        assert operation is not None, f"{binding.http_method} {binding.template.text}"
        assert operation["x-grpc-method"] == f"/{binding.service.full_name}/{binding.rpc_name}"
        assert operation["tags"] == [binding.service.name]
    everything = {(method, path) for path, method, _ in operations(document)}
    assert len(everything) == len(bindings) + len(PARTNER_OPERATIONS)
    assert everything >= PARTNER_OPERATIONS


def test_operation_ids_are_unique_and_number_additional_bindings(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert "LedgerService_GetBalance" in ids
    # RedeemReward: /v1/members/{member.member_id}:redeemReward, then /v1/members:redeemReward.
    by_id = {op["operationId"]: path for path, _, op in operations(document)}
    assert by_id["LedgerService_RedeemReward"] == "/v1/members/{member.member_id}:redeemReward"
    assert by_id["LedgerService_RedeemReward_2"] == "/v1/members:redeemReward"


def test_path_variables_are_exactly_the_path_parameters(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        parameters = [p for p in parameters_of(document, operation) if p["in"] == "path"]
        assert {p["name"] for p in parameters} == in_path, f"{method} {path}"
        assert all(p["required"] for p in parameters), f"{method} {path}"


def test_security_follows_the_servers_policy(document: dict[str, Any]) -> None:
    open_paths = set()
    for path, _, operation in operations(document):
        grpc_method = operation.get("x-grpc-method")
        if grpc_method is None:  # partner and ops: credentials in the request, or none
            assert operation["security"] in ([], [{}, {"bearerAuth": []}]), path
            continue
        rule = rule_for(grpc_method)
        if rule is not None and rule.open:
            assert operation["security"] == []
            open_paths.add(path)
        else:
            assert operation["security"] == [{"bearerAuth": []}]
    assert open_paths == {
        "/v1/oauth/token",
        "/v1/oauth/revoke",
        "/v1/oauth/deactivate",
        "/v1/oauth/jwks",
        "/.well-known/jwks.json",
    }
    assert document["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"


def test_errors_are_google_rpc_status(document: dict[str, Any]) -> None:
    status = document["components"]["schemas"]["google.rpc.Status"]
    assert set(status["properties"]) == {"code", "message", "details"}
    assert status["properties"]["details"]["items"]["required"] == ["@type"]
    for _, _, operation in operations(document):
        if "x-grpc-method" in operation:
            assert operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}


# --- request mapping --------------------------------------------------------------------------------


def test_body_star_means_no_query_parameters_and_no_path_fields(document: dict[str, Any]) -> None:
    update = document["paths"]["/v1/members/{member.member_id}"]["patch"]
    assert not [p for p in parameters_of(document, update) if p["in"] == "query"]
    body = update["requestBody"]["content"]["application/json"]["schema"]
    member = body["properties"]["member"]
    assert "memberId" not in member["properties"]  # in the path
    assert "email" in member["properties"]
    enroll = document["paths"]["/v1/members"]["post"]
    assert enroll["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF_PREFIX + "loyalty.v1.EnrollMemberRequest"
    }


def test_without_body_every_other_field_is_a_query_parameter(document: dict[str, Any]) -> None:
    stream = document["paths"]["/v1/events:stream"]["get"]
    assert "requestBody" not in stream
    query = {p["name"]: p for p in parameters_of(document, stream) if p["in"] == "query"}
    assert {"eventTypes", "memberId", "afterSequence", "fromNow", "heartbeatIntervalSeconds"} <= set(query)
    assert query["eventTypes"]["schema"]["type"] == "array"
    assert query["eventTypes"]["explode"] is True
    assert query["afterSequence"]["schema"]["pattern"] == "^-?[0-9]+$"  # int64: a string
    headers = {p["name"] for p in parameters_of(document, stream) if p["in"] == "header"}
    assert headers == {"x-loyalty-tenant", "x-request-id", "Last-Event-ID"}
    balance = document["paths"]["/v1/members/{member_id}/balance"]["get"]
    names = {p["name"] for p in parameters_of(document, balance) if p["in"] == "query"}
    assert not {"memberId", "member_id"} & names  # in the path


def test_nested_query_parameters_are_dotted_json_names(document: dict[str, Any]) -> None:
    names = set()
    for _, method, operation in operations(document):
        if method == "get":
            names |= {p["name"] for p in parameters_of(document, operation) if p["in"] == "query"}
    dotted = {name for name in names if "." in name}
    assert dotted, "some GET takes a message field (e.g. a filter) as dotted parameters"
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*", name) for name in dotted), dotted


def test_streams_are_server_sent_events(document: dict[str, Any]) -> None:
    for path in ("/v1/events:stream", "/v1/members/{member_id}:watch"):
        answer = document["paths"][path]["get"]["responses"]["200"]
        events = answer["content"]["text/event-stream"]["schema"]["oneOf"]
        names = {event["properties"]["event"]["const"] for event in events}
        assert {"heartbeat", "error"} <= names
    watch = document["paths"]["/v1/members/{member_id}:watch"]["get"]["responses"]["200"]
    names = {
        e["properties"]["event"]["const"] for e in watch["content"]["text/event-stream"]["schema"]["oneOf"]
    }
    assert names == {"snapshot", "heartbeat", "error"}


# --- the JSON mapping --------------------------------------------------------------------------------


def test_scalar_mapping(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    member = schemas["loyalty.v1.Member"]
    assert "memberId" in member["properties"]
    assert "member_id" not in member["properties"]
    assert member["additionalProperties"] is False
    assert member["properties"]["status"]["$ref"] == REF_PREFIX + "loyalty.v1.MemberStatus"
    assert member["properties"]["status"]["readOnly"] is True  # OUTPUT_ONLY
    assert schemas["loyalty.v1.MemberStatus"]["enum"][0] == "MEMBER_STATUS_UNSPECIFIED"
    assert member["properties"]["attributes"]["additionalProperties"] == {"type": "string"}
    times = [p for p in member["properties"].values() if p.get("format") == "date-time"]
    assert times
    assert all(p["type"] == "string" for p in times)
    adjust = schemas["loyalty.v1.AdjustPointsRequest"]
    assert adjust["properties"]["points"]["type"] == "string"  # int64
    assert "requestId" in adjust["required"]  # REQUIRED


def _sample(field: FieldDescriptor) -> Any:
    """A value json_format accepts for a scalar field, not the zero value (so it is printed)."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values[-1].number
    return {
        FieldDescriptor.TYPE_STRING: "text",
        FieldDescriptor.TYPE_BOOL: True,
        FieldDescriptor.TYPE_DOUBLE: 1.5,
        FieldDescriptor.TYPE_FLOAT: 0.5,
        FieldDescriptor.TYPE_BYTES: b"\x00\xff",
        FieldDescriptor.TYPE_INT64: -(2**62),
        FieldDescriptor.TYPE_UINT64: 2**63,
        FieldDescriptor.TYPE_INT32: -7,
        FieldDescriptor.TYPE_UINT32: 7,
    }.get(field.type, 3)


def _fill(message: Message, depth: int = 0) -> Message:
    """Every field set (the first member of each oneof), nested messages down to FILL_DEPTH_MAX."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        message.FromJsonString("2026-03-01T12:00:00.250Z")  # type: ignore[attr-defined]
        return message
    if descriptor.full_name == "google.protobuf.FieldMask":
        message.FromJsonString("displayName,email")  # type: ignore[attr-defined]
        return message
    if descriptor.full_name == "google.protobuf.Any":
        message.Pack(error_details_pb2.ErrorInfo(reason="SOME_REASON", domain="loyalty.v1"))  # type: ignore[attr-defined]
        return message
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and message.WhichOneof(oneof.name) is not None:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.message_type is None:
                getattr(message, field.name)["key"] = _sample(value_field)
            continue
        if field.message_type is not None:
            if depth >= FILL_DEPTH_MAX:
                continue
            target = getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
            _fill(target, depth + 1)
            if not field.is_repeated:
                target.SetInParent()
        elif field.is_repeated:
            getattr(message, field.name).append(_sample(field))
        else:
            setattr(message, field.name, _sample(field))
    return message


def _json_of(message: Message) -> Any:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def _errors(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    rooted = {**schema, "components": document["components"]}  # so "#/components/..." resolves
    return [str(error) for error in jsonschema_rs.Draft202012Validator(rooted).iter_errors(instance)]


def test_real_messages_satisfy_their_schemas(document: dict[str, Any]) -> None:
    """The mapping's proof: the proto3 JSON of every message in the document, every field filled
    (and again empty), is valid against its schema: names, patterns, enums, maps, well-known types."""
    pool = descriptor_pool.Default()
    lenient = _without_required(document)
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        if schema.get("type") != "object" or name.startswith(("partner.", "ops.")):
            continue
        message_class = GetMessageClass(pool.FindMessageTypeByName(name))
        errors = _errors(document, schema, _json_of(_fill(message_class())))
        assert not errors, f"{name}: {errors[:3]}"
        # Empty: every zero value as printed ("0", "", the first enum name), REQUIRED aside.
        errors = _errors(lenient, lenient["components"]["schemas"][name], _json_of(message_class()))
        assert not errors, f"{name} (empty): {errors[:3]}"
        checked += 1
    assert checked > 100


def test_request_bodies_are_the_request_without_its_path_fields(document: dict[str, Any]) -> None:
    for binding in http_bindings():
        if binding.body != "*":
            continue
        body = _json_of(_fill(GetMessageClass(binding.request_type)()))
        for variable in binding.template.variables:  # as the client leaves them out of the body
            *parents, leaf = [_camel(name) for name in variable.split(".")]
            target = body
            for parent in parents:
                target = target[parent]
            del target[leaf]
        operation = document["paths"][binding.template.openapi_path][binding.http_method.lower()]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        errors = _errors(document, schema, body)
        assert not errors, f"{binding.http_method} {binding.template.text}: {errors[:3]}"


def _without_required(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _without_required(v) for k, v in node.items() if not (k == "required" and isinstance(v, list))
        }
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_the_protos_comments_become_descriptions(document: dict[str, Any]) -> None:
    if not proto_comments():
        pytest.skip("no proto sources or grpc_tools here: the document has no descriptions")
    balance = document["paths"]["/v1/members/{member_id}/balance"]["get"]
    assert balance["summary"].startswith("Reads a member's balances")
    member_ref = document["components"]["schemas"]["loyalty.v1.MemberRef"]
    assert "oneof `ref`" in member_ref["description"]
    statuses = document["components"]["schemas"]["loyalty.v1.MemberStatus"]["description"]
    assert "- `MEMBER_STATUS_ACTIVE`: " in statuses
    ledger = next(tag for tag in document["tags"] if tag["name"] == "LedgerService")
    assert "source of truth" in ledger["description"]


def test_partner_api(document: dict[str, Any]) -> None:
    token = document["paths"]["/oauth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert set(token["responses"]) == {"200", "400", "401", "403", "429", "500", "503"}
    error = document["components"]["schemas"]["partner.Error"]
    assert "1081" in error["properties"]["error_code"]["enum"]
    points = document["components"]["schemas"]["partner.PointsResponse"]
    assert points["properties"]["total_rewards_points"]["type"] == "string"
    sample = {"success_code": "2000", "transaction_id": "1234567890123456"}
    schema = {"$ref": REF_PREFIX + "partner.ActivitySuccess", "components": document["components"]}
    assert jsonschema_rs.Draft202012Validator(schema).is_valid(sample)


# --- the routes ---------------------------------------------------------------------------------------


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=openapi_routes(make_settings(tmp_path, f"sqlite:///{tmp_path}/unused.db")))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def test_openapi_json_is_served_and_cacheable(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == document
    assert "max-age" in answer.headers["cache-control"]
    again = await client.get("/openapi.json", headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304
    assert not again.content


async def test_docs_page_needs_no_script(client: httpx.AsyncClient, document: dict[str, Any]) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none'; style-src 'self'")
    text = page.text
    for forbidden in ("<script", "<img", "<iframe", " style="):  # no code, nothing inline
        assert forbidden not in text.lower()
    assert not re.search(r"<[^>]*\son[a-z]+=", text)  # no event handler attributes
    assert all(href.startswith(("#", "/")) for href in re.findall(r'href="([^"]*)"', text))  # same origin
    assert 'href="/openapi.json"' in text
    for _, _, operation in operations(document):
        assert f'id="op-{operation["operationId"]}"' in text
    assert 'href="#schema-loyalty.v1.Member"' in text
    css = await client.get(docs_page.STYLESHEET_PATH)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_docs_page_escapes_everything() -> None:
    hostile = "<script>alert(1)</script> & `<b>`"
    document = {
        "openapi": "3.1.0",
        "info": {"title": hostile, "version": '"1"', "description": hostile},
        "tags": [{"name": hostile, "description": hostile}],
        "paths": {
            "/x/{id}": {
                "get": {
                    "operationId": '"><img src=x>',
                    "tags": [hostile],
                    "summary": hostile,
                    "description": hostile,
                    "parameters": [{"name": hostile, "in": "path", "schema": {"type": hostile}}],
                    "responses": {"200": {"description": hostile}},
                }
            }
        },
        "components": {"schemas": {hostile: {"type": "object", "properties": {hostile: {"$ref": hostile}}}}},
    }
    page = docs_page.render(document)
    for markup in ("<script", "<img", "<b>"):
        assert markup not in page
    assert "&lt;script&gt;" in page
    assert "<code>&lt;b&gt;</code>" in page  # a `code` span, its content still escaped
