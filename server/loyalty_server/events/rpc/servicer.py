"""The SubscriptionService servicer: streams, the event list and webhooks over the generated base."""

from __future__ import annotations

from loyalty.v1 import subscription_pb2, subscription_pb2_grpc
from loyalty_server.events.rpc.listing import ListingRpcs
from loyalty_server.events.rpc.streams import StreamRpcs
from loyalty_server.request_text import check_request_strings
from loyalty_server.webhooks.rpc import WebhookRpcs


@check_request_strings(subscription_pb2.DESCRIPTOR.services_by_name["SubscriptionService"])
class SubscriptionServicer(
    StreamRpcs, ListingRpcs, WebhookRpcs, subscription_pb2_grpc.SubscriptionServiceServicer
):
    pass
