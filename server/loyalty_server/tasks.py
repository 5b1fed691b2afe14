"""Helpers for the engine's long-running background loops."""

from __future__ import annotations

import asyncio


def being_cancelled() -> bool:
    """True while the current task has a cancellation pending.

    A background loop catches `Exception` to survive a bad round, but a cancellation that arrives
    inside a database driver may surface as some other exception. Such a loop must check this
    before carrying on, or `stop()` would wait for it for ever.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
