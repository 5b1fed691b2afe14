"""Activity domain values to loyalty.v1 messages."""

from __future__ import annotations

from loyalty.v1 import activity_pb2, ledger_pb2
from loyalty_server.activity.history import ActivityView, ReadingView
from loyalty_server.activity.rules import LimitCheck, RuleResult
from loyalty_server.activity.timing import local_midnight
from loyalty_server.activity.values import NAME_BY_TYPE, TYPE_BY_NAME, ActivityProblem
from loyalty_server.ledger.members import Member
from loyalty_server.program.model import Period
from loyalty_server.timestamps import set_timestamp

LIMIT_PERIODS = {
    Period.DAY: ledger_pb2.LIMIT_PERIOD_DAY,
    Period.WEEK: ledger_pb2.LIMIT_PERIOD_WEEK,
    Period.MONTH: ledger_pb2.LIMIT_PERIOD_MONTH,
}
LIMIT_KINDS = {"points": activity_pb2.LIMIT_KIND_POINTS, "awards": activity_pb2.LIMIT_KIND_AWARDS}
ACTIVITY_STATES = {
    "active": activity_pb2.ACTIVITY_STATE_ACTIVE,
    "deleted": activity_pb2.ACTIVITY_STATE_DELETED,
}


def type_names(types: list[int] | tuple[int, ...]) -> tuple[str, ...]:
    """Requested ActivityType filters as stored names; unknown numbers match nothing."""
    return tuple(NAME_BY_TYPE.get(kind, f"unknown-{kind}") for kind in types)


def failed_activity(
    problem: ActivityProblem, activity_id: str, operation: int, transaction_id: str
) -> activity_pb2.FailedActivity:
    return activity_pb2.FailedActivity(
        id=activity_id,
        operation=operation,
        reason=problem.reason,
        message=problem.message,
        transaction_id=transaction_id,
    )


def limit_check_to_proto(check: LimitCheck, member: Member | None) -> activity_pb2.LimitCheck:
    proto = activity_pb2.LimitCheck(
        limit_id=check.limit_id,
        kind=LIMIT_KINDS[check.kind],
        period=LIMIT_PERIODS[check.period],
        maximum=check.maximum,
        used=check.used,
        bit=check.bit,
        points_cut=check.points_cut,
    )
    if member is not None:
        set_timestamp(proto.period_start_time, local_midnight(check.start_day, member.zone))
        set_timestamp(proto.period_end_time, local_midnight(check.end_day, member.zone))
    return proto


def rule_result_to_proto(result: RuleResult, member: Member | None) -> activity_pb2.RuleEvaluation:
    return activity_pb2.RuleEvaluation(
        rule_id=result.rule.id,
        description=result.rule.description,
        matched=True,
        measured_units=float(result.units),
        base_points=result.base_points,
        multiplier_percent=result.multiplier.percent,
        multiplier_tier_id=result.multiplier.tier_id,
        points_before_limits=result.points_before_limits,
        points_awarded=result.points,
        currency=result.rule.currency,
        source_id=result.rule.source,
        limits=[limit_check_to_proto(check, member) for check in result.limits],
        explanation=result.explanation,
    )


def activity_to_proto(view: ActivityView, member_id: str) -> activity_pb2.Activity:
    proto = activity_pb2.Activity(
        id=view.activity_id,
        client_id=view.client_id,
        member_id=member_id,
        type=TYPE_BY_NAME[view.type_name],
        state=ACTIVITY_STATES[view.state],
        device_tracked=view.device_tracked,
        user_device_id=view.user_device_id,
        manufacturer_name=view.manufacturer_name,
        device_name=view.device_name,
        points=view.points,
        value_retained=view.value_retained,
    )
    set_timestamp(proto.occur_time, view.occurred_at)
    set_timestamp(proto.create_time, view.created_at)
    set_timestamp(proto.update_time, view.updated_at)
    return proto


def reading_to_proto(view: ReadingView) -> activity_pb2.HealthReading:
    proto = activity_pb2.HealthReading(
        activity_id=view.activity_id,
        client_id=view.client_id,
        type=TYPE_BY_NAME[view.type_name],
        value=view.value,
    )
    set_timestamp(proto.occur_time, view.occurred_at)
    set_timestamp(proto.purge_time, view.purge_at)
    return proto
