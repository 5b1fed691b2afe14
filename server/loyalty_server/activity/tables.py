"""The activity domain's tables: partner activities, rule awards, raw readings, purchases and returns.

Every row carries its tenant. Keys a caller chooses are unique within a tenant (order id, return id)
or within a partner and member (activity id), for ever: unlike request ids they never expire.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
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

# One row per activity a partner posted (metadata and points; the raw value is in health_readings).
activities = Table(
    "activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("client_id", String(64), nullable=False),  # the partner client (affiliate id) that posted it
    Column("activity_id", String(128), nullable=False),  # the partner's id
    Column("type", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # active | deleted
    Column("device_tracked", Boolean, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("local_day", Date, nullable=False),  # the day in the member's time zone at intake
    Column("transaction_id", String(64), nullable=False, server_default=""),
    Column("user_device_id", String(128), nullable=False, server_default=""),
    Column("manufacturer_name", String(20), nullable=False, server_default=""),
    Column("device_name", String(20), nullable=False, server_default=""),
    Column("content_sha256", String(64), nullable=False),  # what the last create or update said
    Column("points", BigInteger, nullable=False),  # net points it stands for now
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "client_id", "member_pk", "activity_id"),
    Index(None, "member_pk", "occurred_at"),
)

# What each earning rule currently awards for one origin (an activity, a purchase, an event such as a
# partner connection), on the member's local day: the counts per-period limits are checked against.
rule_awards = Table(
    "rule_awards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("origin_key", String(200), nullable=False),  # "activity:<pk>", "purchase:<pk>", "grant:<id>"
    Column("local_day", Date, nullable=False),
    Column("points", BigInteger, nullable=False),  # after multiplier and limits; 0 = no award
    UniqueConstraint("member_pk", "origin_key", "rule_id"),
    Index(None, "member_pk", "rule_id", "local_day"),
)

# Raw activity values, kept only until purge_at (the program's health_data_retention_days), readable
# only with scope health:read, deleted with the member. Never copied into events or logs.
health_readings = Table(
    "health_readings",
    metadata,
    Column("activity_pk", BigInteger, ForeignKey("activities.id"), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("value", LargeBinary, nullable=False),  # a serialized loyalty.v1.ActivityValue
    Column("purge_at", UtcDateTime, nullable=False),
    Index(None, "purge_at"),
    Index(None, "member_pk"),
)

purchases = Table(
    "purchases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("store_id", String(64), nullable=False, server_default=""),
    Column("channel", String(16), nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("total_amount_minor", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    Column("points_reversed", BigInteger, nullable=False, server_default="0"),
    Column("coupon_ids_json", Text, nullable=False, server_default="[]"),
    Column("content_sha256", String(64), nullable=False),  # a replay must say the same
    Column("pending_until", UtcDateTime, nullable=True),
    Column("purchase_time", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "order_id"),
    Index(None, "member_pk"),
)

# An order's lines with the points each rule gave them: returns take back per line and per rule.
purchase_lines = Table(
    "purchase_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("purchase_pk", BigInteger, ForeignKey("purchases.id"), nullable=False),
    Column("position", Integer, nullable=False),  # 0-based order in the request
    Column("line_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("category", String(64), nullable=False, server_default=""),
    Column("name", String(200), nullable=False, server_default=""),
    Column("quantity", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("rule_points_json", Text, nullable=False),  # {rule_id: points earned}
    Column("points_earned", BigInteger, nullable=False),
    Column("returned_quantity", BigInteger, nullable=False, server_default="0"),
    Column("returned_amount_minor", BigInteger, nullable=False, server_default="0"),
    Column("rule_points_reversed_json", Text, nullable=False, server_default="{}"),
    Column("points_reversed", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("purchase_pk", "line_id"),
)

purchase_returns = Table(
    "purchase_returns",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("return_id", String(128), nullable=False),
    Column("purchase_pk", BigInteger, ForeignKey("purchases.id"), nullable=False),
    Column("items_json", Text, nullable=False),  # the resolved items: line id, sku, quantity, amount
    Column("points_reversed", BigInteger, nullable=False),
    Column("debt_points", BigInteger, nullable=False),
    Column("store_id", String(64), nullable=False, server_default=""),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("content_sha256", String(64), nullable=False),
    Column("return_time", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "return_id"),
    Index(None, "purchase_pk"),
)
