import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from loyalty.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemberView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_VIEW_UNSPECIFIED: _ClassVar[MemberView]
    MEMBER_VIEW_BASIC: _ClassVar[MemberView]
    MEMBER_VIEW_FULL: _ClassVar[MemberView]

class HoldStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATUS_UNSPECIFIED: _ClassVar[HoldStatus]
    HOLD_STATUS_ACTIVE: _ClassVar[HoldStatus]
    HOLD_STATUS_CAPTURED: _ClassVar[HoldStatus]
    HOLD_STATUS_VOIDED: _ClassVar[HoldStatus]
    HOLD_STATUS_EXPIRED: _ClassVar[HoldStatus]

class RewardIneligibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REWARD_INELIGIBILITY_UNSPECIFIED: _ClassVar[RewardIneligibility]
    REWARD_INELIGIBILITY_INSUFFICIENT_POINTS: _ClassVar[RewardIneligibility]
    REWARD_INELIGIBILITY_TIER_NOT_ELIGIBLE: _ClassVar[RewardIneligibility]
    REWARD_INELIGIBILITY_OUT_OF_STOCK: _ClassVar[RewardIneligibility]
    REWARD_INELIGIBILITY_MEMBER_LIMIT_REACHED: _ClassVar[RewardIneligibility]
    REWARD_INELIGIBILITY_MEMBER_INACTIVE: _ClassVar[RewardIneligibility]

class CouponStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_STATUS_UNSPECIFIED: _ClassVar[CouponStatus]
    COUPON_STATUS_ISSUED: _ClassVar[CouponStatus]
    COUPON_STATUS_USED: _ClassVar[CouponStatus]
    COUPON_STATUS_CANCELLED: _ClassVar[CouponStatus]
    COUPON_STATUS_EXPIRED: _ClassVar[CouponStatus]

class ExpiryPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPIRY_POLICY_UNSPECIFIED: _ClassVar[ExpiryPolicy]
    EXPIRY_POLICY_NEVER: _ClassVar[ExpiryPolicy]
    EXPIRY_POLICY_AFTER_DAYS: _ClassVar[ExpiryPolicy]
    EXPIRY_POLICY_END_OF_MONTH: _ClassVar[ExpiryPolicy]
    EXPIRY_POLICY_END_OF_YEAR: _ClassVar[ExpiryPolicy]

class DebtPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEBT_POLICY_UNSPECIFIED: _ClassVar[DebtPolicy]
    DEBT_POLICY_RECORD_DEBT: _ClassVar[DebtPolicy]
    DEBT_POLICY_ALLOW_NEGATIVE: _ClassVar[DebtPolicy]

class LimitPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIMIT_PERIOD_UNSPECIFIED: _ClassVar[LimitPeriod]
    LIMIT_PERIOD_DAY: _ClassVar[LimitPeriod]
    LIMIT_PERIOD_WEEK: _ClassVar[LimitPeriod]
    LIMIT_PERIOD_MONTH: _ClassVar[LimitPeriod]

class RuleMeasure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RULE_MEASURE_UNSPECIFIED: _ClassVar[RuleMeasure]
    RULE_MEASURE_OCCURRENCE: _ClassVar[RuleMeasure]
    RULE_MEASURE_MILES: _ClassVar[RuleMeasure]
    RULE_MEASURE_AMOUNT: _ClassVar[RuleMeasure]
MEMBER_VIEW_UNSPECIFIED: MemberView
MEMBER_VIEW_BASIC: MemberView
MEMBER_VIEW_FULL: MemberView
HOLD_STATUS_UNSPECIFIED: HoldStatus
HOLD_STATUS_ACTIVE: HoldStatus
HOLD_STATUS_CAPTURED: HoldStatus
HOLD_STATUS_VOIDED: HoldStatus
HOLD_STATUS_EXPIRED: HoldStatus
REWARD_INELIGIBILITY_UNSPECIFIED: RewardIneligibility
REWARD_INELIGIBILITY_INSUFFICIENT_POINTS: RewardIneligibility
REWARD_INELIGIBILITY_TIER_NOT_ELIGIBLE: RewardIneligibility
REWARD_INELIGIBILITY_OUT_OF_STOCK: RewardIneligibility
REWARD_INELIGIBILITY_MEMBER_LIMIT_REACHED: RewardIneligibility
REWARD_INELIGIBILITY_MEMBER_INACTIVE: RewardIneligibility
COUPON_STATUS_UNSPECIFIED: CouponStatus
COUPON_STATUS_ISSUED: CouponStatus
COUPON_STATUS_USED: CouponStatus
COUPON_STATUS_CANCELLED: CouponStatus
COUPON_STATUS_EXPIRED: CouponStatus
EXPIRY_POLICY_UNSPECIFIED: ExpiryPolicy
EXPIRY_POLICY_NEVER: ExpiryPolicy
EXPIRY_POLICY_AFTER_DAYS: ExpiryPolicy
EXPIRY_POLICY_END_OF_MONTH: ExpiryPolicy
EXPIRY_POLICY_END_OF_YEAR: ExpiryPolicy
DEBT_POLICY_UNSPECIFIED: DebtPolicy
DEBT_POLICY_RECORD_DEBT: DebtPolicy
DEBT_POLICY_ALLOW_NEGATIVE: DebtPolicy
LIMIT_PERIOD_UNSPECIFIED: LimitPeriod
LIMIT_PERIOD_DAY: LimitPeriod
LIMIT_PERIOD_WEEK: LimitPeriod
LIMIT_PERIOD_MONTH: LimitPeriod
RULE_MEASURE_UNSPECIFIED: RuleMeasure
RULE_MEASURE_OCCURRENCE: RuleMeasure
RULE_MEASURE_MILES: RuleMeasure
RULE_MEASURE_AMOUNT: RuleMeasure

class EnrollMemberRequest(_message.Message):
    __slots__ = ("member", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class EnrollMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ...) -> None: ...

class GetMemberRequest(_message.Message):
    __slots__ = ("member_id", "view")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    view: MemberView
    def __init__(self, member_id: _Optional[str] = ..., view: _Optional[_Union[MemberView, str]] = ...) -> None: ...

class GetMemberResponse(_message.Message):
    __slots__ = ("member", "balance", "tier")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    balance: _common_pb2.Balance
    tier: _common_pb2.MemberTier
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.Balance, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ...) -> None: ...

class LookupMemberRequest(_message.Message):
    __slots__ = ("loyalty_id", "email", "phone", "view")
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    loyalty_id: str
    email: str
    phone: str
    view: MemberView
    def __init__(self, loyalty_id: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., view: _Optional[_Union[MemberView, str]] = ...) -> None: ...

class LookupMemberResponse(_message.Message):
    __slots__ = ("member", "balance", "tier")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    balance: _common_pb2.Balance
    tier: _common_pb2.MemberTier
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.Balance, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "tier_id", "create_time_start", "create_time_end")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_START_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_END_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _common_pb2.MemberStatus
    tier_id: str
    create_time_start: _timestamp_pb2.Timestamp
    create_time_end: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.MemberStatus, str]] = ..., tier_id: _Optional[str] = ..., create_time_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members", "next_page_token")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.Member]
    next_page_token: str
    def __init__(self, members: _Optional[_Iterable[_Union[_common_pb2.Member, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateMemberRequest(_message.Message):
    __slots__ = ("member", "update_mask", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ...) -> None: ...

class DeactivateMemberRequest(_message.Message):
    __slots__ = ("member_id", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeactivateMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ...) -> None: ...

class EraseMemberRequest(_message.Message):
    __slots__ = ("member_id", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class EraseMemberResponse(_message.Message):
    __slots__ = ("member", "health_readings_deleted", "grants_revoked")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    HEALTH_READINGS_DELETED_FIELD_NUMBER: _ClassVar[int]
    GRANTS_REVOKED_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.Member
    health_readings_deleted: int
    grants_revoked: int
    def __init__(self, member: _Optional[_Union[_common_pb2.Member, _Mapping]] = ..., health_readings_deleted: _Optional[int] = ..., grants_revoked: _Optional[int] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: _common_pb2.Balance
    def __init__(self, balance: _Optional[_Union[_common_pb2.Balance, _Mapping]] = ...) -> None: ...

class ListTransactionsRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token", "types", "currency", "start_time", "end_time", "origin")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    types: _containers.RepeatedScalarFieldContainer[_common_pb2.TransactionType]
    currency: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    origin: _common_pb2.OriginRef
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., types: _Optional[_Iterable[_Union[_common_pb2.TransactionType, str]]] = ..., currency: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., origin: _Optional[_Union[_common_pb2.OriginRef, _Mapping]] = ...) -> None: ...

class ListTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("transaction_id",)
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    def __init__(self, transaction_id: _Optional[str] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ...) -> None: ...

class ListExpiringPointsRequest(_message.Message):
    __slots__ = ("member_id", "within_days", "currency", "page_size", "page_token")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    WITHIN_DAYS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    within_days: int
    currency: str
    page_size: int
    page_token: str
    def __init__(self, member_id: _Optional[str] = ..., within_days: _Optional[int] = ..., currency: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ExpiringPoints(_message.Message):
    __slots__ = ("lot_id", "currency", "points", "expire_time", "source_id")
    LOT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    lot_id: str
    currency: str
    points: int
    expire_time: _timestamp_pb2.Timestamp
    source_id: str
    def __init__(self, lot_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_id: _Optional[str] = ...) -> None: ...

class ListExpiringPointsResponse(_message.Message):
    __slots__ = ("expiring_points", "total_points_by_currency", "next_page_token")
    class TotalPointsByCurrencyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    EXPIRING_POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_POINTS_BY_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    expiring_points: _containers.RepeatedCompositeFieldContainer[ExpiringPoints]
    total_points_by_currency: _containers.ScalarMap[str, int]
    next_page_token: str
    def __init__(self, expiring_points: _Optional[_Iterable[_Union[ExpiringPoints, _Mapping]]] = ..., total_points_by_currency: _Optional[_Mapping[str, int]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("hold_id", "member_id", "loyalty_id", "currency", "points", "captured_points", "released_points", "status", "reference", "description", "create_time", "expire_time", "close_time", "capture_transaction_id")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_POINTS_FIELD_NUMBER: _ClassVar[int]
    RELEASED_POINTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    member_id: str
    loyalty_id: str
    currency: str
    points: int
    captured_points: int
    released_points: int
    status: HoldStatus
    reference: str
    description: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    capture_transaction_id: str
    def __init__(self, hold_id: _Optional[str] = ..., member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., captured_points: _Optional[int] = ..., released_points: _Optional[int] = ..., status: _Optional[_Union[HoldStatus, str]] = ..., reference: _Optional[str] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., capture_transaction_id: _Optional[str] = ...) -> None: ...

class CreateHoldRequest(_message.Message):
    __slots__ = ("member", "currency", "points", "ttl_seconds", "reference", "description", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.MemberRef
    currency: str
    points: int
    ttl_seconds: int
    reference: str
    description: str
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., ttl_seconds: _Optional[int] = ..., reference: _Optional[str] = ..., description: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateHoldResponse(_message.Message):
    __slots__ = ("hold", "balance")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    balance: _common_pb2.CurrencyBalance
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class GetHoldRequest(_message.Message):
    __slots__ = ("hold_id",)
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    def __init__(self, hold_id: _Optional[str] = ...) -> None: ...

class GetHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class CaptureHoldRequest(_message.Message):
    __slots__ = ("hold_id", "points", "reference", "request_id")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    points: int
    reference: str
    request_id: str
    def __init__(self, hold_id: _Optional[str] = ..., points: _Optional[int] = ..., reference: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CaptureHoldResponse(_message.Message):
    __slots__ = ("hold", "transaction", "balance")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    transaction: _common_pb2.Transaction
    balance: _common_pb2.CurrencyBalance
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class VoidHoldRequest(_message.Message):
    __slots__ = ("hold_id", "reason", "request_id")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    reason: str
    request_id: str
    def __init__(self, hold_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class VoidHoldResponse(_message.Message):
    __slots__ = ("hold", "balance")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    balance: _common_pb2.CurrencyBalance
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class RedeemRequest(_message.Message):
    __slots__ = ("member", "currency", "points", "reason_code", "description", "reference", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.MemberRef
    currency: str
    points: int
    reason_code: str
    description: str
    reference: str
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., reason_code: _Optional[str] = ..., description: _Optional[str] = ..., reference: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemResponse(_message.Message):
    __slots__ = ("transaction", "balance")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    balance: _common_pb2.CurrencyBalance
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class RewardEligibility(_message.Message):
    __slots__ = ("eligible", "reason", "redeemed_count")
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REDEEMED_COUNT_FIELD_NUMBER: _ClassVar[int]
    eligible: bool
    reason: RewardIneligibility
    redeemed_count: int
    def __init__(self, eligible: _Optional[bool] = ..., reason: _Optional[_Union[RewardIneligibility, str]] = ..., redeemed_count: _Optional[int] = ...) -> None: ...

class Reward(_message.Message):
    __slots__ = ("reward_id", "name", "description", "cost_points", "currency", "discount_minor", "coupon_valid_days", "stock_total", "stock_remaining", "per_member_max", "eligible_tier_ids", "eligibility")
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    COST_POINTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    COUPON_VALID_DAYS_FIELD_NUMBER: _ClassVar[int]
    STOCK_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STOCK_REMAINING_FIELD_NUMBER: _ClassVar[int]
    PER_MEMBER_MAX_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_TIER_IDS_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_FIELD_NUMBER: _ClassVar[int]
    reward_id: str
    name: str
    description: str
    cost_points: int
    currency: str
    discount_minor: int
    coupon_valid_days: int
    stock_total: int
    stock_remaining: int
    per_member_max: int
    eligible_tier_ids: _containers.RepeatedScalarFieldContainer[str]
    eligibility: RewardEligibility
    def __init__(self, reward_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., cost_points: _Optional[int] = ..., currency: _Optional[str] = ..., discount_minor: _Optional[int] = ..., coupon_valid_days: _Optional[int] = ..., stock_total: _Optional[int] = ..., stock_remaining: _Optional[int] = ..., per_member_max: _Optional[int] = ..., eligible_tier_ids: _Optional[_Iterable[str]] = ..., eligibility: _Optional[_Union[RewardEligibility, _Mapping]] = ...) -> None: ...

class ListRewardsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "member_id", "eligible_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    member_id: str
    eligible_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., member_id: _Optional[str] = ..., eligible_only: _Optional[bool] = ...) -> None: ...

class ListRewardsResponse(_message.Message):
    __slots__ = ("rewards", "next_page_token")
    REWARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    rewards: _containers.RepeatedCompositeFieldContainer[Reward]
    next_page_token: str
    def __init__(self, rewards: _Optional[_Iterable[_Union[Reward, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetRewardRequest(_message.Message):
    __slots__ = ("reward_id", "member_id")
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    reward_id: str
    member_id: str
    def __init__(self, reward_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class GetRewardResponse(_message.Message):
    __slots__ = ("reward",)
    REWARD_FIELD_NUMBER: _ClassVar[int]
    reward: Reward
    def __init__(self, reward: _Optional[_Union[Reward, _Mapping]] = ...) -> None: ...

class Coupon(_message.Message):
    __slots__ = ("coupon_id", "code", "reward_id", "reward_name", "member_id", "loyalty_id", "status", "cost_points", "currency", "discount_minor", "transaction_id", "reversal_transaction_id", "order_id", "store_id", "issue_time", "expire_time", "use_time", "cancel_time", "cancel_reason")
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_NAME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COST_POINTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REVERSAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    USE_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    coupon_id: str
    code: str
    reward_id: str
    reward_name: str
    member_id: str
    loyalty_id: str
    status: CouponStatus
    cost_points: int
    currency: str
    discount_minor: int
    transaction_id: str
    reversal_transaction_id: str
    order_id: str
    store_id: str
    issue_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    use_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    cancel_reason: str
    def __init__(self, coupon_id: _Optional[str] = ..., code: _Optional[str] = ..., reward_id: _Optional[str] = ..., reward_name: _Optional[str] = ..., member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., status: _Optional[_Union[CouponStatus, str]] = ..., cost_points: _Optional[int] = ..., currency: _Optional[str] = ..., discount_minor: _Optional[int] = ..., transaction_id: _Optional[str] = ..., reversal_transaction_id: _Optional[str] = ..., order_id: _Optional[str] = ..., store_id: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., use_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class RedeemRewardRequest(_message.Message):
    __slots__ = ("member", "reward_id", "store_id", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.MemberRef
    reward_id: str
    store_id: str
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., reward_id: _Optional[str] = ..., store_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemRewardResponse(_message.Message):
    __slots__ = ("coupon", "transaction", "balance")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    coupon: Coupon
    transaction: _common_pb2.Transaction
    balance: _common_pb2.CurrencyBalance
    def __init__(self, coupon: _Optional[_Union[Coupon, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class GetCouponRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: Coupon
    def __init__(self, coupon: _Optional[_Union[Coupon, _Mapping]] = ...) -> None: ...

class ListCouponsRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token", "statuses")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[CouponStatus]
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[CouponStatus, str]]] = ...) -> None: ...

class ListCouponsResponse(_message.Message):
    __slots__ = ("coupons", "next_page_token")
    COUPONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    coupons: _containers.RepeatedCompositeFieldContainer[Coupon]
    next_page_token: str
    def __init__(self, coupons: _Optional[_Iterable[_Union[Coupon, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UseCouponRequest(_message.Message):
    __slots__ = ("code", "order_id", "store_id", "request_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    order_id: str
    store_id: str
    request_id: str
    def __init__(self, code: _Optional[str] = ..., order_id: _Optional[str] = ..., store_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UseCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: Coupon
    def __init__(self, coupon: _Optional[_Union[Coupon, _Mapping]] = ...) -> None: ...

class CancelCouponRequest(_message.Message):
    __slots__ = ("code", "reason", "request_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    request_id: str
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelCouponResponse(_message.Message):
    __slots__ = ("coupon", "transaction")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    coupon: Coupon
    transaction: _common_pb2.Transaction
    def __init__(self, coupon: _Optional[_Union[Coupon, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ...) -> None: ...

class Proportion(_message.Message):
    __slots__ = ("numerator", "denominator")
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    numerator: int
    denominator: int
    def __init__(self, numerator: _Optional[int] = ..., denominator: _Optional[int] = ...) -> None: ...

class ReversePointsRequest(_message.Message):
    __slots__ = ("origin", "all", "points", "proportion", "reason_code", "reason", "request_id")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    PROPORTION_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    origin: _common_pb2.OriginRef
    all: bool
    points: int
    proportion: Proportion
    reason_code: str
    reason: str
    request_id: str
    def __init__(self, origin: _Optional[_Union[_common_pb2.OriginRef, _Mapping]] = ..., all: _Optional[bool] = ..., points: _Optional[int] = ..., proportion: _Optional[_Union[Proportion, _Mapping]] = ..., reason_code: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReversePointsResponse(_message.Message):
    __slots__ = ("transactions", "points_reversed", "debt_points")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    DEBT_POINTS_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    points_reversed: int
    debt_points: int
    def __init__(self, transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ..., points_reversed: _Optional[int] = ..., debt_points: _Optional[int] = ...) -> None: ...

class AdjustPointsRequest(_message.Message):
    __slots__ = ("member", "currency", "points", "source_id", "reason_code", "reason", "expire_time", "request_id")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.MemberRef
    currency: str
    points: int
    source_id: str
    reason_code: str
    reason: str
    expire_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., source_id: _Optional[str] = ..., reason_code: _Optional[str] = ..., reason: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AdjustPointsResponse(_message.Message):
    __slots__ = ("transaction", "balance")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    transaction: _common_pb2.Transaction
    balance: _common_pb2.CurrencyBalance
    def __init__(self, transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., balance: _Optional[_Union[_common_pb2.CurrencyBalance, _Mapping]] = ...) -> None: ...

class TransferPointsRequest(_message.Message):
    __slots__ = ("from_member", "to_member", "currency", "points", "all_available", "reason", "request_id")
    FROM_MEMBER_FIELD_NUMBER: _ClassVar[int]
    TO_MEMBER_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    ALL_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    from_member: _common_pb2.MemberRef
    to_member: _common_pb2.MemberRef
    currency: str
    points: int
    all_available: bool
    reason: str
    request_id: str
    def __init__(self, from_member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., to_member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., all_available: _Optional[bool] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class TransferPointsResponse(_message.Message):
    __slots__ = ("transfer_id", "out_transaction", "in_transaction")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    OUT_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    IN_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    out_transaction: _common_pb2.Transaction
    in_transaction: _common_pb2.Transaction
    def __init__(self, transfer_id: _Optional[str] = ..., out_transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ..., in_transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ...) -> None: ...

class BulkAwardEntry(_message.Message):
    __slots__ = ("request_id", "member", "currency", "points", "source_id", "reason_code", "reason", "expire_time", "apply_tier_multiplier")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    APPLY_TIER_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    member: _common_pb2.MemberRef
    currency: str
    points: int
    source_id: str
    reason_code: str
    reason: str
    expire_time: _timestamp_pb2.Timestamp
    apply_tier_multiplier: bool
    def __init__(self, request_id: _Optional[str] = ..., member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., source_id: _Optional[str] = ..., reason_code: _Optional[str] = ..., reason: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., apply_tier_multiplier: _Optional[bool] = ...) -> None: ...

class BulkAwardResult(_message.Message):
    __slots__ = ("request_id", "status", "transaction")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    status: _status_pb2.Status
    transaction: _common_pb2.Transaction
    def __init__(self, request_id: _Optional[str] = ..., status: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., transaction: _Optional[_Union[_common_pb2.Transaction, _Mapping]] = ...) -> None: ...

class BulkAwardPointsRequest(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[BulkAwardEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[BulkAwardEntry, _Mapping]]] = ...) -> None: ...

class BulkAwardPointsResponse(_message.Message):
    __slots__ = ("results", "succeeded_count", "failed_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BulkAwardResult]
    succeeded_count: int
    failed_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[BulkAwardResult, _Mapping]]] = ..., succeeded_count: _Optional[int] = ..., failed_count: _Optional[int] = ...) -> None: ...

class ListTiersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTiersResponse(_message.Message):
    __slots__ = ("tiers", "next_page_token")
    TIERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tiers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Tier]
    next_page_token: str
    def __init__(self, tiers: _Optional[_Iterable[_Union[_common_pb2.Tier, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMemberTierRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetMemberTierResponse(_message.Message):
    __slots__ = ("member_tier",)
    MEMBER_TIER_FIELD_NUMBER: _ClassVar[int]
    member_tier: _common_pb2.MemberTier
    def __init__(self, member_tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ...) -> None: ...

class SetCustomTierRequest(_message.Message):
    __slots__ = ("member_id", "tier_id", "expire_time", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    tier_id: str
    expire_time: _timestamp_pb2.Timestamp
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., tier_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetCustomTierResponse(_message.Message):
    __slots__ = ("member_tier",)
    MEMBER_TIER_FIELD_NUMBER: _ClassVar[int]
    member_tier: _common_pb2.MemberTier
    def __init__(self, member_tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ...) -> None: ...

class ClearCustomTierRequest(_message.Message):
    __slots__ = ("member_id", "reason", "request_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    reason: str
    request_id: str
    def __init__(self, member_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ClearCustomTierResponse(_message.Message):
    __slots__ = ("member_tier",)
    MEMBER_TIER_FIELD_NUMBER: _ClassVar[int]
    member_tier: _common_pb2.MemberTier
    def __init__(self, member_tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ...) -> None: ...

class Currency(_message.Message):
    __slots__ = ("currency", "name", "expiry", "expiry_days", "expiring_notice_days")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_DAYS_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_NOTICE_DAYS_FIELD_NUMBER: _ClassVar[int]
    currency: str
    name: str
    expiry: ExpiryPolicy
    expiry_days: int
    expiring_notice_days: int
    def __init__(self, currency: _Optional[str] = ..., name: _Optional[str] = ..., expiry: _Optional[_Union[ExpiryPolicy, str]] = ..., expiry_days: _Optional[int] = ..., expiring_notice_days: _Optional[int] = ...) -> None: ...

class PointsSource(_message.Message):
    __slots__ = ("source_id", "name")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    name: str
    def __init__(self, source_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class EarningLimit(_message.Message):
    __slots__ = ("limit_id", "period", "points_max")
    LIMIT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    POINTS_MAX_FIELD_NUMBER: _ClassVar[int]
    limit_id: str
    period: LimitPeriod
    points_max: int
    def __init__(self, limit_id: _Optional[str] = ..., period: _Optional[_Union[LimitPeriod, str]] = ..., points_max: _Optional[int] = ...) -> None: ...

class EarningRule(_message.Message):
    __slots__ = ("rule_id", "description", "activity_types", "purchase_categories", "events", "measure", "points_per_unit", "amount_minor_per_unit", "awards_max_per_day", "awards_max_per_week", "awards_max_per_month", "shared_limit_ids", "pending_days", "source_id", "currency")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPES_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    POINTS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    AWARDS_MAX_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    AWARDS_MAX_PER_WEEK_FIELD_NUMBER: _ClassVar[int]
    AWARDS_MAX_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    SHARED_LIMIT_IDS_FIELD_NUMBER: _ClassVar[int]
    PENDING_DAYS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    description: str
    activity_types: _containers.RepeatedScalarFieldContainer[_common_pb2.ActivityType]
    purchase_categories: _containers.RepeatedScalarFieldContainer[str]
    events: _containers.RepeatedScalarFieldContainer[str]
    measure: RuleMeasure
    points_per_unit: int
    amount_minor_per_unit: int
    awards_max_per_day: int
    awards_max_per_week: int
    awards_max_per_month: int
    shared_limit_ids: _containers.RepeatedScalarFieldContainer[str]
    pending_days: int
    source_id: str
    currency: str
    def __init__(self, rule_id: _Optional[str] = ..., description: _Optional[str] = ..., activity_types: _Optional[_Iterable[_Union[_common_pb2.ActivityType, str]]] = ..., purchase_categories: _Optional[_Iterable[str]] = ..., events: _Optional[_Iterable[str]] = ..., measure: _Optional[_Union[RuleMeasure, str]] = ..., points_per_unit: _Optional[int] = ..., amount_minor_per_unit: _Optional[int] = ..., awards_max_per_day: _Optional[int] = ..., awards_max_per_week: _Optional[int] = ..., awards_max_per_month: _Optional[int] = ..., shared_limit_ids: _Optional[_Iterable[str]] = ..., pending_days: _Optional[int] = ..., source_id: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class TierSettings(_message.Message):
    __slots__ = ("qualifying_window_days", "downgrade_grace_days", "downgrade_warning_days", "qualifying_currencies")
    QUALIFYING_WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_GRACE_DAYS_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_WARNING_DAYS_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    qualifying_window_days: int
    downgrade_grace_days: int
    downgrade_warning_days: int
    qualifying_currencies: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, qualifying_window_days: _Optional[int] = ..., downgrade_grace_days: _Optional[int] = ..., downgrade_warning_days: _Optional[int] = ..., qualifying_currencies: _Optional[_Iterable[str]] = ...) -> None: ...

class ActivitySettings(_message.Message):
    __slots__ = ("steps_per_mile", "backdate_days_max", "future_days_max", "health_data_retention_days")
    STEPS_PER_MILE_FIELD_NUMBER: _ClassVar[int]
    BACKDATE_DAYS_MAX_FIELD_NUMBER: _ClassVar[int]
    FUTURE_DAYS_MAX_FIELD_NUMBER: _ClassVar[int]
    HEALTH_DATA_RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    steps_per_mile: int
    backdate_days_max: int
    future_days_max: int
    health_data_retention_days: int
    def __init__(self, steps_per_mile: _Optional[int] = ..., backdate_days_max: _Optional[int] = ..., future_days_max: _Optional[int] = ..., health_data_retention_days: _Optional[int] = ...) -> None: ...

class Program(_message.Message):
    __slots__ = ("tenant_code", "name", "revision", "load_time", "default_time_zone", "debt_policy", "hold_ttl_seconds", "activity", "currencies", "sources", "tier_settings", "tiers", "limits", "rules", "reward_count")
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    DEBT_POLICY_FIELD_NUMBER: _ClassVar[int]
    HOLD_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TIER_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    REWARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    tenant_code: str
    name: str
    revision: str
    load_time: _timestamp_pb2.Timestamp
    default_time_zone: str
    debt_policy: DebtPolicy
    hold_ttl_seconds: int
    activity: ActivitySettings
    currencies: _containers.RepeatedCompositeFieldContainer[Currency]
    sources: _containers.RepeatedCompositeFieldContainer[PointsSource]
    tier_settings: TierSettings
    tiers: _containers.RepeatedCompositeFieldContainer[_common_pb2.Tier]
    limits: _containers.RepeatedCompositeFieldContainer[EarningLimit]
    rules: _containers.RepeatedCompositeFieldContainer[EarningRule]
    reward_count: int
    def __init__(self, tenant_code: _Optional[str] = ..., name: _Optional[str] = ..., revision: _Optional[str] = ..., load_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., default_time_zone: _Optional[str] = ..., debt_policy: _Optional[_Union[DebtPolicy, str]] = ..., hold_ttl_seconds: _Optional[int] = ..., activity: _Optional[_Union[ActivitySettings, _Mapping]] = ..., currencies: _Optional[_Iterable[_Union[Currency, _Mapping]]] = ..., sources: _Optional[_Iterable[_Union[PointsSource, _Mapping]]] = ..., tier_settings: _Optional[_Union[TierSettings, _Mapping]] = ..., tiers: _Optional[_Iterable[_Union[_common_pb2.Tier, _Mapping]]] = ..., limits: _Optional[_Iterable[_Union[EarningLimit, _Mapping]]] = ..., rules: _Optional[_Iterable[_Union[EarningRule, _Mapping]]] = ..., reward_count: _Optional[int] = ...) -> None: ...

class GetProgramRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProgramResponse(_message.Message):
    __slots__ = ("program",)
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    program: Program
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ...) -> None: ...

class ReloadProgramRequest(_message.Message):
    __slots__ = ("program_toml", "validate_only", "request_id")
    PROGRAM_TOML_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    program_toml: str
    validate_only: bool
    request_id: str
    def __init__(self, program_toml: _Optional[str] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReloadProgramResponse(_message.Message):
    __slots__ = ("program", "previous_revision", "changed")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_REVISION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    program: Program
    previous_revision: str
    changed: bool
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ..., previous_revision: _Optional[str] = ..., changed: _Optional[bool] = ...) -> None: ...
