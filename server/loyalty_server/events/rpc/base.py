"""What the SubscriptionService handlers share: the hub, and turning a request's filters into an
EventFilter the caller is allowed (tenant from the credentials, partners pinned to their member)."""

from __future__ import annotations

from collections.abc import Iterable

from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.events.feed import EventFilter
from loyalty_server.events.hub import EventHub
from loyalty_server.events.outbox import TYPE_NAMES
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.principal import Role, current_principal
from loyalty_server.storage.sqlite_loop import read_connection

EVENT_TYPE_FILTER_MAX = 64


class SubscriptionRpcBase(LedgerRpcBase):
    @property
    def hub(self) -> EventHub:
        return self.app.hub

    async def event_filter(self, event_types: Iterable[int], member_id: str, field: str) -> EventFilter:
        return EventFilter(
            tenant_id=self.tenant_id(),
            type_names=type_names(event_types),
            member_id=await self.visible_member(member_id, field),
        )

    async def visible_member(self, member_id: str, field: str) -> str | None:
        """The member a filter may name: a partner token is pinned to its own member; others may name
        any member of their tenant (NOT_FOUND for one that does not exist), or none for all."""
        principal = current_principal()
        if principal.role is Role.PARTNER:
            assert principal.member_id, "partner tokens carry their member"
            if member_id and member_id != principal.member_id:
                raise DomainError(
                    ErrorKind.PERMISSION_DENIED,
                    "MEMBER_NOT_GRANTED",
                    "this token was granted for another member",
                    metadata={"member_id": member_id},
                )
            return principal.member_id
        if not member_id:
            return None
        async with read_connection(self.engine) as connection:
            await get_member(connection, principal.tenant_id, member_id)
        return member_id


def type_names(event_types: Iterable[int], field: str = "event_types") -> frozenset[str]:
    """Dotted names of the requested types; UNSPECIFIED (0) means no filter and is skipped."""
    numbers = [number for number in event_types if number != 0]
    if len(numbers) > EVENT_TYPE_FILTER_MAX:
        raise invalid_argument(
            "EVENT_TYPES_TOO_MANY",
            f"at most {EVENT_TYPE_FILTER_MAX} event types",
            FieldViolation(field, f"at most {EVENT_TYPE_FILTER_MAX}"),
        )
    unknown = [number for number in numbers if number not in TYPE_NAMES]
    if unknown:
        raise invalid_argument(
            "EVENT_TYPE_INVALID",
            f"unknown event type {unknown[0]}",
            FieldViolation(field, f"unknown event type {unknown[0]}"),
        )
    return frozenset(TYPE_NAMES[number] for number in numbers)
