"""Protobuf messages as JSON Schema (OpenAPI 3.1), as the gateway's JSON looks on the wire.

The wire form is protobuf's proto3 JSON mapping (google.protobuf.json_format): lowerCamelCase
names, 64-bit integers as strings, enums by name, well-known types in their special forms. Each
message and enum becomes one component named by its full name (`loyalty.v1.Member`); fields refer
to them with $ref, so recursive messages need nothing special.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

Schema = dict[str, Any]

REF_PREFIX = "#/components/schemas/"
INT64_PATTERN = "^-?[0-9]+$"
UINT64_PATTERN = "^[0-9]+$"
DURATION_PATTERN = r"^-?[0-9]+(\.[0-9]{1,9})?s$"
INT32_MIN, INT32_MAX, UINT32_MAX = -(2**31), 2**31 - 1, 2**32 - 1

_T = FieldDescriptor


def _for_each(types: tuple[int, ...], schema: Schema) -> dict[int, Schema]:
    return {kind: schema for kind in types}  # shared, never changed: value() hands out copies


_SCALARS: dict[int, Schema] = {
    _T.TYPE_STRING: {"type": "string"},
    _T.TYPE_BOOL: {"type": "boolean"},
    _T.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _T.TYPE_FLOAT: {"type": "number", "format": "float"},
    _T.TYPE_BYTES: {"type": "string", "format": "byte"},
    # 32-bit integers are JSON numbers; 64-bit ones strings, since JavaScript numbers lose precision.
    **_for_each(
        (_T.TYPE_INT32, _T.TYPE_SINT32, _T.TYPE_SFIXED32),
        {"type": "integer", "format": "int32", "minimum": INT32_MIN, "maximum": INT32_MAX},
    ),
    **_for_each(
        (_T.TYPE_UINT32, _T.TYPE_FIXED32),
        {"type": "integer", "format": "int32", "minimum": 0, "maximum": UINT32_MAX},
    ),
    **_for_each(
        (_T.TYPE_INT64, _T.TYPE_SINT64, _T.TYPE_SFIXED64),
        {"type": "string", "format": "int64", "pattern": INT64_PATTERN},
    ),
    **_for_each(
        (_T.TYPE_UINT64, _T.TYPE_FIXED64),
        {"type": "string", "format": "uint64", "pattern": UINT64_PATTERN},
    ),
}

# The well-known types json_format writes in a special form instead of as an object of fields.
_WELL_KNOWN: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": 'Seconds with up to nine decimals and an "s", e.g. "1.5s".',
    },
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated field paths in lowerCamelCase, e.g. `displayName,email`.",
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string", "description": "type.googleapis.com/<full message name>"}},
        "required": ["@type"],
        "additionalProperties": True,
        "description": "A message of the type named by `@type`, with its fields beside it.",
    },
}
_WRAPPERS = {
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}


def is_well_known(descriptor: Descriptor) -> bool:
    """Written as a JSON scalar (or free JSON), not as an object of its fields."""
    return descriptor.full_name in _WELL_KNOWN or descriptor.full_name in _WRAPPERS


def is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def behaviors(field: FieldDescriptor) -> set[int]:
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def is_required(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.REQUIRED in behaviors(field)


def ref(name: str) -> Schema:
    return {"$ref": REF_PREFIX + name}


def first_sentence(text: str, limit: int = 120) -> str:
    """A summary line: the comment's first sentence, on one line, cut at `limit`."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    sentence = flat if end < 0 else flat[: end + 1]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


class SchemaBuilder:
    """Collects the components reachable from the messages asked for."""

    def __init__(self, comments: Mapping[str, str]) -> None:
        self.components: dict[str, Schema] = {}
        self.comments = comments

    def message(self, descriptor: Descriptor) -> Schema:
        """The schema of a value of this message type: a $ref, or the well-known type's form."""
        if is_well_known(descriptor):
            return self._well_known(descriptor)
        name = descriptor.full_name
        if name not in self.components:
            self.components[name] = {}  # claimed first: a recursive field finds it and stops
            self.components[name] = self.object_schema(descriptor)
        return ref(name)

    def enum(self, descriptor: EnumDescriptor) -> Schema:
        name = descriptor.full_name
        if name not in self.components:
            values = [value.name for value in descriptor.values]
            schema: Schema = {"type": "string", "enum": values}
            described = self._enum_description(descriptor)
            if described:
                schema["description"] = described
            self.components[name] = schema
        return ref(name)

    def object_schema(self, descriptor: Descriptor, without: frozenset[str] = frozenset()) -> Schema:
        """The message as a JSON object, minus the field paths in `without` (those bound to the
        URL path: `member_id`, or `member.member_id` inside the `member` field)."""
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for field in descriptor.fields:
            if field.name in without:
                continue
            inner = frozenset(path.split(".", 1)[1] for path in without if path.startswith(field.name + "."))
            properties[field.json_name] = self.field(field, inner)
            if is_required(field):
                required.append(field.json_name)
        schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = required
        described = self._message_description(descriptor)
        if described:
            schema["description"] = described
        return schema

    def field(self, field: FieldDescriptor, without: frozenset[str] = frozenset()) -> Schema:
        """One property, with the field's comment and behaviors."""
        if is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            schema: Schema = {"type": "object", "additionalProperties": self.value(value_field)}
        elif is_repeated(field):
            schema = {"type": "array", "items": self.value(field)}
        else:
            schema = dict(self.value(field, without))
        marks = behaviors(field)
        if field_behavior_pb2.OUTPUT_ONLY in marks:
            schema["readOnly"] = True
        if field_behavior_pb2.INPUT_ONLY in marks:
            schema["writeOnly"] = True
        comment = self.comments.get(field.full_name, "")
        if comment:  # the field's own words are more to the point than its type's
            schema["description"] = comment
        return schema

    def value(self, field: FieldDescriptor, without: frozenset[str] = frozenset()) -> Schema:
        """One value of the field's type (an element, for repeated fields)."""
        if field.type == FieldDescriptor.TYPE_ENUM:
            return self.enum(field.enum_type)
        if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
            if without:  # part of it is in the URL path: the rest, inline
                return self.object_schema(field.message_type, without)
            return self.message(field.message_type)
        return dict(_SCALARS[field.type])

    def _well_known(self, descriptor: Descriptor) -> Schema:
        if descriptor.full_name in _WRAPPERS:
            return self.value(descriptor.fields_by_name["value"])
        return dict(_WELL_KNOWN[descriptor.full_name])

    def _message_description(self, descriptor: Descriptor) -> str:
        parts = [self.comments.get(descriptor.full_name, "")]
        for oneof in descriptor.oneofs:
            if len(oneof.fields) < 2:  # proto3 `optional` makes one-field oneofs: not a choice
                continue
            names = ", ".join(f"`{field.json_name}`" for field in oneof.fields)
            parts.append(f"At most one of {names} (oneof `{oneof.name}`).")
        return "\n\n".join(part for part in parts if part)

    def _enum_description(self, descriptor: EnumDescriptor) -> str:
        """The enum's comment, then one "- `VALUE`: comment" line per value (no per-value field in
        JSON Schema)."""
        values = []
        for value in descriptor.values:
            comment = self.comments.get(f"{descriptor.full_name}.{value.name}")
            if comment:
                values.append(f"- `{value.name}`: {' '.join(comment.split())}")
        parts = [self.comments.get(descriptor.full_name, ""), "\n".join(values)]
        return "\n\n".join(part for part in parts if part)
