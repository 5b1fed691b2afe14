"""Applying partner activities: a create, an update or a delete, each in its own write transaction,
or a run of one member's creates in one (`apply_creates`, what a batch mostly is).

An activity is applied whole or not at all: its row, its rule awards, its ledger postings, its raw
reading and its events commit together. Creates are idempotent by (partner client, member, id) for
ever: the same content again is a replay, other content is ID_REUSED. An update recomputes the
activity's points against everything else the member earned in its periods and posts only the
difference; a delete reverses what it still stands for. Deleting a deleted activity is a replay, so a
partner may resend a whole batch after a timeout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import activity_pb2, subscription_pb2
from loyalty_server.activity import rules as engine_rules
from loyalty_server.activity.awards import (
    awards_of,
    insert_award,
    load_usage,
    multiplier_of,
    post_rule_change,
    store_award,
)
from loyalty_server.activity.tables import activities, health_readings
from loyalty_server.activity.timing import When, check_window, when_of
from loyalty_server.activity.values import TYPE_BY_NAME, ActivityProblem, Measurement, check_value
from loyalty_server.errors import DomainError
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import Member, event_member, get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tiers import tier_state_writes
from loyalty_server.program.model import Program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.prepared import Prepared, Row
from loyalty_server.timestamps import set_timestamp

Op = activity_pb2.ActivityOperation
Outcome = activity_pb2.ActivityOutcome
Reason = activity_pb2.ActivityErrorReason
ACTIVE, DELETED = "active", "deleted"
OPERATION_NAMES = {
    Op.ACTIVITY_OPERATION_CREATE: "create",
    Op.ACTIVITY_OPERATION_UPDATE: "update",
    Op.ACTIVITY_OPERATION_DELETE: "delete",
}
# A run reads its usage once when its days' weeks and months span at most this (rules x days rows).
RUN_USAGE_DAYS_MAX = 93
INACTIVE_REASONS = frozenset({"MEMBER_DEACTIVATED", "MEMBER_ERASED"})  # lock_member refusals

# The create path's statements, prepared once (storage/prepared.py).
_MEMBERS_ACTIVITIES_OF_CLIENT = (  # the unique key (tenant, client, member, activity id) less the id
    activities.c.tenant_id == bindparam("tenant_id"),
    activities.c.client_id == bindparam("client_id"),
    activities.c.member_pk == bindparam("member_pk"),
)
_FIND_ACTIVITY = Prepared(
    select(activities).where(
        *_MEMBERS_ACTIVITIES_OF_CLIENT, activities.c.activity_id == bindparam("activity_id")
    )
)
# A run looks its ids up together, this many a statement (the last one padded with a repeat).
RUN_LOOKUP_IDS = 32
_FIND_POSTED = Prepared(
    select(activities.c.activity_id, activities.c.type, activities.c.content_sha256).where(
        *_MEMBERS_ACTIVITIES_OF_CLIENT,
        activities.c.activity_id.in_([bindparam(f"id{index}") for index in range(RUN_LOOKUP_IDS)]),
    )
)
_INSERT_ACTIVITY = Prepared(
    insert(activities).returning(activities.c.id),
    insert_columns=[column.name for column in activities.c if column.name != "id"],
)
_INSERT_READING = Prepared(
    insert(health_readings),
    insert_columns=("activity_pk", "tenant_id", "member_pk", "value", "purge_at"),
)


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One `data` item with what its entry says about it."""

    operation: int
    client_id: str
    member_id: str
    data: activity_pb2.ActivityData
    transaction_id: str = ""
    user_device_id: str = ""
    manufacturer_name: str = ""
    device_name: str = ""
    request_id: str = ""
    actor: str = "system"  # as the audit log names the caller


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: int
    type_name: str = ""
    points_delta: int = 0
    transaction_ids: list[str] = field(default_factory=list)
    failure: ActivityProblem | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """A create's or update's content, validated against the member's calendar and the clock."""

    measurement: Measurement
    when: When
    content_sha256: str


def origin_key(activity_pk: int) -> str:
    return f"activity:{activity_pk}"


def content_sha256(data: activity_pb2.ActivityData, type_name: str) -> str:
    """What makes two posts of one id the same activity: type, value, time and device flag (not the
    entry's transaction id or device names, which a resend may change)."""
    digest = hashlib.sha256()
    digest.update(type_name.encode())
    digest.update(b"\0" + data.value.SerializeToString(deterministic=True))
    which = data.WhichOneof("when")
    moment = (
        data.local_timestamp
        if which == "local_timestamp"
        else f"{data.occur_time.seconds}.{data.occur_time.nanos}"
    )
    digest.update(f"\0{which}\0{moment}\0{data.device_tracked}".encode())
    return digest.hexdigest()


def check_content(
    program: Program, member: Member, data: activity_pb2.ActivityData, now: dt.datetime
) -> Checked:
    measurement = check_value(data.type, data.value, steps_per_mile=program.activity.steps_per_mile)
    when = when_of(data, member.zone)
    check_window(
        when.occurred_at,
        now,
        backdate_days=program.activity.backdate_days_max,
        future_days=program.activity.future_days_max,
    )
    return Checked(measurement, when, content_sha256(data, measurement.type_name))


def rule_currencies(program: Program) -> set[str]:
    """Every currency a rule earns into: limits may be shared across rules, so a write that counts
    them locks all of the member's rule accounts."""
    return {rule.currency for rule in program.rules} or set(program.currencies)


def evaluate(
    program: Program, member: Member, checked: Checked, usage: engine_rules.Usage
) -> list[engine_rules.RuleResult]:
    multiplier = multiplier_of(program, member)
    return [
        engine_rules.evaluate_rule(
            program,
            rule,
            engine_rules.units_of(rule, miles=checked.measurement.miles),
            multiplier=multiplier,
            day=checked.when.local_day,
            usage=usage,
        )
        for rule in engine_rules.activity_rules(program, checked.measurement.type_name)
    ]


class ActivityIntake:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def apply(self, tenant_id: int, item: ActivityItem) -> Applied:
        """Apply one activity; a refused one comes back as FAILED with its reason, nothing written."""
        program = self.ledger.program_for(tenant_id)
        try:
            async with write_transaction(self.ledger.engine) as connection:
                member = await self._lock(connection, program, tenant_id, item.member_id)
                if item.operation == Op.ACTIVITY_OPERATION_CREATE:
                    return await self._create(connection, program, member, item)
                if item.operation == Op.ACTIVITY_OPERATION_UPDATE:
                    return await self._update(connection, program, member, item)
                assert item.operation == Op.ACTIVITY_OPERATION_DELETE, item.operation
                return await self._delete(connection, program, member, item)
        except ActivityProblem as problem:
            return Applied(Outcome.ACTIVITY_OUTCOME_FAILED, failure=problem)

    async def apply_creates(self, tenant_id: int, items: Sequence[ActivityItem]) -> list[Applied]:
        """Apply a run of creates for one member in one write transaction, each applied whole or
        refused (FAILED with its reason) as `apply` would, in order. The member is locked once; its
        usage is read once and kept current in memory (`evaluate` counts every award into it). A
        create is refused before its first write or not at all: its events cannot sit in a savepoint
        of their own, so a refusal after a write would roll back the whole run."""
        assert items, "an empty run"
        member_id = items[0].member_id
        assert all(item.operation == Op.ACTIVITY_OPERATION_CREATE for item in items)
        assert all(item.member_id == member_id for item in items), "one member's run"
        program = self.ledger.program_for(tenant_id)
        try:
            async with write_transaction(self.ledger.engine) as connection:
                member = await self._lock(connection, program, tenant_id, member_id)
                return await self._run(connection, program, member, items)
        except ActivityProblem as problem:
            # Only the lock refuses a whole run (and rolls back what it did, as `apply` does): each
            # create's own refusal is its result (_create_in_run).
            if problem.reason != Reason.ACTIVITY_ERROR_REASON_MEMBER_INACTIVE:
                raise
            return [Applied(Outcome.ACTIVITY_OUTCOME_FAILED, failure=problem) for _ in items]

    async def _run(
        self, connection: AsyncConnection, program: Program, member: Member, items: Sequence[ActivityItem]
    ) -> list[Applied]:
        now = self.ledger.clock.now()
        checks = [_checked_or_problem(program, member, item.data, now) for item in items]
        usage = await _run_usage(connection, member, checks)
        posted = await _posted_before(connection, member, items)
        applied: list[Applied] = []
        for item, checked in zip(items, checks, strict=True):
            if applied:  # what came due since the lock settles now, as a lock of its own would
                await self._settle_rule_accounts(connection, program, member)
            tier_writes = tier_state_writes(connection)
            applied.append(
                await self._create_in_run(connection, program, member, item, checked, usage, posted)
            )
            if tier_state_writes(connection) != tier_writes:  # its points moved the tier
                member = await get_member(connection, member.tenant_id, member.member_id)
        return applied

    async def _create_in_run(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        item: ActivityItem,
        checked: Checked | ActivityProblem,
        usage: engine_rules.Usage | None,  # None: read for this create alone (see _run_usage)
        posted: dict[tuple[str, str], Posted],  # the run's ids posted before it or in it
    ) -> Applied:
        if isinstance(checked, ActivityProblem):
            return Applied(Outcome.ACTIVITY_OUTCOME_FAILED, failure=checked)
        key = (item.client_id, item.data.id)
        try:
            replayed = _replay(posted.get(key), checked)
        except ActivityProblem as problem:
            return Applied(Outcome.ACTIVITY_OUTCOME_FAILED, failure=problem)
        if replayed is not None:
            return replayed
        if usage is None:
            results = await self._results(connection, program, member, checked, exclude_origin=None)
        else:
            results = _by_rule(evaluate(program, member, checked, usage))
        applied = await self._write_new(connection, program, member, item, checked, results)
        posted[key] = Posted(checked.measurement.type_name, checked.content_sha256)
        return applied

    async def _settle_rule_accounts(
        self, connection: AsyncConnection, program: Program, member: Member
    ) -> None:
        """Settle the locked accounts with their events (points.expired, hold.expired): a lot's
        expiry or a hold's end may come while a run goes on. No statement when nothing is due."""
        for currency in sorted(rule_currencies(program)):
            await self.ledger.settle(connection, member, currency)

    async def _lock(
        self, connection: AsyncConnection, program: Program, tenant_id: int, member_id: str
    ) -> Member:
        try:
            return await self.ledger.lock_member(connection, tenant_id, member_id, rule_currencies(program))
        except DomainError as error:
            if error.reason in INACTIVE_REASONS:
                raise ActivityProblem(Reason.ACTIVITY_ERROR_REASON_MEMBER_INACTIVE, error.message) from None
            raise

    async def _create(
        self, connection: AsyncConnection, program: Program, member: Member, item: ActivityItem
    ) -> Applied:
        checked = check_content(program, member, item.data, self.ledger.clock.now())
        replayed = await _replay_of(connection, member, item, checked)
        if replayed is not None:
            return replayed
        # Scored before the row is written, so that it is written with its points. A new activity
        # has no awards yet (its key, from its row id, is new), so its usage is all the member's.
        results = await self._results(connection, program, member, checked, exclude_origin=None)
        return await self._write_new(connection, program, member, item, checked, results)

    async def _write_new(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        item: ActivityItem,
        checked: Checked,
        results: dict[str, engine_rules.RuleResult],
    ) -> Applied:
        """Write a scored new activity: its row, its awards and postings, its reading and its event.
        Refuses nothing: in a run (`apply_creates`) a refusal must come before the first write."""
        now = self.ledger.clock.now()
        (inserted,) = await _INSERT_ACTIVITY.rows(
            connection,
            **{
                "tenant_id": member.tenant_id,
                "member_pk": member.pk,
                "client_id": item.client_id,
                "activity_id": item.data.id,
                "type": checked.measurement.type_name,
                "state": ACTIVE,
                "device_tracked": item.data.device_tracked,
                "occurred_at": checked.when.occurred_at,
                "local_day": checked.when.local_day,
                "transaction_id": item.transaction_id,
                "user_device_id": item.user_device_id,
                "manufacturer_name": item.manufacturer_name,
                "device_name": item.device_name,
                "content_sha256": checked.content_sha256,
                "points": _total(results),
                "created_at": now,
                "updated_at": now,
            },
        )
        activity_pk = inserted["id"]
        key = origin_key(activity_pk)
        applied = await self._post(connection, program, member, item, key, checked, results, None)
        await self._store_reading(connection, program, member, activity_pk, item.data, now)
        await self._accepted_event(
            connection, member, item, checked.measurement.type_name, checked.when, applied
        )
        return applied

    async def _update(
        self, connection: AsyncConnection, program: Program, member: Member, item: ActivityItem
    ) -> Applied:
        now = self.ledger.clock.now()
        row = await _existing(connection, member, item)
        if row["state"] == DELETED:
            raise ActivityProblem(Reason.ACTIVITY_ERROR_REASON_ALREADY_DELETED, "this activity was deleted")
        checked = check_content(program, member, item.data, now)
        if checked.measurement.type_name != row["type"]:
            raise ActivityProblem(
                Reason.ACTIVITY_ERROR_REASON_TYPE_CHANGED, f"this activity is {row['type']}"
            )
        if checked.content_sha256 == row["content_sha256"]:
            return Applied(Outcome.ACTIVITY_OUTCOME_REPLAYED, row["type"])
        applied = await self._rescore(connection, program, member, item, row["id"], checked)
        await connection.execute(
            update(activities)
            .where(activities.c.id == row["id"])
            .values(
                device_tracked=item.data.device_tracked,
                occurred_at=checked.when.occurred_at,
                local_day=checked.when.local_day,
                content_sha256=checked.content_sha256,
                updated_at=now,
            )
        )
        await connection.execute(delete(health_readings).where(health_readings.c.activity_pk == row["id"]))
        await self._store_reading(connection, program, member, row["id"], item.data, now)
        await self._accepted_event(connection, member, item, row["type"], checked.when, applied)
        return applied

    async def _delete(
        self, connection: AsyncConnection, program: Program, member: Member, item: ActivityItem
    ) -> Applied:
        row = await _existing(connection, member, item)
        if row["state"] == DELETED:
            return Applied(Outcome.ACTIVITY_OUTCOME_REPLAYED, row["type"])
        entry = self._entry(item)
        delta, ids = 0, []
        for rule_id, points in (await awards_of(connection, member.pk, origin_key(row["id"]))).items():
            if points:
                posted = await post_rule_change(
                    self.ledger, connection, program, member, rule_id, -points, entry
                )
                delta += posted.points_delta
                ids += posted.transaction_ids
            await store_award(connection, member, origin_key(row["id"]), rule_id, row["local_day"], 0)
        now = self.ledger.clock.now()
        await connection.execute(
            update(activities)
            .where(activities.c.id == row["id"])
            .values(state=DELETED, points=0, updated_at=now)
        )
        await connection.execute(delete(health_readings).where(health_readings.c.activity_pk == row["id"]))
        applied = Applied(Outcome.ACTIVITY_OUTCOME_APPLIED, row["type"], delta, ids)
        when = When(row["occurred_at"], row["local_day"])
        await self._accepted_event(connection, member, item, row["type"], when, applied)
        return applied

    async def _rescore(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        item: ActivityItem,
        activity_pk: int,
        checked: Checked,
    ) -> Applied:
        """Evaluate the rules against the member's other awards and post each rule's difference."""
        key = origin_key(activity_pk)
        results = await self._results(connection, program, member, checked, exclude_origin=key)
        before = await awards_of(connection, member.pk, key)
        applied = await self._post(connection, program, member, item, key, checked, results, before)
        await connection.execute(
            update(activities).where(activities.c.id == activity_pk).values(points=_total(results))
        )
        return applied

    async def _results(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        checked: Checked,
        *,
        exclude_origin: str | None,
    ) -> dict[str, engine_rules.RuleResult]:
        """Each rule's result against the member's awards but those of `exclude_origin`, by rule id."""
        window = engine_rules.usage_window([checked.when.local_day])
        usage = await load_usage(connection, member.pk, window, exclude_origin=exclude_origin)
        return _by_rule(evaluate(program, member, checked, usage))

    async def _post(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        item: ActivityItem,
        key: str,
        checked: Checked,
        results: dict[str, engine_rules.RuleResult],
        before: dict[str, int] | None,  # what each rule awarded the origin; None: a new origin
    ) -> Applied:
        """Post each rule's difference to what it awarded before, and store what it awards now."""
        entry = self._entry(item)
        delta, ids = 0, []
        for rule_id in sorted(set(results) | set(before or {})):
            now_points = results[rule_id].points if rule_id in results else 0
            change = now_points - (before or {}).get(rule_id, 0)
            if change:
                posted = await post_rule_change(
                    self.ledger, connection, program, member, rule_id, change, entry
                )
                delta += posted.points_delta
                ids += posted.transaction_ids
            store = insert_award if before is None else store_award
            await store(connection, member, key, rule_id, checked.when.local_day, now_points)
        return Applied(Outcome.ACTIVITY_OUTCOME_APPLIED, checked.measurement.type_name, delta, ids)

    def _entry(self, item: ActivityItem) -> Entry:
        return Entry(
            origin_type="activity",
            origin_id=item.data.id,
            origin_client_id=item.client_id,
            reason_code="",  # the rule's id, set per posting (awards.post_rule_change)
            request_id=item.request_id,
            actor=item.actor,
        )

    async def _store_reading(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        activity_pk: int,
        data: activity_pb2.ActivityData,
        now: dt.datetime,
    ) -> None:
        days = program.activity.health_data_retention_days
        if days <= 0:
            return
        await _INSERT_READING.run(
            connection,
            **{
                "activity_pk": activity_pk,
                "tenant_id": member.tenant_id,
                "member_pk": member.pk,
                "value": data.value.SerializeToString(),
                "purge_at": now + dt.timedelta(days=days),
            },
        )

    async def _accepted_event(
        self,
        connection: AsyncConnection,
        member: Member,
        item: ActivityItem,
        type_name: str,
        when: When,
        applied: Applied,
    ) -> None:
        """activity.accepted: ids, type, time and points only; the value never leaves the engine."""
        event = subscription_pb2.Event(
            type=subscription_pb2.EVENT_TYPE_ACTIVITY_ACCEPTED,
            member=event_member(member),
            request_id=item.request_id,
        )
        payload = event.activity_accepted
        payload.activity_id = item.data.id
        payload.client_id = item.client_id
        payload.activity_type = TYPE_BY_NAME[type_name]
        payload.operation = OPERATION_NAMES[item.operation]
        set_timestamp(payload.occur_time, when.occurred_at)
        payload.points_delta = applied.points_delta
        await append_event(connection, self.ledger.clock, tenant_id=member.tenant_id, event=event)


@dataclass(frozen=True, slots=True)
class Posted:
    """What a replay check needs of an activity posted before."""

    type_name: str
    content_sha256: str


async def _replay_of(
    connection: AsyncConnection, member: Member, item: ActivityItem, checked: Checked
) -> Applied | None:
    """A create alone: whether its id was posted before, read now (see `_replay`)."""
    row = await find_activity(connection, member, item.client_id, item.data.id)
    return _replay(None if row is None else Posted(row["type"], row["content_sha256"]), checked)


def _replay(posted: Posted | None, checked: Checked) -> Applied | None:
    """A create of an id posted before: a replay when the content is the same, else ID_REUSED."""
    if posted is None:
        return None
    if posted.content_sha256 != checked.content_sha256 or posted.type_name != checked.measurement.type_name:
        raise ActivityProblem(
            Reason.ACTIVITY_ERROR_REASON_ID_REUSED, "this id was posted before with other content"
        )
    return Applied(Outcome.ACTIVITY_OUTCOME_REPLAYED, posted.type_name)


async def _posted_before(
    connection: AsyncConnection, member: Member, items: Sequence[ActivityItem]
) -> dict[tuple[str, str], Posted]:
    """Which of a run's ids the member's partner posted before, by (client id, activity id): read
    together, RUN_LOOKUP_IDS a statement, under the member's lock (so none can appear meanwhile)."""
    ids_by_client: dict[str, dict[str, None]] = {}  # dicts: each id once, in order
    for item in items:
        ids_by_client.setdefault(item.client_id, {})[item.data.id] = None
    posted: dict[tuple[str, str], Posted] = {}
    for client_id, ids in ids_by_client.items():
        wanted = list(ids)
        for start in range(0, len(wanted), RUN_LOOKUP_IDS):
            chunk = wanted[start : start + RUN_LOOKUP_IDS]
            chunk += [chunk[0]] * (RUN_LOOKUP_IDS - len(chunk))
            found = await _FIND_POSTED.rows(
                connection,
                tenant_id=member.tenant_id,
                client_id=client_id,
                member_pk=member.pk,
                **{f"id{index}": activity_id for index, activity_id in enumerate(chunk)},
            )
            for row in found:
                posted[client_id, row["activity_id"]] = Posted(row["type"], row["content_sha256"])
    return posted


async def _run_usage(
    connection: AsyncConnection, member: Member, checks: Sequence[Checked | ActivityProblem]
) -> engine_rules.Usage | None:
    """The member's awards that any limit of the run's days can count, read once; None when those
    days are spread so wide (a program with a long backdate window) that each create reads its own."""
    days = [one.when.local_day for one in checks if isinstance(one, Checked)]
    if not days:
        return None
    window = engine_rules.usage_window(days)
    if (window[1] - window[0]).days > RUN_USAGE_DAYS_MAX:
        return None
    return await load_usage(connection, member.pk, window, exclude_origin=None)


def _by_rule(results: list[engine_rules.RuleResult]) -> dict[str, engine_rules.RuleResult]:
    return {result.rule.id: result for result in results}


def _checked_or_problem(
    program: Program, member: Member, data: activity_pb2.ActivityData, now: dt.datetime
) -> Checked | ActivityProblem:
    try:
        return check_content(program, member, data, now)
    except ActivityProblem as problem:
        return problem


async def find_activity(
    connection: AsyncConnection, member: Member, client_id: str, activity_id: str
) -> Row | None:
    values = {
        "tenant_id": member.tenant_id,
        "client_id": client_id,
        "member_pk": member.pk,
        "activity_id": activity_id,
    }
    return await _FIND_ACTIVITY.first(connection, **values)


def _total(results: dict[str, engine_rules.RuleResult]) -> int:
    return sum(result.points for result in results.values())


async def _existing(connection: AsyncConnection, member: Member, item: ActivityItem) -> Row:
    row = await find_activity(connection, member, item.client_id, item.data.id)
    if row is None:
        raise ActivityProblem(Reason.ACTIVITY_ERROR_REASON_NOT_FOUND, "no activity with this id was created")
    return row
