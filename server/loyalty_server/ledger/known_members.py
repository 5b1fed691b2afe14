"""Which members exist, remembered once seen.

A member row is never deleted and its member_id never changes (erasure blanks the personal fields
and keeps the row), so a member seen once exists for good: remembering it can never give a wrong
answer, in this process or with other processes writing the same database. PostActivities checks that
every member a batch names exists before it writes anything, and partners post for the same members
again and again: that check was a read connection and a member read on every call (~60 us, 5 % of a
single-activity post). A member not yet seen is read as before.

Should a remembered member vanish all the same (a database restored from an older backup under a
running server, a row deleted by hand), the write that follows still locks the member and refuses
with the same NOT_FOUND; only a batch's earlier chunks may then have been applied.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.ledger.members import get_member
from loyalty_server.storage.sqlite_loop import read_connection

KNOWN_MEMBERS_MAX = 100_000  # ~15 MB at most; forgotten all at once when full (a re-read is cheap)


class KnownMembers:
    def __init__(self, engine: AsyncEngine, *, size_max: int = KNOWN_MEMBERS_MAX) -> None:
        assert size_max > 0
        self._engine = engine
        self._size_max = size_max
        self._seen: set[tuple[int, str]] = set()

    async def require(self, tenant_id: int, member_ids: Iterable[str]) -> None:
        """NOT_FOUND (MEMBER_NOT_FOUND) naming the first member, in id order, that does not exist."""
        unknown = sorted({member_id for member_id in member_ids if (tenant_id, member_id) not in self._seen})
        if not unknown:
            return
        async with read_connection(self._engine) as connection:
            for member_id in unknown:
                await get_member(connection, tenant_id, member_id)
                self._remember(tenant_id, member_id)

    def _remember(self, tenant_id: int, member_id: str) -> None:
        if len(self._seen) >= self._size_max:
            self._seen.clear()
        self._seen.add((tenant_id, member_id))

    def __len__(self) -> int:
        return len(self._seen)
