"""SubscriptionService streams: StreamEvents (backlog, then live) and WatchMember (snapshots)."""

from __future__ import annotations

import grpc

from loyalty.v1 import subscription_pb2
from loyalty_server.events.feed import EventFilter, StoredEvent, latest_sequence
from loyalty_server.events.follow import (
    Follower,
    Heartbeat,
    events_per_message,
    heartbeat_interval_s,
    message_batches,
    next_events,
    start_cursor,
)
from loyalty_server.events.outbox import TYPES_BY_NAME
from loyalty_server.events.rpc.base import SubscriptionRpcBase
from loyalty_server.ledger.rpc.convert import balance_to_proto, timestamp
from loyalty_server.ledger.rpc.tiers import member_tier_to_proto
from loyalty_server.ledger.tiers import Tiers
from loyalty_server.principal import current_principal
from loyalty_server.storage.sqlite_loop import read_connection

_Context = grpc.aio.ServicerContext
START_SEQUENCE_HEADER = "loyalty-start-sequence"


class StreamRpcs(SubscriptionRpcBase):
    async def StreamEvents(self, request: subscription_pb2.StreamEventsRequest, context: _Context) -> None:
        only = await self.event_filter(request.event_types, request.member_id, "member_id")
        heartbeat_s = heartbeat_interval_s(request.heartbeat_interval_seconds)
        after = request.after_sequence if request.WhichOneof("start") == "after_sequence" else None
        async with read_connection(self.engine) as connection:
            start = await start_cursor(connection, after)
        per_message = events_per_message(request.max_events_per_message)
        tenant_code = current_principal().tenant_code

        async def send_events(events: list[StoredEvent]) -> None:
            if per_message == 1:
                for event in events:
                    response = subscription_pb2.StreamEventsResponse(event=event.to_proto(tenant_code))
                    await context.write(response)
                return
            for batch in message_batches(events, per_message):
                protos = [event.to_proto(tenant_code) for event in batch]
                response = subscription_pb2.StreamEventsResponse(
                    batch=subscription_pb2.EventBatch(events=protos)
                )
                await context.write(response)

        async def send_heartbeat(beat: Heartbeat) -> None:
            await context.write(subscription_pb2.StreamEventsResponse(heartbeat=self._heartbeat(beat)))

        # Headers now, before any event: a client (the gateway's SSE too) learns the stream was accepted
        # at once, not at the first event or heartbeat, and where it starts (a client that started "from
        # now" and is cut off before its first event resumes from there, losing nothing).
        await context.send_initial_metadata(((START_SEQUENCE_HEADER, str(start)),))
        await Follower(self.engine, self.hub, only, start).run(
            send_events, send_heartbeat, heartbeat_s=heartbeat_s
        )

    async def WatchMember(self, request: subscription_pb2.WatchMemberRequest, context: _Context) -> None:
        member_id = await self.visible_member(request.member_id, "member_id")
        if member_id is None:
            member = await self.member_by_id(request.member_id)  # MEMBER_REF_REQUIRED
            member_id = member.member_id
        heartbeat_s = heartbeat_interval_s(request.heartbeat_interval_seconds)
        subscription = self.hub.subscribe(EventFilter(self.tenant_id(), member_id=member_id))
        try:
            last = await self._snapshot(member_id, subscription.start, 0)
            await context.write(subscription_pb2.WatchMemberResponse(snapshot=last))
            while True:
                changes = await next_events(subscription, heartbeat_s)
                if not changes:
                    beat = Heartbeat(max(last.sequence, self.hub.position))
                    await context.write(subscription_pb2.WatchMemberResponse(heartbeat=self._heartbeat(beat)))
                    continue
                cause = TYPES_BY_NAME.get(changes[-1].type_name, 0)
                snapshot = await self._snapshot(member_id, changes[-1].sequence, cause)
                if _same_state(snapshot, last):
                    continue  # e.g. an activity that earned nothing: apps need no redraw
                last = snapshot
                await context.write(subscription_pb2.WatchMemberResponse(snapshot=snapshot))
        finally:
            self.hub.unsubscribe(subscription)

    async def _snapshot(self, member_id: str, sequence: int, cause: int) -> subscription_pb2.MemberSnapshot:
        """The member's state, as of at least `sequence`. The hub may not have read the newest
        committed events yet, and the balance read below sees them: the snapshot names the newest
        sequence committed before that read, so a client resuming from it misses nothing. (An event
        committed between the two reads is reflected but not named: a resuming client gets it again,
        which a snapshot-based client tolerates.)"""
        tenant_id = self.tenant_id()
        async with read_connection(self.engine) as connection:
            sequence = max(sequence, await latest_sequence(connection))
        balance = await self.ledger.balance(tenant_id, member_id)
        tier = await Tiers(self.ledger).get_member_tier(tenant_id, member_id)
        return subscription_pb2.MemberSnapshot(
            member_id=member_id,
            balance=balance_to_proto(balance),
            tier=member_tier_to_proto(tier),
            sequence=sequence,
            cause=cause,  # type: ignore[arg-type]
            snapshot_time=timestamp(self.clock.now()),
        )

    def _heartbeat(self, beat: Heartbeat) -> subscription_pb2.Heartbeat:
        return subscription_pb2.Heartbeat(server_time=timestamp(self.clock.now()), sequence=beat.sequence)


def _same_state(a: subscription_pb2.MemberSnapshot, b: subscription_pb2.MemberSnapshot) -> bool:
    return a.balance == b.balance and a.tier == b.tier
