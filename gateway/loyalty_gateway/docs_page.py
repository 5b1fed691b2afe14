"""The API's docs page: plain HTML rendered on the server from the OpenAPI document.

No script and no CDN: the page must work offline and under `default-src 'none'`, so it is built
here once, with one same-origin stylesheet. Every text from the document is escaped.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from loyalty_gateway.openapi_schemas import REF_PREFIX

Schema = dict[str, Any]

STYLESHEET_PATH = "/docs/docs.css"
OPENAPI_PATH = "/openapi.json"
PAGE_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "public, max-age=300",
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SCHEMA_DEPTH_MAX = 4  # nested inline schemas shown before "…"; $refs are links, so this is plenty
_CODE = re.compile(r"`([^`\n]+)`")


@cache
def stylesheet() -> bytes:
    return (resources.files("loyalty_gateway") / "docs_static" / "docs.css").read_bytes()


def render(document: Schema) -> str:
    info = document.get("info", {})
    operations = list(_operations(document))
    tags = [tag["name"] for tag in document.get("tags", [])]
    tags += sorted({tag for _, _, op in operations for tag in op.get("tags", [])} - set(tags))
    schemas = document.get("components", {}).get("schemas", {})
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(info.get('title', 'API'))}</title>",
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">',
        "</head><body>",
        '<a class="skip" href="#main">Skip to the operations</a>',
        "<header>",
        f"<h1>{_e(info.get('title', 'API'))} <small>{_e(info.get('version', ''))}</small></h1>",
        _text(info.get("description", "")),
        f'<p>The machine-readable document: <a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a> '
        f"(OpenAPI {_e(document.get('openapi', ''))}).</p>",
        "</header>",
        _nav(tags, bool(schemas)),
        '<main id="main">',
    ]
    for tag in tags:
        parts.append(
            _tag_section(document, tag, [(p, m, op) for p, m, op in operations if tag in op.get("tags", [])])
        )
    if schemas:
        parts.append(_schemas_section(schemas))
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _operations(document: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _nav(tags: list[str], has_schemas: bool) -> str:
    items = [f'<li><a href="#{_id("tag", tag)}">{_e(tag)}</a></li>' for tag in tags]
    if has_schemas:
        items.append('<li><a href="#schemas">Schemas</a></li>')
    return '<nav aria-label="Contents"><h2>Contents</h2><ul>' + "".join(items) + "</ul></nav>"


def _tag_section(document: Schema, tag: str, operations: list[tuple[str, str, Schema]]) -> str:
    described = next((t.get("description", "") for t in document.get("tags", []) if t["name"] == tag), "")
    heading = _id("tag", tag)
    parts = [f'<section aria-labelledby="{heading}"><h2 id="{heading}">{_e(tag)}</h2>', _text(described)]
    for path, method, operation in operations:
        parts.append(_operation(document, path, method, operation))
    parts.append("</section>")
    return "\n".join(parts)


def _operation(document: Schema, path: str, method: str, operation: Schema) -> str:
    anchor = _id("op", operation.get("operationId", f"{method} {path}"))
    parts = [
        f'<article class="operation" aria-labelledby="{anchor}">',
        f'<h3 id="{anchor}"><span class="method method-{_e(method)}">{_e(method.upper())}</span> '
        f"<code>{_e(path)}</code></h3>",
        f'<p class="summary">{_inline(operation.get("summary", ""))}</p>',
        f'<p class="meta">{_meta(operation)}</p>',
    ]
    description = operation.get("description", "")
    if description and description != operation.get("summary"):
        parts.append(f"<details><summary>Description</summary>{_text(description)}</details>")
    parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
    if parameters:
        parts.append(_parameters_table(parameters))
    body = operation.get("requestBody")
    if body:
        parts.append(f"<p>Request body: {_content(body)}</p>")
        parts.extend(_inline_fields(body))
    parts.append(_responses(document, operation.get("responses", {})))
    parts.append("</article>")
    return "\n".join(parts)


def _auth(security: list[Schema]) -> str:
    if not security:
        return "No bearer token"
    if {} in security:  # an empty requirement: the alternative of none
        return "Bearer token optional"
    return "Bearer token required"


def _meta(operation: Schema) -> str:
    parts = [
        _auth(operation.get("security", [])),
        f"operation id <code>{_e(operation.get('operationId', ''))}</code>",
    ]
    if "x-grpc-method" in operation:
        parts.append(f"gRPC <code>{_e(operation['x-grpc-method'])}</code>")
    return " · ".join(parts)


def _parameters_table(parameters: list[Schema]) -> str:
    rows = [
        "<tr>"
        f"<td><code>{_e(p.get('name', ''))}</code></td>"
        f"<td>{_e(p.get('in', ''))}</td>"
        f"<td>{_type(p.get('schema', {}))}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td>"
        f"<td>{_inline(p.get('description', ''))}</td>"
        "</tr>"
        for p in parameters
    ]
    head = '<tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th>'
    head += '<th scope="col">Required</th><th scope="col">Description</th></tr>'
    return f"<table><caption>Parameters</caption><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _content(part: Schema) -> str:
    content = part.get("content", {})
    shown = [
        f"{_type(media.get('schema', {}))} <small>({_e(kind)})</small>" for kind, media in content.items()
    ]
    return "; ".join(shown) if shown else "no body"


def _responses(document: Schema, responses: Schema) -> str:
    """One item per distinct answer: statuses sharing one (the partner errors) are listed together."""
    statuses_by_answer: dict[str, list[str]] = {}
    for status, answer in responses.items():
        key = json.dumps(answer, sort_keys=True)
        statuses_by_answer.setdefault(key, []).append(str(status))
    items = []
    for key, statuses in statuses_by_answer.items():
        resolved = _resolve(document, json.loads(key))
        described = _inline(resolved.get("description", ""))
        codes = ", ".join(_e(status) for status in statuses)
        items.append(f"<li><strong>{codes}</strong>: {_content(resolved)}. {described}</li>")
    return '<p>Responses:</p><ul class="responses">' + "".join(items) + "</ul>"


def _resolve(document: Schema, item: Schema) -> Schema:
    """A local `#/components/...` reference's target (parameters and responses are shared)."""
    reference = item.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return item
    target: Any = document
    for key in reference[2:].split("/"):
        target = target.get(key, {}) if isinstance(target, dict) else {}
    return target if isinstance(target, dict) else {}


def _inline_fields(body: Schema) -> Iterator[str]:
    """A body schema written out in place (the request minus its path fields) has no entry among
    the schemas to link to: its fields are shown here."""
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        if schema.get("properties"):
            yield _properties_table(schema)


def _schemas_section(schemas: Schema) -> str:
    parts = ['<section aria-labelledby="schemas"><h2 id="schemas">Schemas</h2>']
    for name, schema in schemas.items():
        anchor = _id("schema", name)
        parts.append(f'<article class="schema" aria-labelledby="{anchor}"><h3 id="{anchor}">{_e(name)}</h3>')
        parts.append(_text(schema.get("description", "")))
        properties = schema.get("properties")
        if properties:
            parts.append(_properties_table(schema))
        elif "enum" in schema:
            values = "".join(f"<li><code>{_e(value)}</code></li>" for value in schema["enum"])
            parts.append(f"<p>{_e(schema.get('type', ''))}, one of:</p><ul>{values}</ul>")
        else:
            parts.append(f"<p>{_type(schema)}</p>")
        parts.append("</article>")
    parts.append("</section>")
    return "\n".join(parts)


def _properties_table(schema: Schema) -> str:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        notes = [
            note for note, on in (("required", name in required), ("output only", prop.get("readOnly"))) if on
        ]
        rows.append(
            "<tr>"
            f"<td><code>{_e(name)}</code></td>"
            f"<td>{_type(prop)}{''.join(f' <small>({n})</small>' for n in notes)}</td>"
            f"<td>{_inline(prop.get('description', ''))}</td>"
            "</tr>"
        )
    head = '<tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Description</th></tr>'
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _type(schema: Schema, depth: int = 0) -> str:
    """A schema in a few words, with $refs as links to the schema's entry."""
    if depth > SCHEMA_DEPTH_MAX:
        return "…"
    if "$ref" in schema:
        reference = schema["$ref"]
        name = reference.removeprefix(REF_PREFIX)
        if reference.startswith(REF_PREFIX):
            return f'<a href="#{_id("schema", name)}">{_e(name)}</a>'
        return _e(name)
    for combiner, word in (("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")):
        if combiner in schema:
            return word.join(_type(part, depth + 1) for part in schema[combiner])
    kind = schema.get("type")
    if kind == "array":
        return "array of " + _type(schema.get("items", {}), depth + 1)
    if (
        kind == "object"
        and isinstance(schema.get("additionalProperties"), dict)
        and not schema.get("properties")
    ):
        return "map of string to " + _type(schema["additionalProperties"], depth + 1)
    if "const" in schema:
        return f"<code>{_e(schema['const'])}</code>"
    if kind is None:
        return "any JSON"
    text = _e(kind)
    if "format" in schema:
        text += f" ({_e(schema['format'])})"
    if "enum" in schema:
        text += ": " + ", ".join(f"<code>{_e(value)}</code>" for value in schema["enum"])
    return text


def _text(text: str) -> str:
    """Comment text as paragraphs (split at blank lines) and lists: a "- " line starts an item, an
    indented line after it continues the item."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        runs: list[tuple[bool, list[str]]] = []  # (is a list item, its lines)
        for line in paragraph.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("- "):
                runs.append((True, [stripped[2:]]))
            elif runs and (line[:1].isspace() or not runs[-1][0]):
                runs[-1][1].append(stripped)  # an item's continuation, or more of the paragraph
            else:
                runs.append((False, [stripped]))
        blocks.extend(_blocks(runs))
    return "\n".join(blocks)


def _blocks(runs: list[tuple[bool, list[str]]]) -> Iterator[str]:
    for is_item, group in itertools.groupby(runs, key=lambda run: run[0]):
        texts = [_inline(" ".join(lines)) for _, lines in group]
        if is_item:
            yield "<ul>" + "".join(f"<li>{text}</li>" for text in texts) + "</ul>"
        else:
            yield from (f"<p>{text}</p>" for text in texts)


def _inline(text: str) -> str:
    """Escaped, with `code` spans: the escaping comes first, so the spans cannot smuggle markup."""
    return _CODE.sub(r"<code>\1</code>", _e(" ".join(str(text).split())))


def _id(kind: str, name: str) -> str:
    return _e(f"{kind}-" + re.sub(r"[^A-Za-z0-9._-]", "-", name))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
