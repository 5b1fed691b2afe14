"""LedgerService handlers: reversals, manual adjustments and member-to-member transfers."""

from __future__ import annotations

import grpc

from loyalty.v1 import common_pb2, ledger_pb2
from loyalty_server import requests
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.corrections import Corrections
from loyalty_server.ledger.reversals import Portion, Proportion, reverse_origin
from loyalty_server.ledger.rpc.base import LedgerRpcBase
from loyalty_server.ledger.rpc.convert import (
    ORIGIN_TYPE_NAMES,
    currency_balance_to_proto,
    datetime_of,
    transaction_to_proto,
)
from loyalty_server.ledger.transactions import load_transactions

_Context = grpc.aio.ServicerContext
ORIGIN_ID_LENGTH_MAX = 128


def origin_of(origin: common_pb2.OriginRef) -> tuple[str, str, str]:
    """(type, id, client id) as the ledger stores them."""
    if origin.type not in ORIGIN_TYPE_NAMES or not 0 < len(origin.id) <= ORIGIN_ID_LENGTH_MAX:
        raise invalid_argument(
            "ORIGIN_REQUIRED",
            f"origin: a type and an id of 1-{ORIGIN_ID_LENGTH_MAX} characters",
            FieldViolation("origin", "type and id required"),
        )
    if origin.type == common_pb2.ORIGIN_TYPE_COUPON:
        # A coupon's points come back with the coupon itself, or it would stay usable after the refund.
        raise invalid_argument(
            "ORIGIN_NOT_REVERSIBLE",
            "a reward redemption is reversed by cancelling its coupon (CancelCoupon)",
            FieldViolation("origin.type", "use CancelCoupon"),
        )
    return ORIGIN_TYPE_NAMES[origin.type], origin.id, origin.client_id


def portion_of(request: ledger_pb2.ReversePointsRequest) -> Portion:
    which = request.WhichOneof("portion")
    if which == "all" and request.all:
        return None
    if which == "points":
        return request.points
    if which == "proportion":
        return Proportion(request.proportion.numerator, request.proportion.denominator)
    raise invalid_argument(
        "INVALID_AMOUNT",
        "say how much to reverse: all, points or proportion",
        FieldViolation("portion", "required"),
    )


class CorrectionRpcs(LedgerRpcBase):
    @property
    def corrections(self) -> Corrections:
        return Corrections(self.ledger)

    async def ReversePoints(
        self, request: ledger_pb2.ReversePointsRequest, context: _Context
    ) -> ledger_pb2.ReversePointsResponse:
        requests.check_request_id(request.request_id)
        result = await reverse_origin(
            self.ledger,
            self.tenant_id(),
            origin_of(request.origin),
            portion_of(request),
            reason_code=request.reason_code,
            reason=request.reason,
            request_id=request.request_id,
            actor=self.actor(),
        )
        async with self.engine.connect() as connection:
            transactions = await load_transactions(connection, result.transaction_pks)
        return ledger_pb2.ReversePointsResponse(
            transactions=[transaction_to_proto(view) for view in transactions],
            points_reversed=result.points_reversed,
            debt_points=result.debt_points,
        )

    async def AdjustPoints(
        self, request: ledger_pb2.AdjustPointsRequest, context: _Context
    ) -> ledger_pb2.AdjustPointsResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_for(request.member)
        booked = await self.corrections.adjust(
            self.tenant_id(),
            member.member_id,
            currency=request.currency,
            points=request.points,
            reason_code=request.reason_code,
            reason=request.reason,
            request_id=request.request_id,
            source_id=request.source_id,
            expires_at=datetime_of(request.expire_time, "expire_time")
            if request.HasField("expire_time")
            else None,
            actor=self.audit_actor(context, request.request_id),
        )
        async with self.engine.connect() as connection:
            (transaction,) = await load_transactions(connection, [booked.pk])
        balance = await self.ledger.balance(self.tenant_id(), member.member_id)
        (figures,) = [view for view in balance.currencies if view.currency == request.currency]
        return ledger_pb2.AdjustPointsResponse(
            transaction=transaction_to_proto(transaction), balance=currency_balance_to_proto(figures)
        )

    async def TransferPoints(
        self, request: ledger_pb2.TransferPointsRequest, context: _Context
    ) -> ledger_pb2.TransferPointsResponse:
        requests.check_request_id(request.request_id)
        if request.all_available == (request.points != 0):
            raise invalid_argument(
                "INVALID_AMOUNT",
                "give points > 0, or all_available with points 0",
                FieldViolation("points", "points > 0 or all_available"),
            )
        giver = await self.member_for(request.from_member, "from_member")
        receiver = await self.member_for(request.to_member, "to_member")
        done = await self.corrections.transfer(
            self.tenant_id(),
            giver.member_id,
            receiver.member_id,
            currency=request.currency,
            points=None if request.all_available else request.points,
            reason=request.reason,
            request_id=request.request_id,
            actor=self.audit_actor(context, request.request_id),
        )
        async with self.engine.connect() as connection:
            out, into = await load_transactions(connection, [done.out.pk, done.into.pk])
        return ledger_pb2.TransferPointsResponse(
            transfer_id=done.transfer_id,
            out_transaction=transaction_to_proto(out),
            in_transaction=transaction_to_proto(into),
        )
