"""The ledger's tables. Every row carries its tenant; every business key is unique within a tenant.

Double entry: a `ledger_transactions` row owns postings whose amounts sum to zero. Member accounts
keep their balance figures current in the same write, so reading a balance is one indexed lookup.
Earned points live in `lots` (what is left of each credit, when it expires, when it may be spent).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from loyalty_server.storage.schema import BigId, UtcDateTime, metadata

members = Table(
    "members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_id", String(32), nullable=False, unique=True),  # public id, e.g. "m_3k9q7w…"
    Column("loyalty_id", String(64), nullable=False),  # card number: given, or generated
    Column("email", String(254), nullable=True),  # lower-cased; NULL when not given
    Column("phone", String(32), nullable=True),
    Column("given_name", String(100), nullable=False, server_default=""),
    Column("family_name", String(100), nullable=False, server_default=""),
    Column("time_zone", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # active | deactivated | erased
    Column("attributes_json", Text, nullable=False, server_default="{}"),
    Column("enrollment_channel", String(32), nullable=False),
    Column("enrollment_store_id", String(64), nullable=False, server_default=""),
    Column("tier_id", String(64), nullable=True),
    Column("custom_tier_id", String(64), nullable=True),
    # Tier state (see ledger/tiers.py): since when the threshold tier holds, when a custom tier ends,
    # a pending downgrade (when it takes effect, whether it was warned), and when to look again.
    Column("tier_since", UtcDateTime, nullable=True),
    Column("custom_tier_expires_at", UtcDateTime, nullable=True),
    Column("downgrade_at", UtcDateTime, nullable=True),
    Column("downgrade_warned_at", UtcDateTime, nullable=True),
    Column("tier_review_at", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False),  # bumped on every change: the etag
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("deactivated_at", UtcDateTime, nullable=True),
    UniqueConstraint("tenant_id", "loyalty_id"),
    UniqueConstraint("tenant_id", "email"),
    UniqueConstraint("tenant_id", "phone"),
    Index(None, "tier_review_at"),
)

# One row per (tenant, account name): member accounts ("member/<member_id>/<currency>") and program
# accounts ("program/issuance/<currency>", ...). The figures are kept current by every posting.
accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column(
        "account_type", String(16), nullable=False
    ),  # member | issuance | redemption | expiry | adjustment
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=True),
    Column("currency", String(64), nullable=False),
    Column("posted", BigInteger, nullable=False, server_default="0"),  # sum of this account's postings
    Column("held", BigInteger, nullable=False, server_default="0"),
    Column("pending", BigInteger, nullable=False, server_default="0"),  # in lots not yet spendable
    Column("debt", BigInteger, nullable=False, server_default="0"),
    Column("lifetime_earned", BigInteger, nullable=False, server_default="0"),
    Column("lifetime_spent", BigInteger, nullable=False, server_default="0"),
    Column("lifetime_expired", BigInteger, nullable=False, server_default="0"),
    # The earliest moment a lot of this account expires or stops being pending: before reading or
    # spending at or after it, the account is settled (see ledger/book.py). NULL: nothing due.
    Column("settle_at", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "name"),
    Index(None, "member_pk", "currency"),
    Index(None, "settle_at"),
)

# Per member account and program source: what was earned from it and what of that is left.
source_balances = Table(
    "source_balances",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("account_pk", BigInteger, ForeignKey("accounts.id"), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("lifetime_earned", BigInteger, nullable=False, server_default="0"),
    Column("remaining", BigInteger, nullable=False, server_default="0"),
)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("transaction_id", String(32), nullable=False, unique=True),
    Column("type", String(16), nullable=False),  # earn | spend | expire | reverse | adjust | transfer_*
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("currency", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),  # signed net change of the member's account
    Column("debt_points", BigInteger, nullable=False, server_default="0"),
    Column("source_id", String(64), nullable=True),
    Column("origin_type", String(32), nullable=False),
    Column("origin_id", String(128), nullable=False),
    Column("origin_client_id", String(64), nullable=False, server_default=""),
    Column("reason_code", String(64), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("request_id", String(128), nullable=False, server_default=""),
    Column("reverses_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("effective_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Keyset pagination of a member's history, newest first.
    Index(None, "member_pk", "id"),
    Index(None, "tenant_id", "origin_type", "origin_id"),
    Index(None, "reverses_pk"),
)

postings = Table(
    "postings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_pk", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),  # signed; a transaction's postings sum to zero
    Index(None, "transaction_pk"),
    Index(None, "account_pk"),
)

lots = Table(
    "lots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("account_pk", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("source_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),  # as earned
    Column("available", BigInteger, nullable=False),  # what is left; 0 <= available <= amount
    Column("expires_at", UtcDateTime, nullable=True),  # NULL: never
    Column("pending_until", UtcDateTime, nullable=True),  # NULL: spendable at once
    # When the "points expiring soon" notice went out for this lot; NULL: not yet.
    Column("expiring_notified_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "account_pk", "available"),
    Index(None, "expires_at"),
    Index(None, "transaction_pk"),  # a transaction's lots, read back with it (ledger/transactions.py)
)

# Two-phase spending: a hold reserves points (the account's `held`) until it is captured, voided or
# expires. `points` is what was reserved; a capture may take less, and the rest is released.
holds = Table(
    "holds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("hold_id", String(32), nullable=False, unique=True),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("account_pk", BigInteger, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("captured_points", BigInteger, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),  # active | captured | voided | expired
    Column("reference", String(128), nullable=False, server_default=""),
    Column("description", String(500), nullable=False, server_default=""),
    Column("capture_transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index(None, "account_pk", "status", "expires_at"),
)


# Which lots a debit drew from and how much: a reversal of the spend gives the points back to the
# same lots (same expiry), and a transfer moves them with their expiry dates.
lot_draws = Table(
    "lot_draws",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("lot_pk", BigInteger, ForeignKey("lots.id"), nullable=False),
    Column("points", BigInteger, nullable=False),  # > 0
    Index(None, "transaction_pk"),
)

# Qualifying points per member per UTC day: the tier window's sum is at most `window_days` rows,
# whatever the history length. Reversals of earned points subtract on the earn's own day.
qualifying_points = Table(
    "qualifying_points",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("points", BigInteger, nullable=False),
)

# Coupons issued by RedeemReward. The code is a bearer secret: only its SHA-256 is stored (for the
# lookup at the till) and its last characters (to show a member which coupon is which).
coupons = Table(
    "coupons",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("coupon_id", String(32), nullable=False, unique=True),
    Column("code_sha256", String(64), nullable=False, unique=True),
    Column("code_hint", String(8), nullable=False),
    Column("member_pk", BigInteger, ForeignKey("members.id"), nullable=False),
    Column("reward_id", String(64), nullable=False),
    Column("reward_name", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # issued | used | cancelled | expired
    Column("cost_points", BigInteger, nullable=False),
    Column("currency", String(64), nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("reversal_transaction_pk", BigInteger, ForeignKey("ledger_transactions.id"), nullable=True),
    Column("order_id", String(128), nullable=False, server_default=""),
    Column("store_id", String(64), nullable=False, server_default=""),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("cancel_reason", String(500), nullable=False, server_default=""),
    Index(None, "member_pk", "reward_id", "status"),
    Index(None, "member_pk", "id"),
)

# Per reward: coupons issued and not cancelled. Locked by RedeemReward, so stock is never oversold.
reward_counters = Table(
    "reward_counters",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
    Column("reward_id", String(64), primary_key=True),
    Column("issued", BigInteger, nullable=False, server_default="0"),
)
