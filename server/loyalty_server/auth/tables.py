"""The auth tables, on the shared `metadata`. Secrets, codes and tokens are stored only as hashes.

Lists of URIs and scopes are JSON text: they are read and written whole, never queried into.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from loyalty_server.storage.schema import UtcDateTime, metadata

HASH_LENGTH = 64  # hex SHA-256

partner_clients = Table(
    "partner_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("client_type", String(16), nullable=False),  # "confidential" | "public"
    Column("redirect_uris_json", Text, nullable=False),
    Column("scopes_json", Text, nullable=False),
    Column("state", String(16), nullable=False),  # "active" | "disabled"
    Column("secret_hash", String(HASH_LENGTH), nullable=True),
    Column("secret_hint", String(8), nullable=False, server_default=""),
    # After a rotation the previous secret keeps working until previous_secret_expires_at.
    Column("previous_secret_hash", String(HASH_LENGTH), nullable=True),
    Column("previous_secret_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("secret_rotated_at", UtcDateTime, nullable=True),
    Column("disabled_at", UtcDateTime, nullable=True),
    Index(None, "tenant_id", "name"),
)

service_accounts = Table(
    "service_accounts",
    metadata,
    Column("service_account_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("role", String(16), nullable=False),
    Column("scopes_json", Text, nullable=False),
    Column("cross_tenant", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("secret_hash", String(HASH_LENGTH), nullable=False),
    Column("secret_hint", String(8), nullable=False),
    Column("previous_secret_hash", String(HASH_LENGTH), nullable=True),
    Column("previous_secret_expires_at", UtcDateTime, nullable=True),
    Column("token_ttl_s", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("secret_rotated_at", UtcDateTime, nullable=True),
    Column("disabled_at", UtcDateTime, nullable=True),
    Index(None, "tenant_id", "name"),
)

# A partner's connection to a member. Every access token of a member carries its grant id, and every
# call checks the grant is still active: revoking a grant revokes its tokens at once, on every replica.
oauth_grants = Table(
    "oauth_grants",
    metadata,
    Column("grant_id", String(64), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("client_id", String(64), ForeignKey("partner_clients.client_id"), nullable=False),
    Column("member_id", String(32), nullable=False),
    Column("scopes_json", Text, nullable=False),
    Column("channel", Integer, nullable=False),
    Column("transaction_id", String(64), nullable=False, server_default=""),
    Column("state", String(16), nullable=False),  # "active" | "revoked"
    Column("revoke_reason", String(32), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("refreshed_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("refresh_expires_at", UtcDateTime, nullable=False),
    Index(None, "tenant_id", "created_at"),
    Index(None, "tenant_id", "member_id"),
    Index(None, "client_id"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(HASH_LENGTH), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("member_id", String(32), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes_json", Text, nullable=False),
    Column("channel", Integer, nullable=False),
    Column("transaction_id", String(64), nullable=False, server_default=""),
    Column("code_challenge", String(128), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("grant_id", String(64), nullable=True),  # set by the exchange: a reuse revokes this grant
    Index(None, "expires_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(HASH_LENGTH), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("grant_id", String(64), ForeignKey("oauth_grants.grant_id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),  # rotated: a second use is a reuse
    Index(None, "grant_id"),
)

member_credentials = Table(
    "member_credentials",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
    Column("member_id", String(32), primary_key=True),
    Column("email", String(254), nullable=False),  # lower-case
    Column("password_hash", String(200), nullable=False),
    Column("password_updated_at", UtcDateTime, nullable=False),
    Column("failed_login_count", Integer, nullable=False, server_default="0"),
    Column("locked", Boolean, nullable=False),
    Column("lock_reason", String(500), nullable=False, server_default=""),
    Column("lock_expires_at", UtcDateTime, nullable=True),
    Column("last_login_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "email"),
)

# Short-lived sessions between the login page and the consent page.
member_sessions = Table(
    "member_sessions",
    metadata,
    Column("token_hash", String(HASH_LENGTH), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id"), nullable=False),
    Column("member_id", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "tenant_id", "member_id"),
)

# Failed logins per subject ("account:<member_id>" or "address:<ip>") in a fixed window.
login_failures = Table(
    "login_failures",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id"), primary_key=True),
    Column("subject", String(300), primary_key=True),
    Column("window_start", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
)

__all__ = [
    "authorization_codes",
    "login_failures",
    "member_credentials",
    "member_sessions",
    "oauth_grants",
    "partner_clients",
    "refresh_tokens",
    "service_accounts",
]
