"""ActivityService handlers: partner activities, their history and raw readings, points totals.

Who an entry posts for comes from credentials only: the entry's own member access token, the call's
member token (partners), or the entry's member_id (internal and admin callers).
"""

from __future__ import annotations

import grpc

from loyalty.v1 import activity_pb2
from loyalty_server import requests
from loyalty_server.activity import batch_replay
from loyalty_server.activity.batch import (
    EntryTarget,
    Planned,
    check_batch_size,
    create_runs,
    entries_of,
    plan_batch,
)
from loyalty_server.activity.history import (
    ActivityFilter,
    healthy_choice_points,
    list_activities,
    list_readings,
)
from loyalty_server.activity.intake import Applied
from loyalty_server.activity.rpc.base import ActivityRpcBase
from loyalty_server.activity.rpc.convert import (
    activity_to_proto,
    failed_activity,
    reading_to_proto,
    rule_result_to_proto,
    type_names,
)
from loyalty_server.activity.simulate import Simulation
from loyalty_server.activity.values import TYPE_BY_NAME
from loyalty_server.auth.authorization import TRANSACTION_ID_LENGTH_MAX
from loyalty_server.auth.grants import grant_is_active
from loyalty_server.auth.tokens import invalid_token
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.ledger.known_members import KnownMembers
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rpc.convert import datetime_of, moment_of
from loyalty_server.principal import Role
from loyalty_server.runtime.context import AppContext
from loyalty_server.storage.group_commit import grouped_writes
from loyalty_server.storage.sqlite_loop import read_connection

_Context = grpc.aio.ServicerContext
Outcome = activity_pb2.ActivityOutcome
ACTIVITIES_PER_COMMIT_MAX = 100  # SQLite: activities of one call that share a commit
ACTIVITY_SCOPE = "steps"  # the partner API's scope for posting activities
# Each requested type is a bound parameter of the query, and databases cap those (PostgreSQL at
# 32767): a list this long already names every type many times over.
ACTIVITY_TYPE_FILTER_MAX = 64
CLIENT_ID_LENGTH_MAX = 64  # partner client ids are "pc_" and 24 hex digits


def _denied(reason: str, message: str) -> DomainError:
    return DomainError(ErrorKind.PERMISSION_DENIED, reason, message)


def _filters(
    request: activity_pb2.ListActivitiesRequest | activity_pb2.ListHealthReadingsRequest, client_id: str
) -> ActivityFilter:
    if len(request.types) > ACTIVITY_TYPE_FILTER_MAX:
        raise invalid_argument(
            "ACTIVITY_TYPES_TOO_MANY",
            f"at most {ACTIVITY_TYPE_FILTER_MAX} activity types",
            FieldViolation("types", f"at most {ACTIVITY_TYPE_FILTER_MAX}"),
        )
    requests.check_text(client_id, "client_id", CLIENT_ID_LENGTH_MAX)
    return ActivityFilter(
        type_names=type_names(list(request.types)),
        start=datetime_of(request.start_time, "start_time") if request.HasField("start_time") else None,
        end=datetime_of(request.end_time, "end_time") if request.HasField("end_time") else None,
        client_id=client_id,
        include_deleted=getattr(request, "include_deleted", False),
    )


class ActivityRpcs(ActivityRpcBase):
    def __init__(self, app: AppContext, ledger: Ledger) -> None:
        super().__init__(app, ledger)
        self.known_members = KnownMembers(ledger.engine)

    # ----- whose activities --------------------------------------------------------------------

    async def _token_target(self, access_token: str) -> EntryTarget:
        """An entry's own member access token: valid, not revoked, this tenant, a member grant."""
        principal = self.principal()
        claims = self.token_issuer.verify(access_token, now=self.clock.now())
        if claims.role is not Role.PARTNER or not claims.member_id or not claims.grant_id:
            raise invalid_token("an entry's access_token must be a member's token")
        if claims.tenant_id != principal.tenant_id:
            raise invalid_token("the token belongs to another program")
        async with read_connection(self.engine) as connection:
            if not await grant_is_active(connection, claims.grant_id):
                raise invalid_token("revoked")
        if principal.role is Role.PARTNER and claims.client_id != principal.client_id:
            raise _denied("CLIENT_MISMATCH", "an entry's access_token was issued to another client")
        if ACTIVITY_SCOPE not in claims.scopes:
            raise _denied("SCOPE_REQUIRED", f"the member's grant lacks scope {ACTIVITY_SCOPE}")
        return EntryTarget(claims.member_id, claims.client_id)

    async def _target(self, entry: activity_pb2.ActivityEntry, default_member_id: str = "") -> EntryTarget:
        principal = self.principal()
        if entry.access_token:
            target = await self._token_target(entry.access_token)
        elif principal.role is Role.PARTNER:
            if not principal.member_id:
                raise invalid_argument(
                    "MISSING_FIELD",
                    "a partner's own token posts for no member: give each entry a member's access_token",
                    FieldViolation("creates.access_token", "required"),
                )
            if entry.member_id and entry.member_id != principal.member_id:
                raise _denied("MEMBER_NOT_GRANTED", "partner tokens post only for their own member")
            if ACTIVITY_SCOPE not in principal.scopes:
                raise _denied("SCOPE_REQUIRED", f"this token lacks scope {ACTIVITY_SCOPE}")
            target = EntryTarget(principal.member_id, principal.client_id)
        else:
            member_id = entry.member_id or default_member_id
            if not member_id:
                raise invalid_argument(
                    "MISSING_FIELD", "member_id is required", FieldViolation("creates.member_id", "required")
                )
            target = EntryTarget(member_id, principal.client_id or principal.subject)
        if entry.affiliate_id and entry.affiliate_id != target.client_id:
            raise _denied("CLIENT_MISMATCH", "affiliate_id is not the client the token was issued to")
        return target

    async def _plan(
        self,
        request: activity_pb2.PostActivitiesRequest | activity_pb2.SimulateActivitiesRequest,
        *,
        request_id: str,
        default_member_id: str = "",
    ) -> list[Planned]:
        entries = entries_of(request)
        check_batch_size(entries)
        # Entries of one batch mostly repeat one token: verify each distinct one once (a grant read).
        known: dict[tuple[str, str, str], EntryTarget] = {}
        targets = []
        for _, entry in entries:
            key = (entry.access_token, entry.member_id, entry.affiliate_id)
            if key not in known:
                known[key] = await self._target(entry, default_member_id)
            targets.append(known[key])
        # Unknown members fail the call up front, before any write.
        await self.known_members.require(self.tenant_id(), (target.member_id for target in targets))
        return plan_batch(entries, targets, request_id=request_id, actor=self.actor())

    # ----- PostActivities / SimulateActivities -------------------------------------------------

    async def PostActivities(
        self, request: activity_pb2.PostActivitiesRequest, context: _Context
    ) -> activity_pb2.PostActivitiesResponse:
        tenant_id = self.tenant_id()
        if request.request_id:
            requests.check_request_id(request.request_id)
            replay = await batch_replay.stored_response(self.engine, tenant_id, request)
            if replay is not None:
                return replay
        planned = await self._plan(request, request_id=request.request_id)
        entries = entries_of(request)
        response = activity_pb2.PostActivitiesResponse(transaction_id=entries[0][1].transaction_id)
        # Each activity is applied whole or refused; one member's consecutive creates share a write
        # transaction (intake.apply_creates). On SQLite the writes of a chunk share one commit, and
        # chunks are short so that other writers are not kept waiting long.
        for start in range(0, len(planned), ACTIVITIES_PER_COMMIT_MAX):
            async with grouped_writes(self.engine):
                for run in create_runs(planned[start : start + ACTIVITIES_PER_COMMIT_MAX]):
                    for one, applied in zip(run, await self._apply(tenant_id, run), strict=True):
                        _add_result(response, one, applied)
        if request.request_id:
            await batch_replay.store_response(self.engine, self.clock, tenant_id, request, response)
        return response

    async def _apply(self, tenant_id: int, run: list[Planned]) -> list[Applied]:
        if len(run) > 1:  # one member's creates: locked and scored together (intake.apply_creates)
            items = []
            for one in run:
                assert one.item is not None, "a run holds only creates that were not refused up front"
                items.append(one.item)
            return await self.intake.apply_creates(tenant_id, items)
        (one,) = run
        if one.item is None:
            return [Applied(Outcome.ACTIVITY_OUTCOME_FAILED, failure=one.problem)]
        return [await self.intake.apply(tenant_id, one.item)]

    async def SimulateActivities(
        self, request: activity_pb2.SimulateActivitiesRequest, context: _Context
    ) -> activity_pb2.SimulateActivitiesResponse:
        if request.member_id:
            self.check_member_access(request.member_id)
        now = (
            moment_of(request.evaluation_time, "evaluation_time")
            if request.HasField("evaluation_time")
            else self.clock.now()
        )
        planned = await self._plan(request, request_id="", default_member_id=request.member_id)
        simulation = Simulation(self.ledger, self.tenant_id(), now)
        response = activity_pb2.SimulateActivitiesResponse()
        for one, simulated in zip(planned, await simulation.run(planned), strict=True):
            member = simulation.members.get(one.member_id)
            proto = response.activities.add(
                id=one.activity_id,
                operation=one.operation,
                outcome=simulated.outcome,
                points_delta=simulated.points_delta,
                evaluations=[rule_result_to_proto(result, member) for result in simulated.results],
            )
            if simulated.problem is not None:
                proto.failure.CopyFrom(
                    failed_activity(simulated.problem, one.activity_id, one.operation, one.transaction_id)
                )
            response.points_delta += simulated.points_delta
        return response

    # ----- history, readings, totals -----------------------------------------------------------

    def _client_filter(self, requested: str) -> str:
        principal = self.principal()
        return principal.client_id if principal.role is Role.PARTNER else requested

    async def ListActivities(
        self, request: activity_pb2.ListActivitiesRequest, context: _Context
    ) -> activity_pb2.ListActivitiesResponse:
        member = await self.member_by_id(request.member_id)
        filters = _filters(request, self._client_filter(request.client_id))
        views, token = await list_activities(
            self.engine,
            member,
            filters,
            limit=requests.page_size(request.page_size),
            page_token=request.page_token,
        )
        return activity_pb2.ListActivitiesResponse(
            activities=[activity_to_proto(view, member.member_id) for view in views], next_page_token=token
        )

    async def ListHealthReadings(
        self, request: activity_pb2.ListHealthReadingsRequest, context: _Context
    ) -> activity_pb2.ListHealthReadingsResponse:
        member = await self.member_by_id(request.member_id)
        filters = _filters(request, self._client_filter(""))
        views, token = await list_readings(
            self.engine,
            self.clock,
            member,
            filters,
            limit=requests.page_size(request.page_size),
            page_token=request.page_token,
            who=self.audit_actor(context, ""),
        )
        return activity_pb2.ListHealthReadingsResponse(
            readings=[reading_to_proto(view) for view in views], next_page_token=token
        )

    async def GetPointsTotals(
        self, request: activity_pb2.GetPointsTotalsRequest, context: _Context
    ) -> activity_pb2.GetPointsTotalsResponse:
        principal = self.principal()
        if len(request.transaction_id) > TRANSACTION_ID_LENGTH_MAX:
            raise invalid_argument(
                "INVALID_REQUEST",
                f"transaction_id: at most {TRANSACTION_ID_LENGTH_MAX} characters",
                FieldViolation("transaction_id", "too long"),
            )
        if request.affiliate_id and request.affiliate_id != principal.client_id:
            raise _denied("CLIENT_MISMATCH", "affiliate_id is not the client the token was issued to")
        member_id = request.member_id or (principal.member_id or "")
        member = await self.member_by_id(member_id)
        balance = await self.ledger.balance(self.tenant_id(), member.member_id)
        async with read_connection(self.engine) as connection:
            healthy = await healthy_choice_points(connection, self.program(), member)
        return activity_pb2.GetPointsTotalsResponse(
            total_rewards_points=balance.total_available,
            healthy_choice_points=healthy,
            transaction_id=request.transaction_id,
            member_id=member.member_id,
        )


def _add_result(response: activity_pb2.PostActivitiesResponse, one: Planned, applied: Applied) -> None:
    result = response.results.add(
        id=one.activity_id,
        operation=one.operation,
        outcome=applied.outcome,
        transaction_id=one.transaction_id,
        member_id=one.member_id,
        points_delta=applied.points_delta,
        ledger_transaction_ids=applied.transaction_ids,
    )
    if applied.type_name:
        result.type = TYPE_BY_NAME[applied.type_name]
    if applied.failure is not None:
        failure = failed_activity(applied.failure, one.activity_id, one.operation, one.transaction_id)
        result.failure.CopyFrom(failure)
        response.failed_activities.append(failure)
        response.failed_count += 1
    else:
        response.applied_count += 1
    response.points_delta += applied.points_delta
