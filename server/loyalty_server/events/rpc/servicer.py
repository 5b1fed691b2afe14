"""The SubscriptionService servicer: streams, the event list and webhooks over the generated base."""

from __future__ import annotations

from loyalty.v1 import subscription_pb2_grpc
from loyalty_server.events.rpc.listing import ListingRpcs
from loyalty_server.events.rpc.streams import StreamRpcs
from loyalty_server.webhooks.rpc import WebhookRpcs


class SubscriptionServicer(
    StreamRpcs, ListingRpcs, WebhookRpcs, subscription_pb2_grpc.SubscriptionServiceServicer
):
    pass
