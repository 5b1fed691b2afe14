"""Domain objects -> loyalty.v1 auth messages."""

from __future__ import annotations

import datetime as dt

from loyalty.v1 import auth_pb2, common_pb2
from loyalty_server.auth.accounts import MemberAccount
from loyalty_server.auth.audit import AuditEntry
from loyalty_server.auth.clients import PUBLIC, PartnerClient
from loyalty_server.auth.grants import Grant
from loyalty_server.auth.keys import SigningKey
from loyalty_server.auth.service_accounts import ServiceAccount
from loyalty_server.ledger.members import CHANNELS, Member
from loyalty_server.principal import Role
from loyalty_server.timestamps import timestamp

ROLES = {
    Role.ADMIN: auth_pb2.ROLE_ADMIN,
    Role.POS: auth_pb2.ROLE_POS,
    Role.PARTNER: auth_pb2.ROLE_PARTNER,
    Role.INTERNAL: auth_pb2.ROLE_INTERNAL,
}
ROLE_OF = {value: role for role, value in ROLES.items()}
CREDENTIAL_STATES = {
    "active": auth_pb2.CREDENTIAL_STATE_ACTIVE,
    "disabled": auth_pb2.CREDENTIAL_STATE_DISABLED,
}
CREDENTIAL_STATE_OF = {value: name for name, value in CREDENTIAL_STATES.items()}
GRANT_STATES = {
    "active": auth_pb2.GRANT_STATE_ACTIVE,
    "revoked": auth_pb2.GRANT_STATE_REVOKED,
    "expired": auth_pb2.GRANT_STATE_EXPIRED,
}
GRANT_STATE_OF = {value: name for name, value in GRANT_STATES.items()}
ALGORITHMS = {"EdDSA": auth_pb2.SIGNING_ALGORITHM_EDDSA, "ES256": auth_pb2.SIGNING_ALGORITHM_ES256}
ALGORITHM_OF = {value: name for name, value in ALGORITHMS.items()}
KEY_STATES = {
    "active": auth_pb2.SIGNING_KEY_STATE_ACTIVE,
    "verify_only": auth_pb2.SIGNING_KEY_STATE_VERIFY_ONLY,
    "retired": auth_pb2.SIGNING_KEY_STATE_RETIRED,
}
GRANT_TYPES = {
    auth_pb2.GRANT_TYPE_AUTHORIZATION_CODE: "authorization_code",
    auth_pb2.GRANT_TYPE_REFRESH_TOKEN: "refresh_token",
    auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS: "client_credentials",
}


def seed_time(moment: dt.datetime | None) -> str:
    """The partner API's "YYYY-MM-DD HH:MM:SS" (UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def partner_client(client: PartnerClient, tenant_code: str) -> auth_pb2.PartnerClient:
    return auth_pb2.PartnerClient(
        client_id=client.client_id,
        name=client.name,
        description=client.description,
        client_type=auth_pb2.CLIENT_TYPE_PUBLIC
        if client.client_type == PUBLIC
        else auth_pb2.CLIENT_TYPE_CONFIDENTIAL,
        redirect_uris=client.redirect_uris,
        scopes=client.scopes,
        state=CREDENTIAL_STATES[client.state],
        secret_hint=client.secret_hint,
        tenant_code=tenant_code,
        create_time=timestamp(client.created_at),
        update_time=timestamp(client.updated_at),
        secret_rotate_time=timestamp(client.secret_rotated_at),
        disable_time=timestamp(client.disabled_at),
        etag=str(int(client.updated_at.timestamp() * 1_000_000)),
    )


def service_account(account: ServiceAccount, tenant_code: str) -> auth_pb2.ServiceAccount:
    return auth_pb2.ServiceAccount(
        service_account_id=account.service_account_id,
        client_id=account.client_id,
        name=account.name,
        description=account.description,
        role=ROLES[account.role],
        scopes=account.scopes,
        cross_tenant=account.cross_tenant,
        state=CREDENTIAL_STATES[account.state],
        secret_hint=account.secret_hint,
        tenant_code=tenant_code,
        create_time=timestamp(account.created_at),
        secret_rotate_time=timestamp(account.secret_rotated_at),
        disable_time=timestamp(account.disabled_at),
        token_ttl_seconds=account.token_ttl_s,
    )


def grant(value: Grant, client_name: str, now: dt.datetime) -> auth_pb2.Grant:
    return auth_pb2.Grant(
        grant_id=value.grant_id,
        client_id=value.client_id,
        client_name=client_name,
        member_id=value.member_id,
        scopes=value.scopes,
        channel=value.channel,  # type: ignore[arg-type]
        transaction_id=value.transaction_id,
        state=GRANT_STATES[value.state_at(now)],
        revoke_reason=auth_pb2.GrantRevokeReason.Value(f"GRANT_REVOKE_REASON_{value.revoke_reason}")
        if value.revoke_reason
        else auth_pb2.GRANT_REVOKE_REASON_UNSPECIFIED,
        create_time=timestamp(value.created_at),
        refresh_time=timestamp(value.refreshed_at),
        revoke_time=timestamp(value.revoked_at),
        refresh_token_expire_time=timestamp(value.refresh_expires_at),
    )


def member_account(account: MemberAccount, now: dt.datetime) -> auth_pb2.MemberAccount:
    return auth_pb2.MemberAccount(
        member_id=account.member_id,
        email=account.email,
        locked=account.locked_at(now),
        lock_reason=account.lock_reason,
        lock_expire_time=timestamp(account.lock_expires_at),
        failed_login_count=account.failed_login_count,
        last_login_time=timestamp(account.last_login_at),
        password_update_time=timestamp(account.password_updated_at),
    )


def signing_key(key: SigningKey | None, now: dt.datetime, verify_window_s: int) -> auth_pb2.SigningKey | None:
    if key is None:
        return None
    return auth_pb2.SigningKey(
        kid=key.kid,
        algorithm=ALGORITHMS[key.algorithm],
        state=KEY_STATES[key.state(now, verify_window_s)],
        create_time=timestamp(key.created_at),
        rotate_time=timestamp(key.rotated_at),
        retire_time=timestamp(key.retire_at(verify_window_s)),
    )


def audit_entry(entry: AuditEntry, tenant_code: str) -> auth_pb2.AuditLogEntry:
    role = ROLES.get(Role(entry.actor_role)) if entry.actor_role in {r.value for r in Role} else None
    return auth_pb2.AuditLogEntry(
        entry_id=str(entry.entry_id),
        event_time=timestamp(entry.occurred_at),
        actor=entry.actor,
        actor_role=role or auth_pb2.ROLE_UNSPECIFIED,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        request_id=entry.request_id,
        remote_address=entry.remote_address,
        user_agent=entry.user_agent,
        outcome=auth_pb2.AUDIT_OUTCOME_SUCCESS
        if entry.outcome == "success"
        else auth_pb2.AUDIT_OUTCOME_FAILURE,
        details=entry.details,
        tenant_code=tenant_code,
    )


def member(value: Member, tenant_code: str) -> common_pb2.Member:
    return common_pb2.Member(
        member_id=value.member_id,
        loyalty_id=value.loyalty_id,
        email=value.email or "",
        phone=value.phone or "",
        given_name=value.given_name,
        family_name=value.family_name,
        time_zone=value.time_zone,
        status=common_pb2.MEMBER_STATUS_ACTIVE,
        enrollment_channel=CHANNELS.get(value.enrollment_channel, common_pb2.ENROLLMENT_CHANNEL_UNSPECIFIED),
        enrollment_store_id=value.enrollment_store_id,
        tenant_code=tenant_code,
        tier_id=value.tier_id or "",
        create_time=timestamp(value.created_at),
        update_time=timestamp(value.updated_at),
        etag=str(value.version),
    )
