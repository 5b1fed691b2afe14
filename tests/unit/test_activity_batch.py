"""A PostActivities batch cut into runs (activity/batch.py): one member's consecutive creates together,
everything else alone, the request's order kept."""

from __future__ import annotations

from loyalty.v1 import activity_pb2
from loyalty_server.activity.batch import EntryTarget, Planned, create_runs, entries_of, plan_batch

Op = activity_pb2.ActivityOperation


def entry(*ids: str) -> activity_pb2.ActivityEntry:
    return activity_pb2.ActivityEntry(data=[activity_pb2.ActivityData(id=one) for one in ids])


def planned(request: activity_pb2.PostActivitiesRequest, members: list[str]) -> list[Planned]:
    targets = [EntryTarget(member, "pc_app") for member in members]
    return plan_batch(entries_of(request), targets, request_id="r", actor="test")


def shape(runs: list[list[Planned]]) -> list[list[str]]:
    return [[f"{one.member_id}:{one.activity_id}" for one in run] for run in runs]


def test_one_members_consecutive_creates_form_a_run() -> None:
    request = activity_pb2.PostActivitiesRequest(
        creates=[entry("a1", "a2"), entry("a3"), entry("b1", "b2"), entry("a4")]
    )
    plan = planned(request, ["m1", "m1", "m2", "m1"])
    assert shape(create_runs(plan)) == [["m1:a1", "m1:a2", "m1:a3"], ["m2:b1", "m2:b2"], ["m1:a4"]]


def test_updates_deletes_and_refused_creates_stand_alone() -> None:
    request = activity_pb2.PostActivitiesRequest(
        creates=[entry("a1", "", "a2", "a1")],  # a missing id, then a1 twice in one array
        updates=[entry("a1", "a2")],
        deletes=[entry("a3")],
    )
    plan = planned(request, ["m1", "m1", "m1"])
    assert [one.item is None for one in plan] == [False, True, False, True, False, False, False]
    assert shape(create_runs(plan)) == [
        ["m1:a1"],
        ["m1:"],
        ["m1:a2"],
        ["m1:a1"],
        ["m1:a1"],
        ["m1:a2"],
        ["m1:a3"],
    ]
    assert [len(run) for run in create_runs(plan)] == [1] * 7
    flat = [one for run in create_runs(plan) for one in run]
    assert flat == plan  # nothing lost, nothing reordered
