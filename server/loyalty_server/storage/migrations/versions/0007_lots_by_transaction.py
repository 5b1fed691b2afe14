"""Lots by the transaction that created them: reading a transaction back (every write's response,
GetTransaction, ListTransactions) looks up its lots' expiry, which scanned every lot without it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_lots_transaction_pk"), "lots", ["transaction_pk"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lots_transaction_pk"), table_name="lots")
