"""Time-ordered public ids: their format, their order, and that they do not repeat."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from loyalty_server import ids
from loyalty_server.ledger.book import new_hold_id, new_transaction_id
from loyalty_server.ledger.members import new_member_id
from loyalty_server.ledger.rewards import new_coupon_id
from loyalty_server.ledger.tables import coupons, holds, ledger_transactions, members


def test_a_uuid7_is_a_valid_version_7_uuid_that_starts_with_the_time() -> None:
    before_ms = time.time_ns() // 1_000_000
    made = ids.uuid7()
    after_ms = time.time_ns() // 1_000_000
    parsed = uuid.UUID(made)
    assert str(parsed) == made
    assert len(made) == 36
    assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    assert before_ms <= parsed.int >> 80 <= after_ms


def test_hex_ids_start_with_the_time_and_keep_64_random_bits() -> None:
    before_ms = time.time_ns() // 1_000_000
    made = ids.time_ordered_hex()
    assert re.fullmatch(r"[0-9a-f]{28}", made)
    assert before_ms <= int(made[:12], 16) <= time.time_ns() // 1_000_000
    tails = {ids.time_ordered_hex()[12:] for _ in range(1000)}
    assert len(tails) == 1000


def test_ids_made_later_sort_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # The clock is pinned: a wall clock stepping back between the two would fail the test, not the ids.
    monkeypatch.setattr(ids, "_now_ms", lambda: 1_765_000_000_000)
    first = [ids.uuid7(), ids.time_ordered_hex(), new_transaction_id()]
    monkeypatch.setattr(ids, "_now_ms", lambda: 1_765_000_000_001)
    later = [ids.uuid7(), ids.time_ordered_hex(), new_transaction_id()]
    assert all(a < b for a, b in zip(first, later, strict=True))


def test_no_repeats_among_many_made_at_once() -> None:
    made = [ids.uuid7() for _ in range(20_000)] + [new_transaction_id() for _ in range(20_000)]
    assert len(set(made)) == len(made)


def test_public_ids_keep_their_prefix_and_fit_their_columns() -> None:
    for make, prefix, column in (
        (new_transaction_id, "t_", ledger_transactions.c.transaction_id),
        (new_hold_id, "h_", holds.c.hold_id),
        (new_coupon_id, "c_", coupons.c.coupon_id),
        (new_member_id, "m_", members.c.member_id),
    ):
        made = make()
        assert made.startswith(prefix)
        assert len(made) <= column.type.length


def test_member_ids_stay_random() -> None:
    """A member id outlives an erasure: it must not tell when the member enrolled."""
    assert re.fullmatch(r"m_[0-9a-f]{20}", new_member_id())
    starts = {new_member_id()[2:6] for _ in range(200)}
    assert len(starts) > 100, "time-ordered ids would share their first digits"
