"""Shared parts of the bad-input properties (tests/integration/test_bad_input_*.py): hypothesis
settings that keep a run bounded and repeatable, strategies that are mostly valid with wild values
mixed in, and the check that a refused gRPC call was refused on purpose."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

T = TypeVar("T")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


# One server per test, not per example (function-scoped fixtures on purpose); derandomized, with no
# example database, so CI runs the same examples every time; no shrinking, so a failure reports the
# input as it was sent and a run takes a bounded time.
def bounded(max_examples: int) -> settings:
    """BAD_INPUT_EXAMPLES=n runs n examples instead (a deeper search by hand), and BAD_INPUT_RANDOM=1
    draws new ones each run rather than CI's fixed set."""
    return settings(
        BOUNDED,
        max_examples=int(os.environ.get("BAD_INPUT_EXAMPLES", max_examples)),
        derandomize=os.environ.get("BAD_INPUT_RANDOM", "") != "1",
    )


BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=False,
)

# Strings that have broken services before: NUL (PostgreSQL text cannot hold it), combining and
# astral characters, right-to-left marks, whitespace only, SQL and JSON punctuation.
NASTY_TEXTS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0301",
    "\U0001d518\U0001d52b\U0001d526",  # astral: mathematical Fraktur letters
    "e\u0301" * 70,
    "'; DROP TABLE members; --",
    '{"a": [1, 2]}',
    "\ud7ff\ue000\uffff",
    "\n\r\t",
)


def wild_text(max_size: int = 300) -> st.SearchStrategy[str]:
    """Any text (no lone surrogates: protobuf cannot encode them, so no client could send one)."""
    # NUL rarely: st.text() favours it, and one NUL anywhere refuses a whole request.
    anything = st.text(st.characters(exclude_characters="\x00"), max_size=max_size)
    nasty = st.sampled_from([text for text in NASTY_TEXTS if "\x00" not in text])
    with_nul = st.sampled_from([text for text in NASTY_TEXTS if "\x00" in text])
    return mostly(st.one_of(nasty, anything), with_nul, wild_one_in=40)


def mostly(
    valid: st.SearchStrategy[T], wild: st.SearchStrategy[Any], *, wild_one_in: int = 8
) -> st.SearchStrategy[Any]:
    """Usually the valid value, one time in `wild_one_in` a wild one: a request has many fields, so
    this keeps enough whole requests valid that writes really happen."""
    return st.integers(1, wild_one_in).flatmap(lambda n: wild if n == wild_one_in else valid)


def error_details(error: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo | None, list[str]]:
    """The call's ErrorInfo (None if it has none) and its BadRequest fields."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None:
        return None, []
    status = status_pb2.Status.FromString(raw)
    info, fields = None, []
    for detail in status.details:
        candidate = error_details_pb2.ErrorInfo()
        if detail.Unpack(candidate):
            info = candidate
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [violation.field for violation in bad.field_violations]
    return info, fields


def assert_refused_on_purpose(error: grpc.aio.AioRpcError, request: object) -> str:
    """A specific refusal: never INTERNAL or UNKNOWN, always an ErrorInfo with a reason; bad
    arguments name their field. Returns the reason."""
    assert error.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
        error.code(),
        error.details(),
        request,
    )
    info, fields = error_details(error)
    assert info is not None, (error.code(), error.details(), request)
    assert info.reason, (error.code(), error.details(), request)
    if error.code() is grpc.StatusCode.INVALID_ARGUMENT and info.reason not in UNFIELDED_REASONS:
        assert fields, (info.reason, error.details(), request)
    return info.reason


# INVALID_ARGUMENT reasons about the request as a whole rather than one field.
UNFIELDED_REASONS = frozenset({"INVALID_TOKEN"})


class LoopThread:
    """An event loop on a thread of its own. Hypothesis calls a property synchronously, once per
    example, so the server under test lives on this loop and each example hands it a coroutine: one
    server for all the examples of a test, and checks after the last example in the same test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bad-input-loop", daemon=True)

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def __exit__(self, *_exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
