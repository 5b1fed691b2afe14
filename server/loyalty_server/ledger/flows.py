"""Points moving out of or into the program's accounts, told to listeners once they are committed.

The book notes a flow where it writes the posting (`note_flow`); the transaction's totals go to
the listeners of its engine (the server's metrics) after the commit, never after a rollback, so a
counter never counts points that do not exist. Flows are gross and one-way: points issued leave
program/issuance, points redeemed enter program/redemption, points expired enter program/expiry. A
reversal posting the other way is not subtracted (counters only go up).

Listeners are kept per engine, like the outbox's: each server in a process has its own engine, so
each counts its own writes. With no listener, noting a flow costs one dict lookup.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from typing import Literal

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.logs import log_event
from loyalty_server.storage.engine import after_commit, transaction_state

Flow = Literal["issued", "redeemed", "expired"]
FlowKey = tuple[Flow, int, str]  # flow, tenant id, currency
FlowListener = Callable[[Mapping[FlowKey, int]], None]
_STATE_KEY = "program_flows"
logger = logging.getLogger("loyalty.ledger")

_listeners: weakref.WeakKeyDictionary[Engine, list[FlowListener]] = weakref.WeakKeyDictionary()


def on_flows_committed(engine: Engine, listener: FlowListener) -> Callable[[], None]:
    """Call `listener(totals)` after every commit through `engine` that moved program points.
    Returns an undo."""
    listeners = _listeners.setdefault(engine, [])
    listeners.append(listener)
    return lambda: listeners.remove(listener)


def note_flow(connection: AsyncConnection, flow: Flow, tenant_id: int, currency: str, points: int) -> None:
    """Within a write transaction: `points` (> 0) moved as `flow`; reported if the transaction commits."""
    if points <= 0:
        return
    listeners = _listeners.get(connection.sync_engine)
    if not listeners:
        return  # nobody counts (a bare Ledger in a test, a CLI import)
    state = transaction_state(connection)
    totals: dict[FlowKey, int] | None = state.get(_STATE_KEY)
    if totals is None:
        totals = state[_STATE_KEY] = {}
        after_commit(connection, _STATE_KEY, _reporter(listeners, totals))
    key: FlowKey = (flow, tenant_id, currency)
    totals[key] = totals.get(key, 0) + points


def _reporter(listeners: list[FlowListener], totals: dict[FlowKey, int]) -> Callable[[], None]:
    def report() -> None:
        for listener in tuple(listeners):
            try:
                listener(totals)
            except Exception as exc:  # the write has committed: a metrics fault must not fail the call
                log_event(logger, "points flow listener failed", logging.WARNING, error=type(exc).__name__)

    return report
