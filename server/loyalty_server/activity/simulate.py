"""SimulateActivities: evaluate a batch as PostActivities would apply it, writing nothing.

The batch is evaluated in order against the member's real awards, as if each activity were applied
before the next: a limit filled by the first activity bites the second. What each rule did, and why,
comes back as the engine's RuleResults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import activity_pb2
from loyalty_server.activity import rules as engine_rules
from loyalty_server.activity.awards import awards_of, load_usage
from loyalty_server.activity.batch import Planned
from loyalty_server.activity.intake import DELETED, check_content, evaluate, find_activity, origin_key
from loyalty_server.activity.values import ActivityProblem
from loyalty_server.ledger.members import Member, MemberStatus, get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.program.model import Program

Op = activity_pb2.ActivityOperation
Outcome = activity_pb2.ActivityOutcome
Reason = activity_pb2.ActivityErrorReason


@dataclass(frozen=True, slots=True)
class Simulated:
    outcome: int
    points_delta: int = 0
    results: list[engine_rules.RuleResult] = field(default_factory=list)
    problem: ActivityProblem | None = None


@dataclass(slots=True)
class _Known:
    """An activity as the simulation has it so far: stored, or changed earlier in this batch."""

    type_name: str
    content_sha256: str
    local_day: dt.date
    awards: dict[str, int]
    deleted: bool


class Simulation:
    def __init__(self, ledger: Ledger, tenant_id: int, now: dt.datetime) -> None:
        self.ledger = ledger
        self.tenant_id = tenant_id
        self.program: Program = ledger.program_for(tenant_id)
        self.now = now
        self.members: dict[str, Member] = {}
        self.usages: dict[int, engine_rules.Usage] = {}
        self.known: dict[tuple[str, int, str], _Known | None] = {}

    async def run(self, planned: Sequence[Planned]) -> list[Simulated]:
        results = []
        async with self.ledger.engine.connect() as connection:
            for one in planned:
                if one.item is None:
                    assert one.problem is not None
                    results.append(Simulated(Outcome.ACTIVITY_OUTCOME_FAILED, problem=one.problem))
                    continue
                try:
                    results.append(await self._one(connection, one))
                except ActivityProblem as problem:
                    results.append(Simulated(Outcome.ACTIVITY_OUTCOME_FAILED, problem=problem))
        return results

    async def _member(self, connection: AsyncConnection, member_id: str) -> Member:
        if member_id not in self.members:
            self.members[member_id] = await get_member(connection, self.tenant_id, member_id)
        member = self.members[member_id]
        if member.status is not MemberStatus.ACTIVE:
            raise ActivityProblem(
                Reason.ACTIVITY_ERROR_REASON_MEMBER_INACTIVE, f"member is {member.status.value}"
            )
        return member

    async def _usage(self, connection: AsyncConnection, member: Member) -> engine_rules.Usage:
        """Every award that a limit of an activity inside the date window can count."""
        if member.pk not in self.usages:
            settings = self.program.activity
            first = (self.now - dt.timedelta(days=settings.backdate_days_max + 1)).date()
            last = (self.now + dt.timedelta(days=settings.future_days_max + 1)).date()
            window = engine_rules.usage_window([first, last])
            self.usages[member.pk] = await load_usage(connection, member.pk, window)
        return self.usages[member.pk]

    async def _known(
        self, connection: AsyncConnection, member: Member, client_id: str, activity_id: str
    ) -> _Known | None:
        key = (client_id, member.pk, activity_id)
        if key not in self.known:
            row = await find_activity(connection, member, client_id, activity_id)
            self.known[key] = (
                None
                if row is None
                else _Known(
                    row["type"],
                    row["content_sha256"],
                    row["local_day"],
                    await awards_of(connection, member.pk, origin_key(row["id"])),
                    row["state"] == DELETED,
                )
            )
        return self.known[key]

    async def _one(self, connection: AsyncConnection, one: Planned) -> Simulated:
        item = one.item
        assert item is not None
        member = await self._member(connection, item.member_id)
        usage = await self._usage(connection, member)
        known = await self._known(connection, member, item.client_id, item.data.id)
        key = (item.client_id, member.pk, item.data.id)
        if item.operation == Op.ACTIVITY_OPERATION_DELETE:
            if known is None:
                raise ActivityProblem(
                    Reason.ACTIVITY_ERROR_REASON_NOT_FOUND, "no activity with this id was created"
                )
            if known.deleted:
                return Simulated(Outcome.ACTIVITY_OUTCOME_REPLAYED)
            _forget(usage, known)
            delta = -sum(known.awards.values())
            self.known[key] = _Known(known.type_name, known.content_sha256, known.local_day, {}, True)
            return Simulated(Outcome.ACTIVITY_OUTCOME_APPLIED, delta)
        checked = check_content(self.program, member, item.data, self.now)
        if item.operation == Op.ACTIVITY_OPERATION_CREATE:
            if known is not None:
                if known.content_sha256 != checked.content_sha256:
                    raise ActivityProblem(
                        Reason.ACTIVITY_ERROR_REASON_ID_REUSED, "this id was posted before with other content"
                    )
                return Simulated(Outcome.ACTIVITY_OUTCOME_REPLAYED)
            before = 0
        else:
            if known is None:
                raise ActivityProblem(
                    Reason.ACTIVITY_ERROR_REASON_NOT_FOUND, "no activity with this id was created"
                )
            if known.deleted:
                raise ActivityProblem(
                    Reason.ACTIVITY_ERROR_REASON_ALREADY_DELETED, "this activity was deleted"
                )
            if known.type_name != checked.measurement.type_name:
                raise ActivityProblem(
                    Reason.ACTIVITY_ERROR_REASON_TYPE_CHANGED, f"this activity is {known.type_name}"
                )
            if known.content_sha256 == checked.content_sha256:
                return Simulated(Outcome.ACTIVITY_OUTCOME_REPLAYED)
            _forget(usage, known)
            before = sum(known.awards.values())
        results = evaluate(self.program, member, checked, usage)
        awards = {result.rule.id: result.points for result in results}
        self.known[key] = _Known(
            checked.measurement.type_name, checked.content_sha256, checked.when.local_day, awards, False
        )
        return Simulated(Outcome.ACTIVITY_OUTCOME_APPLIED, sum(awards.values()) - before, results)


def _forget(usage: engine_rules.Usage, known: _Known) -> None:
    for rule_id, points in known.awards.items():
        usage.add(rule_id, known.local_day, -points)
