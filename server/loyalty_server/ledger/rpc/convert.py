"""Ledger views -> loyalty.v1 messages, and the enum names both sides share. No I/O, no rules."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.members import CHANNELS, Member, MemberStatus
from loyalty_server.ledger.operations import BalanceView, CurrencyBalanceView, HoldView
from loyalty_server.ledger.transactions import TransactionView
from loyalty_server.timestamps import timestamp

MEMBER_STATUSES = {
    MemberStatus.ACTIVE: common_pb2.MEMBER_STATUS_ACTIVE,
    MemberStatus.DEACTIVATED: common_pb2.MEMBER_STATUS_DEACTIVATED,
    MemberStatus.ERASED: common_pb2.MEMBER_STATUS_ERASED,
}
TRANSACTION_TYPES = {
    "earn": common_pb2.TRANSACTION_TYPE_EARN,
    "spend": common_pb2.TRANSACTION_TYPE_SPEND,
    "expire": common_pb2.TRANSACTION_TYPE_EXPIRE,
    "reverse": common_pb2.TRANSACTION_TYPE_REVERSE,
    "adjust": common_pb2.TRANSACTION_TYPE_ADJUST,
    "transfer_out": common_pb2.TRANSACTION_TYPE_TRANSFER_OUT,
    "transfer_in": common_pb2.TRANSACTION_TYPE_TRANSFER_IN,
}
TRANSACTION_TYPE_NAMES = {value: name for name, value in TRANSACTION_TYPES.items()}
# The ledger's origin_type strings, as the OriginType enum names them.
ORIGIN_TYPES = {
    "activity": common_pb2.ORIGIN_TYPE_ACTIVITY,
    "purchase": common_pb2.ORIGIN_TYPE_PURCHASE,
    "return": common_pb2.ORIGIN_TYPE_RETURN,
    "redemption": common_pb2.ORIGIN_TYPE_REDEMPTION,
    "hold": common_pb2.ORIGIN_TYPE_HOLD,
    "coupon": common_pb2.ORIGIN_TYPE_COUPON,
    "adjustment": common_pb2.ORIGIN_TYPE_ADJUSTMENT,
    "transfer": common_pb2.ORIGIN_TYPE_TRANSFER,
    "bulk_award": common_pb2.ORIGIN_TYPE_BULK_AWARD,
    "import": common_pb2.ORIGIN_TYPE_IMPORT,
    "expiry": common_pb2.ORIGIN_TYPE_EXPIRY,
    "partner_connection": common_pb2.ORIGIN_TYPE_PARTNER_CONNECTION,
}
ORIGIN_TYPE_NAMES = {value: name for name, value in ORIGIN_TYPES.items()}
ACCOUNT_TYPES = {
    "member": common_pb2.ACCOUNT_TYPE_MEMBER,
    "issuance": common_pb2.ACCOUNT_TYPE_ISSUANCE,
    "redemption": common_pb2.ACCOUNT_TYPE_REDEMPTION,
    "expiry": common_pb2.ACCOUNT_TYPE_EXPIRY,
    "adjustment": common_pb2.ACCOUNT_TYPE_ADJUSTMENT,
    "debt": common_pb2.ACCOUNT_TYPE_MEMBER_DEBT,
}
HOLD_STATUSES = {
    "active": ledger_pb2.HOLD_STATUS_ACTIVE,
    "captured": ledger_pb2.HOLD_STATUS_CAPTURED,
    "voided": ledger_pb2.HOLD_STATUS_VOIDED,
    "expired": ledger_pb2.HOLD_STATUS_EXPIRED,
}


# google.protobuf.Timestamp's documented range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z:
# beyond it ToDatetime fails, so a caller's out-of-range time is refused as bad input.
TIMESTAMP_SECONDS_MIN = -62_135_596_800
TIMESTAMP_SECONDS_MAX = 253_402_300_799
NANOS_MAX = 999_999_999


def datetime_of(stamp: timestamp_pb2.Timestamp, field: str) -> dt.datetime:
    """A request's Timestamp as an aware UTC datetime; INVALID_ARGUMENT (INVALID_TIMESTAMP) naming
    `field` when it is outside Timestamp's range."""
    if not (
        TIMESTAMP_SECONDS_MIN <= stamp.seconds <= TIMESTAMP_SECONDS_MAX and 0 <= stamp.nanos <= NANOS_MAX
    ):
        raise invalid_argument(
            "INVALID_TIMESTAMP",
            f"{field}: not a valid time (0001-01-01 to 9999-12-31 UTC, nanos 0-{NANOS_MAX})",
            FieldViolation(field, "outside 0001-01-01 to 9999-12-31 UTC"),
        )
    return stamp.ToDatetime(tzinfo=dt.UTC)


# When something happened (a purchase, a return) or is evaluated: the engine works on it in the
# member's time zone and in day, week and month periods around it, which near year 1 or 9999 leaves
# what a datetime can hold. No loyalty fact is older than the Unix epoch or 7000 years ahead.
MOMENT_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MOMENT_LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def moment_of(stamp: timestamp_pb2.Timestamp, field: str) -> dt.datetime:
    """Like datetime_of, for the time of an event: INVALID_TIMESTAMP outside 1970-01-01 to
    9000-01-01 UTC."""
    moment = datetime_of(stamp, field)
    if not MOMENT_EARLIEST <= moment < MOMENT_LATEST:
        raise invalid_argument(
            "INVALID_TIMESTAMP",
            f"{field}: must be from 1970-01-01 to 9000-01-01 UTC",
            FieldViolation(field, "outside 1970-01-01 to 9000-01-01 UTC"),
        )
    return moment


def member_to_proto(member: Member, tenant_code: str, tier_id: str) -> common_pb2.Member:
    return common_pb2.Member(
        member_id=member.member_id,
        loyalty_id=member.loyalty_id,
        email=member.email or "",
        phone=member.phone or "",
        given_name=member.given_name,
        family_name=member.family_name,
        time_zone=member.time_zone,
        status=MEMBER_STATUSES[member.status],
        attributes=member.attributes,
        enrollment_channel=CHANNELS[member.enrollment_channel],
        enrollment_store_id=member.enrollment_store_id,
        tenant_code=tenant_code,
        tier_id=tier_id,
        create_time=timestamp(member.created_at),
        update_time=timestamp(member.updated_at),
        deactivate_time=timestamp(member.deactivated_at),
        etag=member.etag,
    )


def currency_balance_to_proto(view: CurrencyBalanceView) -> common_pb2.CurrencyBalance:
    return common_pb2.CurrencyBalance(
        currency=view.currency,
        available_points=view.available,
        pending_points=view.pending,
        held_points=view.held,
        lifetime_earned_points=view.lifetime_earned,
        lifetime_spent_points=view.lifetime_spent,
        lifetime_expired_points=view.lifetime_expired,
        debt_points=view.debt,
        sources=[
            common_pb2.SourceBalance(
                source_id=source, lifetime_earned_points=earned, remaining_points=remaining
            )
            for source, (earned, remaining) in sorted(view.sources.items())
        ],
    )


def balance_to_proto(view: BalanceView) -> common_pb2.Balance:
    return common_pb2.Balance(
        member_id=view.member.member_id,
        loyalty_id=view.member.loyalty_id,
        currencies=[currency_balance_to_proto(currency) for currency in view.currencies],
        total_available_points=view.total_available,
        update_time=timestamp(view.updated_at),
    )


def transaction_to_proto(view: TransactionView) -> common_pb2.Transaction:
    return common_pb2.Transaction(
        transaction_id=view.transaction_id,
        type=TRANSACTION_TYPES[view.type],
        member_id=view.member_id,
        loyalty_id=view.loyalty_id,
        currency=view.currency,
        points=view.points,
        debt_points=view.debt_points,
        postings=[
            common_pb2.Posting(
                account=leg.account,
                account_type=ACCOUNT_TYPES.get(leg.account_type, common_pb2.ACCOUNT_TYPE_UNSPECIFIED),
                currency=leg.currency,
                points=leg.points,
            )
            for leg in view.postings
        ],
        source_id=view.source_id or "",
        origin=common_pb2.OriginRef(
            type=ORIGIN_TYPES.get(view.origin_type, common_pb2.ORIGIN_TYPE_UNSPECIFIED),
            id=view.origin_id,
            client_id=view.origin_client_id,
        ),
        reason_code=view.reason_code,
        reason=view.reason,
        request_id=view.request_id,
        reverses_transaction_id=view.reverses_transaction_id or "",
        effective_time=timestamp(view.effective_at),
        create_time=timestamp(view.created_at),
        expire_time=timestamp(view.expires_at),
        pending_until=timestamp(view.pending_until),
        actor=view.actor,
    )


def hold_to_proto(view: HoldView, loyalty_id: str) -> ledger_pb2.Hold:
    released = view.points - view.captured_points if view.status != "active" else 0
    return ledger_pb2.Hold(
        hold_id=view.hold_id,
        member_id=view.member_id,
        loyalty_id=loyalty_id,
        currency=view.currency,
        points=view.points,
        captured_points=view.captured_points,
        released_points=released,
        status=HOLD_STATUSES[view.status],
        reference=view.reference,
        description=view.description,
        create_time=timestamp(view.created_at),
        expire_time=timestamp(view.expires_at),
        close_time=timestamp(view.closed_at),
        capture_transaction_id=view.capture_transaction_id or "",
    )
