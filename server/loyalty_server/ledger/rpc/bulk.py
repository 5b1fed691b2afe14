"""LedgerService handlers: bulk award (one earn per entry, each with its own outcome)."""

from __future__ import annotations

import grpc
from google.rpc import status_pb2

from loyalty.v1 import ledger_pb2
from loyalty_server.ledger.bulk import AwardEntry, AwardOutcome, bulk_award, check_batch
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import datetime_of, transaction_to_proto
from loyalty_server.ledger.transactions import TransactionView, load_transactions
from loyalty_server.runtime.rpc_status import status_proto

_Context = grpc.aio.ServicerContext


def _entry(message: ledger_pb2.BulkAwardEntry, index: int) -> AwardEntry:
    ref = message.member.WhichOneof("ref")
    return AwardEntry(
        request_id=message.request_id,
        member_id=message.member.member_id if ref == "member_id" else "",
        loyalty_id=message.member.loyalty_id if ref == "loyalty_id" else "",
        currency=message.currency,
        points=message.points,
        source_id=message.source_id,
        reason_code=message.reason_code,
        reason=message.reason,
        expires_at=datetime_of(message.expire_time, f"entries[{index}].expire_time")
        if message.HasField("expire_time")
        else None,
        apply_tier_multiplier=message.apply_tier_multiplier,
    )


def _result(outcome: AwardOutcome, views: dict[int, TransactionView]) -> ledger_pb2.BulkAwardResult:
    if outcome.error is not None:
        return ledger_pb2.BulkAwardResult(request_id=outcome.request_id, status=status_proto(outcome.error))
    assert outcome.booked is not None
    return ledger_pb2.BulkAwardResult(
        request_id=outcome.request_id,
        status=status_pb2.Status(code=grpc.StatusCode.OK.value[0]),
        transaction=transaction_to_proto(views[outcome.booked.pk]),
    )


class BulkRpcs(LedgerRpcBase):
    async def BulkAwardPoints(
        self, request: ledger_pb2.BulkAwardPointsRequest, context: _Context
    ) -> ledger_pb2.BulkAwardPointsResponse:
        check_batch(request.entries)  # before converting a possibly huge list
        entries = [_entry(message, index) for index, message in enumerate(request.entries)]
        outcomes = await bulk_award(self.ledger, self.tenant_id(), entries, actor=self.actor())
        booked_pks = list({outcome.booked.pk for outcome in outcomes if outcome.booked is not None})
        async with self.engine.connect() as connection:
            views = {view.pk: view for view in await load_transactions(connection, booked_pks)}
        results = [_result(outcome, views) for outcome in outcomes]
        succeeded = sum(1 for outcome in outcomes if outcome.error is None)
        return ledger_pb2.BulkAwardPointsResponse(
            results=results, succeeded_count=succeeded, failed_count=len(outcomes) - succeeded
        )
