"""`loyalty import points`: one row -> one earn transaction, anchored on the row's row_id.

The transaction's origin is (import, row_id) and its request id "import:points:<row_id>". Before
crediting, the ledger is asked whether that origin was already credited: then the row is a replay
(skipped) when it asks for the same credit, and refused when it asks for another. Looking at the
ledger rather than only at idempotency keys keeps re-runs exact long after the keys have expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from loyalty_server.errors import DomainError
from loyalty_server.imports.fields import (
    POINT_COLUMNS,
    Outcome,
    Refused,
    integer,
    refusal,
    text,
    timestamp,
)
from loyalty_server.ledger.bulk import AwardEntry, award
from loyalty_server.ledger.members import Member, lookup_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import ledger_transactions
from loyalty_server.requests import REQUEST_ID_LENGTH_MAX

ORIGIN_TYPE = "import"
REQUEST_ID_PREFIX = "import:points:"
ROW_ID_LENGTH_MAX = REQUEST_ID_LENGTH_MAX - len(REQUEST_ID_PREFIX)


@dataclass(frozen=True, slots=True)
class PointsRow:
    row_id: str
    loyalty_id: str
    currency: str
    points: int
    source_id: str
    reason_code: str
    reason: str
    expires_at: dt.datetime | None
    earned_at: dt.datetime | None


def parse(values: Mapping[str, Any]) -> PointsRow:
    row_id = text(values, "row_id", required=True)
    if len(row_id) > ROW_ID_LENGTH_MAX or not (row_id.isascii() and row_id.isprintable()):
        raise Refused("INVALID_VALUE", f"row_id: 1-{ROW_ID_LENGTH_MAX} printable ASCII characters")
    return PointsRow(
        row_id=row_id,
        loyalty_id=text(values, "loyalty_id", required=True),
        currency=text(values, "currency", required=True),
        points=integer(values, "points"),
        source_id=text(values, "source", required=True),
        reason_code=text(values, "reason_code", required=True),
        reason=text(values, "reason"),
        expires_at=timestamp(values, "expires_at"),
        earned_at=timestamp(values, "earned_at"),
    )


def differences(earlier: RowMapping, member: Member, row: PointsRow) -> list[str]:
    """What the earlier credit of this row_id did differently (empty: the same credit)."""
    # `points` is only the member's leg: the part of the credit that paid off debt is in `debt_points`.
    credited = {**earlier, "points": earlier["points"] + earlier["debt_points"]}
    wanted = {
        "member_pk": member.pk,
        "currency": row.currency,
        "points": row.points,
        "source_id": row.source_id,
        "reason_code": row.reason_code,
    }
    return [name.removesuffix("_pk") for name, value in wanted.items() if credited[name] != value]


class PointsImporter:
    kind = "points"
    columns = POINT_COLUMNS

    def __init__(self, ledger: Ledger, tenant_id: int, *, actor: str = "import") -> None:
        self.ledger = ledger
        self.tenant_id = tenant_id
        self.actor = actor

    def row_id(self, values: Mapping[str, Any]) -> str:
        return str(values.get("row_id", ""))

    async def apply(self, values: Mapping[str, Any]) -> Outcome:
        try:
            return await self._apply(parse(values))
        except DomainError as error:
            raise refusal(error) from None

    async def _apply(self, row: PointsRow) -> Outcome:
        if row.earned_at is not None and row.earned_at > self.ledger.clock.now():
            raise Refused("INVALID_VALUE", "earned_at lies in the future")
        member, earlier = await self._member_and_earlier(row)
        if earlier is not None:
            differing = differences(earlier, member, row)
            if differing:
                raise Refused(
                    "ROW_ID_REUSED", f"row_id {row.row_id} was imported with another {', '.join(differing)}"
                )
            return Outcome.SKIPPED
        entry = AwardEntry(
            request_id=REQUEST_ID_PREFIX + row.row_id,
            member_id=member.member_id,
            currency=row.currency,
            points=row.points,
            source_id=row.source_id,
            reason_code=row.reason_code,
            reason=row.reason,
            expires_at=row.expires_at,
        )
        await award(
            self.ledger,
            self.tenant_id,
            entry,
            origin_type=ORIGIN_TYPE,
            origin_id=row.row_id,
            effective_at=row.earned_at,
            actor=self.actor,
        )
        return Outcome.IMPORTED

    async def _member_and_earlier(self, row: PointsRow) -> tuple[Member, RowMapping | None]:
        query = (
            select(ledger_transactions)
            .where(
                ledger_transactions.c.tenant_id == self.tenant_id,
                ledger_transactions.c.origin_type == ORIGIN_TYPE,
                ledger_transactions.c.origin_id == row.row_id,
                ledger_transactions.c.type == "earn",
            )
            .limit(1)
        )
        async with self.ledger.engine.connect() as connection:
            member = await lookup_member(connection, self.tenant_id, loyalty_id=row.loyalty_id)
            earlier = (await connection.execute(query)).mappings().first()
        return member, earlier
