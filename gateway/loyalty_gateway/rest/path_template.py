"""google.api.http path templates: parse once, then match request paths and name the variables.

Grammar (google/api/http.proto):
    Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
    Verb     = ":" LITERAL ;
Matching runs on the raw (still percent-encoded) path, so an encoded "/" in an id stays inside its
segment; each captured value is decoded afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_LITERAL = re.compile(r"[A-Za-z0-9._~\-]+|\.well-known")
_FIELD_PATH = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")
TEMPLATE_LENGTH_MAX = 500


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class PathTemplate:
    text: str
    variables: tuple[str, ...]  # field paths, in order
    verb: str
    literal_length: int  # characters of literal text: more literal = more specific
    _regex: re.Pattern[str]

    def match(self, raw_path: str) -> dict[str, str] | None:
        found = self._regex.fullmatch(raw_path)
        if found is None:
            return None
        return {path: unquote(found.group(f"v{i}")) for i, path in enumerate(self.variables)}

    @property
    def openapi_path(self) -> str:
        """The OpenAPI form: each variable as {field.path}, verbs kept."""
        return _VARIABLE.sub(lambda m: "{" + m.group(1) + "}", self.text)


_VARIABLE = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")


def parse(text: str) -> PathTemplate:
    if not text.startswith("/") or len(text) > TEMPLATE_LENGTH_MAX:
        raise TemplateError(f"template {text!r}: must start with / (and be at most {TEMPLATE_LENGTH_MAX})")
    path, verb = _split_verb(text)
    pieces: list[str] = []
    variables: list[str] = []
    literal_length = 0
    for segment in _segments(path[1:], text):
        if segment.startswith("{"):
            field_path, _, pattern = segment[1:-1].partition("=")
            if not _FIELD_PATH.fullmatch(field_path):
                raise TemplateError(f"template {text!r}: bad field path {field_path!r}")
            inner = _segments_regex(pattern.split("/"), text) if pattern else "[^/]+"
            pieces.append(f"(?P<v{len(variables)}>{inner})")
            variables.append(field_path)
        else:
            pieces.append(_segments_regex([segment], text))
            literal_length += len(segment) if segment not in ("*", "**") else 0
    regex = "/" + "/".join(pieces) + (re.escape(":" + verb) if verb else "")
    return PathTemplate(text, tuple(variables), verb, literal_length + len(verb), re.compile(regex))


def _split_verb(text: str) -> tuple[str, str]:
    last = text.rsplit("/", 1)[-1]
    if ":" in last and "}" not in last.rsplit(":", 1)[1]:
        path, verb = text.rsplit(":", 1)
        if not _LITERAL.fullmatch(verb):
            raise TemplateError(f"template {text!r}: bad verb {verb!r}")
        return path, verb
    return text, ""


def _segments(path: str, text: str) -> list[str]:
    """Split on "/" outside braces."""
    segments, depth, current = [], 0, ""
    for char in path:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth not in (0, 1):
            raise TemplateError(f"template {text!r}: unbalanced braces")
        if char == "/" and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise TemplateError(f"template {text!r}: unbalanced braces")
    segments.append(current)
    if any(not segment for segment in segments):
        raise TemplateError(f"template {text!r}: empty segment")
    return segments


def _segments_regex(segments: list[str], text: str) -> str:
    parts = []
    for segment in segments:
        if segment == "*":
            parts.append("[^/]+")
        elif segment == "**":
            parts.append(".+")
        elif _LITERAL.fullmatch(segment):
            parts.append(re.escape(segment))
        else:
            raise TemplateError(f"template {text!r}: bad segment {segment!r}")
    return "/".join(parts)
