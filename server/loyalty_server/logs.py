"""Structured logs: one JSON object per line on stderr.

Only fields passed explicitly through `extra={"fields": {...}}` are logged, never request metadata,
so a token or secret cannot leak by accident; `redact` masks anything that looks like a credential.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_SECRET_WORDS = ("authorization", "token", "secret", "password", "cookie", "code_verifier")
_REDACTED = "[redacted]"


def redact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Mask values whose key names a credential."""
    return {
        key: _REDACTED if any(word in key.lower() for word in _SECRET_WORDS) else value
        for key, value in fields.items()
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if fields:
            line.update(redact(fields))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party libraries speak only when something is wrong.
    for noisy in ("sqlalchemy", "alembic", "uvicorn.access", "asyncio", "grpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, msg, extra={"fields": fields})
