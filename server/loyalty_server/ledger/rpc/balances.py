"""LedgerService handlers: balances, transaction history, one transaction, expiring points."""

from __future__ import annotations

import grpc

from loyalty.v1 import ledger_pb2
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.expiring import list_expiring
from loyalty_server.ledger.history import HistoryFilter, list_transactions
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import (
    ORIGIN_TYPE_NAMES,
    TRANSACTION_TYPE_NAMES,
    balance_to_proto,
    datetime_of,
    timestamp,
    transaction_to_proto,
)
from loyalty_server.ledger.transactions import get_transaction
from loyalty_server.storage.sqlite_loop import read_connection

_Context = grpc.aio.ServicerContext


class BalanceRpcs(LedgerRpcBase):
    async def GetBalance(
        self, request: ledger_pb2.GetBalanceRequest, context: _Context
    ) -> ledger_pb2.GetBalanceResponse:
        self.check_member_id(request.member_id)  # the balance read finds the member (or NOT_FOUND)
        balance = await self.ledger.balance(self.tenant_id(), request.member_id)
        return ledger_pb2.GetBalanceResponse(balance=balance_to_proto(balance))

    async def ListTransactions(
        self, request: ledger_pb2.ListTransactionsRequest, context: _Context
    ) -> ledger_pb2.ListTransactionsResponse:
        await self.member_by_id(request.member_id)
        page, token = await list_transactions(
            self.engine,
            self.tenant_id(),
            request.member_id,
            _history_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return ledger_pb2.ListTransactionsResponse(
            transactions=[transaction_to_proto(view) for view in page], next_page_token=token
        )

    async def GetTransaction(
        self, request: ledger_pb2.GetTransactionRequest, context: _Context
    ) -> ledger_pb2.GetTransactionResponse:
        async with read_connection(self.engine) as connection:
            view = await get_transaction(connection, self.tenant_id(), request.transaction_id)
        self.check_member_access(view.member_id)
        return ledger_pb2.GetTransactionResponse(transaction=transaction_to_proto(view))

    async def ListExpiringPoints(
        self, request: ledger_pb2.ListExpiringPointsRequest, context: _Context
    ) -> ledger_pb2.ListExpiringPointsResponse:
        await self.member_by_id(request.member_id)
        page, totals, token = await list_expiring(
            self.engine,
            self.tenant_id(),
            request.member_id,
            self.clock.now(),
            within_days=request.within_days,
            currency=request.currency,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return ledger_pb2.ListExpiringPointsResponse(
            expiring_points=[
                ledger_pb2.ExpiringPoints(
                    lot_id=lot.lot_id,
                    currency=lot.currency,
                    points=lot.points,
                    expire_time=timestamp(lot.expires_at),
                    source_id=lot.source_id,
                )
                for lot in page
            ],
            total_points_by_currency=totals,
            next_page_token=token,
        )


def _history_filter(request: ledger_pb2.ListTransactionsRequest) -> HistoryFilter:
    unknown = [value for value in request.types if value not in TRANSACTION_TYPE_NAMES]
    if unknown:
        raise invalid_argument(
            "UNKNOWN_TRANSACTION_TYPE", "unknown transaction type", FieldViolation("types", "unknown")
        )
    origin = None
    if request.HasField("origin"):
        if request.origin.type not in ORIGIN_TYPE_NAMES or not request.origin.id:
            raise invalid_argument(
                "ORIGIN_INVALID",
                "origin needs a type and an id",
                FieldViolation("origin", "type and id required"),
            )
        origin = (ORIGIN_TYPE_NAMES[request.origin.type], request.origin.id, request.origin.client_id)
    return HistoryFilter(
        types=frozenset(TRANSACTION_TYPE_NAMES[value] for value in request.types),
        currency=request.currency or None,
        since=datetime_of(request.start_time, "start_time") if request.HasField("start_time") else None,
        until=datetime_of(request.end_time, "end_time") if request.HasField("end_time") else None,
        origin=origin,
    )
