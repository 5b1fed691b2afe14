"""LedgerService handlers: two-phase holds and one-step redemption."""

from __future__ import annotations

import grpc

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.operations import HoldView
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import currency_balance_to_proto, hold_to_proto, transaction_to_proto
from loyalty_server.ledger.transactions import load_transactions
from loyalty_server.storage.sqlite_loop import read_connection

_Context = grpc.aio.ServicerContext
REFERENCE_LENGTH_MAX = 128
DESCRIPTION_LENGTH_MAX = 500


class HoldRpcs(LedgerRpcBase):
    async def CreateHold(
        self, request: ledger_pb2.CreateHoldRequest, context: _Context
    ) -> ledger_pb2.CreateHoldResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_for(request.member)
        hold = await self.ledger.create_hold(
            self.tenant_id(),
            member.member_id,
            currency=request.currency,
            points=request.points,
            request_id=request.request_id,
            ttl_s=request.ttl_seconds or None,
            reference=requests.check_text(request.reference, "reference", REFERENCE_LENGTH_MAX),
            description=requests.check_text(request.description, "description", DESCRIPTION_LENGTH_MAX),
        )
        return ledger_pb2.CreateHoldResponse(
            hold=hold_to_proto(hold, member.loyalty_id),
            balance=await self._balance(hold.member_id, hold.currency),
        )

    async def GetHold(
        self, request: ledger_pb2.GetHoldRequest, context: _Context
    ) -> ledger_pb2.GetHoldResponse:
        hold = await self.ledger.get_hold(self.tenant_id(), request.hold_id)
        return ledger_pb2.GetHoldResponse(hold=await self._hold_proto(hold))

    async def CaptureHold(
        self, request: ledger_pb2.CaptureHoldRequest, context: _Context
    ) -> ledger_pb2.CaptureHoldResponse:
        requests.check_request_id(request.request_id)
        hold, booked = await self.ledger.capture_hold(
            self.tenant_id(),
            request.hold_id,
            request_id=request.request_id,
            points=request.points or None,
            actor=self.actor(),
        )
        async with read_connection(self.engine) as connection:
            (transaction,) = await load_transactions(connection, [booked.pk])
        return ledger_pb2.CaptureHoldResponse(
            hold=await self._hold_proto(hold),
            transaction=transaction_to_proto(transaction),
            balance=await self._balance(hold.member_id, hold.currency),
        )

    async def VoidHold(
        self, request: ledger_pb2.VoidHoldRequest, context: _Context
    ) -> ledger_pb2.VoidHoldResponse:
        requests.check_request_id(request.request_id)
        hold = await self.ledger.void_hold(self.tenant_id(), request.hold_id, request_id=request.request_id)
        return ledger_pb2.VoidHoldResponse(
            hold=await self._hold_proto(hold), balance=await self._balance(hold.member_id, hold.currency)
        )

    async def Redeem(self, request: ledger_pb2.RedeemRequest, context: _Context) -> ledger_pb2.RedeemResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_for(request.member)
        reference = requests.check_text(request.reference, "reference", REFERENCE_LENGTH_MAX)
        entry = Entry(
            origin_type="redemption",
            origin_id=reference or request.request_id,
            reason_code=requests.check_reason_code(request.reason_code, default="REDEEMED"),
            reason=requests.check_text(request.description, "description", DESCRIPTION_LENGTH_MAX),
            request_id=request.request_id,
            actor=self.actor(),
        )
        booked = await self.ledger.spend(
            self.tenant_id(), member.member_id, currency=request.currency, points=request.points, entry=entry
        )
        async with read_connection(self.engine) as connection:
            (transaction,) = await load_transactions(connection, [booked.pk])
        return ledger_pb2.RedeemResponse(
            transaction=transaction_to_proto(transaction),
            balance=await self._balance(member.member_id, request.currency),
        )

    # --- helpers ------------------------------------------------------------------------------------

    async def _hold_proto(self, hold: HoldView) -> ledger_pb2.Hold:
        """The hold, after checking a partner token may see its member (holds are found by id)."""
        member = await self.member_by_id(hold.member_id)
        return hold_to_proto(hold, member.loyalty_id)

    async def _balance(self, member_id: str, currency: str) -> common_pb2.CurrencyBalance:
        balance = await self.ledger.balance(self.tenant_id(), member_id)
        (figures,) = [view for view in balance.currencies if view.currency == currency]
        return currency_balance_to_proto(figures)
