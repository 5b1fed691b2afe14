"""HTTP request -> request message, by the rules of google.api.http.

The body (all of it for `body: "*"`, or one field), then path variables, then query parameters for
the remaining fields. JSON goes through protobuf's own json_format (either field-name spelling is
accepted; unknown fields are refused). Query values are strings and are converted by field type.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from loyalty_gateway.rest.http_rules import HttpBinding

QUERY_PARAMETERS_MAX = 100  # distinct names and repeated values together
JSON_DEPTH_MAX = 32  # deeper than any loyalty.v1 message; stops pathological nesting early
_TRUE, _FALSE = ("true", "1"), ("false", "0")


class TranscodeError(ValueError):
    """Bad input for this request: the message says which parameter or field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def request_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def build_request(
    binding: HttpBinding, path_values: dict[str, str], query: list[tuple[str, str]], body: bytes
) -> Message:
    request = request_class(binding.request_type)()
    _merge_body(binding, request, body)
    for field_path, value in path_values.items():
        _set_leaf(request, field_path, [value], where="path")
    for path, (name, values) in _grouped(binding.request_type, query).items():
        if binding.body == "*":
            raise TranscodeError(name, "this method takes its fields in the JSON body, not the query string")
        if path.split(".")[0] in (binding.body, *_top_fields(path_values)):
            raise TranscodeError(name, "already given in the path or body")
        _set_leaf(request, name, values, where="query")
    return request


def _top_fields(path_values: dict[str, str]) -> list[str]:
    return [path.split(".")[0] for path in path_values]


def _grouped(descriptor: Descriptor, query: list[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """(name as first sent, values) by the field's proto path: `pageSize` and `page_size` are one
    parameter. Errors name the parameter as the caller spelled it."""
    if len(query) > QUERY_PARAMETERS_MAX:
        raise TranscodeError("", f"at most {QUERY_PARAMETERS_MAX} query parameters")
    grouped: dict[str, tuple[str, list[str]]] = {}
    for name, value in query:
        grouped.setdefault(_proto_path(descriptor, name), (name, []))[1].append(value)
    return grouped


def _proto_path(descriptor: Descriptor, dotted: str) -> str:
    """`page.pageSize` -> `page.page_size`; unknown names are left for _set_leaf to refuse."""
    names = []
    current: Descriptor | None = descriptor
    for name in dotted.split("."):
        field = _field_named(current, name) if current is not None else None
        names.append(field.name if field is not None else name)
        current = field.message_type if field is not None else None
    return ".".join(names)


def _merge_body(binding: HttpBinding, request: Message, body: bytes) -> None:
    if not binding.body:
        return
    document = parse_json(body) if body.strip() else {}
    if binding.body == "*":
        target, where = request, ""
    else:
        field = request.DESCRIPTOR.fields_by_name[binding.body]
        if field.type != FieldDescriptor.TYPE_MESSAGE or _is_repeated(field):
            document, target, where = {binding.body: document}, request, ""
        else:
            target, where = getattr(request, binding.body), binding.body
    if not isinstance(document, dict):
        raise TranscodeError(where, "the body must be a JSON object")
    try:
        json_format.ParseDict(
            document, target, ignore_unknown_fields=False, max_recursion_depth=JSON_DEPTH_MAX
        )
    except json_format.ParseError as exc:
        raise TranscodeError(where, _short(exc)) from None


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TranscodeError("", f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise TranscodeError("", "the body is nested too deeply") from None


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]


def _is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated


def _field_named(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(name)
    if field is not None:
        return field
    return next((f for f in descriptor.fields if f.json_name == name), None)


def _set_leaf(request: Message, dotted: str, values: list[str], *, where: str) -> None:
    """Walk `a.b.c` through singular message fields and set the last one from strings."""
    target, names = request, dotted.split(".")
    for depth, name in enumerate(names):
        field = _field_named(target.DESCRIPTOR, name)
        if field is None:
            raise TranscodeError(dotted, f"not a field of {target.DESCRIPTOR.name} ({where} parameter)")
        if depth == len(names) - 1:
            _set_values(target, field, values, dotted)
            return
        if field.type != FieldDescriptor.TYPE_MESSAGE or _is_repeated(field):
            raise TranscodeError(dotted, f"{name} is not a message field")
        target = getattr(target, field.name)


def _set_values(target: Message, field: FieldDescriptor, values: list[str], dotted: str) -> None:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        raise TranscodeError(dotted, "maps cannot be given as parameters")
    if not _is_repeated(field) and len(values) > 1:
        raise TranscodeError(dotted, "given more than once")
    if field.type == FieldDescriptor.TYPE_MESSAGE and not _is_well_known_scalar(field.message_type):
        raise TranscodeError(dotted, "a message: send it in a JSON body")
    converted = [_convert(field, value, dotted) for value in values]
    document = {field.name: converted if _is_repeated(field) else converted[0]}
    try:
        json_format.ParseDict(document, target, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise TranscodeError(dotted, _short(exc)) from None


# Well-known types a query parameter can carry as one string (the rest only in a JSON body); the
# OpenAPI document describes the same set.
QUERY_STRING_MESSAGES = frozenset(
    {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.Int32Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",
        "google.protobuf.BoolValue",
    }
)


def _is_well_known_scalar(descriptor: Descriptor) -> bool:
    return descriptor.full_name in QUERY_STRING_MESSAGES


def _convert(field: FieldDescriptor, value: str, dotted: str) -> Any:
    """A query or path string as json_format wants it: only booleans need converting."""
    is_bool = field.type == FieldDescriptor.TYPE_BOOL or (
        field.message_type is not None and field.message_type.full_name == "google.protobuf.BoolValue"
    )
    if not is_bool:
        return value
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise TranscodeError(dotted, f"expected true or false, got {value[:50]!r}")


def response_json(message: Message, *, sparse: bool = False) -> dict[str, Any]:
    """Every field, zero values included: clients see the whole shape the OpenAPI document shows."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=not sparse)
