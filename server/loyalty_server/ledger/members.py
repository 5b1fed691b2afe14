"""Members: enroll, read, look up. Each member belongs to one tenant; loyalty id, email and phone are
unique within it. Functions here run inside the caller's transaction (a connection), so enrolling can
share a transaction with, say, creating login credentials.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import secrets
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import common_pb2, subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger.tables import members
from loyalty_server.storage.prepared import Prepared, Row

LOYALTY_ID_DIGITS = 12
LOYALTY_ID_ATTEMPTS_MAX = 5  # generated ids collide with probability ~n/10^12; retry a few times
NAME_LENGTH_MAX = 100
EMAIL_LENGTH_MAX = 254
_LOYALTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


class MemberStatus(enum.Enum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    ERASED = "erased"


CHANNELS = {
    "pos": common_pb2.ENROLLMENT_CHANNEL_POS,
    "web_registration": common_pb2.ENROLLMENT_CHANNEL_WEB_REGISTRATION,
    "api": common_pb2.ENROLLMENT_CHANNEL_API,
    "import": common_pb2.ENROLLMENT_CHANNEL_IMPORT,
}


@dataclass(frozen=True, slots=True)
class Member:
    pk: int  # internal row id: what ledger rows reference
    tenant_id: int
    member_id: str
    loyalty_id: str
    email: str | None
    phone: str | None
    given_name: str
    family_name: str
    time_zone: str
    status: MemberStatus
    enrollment_channel: str
    enrollment_store_id: str
    tier_id: str | None
    custom_tier_id: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_at: dt.datetime | None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        """A weak etag: the row version, bumped on every change (UpdateMember's optimistic check)."""
        return f'W/"{self.version}"'

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def new_member_id() -> str:
    # Random, unlike the other public ids (ids.py): it outlives an erasure (in events, in partners'
    # copies), and a time in it would still tell when the person enrolled. Members are few next to
    # events and transactions, so their index's scattered inserts cost little.
    return "m_" + secrets.token_hex(10)


def normalize_email(email: str | None) -> str | None:
    if not email:
        return None
    email = email.strip().lower()
    if len(email) > EMAIL_LENGTH_MAX or not _EMAIL.match(email):
        raise invalid_argument(
            "INVALID_EMAIL", "not an e-mail address", FieldViolation("email", "not an e-mail address")
        )
    return email


def check_fields(
    loyalty_id: str | None, phone: str | None, given_name: str, family_name: str, time_zone: str
) -> None:
    violations = []
    if loyalty_id and not _LOYALTY_ID.match(loyalty_id):
        violations.append(FieldViolation("loyalty_id", "1-64 letters, digits, '_' or '-'"))
    if phone and not _PHONE.match(phone):
        violations.append(FieldViolation("phone", "E.164, e.g. +4915112345678"))
    for name, value in (("given_name", given_name), ("family_name", family_name)):
        if len(value) > NAME_LENGTH_MAX:
            violations.append(FieldViolation(name, f"at most {NAME_LENGTH_MAX} characters"))
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        violations.append(FieldViolation("time_zone", f"unknown IANA time zone {time_zone!r}"))
    if violations:
        raise invalid_argument("INVALID_MEMBER", "the member has invalid fields", *violations)


# Enrolment's statements, built once (storage/prepared.py).
_ENROLLED_COLUMNS = (
    "tenant_id",
    "member_id",
    "loyalty_id",
    "email",
    "phone",
    "given_name",
    "family_name",
    "time_zone",
    "status",
    "enrollment_channel",
    "enrollment_store_id",
    "attributes_json",
    "version",
    "created_at",
    "updated_at",
)
_INSERT_MEMBER = Prepared(insert(members).returning(members.c.id), insert_columns=_ENROLLED_COLUMNS)
_MEMBER_WITH = {  # a member of this tenant already holding a unique value
    column.name: Prepared(
        select(members.c.id).where(members.c.tenant_id == bindparam("tenant"), column == bindparam("value"))
    )
    for column in (members.c.loyalty_id, members.c.email, members.c.phone)
}


async def enroll_member(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    clock: Clock,
    email: str | None = None,
    loyalty_id: str | None = None,
    phone: str | None = None,
    given_name: str = "",
    family_name: str = "",
    time_zone: str | None = None,
    default_time_zone: str = "UTC",
    channel: str = "api",
    store_id: str = "",
    request_id: str = "",
    attributes: dict[str, str] | None = None,
) -> Member:
    """Create a member and its `member.enrolled` event, in the caller's transaction.

    Raises ALREADY_EXISTS (LOYALTY_ID_TAKEN, EMAIL_TAKEN, PHONE_TAKEN) when a unique field is in use
    in this tenant; nothing is written then.
    """
    assert channel in CHANNELS, channel
    email = normalize_email(email)
    phone = phone or None
    zone_name = time_zone or default_time_zone
    check_fields(loyalty_id, phone, given_name, family_name, zone_name)
    await refuse_taken(connection, tenant_id, loyalty_id=loyalty_id, email=email, phone=phone)
    now = clock.now()
    for _attempt in range(LOYALTY_ID_ATTEMPTS_MAX):
        values = {
            "tenant_id": tenant_id,
            "member_id": new_member_id(),
            "loyalty_id": loyalty_id or _generate_loyalty_id(),
            "email": email,
            "phone": phone,
            "given_name": given_name,
            "family_name": family_name,
            "time_zone": zone_name,
            "status": MemberStatus.ACTIVE.value,
            "enrollment_channel": channel,
            "enrollment_store_id": store_id,
            "attributes_json": json.dumps(attributes or {}, sort_keys=True),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with (
                connection.begin_nested()
            ):  # a savepoint: a collision leaves the outer transaction usable
                inserted = await _INSERT_MEMBER.first(connection, **values)
            assert inserted is not None, "INSERT ... RETURNING returns the row"
            break
        except IntegrityError:
            # Someone took a unique value between our check and the insert: re-check to say which.
            await refuse_taken(connection, tenant_id, loyalty_id=loyalty_id, email=email, phone=phone)
            if loyalty_id:
                raise
    else:
        raise DomainError(
            ErrorKind.UNAVAILABLE, "LOYALTY_ID_EXHAUSTED", "could not generate a free loyalty id"
        )
    member = member_from_row(
        {
            **values,
            "pk": inserted["id"],
            "tier_id": None,
            "custom_tier_id": None,
            "deactivated_at": None,
        }
    )
    await _append_enrolled_event(connection, clock, member, request_id)
    return member


def _generate_loyalty_id() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(LOYALTY_ID_DIGITS))


async def refuse_taken(
    connection: AsyncConnection,
    tenant_id: int,
    *,
    loyalty_id: str | None,
    email: str | None,
    phone: str | None,
) -> None:
    for column, value, reason in (
        (members.c.loyalty_id, loyalty_id, "LOYALTY_ID_TAKEN"),
        (members.c.email, email, "EMAIL_TAKEN"),
        (members.c.phone, phone, "PHONE_TAKEN"),
    ):
        if value is None:
            continue
        if await _MEMBER_WITH[column.name].first(connection, tenant=tenant_id, value=value) is not None:
            raise DomainError(
                ErrorKind.ALREADY_EXISTS,
                reason,
                f"a member with this {column.name} exists",
                metadata={"field": column.name},
            )


async def _append_enrolled_event(
    connection: AsyncConnection, clock: Clock, member: Member, request_id: str
) -> None:
    event = subscription_pb2.Event(
        type=subscription_pb2.EVENT_TYPE_MEMBER_ENROLLED,
        member=event_member(member),
        request_id=request_id,
        member_enrolled=subscription_pb2.MemberEnrolledPayload(
            enrollment_channel=CHANNELS[member.enrollment_channel],
            enrollment_store_id=member.enrollment_store_id,
            tier_id=member.tier_id or "",
        ),
    )
    await append_event(connection, clock, tenant_id=member.tenant_id, event=event)


def event_member(member: Member) -> subscription_pb2.EventMember:
    return subscription_pb2.EventMember(
        member_id=member.member_id,
        loyalty_id=member.loyalty_id,
        email=member.email or "",
        phone=member.phone or "",
    )


# Built once, and on SQLite run straight on the driver (storage/prepared.py): the hottest read of all,
# nearly every call names a member.
_MEMBER_QUERY = select(members).where(
    members.c.tenant_id == bindparam("tenant"), members.c.member_id == bindparam("member")
)
_MEMBER = Prepared(_MEMBER_QUERY)
_MEMBER_FOR_UPDATE = Prepared(_MEMBER_QUERY.with_for_update())


async def get_member(
    connection: AsyncConnection, tenant_id: int, member_id: str, *, for_update: bool = False
) -> Member:
    """The member, or NOT_FOUND (MEMBER_NOT_FOUND). Another tenant's member is simply not found."""
    return member_from_row(await get_member_row(connection, tenant_id, member_id, for_update=for_update))


async def get_member_row(
    connection: AsyncConnection, tenant_id: int, member_id: str, *, for_update: bool = False
) -> Row:
    """The member's whole row (all of `members`' columns), or NOT_FOUND as `get_member`."""
    query = _MEMBER_FOR_UPDATE if for_update else _MEMBER
    row = await query.first(connection, tenant=tenant_id, member=member_id)
    if row is None:
        raise not_found("MEMBER_NOT_FOUND", "no such member", member_id=member_id)
    return row


async def lookup_member(
    connection: AsyncConnection,
    tenant_id: int,
    *,
    loyalty_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Member:
    """Exact match on exactly one of loyalty id, email (case-insensitive) or phone."""
    given = [
        (c, v)
        for c, v in ((members.c.loyalty_id, loyalty_id), (members.c.email, email), (members.c.phone, phone))
        if v
    ]
    if len(given) != 1:
        raise invalid_argument("LOOKUP_KEY_REQUIRED", "give exactly one of loyalty_id, email, phone")
    column, value = given[0]
    if column is members.c.email:
        value = normalize_email(value)
    query = select(members).where(members.c.tenant_id == tenant_id, column == value)
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise not_found("MEMBER_NOT_FOUND", f"no member with this {column.name}")
    return member_from_row(row)


def require_not_erased(member: Member) -> None:
    if member.status is MemberStatus.ERASED:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION,
            "MEMBER_ERASED",
            f"member {member.member_id} was erased",
            metadata={"member_id": member.member_id},
        )


def require_active(member: Member) -> None:
    require_not_erased(member)
    if member.status is not MemberStatus.ACTIVE:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION,
            "MEMBER_DEACTIVATED",
            f"member {member.member_id} is {member.status.value}",
            metadata={"member_id": member.member_id},
        )


def member_from_row(row: RowMapping | dict) -> Member:
    pk = row["pk"] if "pk" in row else row["id"]
    return Member(
        pk=pk,
        tenant_id=row["tenant_id"],
        member_id=row["member_id"],
        loyalty_id=row["loyalty_id"],
        email=row["email"],
        phone=row["phone"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        time_zone=row["time_zone"],
        status=MemberStatus(row["status"]),
        enrollment_channel=row["enrollment_channel"],
        enrollment_store_id=row["enrollment_store_id"],
        tier_id=row["tier_id"],
        custom_tier_id=row["custom_tier_id"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deactivated_at=row["deactivated_at"],
        attributes=_attributes_of(row.get("attributes_json")),
    )


def _attributes_of(stored: str | None) -> dict[str, str]:
    # Most members have none: skip the parser (every member read, GetBalance's included, comes here).
    return {} if not stored or stored == "{}" else json.loads(stored)
