"""A PostActivities batch as a plan: one item per activity, or the reason it is refused before any
database work (too-long entry fields, a missing id, the same id twice in one array).

Pure. The caller has already decided, per entry, which member and partner client it is for (that
needs the credentials); this module only looks at the request's shape. Order is the seed's: every
create, then every update, then every delete, each in request order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.v1 import activity_pb2
from loyalty_server.activity.intake import ActivityItem
from loyalty_server.activity.values import ActivityProblem
from loyalty_server.auth.authorization import TRANSACTION_ID_LENGTH_MAX  # the seed's, one limit
from loyalty_server.errors import FieldViolation, invalid_argument

Op = activity_pb2.ActivityOperation
Reason = activity_pb2.ActivityErrorReason
BATCH_ACTIVITIES_MAX = 1000
ENTRY_NAME_LENGTH_MAX = 20  # the seed: manufacturer_name and device_name, 20 characters at most
USER_DEVICE_ID_LENGTH_MAX = 128
ACTIVITY_ID_LENGTH_MAX = 128
ARRAYS = (
    ("creates", Op.ACTIVITY_OPERATION_CREATE),
    ("updates", Op.ACTIVITY_OPERATION_UPDATE),
    ("deletes", Op.ACTIVITY_OPERATION_DELETE),
)


@dataclass(frozen=True, slots=True)
class EntryTarget:
    """Who one entry posts for: the member and the partner client (affiliate)."""

    member_id: str
    client_id: str


@dataclass(frozen=True, slots=True)
class Planned:
    operation: int
    activity_id: str
    transaction_id: str
    member_id: str
    item: ActivityItem | None  # None: refused, see problem
    problem: ActivityProblem | None = None


def entries_of(
    request: activity_pb2.PostActivitiesRequest | activity_pb2.SimulateActivitiesRequest,
) -> list[tuple[int, activity_pb2.ActivityEntry]]:
    return [(operation, entry) for name, operation in ARRAYS for entry in getattr(request, name)]


def check_batch_size(entries: Sequence[tuple[int, activity_pb2.ActivityEntry]]) -> None:
    count = sum(len(entry.data) for _, entry in entries)
    if count == 0:
        raise invalid_argument(
            "BATCH_EMPTY", "the batch has no activities", FieldViolation("creates", "empty")
        )
    if count > BATCH_ACTIVITIES_MAX:
        raise invalid_argument(
            "BATCH_TOO_LARGE",
            f"at most {BATCH_ACTIVITIES_MAX} activities per batch (got {count})",
            FieldViolation("creates", f"at most {BATCH_ACTIVITIES_MAX} activities"),
        )


def _entry_problem(entry: activity_pb2.ActivityEntry) -> ActivityProblem | None:
    limits = (
        ("manufacturer_name", entry.manufacturer_name, ENTRY_NAME_LENGTH_MAX),
        ("device_name", entry.device_name, ENTRY_NAME_LENGTH_MAX),
        ("transaction_id", entry.transaction_id, TRANSACTION_ID_LENGTH_MAX),
        ("user_device_id", entry.user_device_id, USER_DEVICE_ID_LENGTH_MAX),
    )
    for name, value, maximum in limits:
        if len(value) > maximum:
            return ActivityProblem(
                Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG, f"{name}: at most {maximum} characters"
            )
    return None


def _id_problem(activity_id: str) -> ActivityProblem | None:
    if not activity_id:
        return ActivityProblem(Reason.ACTIVITY_ERROR_REASON_MISSING_FIELD, "id is required")
    if len(activity_id) > ACTIVITY_ID_LENGTH_MAX:
        return ActivityProblem(
            Reason.ACTIVITY_ERROR_REASON_FIELD_TOO_LONG, f"id: at most {ACTIVITY_ID_LENGTH_MAX} characters"
        )
    return None


def plan_batch(
    entries: Sequence[tuple[int, activity_pb2.ActivityEntry]],
    targets: Sequence[EntryTarget],
    *,
    request_id: str,
    actor: str,
) -> list[Planned]:
    """One Planned per activity, in request order."""
    assert len(entries) == len(targets)
    seen: set[tuple[int, str, str, str]] = set()
    planned: list[Planned] = []
    for (operation, entry), target in zip(entries, targets, strict=True):
        entry_problem = _entry_problem(entry)
        for data in entry.data:
            key = (operation, target.client_id, target.member_id, data.id)
            problem = entry_problem or _id_problem(data.id)
            if problem is None and key in seen:
                problem = ActivityProblem(
                    Reason.ACTIVITY_ERROR_REASON_DUPLICATE_IN_BATCH, "this id appears twice in the same array"
                )
            seen.add(key)
            item = None
            if problem is None:
                item = ActivityItem(
                    operation=operation,
                    client_id=target.client_id,
                    member_id=target.member_id,
                    data=data,
                    transaction_id=entry.transaction_id,
                    user_device_id=entry.user_device_id,
                    manufacturer_name=entry.manufacturer_name,
                    device_name=entry.device_name,
                    request_id=request_id,
                    actor=actor,
                )
            planned.append(Planned(operation, data.id, entry.transaction_id, target.member_id, item, problem))
    return planned


def create_runs(planned: Sequence[Planned]) -> list[list[Planned]]:
    """The plan cut into runs, in order: consecutive creates for one member together (the intake
    applies such a run in one write), every other item alone."""
    runs: list[list[Planned]] = []
    for one in planned:
        previous = runs[-1][-1] if runs else None
        if previous is not None and _same_create_run(previous, one):
            runs[-1].append(one)
        else:
            runs.append([one])
    return runs


def _same_create_run(previous: Planned, one: Planned) -> bool:
    return (
        previous.item is not None
        and one.item is not None
        and previous.operation == one.operation == Op.ACTIVITY_OPERATION_CREATE
        and previous.member_id == one.member_id
    )
