"""`loyalty import members`: one row -> one Ledger.enroll, anchored on the row's loyalty id.

The request id "import:members:<loyalty_id>" makes two concurrent runs enroll a member once. A
loyalty id already enrolled (by an earlier run, even one older than the idempotency keys' lifetime,
or by a POS) is a replay when the member has the row's details, and refused when not: an import
never changes a member behind the operator's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyalty_server.errors import DomainError
from loyalty_server.imports.fields import MEMBER_COLUMNS, Outcome, Refused, refusal, text
from loyalty_server.ledger.members import Member, lookup_member, normalize_email
from loyalty_server.ledger.operations import Ledger

REQUEST_ID_PREFIX = "import:members:"
LOYALTY_ID_LENGTH_MAX = 64
STORE_ID_LENGTH_MAX = 64  # the column's width: PostgreSQL would refuse a longer one


@dataclass(frozen=True, slots=True)
class MemberRow:
    loyalty_id: str
    email: str | None
    phone: str | None
    given_name: str
    family_name: str
    time_zone: str | None
    store_id: str


def parse(values: Mapping[str, Any]) -> MemberRow:
    loyalty_id = text(values, "loyalty_id", required=True)
    if len(loyalty_id) > LOYALTY_ID_LENGTH_MAX:  # checked here too: it is part of the request id
        raise Refused("INVALID_VALUE", f"loyalty_id: at most {LOYALTY_ID_LENGTH_MAX} characters")
    store_id = text(values, "enrollment_store_id")
    if len(store_id) > STORE_ID_LENGTH_MAX:
        raise Refused("INVALID_VALUE", f"enrollment_store_id: at most {STORE_ID_LENGTH_MAX} characters")
    return MemberRow(
        loyalty_id=loyalty_id,
        email=text(values, "email") or None,
        phone=text(values, "phone") or None,
        given_name=text(values, "given_name"),
        family_name=text(values, "family_name"),
        time_zone=text(values, "time_zone") or None,
        store_id=store_id,
    )


def differences(member: Member, row: MemberRow, default_time_zone: str) -> list[str]:
    """The fields in which an enrolled member differs from a row (empty: the same member)."""
    wanted = {
        "email": normalize_email(row.email),
        "phone": row.phone,
        "given_name": row.given_name,
        "family_name": row.family_name,
        "time_zone": row.time_zone or default_time_zone,
        "enrollment_store_id": row.store_id,
    }
    return [name for name, value in wanted.items() if getattr(member, name) != value]


class MemberImporter:
    kind = "members"
    columns = MEMBER_COLUMNS

    def __init__(self, ledger: Ledger, tenant_id: int) -> None:
        self.ledger = ledger
        self.tenant_id = tenant_id

    def row_id(self, values: Mapping[str, Any]) -> str:
        return str(values.get("loyalty_id", ""))

    async def apply(self, values: Mapping[str, Any]) -> Outcome:
        try:
            return await self._apply(parse(values))
        except DomainError as error:
            raise refusal(error) from None

    async def _apply(self, row: MemberRow) -> Outcome:
        existing = await self._enrolled(row.loyalty_id)
        if existing is not None:
            default_zone = self.ledger.program_for(self.tenant_id).default_time_zone
            differing = differences(existing, row, default_zone)
            if differing:
                raise Refused(
                    "MEMBER_DIFFERS",
                    f"loyalty id {row.loyalty_id} is enrolled with another {', '.join(differing)}",
                )
            return Outcome.SKIPPED
        await self.ledger.enroll(
            self.tenant_id,
            request_id=REQUEST_ID_PREFIX + row.loyalty_id,
            channel="import",
            loyalty_id=row.loyalty_id,
            email=row.email,
            phone=row.phone,
            given_name=row.given_name,
            family_name=row.family_name,
            time_zone=row.time_zone,
            store_id=row.store_id,
        )
        return Outcome.IMPORTED

    async def _enrolled(self, loyalty_id: str) -> Member | None:
        async with self.ledger.engine.connect() as connection:
            try:
                return await lookup_member(connection, self.tenant_id, loyalty_id=loyalty_id)
            except DomainError as error:
                if error.reason == "MEMBER_NOT_FOUND":
                    return None
                raise
