"""The protos' comments, as descriptions for the OpenAPI document.

Generated _pb2 descriptors carry no comments: only protoc's SourceCodeInfo has them. So they are
read from the .proto sources when those are at hand (a checkout: protos/ beside gateway/) and
grpc_tools (a dev dependency) can compile them. Anywhere else the document simply has no
descriptions: nothing else depends on them.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2

logger = logging.getLogger("loyalty.gateway")

PROTO_ROOT = Path(__file__).resolve().parents[2] / "protos"
PROTO_PACKAGE = Path("loyalty") / "v1"
COMMENT_LENGTH_MAX = 4000  # a description, not a design document

# Field numbers of descriptor.proto, as SourceCodeInfo paths use them.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM, _MESSAGE_ONEOF = 2, 3, 4, 8
_ENUM_VALUE = 2
_SERVICE_METHOD = 2

SourcePath = tuple[int, ...]


@cache
def proto_comments() -> dict[str, str]:
    """Leading comments by full name: messages, fields, oneofs, enums, enum values (keyed
    `<enum full name>.<VALUE>`), services and methods. Empty when the sources are not available.
    Not thread-safe on the first call: openapi.build_openapi, its caller, holds a lock."""
    try:
        files = _compile(PROTO_ROOT)
    except (ImportError, OSError, RuntimeError) as exc:
        logger.debug("openapi: no proto comments (%s)", exc)
        return {}
    comments: dict[str, str] = {}
    for file in files.file:
        comments.update(_file_comments(file))
    return comments


def _compile(root: Path) -> descriptor_pb2.FileDescriptorSet:
    from grpc_tools import protoc  # a dev dependency: absent in a lean install

    protos = sorted(str(p.relative_to(root)) for p in (root / PROTO_PACKAGE).glob("*.proto"))
    if not protos:
        raise OSError(f"no protos under {root / PROTO_PACKAGE}")
    well_known = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "set.binpb"
        args = [
            "protoc",
            f"-I{root}",
            f"-I{well_known}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
        ]
        if protoc.main([*args, *protos]) != 0:
            raise RuntimeError("protoc failed on the protos")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _file_comments(file: descriptor_pb2.FileDescriptorProto) -> dict[str, str]:
    by_path = {
        tuple(location.path): _clean(location.leading_comments)
        for location in file.source_code_info.location
        if location.leading_comments.strip()
    }
    return {name: by_path[path] for name, path in _named_paths(file) if path in by_path}


def _named_paths(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[str, SourcePath]]:
    package = file.package
    for i, message in enumerate(file.message_type):
        yield from _message_paths(message, (_FILE_MESSAGE, i), package)
    for i, enum in enumerate(file.enum_type):
        yield from _enum_paths(enum, (_FILE_ENUM, i), package)
    for i, service in enumerate(file.service):
        name = f"{package}.{service.name}"
        yield name, (_FILE_SERVICE, i)
        for j, method in enumerate(service.method):
            yield f"{name}.{method.name}", (_FILE_SERVICE, i, _SERVICE_METHOD, j)


def _message_paths(
    message: descriptor_pb2.DescriptorProto, path: SourcePath, scope: str
) -> Iterator[tuple[str, SourcePath]]:
    name = f"{scope}.{message.name}"
    yield name, path
    for i, field in enumerate(message.field):
        yield f"{name}.{field.name}", (*path, _MESSAGE_FIELD, i)
    for i, oneof in enumerate(message.oneof_decl):
        yield f"{name}.{oneof.name}", (*path, _MESSAGE_ONEOF, i)
    for i, nested in enumerate(message.nested_type):
        yield from _message_paths(nested, (*path, _MESSAGE_NESTED, i), name)
    for i, enum in enumerate(message.enum_type):
        yield from _enum_paths(enum, (*path, _MESSAGE_ENUM, i), name)


def _enum_paths(
    enum: descriptor_pb2.EnumDescriptorProto, path: SourcePath, scope: str
) -> Iterator[tuple[str, SourcePath]]:
    name = f"{scope}.{enum.name}"
    yield name, path
    for i, value in enumerate(enum.value):
        yield f"{name}.{value.name}", (*path, _ENUM_VALUE, i)


def _clean(comment: str) -> str:
    """`// text` comes as " text\\n" per line: drop the one space protoc keeps, keep the lines."""
    lines = [line[1:] if line.startswith(" ") else line for line in comment.splitlines()]
    return "\n".join(lines).strip()[:COMMENT_LENGTH_MAX]
