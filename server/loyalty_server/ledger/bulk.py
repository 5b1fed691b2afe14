"""Bulk award: many credits in one call. Each entry is its own `Ledger.earn` (own request id, own
write transaction, own outcome), so one bad entry never takes the others down, and a retry of the
whole batch replays what already went through and finishes the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Sized
from dataclasses import dataclass

from loyalty_server import requests
from loyalty_server.errors import DomainError, FieldViolation, invalid_argument
from loyalty_server.ledger.book import Booked, Entry
from loyalty_server.ledger.members import lookup_member
from loyalty_server.ledger.operations import Ledger

ENTRIES_MAX = 1000
REASON_CODE_DEFAULT = "BULK_AWARD"


@dataclass(frozen=True, slots=True)
class AwardEntry:
    """One credit. The member is named by exactly one of member_id and loyalty_id."""

    request_id: str
    currency: str
    points: int
    source_id: str
    member_id: str = ""
    loyalty_id: str = ""
    reason_code: str = ""
    reason: str = ""
    expires_at: dt.datetime | None = None  # None: the currency's expiry rule
    apply_tier_multiplier: bool = False


@dataclass(frozen=True, slots=True)
class AwardOutcome:
    """Exactly one of booked (success, also on a replay) and error."""

    request_id: str
    booked: Booked | None = None
    error: DomainError | None = None

    def __post_init__(self) -> None:
        assert (self.booked is None) != (self.error is None), "an outcome is a success or an error"


def check_batch(entries: Sized) -> None:
    if not 0 < len(entries) <= ENTRIES_MAX:
        raise invalid_argument(
            "BATCH_TOO_LARGE",
            f"give 1 to {ENTRIES_MAX} entries (got {len(entries)})",
            FieldViolation("entries", f"1 to {ENTRIES_MAX} entries"),
        )


def check_reason(reason_code: str, reason: str) -> None:
    """The reason code is UPPER_SNAKE_CASE (max 64); the free text is optional and bounded."""
    requests.check_reason_code(reason_code)
    requests.check_reason(reason, required=False)


async def resolve_member_id(ledger: Ledger, tenant_id: int, entry: AwardEntry) -> str:
    if bool(entry.member_id) == bool(entry.loyalty_id):
        raise invalid_argument(
            "MEMBER_REF_REQUIRED",
            "give exactly one of member_id and loyalty_id",
            FieldViolation("member", "exactly one of member_id, loyalty_id"),
        )
    if entry.member_id:
        return entry.member_id  # Ledger.earn reports MEMBER_NOT_FOUND itself
    async with ledger.engine.connect() as connection:
        return (await lookup_member(connection, tenant_id, loyalty_id=entry.loyalty_id)).member_id


async def award(
    ledger: Ledger,
    tenant_id: int,
    entry: AwardEntry,
    *,
    origin_type: str = "bulk_award",
    origin_id: str = "",
    effective_at: dt.datetime | None = None,
    actor: str = "system",
) -> Booked:
    """One credit through Ledger.earn; the origin defaults to (bulk_award, the entry's request id)."""
    reason_code = entry.reason_code or REASON_CODE_DEFAULT
    check_reason(reason_code, entry.reason)
    member_id = await resolve_member_id(ledger, tenant_id, entry)
    ledger_entry = Entry(
        origin_type=origin_type,
        origin_id=origin_id or entry.request_id,
        reason_code=reason_code,
        reason=entry.reason,
        request_id=entry.request_id,
        actor=actor,
    )
    return await ledger.earn(
        tenant_id,
        member_id,
        currency=entry.currency,
        points=entry.points,
        source_id=entry.source_id,
        entry=ledger_entry,
        effective_at=effective_at,
        expires_at=entry.expires_at,
        apply_tier_multiplier=entry.apply_tier_multiplier,
    )


async def bulk_award(
    ledger: Ledger, tenant_id: int, entries: Sequence[AwardEntry], *, actor: str = "system"
) -> list[AwardOutcome]:
    """Every entry in request order, each succeeding or failing on its own (INVALID_ARGUMENT,
    BATCH_TOO_LARGE for 0 or more than ENTRIES_MAX entries: then nothing is done)."""
    check_batch(entries)
    outcomes = []
    for entry in entries:  # one after another: each is one short write transaction
        try:
            booked = await award(ledger, tenant_id, entry, actor=actor)
        except DomainError as error:
            outcomes.append(AwardOutcome(entry.request_id, error=error))
        else:
            outcomes.append(AwardOutcome(entry.request_id, booked=booked))
    return outcomes
