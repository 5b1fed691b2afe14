"""SubscriptionService handlers for webhook endpoints and deliveries: requests in, domain calls,
messages out. A partner's calls reach only the endpoints its client registered."""

from __future__ import annotations

import grpc

from loyalty.v1 import subscription_pb2
from loyalty_server import requests
from loyalty_server.auth import paging
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.events.outbox import TYPES_BY_NAME
from loyalty_server.events.rpc.base import SubscriptionRpcBase, type_names
from loyalty_server.ledger.rpc.convert import datetime_of, timestamp
from loyalty_server.principal import Role, current_principal
from loyalty_server.webhooks.deliveries import Attempt, Delivery, DeliveryFilter
from loyalty_server.webhooks.endpoints import Endpoint, EndpointChange, Owner
from loyalty_server.webhooks.setup import Webhooks

_Context = grpc.aio.ServicerContext
pb = subscription_pb2
_STATUS = {
    "pending": pb.WEBHOOK_DELIVERY_STATUS_PENDING,
    "succeeded": pb.WEBHOOK_DELIVERY_STATUS_SUCCEEDED,
    "failed": pb.WEBHOOK_DELIVERY_STATUS_FAILED,
}
_STATUS_NAMES = {number: name for name, number in _STATUS.items()}
_TRIGGER = {"automatic": pb.WEBHOOK_ATTEMPT_TRIGGER_AUTOMATIC, "manual": pb.WEBHOOK_ATTEMPT_TRIGGER_MANUAL}
_DISABLED = {
    "": pb.WEBHOOK_DISABLED_REASON_UNSPECIFIED,
    "manual": pb.WEBHOOK_DISABLED_REASON_MANUAL,
    "gone": pb.WEBHOOK_DISABLED_REASON_GONE,
    "failing": pb.WEBHOOK_DISABLED_REASON_FAILING,
}
_MASKABLE = {"url", "event_types", "description", "enabled"}


class WebhookRpcs(SubscriptionRpcBase):
    @property
    def webhooks(self) -> Webhooks:
        return self.app.webhooks

    def owner(self) -> Owner:
        principal = current_principal()
        client_id = principal.client_id if principal.role is Role.PARTNER else ""
        return Owner(principal.tenant_id, client_id)

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: _Context
    ) -> pb.CreateWebhookEndpointResponse:
        requests.check_request_id(request.request_id)
        given = request.webhook_endpoint
        endpoint, secret = await self.webhooks.endpoints.create(
            self.owner(),
            url=given.url,
            event_types=sorted(type_names(given.event_types, "webhook_endpoint.event_types")),
            description=given.description,
            enabled=given.enabled if given.HasField("enabled") else True,
            request_id=request.request_id,
        )
        return pb.CreateWebhookEndpointResponse(
            webhook_endpoint=self._endpoint(endpoint), signing_secret=secret
        )

    async def GetWebhookEndpoint(
        self, request: pb.GetWebhookEndpointRequest, context: _Context
    ) -> pb.GetWebhookEndpointResponse:
        endpoint = await self.webhooks.endpoints.get(self.owner(), request.endpoint_id)
        return pb.GetWebhookEndpointResponse(webhook_endpoint=self._endpoint(endpoint))

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: _Context
    ) -> pb.ListWebhookEndpointsResponse:
        size = requests.page_size(request.page_size)
        position = paging.decode(request.page_token, length=1)
        listed = await self.webhooks.endpoints.list(
            self.owner(), after_pk=int(position[0]) if position else 0, limit=size + 1
        )
        page = listed[:size]
        token = paging.encode([page[-1].pk]) if len(listed) > size else ""
        return pb.ListWebhookEndpointsResponse(
            webhook_endpoints=[self._endpoint(e) for e in page], next_page_token=token
        )

    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: _Context
    ) -> pb.UpdateWebhookEndpointResponse:
        requests.check_request_id(request.request_id)
        given = request.webhook_endpoint
        paths = set(request.update_mask.paths)
        unknown = sorted(paths - _MASKABLE)
        if not paths or unknown:
            raise invalid_argument(
                "UPDATE_MASK_INVALID",
                f"update_mask: name some of {sorted(_MASKABLE)}" + (f"; not {unknown}" if unknown else ""),
                FieldViolation("update_mask", f"paths from {sorted(_MASKABLE)}"),
            )
        change = EndpointChange(
            url=given.url if "url" in paths else None,
            event_types=tuple(sorted(type_names(given.event_types, "webhook_endpoint.event_types")))
            if "event_types" in paths
            else None,
            description=given.description if "description" in paths else None,
            enabled=given.enabled if "enabled" in paths else None,
        )
        endpoint = await self.webhooks.endpoints.update(
            self.owner(), given.endpoint_id, change, etag=given.etag, request_id=request.request_id
        )
        self.webhooks.worker.deliveries_due()  # an endpoint enabled again has pending work
        return pb.UpdateWebhookEndpointResponse(webhook_endpoint=self._endpoint(endpoint))

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: _Context
    ) -> pb.DeleteWebhookEndpointResponse:
        if request.request_id:
            requests.check_request_id(request.request_id)
        await self.webhooks.endpoints.delete(self.owner(), request.endpoint_id, request_id=request.request_id)
        return pb.DeleteWebhookEndpointResponse()

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: _Context
    ) -> pb.RotateWebhookSecretResponse:
        requests.check_request_id(request.request_id)
        ttl_s = (
            request.previous_secret_ttl_seconds if request.HasField("previous_secret_ttl_seconds") else None
        )
        endpoint, secret, previous_expires_at = await self.webhooks.endpoints.rotate_secret(
            self.owner(), request.endpoint_id, previous_ttl_s=ttl_s, request_id=request.request_id
        )
        return pb.RotateWebhookSecretResponse(
            webhook_endpoint=self._endpoint(endpoint),
            signing_secret=secret,
            previous_secret_expire_time=timestamp(previous_expires_at),
        )

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: _Context
    ) -> pb.ListWebhookDeliveriesResponse:
        size = requests.page_size(request.page_size)
        only = _delivery_filter(request)
        binding = repr((request.endpoint_id, only.fingerprint()))
        position = paging.decode(request.page_token, length=1, binding=binding)
        listed = await self.webhooks.deliveries.list(
            self.owner(),
            request.endpoint_id,
            only,
            before_pk=int(position[0]) if position else None,
            limit=size + 1,
        )
        page = listed[:size]
        token = paging.encode([page[-1].pk], binding=binding) if len(listed) > size else ""
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[_delivery(d, with_attempts=False) for d in page], next_page_token=token
        )

    async def GetWebhookDelivery(
        self, request: pb.GetWebhookDeliveryRequest, context: _Context
    ) -> pb.GetWebhookDeliveryResponse:
        delivery = await self.webhooks.deliveries.get(self.owner(), request.endpoint_id, request.delivery_id)
        return pb.GetWebhookDeliveryResponse(delivery=_delivery(delivery, with_attempts=True))

    async def RedeliverWebhookDelivery(
        self, request: pb.RedeliverWebhookDeliveryRequest, context: _Context
    ) -> pb.RedeliverWebhookDeliveryResponse:
        requests.check_request_id(request.request_id)
        delivery = await self.webhooks.deliveries.redeliver(
            self.owner(), request.endpoint_id, request.delivery_id, request_id=request.request_id
        )
        self.webhooks.worker.deliveries_due()
        return pb.RedeliverWebhookDeliveryResponse(delivery=_delivery(delivery, with_attempts=False))

    async def ReplayFailedWebhookDeliveries(
        self, request: pb.ReplayFailedWebhookDeliveriesRequest, context: _Context
    ) -> pb.ReplayFailedWebhookDeliveriesResponse:
        requests.check_request_id(request.request_id)
        only = DeliveryFilter(
            event_types=type_names(request.event_types),
            start=datetime_of(request.start_time, "start_time") if request.HasField("start_time") else None,
            end=datetime_of(request.end_time, "end_time") if request.HasField("end_time") else None,
        )
        count = await self.webhooks.deliveries.replay_failed(
            self.owner(), request.endpoint_id, only, request_id=request.request_id
        )
        self.webhooks.worker.deliveries_due()
        return pb.ReplayFailedWebhookDeliveriesResponse(replayed_count=count)

    def _endpoint(self, endpoint: Endpoint) -> pb.WebhookEndpoint:
        return pb.WebhookEndpoint(
            endpoint_id=endpoint.endpoint_id,
            url=endpoint.url,
            event_types=[TYPES_BY_NAME[name] for name in endpoint.event_types],  # type: ignore[misc]
            description=endpoint.description,
            enabled=endpoint.enabled,
            disabled_reason=_DISABLED[endpoint.disabled_reason],
            disable_time=timestamp(endpoint.disabled_at),
            failing_since_time=timestamp(endpoint.failing_since),
            owner_client_id=endpoint.owner_client_id,
            tenant_code=current_principal().tenant_code,
            create_time=timestamp(endpoint.created_at),
            update_time=timestamp(endpoint.updated_at),
            secret_rotate_time=timestamp(endpoint.secret_rotated_at),
            etag=endpoint.etag,
        )


def _delivery_filter(request: pb.ListWebhookDeliveriesRequest) -> DeliveryFilter:
    unknown = [number for number in request.statuses if number and number not in _STATUS_NAMES]
    if unknown:
        raise invalid_argument(
            "STATUS_INVALID", f"unknown delivery status {unknown[0]}", FieldViolation("statuses", "unknown")
        )
    return DeliveryFilter(
        statuses=frozenset(_STATUS_NAMES[number] for number in request.statuses if number),
        event_types=type_names(request.event_types),
        start=datetime_of(request.start_time, "start_time") if request.HasField("start_time") else None,
        end=datetime_of(request.end_time, "end_time") if request.HasField("end_time") else None,
    )


def _delivery(delivery: Delivery, *, with_attempts: bool) -> pb.WebhookDelivery:
    attempts = [_attempt(a) for a in delivery.attempts]
    message = pb.WebhookDelivery(
        delivery_id=delivery.delivery_id,
        message_id=delivery.message_id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_sequence=delivery.event_sequence,
        event_type=TYPES_BY_NAME.get(delivery.event_type, 0),  # type: ignore[arg-type]
        status=_STATUS[delivery.status],
        attempt_count=delivery.attempt_count,
        next_attempt_time=timestamp(delivery.next_attempt_at) if delivery.status == "pending" else None,
        create_time=timestamp(delivery.created_at),
        complete_time=timestamp(delivery.completed_at),
        attempts=attempts if with_attempts else [],
    )
    if attempts:
        message.last_attempt.CopyFrom(attempts[-1])
    return message


def _attempt(attempt: Attempt) -> pb.WebhookDeliveryAttempt:
    return pb.WebhookDeliveryAttempt(
        attempt_number=attempt.attempt_number,
        start_time=timestamp(attempt.started_at),
        http_status_code=attempt.http_status,
        latency_ms=attempt.latency_ms,
        response_snippet=attempt.response_snippet,
        error=attempt.error,
        retry_after_seconds=attempt.retry_after_s or 0,
        trigger=_TRIGGER[attempt.trigger],
    )
