import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from loyalty.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_MEMBER_ENROLLED: _ClassVar[EventType]
    EVENT_TYPE_MEMBER_DEACTIVATED: _ClassVar[EventType]
    EVENT_TYPE_MEMBER_ERASED: _ClassVar[EventType]
    EVENT_TYPE_ACTIVITY_ACCEPTED: _ClassVar[EventType]
    EVENT_TYPE_POINTS_EARNED: _ClassVar[EventType]
    EVENT_TYPE_POINTS_SPENT: _ClassVar[EventType]
    EVENT_TYPE_POINTS_REVERSED: _ClassVar[EventType]
    EVENT_TYPE_POINTS_EXPIRING: _ClassVar[EventType]
    EVENT_TYPE_POINTS_EXPIRED: _ClassVar[EventType]
    EVENT_TYPE_TIER_UPGRADED: _ClassVar[EventType]
    EVENT_TYPE_TIER_DOWNGRADED: _ClassVar[EventType]
    EVENT_TYPE_TIER_DOWNGRADE_WARNING: _ClassVar[EventType]
    EVENT_TYPE_REWARD_REDEEMED: _ClassVar[EventType]
    EVENT_TYPE_COUPON_USED: _ClassVar[EventType]
    EVENT_TYPE_COUPON_CANCELLED: _ClassVar[EventType]
    EVENT_TYPE_HOLD_CREATED: _ClassVar[EventType]
    EVENT_TYPE_HOLD_CAPTURED: _ClassVar[EventType]
    EVENT_TYPE_HOLD_VOIDED: _ClassVar[EventType]
    EVENT_TYPE_HOLD_EXPIRED: _ClassVar[EventType]
    EVENT_TYPE_PARTNER_CONNECTED: _ClassVar[EventType]
    EVENT_TYPE_PARTNER_DISCONNECTED: _ClassVar[EventType]
    EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED: _ClassVar[EventType]

class WebhookDisabledReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_DISABLED_REASON_UNSPECIFIED: _ClassVar[WebhookDisabledReason]
    WEBHOOK_DISABLED_REASON_MANUAL: _ClassVar[WebhookDisabledReason]
    WEBHOOK_DISABLED_REASON_GONE: _ClassVar[WebhookDisabledReason]
    WEBHOOK_DISABLED_REASON_FAILING: _ClassVar[WebhookDisabledReason]

class WebhookDeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_PENDING: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_SUCCEEDED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_FAILED: _ClassVar[WebhookDeliveryStatus]

class WebhookAttemptTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_ATTEMPT_TRIGGER_UNSPECIFIED: _ClassVar[WebhookAttemptTrigger]
    WEBHOOK_ATTEMPT_TRIGGER_AUTOMATIC: _ClassVar[WebhookAttemptTrigger]
    WEBHOOK_ATTEMPT_TRIGGER_MANUAL: _ClassVar[WebhookAttemptTrigger]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_MEMBER_ENROLLED: EventType
EVENT_TYPE_MEMBER_DEACTIVATED: EventType
EVENT_TYPE_MEMBER_ERASED: EventType
EVENT_TYPE_ACTIVITY_ACCEPTED: EventType
EVENT_TYPE_POINTS_EARNED: EventType
EVENT_TYPE_POINTS_SPENT: EventType
EVENT_TYPE_POINTS_REVERSED: EventType
EVENT_TYPE_POINTS_EXPIRING: EventType
EVENT_TYPE_POINTS_EXPIRED: EventType
EVENT_TYPE_TIER_UPGRADED: EventType
EVENT_TYPE_TIER_DOWNGRADED: EventType
EVENT_TYPE_TIER_DOWNGRADE_WARNING: EventType
EVENT_TYPE_REWARD_REDEEMED: EventType
EVENT_TYPE_COUPON_USED: EventType
EVENT_TYPE_COUPON_CANCELLED: EventType
EVENT_TYPE_HOLD_CREATED: EventType
EVENT_TYPE_HOLD_CAPTURED: EventType
EVENT_TYPE_HOLD_VOIDED: EventType
EVENT_TYPE_HOLD_EXPIRED: EventType
EVENT_TYPE_PARTNER_CONNECTED: EventType
EVENT_TYPE_PARTNER_DISCONNECTED: EventType
EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED: EventType
WEBHOOK_DISABLED_REASON_UNSPECIFIED: WebhookDisabledReason
WEBHOOK_DISABLED_REASON_MANUAL: WebhookDisabledReason
WEBHOOK_DISABLED_REASON_GONE: WebhookDisabledReason
WEBHOOK_DISABLED_REASON_FAILING: WebhookDisabledReason
WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_PENDING: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_SUCCEEDED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_FAILED: WebhookDeliveryStatus
WEBHOOK_ATTEMPT_TRIGGER_UNSPECIFIED: WebhookAttemptTrigger
WEBHOOK_ATTEMPT_TRIGGER_AUTOMATIC: WebhookAttemptTrigger
WEBHOOK_ATTEMPT_TRIGGER_MANUAL: WebhookAttemptTrigger

class EventMember(_message.Message):
    __slots__ = ("member_id", "loyalty_id", "email", "phone")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    loyalty_id: str
    email: str
    phone: str
    def __init__(self, member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class MemberEnrolledPayload(_message.Message):
    __slots__ = ("enrollment_channel", "enrollment_store_id", "tier_id")
    ENROLLMENT_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    enrollment_channel: _common_pb2.EnrollmentChannel
    enrollment_store_id: str
    tier_id: str
    def __init__(self, enrollment_channel: _Optional[_Union[_common_pb2.EnrollmentChannel, str]] = ..., enrollment_store_id: _Optional[str] = ..., tier_id: _Optional[str] = ...) -> None: ...

class MemberDeactivatedPayload(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class MemberErasedPayload(_message.Message):
    __slots__ = ("erase_time",)
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    erase_time: _timestamp_pb2.Timestamp
    def __init__(self, erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActivityAcceptedPayload(_message.Message):
    __slots__ = ("activity_id", "client_id", "activity_type", "operation", "occur_time", "points_delta")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    client_id: str
    activity_type: _common_pb2.ActivityType
    operation: str
    occur_time: _timestamp_pb2.Timestamp
    points_delta: int
    def __init__(self, activity_id: _Optional[str] = ..., client_id: _Optional[str] = ..., activity_type: _Optional[_Union[_common_pb2.ActivityType, str]] = ..., operation: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points_delta: _Optional[int] = ...) -> None: ...

class PointsChangedPayload(_message.Message):
    __slots__ = ("transaction_id", "currency", "points", "source_id", "origin", "reason_code", "expire_time", "pending_until", "available_points_after")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PENDING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_POINTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    currency: str
    points: int
    source_id: str
    origin: _common_pb2.OriginRef
    reason_code: str
    expire_time: _timestamp_pb2.Timestamp
    pending_until: _timestamp_pb2.Timestamp
    available_points_after: int
    def __init__(self, transaction_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., source_id: _Optional[str] = ..., origin: _Optional[_Union[_common_pb2.OriginRef, _Mapping]] = ..., reason_code: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., available_points_after: _Optional[int] = ...) -> None: ...

class PointsReversedPayload(_message.Message):
    __slots__ = ("transaction_id", "reversed_transaction_id", "currency", "points_delta", "debt_points", "origin", "reason_code", "available_points_after")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REVERSED_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    DEBT_POINTS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_POINTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    reversed_transaction_id: str
    currency: str
    points_delta: int
    debt_points: int
    origin: _common_pb2.OriginRef
    reason_code: str
    available_points_after: int
    def __init__(self, transaction_id: _Optional[str] = ..., reversed_transaction_id: _Optional[str] = ..., currency: _Optional[str] = ..., points_delta: _Optional[int] = ..., debt_points: _Optional[int] = ..., origin: _Optional[_Union[_common_pb2.OriginRef, _Mapping]] = ..., reason_code: _Optional[str] = ..., available_points_after: _Optional[int] = ...) -> None: ...

class PointsExpiringPayload(_message.Message):
    __slots__ = ("currency", "points", "expire_time", "days_until_expiry")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DAYS_UNTIL_EXPIRY_FIELD_NUMBER: _ClassVar[int]
    currency: str
    points: int
    expire_time: _timestamp_pb2.Timestamp
    days_until_expiry: int
    def __init__(self, currency: _Optional[str] = ..., points: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., days_until_expiry: _Optional[int] = ...) -> None: ...

class PointsExpiredPayload(_message.Message):
    __slots__ = ("transaction_id", "currency", "points", "available_points_after")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_POINTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    currency: str
    points: int
    available_points_after: int
    def __init__(self, transaction_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., available_points_after: _Optional[int] = ...) -> None: ...

class TierChangedPayload(_message.Message):
    __slots__ = ("tier_id", "tier_name", "previous_tier_id", "previous_tier_name", "direction", "level_move_up", "level_move_down", "custom", "qualifying_points")
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_NAME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TIER_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TIER_NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_MOVE_UP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_MOVE_DOWN_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_POINTS_FIELD_NUMBER: _ClassVar[int]
    tier_id: str
    tier_name: str
    previous_tier_id: str
    previous_tier_name: str
    direction: _common_pb2.TierMoveDirection
    level_move_up: bool
    level_move_down: bool
    custom: bool
    qualifying_points: int
    def __init__(self, tier_id: _Optional[str] = ..., tier_name: _Optional[str] = ..., previous_tier_id: _Optional[str] = ..., previous_tier_name: _Optional[str] = ..., direction: _Optional[_Union[_common_pb2.TierMoveDirection, str]] = ..., level_move_up: _Optional[bool] = ..., level_move_down: _Optional[bool] = ..., custom: _Optional[bool] = ..., qualifying_points: _Optional[int] = ...) -> None: ...

class TierDowngradeWarningPayload(_message.Message):
    __slots__ = ("tier_id", "tier_name", "downgrade_tier_id", "downgrade_tier_name", "direction", "downgrade_time", "points_needed")
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_NAME_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TIER_ID_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TIER_NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DOWNGRADE_TIME_FIELD_NUMBER: _ClassVar[int]
    POINTS_NEEDED_FIELD_NUMBER: _ClassVar[int]
    tier_id: str
    tier_name: str
    downgrade_tier_id: str
    downgrade_tier_name: str
    direction: _common_pb2.TierMoveDirection
    downgrade_time: _timestamp_pb2.Timestamp
    points_needed: int
    def __init__(self, tier_id: _Optional[str] = ..., tier_name: _Optional[str] = ..., downgrade_tier_id: _Optional[str] = ..., downgrade_tier_name: _Optional[str] = ..., direction: _Optional[_Union[_common_pb2.TierMoveDirection, str]] = ..., downgrade_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points_needed: _Optional[int] = ...) -> None: ...

class RewardRedeemedPayload(_message.Message):
    __slots__ = ("reward_id", "reward_name", "coupon_id", "points", "currency", "transaction_id", "coupon_expire_time")
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_NAME_FIELD_NUMBER: _ClassVar[int]
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    reward_id: str
    reward_name: str
    coupon_id: str
    points: int
    currency: str
    transaction_id: str
    coupon_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, reward_id: _Optional[str] = ..., reward_name: _Optional[str] = ..., coupon_id: _Optional[str] = ..., points: _Optional[int] = ..., currency: _Optional[str] = ..., transaction_id: _Optional[str] = ..., coupon_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CouponChangedPayload(_message.Message):
    __slots__ = ("coupon_id", "reward_id", "order_id", "points_restored")
    COUPON_ID_FIELD_NUMBER: _ClassVar[int]
    REWARD_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    coupon_id: str
    reward_id: str
    order_id: str
    points_restored: int
    def __init__(self, coupon_id: _Optional[str] = ..., reward_id: _Optional[str] = ..., order_id: _Optional[str] = ..., points_restored: _Optional[int] = ...) -> None: ...

class HoldChangedPayload(_message.Message):
    __slots__ = ("hold_id", "currency", "points", "captured_points", "released_points", "reference", "expire_time", "transaction_id")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_POINTS_FIELD_NUMBER: _ClassVar[int]
    RELEASED_POINTS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    currency: str
    points: int
    captured_points: int
    released_points: int
    reference: str
    expire_time: _timestamp_pb2.Timestamp
    transaction_id: str
    def __init__(self, hold_id: _Optional[str] = ..., currency: _Optional[str] = ..., points: _Optional[int] = ..., captured_points: _Optional[int] = ..., released_points: _Optional[int] = ..., reference: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class PartnerConnectedPayload(_message.Message):
    __slots__ = ("client_id", "client_name", "grant_id", "scopes", "channel")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_name: str
    grant_id: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    channel: _common_pb2.Channel
    def __init__(self, client_id: _Optional[str] = ..., client_name: _Optional[str] = ..., grant_id: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ...) -> None: ...

class PartnerDisconnectedPayload(_message.Message):
    __slots__ = ("client_id", "grant_id", "reason")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    grant_id: str
    reason: str
    def __init__(self, client_id: _Optional[str] = ..., grant_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WebhookEndpointDisabledPayload(_message.Message):
    __slots__ = ("endpoint_id", "url", "reason")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    url: str
    reason: WebhookDisabledReason
    def __init__(self, endpoint_id: _Optional[str] = ..., url: _Optional[str] = ..., reason: _Optional[_Union[WebhookDisabledReason, str]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("sequence", "event_id", "type", "type_name", "event_time", "tenant_code", "member", "request_id", "member_enrolled", "member_deactivated", "member_erased", "activity_accepted", "points_earned", "points_spent", "points_reversed", "points_expiring", "points_expired", "tier_upgraded", "tier_downgraded", "tier_downgrade_warning", "reward_redeemed", "coupon_used", "coupon_cancelled", "hold_created", "hold_captured", "hold_voided", "hold_expired", "partner_connected", "partner_disconnected", "webhook_endpoint_disabled")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_DEACTIVATED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ERASED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_SPENT_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRING_FIELD_NUMBER: _ClassVar[int]
    POINTS_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    TIER_UPGRADED_FIELD_NUMBER: _ClassVar[int]
    TIER_DOWNGRADED_FIELD_NUMBER: _ClassVar[int]
    TIER_DOWNGRADE_WARNING_FIELD_NUMBER: _ClassVar[int]
    REWARD_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    COUPON_USED_FIELD_NUMBER: _ClassVar[int]
    COUPON_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    HOLD_CREATED_FIELD_NUMBER: _ClassVar[int]
    HOLD_CAPTURED_FIELD_NUMBER: _ClassVar[int]
    HOLD_VOIDED_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    PARTNER_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    PARTNER_DISCONNECTED_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ENDPOINT_DISABLED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    event_id: str
    type: EventType
    type_name: str
    event_time: _timestamp_pb2.Timestamp
    tenant_code: str
    member: EventMember
    request_id: str
    member_enrolled: MemberEnrolledPayload
    member_deactivated: MemberDeactivatedPayload
    member_erased: MemberErasedPayload
    activity_accepted: ActivityAcceptedPayload
    points_earned: PointsChangedPayload
    points_spent: PointsChangedPayload
    points_reversed: PointsReversedPayload
    points_expiring: PointsExpiringPayload
    points_expired: PointsExpiredPayload
    tier_upgraded: TierChangedPayload
    tier_downgraded: TierChangedPayload
    tier_downgrade_warning: TierDowngradeWarningPayload
    reward_redeemed: RewardRedeemedPayload
    coupon_used: CouponChangedPayload
    coupon_cancelled: CouponChangedPayload
    hold_created: HoldChangedPayload
    hold_captured: HoldChangedPayload
    hold_voided: HoldChangedPayload
    hold_expired: HoldChangedPayload
    partner_connected: PartnerConnectedPayload
    partner_disconnected: PartnerDisconnectedPayload
    webhook_endpoint_disabled: WebhookEndpointDisabledPayload
    def __init__(self, sequence: _Optional[int] = ..., event_id: _Optional[str] = ..., type: _Optional[_Union[EventType, str]] = ..., type_name: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tenant_code: _Optional[str] = ..., member: _Optional[_Union[EventMember, _Mapping]] = ..., request_id: _Optional[str] = ..., member_enrolled: _Optional[_Union[MemberEnrolledPayload, _Mapping]] = ..., member_deactivated: _Optional[_Union[MemberDeactivatedPayload, _Mapping]] = ..., member_erased: _Optional[_Union[MemberErasedPayload, _Mapping]] = ..., activity_accepted: _Optional[_Union[ActivityAcceptedPayload, _Mapping]] = ..., points_earned: _Optional[_Union[PointsChangedPayload, _Mapping]] = ..., points_spent: _Optional[_Union[PointsChangedPayload, _Mapping]] = ..., points_reversed: _Optional[_Union[PointsReversedPayload, _Mapping]] = ..., points_expiring: _Optional[_Union[PointsExpiringPayload, _Mapping]] = ..., points_expired: _Optional[_Union[PointsExpiredPayload, _Mapping]] = ..., tier_upgraded: _Optional[_Union[TierChangedPayload, _Mapping]] = ..., tier_downgraded: _Optional[_Union[TierChangedPayload, _Mapping]] = ..., tier_downgrade_warning: _Optional[_Union[TierDowngradeWarningPayload, _Mapping]] = ..., reward_redeemed: _Optional[_Union[RewardRedeemedPayload, _Mapping]] = ..., coupon_used: _Optional[_Union[CouponChangedPayload, _Mapping]] = ..., coupon_cancelled: _Optional[_Union[CouponChangedPayload, _Mapping]] = ..., hold_created: _Optional[_Union[HoldChangedPayload, _Mapping]] = ..., hold_captured: _Optional[_Union[HoldChangedPayload, _Mapping]] = ..., hold_voided: _Optional[_Union[HoldChangedPayload, _Mapping]] = ..., hold_expired: _Optional[_Union[HoldChangedPayload, _Mapping]] = ..., partner_connected: _Optional[_Union[PartnerConnectedPayload, _Mapping]] = ..., partner_disconnected: _Optional[_Union[PartnerDisconnectedPayload, _Mapping]] = ..., webhook_endpoint_disabled: _Optional[_Union[WebhookEndpointDisabledPayload, _Mapping]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("server_time", "sequence")
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    server_time: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("event_types", "member_id", "after_sequence", "from_now", "heartbeat_interval_seconds", "max_events_per_message")
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_NOW_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_PER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    member_id: str
    after_sequence: int
    from_now: bool
    heartbeat_interval_seconds: int
    max_events_per_message: int
    def __init__(self, event_types: _Optional[_Iterable[_Union[EventType, str]]] = ..., member_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., from_now: _Optional[bool] = ..., heartbeat_interval_seconds: _Optional[int] = ..., max_events_per_message: _Optional[int] = ...) -> None: ...

class StreamEventsResponse(_message.Message):
    __slots__ = ("event", "heartbeat", "batch")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    event: Event
    heartbeat: Heartbeat
    batch: EventBatch
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., batch: _Optional[_Union[EventBatch, _Mapping]] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class MemberSnapshot(_message.Message):
    __slots__ = ("member_id", "balance", "tier", "sequence", "cause", "snapshot_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    balance: _common_pb2.Balance
    tier: _common_pb2.MemberTier
    sequence: int
    cause: EventType
    snapshot_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., balance: _Optional[_Union[_common_pb2.Balance, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.MemberTier, _Mapping]] = ..., sequence: _Optional[int] = ..., cause: _Optional[_Union[EventType, str]] = ..., snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchMemberRequest(_message.Message):
    __slots__ = ("member_id", "heartbeat_interval_seconds")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    heartbeat_interval_seconds: int
    def __init__(self, member_id: _Optional[str] = ..., heartbeat_interval_seconds: _Optional[int] = ...) -> None: ...

class WatchMemberResponse(_message.Message):
    __slots__ = ("snapshot", "heartbeat")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    snapshot: MemberSnapshot
    heartbeat: Heartbeat
    def __init__(self, snapshot: _Optional[_Union[MemberSnapshot, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "event_types", "member_id", "after_sequence", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    member_id: str
    after_sequence: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[EventType, str]]] = ..., member_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token", "latest_sequence")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LATEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    next_page_token: str
    latest_sequence: int
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., latest_sequence: _Optional[int] = ...) -> None: ...

class WebhookEndpoint(_message.Message):
    __slots__ = ("endpoint_id", "url", "event_types", "description", "enabled", "disabled_reason", "disable_time", "failing_since_time", "owner_client_id", "tenant_code", "create_time", "update_time", "secret_rotate_time", "etag")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    DISABLE_TIME_FIELD_NUMBER: _ClassVar[int]
    FAILING_SINCE_TIME_FIELD_NUMBER: _ClassVar[int]
    OWNER_CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SECRET_ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    description: str
    enabled: bool
    disabled_reason: WebhookDisabledReason
    disable_time: _timestamp_pb2.Timestamp
    failing_since_time: _timestamp_pb2.Timestamp
    owner_client_id: str
    tenant_code: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    secret_rotate_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, endpoint_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[EventType, str]]] = ..., description: _Optional[str] = ..., enabled: _Optional[bool] = ..., disabled_reason: _Optional[_Union[WebhookDisabledReason, str]] = ..., disable_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failing_since_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner_client_id: _Optional[str] = ..., tenant_code: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., secret_rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateWebhookEndpointRequest(_message.Message):
    __slots__ = ("webhook_endpoint", "request_id")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    request_id: str
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint", "signing_secret")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    signing_secret: str
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., signing_secret: _Optional[str] = ...) -> None: ...

class GetWebhookEndpointRequest(_message.Message):
    __slots__ = ("endpoint_id",)
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    def __init__(self, endpoint_id: _Optional[str] = ...) -> None: ...

class GetWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint",)
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ...) -> None: ...

class ListWebhookEndpointsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsResponse(_message.Message):
    __slots__ = ("webhook_endpoints", "next_page_token")
    WEBHOOK_ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoints: _containers.RepeatedCompositeFieldContainer[WebhookEndpoint]
    next_page_token: str
    def __init__(self, webhook_endpoints: _Optional[_Iterable[_Union[WebhookEndpoint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateWebhookEndpointRequest(_message.Message):
    __slots__ = ("webhook_endpoint", "update_mask", "request_id")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateWebhookEndpointResponse(_message.Message):
    __slots__ = ("webhook_endpoint",)
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ...) -> None: ...

class DeleteWebhookEndpointRequest(_message.Message):
    __slots__ = ("endpoint_id", "request_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    request_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteWebhookEndpointResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RotateWebhookSecretRequest(_message.Message):
    __slots__ = ("endpoint_id", "previous_secret_ttl_seconds", "request_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    previous_secret_ttl_seconds: int
    request_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., previous_secret_ttl_seconds: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RotateWebhookSecretResponse(_message.Message):
    __slots__ = ("webhook_endpoint", "signing_secret", "previous_secret_expire_time")
    WEBHOOK_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SECRET_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    webhook_endpoint: WebhookEndpoint
    signing_secret: str
    previous_secret_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, webhook_endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., signing_secret: _Optional[str] = ..., previous_secret_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WebhookDeliveryAttempt(_message.Message):
    __slots__ = ("attempt_number", "start_time", "http_status_code", "latency_ms", "response_snippet", "error", "retry_after_seconds", "trigger")
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_SNIPPET_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    attempt_number: int
    start_time: _timestamp_pb2.Timestamp
    http_status_code: int
    latency_ms: int
    response_snippet: str
    error: str
    retry_after_seconds: int
    trigger: WebhookAttemptTrigger
    def __init__(self, attempt_number: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., http_status_code: _Optional[int] = ..., latency_ms: _Optional[int] = ..., response_snippet: _Optional[str] = ..., error: _Optional[str] = ..., retry_after_seconds: _Optional[int] = ..., trigger: _Optional[_Union[WebhookAttemptTrigger, str]] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("delivery_id", "message_id", "endpoint_id", "event_id", "event_sequence", "event_type", "status", "attempt_count", "next_attempt_time", "create_time", "complete_time", "last_attempt", "attempts")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    message_id: str
    endpoint_id: str
    event_id: str
    event_sequence: int
    event_type: EventType
    status: WebhookDeliveryStatus
    attempt_count: int
    next_attempt_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    last_attempt: WebhookDeliveryAttempt
    attempts: _containers.RepeatedCompositeFieldContainer[WebhookDeliveryAttempt]
    def __init__(self, delivery_id: _Optional[str] = ..., message_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., event_id: _Optional[str] = ..., event_sequence: _Optional[int] = ..., event_type: _Optional[_Union[EventType, str]] = ..., status: _Optional[_Union[WebhookDeliveryStatus, str]] = ..., attempt_count: _Optional[int] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_attempt: _Optional[_Union[WebhookDeliveryAttempt, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[WebhookDeliveryAttempt, _Mapping]]] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("endpoint_id", "page_size", "page_token", "statuses", "event_types", "start_time", "end_time")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[WebhookDeliveryStatus]
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, endpoint_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[WebhookDeliveryStatus, str]]] = ..., event_types: _Optional[_Iterable[_Union[EventType, str]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetWebhookDeliveryRequest(_message.Message):
    __slots__ = ("endpoint_id", "delivery_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    delivery_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., delivery_id: _Optional[str] = ...) -> None: ...

class GetWebhookDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: WebhookDelivery
    def __init__(self, delivery: _Optional[_Union[WebhookDelivery, _Mapping]] = ...) -> None: ...

class RedeliverWebhookDeliveryRequest(_message.Message):
    __slots__ = ("endpoint_id", "delivery_id", "request_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    delivery_id: str
    request_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., delivery_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeliverWebhookDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: WebhookDelivery
    def __init__(self, delivery: _Optional[_Union[WebhookDelivery, _Mapping]] = ...) -> None: ...

class ReplayFailedWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("endpoint_id", "start_time", "end_time", "event_types", "request_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    event_types: _containers.RepeatedScalarFieldContainer[EventType]
    request_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_types: _Optional[_Iterable[_Union[EventType, str]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReplayFailedWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("replayed_count",)
    REPLAYED_COUNT_FIELD_NUMBER: _ClassVar[int]
    replayed_count: int
    def __init__(self, replayed_count: _Optional[int] = ...) -> None: ...
