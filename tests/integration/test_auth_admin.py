"""Member logins and their throttling, admin care, service accounts, secrets, signing keys, tenants and
the audit log, over gRPC on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import stat
import uuid

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2, status_pb2

from loyalty.v1 import auth_pb2, ledger_pb2, ledger_pb2_grpc
from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.principal import Role
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import loyalty_services
from loyalty_server.tenancy import create_tenant
from tests.integration.test_auth_flow import NOW, PASSWORD, REDIRECT, Flow, fails, probe_service
from tests.support import bearer, make_settings, service_token


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    settings = make_settings(
        tmp_path,
        database_url,
        login_failures_per_account_max=3,
        login_failures_per_address_max=5,
        login_failure_window_s=600,
    )
    server = LoyaltyServer(settings, clock=clock, services=[*loyalty_services(), probe_service()])
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def flow(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield await Flow(server, channel).setup()


def login(
    flow: Flow, client_id: str, password: str, *, email: str = "ann@example.com", address: str = "203.0.113.7"
):
    return flow.stub.LoginMember(
        auth_pb2.LoginMemberRequest(
            email=email,
            password=password,
            client_id=client_id,
            context=auth_pb2.ClientContext(remote_address=address),
        ),
        metadata=flow.gateway,
    )


def retry_after_s(error: grpc.aio.AioRpcError) -> int:
    status = status_pb2.Status.FromString(dict(error.trailing_metadata() or ())["grpc-status-details-bin"])
    for detail in status.details:
        retry = error_details_pb2.RetryInfo()
        if detail.Unpack(retry):
            return retry.retry_delay.seconds
    raise AssertionError("no RetryInfo")


# --- members --------------------------------------------------------------------------------------


async def test_login_and_the_same_answer_for_a_wrong_password_or_an_unknown_email(flow) -> None:
    client_id, _secret = await flow.partner()
    registered = await flow.register(client_id)
    reply = await login(flow, client_id, PASSWORD, email="ANN@example.com")
    assert reply.member_id == registered.member.member_id
    assert reply.session_expire_time.ToDatetime(dt.UTC) == NOW + dt.timedelta(minutes=15)
    await fails(
        login(flow, client_id, "wrong password!"), grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS"
    )
    await fails(
        login(flow, client_id, PASSWORD, email="nobody@example.com"),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )


async def test_weak_passwords_and_taken_emails_are_refused(flow) -> None:
    client_id, _secret = await flow.partner()
    for weak in ("short", "password123", "aaaaaaaaaaaa"):
        request = auth_pb2.RegisterMemberRequest(
            email="x@example.com", password=weak, client_id=client_id, request_id=uuid.uuid4().hex
        )
        info = await fails(
            flow.stub.RegisterMember(request, metadata=flow.gateway),
            grpc.StatusCode.INVALID_ARGUMENT,
            "PASSWORD_TOO_WEAK",
        )
        assert info.metadata["error_code"] == "1001"
    await flow.register(client_id)
    await fails(
        flow.register(client_id, email="Ann@Example.com"), grpc.StatusCode.ALREADY_EXISTS, "EMAIL_TAKEN"
    )


async def test_failed_logins_are_throttled_per_account(flow, clock) -> None:
    client_id, _secret = await flow.partner()
    await flow.register(client_id)
    for attempt in range(3):
        await fails(
            login(flow, client_id, "wrong password!", address=f"198.51.100.{attempt}"),
            grpc.StatusCode.UNAUTHENTICATED,
            "INVALID_CREDENTIALS",
        )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await login(flow, client_id, PASSWORD, address="198.51.100.99")  # even the right password
    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 0 < retry_after_s(raised.value) <= 600
    clock.advance(dt.timedelta(seconds=601))
    assert (await login(flow, client_id, PASSWORD)).member_session_token


async def test_failed_logins_are_throttled_per_address(flow) -> None:
    client_id, _secret = await flow.partner()
    await flow.register(client_id)
    for index in range(5):  # different (unknown) accounts, one address
        await fails(
            login(flow, client_id, PASSWORD, email=f"guess{index}@example.com"),
            grpc.StatusCode.UNAUTHENTICATED,
            "INVALID_CREDENTIALS",
        )
    await fails(login(flow, client_id, PASSWORD), grpc.StatusCode.RESOURCE_EXHAUSTED, "LOGIN_THROTTLED")
    assert (await login(flow, client_id, PASSWORD, address="192.0.2.1")).member_session_token


async def test_lock_unlock_and_reset_password(flow) -> None:
    client_id, _secret = await flow.partner()
    registered = await flow.register(client_id)
    member_id = registered.member.member_id
    locked = await flow.stub.LockMemberAccount(
        auth_pb2.LockMemberAccountRequest(member_id=member_id, reason="fraud check", request_id="lock-1"),
        metadata=flow.admin,
    )
    assert locked.account.locked
    await fails(login(flow, client_id, PASSWORD), grpc.StatusCode.PERMISSION_DENIED, "ACCOUNT_LOCKED")
    # The session opened at registration ended with the lock.
    await fails(
        flow.code(client_id, registered.member_session_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_TOKEN",
    )
    await flow.stub.UnlockMemberAccount(
        auth_pb2.UnlockMemberAccountRequest(member_id=member_id, request_id="unlock-1"), metadata=flow.admin
    )
    assert (await login(flow, client_id, PASSWORD)).member_id == member_id

    await fails(
        flow.stub.ResetMemberPassword(
            auth_pb2.ResetMemberPasswordRequest(
                member_id=member_id, new_password="1234567890", request_id="reset-0"
            ),
            metadata=flow.admin,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PASSWORD_TOO_WEAK",
    )
    await flow.stub.ResetMemberPassword(
        auth_pb2.ResetMemberPasswordRequest(
            member_id=member_id, new_password="a new long passphrase", request_id="reset-1"
        ),
        metadata=flow.admin,
    )
    await fails(login(flow, client_id, PASSWORD), grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    assert (await login(flow, client_id, "a new long passphrase")).member_id == member_id
    account = await flow.stub.GetMemberAccount(
        auth_pb2.GetMemberAccountRequest(member_id=member_id), metadata=flow.admin
    )
    assert not account.account.locked
    assert account.account.failed_login_count == 0


# --- service accounts and secrets -----------------------------------------------------------------


async def _client_credentials(
    flow: Flow, client_id: str, secret: str, scope: str = ""
) -> auth_pb2.ExchangeTokenResponse:
    return await flow.stub.ExchangeToken(
        auth_pb2.ExchangeTokenRequest(
            grant_type=auth_pb2.GRANT_TYPE_CLIENT_CREDENTIALS,
            client_id=client_id,
            client_secret=secret,
            scope=scope,
        )
    )


async def test_service_accounts_roles_scopes_and_disabling(flow) -> None:
    created = await flow.stub.CreateServiceAccount(
        auth_pb2.CreateServiceAccountRequest(
            service_account=auth_pb2.ServiceAccount(
                name="till 7", role=auth_pb2.ROLE_POS, scopes=["members:read"]
            ),
            request_id="sa-1",
        ),
        metadata=flow.admin,
    )
    account, secret = created.service_account, created.client_secret
    assert account.secret_hint == secret[-4:]
    tokens = await _client_credentials(flow, account.client_id, secret)
    assert tokens.scope == "members:read"
    assert tokens.refresh_token == ""
    assert tokens.expires_in_seconds == 3600
    await fails(
        _client_credentials(flow, account.client_id, secret, scope="points:write"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SCOPE",
    )
    await fails(
        _client_credentials(flow, account.client_id, secret + "x"),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )
    # A pos token passes authorization of a pos method (the ledger answers; auth let it through) ...
    ledger = ledger_pb2_grpc.LedgerServiceStub(flow.channel)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ledger.LookupMember(ledger_pb2.LookupMemberRequest(), metadata=bearer(tokens.access_token))
    assert raised.value.code() not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
    # ... but not an admin-only one.
    await fails(
        ledger.AdjustPoints(ledger_pb2.AdjustPointsRequest(), metadata=bearer(tokens.access_token)),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
    await flow.stub.DisableServiceAccount(
        auth_pb2.DisableServiceAccountRequest(
            service_account_id=account.service_account_id, reason="stolen", request_id="sa-2"
        ),
        metadata=flow.admin,
    )
    await fails(
        ledger.LookupMember(ledger_pb2.LookupMemberRequest(), metadata=bearer(tokens.access_token)),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_TOKEN",
    )


async def test_rotated_secrets_keep_the_previous_one_for_its_grace_period(flow, clock) -> None:
    client_id, old_secret = await flow.partner()
    rotated = await flow.stub.RotatePartnerClientSecret(
        auth_pb2.RotatePartnerClientSecretRequest(
            client_id=client_id, previous_secret_ttl_seconds=60, request_id="rot-1"
        ),
        metadata=flow.admin,
    )
    new_secret = rotated.client_secret
    assert new_secret
    assert new_secret != old_secret
    for secret in (old_secret, new_secret):
        assert (await _client_credentials(flow, client_id, secret)).access_token
    clock.advance(dt.timedelta(seconds=61))
    await fails(
        _client_credentials(flow, client_id, old_secret),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )
    assert (await _client_credentials(flow, client_id, new_secret)).access_token


async def test_create_is_idempotent_and_a_replay_shows_no_secret(flow) -> None:
    request = auth_pb2.CreatePartnerClientRequest(
        partner_client=auth_pb2.PartnerClient(
            name="Walker",
            client_type=auth_pb2.CLIENT_TYPE_CONFIDENTIAL,
            redirect_uris=["https://w.example/cb"],
            scopes=["steps"],
        ),
        request_id="create-walker",
    )
    first = await flow.stub.CreatePartnerClient(request, metadata=flow.admin)
    replay = await flow.stub.CreatePartnerClient(request, metadata=flow.admin)
    assert first.client_secret
    assert replay.client_secret == ""
    assert replay.partner_client.client_id == first.partner_client.client_id
    request.partner_client.name = "Runner"
    await fails(
        flow.stub.CreatePartnerClient(request, metadata=flow.admin),
        grpc.StatusCode.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
    )
    listed = await flow.stub.ListPartnerClients(auth_pb2.ListPartnerClientsRequest(), metadata=flow.admin)
    assert [c.name for c in listed.partner_clients] == ["Walker"]


@pytest.mark.parametrize(
    "uri",
    ["http://partner.example/cb", "https://partner.example/cb#frag", "/relative", "javascript:alert(1)"],
)
async def test_bad_redirect_uris_are_refused_at_registration(flow, uri) -> None:
    request = auth_pb2.CreatePartnerClientRequest(
        partner_client=auth_pb2.PartnerClient(
            name="Bad", client_type=auth_pb2.CLIENT_TYPE_CONFIDENTIAL, redirect_uris=[uri], scopes=["steps"]
        ),
        request_id=uuid.uuid4().hex,
    )
    await fails(
        flow.stub.CreatePartnerClient(request, metadata=flow.admin),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_REDIRECT_URI",
    )


# --- signing keys ---------------------------------------------------------------------------------


async def test_jwks_verifies_tokens_and_rotation_keeps_old_tokens_valid(flow, server, clock) -> None:
    _client_id, _secret, member_id, before = await flow.connected()
    jwks = await flow.stub.GetJwks(auth_pb2.GetJwksRequest())  # no credentials needed
    (key,) = jwks.keys
    assert (key.kty, key.crv, key.alg, key.use) == ("OKP", "Ed25519", "EdDSA", "sig")
    public = jwt.PyJWK({"kty": key.kty, "crv": key.crv, "x": key.x, "kid": key.kid, "alg": key.alg})
    claims = jwt.decode(
        before.access_token,
        public,
        algorithms=["EdDSA"],
        audience="urn:loyalty-engine:api",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == f"member:{member_id}"
    assert {"iss", "aud", "exp", "iat", "sub", "scope", "client_id", "jti"} <= set(claims)

    rotated = await flow.stub.RotateSigningKey(
        auth_pb2.RotateSigningKeyRequest(algorithm=auth_pb2.SIGNING_ALGORITHM_ES256, request_id="rotate-1"),
        metadata=flow.admin,
    )
    assert rotated.previous_signing_key.kid == key.kid
    assert rotated.previous_signing_key.state == auth_pb2.SIGNING_KEY_STATE_VERIFY_ONLY
    assert {k.kid for k in (await flow.stub.GetJwks(auth_pb2.GetJwksRequest())).keys} == {
        key.kid,
        rotated.signing_key.kid,
    }
    assert await flow.reach(before.access_token, member_id) == b"ok"  # signed by the old key, still good
    _c, _s, new_member, after = await flow.connected()
    assert jwt.get_unverified_header(after.access_token)["kid"] == rotated.signing_key.kid
    assert jwt.get_unverified_header(after.access_token)["alg"] == "ES256"
    assert await flow.reach(after.access_token, new_member) == b"ok"

    clock.advance(dt.timedelta(days=31))  # past the old key's last token: it leaves the JWKS
    assert [k.kid for k in (await flow.stub.GetJwks(auth_pb2.GetJwksRequest())).keys] == [
        rotated.signing_key.kid
    ]


async def test_the_key_file_is_private(server) -> None:
    directory = server.app.keys.directory
    pems = list(directory.glob("*.pem"))
    assert len(pems) == 1
    assert stat.S_IMODE(os.stat(pems[0]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory / "keys.json").st_mode) == 0o600


# --- tenants and the audit log --------------------------------------------------------------------


async def test_only_a_cross_tenant_admin_names_another_tenant(flow, server) -> None:
    await create_tenant(server.app.engine, server.clock, "Germany", "Germany", DEMO_PROGRAM.read_text())
    request = auth_pb2.ListPartnerClientsRequest()
    await flow.partner()
    await fails(
        flow.stub.ListPartnerClients(request, metadata=(*flow.admin, ("x-loyalty-tenant", "Germany"))),
        grpc.StatusCode.PERMISSION_DENIED,
        "TENANT_NOT_ALLOWED",
    )
    operator = bearer(await service_token(server, Role.ADMIN, cross_tenant=True))
    await fails(
        flow.stub.ListPartnerClients(request, metadata=(*operator, ("x-loyalty-tenant", "Atlantis"))),
        grpc.StatusCode.NOT_FOUND,
        "TENANT_NOT_FOUND",
    )
    germany = await flow.stub.ListPartnerClients(
        request, metadata=(*operator, ("x-loyalty-tenant", "Germany"))
    )
    assert list(germany.partner_clients) == []  # the default tenant's client is not Germany's
    assert len((await flow.stub.ListPartnerClients(request, metadata=operator)).partner_clients) == 1


async def test_admin_actions_are_audited_and_queryable_by_admins_only(flow) -> None:
    client_id, _secret = await flow.partner()
    await flow.stub.RotatePartnerClientSecret(
        auth_pb2.RotatePartnerClientSecretRequest(client_id=client_id, request_id="audit-rot"),
        metadata=(*flow.admin, ("x-request-id", "call-77")),
    )
    registered = await flow.register(client_id)
    await flow.stub.LockMemberAccount(
        auth_pb2.LockMemberAccountRequest(
            member_id=registered.member.member_id, reason="chargebacks", request_id="audit-lock"
        ),
        metadata=flow.admin,
    )
    reply = await flow.stub.ListAuditLogEntries(auth_pb2.ListAuditLogEntriesRequest(), metadata=flow.admin)
    actions = [entry.action for entry in reply.entries]
    assert actions == [
        "member_account.lock",
        "partner_client.rotate_secret",
        "partner_client.create",
    ]  # newest first
    lock, rotate, create = reply.entries
    assert lock.details["reason"] == "chargebacks"
    assert lock.target_type == "member"
    assert lock.target_id == registered.member.member_id
    assert rotate.request_id == "audit-rot"
    assert rotate.actor.startswith("service:sa_")
    assert rotate.actor_role == auth_pb2.ROLE_ADMIN
    assert rotate.remote_address  # the peer
    assert rotate.event_time.ToDatetime(dt.UTC) == NOW
    assert create.target_id == client_id
    assert all(
        "secret" not in value.lower() or key == "action"
        for e in reply.entries
        for key, value in e.details.items()
    )
    only = await flow.stub.ListAuditLogEntries(
        auth_pb2.ListAuditLogEntriesRequest(action="partner_client."), metadata=flow.admin
    )
    assert [e.action for e in only.entries] == ["partner_client.rotate_secret", "partner_client.create"]
    paged = await flow.stub.ListAuditLogEntries(
        auth_pb2.ListAuditLogEntriesRequest(page_size=2), metadata=flow.admin
    )
    assert len(paged.entries) == 2
    rest = await flow.stub.ListAuditLogEntries(
        auth_pb2.ListAuditLogEntriesRequest(page_size=2, page_token=paged.next_page_token),
        metadata=flow.admin,
    )
    assert [e.action for e in rest.entries] == ["partner_client.create"]
    assert rest.next_page_token == ""
    await fails(
        flow.stub.ListAuditLogEntries(auth_pb2.ListAuditLogEntriesRequest(), metadata=flow.gateway),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )


# --- the remaining admin reads and writes ---------------------------------------------------------


async def test_partner_client_reads_and_updates(flow) -> None:
    client_id, _secret = await flow.partner()
    got = (
        await flow.stub.GetPartnerClient(
            auth_pb2.GetPartnerClientRequest(client_id=client_id), metadata=flow.admin
        )
    ).partner_client
    assert (got.name, got.tenant_code, got.state) == (
        "Step Counter",
        "default",
        auth_pb2.CREDENTIAL_STATE_ACTIVE,
    )
    update = auth_pb2.UpdatePartnerClientRequest(
        partner_client=auth_pb2.PartnerClient(
            client_id=client_id, name="Steps+", scopes=["steps", "points:read"], etag=got.etag
        ),
        request_id="upd-1",
    )
    update.update_mask.paths.extend(["name", "scopes"])
    updated = (await flow.stub.UpdatePartnerClient(update, metadata=flow.admin)).partner_client
    assert (updated.name, list(updated.scopes), list(updated.redirect_uris)) == (
        "Steps+",
        ["steps", "points:read"],
        [REDIRECT],
    )
    stale = auth_pb2.UpdatePartnerClientRequest(
        partner_client=auth_pb2.PartnerClient(client_id=client_id, name="Old view", etag="1"),
        request_id="upd-2",
    )
    stale.update_mask.paths.append("name")
    await fails(
        flow.stub.UpdatePartnerClient(stale, metadata=flow.admin), grpc.StatusCode.ABORTED, "ETAG_MISMATCH"
    )
    await fails(
        flow.stub.GetPartnerClient(
            auth_pb2.GetPartnerClientRequest(client_id="pc_nope"), metadata=flow.admin
        ),
        grpc.StatusCode.NOT_FOUND,
        "CLIENT_NOT_FOUND",
    )


async def test_service_account_reads_rotation_and_paging(flow, clock) -> None:
    created = []
    for name in ("b-till", "a-till", "c-till"):
        reply = await flow.stub.CreateServiceAccount(
            auth_pb2.CreateServiceAccountRequest(
                service_account=auth_pb2.ServiceAccount(name=name, role=auth_pb2.ROLE_POS),
                request_id=f"sa-{name}",
            ),
            metadata=flow.admin,
        )
        created.append(reply)
    first = await flow.stub.ListServiceAccounts(
        auth_pb2.ListServiceAccountsRequest(page_size=2, role=auth_pb2.ROLE_POS), metadata=flow.admin
    )
    rest = await flow.stub.ListServiceAccounts(
        auth_pb2.ListServiceAccountsRequest(
            page_size=2, role=auth_pb2.ROLE_POS, page_token=first.next_page_token
        ),
        metadata=flow.admin,
    )
    assert [a.name for a in [*first.service_accounts, *rest.service_accounts]] == [
        "a-till",
        "b-till",
        "c-till",
    ]
    assert rest.next_page_token == ""
    await fails(
        flow.stub.ListServiceAccounts(
            auth_pb2.ListServiceAccountsRequest(page_token="garbage"), metadata=flow.admin
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PAGE_TOKEN_INVALID",
    )
    account = created[0].service_account
    got = await flow.stub.GetServiceAccount(
        auth_pb2.GetServiceAccountRequest(service_account_id=account.service_account_id), metadata=flow.admin
    )
    assert got.service_account.client_id == account.client_id
    rotated = await flow.stub.RotateServiceAccountSecret(
        auth_pb2.RotateServiceAccountSecretRequest(
            service_account_id=account.service_account_id, request_id="sa-rot"
        ),
        metadata=flow.admin,
    )
    await fails(
        _client_credentials(flow, account.client_id, created[0].client_secret),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )
    assert (await _client_credentials(flow, account.client_id, rotated.client_secret)).access_token
    # A non-cross-tenant admin cannot mint a cross-tenant admin.
    await fails(
        flow.stub.CreateServiceAccount(
            auth_pb2.CreateServiceAccountRequest(
                service_account=auth_pb2.ServiceAccount(
                    name="root", role=auth_pb2.ROLE_ADMIN, cross_tenant=True
                ),
                request_id="sa-root",
            ),
            metadata=flow.admin,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "CROSS_TENANT_REQUIRED",
    )


async def test_signing_key_listing_and_an_idempotent_rotation(flow) -> None:
    request = auth_pb2.RotateSigningKeyRequest(request_id="rot-key")
    first = await flow.stub.RotateSigningKey(request, metadata=flow.admin)
    replay = await flow.stub.RotateSigningKey(request, metadata=flow.admin)
    assert replay.signing_key.kid == first.signing_key.kid
    listed = await flow.stub.ListSigningKeys(auth_pb2.ListSigningKeysRequest(), metadata=flow.admin)
    states = {key.kid: key.state for key in listed.signing_keys}
    assert states == {
        first.signing_key.kid: auth_pb2.SIGNING_KEY_STATE_ACTIVE,
        first.previous_signing_key.kid: auth_pb2.SIGNING_KEY_STATE_VERIFY_ONLY,
    }


async def test_a_registration_replay_returns_the_member_but_no_session(flow) -> None:
    client_id, _secret = await flow.partner()
    request = auth_pb2.RegisterMemberRequest(
        email="zoe@example.com", password=PASSWORD, client_id=client_id, request_id="reg-zoe"
    )
    first = await flow.stub.RegisterMember(request, metadata=flow.gateway)
    replay = await flow.stub.RegisterMember(request, metadata=flow.gateway)
    assert replay.member.member_id == first.member.member_id
    assert first.member_session_token
    assert replay.member_session_token == ""
