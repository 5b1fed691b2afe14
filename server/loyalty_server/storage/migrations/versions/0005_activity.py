"""Activity: partner activities, rule awards, raw readings (retention-bound), purchases and returns.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("device_tracked", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", Time, nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("user_device_id", sa.String(length=128), server_default="", nullable=False),
        sa.Column("manufacturer_name", sa.String(length=20), server_default="", nullable=False),
        sa.Column("device_name", sa.String(length=20), server_default="", nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_activities_member_pk_members")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_activities_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "tenant_id",
            "client_id",
            "member_pk",
            "activity_id",
            name=op.f("uq_activities_tenant_id_client_id_member_pk_activity_id"),
        ),
    )
    op.create_index(
        op.f("ix_activities_member_pk_occurred_at"), "activities", ["member_pk", "occurred_at"], unique=False
    )
    op.create_table(
        "purchases",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("total_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.Column("points_reversed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("coupon_ids_json", sa.Text(), server_default="[]", nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("pending_until", Time, nullable=True),
        sa.Column("purchase_time", Time, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_purchases_member_pk_members")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_purchases_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("tenant_id", "order_id", name=op.f("uq_purchases_tenant_id_order_id")),
    )
    op.create_index(op.f("ix_purchases_member_pk"), "purchases", ["member_pk"], unique=False)
    op.create_table(
        "rule_awards",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("origin_key", sa.String(length=200), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_rule_awards_member_pk_members")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_rule_awards_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_awards")),
        sa.UniqueConstraint(
            "member_pk", "origin_key", "rule_id", name=op.f("uq_rule_awards_member_pk_origin_key_rule_id")
        ),
    )
    op.create_index(
        op.f("ix_rule_awards_member_pk_rule_id_local_day"),
        "rule_awards",
        ["member_pk", "rule_id", "local_day"],
        unique=False,
    )
    op.create_table(
        "health_readings",
        sa.Column("activity_pk", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("purge_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_pk"], ["activities.id"], name=op.f("fk_health_readings_activity_pk_activities")
        ),
        sa.ForeignKeyConstraint(
            ["member_pk"], ["members.id"], name=op.f("fk_health_readings_member_pk_members")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_health_readings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("activity_pk", name=op.f("pk_health_readings")),
    )
    op.create_index(op.f("ix_health_readings_member_pk"), "health_readings", ["member_pk"], unique=False)
    op.create_index(op.f("ix_health_readings_purge_at"), "health_readings", ["purge_at"], unique=False)
    op.create_table(
        "purchase_lines",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("purchase_pk", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), server_default="", nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("rule_points_json", sa.Text(), nullable=False),
        sa.Column("points_earned", sa.BigInteger(), nullable=False),
        sa.Column("returned_quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("returned_amount_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rule_points_reversed_json", sa.Text(), server_default="{}", nullable=False),
        sa.Column("points_reversed", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_purchase_lines_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_pk"], ["purchases.id"], name=op.f("fk_purchase_lines_purchase_pk_purchases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_lines")),
        sa.UniqueConstraint("purchase_pk", "line_id", name=op.f("uq_purchase_lines_purchase_pk_line_id")),
    )
    op.create_table(
        "purchase_returns",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=128), nullable=False),
        sa.Column("purchase_pk", sa.BigInteger(), nullable=False),
        sa.Column("items_json", sa.Text(), nullable=False),
        sa.Column("points_reversed", sa.BigInteger(), nullable=False),
        sa.Column("debt_points", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("return_time", Time, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_pk"], ["purchases.id"], name=op.f("fk_purchase_returns_purchase_pk_purchases")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_purchase_returns_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_returns")),
        sa.UniqueConstraint("tenant_id", "return_id", name=op.f("uq_purchase_returns_tenant_id_return_id")),
    )
    op.create_index(
        op.f("ix_purchase_returns_purchase_pk"), "purchase_returns", ["purchase_pk"], unique=False
    )


def downgrade() -> None:

    op.drop_index(op.f("ix_purchase_returns_purchase_pk"), table_name="purchase_returns")
    op.drop_table("purchase_returns")
    op.drop_table("purchase_lines")
    op.drop_index(op.f("ix_health_readings_purge_at"), table_name="health_readings")
    op.drop_index(op.f("ix_health_readings_member_pk"), table_name="health_readings")
    op.drop_table("health_readings")
    op.drop_index(op.f("ix_rule_awards_member_pk_rule_id_local_day"), table_name="rule_awards")
    op.drop_table("rule_awards")
    op.drop_index(op.f("ix_purchases_member_pk"), table_name="purchases")
    op.drop_table("purchases")
    op.drop_index(op.f("ix_activities_member_pk_occurred_at"), table_name="activities")
    op.drop_table("activities")
