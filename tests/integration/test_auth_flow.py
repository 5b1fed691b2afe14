"""The partner OAuth flow end to end over gRPC, on SQLite and PostgreSQL: codes, PKCE, tokens,
refresh rotation, revocation, and what a partner token can reach."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from sqlalchemy import select

from loyalty.v1 import auth_pb2, auth_pb2_grpc, common_pb2, subscription_pb2
from loyalty_server.auth.pkce import challenge_for
from loyalty_server.auth.policy import AccessRule
from loyalty_server.clock import FakeClock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Role, current_principal
from loyalty_server.runtime.server import LoyaltyServer
from loyalty_server.runtime.services import ServiceRegistration, loyalty_services
from loyalty_server.storage.schema import events
from tests.support import bearer, make_settings, service_token

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
REDIRECT = "https://partner.example/callback"
PASSWORD = "correct horse battery staple"
PROBE_SERVICE = "loyalty.test.MemberProbe"
PROBE_METHOD = f"/{PROBE_SERVICE}/Reach"
VERIFIER = "v" * 20 + "erifier-with-enough-entropy-0123456789"


def probe_service() -> ServiceRegistration:
    """A test-only method a partner token may call: answers whether the token reaches a member."""

    async def reach(request: bytes, _context: grpc.aio.ServicerContext) -> bytes:
        if not current_principal().can_reach_member(request.decode()):
            raise DomainError(ErrorKind.PERMISSION_DENIED, "MEMBER_NOT_GRANTED", "not this token's member")
        return b"ok"

    def add(_servicer: object, server: grpc.aio.Server) -> None:
        handler = grpc.method_handlers_generic_handler(
            PROBE_SERVICE, {"Reach": grpc.unary_unary_rpc_method_handler(reach)}
        )
        server.add_generic_rpc_handlers((handler,))

    rule = AccessRule(roles=frozenset({Role.PARTNER, Role.ADMIN}))
    return ServiceRegistration(PROBE_SERVICE, add, lambda _app: None, access_rules={PROBE_METHOD: rule})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def server(tmp_path, database_url, clock):
    server = LoyaltyServer(
        make_settings(
            tmp_path, database_url, login_failures_per_account_max=3, login_failures_per_address_max=5
        ),
        clock=clock,
        services=[*loyalty_services(), probe_service()],
    )
    await server.start()
    yield server
    await server.stop(grace_s=0)


@pytest.fixture
async def channel(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        yield channel


class Flow:
    """The gateway's and the partner's side of the flow, as plain calls."""

    def __init__(self, server: LoyaltyServer, channel: grpc.aio.Channel) -> None:
        self.server = server
        self.channel = channel
        self.stub = auth_pb2_grpc.AuthServiceStub(channel)
        self.admin: tuple = ()
        self.gateway: tuple = ()

    async def setup(self) -> Flow:
        self.admin = bearer(await service_token(self.server, Role.ADMIN))
        self.gateway = bearer(await service_token(self.server, Role.INTERNAL))
        return self

    async def partner(self, *, public: bool = False, scopes: tuple[str, ...] = ("steps",)) -> tuple[str, str]:
        reply = await self.stub.CreatePartnerClient(
            auth_pb2.CreatePartnerClientRequest(
                partner_client=auth_pb2.PartnerClient(
                    name="Step Counter",
                    client_type=auth_pb2.CLIENT_TYPE_PUBLIC if public else auth_pb2.CLIENT_TYPE_CONFIDENTIAL,
                    redirect_uris=[REDIRECT],
                    scopes=list(scopes),
                ),
                request_id=uuid.uuid4().hex,
            ),
            metadata=self.admin,
        )
        return reply.partner_client.client_id, reply.client_secret

    async def register(
        self, client_id: str, email: str = "ann@example.com"
    ) -> auth_pb2.RegisterMemberResponse:
        return await self.stub.RegisterMember(
            auth_pb2.RegisterMemberRequest(
                email=email,
                password=PASSWORD,
                client_id=client_id,
                given_name="Ann",
                request_id=uuid.uuid4().hex,
            ),
            metadata=self.gateway,
        )

    def parameters(self, client_id: str, **changes: object) -> auth_pb2.AuthorizationParameters:
        values: dict[str, object] = {
            "client_id": client_id,
            "response_type": "code",
            "scope": "steps",
            "redirect_uri": REDIRECT,
            "channel": common_pb2.CHANNEL_MOBILE,
            "transaction_id": "1234567890123456",
            "state": "abcd1234xyz",
        }
        values.update(changes)
        return auth_pb2.AuthorizationParameters(**values)  # type: ignore[arg-type]

    async def code(
        self, client_id: str, session: str, **changes: object
    ) -> auth_pb2.IssueAuthorizationCodeResponse:
        return await self.stub.IssueAuthorizationCode(
            auth_pb2.IssueAuthorizationCodeRequest(
                parameters=self.parameters(client_id, **changes), member_session_token=session
            ),
            metadata=self.gateway,
        )

    async def exchange(
        self, client_id: str, secret: str, code: str, **changes: object
    ) -> auth_pb2.ExchangeTokenResponse:
        values: dict[str, object] = {
            "grant_type": auth_pb2.GRANT_TYPE_AUTHORIZATION_CODE,
            "client_id": client_id,
            "client_secret": secret,
            "code": code,
            "redirect_uri": REDIRECT,
            "channel": common_pb2.CHANNEL_MOBILE,
            "transaction_id": "1234567890123456",
            "state": "abcd1234xyz",
        }
        values.update(changes)
        return await self.stub.ExchangeToken(auth_pb2.ExchangeTokenRequest(**values))  # type: ignore[arg-type]

    async def refresh(
        self, client_id: str, secret: str, refresh_token: str, **changes: object
    ) -> auth_pb2.ExchangeTokenResponse:
        values: dict[str, object] = {
            "grant_type": auth_pb2.GRANT_TYPE_REFRESH_TOKEN,
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": refresh_token,
        }
        values.update(changes)
        return await self.stub.ExchangeToken(auth_pb2.ExchangeTokenRequest(**values))  # type: ignore[arg-type]

    async def connected(
        self, **client_options: object
    ) -> tuple[str, str, str, auth_pb2.ExchangeTokenResponse]:
        """A partner connected to a new member: (client_id, secret, member_id, tokens)."""
        client_id, secret = await self.partner(**client_options)  # type: ignore[arg-type]
        registered = await self.register(client_id, email=f"{uuid.uuid4().hex[:12]}@example.com")
        issued = await self.code(client_id, registered.member_session_token)
        tokens = await self.exchange(client_id, secret, issued.code)
        return client_id, secret, registered.member.member_id, tokens

    async def reach(self, access_token: str, member_id: str) -> bytes:
        return await self.channel.unary_unary(PROBE_METHOD)(
            member_id.encode(), metadata=bearer(access_token), timeout=5
        )


@pytest.fixture
async def flow(server, channel) -> Flow:
    return await Flow(server, channel).setup()


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = status_pb2.Status.FromString(dict(error.trailing_metadata() or ())["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


async def fails(call, code: grpc.StatusCode, reason: str) -> error_details_pb2.ErrorInfo:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    assert raised.value.code() is code, raised.value.details()
    info = error_info(raised.value)
    assert info.reason == reason
    return info


# --- the happy path -------------------------------------------------------------------------------


async def test_the_whole_flow_connects_the_partner_to_the_member(flow, server) -> None:
    client_id, secret = await flow.partner()
    registered = await flow.register(client_id)
    member_id = registered.member.member_id
    assert member_id.startswith("m_")
    shown = await flow.stub.ValidateAuthorization(
        auth_pb2.ValidateAuthorizationRequest(parameters=flow.parameters(client_id)), metadata=flow.gateway
    )
    assert shown.client_name == "Step Counter"
    assert list(shown.scopes) == ["steps"]
    issued = await flow.code(client_id, registered.member_session_token)
    assert issued.redirect_url.startswith(REDIRECT + "?code=")
    assert "transaction_id=1234567890123456" in issued.redirect_url
    assert "state=abcd1234xyz" in issued.redirect_url
    assert (issued.state, issued.transaction_id) == ("abcd1234xyz", "1234567890123456")
    assert issued.expire_time.ToDatetime(dt.UTC) == NOW + dt.timedelta(minutes=2)

    tokens = await flow.exchange(client_id, secret, issued.code)
    assert tokens.token_type == "BEARER"
    assert tokens.scope == "steps"
    assert tokens.access_token_expires_in == "2026-12-22 12:00:00"  # 30 days, the seed's format
    assert tokens.refresh_token_expires_in == "2027-01-06 12:00:00"  # 45 days
    assert (tokens.transaction_id, tokens.state) == ("1234567890123456", "abcd1234xyz")
    assert tokens.member_id == member_id
    assert await flow.reach(tokens.access_token, member_id) == b"ok"

    grants = await flow.stub.ListGrants(auth_pb2.ListGrantsRequest(member_id=member_id), metadata=flow.admin)
    (grant,) = grants.grants
    assert grant.channel == common_pb2.CHANNEL_MOBILE
    assert grant.transaction_id == "1234567890123456"
    assert grant.state == auth_pb2.GRANT_STATE_ACTIVE
    # The demo program's connection bonus is earned in the same transaction (activity/event_awards.py).
    assert await _event_types(server, member_id) == ["member.enrolled", "partner.connected", "points.earned"]
    connected = await _last_event(server, member_id, "partner.connected")
    assert connected.partner_connected.grant_id == tokens.grant_id
    assert connected.partner_connected.channel == common_pb2.CHANNEL_MOBILE


async def _event_types(server: LoyaltyServer, member_id: str) -> list[str]:
    async with server.app.engine.connect() as connection:
        query = select(events.c.type).where(events.c.member_id == member_id).order_by(events.c.sequence)
        return list((await connection.execute(query)).scalars())


async def _last_event(server: LoyaltyServer, member_id: str, type_name: str = "") -> subscription_pb2.Event:
    async with server.app.engine.connect() as connection:
        query = (
            select(events.c.payload).where(events.c.member_id == member_id).order_by(events.c.sequence.desc())
        )
        if type_name:
            query = query.where(events.c.type == type_name)
        return subscription_pb2.Event.FromString((await connection.execute(query)).scalars().first())


# --- authorization codes --------------------------------------------------------------------------


async def test_a_reused_code_fails_and_revokes_every_token_issued_from_it(flow, server) -> None:
    client_id, secret = await flow.partner()
    registered = await flow.register(client_id)
    issued = await flow.code(client_id, registered.member_session_token)
    tokens = await flow.exchange(client_id, secret, issued.code)
    info = await fails(
        flow.exchange(client_id, secret, issued.code),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AUTHORIZATION_CODE",
    )
    assert info.metadata["error_code"] == "1041"
    assert info.metadata["transaction_id"] == "1234567890123456"
    assert info.metadata["state"] == "abcd1234xyz"
    await fails(
        flow.reach(tokens.access_token, tokens.member_id), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN"
    )
    await fails(
        flow.refresh(client_id, secret, tokens.refresh_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_TOKEN",
    )
    assert (await _event_types(server, tokens.member_id))[-1] == "partner.disconnected"
    assert (await _last_event(server, tokens.member_id)).partner_disconnected.reason == "CODE_REUSED"


async def test_a_code_expires_after_two_minutes(flow, clock) -> None:
    client_id, secret = await flow.partner()
    registered = await flow.register(client_id)
    issued = await flow.code(client_id, registered.member_session_token)
    clock.advance(dt.timedelta(seconds=120))
    await fails(
        flow.exchange(client_id, secret, issued.code),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AUTHORIZATION_CODE",
    )


async def test_redirect_uri_must_match_exactly(flow) -> None:
    client_id, secret = await flow.partner()
    registered = await flow.register(client_id)
    for uri in (REDIRECT + "/", REDIRECT + "?x=1", "https://evil.example/callback", REDIRECT.upper()):
        await fails(
            flow.stub.ValidateAuthorization(
                auth_pb2.ValidateAuthorizationRequest(
                    parameters=flow.parameters(client_id, redirect_uri=uri)
                ),
                metadata=flow.gateway,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "REDIRECT_URI_MISMATCH",
        )
    issued = await flow.code(client_id, registered.member_session_token)
    await fails(
        flow.exchange(client_id, secret, issued.code, redirect_uri=REDIRECT + "/other"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AUTHORIZATION_CODE",
    )
    # The code was not burnt by the mismatch: the right redirect URI still works.
    assert (await flow.exchange(client_id, secret, issued.code)).access_token


async def test_wrong_client_secret_and_unknown_client(flow) -> None:
    client_id, secret = await flow.partner()
    registered = await flow.register(client_id)
    issued = await flow.code(client_id, registered.member_session_token)
    info = await fails(
        flow.exchange(client_id, secret + "x", issued.code),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )
    assert info.metadata["error_code"] == "1011"
    await fails(
        flow.exchange(client_id, "", issued.code), grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED_CLIENT"
    )
    info = await fails(
        flow.exchange(client_id, secret, issued.code, grant_type=auth_pb2.GRANT_TYPE_UNSPECIFIED),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_GRANT_TYPE",
    )
    assert info.metadata["error_code"] == "1001"
    await fails(
        flow.exchange("pc_unknown", secret, issued.code),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )
    other_id, other_secret = await flow.partner()
    await fails(  # another client cannot use this client's code
        flow.exchange(other_id, other_secret, issued.code),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_AUTHORIZATION_CODE",
    )


async def test_scope_escalation_is_refused(flow) -> None:
    client_id, _secret = await flow.partner(scopes=("steps",))
    for scope in ("steps points:read", "health:read", "admin", ""):
        await fails(
            flow.stub.ValidateAuthorization(
                auth_pb2.ValidateAuthorizationRequest(parameters=flow.parameters(client_id, scope=scope)),
                metadata=flow.gateway,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_SCOPE",
        )
    _client_id, _secret, _member, tokens = await flow.connected(scopes=("steps",))
    await fails(
        flow.refresh(_client_id, _secret, tokens.refresh_token, scope="steps points:read"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SCOPE",
    )


async def test_pkce_mismatch_and_downgrade(flow) -> None:
    client_id, secret = await flow.partner()
    session = (await flow.register(client_id)).member_session_token
    with_pkce = {"code_challenge": challenge_for(VERIFIER), "code_challenge_method": "S256"}
    issued = await flow.code(client_id, session, **with_pkce)
    await fails(
        flow.exchange(client_id, secret, issued.code, code_verifier=VERIFIER[:-1] + "X"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PKCE_MISMATCH",
    )
    await fails(
        flow.exchange(client_id, secret, issued.code), grpc.StatusCode.INVALID_ARGUMENT, "PKCE_MISMATCH"
    )
    assert (await flow.exchange(client_id, secret, issued.code, code_verifier=VERIFIER)).access_token
    # Downgrade: a verifier for a code issued without a challenge is refused.
    plain = await flow.code(client_id, session)
    await fails(
        flow.exchange(client_id, secret, plain.code, code_verifier=VERIFIER),
        grpc.StatusCode.INVALID_ARGUMENT,
        "PKCE_MISMATCH",
    )
    await fails(
        flow.code(client_id, session, code_challenge=challenge_for(VERIFIER), code_challenge_method="plain"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_CODE_CHALLENGE_METHOD",
    )


async def test_a_public_client_must_use_pkce(flow) -> None:
    client_id, secret = await flow.partner(public=True)
    assert secret == ""
    session = (await flow.register(client_id)).member_session_token
    info = await fails(flow.code(client_id, session), grpc.StatusCode.INVALID_ARGUMENT, "PKCE_REQUIRED")
    assert info.metadata["error_code"] == "1001"
    issued = await flow.code(
        client_id, session, code_challenge=challenge_for(VERIFIER), code_challenge_method="S256"
    )
    tokens = await flow.exchange(client_id, "", issued.code, code_verifier=VERIFIER)
    assert tokens.refresh_token
    assert (await flow.refresh(client_id, "", tokens.refresh_token)).access_token


# --- refresh and revocation -----------------------------------------------------------------------


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_grant(flow, server) -> None:
    client_id, secret, member_id, first = await flow.connected()
    second = await flow.refresh(client_id, secret, first.refresh_token, redirect_uri=REDIRECT)
    assert second.refresh_token != first.refresh_token
    assert second.grant_id == first.grant_id
    assert await flow.reach(second.access_token, member_id) == b"ok"
    info = await fails(
        flow.refresh(client_id, secret, first.refresh_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "REFRESH_TOKEN_REUSED",
    )
    assert info.metadata["error_code"] == "1051"
    # The whole grant is gone: the newest refresh token and every access token too.
    await fails(
        flow.refresh(client_id, secret, second.refresh_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_TOKEN",
    )
    for tokens in (first, second):
        await fails(
            flow.reach(tokens.access_token, member_id), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN"
        )
    assert (await _last_event(server, member_id)).partner_disconnected.reason == "REFRESH_TOKEN_REUSED"


async def test_revocation_takes_effect_at_once(flow, server) -> None:
    client_id, secret, member_id, tokens = await flow.connected()
    assert await flow.reach(tokens.access_token, member_id) == b"ok"
    reply = await flow.stub.RevokeToken(
        auth_pb2.RevokeTokenRequest(
            client_id=client_id, client_secret=secret, token=tokens.access_token, transaction_id="t-1"
        )
    )
    assert (reply.status, reply.transaction_id) == ("success", "t-1")
    await fails(flow.reach(tokens.access_token, member_id), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")
    await fails(
        flow.refresh(client_id, secret, tokens.refresh_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_TOKEN",
    )
    assert (await _last_event(server, member_id)).partner_disconnected.reason == "CLIENT_REVOKED"
    # RFC 7009: revoking again, or an unknown token, is still a success.
    again = auth_pb2.RevokeTokenRequest(client_id=client_id, client_secret=secret, token=tokens.refresh_token)
    assert (await flow.stub.RevokeToken(again)).status == "success"
    unknown = auth_pb2.RevokeTokenRequest(client_id=client_id, client_secret=secret, token="nonsense")
    assert (await flow.stub.RevokeToken(unknown)).status == "success"


async def test_another_client_cannot_revoke_a_token(flow) -> None:
    _client_id, _secret, member_id, tokens = await flow.connected()
    other_id, other_secret = await flow.partner()
    request = auth_pb2.RevokeTokenRequest(
        client_id=other_id, client_secret=other_secret, token=tokens.refresh_token
    )
    await fails(flow.stub.RevokeToken(request), grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED_CLIENT")
    assert await flow.reach(tokens.access_token, member_id) == b"ok"


async def test_deactivating_a_grant_and_disabling_the_client(flow, server) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    reply = await flow.stub.DeactivateGrant(
        auth_pb2.DeactivateGrantRequest(grant_id=tokens.grant_id, reason="member asked", request_id="r-1"),
        metadata=flow.admin,
    )
    assert reply.grant.state == auth_pb2.GRANT_STATE_REVOKED
    assert reply.grant.revoke_reason == auth_pb2.GRANT_REVOKE_REASON_DEACTIVATED
    await fails(flow.reach(tokens.access_token, member_id), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")

    client_id, secret, member_id, tokens = await flow.connected()
    disabled = await flow.stub.DisablePartnerClient(
        auth_pb2.DisablePartnerClientRequest(client_id=client_id, reason="contract ended", request_id="r-2"),
        metadata=flow.admin,
    )
    assert disabled.grants_revoked == 1
    await fails(flow.reach(tokens.access_token, member_id), grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN")
    await fails(
        flow.refresh(client_id, secret, tokens.refresh_token),
        grpc.StatusCode.UNAUTHENTICATED,
        "UNAUTHORIZED_CLIENT",
    )


# --- what a partner token reaches -----------------------------------------------------------------


async def test_a_partner_token_reaches_only_its_own_member(flow) -> None:
    client_id, _secret, member_id, tokens = await flow.connected()
    other = await flow.register(client_id, email="bob@example.com")
    assert await flow.reach(tokens.access_token, member_id) == b"ok"
    await fails(
        flow.reach(tokens.access_token, other.member.member_id),
        grpc.StatusCode.PERMISSION_DENIED,
        "MEMBER_NOT_GRANTED",
    )
    # And nothing of an admin's: a partner token calling an admin method is refused.
    await fails(
        flow.stub.ListPartnerClients(
            auth_pb2.ListPartnerClientsRequest(), metadata=bearer(tokens.access_token)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_REQUIRED",
    )
