"""Keeping the garbage collector off a serving process's long-lived heap.

A serving process holds a large heap that lives as long as it does (modules, protobuf descriptors,
SQLAlchemy's tables and compiled statements, the program), while every call allocates short-lived
objects by the thousand. CPython's collector counts those allocations and, every so often, runs a
full collection that walks every tracked object, the long-lived ones included: measured on GetBalance,
that walk was a fifth of the engine's time. Freezing the heap once start-up is done moves it to the
permanent generation, which the collector never walks again; garbage made later is collected as before.
"""

from __future__ import annotations

import gc
import logging

from loyalty_server.logs import log_event

logger = logging.getLogger("loyalty.server")


def freeze_startup_heap() -> int:
    """Collect what start-up left behind, then freeze every object alive now. Returns how many are
    frozen. Call once, when the process is about to serve (not in tests that start many servers)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log_event(logger, "start-up heap frozen", objects=frozen)
    return frozen
