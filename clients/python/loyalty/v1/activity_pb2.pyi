import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from loyalty.v1 import common_pb2 as _common_pb2
from loyalty.v1 import ledger_pb2 as _ledger_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MedicineRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEDICINE_RELATION_UNSPECIFIED: _ClassVar[MedicineRelation]
    MEDICINE_RELATION_PRE_MEDICINE: _ClassVar[MedicineRelation]
    MEDICINE_RELATION_POST_MEDICINE: _ClassVar[MedicineRelation]

class MealRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEAL_RELATION_UNSPECIFIED: _ClassVar[MealRelation]
    MEAL_RELATION_PRE: _ClassVar[MealRelation]
    MEAL_RELATION_POST: _ClassVar[MealRelation]

class ActivityOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_OPERATION_UNSPECIFIED: _ClassVar[ActivityOperation]
    ACTIVITY_OPERATION_CREATE: _ClassVar[ActivityOperation]
    ACTIVITY_OPERATION_UPDATE: _ClassVar[ActivityOperation]
    ACTIVITY_OPERATION_DELETE: _ClassVar[ActivityOperation]

class ActivityOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_OUTCOME_UNSPECIFIED: _ClassVar[ActivityOutcome]
    ACTIVITY_OUTCOME_APPLIED: _ClassVar[ActivityOutcome]
    ACTIVITY_OUTCOME_REPLAYED: _ClassVar[ActivityOutcome]
    ACTIVITY_OUTCOME_FAILED: _ClassVar[ActivityOutcome]

class ActivityErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_ERROR_REASON_UNSPECIFIED: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_MISSING_FIELD: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_UNKNOWN_TYPE: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_INVALID_VALUE: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_TYPE_MISMATCH: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_FIELD_TOO_LONG: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_DUPLICATE_IN_BATCH: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_ID_REUSED: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_NOT_FOUND: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_ALREADY_DELETED: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_TYPE_CHANGED: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_MEMBER_INACTIVE: _ClassVar[ActivityErrorReason]
    ACTIVITY_ERROR_REASON_SCOPE_NOT_GRANTED: _ClassVar[ActivityErrorReason]

class LimitKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIMIT_KIND_UNSPECIFIED: _ClassVar[LimitKind]
    LIMIT_KIND_POINTS: _ClassVar[LimitKind]
    LIMIT_KIND_AWARDS: _ClassVar[LimitKind]

class ActivityState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_STATE_UNSPECIFIED: _ClassVar[ActivityState]
    ACTIVITY_STATE_ACTIVE: _ClassVar[ActivityState]
    ACTIVITY_STATE_DELETED: _ClassVar[ActivityState]

class SalesChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SALES_CHANNEL_UNSPECIFIED: _ClassVar[SalesChannel]
    SALES_CHANNEL_STORE: _ClassVar[SalesChannel]
    SALES_CHANNEL_ONLINE: _ClassVar[SalesChannel]
    SALES_CHANNEL_APP: _ClassVar[SalesChannel]
    SALES_CHANNEL_PHONE: _ClassVar[SalesChannel]
MEDICINE_RELATION_UNSPECIFIED: MedicineRelation
MEDICINE_RELATION_PRE_MEDICINE: MedicineRelation
MEDICINE_RELATION_POST_MEDICINE: MedicineRelation
MEAL_RELATION_UNSPECIFIED: MealRelation
MEAL_RELATION_PRE: MealRelation
MEAL_RELATION_POST: MealRelation
ACTIVITY_OPERATION_UNSPECIFIED: ActivityOperation
ACTIVITY_OPERATION_CREATE: ActivityOperation
ACTIVITY_OPERATION_UPDATE: ActivityOperation
ACTIVITY_OPERATION_DELETE: ActivityOperation
ACTIVITY_OUTCOME_UNSPECIFIED: ActivityOutcome
ACTIVITY_OUTCOME_APPLIED: ActivityOutcome
ACTIVITY_OUTCOME_REPLAYED: ActivityOutcome
ACTIVITY_OUTCOME_FAILED: ActivityOutcome
ACTIVITY_ERROR_REASON_UNSPECIFIED: ActivityErrorReason
ACTIVITY_ERROR_REASON_MISSING_FIELD: ActivityErrorReason
ACTIVITY_ERROR_REASON_UNKNOWN_TYPE: ActivityErrorReason
ACTIVITY_ERROR_REASON_INVALID_VALUE: ActivityErrorReason
ACTIVITY_ERROR_REASON_VALUE_OUT_OF_RANGE: ActivityErrorReason
ACTIVITY_ERROR_REASON_TYPE_MISMATCH: ActivityErrorReason
ACTIVITY_ERROR_REASON_INVALID_TIMESTAMP: ActivityErrorReason
ACTIVITY_ERROR_REASON_TIMESTAMP_TOO_OLD: ActivityErrorReason
ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE: ActivityErrorReason
ACTIVITY_ERROR_REASON_FIELD_TOO_LONG: ActivityErrorReason
ACTIVITY_ERROR_REASON_DUPLICATE_IN_BATCH: ActivityErrorReason
ACTIVITY_ERROR_REASON_ID_REUSED: ActivityErrorReason
ACTIVITY_ERROR_REASON_NOT_FOUND: ActivityErrorReason
ACTIVITY_ERROR_REASON_ALREADY_DELETED: ActivityErrorReason
ACTIVITY_ERROR_REASON_TYPE_CHANGED: ActivityErrorReason
ACTIVITY_ERROR_REASON_MEMBER_INACTIVE: ActivityErrorReason
ACTIVITY_ERROR_REASON_SCOPE_NOT_GRANTED: ActivityErrorReason
LIMIT_KIND_UNSPECIFIED: LimitKind
LIMIT_KIND_POINTS: LimitKind
LIMIT_KIND_AWARDS: LimitKind
ACTIVITY_STATE_UNSPECIFIED: ActivityState
ACTIVITY_STATE_ACTIVE: ActivityState
ACTIVITY_STATE_DELETED: ActivityState
SALES_CHANNEL_UNSPECIFIED: SalesChannel
SALES_CHANNEL_STORE: SalesChannel
SALES_CHANNEL_ONLINE: SalesChannel
SALES_CHANNEL_APP: SalesChannel
SALES_CHANNEL_PHONE: SalesChannel

class TotalStepsValue(_message.Message):
    __slots__ = ("steps",)
    STEPS_FIELD_NUMBER: _ClassVar[int]
    steps: int
    def __init__(self, steps: _Optional[int] = ...) -> None: ...

class MovementValue(_message.Message):
    __slots__ = ("duration_seconds", "distance_miles", "steps")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_MILES_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    distance_miles: float
    steps: int
    def __init__(self, duration_seconds: _Optional[int] = ..., distance_miles: _Optional[float] = ..., steps: _Optional[int] = ...) -> None: ...

class BikingValue(_message.Message):
    __slots__ = ("duration_seconds", "distance_miles")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_MILES_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    distance_miles: float
    def __init__(self, duration_seconds: _Optional[int] = ..., distance_miles: _Optional[float] = ...) -> None: ...

class GeneralExerciseValue(_message.Message):
    __slots__ = ("duration_seconds", "exercise_name")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXERCISE_NAME_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    exercise_name: str
    def __init__(self, duration_seconds: _Optional[int] = ..., exercise_name: _Optional[str] = ...) -> None: ...

class WeightValue(_message.Message):
    __slots__ = ("weight_pounds",)
    WEIGHT_POUNDS_FIELD_NUMBER: _ClassVar[int]
    weight_pounds: float
    def __init__(self, weight_pounds: _Optional[float] = ...) -> None: ...

class BloodPressureValue(_message.Message):
    __slots__ = ("systolic_mmhg", "diastolic_mmhg")
    SYSTOLIC_MMHG_FIELD_NUMBER: _ClassVar[int]
    DIASTOLIC_MMHG_FIELD_NUMBER: _ClassVar[int]
    systolic_mmhg: int
    diastolic_mmhg: int
    def __init__(self, systolic_mmhg: _Optional[int] = ..., diastolic_mmhg: _Optional[int] = ...) -> None: ...

class BloodOxygenValue(_message.Message):
    __slots__ = ("saturation_percent",)
    SATURATION_PERCENT_FIELD_NUMBER: _ClassVar[int]
    saturation_percent: float
    def __init__(self, saturation_percent: _Optional[float] = ...) -> None: ...

class BloodGlucoseValue(_message.Message):
    __slots__ = ("glucose_mg_per_dl", "medicine_relation", "meal_relation", "meal")
    GLUCOSE_MG_PER_DL_FIELD_NUMBER: _ClassVar[int]
    MEDICINE_RELATION_FIELD_NUMBER: _ClassVar[int]
    MEAL_RELATION_FIELD_NUMBER: _ClassVar[int]
    MEAL_FIELD_NUMBER: _ClassVar[int]
    glucose_mg_per_dl: float
    medicine_relation: MedicineRelation
    meal_relation: MealRelation
    meal: str
    def __init__(self, glucose_mg_per_dl: _Optional[float] = ..., medicine_relation: _Optional[_Union[MedicineRelation, str]] = ..., meal_relation: _Optional[_Union[MealRelation, str]] = ..., meal: _Optional[str] = ...) -> None: ...

class SleepValue(_message.Message):
    __slots__ = ("duration_seconds", "quality")
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    duration_seconds: int
    quality: str
    def __init__(self, duration_seconds: _Optional[int] = ..., quality: _Optional[str] = ...) -> None: ...

class UnparsedValue(_message.Message):
    __slots__ = ("type", "value_json")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    type: str
    value_json: str
    def __init__(self, type: _Optional[str] = ..., value_json: _Optional[str] = ...) -> None: ...

class ActivityValue(_message.Message):
    __slots__ = ("total_steps", "walking", "running", "biking", "general_exercise", "weight", "blood_pressure", "blood_oxygen_ratio", "blood_glucose", "sleep", "unparsed")
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    WALKING_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    BIKING_FIELD_NUMBER: _ClassVar[int]
    GENERAL_EXERCISE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOOD_PRESSURE_FIELD_NUMBER: _ClassVar[int]
    BLOOD_OXYGEN_RATIO_FIELD_NUMBER: _ClassVar[int]
    BLOOD_GLUCOSE_FIELD_NUMBER: _ClassVar[int]
    SLEEP_FIELD_NUMBER: _ClassVar[int]
    UNPARSED_FIELD_NUMBER: _ClassVar[int]
    total_steps: TotalStepsValue
    walking: MovementValue
    running: MovementValue
    biking: BikingValue
    general_exercise: GeneralExerciseValue
    weight: WeightValue
    blood_pressure: BloodPressureValue
    blood_oxygen_ratio: BloodOxygenValue
    blood_glucose: BloodGlucoseValue
    sleep: SleepValue
    unparsed: UnparsedValue
    def __init__(self, total_steps: _Optional[_Union[TotalStepsValue, _Mapping]] = ..., walking: _Optional[_Union[MovementValue, _Mapping]] = ..., running: _Optional[_Union[MovementValue, _Mapping]] = ..., biking: _Optional[_Union[BikingValue, _Mapping]] = ..., general_exercise: _Optional[_Union[GeneralExerciseValue, _Mapping]] = ..., weight: _Optional[_Union[WeightValue, _Mapping]] = ..., blood_pressure: _Optional[_Union[BloodPressureValue, _Mapping]] = ..., blood_oxygen_ratio: _Optional[_Union[BloodOxygenValue, _Mapping]] = ..., blood_glucose: _Optional[_Union[BloodGlucoseValue, _Mapping]] = ..., sleep: _Optional[_Union[SleepValue, _Mapping]] = ..., unparsed: _Optional[_Union[UnparsedValue, _Mapping]] = ...) -> None: ...

class ActivityData(_message.Message):
    __slots__ = ("id", "device_tracked", "local_timestamp", "occur_time", "type", "value")
    ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TRACKED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    id: str
    device_tracked: bool
    local_timestamp: str
    occur_time: _timestamp_pb2.Timestamp
    type: _common_pb2.ActivityType
    value: ActivityValue
    def __init__(self, id: _Optional[str] = ..., device_tracked: _Optional[bool] = ..., local_timestamp: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[_Union[_common_pb2.ActivityType, str]] = ..., value: _Optional[_Union[ActivityValue, _Mapping]] = ...) -> None: ...

class ActivityEntry(_message.Message):
    __slots__ = ("access_token", "affiliate_id", "transaction_id", "date", "user_device_id", "manufacturer_name", "device_name", "data", "member_id")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AFFILIATE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    USER_DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    MANUFACTURER_NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    affiliate_id: str
    transaction_id: str
    date: str
    user_device_id: str
    manufacturer_name: str
    device_name: str
    data: _containers.RepeatedCompositeFieldContainer[ActivityData]
    member_id: str
    def __init__(self, access_token: _Optional[str] = ..., affiliate_id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., date: _Optional[str] = ..., user_device_id: _Optional[str] = ..., manufacturer_name: _Optional[str] = ..., device_name: _Optional[str] = ..., data: _Optional[_Iterable[_Union[ActivityData, _Mapping]]] = ..., member_id: _Optional[str] = ...) -> None: ...

class FailedActivity(_message.Message):
    __slots__ = ("id", "operation", "reason", "message", "transaction_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation: ActivityOperation
    reason: ActivityErrorReason
    message: str
    transaction_id: str
    def __init__(self, id: _Optional[str] = ..., operation: _Optional[_Union[ActivityOperation, str]] = ..., reason: _Optional[_Union[ActivityErrorReason, str]] = ..., message: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class ActivityResult(_message.Message):
    __slots__ = ("id", "operation", "outcome", "transaction_id", "member_id", "type", "points_delta", "ledger_transaction_ids", "failure")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    LEDGER_TRANSACTION_IDS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation: ActivityOperation
    outcome: ActivityOutcome
    transaction_id: str
    member_id: str
    type: _common_pb2.ActivityType
    points_delta: int
    ledger_transaction_ids: _containers.RepeatedScalarFieldContainer[str]
    failure: FailedActivity
    def __init__(self, id: _Optional[str] = ..., operation: _Optional[_Union[ActivityOperation, str]] = ..., outcome: _Optional[_Union[ActivityOutcome, str]] = ..., transaction_id: _Optional[str] = ..., member_id: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.ActivityType, str]] = ..., points_delta: _Optional[int] = ..., ledger_transaction_ids: _Optional[_Iterable[str]] = ..., failure: _Optional[_Union[FailedActivity, _Mapping]] = ...) -> None: ...

class PostActivitiesRequest(_message.Message):
    __slots__ = ("request_id", "creates", "updates", "deletes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATES_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    DELETES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    creates: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    updates: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    deletes: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    def __init__(self, request_id: _Optional[str] = ..., creates: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ..., updates: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ..., deletes: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ...) -> None: ...

class PostActivitiesResponse(_message.Message):
    __slots__ = ("transaction_id", "results", "failed_activities", "applied_count", "failed_count", "points_delta")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    APPLIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    results: _containers.RepeatedCompositeFieldContainer[ActivityResult]
    failed_activities: _containers.RepeatedCompositeFieldContainer[FailedActivity]
    applied_count: int
    failed_count: int
    points_delta: int
    def __init__(self, transaction_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[ActivityResult, _Mapping]]] = ..., failed_activities: _Optional[_Iterable[_Union[FailedActivity, _Mapping]]] = ..., applied_count: _Optional[int] = ..., failed_count: _Optional[int] = ..., points_delta: _Optional[int] = ...) -> None: ...

class LimitCheck(_message.Message):
    __slots__ = ("limit_id", "kind", "period", "period_start_time", "period_end_time", "maximum", "used", "bit", "points_cut")
    LIMIT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_TIME_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    BIT_FIELD_NUMBER: _ClassVar[int]
    POINTS_CUT_FIELD_NUMBER: _ClassVar[int]
    limit_id: str
    kind: LimitKind
    period: _ledger_pb2.LimitPeriod
    period_start_time: _timestamp_pb2.Timestamp
    period_end_time: _timestamp_pb2.Timestamp
    maximum: int
    used: int
    bit: bool
    points_cut: int
    def __init__(self, limit_id: _Optional[str] = ..., kind: _Optional[_Union[LimitKind, str]] = ..., period: _Optional[_Union[_ledger_pb2.LimitPeriod, str]] = ..., period_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., maximum: _Optional[int] = ..., used: _Optional[int] = ..., bit: _Optional[bool] = ..., points_cut: _Optional[int] = ...) -> None: ...

class RuleEvaluation(_message.Message):
    __slots__ = ("rule_id", "description", "matched", "measured_units", "base_points", "multiplier_percent", "multiplier_tier_id", "points_before_limits", "points_awarded", "currency", "source_id", "limits", "explanation")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    MEASURED_UNITS_FIELD_NUMBER: _ClassVar[int]
    BASE_POINTS_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_TIER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_BEFORE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    POINTS_AWARDED_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    description: str
    matched: bool
    measured_units: float
    base_points: int
    multiplier_percent: int
    multiplier_tier_id: str
    points_before_limits: int
    points_awarded: int
    currency: str
    source_id: str
    limits: _containers.RepeatedCompositeFieldContainer[LimitCheck]
    explanation: str
    def __init__(self, rule_id: _Optional[str] = ..., description: _Optional[str] = ..., matched: _Optional[bool] = ..., measured_units: _Optional[float] = ..., base_points: _Optional[int] = ..., multiplier_percent: _Optional[int] = ..., multiplier_tier_id: _Optional[str] = ..., points_before_limits: _Optional[int] = ..., points_awarded: _Optional[int] = ..., currency: _Optional[str] = ..., source_id: _Optional[str] = ..., limits: _Optional[_Iterable[_Union[LimitCheck, _Mapping]]] = ..., explanation: _Optional[str] = ...) -> None: ...

class SimulatedActivity(_message.Message):
    __slots__ = ("id", "operation", "outcome", "failure", "points_delta", "evaluations")
    ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    operation: ActivityOperation
    outcome: ActivityOutcome
    failure: FailedActivity
    points_delta: int
    evaluations: _containers.RepeatedCompositeFieldContainer[RuleEvaluation]
    def __init__(self, id: _Optional[str] = ..., operation: _Optional[_Union[ActivityOperation, str]] = ..., outcome: _Optional[_Union[ActivityOutcome, str]] = ..., failure: _Optional[_Union[FailedActivity, _Mapping]] = ..., points_delta: _Optional[int] = ..., evaluations: _Optional[_Iterable[_Union[RuleEvaluation, _Mapping]]] = ...) -> None: ...

class SimulateActivitiesRequest(_message.Message):
    __slots__ = ("member_id", "creates", "updates", "deletes", "evaluation_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATES_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    DELETES_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    creates: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    updates: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    deletes: _containers.RepeatedCompositeFieldContainer[ActivityEntry]
    evaluation_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., creates: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ..., updates: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ..., deletes: _Optional[_Iterable[_Union[ActivityEntry, _Mapping]]] = ..., evaluation_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SimulateActivitiesResponse(_message.Message):
    __slots__ = ("activities", "points_delta")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    activities: _containers.RepeatedCompositeFieldContainer[SimulatedActivity]
    points_delta: int
    def __init__(self, activities: _Optional[_Iterable[_Union[SimulatedActivity, _Mapping]]] = ..., points_delta: _Optional[int] = ...) -> None: ...

class Activity(_message.Message):
    __slots__ = ("id", "client_id", "member_id", "type", "state", "device_tracked", "occur_time", "create_time", "update_time", "user_device_id", "manufacturer_name", "device_name", "points", "value_retained")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TRACKED_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    MANUFACTURER_NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    VALUE_RETAINED_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    member_id: str
    type: _common_pb2.ActivityType
    state: ActivityState
    device_tracked: bool
    occur_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    user_device_id: str
    manufacturer_name: str
    device_name: str
    points: int
    value_retained: bool
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., member_id: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.ActivityType, str]] = ..., state: _Optional[_Union[ActivityState, str]] = ..., device_tracked: _Optional[bool] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user_device_id: _Optional[str] = ..., manufacturer_name: _Optional[str] = ..., device_name: _Optional[str] = ..., points: _Optional[int] = ..., value_retained: _Optional[bool] = ...) -> None: ...

class ListActivitiesRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token", "types", "start_time", "end_time", "client_id", "include_deleted")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    types: _containers.RepeatedScalarFieldContainer[_common_pb2.ActivityType]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    client_id: str
    include_deleted: bool
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., types: _Optional[_Iterable[_Union[_common_pb2.ActivityType, str]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., client_id: _Optional[str] = ..., include_deleted: _Optional[bool] = ...) -> None: ...

class ListActivitiesResponse(_message.Message):
    __slots__ = ("activities", "next_page_token")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    activities: _containers.RepeatedCompositeFieldContainer[Activity]
    next_page_token: str
    def __init__(self, activities: _Optional[_Iterable[_Union[Activity, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class HealthReading(_message.Message):
    __slots__ = ("activity_id", "client_id", "type", "occur_time", "value", "purge_time")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PURGE_TIME_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    client_id: str
    type: _common_pb2.ActivityType
    occur_time: _timestamp_pb2.Timestamp
    value: ActivityValue
    purge_time: _timestamp_pb2.Timestamp
    def __init__(self, activity_id: _Optional[str] = ..., client_id: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.ActivityType, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., value: _Optional[_Union[ActivityValue, _Mapping]] = ..., purge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListHealthReadingsRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token", "types", "start_time", "end_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    types: _containers.RepeatedScalarFieldContainer[_common_pb2.ActivityType]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., types: _Optional[_Iterable[_Union[_common_pb2.ActivityType, str]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListHealthReadingsResponse(_message.Message):
    __slots__ = ("readings", "next_page_token")
    READINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[HealthReading]
    next_page_token: str
    def __init__(self, readings: _Optional[_Iterable[_Union[HealthReading, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPointsTotalsRequest(_message.Message):
    __slots__ = ("member_id", "affiliate_id", "transaction_id")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    AFFILIATE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    affiliate_id: str
    transaction_id: str
    def __init__(self, member_id: _Optional[str] = ..., affiliate_id: _Optional[str] = ..., transaction_id: _Optional[str] = ...) -> None: ...

class GetPointsTotalsResponse(_message.Message):
    __slots__ = ("total_rewards_points", "healthy_choice_points", "transaction_id", "member_id")
    TOTAL_REWARDS_POINTS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_CHOICE_POINTS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    total_rewards_points: int
    healthy_choice_points: int
    transaction_id: str
    member_id: str
    def __init__(self, total_rewards_points: _Optional[int] = ..., healthy_choice_points: _Optional[int] = ..., transaction_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class PurchaseItem(_message.Message):
    __slots__ = ("line_id", "sku", "category", "quantity", "amount_minor", "name")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    sku: str
    category: str
    quantity: int
    amount_minor: int
    name: str
    def __init__(self, line_id: _Optional[str] = ..., sku: _Optional[str] = ..., category: _Optional[str] = ..., quantity: _Optional[int] = ..., amount_minor: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class PurchaseLine(_message.Message):
    __slots__ = ("item", "points_earned", "returned_quantity", "returned_amount_minor", "points_reversed")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    RETURNED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RETURNED_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    item: PurchaseItem
    points_earned: int
    returned_quantity: int
    returned_amount_minor: int
    points_reversed: int
    def __init__(self, item: _Optional[_Union[PurchaseItem, _Mapping]] = ..., points_earned: _Optional[int] = ..., returned_quantity: _Optional[int] = ..., returned_amount_minor: _Optional[int] = ..., points_reversed: _Optional[int] = ...) -> None: ...

class Purchase(_message.Message):
    __slots__ = ("order_id", "member_id", "loyalty_id", "store_id", "channel", "currency_code", "total_amount_minor", "lines", "points_earned", "points_reversed", "pending_until", "purchase_time", "create_time", "coupon_ids", "transaction_ids")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_ID_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POINTS_EARNED_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    PENDING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COUPON_IDS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_IDS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    member_id: str
    loyalty_id: str
    store_id: str
    channel: SalesChannel
    currency_code: str
    total_amount_minor: int
    lines: _containers.RepeatedCompositeFieldContainer[PurchaseLine]
    points_earned: int
    points_reversed: int
    pending_until: _timestamp_pb2.Timestamp
    purchase_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    coupon_ids: _containers.RepeatedScalarFieldContainer[str]
    transaction_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, order_id: _Optional[str] = ..., member_id: _Optional[str] = ..., loyalty_id: _Optional[str] = ..., store_id: _Optional[str] = ..., channel: _Optional[_Union[SalesChannel, str]] = ..., currency_code: _Optional[str] = ..., total_amount_minor: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[PurchaseLine, _Mapping]]] = ..., points_earned: _Optional[int] = ..., points_reversed: _Optional[int] = ..., pending_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_ids: _Optional[_Iterable[str]] = ..., transaction_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordPurchaseRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "member", "store_id", "channel", "currency_code", "items", "purchase_time", "coupon_codes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    member: _common_pb2.MemberRef
    store_id: str
    channel: SalesChannel
    currency_code: str
    items: _containers.RepeatedCompositeFieldContainer[PurchaseItem]
    purchase_time: _timestamp_pb2.Timestamp
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., store_id: _Optional[str] = ..., channel: _Optional[_Union[SalesChannel, str]] = ..., currency_code: _Optional[str] = ..., items: _Optional[_Iterable[_Union[PurchaseItem, _Mapping]]] = ..., purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coupon_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordPurchaseResponse(_message.Message):
    __slots__ = ("purchase", "transactions")
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    purchase: Purchase
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    def __init__(self, purchase: _Optional[_Union[Purchase, _Mapping]] = ..., transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ...) -> None: ...

class GetPurchaseRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetPurchaseResponse(_message.Message):
    __slots__ = ("purchase",)
    PURCHASE_FIELD_NUMBER: _ClassVar[int]
    purchase: Purchase
    def __init__(self, purchase: _Optional[_Union[Purchase, _Mapping]] = ...) -> None: ...

class ReturnItem(_message.Message):
    __slots__ = ("line_id", "sku", "quantity", "amount_minor")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    sku: str
    quantity: int
    amount_minor: int
    def __init__(self, line_id: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class PurchaseReturn(_message.Message):
    __slots__ = ("return_id", "order_id", "member_id", "items", "points_reversed", "debt_points", "return_time", "create_time")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    DEBT_POINTS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    order_id: str
    member_id: str
    items: _containers.RepeatedCompositeFieldContainer[ReturnItem]
    points_reversed: int
    debt_points: int
    return_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, return_id: _Optional[str] = ..., order_id: _Optional[str] = ..., member_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ReturnItem, _Mapping]]] = ..., points_reversed: _Optional[int] = ..., debt_points: _Optional[int] = ..., return_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordReturnRequest(_message.Message):
    __slots__ = ("request_id", "return_id", "order_id", "items", "return_time", "store_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TIME_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    return_id: str
    order_id: str
    items: _containers.RepeatedCompositeFieldContainer[ReturnItem]
    return_time: _timestamp_pb2.Timestamp
    store_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., return_id: _Optional[str] = ..., order_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ReturnItem, _Mapping]]] = ..., return_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., store_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RecordReturnResponse(_message.Message):
    __slots__ = ("purchase_return", "transactions")
    PURCHASE_RETURN_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    purchase_return: PurchaseReturn
    transactions: _containers.RepeatedCompositeFieldContainer[_common_pb2.Transaction]
    def __init__(self, purchase_return: _Optional[_Union[PurchaseReturn, _Mapping]] = ..., transactions: _Optional[_Iterable[_Union[_common_pb2.Transaction, _Mapping]]] = ...) -> None: ...

class SimulatePurchaseRequest(_message.Message):
    __slots__ = ("member", "store_id", "channel", "currency_code", "items", "purchase_time")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.MemberRef
    store_id: str
    channel: SalesChannel
    currency_code: str
    items: _containers.RepeatedCompositeFieldContainer[PurchaseItem]
    purchase_time: _timestamp_pb2.Timestamp
    def __init__(self, member: _Optional[_Union[_common_pb2.MemberRef, _Mapping]] = ..., store_id: _Optional[str] = ..., channel: _Optional[_Union[SalesChannel, str]] = ..., currency_code: _Optional[str] = ..., items: _Optional[_Iterable[_Union[PurchaseItem, _Mapping]]] = ..., purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SimulatedPurchaseLine(_message.Message):
    __slots__ = ("item", "points", "evaluations")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EVALUATIONS_FIELD_NUMBER: _ClassVar[int]
    item: PurchaseItem
    points: int
    evaluations: _containers.RepeatedCompositeFieldContainer[RuleEvaluation]
    def __init__(self, item: _Optional[_Union[PurchaseItem, _Mapping]] = ..., points: _Optional[int] = ..., evaluations: _Optional[_Iterable[_Union[RuleEvaluation, _Mapping]]] = ...) -> None: ...

class SimulatePurchaseResponse(_message.Message):
    __slots__ = ("lines", "points_total", "pending_until")
    LINES_FIELD_NUMBER: _ClassVar[int]
    POINTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENDING_UNTIL_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[SimulatedPurchaseLine]
    points_total: int
    pending_until: _timestamp_pb2.Timestamp
    def __init__(self, lines: _Optional[_Iterable[_Union[SimulatedPurchaseLine, _Mapping]]] = ..., points_total: _Optional[int] = ..., pending_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
