"""Quick start for an internal service: enroll a member, record a purchase, read the balance, and
handle a refusal by its reason. Run it against `make run` with an `internal` service account:

    eval "$(.venv/bin/loyalty service-accounts create --name quickstart --role internal --format env)"
    .venv/bin/python examples/quickstart_service.py
"""

import asyncio
import datetime as dt
import os

from google.protobuf.timestamp_pb2 import Timestamp

from loyalty.client import LoyaltyClient, NotFound, new_request_id
from loyalty.v1 import activity_pb2, common_pb2, ledger_pb2


async def main() -> None:
    async with LoyaltyClient(
        os.environ.get("LOYALTY_TARGET", "127.0.0.1:50051"),
        client_id=os.environ["LOYALTY_CLIENT_ID"],
        client_secret=os.environ["LOYALTY_CLIENT_SECRET"],
    ) as client:
        # Every write carries a request id: keep it with your own record and reuse it on every retry
        # (the client retries by itself on UNAVAILABLE; the server answers a replay with the first result).
        enrolled = await client.ledger.EnrollMember(
            ledger_pb2.EnrollMemberRequest(
                member=common_pb2.Member(given_name="Ann", email=f"ann+{new_request_id()[:8]}@example.com"),
                request_id=new_request_id("enroll-"),
            )
        )
        member = enrolled.member
        print(f"enrolled {member.member_id}, loyalty id {member.loyalty_id}")

        purchase_time = Timestamp()
        purchase_time.FromDatetime(dt.datetime.now(dt.UTC))
        order_id = new_request_id("order-")
        recorded = await client.activity.RecordPurchase(
            activity_pb2.RecordPurchaseRequest(
                request_id=order_id,  # one order, one key
                order_id=order_id,
                member=common_pb2.MemberRef(member_id=member.member_id),
                currency_code="USD",
                items=[
                    activity_pb2.PurchaseItem(sku="BALL", category="sports", quantity=1, amount_minor=2599)
                ],
                purchase_time=purchase_time,
            )
        )
        print(f"purchase {order_id}: {recorded.purchase.points_earned} points earned")

        balance = (
            await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id=member.member_id))
        ).balance
        for currency in balance.currencies:
            points = f"{currency.available_points} available, {currency.pending_points} pending"
            print(f"{currency.currency}: {points}")

        try:
            await client.ledger.GetBalance(ledger_pb2.GetBalanceRequest(member_id="m_nobody"))
        except NotFound as missing:
            print(f"refused as expected: {missing.reason} (request id {missing.request_id})")


if __name__ == "__main__":
    asyncio.run(main())
