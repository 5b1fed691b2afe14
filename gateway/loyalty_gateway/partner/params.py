"""Request parameters of the partner API: the seed shows them both in bodies and in query strings,
so both are read; a parameter in the body wins over the same one in the query string."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

FORM_FIELDS_MAX = 50
PARAMETER_LENGTH_MAX = 8192  # longer than any token, code or id the engine issues


class BadParameters(ValueError):
    """1001 invalid_request: the message says what is wrong."""


async def read_params(request: Request) -> dict[str, str]:
    params = {name: value for name, value in request.query_params.items()}
    params.update(await _body_params(request))
    for name, value in params.items():
        if len(value) > PARAMETER_LENGTH_MAX:
            raise BadParameters(f"{name}: at most {PARAMETER_LENGTH_MAX} characters")
        if "\x00" in value:  # the server refuses it too; no parameter of the seed has a use for it
            raise BadParameters(f"{name}: must not contain the NUL character")
    return params


async def _body_params(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form(max_files=0, max_fields=FORM_FIELDS_MAX)
        except HTTPException as exc:  # too many fields, a file, a multipart body without boundary
            raise BadParameters(f"the form cannot be read: {exc.detail}") from None
        return {name: value for name, value in form.items() if not isinstance(value, UploadFile)}
    body = await request.body()
    if not body.strip():
        return {}
    document = read_json_object(body)
    return {name: _as_text(name, value) for name, value in document.items()}


def read_json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadParameters("the body is neither form-encoded nor valid JSON") from None
    except RecursionError:
        raise BadParameters("the body is nested too deeply") from None
    if not isinstance(document, dict):
        raise BadParameters("the body must be a JSON object")
    return document


def _as_text(name: str, value: Any) -> str:
    """Ids such as transaction_id are often sent as JSON numbers; anything else must be a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadParameters(f"{name}: must be a string")


def required(params: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise BadParameters(f"missing parameter{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")


def expect_act(params: dict[str, str], act: str) -> None:
    required(params, "act")
    if params["act"] != act:
        raise BadParameters(f"act must be {act}")
