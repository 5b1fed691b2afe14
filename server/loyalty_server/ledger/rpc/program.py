"""LedgerService handlers: read the tenant's program; install or re-read it (admins)."""

from __future__ import annotations

import grpc
from sqlalchemy import update

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.auth import audit
from loyalty_server.errors import ConfigError, FieldViolation, invalid_argument
from loyalty_server.ledger import idempotency, tier_rules
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.tiers import tier_to_proto
from loyalty_server.program.loader import load_program_document, parse_program
from loyalty_server.program.model import DebtPolicy, Expiry, Measure, Period, Program
from loyalty_server.program.registry import PROGRAM_DOCUMENT_BYTES_MAX, LoadedProgram, revision_of
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import DEFAULT_TENANT_CODE, tenants

_Context = grpc.aio.ServicerContext
_EXPIRY = {
    Expiry.NEVER: ledger_pb2.EXPIRY_POLICY_NEVER,
    Expiry.AFTER_DAYS: ledger_pb2.EXPIRY_POLICY_AFTER_DAYS,
    Expiry.END_OF_MONTH: ledger_pb2.EXPIRY_POLICY_END_OF_MONTH,
    Expiry.END_OF_YEAR: ledger_pb2.EXPIRY_POLICY_END_OF_YEAR,
}
_DEBT = {
    DebtPolicy.RECORD_DEBT: ledger_pb2.DEBT_POLICY_RECORD_DEBT,
    DebtPolicy.ALLOW_NEGATIVE: ledger_pb2.DEBT_POLICY_ALLOW_NEGATIVE,
}
_PERIOD = {
    Period.DAY: ledger_pb2.LIMIT_PERIOD_DAY,
    Period.WEEK: ledger_pb2.LIMIT_PERIOD_WEEK,
    Period.MONTH: ledger_pb2.LIMIT_PERIOD_MONTH,
}
_MEASURE = {
    Measure.OCCURRENCE: ledger_pb2.RULE_MEASURE_OCCURRENCE,
    Measure.MILES: ledger_pb2.RULE_MEASURE_MILES,
    Measure.AMOUNT: ledger_pb2.RULE_MEASURE_AMOUNT,
}


class ProgramRpcs(LedgerRpcBase):
    async def GetProgram(
        self, request: ledger_pb2.GetProgramRequest, context: _Context
    ) -> ledger_pb2.GetProgramResponse:
        loaded = self.app.programs.loaded(self.tenant_id())
        return ledger_pb2.GetProgramResponse(program=program_to_proto(loaded, self.principal().tenant_code))

    async def ReloadProgram(
        self, request: ledger_pb2.ReloadProgramRequest, context: _Context
    ) -> ledger_pb2.ReloadProgramResponse:
        requests.check_request_id(request.request_id)
        tenant_id, tenant_code = self.tenant_id(), self.principal().tenant_code
        previous = self.app.programs.loaded(tenant_id)
        document = request.program_toml or self._current_document(tenant_code, previous)
        program = _validated(document, tenant_code)
        candidate = LoadedProgram(tenant_id, tenant_code, program, revision_of(document), document)
        if request.validate_only:
            return ledger_pb2.ReloadProgramResponse(
                program=program_to_proto(candidate, tenant_code),
                previous_revision=previous.revision,
                changed=candidate.revision != previous.revision,
            )
        await self._store(context, request, candidate, previous)
        self.app.programs.install(candidate)
        return ledger_pb2.ReloadProgramResponse(
            program=program_to_proto(candidate, tenant_code),
            previous_revision=previous.revision,
            changed=candidate.revision != previous.revision,
        )

    def _current_document(self, tenant_code: str, previous: LoadedProgram) -> str:
        """No document given: the default tenant re-reads its program file; others keep their stored one."""
        if tenant_code == DEFAULT_TENANT_CODE and previous.revision == self.app.programs.configured.revision:
            try:
                return load_program_document(self.app.settings.resolved_program)[1]
            except ConfigError as error:
                raise invalid_argument(
                    "PROGRAM_INVALID", str(error), FieldViolation("program_toml", str(error))
                ) from None
        return previous.document

    async def _store(
        self,
        context: _Context,
        request: ledger_pb2.ReloadProgramRequest,
        candidate: LoadedProgram,
        previous: LoadedProgram,
    ) -> None:
        """Store the document for every replica (they pick it up on their next refresh); audited."""
        content = {"revision": candidate.revision}
        async with write_transaction(self.engine) as connection:
            replay = await idempotency.claim(
                connection,
                self.clock,
                tenant_id=candidate.tenant_id,
                scope="ledger.program.reload",
                key=request.request_id,
                content=content,
            )
            if replay is not None:
                return
            # The configured file of the default tenant stays a setting: store NULL when it is that file.
            stored = (
                None if candidate.revision == self.app.programs.configured.revision else candidate.document
            )
            await connection.execute(
                update(tenants)
                .where(tenants.c.id == candidate.tenant_id)
                .values(program_toml=stored, updated_at=self.clock.now())
            )
            await audit.record(
                connection,
                self.clock,
                self.audit_actor(context, request.request_id),
                action="program.reload",
                target_type="tenant",
                target_id=candidate.tenant_code,
                details={"previous_revision": previous.revision, "revision": candidate.revision},
            )
            await idempotency.record(
                connection,
                tenant_id=candidate.tenant_id,
                scope="ledger.program.reload",
                key=request.request_id,
                result=content,
            )


def _validated(document: str, tenant_code: str) -> Program:
    if len(document.encode()) > PROGRAM_DOCUMENT_BYTES_MAX:
        raise invalid_argument(
            "PROGRAM_INVALID",
            "the program document is larger than 1 MiB",
            FieldViolation("program_toml", "too large"),
        )
    try:
        return parse_program(document, origin=f"tenant {tenant_code}")
    except ConfigError as error:
        # The loader's message names the bad key path, e.g. "rules[0].currency: unknown currency".
        raise invalid_argument(
            "PROGRAM_INVALID", str(error), FieldViolation("program_toml", str(error))
        ) from None


def program_to_proto(loaded: LoadedProgram, tenant_code: str) -> ledger_pb2.Program:
    program = loaded.program
    return ledger_pb2.Program(
        tenant_code=tenant_code,
        name=program.name,
        revision=loaded.revision,
        default_time_zone=program.default_time_zone,
        debt_policy=_DEBT[program.debt_policy],
        hold_ttl_seconds=program.hold_ttl_seconds,
        activity=ledger_pb2.ActivitySettings(
            steps_per_mile=program.activity.steps_per_mile,
            backdate_days_max=program.activity.backdate_days_max,
            future_days_max=program.activity.future_days_max,
            health_data_retention_days=program.activity.health_data_retention_days,
        ),
        currencies=[
            ledger_pb2.Currency(
                currency=currency.id,
                name=currency.name,
                expiry=_EXPIRY[currency.expiry],
                expiry_days=currency.expiry_days or 0,
                expiring_notice_days=currency.expiring_notice_days,
            )
            for currency in program.currencies.values()
        ],
        sources=[
            ledger_pb2.PointsSource(source_id=source.id, name=source.name)
            for source in program.sources.values()
        ],
        tier_settings=ledger_pb2.TierSettings(
            qualifying_window_days=program.tiers.qualifying_window_days,
            downgrade_grace_days=program.tiers.downgrade_grace_days,
            downgrade_warning_days=program.tiers.downgrade_warning_days,
            qualifying_currencies=program.tiers.qualifying_currencies,
        ),
        tiers=[tier_to_proto(tier) for tier in tier_rules.all_tiers(program.tiers)],
        limits=[
            ledger_pb2.EarningLimit(
                limit_id=limit.id, period=_PERIOD[limit.period], points_max=limit.points_max
            )
            for limit in program.limits.values()
        ],
        rules=[
            ledger_pb2.EarningRule(
                rule_id=rule.id,
                description=rule.description,
                activity_types=[_activity_type(name) for name in rule.activity_types],
                purchase_categories=rule.purchase_categories,
                events=rule.events,
                measure=_MEASURE[rule.measure],
                points_per_unit=rule.points_per_unit,
                amount_minor_per_unit=rule.amount_minor_per_unit or 0,
                awards_max_per_day=rule.awards_max_per_day or 0,
                awards_max_per_week=rule.awards_max_per_week or 0,
                awards_max_per_month=rule.awards_max_per_month or 0,
                shared_limit_ids=rule.shared_limits,
                pending_days=rule.pending_days,
                source_id=rule.source,
                currency=rule.currency,
            )
            for rule in program.rules
        ],
        reward_count=len(program.rewards),
    )


def _activity_type(name: str) -> int:
    return common_pb2.ActivityType.Value(f"ACTIVITY_TYPE_{name.upper()}")
