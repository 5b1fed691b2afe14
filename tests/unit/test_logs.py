from __future__ import annotations

import json
import logging

from loyalty_server.logs import JsonFormatter, log_event, redact, request_id_var


def test_redact_masks_credentials_by_key_name() -> None:
    fields = {
        "method": "/x",
        "authorization": "Bearer abc",
        "client_secret": "s",
        "refresh_token": "r",
        "n": 1,
    }
    assert redact(fields) == {
        "method": "/x",
        "authorization": "[redacted]",
        "client_secret": "[redacted]",
        "refresh_token": "[redacted]",
        "n": 1,
    }


def test_json_line_carries_fields_and_request_id() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = request_id_var.set("req-1")
    try:
        log_event(logger, "rpc", method="/loyalty.v1.LedgerService/GetBalance", duration_ms=1.5, password="p")
        line = json.loads(JsonFormatter().format(records[0]))
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    assert line["msg"] == "rpc"
    assert line["request_id"] == "req-1"
    assert line["method"] == "/loyalty.v1.LedgerService/GetBalance"
    assert line["duration_ms"] == 1.5
    assert line["password"] == "[redacted]"
    assert line["ts"].endswith("+00:00")
