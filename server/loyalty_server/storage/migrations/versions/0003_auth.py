"""Auth: partner clients, service accounts, grants, codes, refresh tokens, member logins.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
Hash = sa.String(64)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants")


def upgrade() -> None:
    op.create_table(
        "partner_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("client_type", sa.String(16), nullable=False),
        sa.Column("redirect_uris_json", sa.Text, nullable=False),
        sa.Column("scopes_json", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("secret_hash", Hash, nullable=True),
        sa.Column("secret_hint", sa.String(8), nullable=False, server_default=""),
        sa.Column("previous_secret_hash", Hash, nullable=True),
        sa.Column("previous_secret_expires_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("secret_rotated_at", Time, nullable=True),
        sa.Column("disabled_at", Time, nullable=True),
        sa.PrimaryKeyConstraint("client_id", name="pk_partner_clients"),
        _tenant_fk("partner_clients"),
    )
    op.create_index("ix_partner_clients_tenant_id_name", "partner_clients", ["tenant_id", "name"])
    op.create_table(
        "service_accounts",
        sa.Column("service_account_id", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("scopes_json", sa.Text, nullable=False),
        sa.Column("cross_tenant", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("secret_hash", Hash, nullable=False),
        sa.Column("secret_hint", sa.String(8), nullable=False),
        sa.Column("previous_secret_hash", Hash, nullable=True),
        sa.Column("previous_secret_expires_at", Time, nullable=True),
        sa.Column("token_ttl_s", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("secret_rotated_at", Time, nullable=True),
        sa.Column("disabled_at", Time, nullable=True),
        sa.PrimaryKeyConstraint("service_account_id", name="pk_service_accounts"),
        sa.UniqueConstraint("client_id", name="uq_service_accounts_client_id"),
        _tenant_fk("service_accounts"),
    )
    op.create_index("ix_service_accounts_tenant_id_name", "service_accounts", ["tenant_id", "name"])
    op.create_table(
        "oauth_grants",
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("scopes_json", sa.Text, nullable=False),
        sa.Column("channel", sa.Integer, nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("revoke_reason", sa.String(32), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("refreshed_at", Time, nullable=True),
        sa.Column("revoked_at", Time, nullable=True),
        sa.Column("refresh_expires_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_oauth_grants"),
        _tenant_fk("oauth_grants"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["partner_clients.client_id"], name="fk_oauth_grants_client_id_partner_clients"
        ),
    )
    op.create_index("ix_oauth_grants_tenant_id_created_at", "oauth_grants", ["tenant_id", "created_at"])
    op.create_index("ix_oauth_grants_tenant_id_member_id", "oauth_grants", ["tenant_id", "member_id"])
    op.create_index("ix_oauth_grants_client_id", "oauth_grants", ["client_id"])
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", Hash, nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes_json", sa.Text, nullable=False),
        sa.Column("channel", sa.Integer, nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("used_at", Time, nullable=True),
        sa.Column("grant_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_authorization_codes"),
        _tenant_fk("authorization_codes"),
    )
    op.create_index("ix_authorization_codes_expires_at", "authorization_codes", ["expires_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", Hash, nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("used_at", Time, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
        _tenant_fk("refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["oauth_grants.grant_id"], name="fk_refresh_tokens_grant_id_oauth_grants"
        ),
    )
    op.create_index("ix_refresh_tokens_grant_id", "refresh_tokens", ["grant_id"])
    op.create_table(
        "member_credentials",
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("password_updated_at", Time, nullable=False),
        sa.Column("failed_login_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("lock_reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("lock_expires_at", Time, nullable=True),
        sa.Column("last_login_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "member_id", name="pk_member_credentials"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_member_credentials_tenant_id_email"),
        _tenant_fk("member_credentials"),
    )
    op.create_table(
        "member_sessions",
        sa.Column("token_hash", Hash, nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.String(32), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_member_sessions"),
        _tenant_fk("member_sessions"),
    )
    op.create_index("ix_member_sessions_tenant_id_member_id", "member_sessions", ["tenant_id", "member_id"])
    op.create_table(
        "login_failures",
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("window_start", Time, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subject", name="pk_login_failures"),
        _tenant_fk("login_failures"),
    )


def downgrade() -> None:
    for table in (
        "login_failures",
        "member_sessions",
        "member_credentials",
        "refresh_tokens",
        "authorization_codes",
        "oauth_grants",
        "service_accounts",
        "partner_clients",
    ):
        op.drop_table(table)
