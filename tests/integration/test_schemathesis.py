"""Schemathesis against the running gateway, from its own OpenAPI document (issue #7): a few generated
requests for every operation, and not one answer may be a server error (5xx).

In process: the server and the gateway run on this test's event loop, schemathesis (synchronous,
requests-based) in a worker thread. Each operation gets an explicit example budget, a fixed seed
(derandomized) and no shrinking, so the run takes a bounded, repeatable time. Not tested here: the
event streams (an SSE answer never ends by itself) and the HTML authorize page (the pages' tests).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from loyalty_gateway.openapi import build_openapi
from tests.gateway_support import running_gateway

MAX_EXAMPLES = 10  # per operation: ~90 operations x 10 requests take about half a minute
REQUEST_TIMEOUT_S = 10.0
RUN_TIMEOUT_S = 240  # the budget above normally takes 20-60 s; this is the hang guard
NOT_FUZZED_PATHS = {"/oauth/authorize"}  # an HTML page for a browser
TENANT_PARAMETER = {"$ref": "#/components/parameters/Tenant"}
_DOTTED_VARIABLE = re.compile(r"\{([^}.]+(?:\.[^}.]+)+)\}")


def for_schemathesis(document: dict[str, Any]) -> dict[str, Any]:
    """The document as schemathesis can take it: without the event streams and the HTML page, and
    with `{member.member_id}` path variables renamed `{member__member_id}` (schemathesis fills path
    templates with str.format, which reads a dot as attribute access; the name never reaches the
    wire). Also without X-Loyalty-Tenant: any value is refused up front for this admin (no
    cross-tenant right), so it would only spend the budget on one 403."""
    document = copy.deepcopy(document)
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        if path in NOT_FUZZED_PATHS:
            continue
        kept = {method: operation for method, operation in item.items() if not _is_stream(operation)}
        for operation in kept.values():
            operation["parameters"] = [p for p in operation.get("parameters", []) if p != TENANT_PARAMETER]
            for parameter in operation["parameters"]:
                if parameter.get("in") == "path":
                    parameter["name"] = parameter["name"].replace(".", "__")
        if kept:
            paths[_DOTTED_VARIABLE.sub(lambda m: "{" + m.group(1).replace(".", "__") + "}", path)] = kept
    document["paths"] = paths
    return document


def _is_stream(operation: dict[str, Any]) -> bool:
    return any("text/event-stream" in answer.get("content", {}) for answer in operation["responses"].values())


@dataclass
class Outcome:
    statuses: Counter[int] = field(default_factory=Counter)  # requests by status code
    failures: list[str] = field(default_factory=list)
    operations: int = 0


def fuzz(schema: Any, base_url: str, headers: dict[str, str]) -> Outcome:
    outcome = Outcome()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"schemathesis could not load an operation: {result.err()}"
        operation = result.ok()
        outcome.operations += 1
        try:
            _fuzz_operation(operation, base_url, headers, outcome.statuses)
        except (Exception, FailureGroup) as exc:  # the report: the request (as curl) and the answer
            outcome.failures.append(f"{operation.label}\n{exc}")
    return outcome


def _fuzz_operation(operation: Any, base_url: str, headers: dict[str, str], statuses: Counter[int]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the failing request as sent
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    check()


@pytest.mark.timeout(RUN_TIMEOUT_S)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_server_errors(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Test credentials only: the failure reports show tokens as sent (an invalid one may be the cause).
    config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(for_schemathesis(build_openapi()), config=config)
    caplog.set_level(logging.ERROR)  # the tracebacks of whatever answered 5xx
    async with running_gateway(tmp_path, database_url) as stack:
        headers = dict(await stack.admin())
        started = time.monotonic()
        outcome = await asyncio.to_thread(fuzz, schema, stack.base_url, headers)
        elapsed_s = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nschemathesis: {outcome.operations} operations, {sum(outcome.statuses.values())} requests "
            f"in {elapsed_s:.1f} s, by status {dict(sorted(outcome.statuses.items()))}"
        )
    if outcome.failures:
        formatter = logging.Formatter("%(name)s: %(message)s")
        tracebacks = "\n".join(formatter.format(record) for record in caplog.records)
        pytest.fail(
            f"{len(outcome.failures)} operation(s) answered 5xx:\n\n"
            + "\n\n".join(outcome.failures)
            + f"\n\nServer-side errors logged meanwhile:\n{tracebacks}",
            pytrace=False,
        )
    succeeded = sum(count for status, count in outcome.statuses.items() if 200 <= status < 300)
    assert succeeded > 0, "nothing succeeded: the run proved nothing (auth? routes missing?)"
