"""The body a webhook carries: the event in proto3 JSON inside the seed's envelope.

{"type": "tier.upgraded", "timestamp": "<RFC 3339>", "storeCode": "<tenant code>", "data": <Event>}.
Built from the stored event at each attempt, so an erased member's scrubbed data is what goes out.
"""

from __future__ import annotations

import json

from google.protobuf import json_format

from loyalty_server.events.feed import StoredEvent


def webhook_body(event: StoredEvent, tenant_code: str) -> bytes:
    message = event.to_proto(tenant_code)
    envelope = {
        "type": message.type_name,
        "timestamp": message.event_time.ToJsonString(),
        "storeCode": tenant_code,
        "data": json_format.MessageToDict(message),
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
