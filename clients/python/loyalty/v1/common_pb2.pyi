import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemberStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_STATUS_UNSPECIFIED: _ClassVar[MemberStatus]
    MEMBER_STATUS_ACTIVE: _ClassVar[MemberStatus]
    MEMBER_STATUS_DEACTIVATED: _ClassVar[MemberStatus]
    MEMBER_STATUS_ERASED: _ClassVar[MemberStatus]

class EnrollmentChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENROLLMENT_CHANNEL_UNSPECIFIED: _ClassVar[EnrollmentChannel]
    ENROLLMENT_CHANNEL_POS: _ClassVar[EnrollmentChannel]
    ENROLLMENT_CHANNEL_WEB_REGISTRATION: _ClassVar[EnrollmentChannel]
    ENROLLMENT_CHANNEL_API: _ClassVar[EnrollmentChannel]
    ENROLLMENT_CHANNEL_IMPORT: _ClassVar[EnrollmentChannel]

class TransactionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_TYPE_UNSPECIFIED: _ClassVar[TransactionType]
    TRANSACTION_TYPE_EARN: _ClassVar[TransactionType]
    TRANSACTION_TYPE_SPEND: _ClassVar[TransactionType]
    TRANSACTION_TYPE_EXPIRE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_REVERSE: _ClassVar[TransactionType]
    TRANSACTION_TYPE_ADJUST: _ClassVar[TransactionType]
    TRANSACTION_TYPE_TRANSFER_OUT: _ClassVar[TransactionType]
    TRANSACTION_TYPE_TRANSFER_IN: _ClassVar[TransactionType]

class OriginType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_TYPE_UNSPECIFIED: _ClassVar[OriginType]
    ORIGIN_TYPE_ACTIVITY: _ClassVar[OriginType]
    ORIGIN_TYPE_PURCHASE: _ClassVar[OriginType]
    ORIGIN_TYPE_RETURN: _ClassVar[OriginType]
    ORIGIN_TYPE_REDEMPTION: _ClassVar[OriginType]
    ORIGIN_TYPE_HOLD: _ClassVar[OriginType]
    ORIGIN_TYPE_COUPON: _ClassVar[OriginType]
    ORIGIN_TYPE_ADJUSTMENT: _ClassVar[OriginType]
    ORIGIN_TYPE_TRANSFER: _ClassVar[OriginType]
    ORIGIN_TYPE_BULK_AWARD: _ClassVar[OriginType]
    ORIGIN_TYPE_IMPORT: _ClassVar[OriginType]
    ORIGIN_TYPE_EXPIRY: _ClassVar[OriginType]
    ORIGIN_TYPE_PARTNER_CONNECTION: _ClassVar[OriginType]

class AccountType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_TYPE_UNSPECIFIED: _ClassVar[AccountType]
    ACCOUNT_TYPE_MEMBER: _ClassVar[AccountType]
    ACCOUNT_TYPE_ISSUANCE: _ClassVar[AccountType]
    ACCOUNT_TYPE_REDEMPTION: _ClassVar[AccountType]
    ACCOUNT_TYPE_EXPIRY: _ClassVar[AccountType]
    ACCOUNT_TYPE_ADJUSTMENT: _ClassVar[AccountType]
    ACCOUNT_TYPE_MEMBER_DEBT: _ClassVar[AccountType]

class TierMoveDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_MOVE_DIRECTION_UNSPECIFIED: _ClassVar[TierMoveDirection]
    TIER_MOVE_DIRECTION_UP: _ClassVar[TierMoveDirection]
    TIER_MOVE_DIRECTION_DOWN: _ClassVar[TierMoveDirection]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_WEB: _ClassVar[Channel]
    CHANNEL_MOBILE: _ClassVar[Channel]
    CHANNEL_TABLET: _ClassVar[Channel]

class ActivityType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_TYPE_UNSPECIFIED: _ClassVar[ActivityType]
    ACTIVITY_TYPE_TOTAL_STEPS: _ClassVar[ActivityType]
    ACTIVITY_TYPE_WALKING: _ClassVar[ActivityType]
    ACTIVITY_TYPE_RUNNING: _ClassVar[ActivityType]
    ACTIVITY_TYPE_BIKING: _ClassVar[ActivityType]
    ACTIVITY_TYPE_GENERAL_EXERCISE: _ClassVar[ActivityType]
    ACTIVITY_TYPE_WEIGHT: _ClassVar[ActivityType]
    ACTIVITY_TYPE_BLOOD_PRESSURE: _ClassVar[ActivityType]
    ACTIVITY_TYPE_BLOOD_OXYGEN_RATIO: _ClassVar[ActivityType]
    ACTIVITY_TYPE_BLOOD_GLUCOSE: _ClassVar[ActivityType]
    ACTIVITY_TYPE_SLEEP: _ClassVar[ActivityType]
MEMBER_STATUS_UNSPECIFIED: MemberStatus
MEMBER_STATUS_ACTIVE: MemberStatus
MEMBER_STATUS_DEACTIVATED: MemberStatus
MEMBER_STATUS_ERASED: MemberStatus
ENROLLMENT_CHANNEL_UNSPECIFIED: EnrollmentChannel
ENROLLMENT_CHANNEL_POS: EnrollmentChannel
ENROLLMENT_CHANNEL_WEB_REGISTRATION: EnrollmentChannel
ENROLLMENT_CHANNEL_API: EnrollmentChannel
ENROLLMENT_CHANNEL_IMPORT: EnrollmentChannel
TRANSACTION_TYPE_UNSPECIFIED: TransactionType
TRANSACTION_TYPE_EARN: TransactionType
TRANSACTION_TYPE_SPEND: TransactionType
TRANSACTION_TYPE_EXPIRE: TransactionType
TRANSACTION_TYPE_REVERSE: TransactionType
TRANSACTION_TYPE_ADJUST: TransactionType
TRANSACTION_TYPE_TRANSFER_OUT: TransactionType
TRANSACTION_TYPE_TRANSFER_IN: TransactionType
ORIGIN_TYPE_UNSPECIFIED: OriginType
ORIGIN_TYPE_ACTIVITY: OriginType
ORIGIN_TYPE_PURCHASE: OriginType
ORIGIN_TYPE_RETURN: OriginType
ORIGIN_TYPE_REDEMPTION: OriginType
ORIGIN_TYPE_HOLD: OriginType
ORIGIN_TYPE_COUPON: OriginType
ORIGIN_TYPE_ADJUSTMENT: OriginType
ORIGIN_TYPE_TRANSFER: OriginType
ORIGIN_TYPE_BULK_AWARD: OriginType
ORIGIN_TYPE_IMPORT: OriginType
ORIGIN_TYPE_EXPIRY: OriginType
ORIGIN_TYPE_PARTNER_CONNECTION: OriginType
ACCOUNT_TYPE_UNSPECIFIED: AccountType
ACCOUNT_TYPE_MEMBER: AccountType
ACCOUNT_TYPE_ISSUANCE: AccountType
ACCOUNT_TYPE_REDEMPTION: AccountType
ACCOUNT_TYPE_EXPIRY: AccountType
ACCOUNT_TYPE_ADJUSTMENT: AccountType
ACCOUNT_TYPE_MEMBER_DEBT: AccountType
TIER_MOVE_DIRECTION_UNSPECIFIED: TierMoveDirection
TIER_MOVE_DIRECTION_UP: TierMoveDirection
TIER_MOVE_DIRECTION_DOWN: TierMoveDirection
CHANNEL_UNSPECIFIED: Channel
CHANNEL_WEB: Channel
CHANNEL_MOBILE: Channel
CHANNEL_TABLET: Channel
ACTIVITY_TYPE_UNSPECIFIED: ActivityType
ACTIVITY_TYPE_TOTAL_STEPS: ActivityType
ACTIVITY_TYPE_WALKING: ActivityType
ACTIVITY_TYPE_RUNNING: ActivityType
ACTIVITY_TYPE_BIKING: ActivityType
ACTIVITY_TYPE_GENERAL_EXERCISE: ActivityType
ACTIVITY_TYPE_WEIGHT: ActivityType
ACTIVITY_TYPE_BLOOD_PRESSURE: ActivityType
ACTIVITY_TYPE_BLOOD_OXYGEN_RATIO: ActivityType
ACTIVITY_TYPE_BLOOD_GLUCOSE: ActivityType
ACTIVITY_TYPE_SLEEP: ActivityType

class MemberRef(_message.Message):
    __slots__ = ("member_id", "loyalty_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    loyalty_id: str
    def __init__(self, member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("member_id", "loyalty_id", "email", "phone", "given_name", "family_name", "time_zone", "status", "attributes", "enrollment_channel", "enrollment_store_id", "tenant_code", "tier_id", "create_time", "update_time", "deactivate_time", "etag")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    loyalty_id: str
    email: str
    phone: str
    given_name: str
    family_name: str
    time_zone: str
    status: MemberStatus
    attributes: _containers.ScalarMap[str, str]
    enrollment_channel: EnrollmentChannel
    enrollment_store_id: str
    tenant_code: str
    tier_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    deactivate_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., time_zone: _Optional[str] = ..., status: _Optional[_Union[MemberStatus, str]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., enrollment_channel: _Optional[_Union[EnrollmentChannel, str]] = ..., enrollment_store_id: _Optional[str] = ..., tenant_code: _Optional[str] = ..., tier_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deactivate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class SourceBalance(_message.Message):
    __slots__ = ("source_id", "lifetime_earned_points", "remaining_points")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_EARNED_POINTS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_POINTS_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    lifetime_earned_points: int
    remaining_points: int
    def __init__(self, source_id: _Optional[str] = ..., lifetime_earned_points: _Optional[int] = ..., remaining_points: _Optional[int] = ...) -> None: ...

class CurrencyBalance(_message.Message):
    __slots__ = ("currency", "available_points", "pending_points", "held_points", "lifetime_earned_points", "lifetime_spent_points", "lifetime_expired_points", "debt_points", "sources")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_POINTS_FIELD_NUMBER: _ClassVar[int]
    PENDING_POINTS_FIELD_NUMBER: _ClassVar[int]
    HELD_POINTS_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_EARNED_POINTS_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_SPENT_POINTS_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_EXPIRED_POINTS_FIELD_NUMBER: _ClassVar[int]
    DEBT_POINTS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    currency: str
    available_points: int
    pending_points: int
    held_points: int
    lifetime_earned_points: int
    lifetime_spent_points: int
    lifetime_expired_points: int
    debt_points: int
    sources: _containers.RepeatedCompositeFieldContainer[SourceBalance]
    def __init__(self, currency: _Optional[str] = ..., available_points: _Optional[int] = ..., pending_points: _Optional[int] = ..., held_points: _Optional[int] = ..., lifetime_earned_points: _Optional[int] = ..., lifetime_spent_points: _Optional[int] = ..., lifetime_expired_points: _Optional[int] = ..., debt_points: _Optional[int] = ..., sources: _Optional[_Iterable[_Union[SourceBalance, _Mapping]]] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("member_id", "loyalty_id", "currencies", "total_available_points", "update_time", "event_sequence")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AVAILABLE_POINTS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    loyalty_id: str
    currencies: _containers.RepeatedCompositeFieldContainer[CurrencyBalance]
    total_available_points: int
    update_time: _timestamp_pb2.Timestamp
    event_sequence: int
    def __init__(self, member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., currencies: _Optional[_Iterable[_Union[CurrencyBalance, _Mapping]]] = ..., total_available_points: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_sequence: _Optional[int] = ...) -> None: ...

class OriginRef(_message.Message):
    __slots__ = ("type", "id", "client_id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    type: OriginType
    id: str
    client_id: str
    def __init__(self, type: _Optional[_Union[OriginType, str]] = ..., id: _Optional[str] = ..., client_id: _Optional[str] = ...) -> None: ...

class Posting(_message.Message):
    __slots__ = ("account", "account_type", "currency", "points")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    account: str
    account_type: AccountType
    currency: str
    points: int
    def __init__(self, account: _Optional[str] = ..., account_type: _Optional[_Union[AccountType, str]] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("transaction_id", "type", "member_id", "loyalty_id", "currency", "points", "debt_points", "postings", "source_id", "origin", "reason_code", "reason", "request_id", "reverses_transaction_id", "effective_time", "create_time", "expire_time", "pending_until", "actor")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    DEBT_POINTS_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REVERSES_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PENDING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    type: TransactionType
    member_id: str
    loyalty_id: str
    currency: str
    points: int
    debt_points: int
    postings: _containers.RepeatedCompositeFieldContainer[Posting]
    source_id: str
    origin: OriginRef
    reason_code: str
    reason: str
    request_id: str
    reverses_transaction_id: str
    effective_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    pending_until: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, transaction_id: _Optional[str] = ..., type: _Optional[_Union[TransactionType, str]] = ..., member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., debt_points: _Optional[int] = ..., postings: _Optional[_Iterable[_Union[Posting, _Mapping]]] = ..., source_id: _Optional[str] = ..., origin: _Optional[_Union[OriginRef, _Mapping]] = ..., reason_code: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., reverses_transaction_id: _Optional[str] = ..., effective_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class Tier(_message.Message):
    __slots__ = ("tier_id", "name", "rank", "threshold_points", "custom", "floor_tier_id", "earn_multiplier_percent", "temporary_points_never_expire")
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_POINTS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    FLOOR_TIER_ID_FIELD_NUMBER: _ClassVar[int]
    EARN_MULTIPLIER_PERCENT_FIELD_NUMBER: _ClassVar[int]
    TEMPORARY_POINTS_NEVER_EXPIRE_FIELD_NUMBER: _ClassVar[int]
    tier_id: str
    name: str
    rank: int
    threshold_points: int
    custom: bool
    floor_tier_id: str
    earn_multiplier_percent: int
    temporary_points_never_expire: bool
    def __init__(self, tier_id: _Optional[str] = ..., name: _Optional[str] = ..., rank: _Optional[int] = ..., threshold_points: _Optional[int] = ..., custom: _Optional[bool] = ..., floor_tier_id: _Optional[str] = ..., earn_multiplier_percent: _Optional[int] = ..., temporary_points_never_expire: _Optional[bool] = ...) -> None: ...

class MemberTier(_message.Message):
    __slots__ = ("member_id", "tier", "threshold_tier", "custom_tier", "custom_tier_expire_time", "qualifying_points", "window_start_time", "next_tier", "points_to_next_tier", "progress_percent", "achieve_time", "downgrade_time", "downgrade_tier")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_TIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_TIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_TIER_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_POINTS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_TIER_FIELD_NUMBER: _ClassVar[int]
    POINTS_TO_NEXT_TIER_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ACHIEVE_TIME_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TIME_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TIER_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    tier: Tier
    threshold_tier: Tier
    custom_tier: Tier
    custom_tier_expire_time: _timestamp_pb2.Timestamp
    qualifying_points: int
    window_start_time: _timestamp_pb2.Timestamp
    next_tier: Tier
    points_to_next_tier: int
    progress_percent: int
    achieve_time: _timestamp_pb2.Timestamp
    downgrade_time: _timestamp_pb2.Timestamp
    downgrade_tier: Tier
    def __init__(self, member_id: _Optional[str] = ..., tier: _Optional[_Union[Tier, _Mapping]] = ..., threshold_tier: _Optional[_Union[Tier, _Mapping]] = ..., custom_tier: _Optional[_Union[Tier, _Mapping]] = ..., custom_tier_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., qualifying_points: _Optional[int] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_tier: _Optional[_Union[Tier, _Mapping]] = ..., points_to_next_tier: _Optional[int] = ..., progress_percent: _Optional[int] = ..., achieve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., downgrade_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., downgrade_tier: _Optional[_Union[Tier, _Mapping]] = ...) -> None: ...
