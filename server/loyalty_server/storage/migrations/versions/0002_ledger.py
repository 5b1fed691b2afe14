"""Ledger: members, accounts, transactions with their postings, lots and per-source balances.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("loyalty_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("given_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("family_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attributes_json", sa.Text(), server_default="{}", nullable=False),
        sa.Column("enrollment_channel", sa.String(length=32), nullable=False),
        sa.Column("enrollment_store_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("tier_id", sa.String(length=64), nullable=True),
        sa.Column("custom_tier_id", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("deactivated_at", Time, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_members_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("member_id", name=op.f("uq_members_member_id")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_members_tenant_id_email")),
        sa.UniqueConstraint("tenant_id", "loyalty_id", name=op.f("uq_members_tenant_id_loyalty_id")),
        sa.UniqueConstraint("tenant_id", "phone", name=op.f("uq_members_tenant_id_phone")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=64), nullable=False),
        sa.Column("posted", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("held", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("debt", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lifetime_earned", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lifetime_spent", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lifetime_expired", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("settle_at", Time, nullable=True),
        sa.Column("updated_at", Time, nullable=False),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_accounts_member_pk_members")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_accounts_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_accounts_tenant_id_name")),
    )
    op.create_index(
        op.f("ix_accounts_member_pk_currency"), "accounts", ["member_pk", "currency"], unique=False
    )
    op.create_index(op.f("ix_accounts_settle_at"), "accounts", ["settle_at"], unique=False)
    op.create_table(
        "ledger_transactions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("debt_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("origin_type", sa.String(length=32), nullable=False),
        sa.Column("origin_id", sa.String(length=128), nullable=False),
        sa.Column("origin_client_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("request_id", sa.String(length=128), server_default="", nullable=False),
        sa.Column("reverses_pk", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("effective_at", Time, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_pk"], ["members.id"], name=op.f("fk_ledger_transactions_member_pk_members")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_reverses_pk_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_ledger_transactions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_ledger_transactions_transaction_id")),
    )
    op.create_index(
        op.f("ix_ledger_transactions_member_pk_id"), "ledger_transactions", ["member_pk", "id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_transactions_tenant_id_origin_type_origin_id"),
        "ledger_transactions",
        ["tenant_id", "origin_type", "origin_id"],
        unique=False,
    )
    op.create_table(
        "lots",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_pk", sa.BigInteger(), nullable=False),
        sa.Column("transaction_pk", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", Time, nullable=True),
        sa.Column("pending_until", Time, nullable=True),
        sa.Column("expiring_notified_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.ForeignKeyConstraint(["account_pk"], ["accounts.id"], name=op.f("fk_lots_account_pk_accounts")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_lots_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_lots_transaction_pk_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    op.create_index(op.f("ix_lots_account_pk_available"), "lots", ["account_pk", "available"], unique=False)
    op.create_index(op.f("ix_lots_expires_at"), "lots", ["expires_at"], unique=False)
    op.create_table(
        "postings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("transaction_pk", sa.BigInteger(), nullable=False),
        sa.Column("account_pk", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_pk"], ["accounts.id"], name=op.f("fk_postings_account_pk_accounts")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_postings_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_postings_transaction_pk_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(op.f("ix_postings_account_pk"), "postings", ["account_pk"], unique=False)
    op.create_index(op.f("ix_postings_transaction_pk"), "postings", ["transaction_pk"], unique=False)
    op.create_table(
        "source_balances",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("account_pk", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("lifetime_earned", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("remaining", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_pk"], ["accounts.id"], name=op.f("fk_source_balances_account_pk_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_source_balances_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("account_pk", "source_id", name=op.f("pk_source_balances")),
    )

    op.create_table(
        "holds",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("member_pk", sa.BigInteger(), nullable=False),
        sa.Column("account_pk", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("captured_points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=128), server_default="", nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("capture_transaction_pk", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("closed_at", Time, nullable=True),
        sa.ForeignKeyConstraint(["account_pk"], ["accounts.id"], name=op.f("fk_holds_account_pk_accounts")),
        sa.ForeignKeyConstraint(
            ["capture_transaction_pk"],
            ["ledger_transactions.id"],
            name=op.f("fk_holds_capture_transaction_pk_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_holds_member_pk_members")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_holds_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_holds_hold_id")),
    )
    op.create_index(
        op.f("ix_holds_account_pk_status_expires_at"),
        "holds",
        ["account_pk", "status", "expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("holds")
    op.drop_table("source_balances")
    op.drop_index(op.f("ix_postings_transaction_pk"), table_name="postings")
    op.drop_index(op.f("ix_postings_account_pk"), table_name="postings")
    op.drop_table("postings")
    op.drop_index(op.f("ix_lots_expires_at"), table_name="lots")
    op.drop_index(op.f("ix_lots_account_pk_available"), table_name="lots")
    op.drop_table("lots")
    op.drop_index(
        op.f("ix_ledger_transactions_tenant_id_origin_type_origin_id"), table_name="ledger_transactions"
    )
    op.drop_index(op.f("ix_ledger_transactions_member_pk_id"), table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_index(op.f("ix_accounts_settle_at"), table_name="accounts")
    op.drop_index(op.f("ix_accounts_member_pk_currency"), table_name="accounts")
    op.drop_table("accounts")
    op.drop_table("members")
