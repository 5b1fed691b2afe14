"""SubscriptionService.ListEvents: paging through the outbox in sequence order."""

from __future__ import annotations

import grpc
from sqlalchemy import select

from loyalty.v1 import subscription_pb2
from loyalty_server import requests
from loyalty_server.auth import paging
from loyalty_server.events.feed import latest_sequence, stored_event
from loyalty_server.events.rpc.base import SubscriptionRpcBase
from loyalty_server.ledger.rpc.convert import datetime_of
from loyalty_server.principal import current_principal
from loyalty_server.storage.schema import events

_Context = grpc.aio.ServicerContext


class ListingRpcs(SubscriptionRpcBase):
    async def ListEvents(
        self, request: subscription_pb2.ListEventsRequest, context: _Context
    ) -> subscription_pb2.ListEventsResponse:
        size = requests.page_size(request.page_size)
        only = await self.event_filter(request.event_types, request.member_id, "member_id")
        start = datetime_of(request.start_time, "start_time") if request.HasField("start_time") else None
        end = datetime_of(request.end_time, "end_time") if request.HasField("end_time") else None
        binding = repr((sorted(only.type_names), only.member_id, request.after_sequence, start, end))
        position = paging.decode(request.page_token, length=1, binding=binding)
        after = max(request.after_sequence, int(position[0]) if position else 0)
        query = (
            select(events)
            .where(events.c.tenant_id == only.tenant_id, events.c.sequence > after)
            .order_by(events.c.sequence)
            .limit(size + 1)
        )
        if only.type_names:
            query = query.where(events.c.type.in_(sorted(only.type_names)))
        if only.member_id is not None:
            query = query.where(events.c.member_id == only.member_id)
        if start is not None:
            query = query.where(events.c.occurred_at >= start)
        if end is not None:
            query = query.where(events.c.occurred_at < end)
        # A type or time filter may walk far along the outbox: off the loop (aiosqlite's thread).
        async with self.engine.connect() as connection:
            latest = await latest_sequence(connection)
            rows = [stored_event(row) for row in await connection.execute(query)]
        page = rows[:size]
        token = paging.encode([page[-1].sequence], binding=binding) if len(rows) > size else ""
        tenant_code = current_principal().tenant_code
        return subscription_pb2.ListEventsResponse(
            events=[event.to_proto(tenant_code) for event in page],
            next_page_token=token,
            latest_sequence=latest,
        )
