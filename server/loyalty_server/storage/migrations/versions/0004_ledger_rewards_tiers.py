"""Ledger, second part: tier state, qualifying points, lot draws, coupons and reward counters.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)
_MEMBER_TIER_COLUMNS = (
    "tier_since",
    "custom_tier_expires_at",
    "downgrade_at",
    "downgrade_warned_at",
    "tier_review_at",
)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for name in _MEMBER_TIER_COLUMNS:
            batch.add_column(sa.Column(name, Time, nullable=True))
        batch.create_index(op.f("ix_members_tier_review_at"), ["tier_review_at"], unique=False)
    op.create_index(
        op.f("ix_ledger_transactions_reverses_pk"), "ledger_transactions", ["reverses_pk"], unique=False
    )
    op.create_table(
        "lot_draws",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("transaction_pk", sa.BigInteger(), nullable=False),
        sa.Column("lot_pk", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_lot_draws_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_lot_draws_transaction_pk_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(["lot_pk"], ["lots.id"], name=op.f("fk_lot_draws_lot_pk_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_draws")),
    )
    op.create_index(op.f("ix_lot_draws_transaction_pk"), "lot_draws", ["transaction_pk"], unique=False)
    op.create_table(
        "qualifying_points",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_qualifying_points_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["member_pk"], ["members.id"], name=op.f("fk_qualifying_points_member_pk_members")
        ),
        sa.PrimaryKeyConstraint("member_pk", "day", name=op.f("pk_qualifying_points")),
    )
    op.create_table(
        "coupons",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.String(length=32), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("code_hint", sa.String(length=8), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("reward_id", sa.String(length=64), nullable=False),
        sa.Column("reward_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cost_points", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=64), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("transaction_pk", sa.BigInteger(), nullable=False),
        sa.Column("reversal_transaction_pk", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.String(length=128), server_default="", nullable=False),
        sa.Column("store_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("issued_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("used_at", Time, nullable=True),
        sa.Column("cancelled_at", Time, nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_coupons_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_coupons_member_pk_members")),
        sa.ForeignKeyConstraint(
            ["transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_coupons_transaction_pk_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_coupons_reversal_transaction_pk_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("coupon_id", name=op.f("uq_coupons_coupon_id")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_coupons_code_sha256")),
    )
    op.create_index(
        op.f("ix_coupons_member_pk_reward_id_status"),
        "coupons",
        ["member_pk", "reward_id", "status"],
        unique=False,
    )
    op.create_index(op.f("ix_coupons_member_pk_id"), "coupons", ["member_pk", "id"], unique=False)
    op.create_table(
        "reward_counters",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.String(length=64), nullable=False),
        sa.Column("issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_reward_counters_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "reward_id", name=op.f("pk_reward_counters")),
    )


def downgrade() -> None:
    op.drop_table("reward_counters")
    op.drop_index(op.f("ix_coupons_member_pk_id"), table_name="coupons")
    op.drop_index(op.f("ix_coupons_member_pk_reward_id_status"), table_name="coupons")
    op.drop_table("coupons")
    op.drop_table("qualifying_points")
    op.drop_index(op.f("ix_lot_draws_transaction_pk"), table_name="lot_draws")
    op.drop_table("lot_draws")
    op.drop_index(op.f("ix_ledger_transactions_reverses_pk"), table_name="ledger_transactions")
    with op.batch_alter_table("members") as batch:
        batch.drop_index(op.f("ix_members_tier_review_at"))
        for name in reversed(_MEMBER_TIER_COLUMNS):
            batch.drop_column(name)
