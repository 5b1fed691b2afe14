"""The OAuth flow: authorization codes, the token endpoint (code, refresh, client credentials) and
revocation. RFC 9700: exact redirect URIs, single-use codes bound to client and redirect URI, PKCE,
refresh-token rotation with reuse detection. A detected reuse revokes the grant and that revocation
is committed before the call fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth import grants
from loyalty_server.auth.accounts import account_is_locked
from loyalty_server.auth.authorization import AuthorizationRequest, CheckedAuthorization, check_authorization
from loyalty_server.auth.clients import ACTIVE, PartnerClient, find_client
from loyalty_server.auth.deps import AuthDeps, dumps, loads, tenant_code_of, unauthorized_client
from loyalty_server.auth.hashing import hash_secret, new_secret
from loyalty_server.auth.pkce import check_verifier
from loyalty_server.auth.scopes import granted_scopes, parse_scope
from loyalty_server.auth.service_accounts import TOKEN_TTL_DEFAULT_S, find_account_by_client_id
from loyalty_server.auth.sessions import session_member
from loyalty_server.auth.tables import authorization_codes, refresh_tokens
from loyalty_server.auth.tokens import AccessClaims, IssuedToken
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Role
from loyalty_server.storage.engine import write_transaction

AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
)


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_at: dt.datetime
    scopes: list[str]
    redirect_url: str


@dataclass(frozen=True, slots=True)
class TokenRequest:
    grant_type: str
    client_id: str
    client_secret: str = ""
    code: str = ""
    redirect_uri: str = ""
    code_verifier: str = ""
    refresh_token: str = ""
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Tokens:
    access: IssuedToken
    scopes: list[str]
    refresh_token: str = ""
    refresh_expires_at: dt.datetime | None = None
    grant_id: str = ""
    member_id: str = ""


def invalid_code(message: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_AUTHORIZATION_CODE", message)


def invalid_refresh_token(message: str = "unknown, expired or revoked refresh token") -> DomainError:
    return DomainError(ErrorKind.UNAUTHENTICATED, "INVALID_TOKEN", message)


# --- the authorization request ------------------------------------------------------------------


async def validate_authorization(deps: AuthDeps, request: AuthorizationRequest) -> CheckedAuthorization:
    async with deps.engine.connect() as connection:
        client = await find_client(connection, request.client_id)
    return check_authorization(client, request)


async def issue_code(deps: AuthDeps, request: AuthorizationRequest, session_token: str) -> IssuedCode:
    code = new_secret()
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        checked = check_authorization(await find_client(connection, request.client_id), request)
        tenant_id = checked.client.tenant_id
        member_id = await session_member(connection, session_token, tenant_id=tenant_id, now=now)
        if member_id is None:
            raise DomainError(ErrorKind.UNAUTHENTICATED, "INVALID_TOKEN", "member session invalid or expired")
        if await account_is_locked(connection, tenant_id=tenant_id, member_id=member_id, now=now):
            raise DomainError(ErrorKind.PERMISSION_DENIED, "ACCOUNT_LOCKED", "this account is locked")
        expires_at = now + dt.timedelta(seconds=deps.settings.authorization_code_ttl_s)
        await connection.execute(
            insert(authorization_codes).values(
                code_hash=hash_secret(code),
                tenant_id=tenant_id,
                client_id=checked.client.client_id,
                member_id=member_id,
                redirect_uri=request.redirect_uri,
                scopes_json=dumps(checked.scopes),
                channel=request.channel,
                transaction_id=request.transaction_id,
                code_challenge=checked.code_challenge,
                created_at=now,
                expires_at=expires_at,
            )
        )
    return IssuedCode(code, expires_at, checked.scopes, redirect_url(request, code, checked.scopes))


def redirect_url(request: AuthorizationRequest, code: str, scopes: list[str]) -> str:
    query = urlencode(
        {
            "code": code,
            "scope": " ".join(scopes),
            "transaction_id": request.transaction_id,
            "state": request.state,
        }
    )
    separator = "&" if "?" in request.redirect_uri else "?"
    return f"{request.redirect_uri}{separator}{query}"


# --- client authentication ----------------------------------------------------------------------


def authenticate_partner(client: PartnerClient | None, secret: str, now: dt.datetime) -> PartnerClient:
    """A confidential client proves itself with its secret; a public client must send none."""
    if client is None or client.state != ACTIVE:
        raise unauthorized_client()
    if client.is_public:
        if secret:
            raise unauthorized_client("a public client has no secret")
        return client
    if not client.secret_is_valid(secret, now):
        raise unauthorized_client()
    return client


# --- the token endpoint -------------------------------------------------------------------------


async def exchange_token(deps: AuthDeps, request: TokenRequest) -> Tokens:
    if request.grant_type == AUTHORIZATION_CODE:
        return await _exchange_code(deps, request)
    if request.grant_type == REFRESH_TOKEN:
        return await _refresh(deps, request)
    if request.grant_type == CLIENT_CREDENTIALS:
        return await _client_credentials(deps, request)
    raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_GRANT_TYPE", "unsupported grant_type")


async def _exchange_code(deps: AuthDeps, request: TokenRequest) -> Tokens:
    if not request.code:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_REQUEST", "code is required")
    settings = deps.settings
    refresh_token = new_secret()
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        client = authenticate_partner(
            await find_client(connection, request.client_id), request.client_secret, now
        )
        query = select(authorization_codes).where(
            authorization_codes.c.code_hash == hash_secret(request.code)
        )
        code = (await connection.execute(query)).mappings().first()
        if code is None or code["client_id"] != client.client_id:
            raise invalid_code("unknown authorization code")
        reuse = code["used_at"] is not None
        if not reuse:
            _check_code(code, request, now)
            claimed = await connection.execute(
                update(authorization_codes)
                .where(
                    authorization_codes.c.code_hash == code["code_hash"],
                    authorization_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            reuse = claimed.rowcount == 0  # a concurrent exchange won the race
        if reuse:
            await _revoke_code_grant(deps, connection, code["grant_id"])
        else:
            refresh_expires_at = now + dt.timedelta(seconds=settings.refresh_token_ttl_s)
            grant = await grants.create_grant(
                connection,
                deps.clock,
                tenant_id=client.tenant_id,
                client_id=client.client_id,
                client_name=client.name,
                member_id=code["member_id"],
                scopes=loads(code["scopes_json"]),
                channel=code["channel"],
                transaction_id=code["transaction_id"],
                refresh_expires_at=refresh_expires_at,
            )
            if deps.on_partner_connected is not None:
                await deps.on_partner_connected(connection, grant)
            await connection.execute(
                update(authorization_codes)
                .where(authorization_codes.c.code_hash == code["code_hash"])
                .values(grant_id=grant.grant_id)
            )
            await _store_refresh_token(connection, grant, refresh_token, now, refresh_expires_at)
            tenant_code = await tenant_code_of(connection, client.tenant_id)
    if reuse:  # raised after the commit, so the revocation stays
        raise invalid_code("authorization code already used; its tokens are revoked")
    return _member_tokens(deps, grant, grant.scopes, tenant_code, refresh_token, now)


def _check_code(code: object, request: TokenRequest, now: dt.datetime) -> None:
    mapping = code  # a RowMapping
    if now >= mapping["expires_at"]:  # type: ignore[index]
        raise invalid_code("authorization code expired")
    if request.redirect_uri != mapping["redirect_uri"]:  # type: ignore[index]
        raise invalid_code("redirect_uri differs from the authorization request's")
    check_verifier(mapping["code_challenge"], request.code_verifier)  # type: ignore[index]


async def _revoke_code_grant(deps: AuthDeps, connection: AsyncConnection, grant_id: str | None) -> None:
    if grant_id is None:
        return
    grant = await grants.find_grant(connection, grant_id)
    if grant is not None:
        await grants.revoke_grant(connection, deps.clock, grant, grants.CODE_REUSED)


async def _store_refresh_token(
    connection: AsyncConnection, grant: grants.Grant, token: str, now: dt.datetime, expires_at: dt.datetime
) -> None:
    await connection.execute(
        insert(refresh_tokens).values(
            token_hash=hash_secret(token),
            tenant_id=grant.tenant_id,
            grant_id=grant.grant_id,
            created_at=now,
            expires_at=expires_at,
        )
    )


def _member_tokens(
    deps: AuthDeps,
    grant: grants.Grant,
    scopes: list[str],
    tenant_code: str,
    refresh_token: str,
    now: dt.datetime,
) -> Tokens:
    claims = AccessClaims(
        subject=f"member:{grant.member_id}",
        tenant_id=grant.tenant_id,
        tenant_code=tenant_code,
        role=Role.PARTNER,
        client_id=grant.client_id,
        scopes=tuple(scopes),
        member_id=grant.member_id,
        grant_id=grant.grant_id,
    )
    access = deps.issuer.issue(claims, now=now, ttl_s=deps.settings.access_token_ttl_s)
    return Tokens(
        access=access,
        scopes=scopes,
        refresh_token=refresh_token,
        refresh_expires_at=grant.refresh_expires_at,
        grant_id=grant.grant_id,
        member_id=grant.member_id,
    )


async def _refresh(deps: AuthDeps, request: TokenRequest) -> Tokens:
    if not request.refresh_token:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_REQUEST", "refresh_token is required")
    new_token = new_secret()
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        client = authenticate_partner(
            await find_client(connection, request.client_id), request.client_secret, now
        )
        query = select(refresh_tokens).where(
            refresh_tokens.c.token_hash == hash_secret(request.refresh_token)
        )
        stored = (await connection.execute(query)).mappings().first()
        grant = await grants.find_grant(connection, stored["grant_id"]) if stored else None
        if stored is None or grant is None or grant.client_id != client.client_id:
            raise invalid_refresh_token()
        reuse = stored["used_at"] is not None
        if not reuse:
            if grant.state != grants.ACTIVE or now >= stored["expires_at"]:
                raise invalid_refresh_token()
            if request.redirect_uri and request.redirect_uri not in client.redirect_uris:
                raise DomainError(
                    ErrorKind.INVALID_ARGUMENT, "REDIRECT_URI_MISMATCH", "redirect_uri is not registered"
                )
            # Never wider than the grant, nor than what the client may still ask for today.
            allowed = [scope for scope in grant.scopes if scope in client.scopes]
            scopes = granted_scopes(parse_scope(request.scope) or allowed, allowed)
            claimed = await connection.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.token_hash == stored["token_hash"], refresh_tokens.c.used_at.is_(None)
                )
                .values(used_at=now)
            )
            reuse = claimed.rowcount == 0
        if reuse:
            await grants.revoke_grant(connection, deps.clock, grant, grants.REFRESH_TOKEN_REUSED)
        else:
            expires_at = now + dt.timedelta(seconds=deps.settings.refresh_token_ttl_s)
            await grants.mark_refreshed(connection, grant, now=now, refresh_expires_at=expires_at)
            grant = await grants.get_grant(connection, grant.grant_id, tenant_id=grant.tenant_id)
            await _store_refresh_token(connection, grant, new_token, now, expires_at)
            tenant_code = await tenant_code_of(connection, grant.tenant_id)
    if reuse:
        raise DomainError(
            ErrorKind.UNAUTHENTICATED,
            "REFRESH_TOKEN_REUSED",
            "refresh token used twice; the grant is revoked",
        )
    return _member_tokens(deps, grant, scopes, tenant_code, new_token, now)


async def _client_credentials(deps: AuthDeps, request: TokenRequest) -> Tokens:
    async with deps.engine.connect() as connection:
        now = deps.clock.now()
        account = await find_account_by_client_id(connection, request.client_id)
        if account is not None:
            if account.state != ACTIVE or not account.secret_is_valid(request.client_secret, now):
                raise unauthorized_client()
            requested = parse_scope(request.scope) or account.effective_scopes
            scopes = granted_scopes(requested, account.effective_scopes)
            claims = AccessClaims(
                subject=account.service_account_id,
                tenant_id=account.tenant_id,
                tenant_code=await tenant_code_of(connection, account.tenant_id),
                role=account.role,
                client_id=account.client_id,
                scopes=tuple(scopes),
                cross_tenant=account.cross_tenant,
            )
            ttl_s = account.token_ttl_s
        else:
            client = await find_client(connection, request.client_id)
            if client is not None and client.is_public:
                raise unauthorized_client("a public client cannot use client_credentials")
            client = authenticate_partner(client, request.client_secret, now)
            scopes = granted_scopes(parse_scope(request.scope) or client.scopes, client.scopes)
            claims = AccessClaims(
                subject=client.client_id,
                tenant_id=client.tenant_id,
                tenant_code=await tenant_code_of(connection, client.tenant_id),
                role=Role.PARTNER,
                client_id=client.client_id,
                scopes=tuple(scopes),
            )
            ttl_s = TOKEN_TTL_DEFAULT_S
    return Tokens(access=deps.issuer.issue(claims, now=now, ttl_s=ttl_s), scopes=scopes)


# --- revocation (RFC 7009) ----------------------------------------------------------------------


async def revoke_token(deps: AuthDeps, *, client_id: str, client_secret: str, token: str) -> None:
    """Revokes the grant behind an access or refresh token. Unknown or expired tokens: success."""
    async with write_transaction(deps.engine) as connection:
        now = deps.clock.now()
        client = authenticate_partner(await find_client(connection, client_id), client_secret, now)
        grant_id = await _grant_of_token(deps, connection, token, now)
        if grant_id is None:
            return
        grant = await grants.find_grant(connection, grant_id)
        if grant is None:
            return
        if grant.client_id != client.client_id:
            raise unauthorized_client("the token was issued to another client")
        await grants.revoke_grant(connection, deps.clock, grant, grants.CLIENT_REVOKED)


async def _grant_of_token(
    deps: AuthDeps, connection: AsyncConnection, token: str, now: dt.datetime
) -> str | None:
    if not token:
        return None
    query = select(refresh_tokens.c.grant_id).where(refresh_tokens.c.token_hash == hash_secret(token))
    grant_id = (await connection.execute(query)).scalar_one_or_none()
    if grant_id is not None:
        return grant_id
    try:
        return deps.issuer.verify(token, now=now).grant_id
    except DomainError:
        return None  # not a token of ours, or expired: nothing to revoke
