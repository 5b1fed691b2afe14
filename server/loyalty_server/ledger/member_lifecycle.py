"""A member after enrollment: update (with an etag), deactivate, erase (GDPR), list.

Each change is one write transaction with its idempotency key and its event. Deactivation voids the
member's active holds and revokes every partner grant; erasure does that too, then deletes the
personal data and the login, keeping the anonymous ledger rows so the program's totals still audit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server import requests
from loyalty_server.activity.history import erase_activity_data
from loyalty_server.auth import grants
from loyalty_server.auth.tables import member_credentials, member_sessions
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.events.outbox import append_event, forget_member
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.book import close_hold, find_hold
from loyalty_server.ledger.members import (
    Member,
    MemberStatus,
    check_fields,
    event_member,
    get_member,
    normalize_email,
    refuse_taken,
    require_not_erased,
)
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import holds, members
from loyalty_server.storage.engine import write_transaction
from loyalty_server.timestamps import set_timestamp

UPDATABLE_FIELDS = frozenset(
    {
        "loyalty_id",
        "email",
        "phone",
        "given_name",
        "family_name",
        "time_zone",
        "attributes",
        "enrollment_store_id",
    }
)
ATTRIBUTES_MAX = 50
ATTRIBUTE_KEY_LENGTH_MAX = 64
ATTRIBUTE_VALUE_LENGTH_MAX = 500
STORE_ID_LENGTH_MAX = 64
HOLDS_VOIDED_MAX = 10_000  # a member never has more active holds than this (each is a POS basket)


@dataclass(frozen=True, slots=True)
class Erasure:
    member: Member
    grants_revoked: int
    health_readings_deleted: int


def check_attributes(attributes: dict[str, str]) -> None:
    if len(attributes) > ATTRIBUTES_MAX:
        raise invalid_argument(
            "FIELD_TOO_LONG", f"at most {ATTRIBUTES_MAX} attributes", FieldViolation("attributes", "too many")
        )
    for key, value in attributes.items():
        if not key or len(key) > ATTRIBUTE_KEY_LENGTH_MAX or len(value) > ATTRIBUTE_VALUE_LENGTH_MAX:
            raise invalid_argument(
                "FIELD_TOO_LONG",
                f"attribute keys are 1-{ATTRIBUTE_KEY_LENGTH_MAX} and values at most "
                f"{ATTRIBUTE_VALUE_LENGTH_MAX} characters",
                FieldViolation(f"attributes[{key!r}]", "too long"),
            )


def check_reason(reason: str) -> str:
    return requests.check_reason(reason.strip(), required=True)


class MemberLifecycle:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def update(
        self, tenant_id: int, member_id: str, changes: dict[str, Any], *, etag: str, request_id: str
    ) -> Member:
        """Apply `changes` (only UPDATABLE_FIELDS). ABORTED (ETAG_MISMATCH) when `etag` is given and stale."""
        unknown = sorted(set(changes) - UPDATABLE_FIELDS)
        if unknown or not changes:
            raise invalid_argument(
                "FIELD_NOT_UPDATABLE",
                f"update_mask may name only {', '.join(sorted(UPDATABLE_FIELDS))}",
                FieldViolation("update_mask", f"not updatable: {', '.join(unknown)}" if unknown else "empty"),
            )
        values = _normalized(changes)
        content = {"op": "update", "member_id": member_id, "changes": changes, "etag": etag}
        async with write_transaction(self.ledger.engine) as connection:
            replay = await self._claim(connection, tenant_id, "ledger.member.update", request_id, content)
            if replay is not None:
                return await get_member(connection, tenant_id, member_id)
            member = await get_member(connection, tenant_id, member_id, for_update=True)
            require_not_erased(member)
            if etag and etag != member.etag:
                raise DomainError(
                    ErrorKind.ABORTED,
                    "ETAG_MISMATCH",
                    "the member changed since it was read; read it again and retry",
                    metadata={"member_id": member_id, "etag": member.etag},
                )
            await self._refuse_taken_by_others(connection, member, values)
            stored = {**values}
            if "attributes" in stored:
                stored["attributes_json"] = json.dumps(stored.pop("attributes"), sort_keys=True)
            await connection.execute(
                update(members)
                .where(members.c.id == member.pk)
                .values(**stored, version=member.version + 1, updated_at=self.ledger.clock.now())
            )
            await self._record(connection, tenant_id, "ledger.member.update", request_id, member_id)
            return await get_member(connection, tenant_id, member_id)

    async def deactivate(self, tenant_id: int, member_id: str, *, reason: str, request_id: str) -> Member:
        reason = check_reason(reason)
        content = {"op": "deactivate", "member_id": member_id, "reason": reason}
        async with write_transaction(self.ledger.engine) as connection:
            replay = await self._claim(connection, tenant_id, "ledger.member.deactivate", request_id, content)
            if replay is not None:
                return await get_member(connection, tenant_id, member_id)
            member = await self._lock(connection, tenant_id, member_id)
            require_not_erased(member)
            if member.status is MemberStatus.ACTIVE:
                await self._close_member(connection, member, grants.DEACTIVATED)
                await self._set_status(connection, member, MemberStatus.DEACTIVATED)
                event = subscription_pb2.Event(
                    type=subscription_pb2.EVENT_TYPE_MEMBER_DEACTIVATED,
                    member=event_member(member),
                    request_id=request_id,
                    member_deactivated=subscription_pb2.MemberDeactivatedPayload(reason=reason),
                )
                await append_event(connection, self.ledger.clock, tenant_id=tenant_id, event=event)
            await self._record(connection, tenant_id, "ledger.member.deactivate", request_id, member_id)
            return await get_member(connection, tenant_id, member_id)

    async def erase(self, tenant_id: int, member_id: str, *, reason: str, request_id: str) -> Erasure:
        """Irreversible. The event carries only the member id: the personal data is gone."""
        reason = check_reason(reason)
        content = {"op": "erase", "member_id": member_id, "reason": reason}
        async with write_transaction(self.ledger.engine) as connection:
            replay = await self._claim(connection, tenant_id, "ledger.member.erase", request_id, content)
            if replay is not None:
                member = await get_member(connection, tenant_id, member_id)
                return Erasure(member, replay["grants_revoked"], replay["health_readings_deleted"])
            member = await self._lock(connection, tenant_id, member_id)
            require_not_erased(member)
            revoked = await self._close_member(connection, member, grants.MEMBER_INACTIVE)
            await self._delete_personal_data(connection, member)
            readings_deleted = await erase_activity_data(connection, member.pk)
            now = self.ledger.clock.now()
            event = subscription_pb2.Event(
                type=subscription_pb2.EVENT_TYPE_MEMBER_ERASED, request_id=request_id
            )
            event.member.member_id = member.member_id
            set_timestamp(event.member_erased.erase_time, now)
            await append_event(connection, self.ledger.clock, tenant_id=tenant_id, event=event)
            # Past events (and webhooks still to be sent) keep only the member id.
            await forget_member(connection, tenant_id=tenant_id, member_id=member.member_id)
            result = {
                "member_id": member_id,
                "grants_revoked": revoked,
                "health_readings_deleted": readings_deleted,
            }
            await idempotency.record(
                connection, tenant_id=tenant_id, scope="ledger.member.erase", key=request_id, result=result
            )
            return Erasure(await get_member(connection, tenant_id, member_id), revoked, readings_deleted)

    async def _lock(self, connection: AsyncConnection, tenant_id: int, member_id: str) -> Member:
        """Every account row of the member, then the member row: the lock order of every ledger write
        (earning locks the account, then the member for its tier), so the two never deadlock. Settling
        on the way expires lapsed holds, so only live ones are voided."""
        member = await get_member(connection, tenant_id, member_id)
        await self.ledger.settle_all(connection, member)
        return await get_member(connection, tenant_id, member_id, for_update=True)

    async def _close_member(self, connection: AsyncConnection, member: Member, grant_reason: str) -> int:
        """Void the member's active holds (with hold.voided events); revoke every partner grant."""
        now = self.ledger.clock.now()
        query = (
            select(holds.c.hold_id, holds.c.currency)
            .where(holds.c.member_pk == member.pk, holds.c.status == "active")
            .limit(HOLDS_VOIDED_MAX)
        )
        active = (await connection.execute(query)).all()
        for hold_id, _currency in active:
            hold = await find_hold(connection, member.tenant_id, hold_id, lock=True)
            if hold["status"] != "active":
                continue
            await close_hold(connection, hold, status="voided", now=now)
            voided = await find_hold(connection, member.tenant_id, hold_id)
            await self.ledger.hold_event(
                connection, member, voided, subscription_pb2.EVENT_TYPE_HOLD_VOIDED, ""
            )
        return await grants.revoke_member_grants(
            connection,
            self.ledger.clock,
            tenant_id=member.tenant_id,
            member_id=member.member_id,
            reason=grant_reason,
        )

    async def _set_status(self, connection: AsyncConnection, member: Member, status: MemberStatus) -> None:
        now = self.ledger.clock.now()
        await connection.execute(
            update(members)
            .where(members.c.id == member.pk)
            .values(status=status.value, deactivated_at=now, version=member.version + 1, updated_at=now)
        )

    async def _delete_personal_data(self, connection: AsyncConnection, member: Member) -> None:
        now = self.ledger.clock.now()
        for table in (member_credentials, member_sessions):
            await connection.execute(
                delete(table).where(
                    table.c.tenant_id == member.tenant_id, table.c.member_id == member.member_id
                )
            )
        await connection.execute(
            update(members)
            .where(members.c.id == member.pk)
            .values(
                status=MemberStatus.ERASED.value,
                # The card number identifies a person too; a placeholder keeps the column unique.
                loyalty_id=f"erased-{member.member_id}",
                email=None,
                phone=None,
                given_name="",
                family_name="",
                attributes_json="{}",
                enrollment_store_id="",
                deactivated_at=member.deactivated_at or now,
                version=member.version + 1,
                updated_at=now,
            )
        )

    async def _refuse_taken_by_others(
        self, connection: AsyncConnection, member: Member, values: dict[str, Any]
    ) -> None:
        changed = {
            key: values[key]
            for key in ("loyalty_id", "email", "phone")
            if key in values and values[key] is not None and values[key] != getattr(member, key)
        }
        if changed:
            await refuse_taken(
                connection,
                member.tenant_id,
                loyalty_id=changed.get("loyalty_id"),
                email=changed.get("email"),
                phone=changed.get("phone"),
            )

    async def _claim(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, content: dict[str, Any]
    ) -> dict[str, Any] | None:
        requests.check_request_id(key)
        return await idempotency.claim(
            connection, self.ledger.clock, tenant_id=tenant_id, scope=scope, key=key, content=content
        )

    async def _record(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, member_id: str
    ) -> None:
        await idempotency.record(
            connection, tenant_id=tenant_id, scope=scope, key=key, result={"member_id": member_id}
        )


def _normalized(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the changed fields exactly like enrollment does; empty strings clear email and phone."""
    values = dict(changes)
    if "email" in values:
        values["email"] = normalize_email(values["email"])
    if "phone" in values:
        values["phone"] = values["phone"] or None
    if "loyalty_id" in values and not values["loyalty_id"]:
        raise invalid_argument(
            "INVALID_MEMBER", "loyalty_id cannot be cleared", FieldViolation("loyalty_id", "required")
        )
    if "attributes" in values:
        check_attributes(values["attributes"])
    if len(values.get("enrollment_store_id", "")) > STORE_ID_LENGTH_MAX:
        raise invalid_argument(
            "FIELD_TOO_LONG",
            "enrollment_store_id is too long",
            FieldViolation("enrollment_store_id", "too long"),
        )
    check_fields(
        values.get("loyalty_id"),
        values.get("phone"),
        values.get("given_name", ""),
        values.get("family_name", ""),
        values.get("time_zone", "UTC"),
    )
    return values
