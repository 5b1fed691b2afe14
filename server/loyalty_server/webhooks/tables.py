"""The webhook tables: endpoints, their signing secrets, deliveries (one per event and endpoint) and
the attempt log.

Every row carries its tenant. A delivery is unique
per (endpoint, event): the relay may run on several replicas and retry, never deliver twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from loyalty_server.storage.schema import BigId, UtcDateTime, metadata

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("endpoint_id", String(40), nullable=False, unique=True),  # "we_<32 hex>"
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("owner_client_id", String(64), nullable=False, server_default=""),  # "" = a tenant endpoint
    Column("url", String(2048), nullable=False),
    Column("event_types", Text, nullable=False),  # JSON list of dotted type names; [] = every type
    Column("description", String(1000), nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(16), nullable=False, server_default=""),  # manual | gone | failing
    Column("disabled_at", UtcDateTime, nullable=True),
    Column("failing_since", UtcDateTime, nullable=True),  # first failure since the last success
    # Events after this sequence reach the endpoint; earlier ones happened before it existed.
    Column("start_sequence", BigInteger, nullable=False),
    Column("secret_rotated_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False),  # the etag
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "tenant_id", "id"),
)

# Signing secrets, sealed (AES-GCM under the data dir's webhook key): never stored in clear. During a
# rotation an endpoint has two, the previous one with an expiry.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("endpoint_pk", BigInteger, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),  # None: the current secret
    Index(None, "endpoint_pk"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), nullable=False, unique=True),  # "whd_<32 hex>"
    Column("message_id", String(40), nullable=False),  # the webhook-id header: "msg_<32 hex>"
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("endpoint_pk", BigInteger, ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("event_sequence", BigInteger, ForeignKey("events.sequence"), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempt_count", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),  # pending only
    # The retry window (about three days) counts from here: creation, or a manual replay.
    Column("retry_started_at", UtcDateTime, nullable=False),
    Column("manual", Boolean, nullable=False),  # the next attempt was asked for by hand
    # A replica sending an attempt holds the lease; another takes over only after it runs out.
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime, nullable=True),
    UniqueConstraint("endpoint_pk", "event_sequence"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "endpoint_pk", "id"),
    Index(None, "event_sequence"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("delivery_pk", BigInteger, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt_number", Integer, nullable=False),
    Column("trigger", String(16), nullable=False),  # automatic | manual
    Column("started_at", UtcDateTime, nullable=False),
    Column("http_status", Integer, nullable=False),  # 0: no answer (see error)
    Column("latency_ms", Integer, nullable=False),
    Column("response_snippet", Text, nullable=False),  # the first 1 KiB of the body
    Column("error", String(300), nullable=False),
    Column("retry_after_s", Integer, nullable=True),
    UniqueConstraint("delivery_pk", "attempt_number"),
)
