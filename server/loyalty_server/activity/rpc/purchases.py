"""ActivityService handlers: purchases and returns (POS), and SimulatePurchase. Protos in, domain calls
(activity/purchases.py), protos out."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from loyalty.v1 import activity_pb2, common_pb2
from loyalty_server import requests
from loyalty_server.activity.purchases import (
    STORE_ID_LENGTH_MAX,
    Item,
    PurchaseRequest,
    Purchases,
    PurchaseView,
    ReturnItem,
    ReturnRequest,
    ReturnView,
    SimulatedPurchase,
)
from loyalty_server.activity.rpc.base import ActivityRpcBase
from loyalty_server.activity.rpc.convert import rule_result_to_proto
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.rpc.convert import moment_of, timestamp, transaction_to_proto
from loyalty_server.ledger.transactions import load_transactions
from loyalty_server.storage.sqlite_loop import read_connection

_Context = grpc.aio.ServicerContext

CHANNELS = {
    activity_pb2.SALES_CHANNEL_UNSPECIFIED: "unspecified",
    activity_pb2.SALES_CHANNEL_STORE: "store",
    activity_pb2.SALES_CHANNEL_ONLINE: "online",
    activity_pb2.SALES_CHANNEL_APP: "app",
    activity_pb2.SALES_CHANNEL_PHONE: "phone",
}
CHANNEL_VALUES = {name: value for value, name in CHANNELS.items()}


def channel_of(value: int) -> str:
    if value not in CHANNELS:
        raise invalid_argument(
            "UNKNOWN_CHANNEL", "unknown sales channel", FieldViolation("channel", "unknown")
        )
    return CHANNELS[value]


def items_of(items: Sequence[activity_pb2.PurchaseItem]) -> list[Item]:
    return [
        Item(
            sku=item.sku,
            quantity=item.quantity,
            amount_minor=item.amount_minor,
            line_id=item.line_id,
            category=item.category,
            name=item.name,
        )
        for item in items
    ]


def item_to_proto(item: Item) -> activity_pb2.PurchaseItem:
    return activity_pb2.PurchaseItem(
        line_id=item.line_id,
        sku=item.sku,
        category=item.category,
        quantity=item.quantity,
        amount_minor=item.amount_minor,
        name=item.name,
    )


def purchase_to_proto(view: PurchaseView) -> activity_pb2.Purchase:
    return activity_pb2.Purchase(
        order_id=view.order_id,
        member_id=view.member_id,
        loyalty_id=view.loyalty_id,
        store_id=view.store_id,
        channel=CHANNEL_VALUES.get(view.channel, activity_pb2.SALES_CHANNEL_UNSPECIFIED),
        currency_code=view.currency_code,
        total_amount_minor=view.total_amount_minor,
        lines=[
            activity_pb2.PurchaseLine(
                item=item_to_proto(line.item),
                points_earned=line.points_earned,
                returned_quantity=line.returned_quantity,
                returned_amount_minor=line.returned_amount_minor,
                points_reversed=line.points_reversed,
            )
            for line in view.lines
        ],
        points_earned=view.points_earned,
        points_reversed=view.points_reversed,
        pending_until=timestamp(view.pending_until),
        purchase_time=timestamp(view.purchase_time),
        create_time=timestamp(view.created_at),
        coupon_ids=view.coupon_ids,
        transaction_ids=view.transaction_ids,
    )


def return_to_proto(view: ReturnView) -> activity_pb2.PurchaseReturn:
    return activity_pb2.PurchaseReturn(
        return_id=view.return_id,
        order_id=view.order_id,
        member_id=view.member_id,
        items=[
            activity_pb2.ReturnItem(
                line_id=item.line_id, sku=item.sku, quantity=item.quantity, amount_minor=item.amount_minor
            )
            for item in view.items
        ],
        points_reversed=view.points_reversed,
        debt_points=view.debt_points,
        return_time=timestamp(view.return_time),
        create_time=timestamp(view.created_at),
    )


def simulation_to_proto(simulated: SimulatedPurchase) -> activity_pb2.SimulatePurchaseResponse:
    lines = []
    for line in simulated.lines:
        evaluations = []
        for evaluation in line.evaluations:
            proto = rule_result_to_proto(evaluation.result, simulated.member)
            proto.matched = evaluation.matched
            evaluations.append(proto)
        lines.append(
            activity_pb2.SimulatedPurchaseLine(
                item=item_to_proto(line.item), points=line.points, evaluations=evaluations
            )
        )
    return activity_pb2.SimulatePurchaseResponse(
        lines=lines,
        points_total=simulated.points_total,
        pending_until=timestamp(simulated.pending_until),
    )


class PurchaseRpcs(ActivityRpcBase):
    @property
    def purchases(self) -> Purchases:
        return Purchases(self.ledger)

    async def RecordPurchase(
        self, request: activity_pb2.RecordPurchaseRequest, context: _Context
    ) -> activity_pb2.RecordPurchaseResponse:
        requests.check_request_id(request.request_id)
        member = await self.member_for(request.member)
        recorded = await self.purchases.record_purchase(
            self.tenant_id(),
            PurchaseRequest(
                order_id=request.order_id,
                member_id=member.member_id,
                items=items_of(request.items),
                purchase_time=moment_of(request.purchase_time, "purchase_time")
                if request.HasField("purchase_time")
                else None,
                currency_code=request.currency_code,
                store_id=request.store_id,
                channel=channel_of(request.channel),
                coupon_codes=list(request.coupon_codes),
                request_id=request.request_id,
                actor=self.actor(),
            ),
        )
        return activity_pb2.RecordPurchaseResponse(
            purchase=purchase_to_proto(recorded.purchase),
            transactions=await self._transactions(recorded.transaction_pks),
        )

    async def GetPurchase(
        self, request: activity_pb2.GetPurchaseRequest, context: _Context
    ) -> activity_pb2.GetPurchaseResponse:
        view = await self.purchases.get_purchase(self.tenant_id(), request.order_id)
        self.check_member_access(view.member_id)
        return activity_pb2.GetPurchaseResponse(purchase=purchase_to_proto(view))

    async def RecordReturn(
        self, request: activity_pb2.RecordReturnRequest, context: _Context
    ) -> activity_pb2.RecordReturnResponse:
        requests.check_request_id(request.request_id)
        recorded = await self.purchases.record_return(
            self.tenant_id(),
            ReturnRequest(
                return_id=request.return_id,
                order_id=request.order_id,
                items=[
                    ReturnItem(
                        quantity=item.quantity,
                        amount_minor=item.amount_minor,
                        line_id=item.line_id,
                        sku=item.sku,
                    )
                    for item in request.items
                ],
                return_time=moment_of(request.return_time, "return_time")
                if request.HasField("return_time")
                else None,
                store_id=request.store_id,
                reason=request.reason,
                request_id=request.request_id,
                actor=self.actor(),
            ),
        )
        return activity_pb2.RecordReturnResponse(
            purchase_return=return_to_proto(recorded.purchase_return),
            transactions=await self._transactions(recorded.transaction_pks),
        )

    async def SimulatePurchase(
        self, request: activity_pb2.SimulatePurchaseRequest, context: _Context
    ) -> activity_pb2.SimulatePurchaseResponse:
        member = None
        if request.HasField("member") and request.member.WhichOneof("ref") is not None:
            member = await self.member_for(request.member)
        channel_of(request.channel)
        requests.check_text(request.store_id, "store_id", STORE_ID_LENGTH_MAX)
        simulated = await self.purchases.simulate_purchase(
            self.tenant_id(),
            member,
            items_of(request.items),
            purchase_time=moment_of(request.purchase_time, "purchase_time")
            if request.HasField("purchase_time")
            else None,
            currency_code=request.currency_code,
        )
        return simulation_to_proto(simulated)

    async def _transactions(self, pks: list[int]) -> list[common_pb2.Transaction]:
        async with read_connection(self.engine) as connection:
            views = await load_transactions(connection, pks)
        return [transaction_to_proto(view) for view in views]
