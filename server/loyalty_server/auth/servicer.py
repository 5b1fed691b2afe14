"""AuthService over gRPC: protos in, domain calls, protos out. Failures are DomainErrors (the call
interceptor maps them); the OAuth calls' failures also carry the partner API's error code and the
request's transaction_id and state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from loyalty.v1 import auth_pb2, auth_pb2_grpc
from loyalty_server.auth import (
    accounts,
    admin,
    audit,
    clients,
    convert,
    grants,
    oauth,
    paging,
    service_accounts,
)
from loyalty_server.auth.authorization import AuthorizationRequest, check_echo_fields
from loyalty_server.auth.deps import AuthDeps, tenant_code_of
from loyalty_server.auth.keys import KeyStore
from loyalty_server.auth.seed_errors import with_seed_fields
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.logs import request_id_var
from loyalty_server.principal import Principal, current_principal
from loyalty_server.request_text import check_request_strings
from loyalty_server.requests import check_request_id, page_size

T = TypeVar("T")
USER_AGENT_HEADER = "user-agent"


def _authorization_request(parameters: auth_pb2.AuthorizationParameters) -> AuthorizationRequest:
    return AuthorizationRequest(
        client_id=parameters.client_id,
        response_type=parameters.response_type,
        scope=parameters.scope,
        redirect_uri=parameters.redirect_uri,
        channel=int(parameters.channel),
        transaction_id=parameters.transaction_id,
        state=parameters.state,
        code_challenge=parameters.code_challenge,
        code_challenge_method=parameters.code_challenge_method,
    )


async def _seed_errors(work: Awaitable[T], *, transaction_id: str = "", state: str = "") -> T:
    """Failures of the partner-facing calls carry the seed's error code and the echoed fields."""
    try:
        return await work
    except DomainError as error:
        raise with_seed_fields(error, transaction_id=transaction_id, state=state) from None


@check_request_strings(auth_pb2.DESCRIPTOR.services_by_name["AuthService"])
class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, deps: AuthDeps, keys: KeyStore) -> None:
        self.deps = deps
        self.keys = keys

    # --- helpers ------------------------------------------------------------------------------------

    def _actor(
        self, context: grpc.aio.ServicerContext, request_id: str = ""
    ) -> tuple[Principal, audit.Actor]:
        principal = current_principal()
        metadata = dict(
            (key, value) for key, value in context.invocation_metadata() or () if isinstance(value, str)
        )
        who = audit.Actor.of(
            principal,
            remote_address=context.peer() or "",
            user_agent=metadata.get(USER_AGENT_HEADER, ""),
            request_id=request_id or request_id_var.get() or "",
        )
        return principal, who

    async def _read(self, work: Callable[[Any], Awaitable[T]]) -> T:
        async with self.deps.engine.connect() as connection:
            return await work(connection)

    # --- partner clients ----------------------------------------------------------------------------

    async def CreatePartnerClient(self, request: auth_pb2.CreatePartnerClientRequest, context: Any) -> Any:
        principal, who = self._actor(context, request.request_id)
        given = request.partner_client
        spec = clients.ClientSpec(
            name=given.name,
            description=given.description,
            client_type=_client_type(given.client_type),
            redirect_uris=list(given.redirect_uris),
            scopes=list(given.scopes),
        )
        client, secret = await admin.create_partner_client(self.deps, who, spec, request.request_id)
        return auth_pb2.CreatePartnerClientResponse(
            partner_client=convert.partner_client(client, principal.tenant_code), client_secret=secret
        )

    async def GetPartnerClient(self, request: auth_pb2.GetPartnerClientRequest, context: Any) -> Any:
        principal = current_principal()
        client = await self._read(
            lambda c: clients.get_client(c, request.client_id, tenant_id=principal.tenant_id)
        )
        return auth_pb2.GetPartnerClientResponse(
            partner_client=convert.partner_client(client, principal.tenant_code)
        )

    async def ListPartnerClients(self, request: auth_pb2.ListPartnerClientsRequest, context: Any) -> Any:
        principal = current_principal()
        limit = page_size(request.page_size)
        after = paging.decode(request.page_token, length=2)
        state = convert.CREDENTIAL_STATE_OF.get(request.state)
        found = await self._read(
            lambda c: clients.list_clients(
                c,
                tenant_id=principal.tenant_id,
                state=state,
                after=tuple(after) if after else None,
                limit=limit + 1,
            )
        )
        page = found[:limit]
        next_token = paging.encode([page[-1].name, page[-1].client_id]) if len(found) > limit else ""
        return auth_pb2.ListPartnerClientsResponse(
            partner_clients=[convert.partner_client(c, principal.tenant_code) for c in page],
            next_page_token=next_token,
        )

    async def UpdatePartnerClient(self, request: auth_pb2.UpdatePartnerClientRequest, context: Any) -> Any:
        principal, who = self._actor(context, request.request_id)
        given = request.partner_client
        allowed = {"name", "description", "redirect_uris", "scopes"}
        paths = list(request.update_mask.paths)
        if not paths or any(path not in allowed for path in paths):
            raise invalid_argument(
                "INVALID_REQUEST",
                "update_mask: name, description, redirect_uris, scopes",
                FieldViolation("update_mask", "name, description, redirect_uris or scopes"),
            )
        changes: dict[str, object] = {}
        for path in paths:
            value = getattr(given, path)
            changes[path] = list(value) if path in ("redirect_uris", "scopes") else value
        if given.etag:
            current = await self._read(
                lambda c: clients.get_client(c, given.client_id, tenant_id=principal.tenant_id)
            )
            if convert.partner_client(current, "").etag != given.etag:
                raise DomainError(ErrorKind.ABORTED, "ETAG_MISMATCH", "the client changed since it was read")
        client = await admin.update_partner_client(
            self.deps, who, given.client_id, changes, request.request_id
        )
        return auth_pb2.UpdatePartnerClientResponse(
            partner_client=convert.partner_client(client, principal.tenant_code)
        )

    async def RotatePartnerClientSecret(
        self, request: auth_pb2.RotatePartnerClientSecretRequest, context: Any
    ) -> Any:
        principal, who = self._actor(context, request.request_id)
        client, rotated = await admin.rotate_partner_secret(
            self.deps, who, request.client_id, request.previous_secret_ttl_seconds, request.request_id
        )
        return auth_pb2.RotatePartnerClientSecretResponse(
            partner_client=convert.partner_client(client, principal.tenant_code),
            client_secret=rotated.secret,
            previous_secret_expire_time=convert.timestamp(rotated.previous_expires_at),
        )

    async def DisablePartnerClient(self, request: auth_pb2.DisablePartnerClientRequest, context: Any) -> Any:
        principal, who = self._actor(context, request.request_id)
        client, revoked = await admin.disable_partner_client(
            self.deps, who, request.client_id, request.reason, request.keep_grants, request.request_id
        )
        return auth_pb2.DisablePartnerClientResponse(
            partner_client=convert.partner_client(client, principal.tenant_code), grants_revoked=revoked
        )

    # --- the OAuth flow -----------------------------------------------------------------------------

    async def ValidateAuthorization(
        self, request: auth_pb2.ValidateAuthorizationRequest, context: Any
    ) -> Any:
        params = _authorization_request(request.parameters)
        checked = await _seed_errors(
            oauth.validate_authorization(self.deps, params),
            transaction_id=params.transaction_id,
            state=params.state,
        )
        return auth_pb2.ValidateAuthorizationResponse(
            client_name=checked.client.name,
            scopes=checked.scopes,
            scope_descriptions=checked.scope_descriptions,
        )

    async def IssueAuthorizationCode(
        self, request: auth_pb2.IssueAuthorizationCodeRequest, context: Any
    ) -> Any:
        params = _authorization_request(request.parameters)
        issued = await _seed_errors(
            oauth.issue_code(self.deps, params, request.member_session_token),
            transaction_id=params.transaction_id,
            state=params.state,
        )
        return auth_pb2.IssueAuthorizationCodeResponse(
            code=issued.code,
            expire_time=convert.timestamp(issued.expires_at),
            scope=" ".join(issued.scopes),
            transaction_id=params.transaction_id,
            state=params.state,
            redirect_url=issued.redirect_url,
        )

    async def ExchangeToken(self, request: auth_pb2.ExchangeTokenRequest, context: Any) -> Any:
        token_request = oauth.TokenRequest(
            grant_type=convert.GRANT_TYPES.get(request.grant_type, ""),
            client_id=request.client_id,
            client_secret=request.client_secret,
            code=request.code,
            redirect_uri=request.redirect_uri,
            code_verifier=request.code_verifier,
            refresh_token=request.refresh_token,
            scope=request.scope,
        )

        async def exchange() -> oauth.Tokens:
            check_echo_fields(request.transaction_id, request.state)
            return await oauth.exchange_token(self.deps, token_request)

        tokens = await _seed_errors(exchange(), transaction_id=request.transaction_id, state=request.state)
        now = self.deps.clock.now()
        return auth_pb2.ExchangeTokenResponse(
            access_token=tokens.access.token,
            token_type="BEARER",  # noqa: S106 (the seed's token type name)
            scope=" ".join(tokens.scopes),
            access_token_expires_in=convert.seed_time(tokens.access.expires_at),
            refresh_token_expires_in=convert.seed_time(tokens.refresh_expires_at),
            refresh_token=tokens.refresh_token,
            transaction_id=request.transaction_id,
            state=request.state,
            expires_in_seconds=max(0, int((tokens.access.expires_at - now).total_seconds())),
            access_token_expire_time=convert.timestamp(tokens.access.expires_at),
            refresh_token_expire_time=convert.timestamp(tokens.refresh_expires_at),
            grant_id=tokens.grant_id,
            member_id=tokens.member_id,
        )

    async def RevokeToken(self, request: auth_pb2.RevokeTokenRequest, context: Any) -> Any:
        async def revoke() -> None:
            check_echo_fields(request.transaction_id, "")
            if not request.token:
                raise invalid_argument(
                    "INVALID_REQUEST", "token is required", FieldViolation("token", "required")
                )
            await oauth.revoke_token(
                self.deps,
                client_id=request.client_id,
                client_secret=request.client_secret,
                token=request.token,
            )

        await _seed_errors(revoke(), transaction_id=request.transaction_id)
        return auth_pb2.RevokeTokenResponse(status="success", transaction_id=request.transaction_id)

    # --- signing keys -------------------------------------------------------------------------------

    async def GetJwks(self, request: auth_pb2.GetJwksRequest, context: Any) -> Any:
        keys = self.keys.published(self.deps.clock.now())
        return auth_pb2.GetJwksResponse(keys=[auth_pb2.Jwk(**key.jwk()) for key in keys])

    async def ListSigningKeys(self, request: auth_pb2.ListSigningKeysRequest, context: Any) -> Any:
        limit = page_size(request.page_size)
        start = int((paging.decode(request.page_token, length=1) or [0])[0])
        now, window_s = self.deps.clock.now(), self.keys.verify_window_s
        keys = self.keys.all_keys()
        page = keys[start : start + limit]
        next_token = paging.encode([start + limit]) if start + limit < len(keys) else ""
        return auth_pb2.ListSigningKeysResponse(
            signing_keys=[convert.signing_key(key, now, window_s) for key in page], next_page_token=next_token
        )

    async def RotateSigningKey(self, request: auth_pb2.RotateSigningKeyRequest, context: Any) -> Any:
        _principal, who = self._actor(context, request.request_id)
        algorithm = convert.ALGORITHM_OF.get(request.algorithm, self.deps.settings.signing_algorithm)
        new, previous = await admin.rotate_signing_key(
            self.deps, who, self.keys, algorithm, request.request_id
        )
        now, window_s = self.deps.clock.now(), self.keys.verify_window_s
        return auth_pb2.RotateSigningKeyResponse(
            signing_key=convert.signing_key(new, now, window_s),
            previous_signing_key=convert.signing_key(previous, now, window_s),
        )

    # --- members ------------------------------------------------------------------------------------

    async def RegisterMember(self, request: auth_pb2.RegisterMemberRequest, context: Any) -> Any:
        registration = accounts.Registration(
            email=request.email,
            password=request.password,
            client_id=request.client_id,
            given_name=request.given_name,
            family_name=request.family_name,
            phone=request.phone,
            time_zone=request.time_zone,
            remote_address=request.context.remote_address,
            request_id=request.request_id,
        )

        async def register() -> Any:
            check_request_id(request.request_id)
            return await accounts.register(self.deps, registration)

        member, session = await _seed_errors(register())
        tenant_code = await self._read(lambda c: tenant_code_of(c, member.tenant_id))
        reply = auth_pb2.RegisterMemberResponse(member=convert.member(member, tenant_code))
        if session is not None:  # None on a replay: a request id is no proof of the password
            reply.member_session_token = session.token
            reply.session_expire_time.CopyFrom(convert.timestamp(session.expires_at))
        return reply

    async def LoginMember(self, request: auth_pb2.LoginMemberRequest, context: Any) -> Any:
        session = await _seed_errors(
            accounts.login(
                self.deps,
                email=request.email,
                password=request.password,
                client_id=request.client_id,
                remote_address=request.context.remote_address,
            )
        )
        return auth_pb2.LoginMemberResponse(
            member_id=session.member_id,
            member_session_token=session.token,
            session_expire_time=convert.timestamp(session.expires_at),
        )

    async def GetMemberAccount(self, request: auth_pb2.GetMemberAccountRequest, context: Any) -> Any:
        principal = current_principal()
        account = await self._read(
            lambda c: accounts.get_account(c, tenant_id=principal.tenant_id, member_id=request.member_id)
        )
        return auth_pb2.GetMemberAccountResponse(
            account=convert.member_account(account, self.deps.clock.now())
        )

    async def ResetMemberPassword(self, request: auth_pb2.ResetMemberPasswordRequest, context: Any) -> Any:
        _principal, who = self._actor(context, request.request_id)
        account = await admin.reset_member_password(
            self.deps, who, request.member_id, request.new_password, request.reason, request.request_id
        )
        return auth_pb2.ResetMemberPasswordResponse(
            account=convert.member_account(account, self.deps.clock.now())
        )

    async def LockMemberAccount(self, request: auth_pb2.LockMemberAccountRequest, context: Any) -> Any:
        _principal, who = self._actor(context, request.request_id)
        until = request.lock_expire_time.ToDatetime(dt.UTC) if request.HasField("lock_expire_time") else None
        account = await admin.lock_member_account(
            self.deps, who, request.member_id, request.reason, until, request.request_id
        )
        return auth_pb2.LockMemberAccountResponse(
            account=convert.member_account(account, self.deps.clock.now())
        )

    async def UnlockMemberAccount(self, request: auth_pb2.UnlockMemberAccountRequest, context: Any) -> Any:
        _principal, who = self._actor(context, request.request_id)
        account = await admin.unlock_member_account(
            self.deps, who, request.member_id, request.reason, request.request_id
        )
        return auth_pb2.UnlockMemberAccountResponse(
            account=convert.member_account(account, self.deps.clock.now())
        )

    # --- service accounts ---------------------------------------------------------------------------

    async def CreateServiceAccount(self, request: auth_pb2.CreateServiceAccountRequest, context: Any) -> Any:
        principal, who = self._actor(context, request.request_id)
        given = request.service_account
        spec = service_accounts.AccountSpec(
            name=given.name,
            description=given.description,
            role=convert.ROLE_OF.get(given.role),
            scopes=list(given.scopes),
            cross_tenant=given.cross_tenant,
            token_ttl_s=given.token_ttl_seconds,
        )
        account, secret = await admin.create_service_account(
            self.deps, who, spec, request.request_id, caller_cross_tenant=principal.cross_tenant
        )
        return auth_pb2.CreateServiceAccountResponse(
            service_account=convert.service_account(account, principal.tenant_code), client_secret=secret
        )

    async def GetServiceAccount(self, request: auth_pb2.GetServiceAccountRequest, context: Any) -> Any:
        principal = current_principal()
        account = await self._read(
            lambda c: service_accounts.get_account(
                c, request.service_account_id, tenant_id=principal.tenant_id
            )
        )
        return auth_pb2.GetServiceAccountResponse(
            service_account=convert.service_account(account, principal.tenant_code)
        )

    async def ListServiceAccounts(self, request: auth_pb2.ListServiceAccountsRequest, context: Any) -> Any:
        principal = current_principal()
        limit = page_size(request.page_size)
        after = paging.decode(request.page_token, length=2)
        found = await self._read(
            lambda c: service_accounts.list_accounts(
                c,
                tenant_id=principal.tenant_id,
                role=convert.ROLE_OF.get(request.role),
                state=convert.CREDENTIAL_STATE_OF.get(request.state),
                after=tuple(after) if after else None,
                limit=limit + 1,
            )
        )
        page = found[:limit]
        next_token = paging.encode([page[-1].name, page[-1].service_account_id]) if len(found) > limit else ""
        return auth_pb2.ListServiceAccountsResponse(
            service_accounts=[convert.service_account(a, principal.tenant_code) for a in page],
            next_page_token=next_token,
        )

    async def RotateServiceAccountSecret(
        self, request: auth_pb2.RotateServiceAccountSecretRequest, context: Any
    ) -> Any:
        principal, who = self._actor(context, request.request_id)
        account, rotated = await admin.rotate_service_secret(
            self.deps,
            who,
            request.service_account_id,
            request.previous_secret_ttl_seconds,
            request.request_id,
        )
        return auth_pb2.RotateServiceAccountSecretResponse(
            service_account=convert.service_account(account, principal.tenant_code),
            client_secret=rotated.secret,
            previous_secret_expire_time=convert.timestamp(rotated.previous_expires_at),
        )

    async def DisableServiceAccount(
        self, request: auth_pb2.DisableServiceAccountRequest, context: Any
    ) -> Any:
        principal, who = self._actor(context, request.request_id)
        account = await admin.disable_service_account(
            self.deps, who, request.service_account_id, request.reason, request.request_id
        )
        return auth_pb2.DisableServiceAccountResponse(
            service_account=convert.service_account(account, principal.tenant_code)
        )

    # --- grants -------------------------------------------------------------------------------------

    async def ListGrants(self, request: auth_pb2.ListGrantsRequest, context: Any) -> Any:
        principal = current_principal()
        limit = page_size(request.page_size)
        after = paging.decode(request.page_token, length=2)
        now = self.deps.clock.now()

        async def read(connection: Any) -> tuple[list[grants.Grant], dict[str, str]]:
            found = await grants.list_grants(
                connection,
                tenant_id=principal.tenant_id,
                member_id=request.member_id,
                client_id=request.client_id,
                state=convert.GRANT_STATE_OF.get(request.state),
                now=now,
                after=tuple(after) if after else None,
                limit=limit + 1,
            )
            names = {}
            for client_id in {g.client_id for g in found}:
                client = await clients.find_client(connection, client_id)
                names[client_id] = client.name if client else ""
            return found, names

        found, names = await self._read(read)
        page = found[:limit]
        next_token = (
            paging.encode([page[-1].created_at.isoformat(), page[-1].grant_id]) if len(found) > limit else ""
        )
        return auth_pb2.ListGrantsResponse(
            grants=[convert.grant(g, names[g.client_id], now) for g in page], next_page_token=next_token
        )

    async def DeactivateGrant(self, request: auth_pb2.DeactivateGrantRequest, context: Any) -> Any:
        _principal, who = self._actor(context, request.request_id)
        grant = await admin.deactivate_grant(
            self.deps, who, request.grant_id, request.reason, request.request_id
        )
        name = await self._read(lambda c: clients.find_client(c, grant.client_id))
        return auth_pb2.DeactivateGrantResponse(
            grant=convert.grant(grant, name.name if name else "", self.deps.clock.now())
        )

    # --- audit --------------------------------------------------------------------------------------

    async def ListAuditLogEntries(self, request: auth_pb2.ListAuditLogEntriesRequest, context: Any) -> Any:
        principal = current_principal()
        limit = page_size(request.page_size)
        before = paging.decode(request.page_token, length=1)
        where = audit.AuditFilter(
            actor=request.actor,
            action=request.action,
            target_type=request.target_type,
            target_id=request.target_id,
            start_time=request.start_time.ToDatetime(dt.UTC) if request.HasField("start_time") else None,
            end_time=request.end_time.ToDatetime(dt.UTC) if request.HasField("end_time") else None,
        )
        found = await self._read(
            lambda c: audit.list_entries(
                c,
                tenant_id=principal.tenant_id,
                where=where,
                before_id=int(before[0]) if before else None,
                limit=limit + 1,
            )
        )
        page = found[:limit]
        next_token = paging.encode([page[-1].entry_id]) if len(found) > limit else ""
        return auth_pb2.ListAuditLogEntriesResponse(
            entries=[convert.audit_entry(e, principal.tenant_code) for e in page], next_page_token=next_token
        )


def _client_type(value: int) -> str:
    if value == auth_pb2.CLIENT_TYPE_PUBLIC:
        return clients.PUBLIC
    if value == auth_pb2.CLIENT_TYPE_CONFIDENTIAL:
        return clients.CONFIDENTIAL
    return ""
