"""The policy table: every method of the four services is in it, nothing else; closed by default."""

from __future__ import annotations

import pytest

from loyalty.v1 import activity_pb2, auth_pb2, ledger_pb2, subscription_pb2
from loyalty_server.auth.policy import OPEN, POLICY, AccessRule, authorize, rule_for
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Principal, Role

MODULES = [auth_pb2, activity_pb2, ledger_pb2, subscription_pb2]


def _all_methods() -> set[str]:
    return {
        f"/{service.full_name}/{method.name}"
        for module in MODULES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }


def _principal(role: Role, scopes: tuple[str, ...] = (), member_id: str | None = None) -> Principal:
    return Principal(
        tenant_id=1,
        tenant_code="default",
        role=role,
        subject="s",
        scopes=frozenset(scopes),
        member_id=member_id,
    )


def test_the_table_covers_every_method_of_the_four_services_and_nothing_else() -> None:
    methods = _all_methods()
    assert len(methods) > 80
    assert set(POLICY) == methods


def test_every_guarded_method_names_at_least_one_role() -> None:
    for method, rule in POLICY.items():
        assert rule.open or rule.roles, method


def test_only_the_token_endpoint_revocation_and_jwks_are_open() -> None:
    open_methods = {method.rsplit("/", 1)[1] for method, rule in POLICY.items() if rule.open}
    assert open_methods == {"ExchangeToken", "RevokeToken", "GetJwks"}


def test_unlisted_methods_are_refused_and_health_and_reflection_are_open() -> None:
    assert rule_for("/loyalty.v1.LedgerService/DropEverything") is None
    assert rule_for("/loyalty.test.Anything/Do") is None
    assert rule_for("/grpc.health.v1.Health/Check") is OPEN
    assert rule_for("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo") is OPEN
    extra = {"/loyalty.test.Anything/Do": AccessRule(roles=frozenset({Role.POS}))}
    assert rule_for("/loyalty.test.Anything/Do", extra) == extra["/loyalty.test.Anything/Do"]


@pytest.mark.parametrize(
    ("method", "role", "allowed"),
    [
        ("/loyalty.v1.AuthService/CreatePartnerClient", Role.ADMIN, True),
        ("/loyalty.v1.AuthService/CreatePartnerClient", Role.INTERNAL, False),
        ("/loyalty.v1.AuthService/LoginMember", Role.INTERNAL, True),
        ("/loyalty.v1.AuthService/LoginMember", Role.PARTNER, False),
        ("/loyalty.v1.LedgerService/GetBalance", Role.PARTNER, True),
        ("/loyalty.v1.LedgerService/AdjustPoints", Role.POS, False),
        ("/loyalty.v1.LedgerService/AdjustPoints", Role.ADMIN, True),
        ("/loyalty.v1.ActivityService/RecordPurchase", Role.PARTNER, False),
        ("/loyalty.v1.ActivityService/PostActivities", Role.PARTNER, True),
    ],
)
def test_roles(method: str, role: Role, allowed: bool) -> None:
    rule = POLICY[method]
    if allowed:
        authorize(_principal(role), rule)
    else:
        with pytest.raises(DomainError) as raised:
            authorize(_principal(role), rule)
        assert (raised.value.kind, raised.value.reason) == (ErrorKind.PERMISSION_DENIED, "ROLE_REQUIRED")


def test_a_scope_is_needed_on_top_of_the_role() -> None:
    rule = POLICY["/loyalty.v1.ActivityService/ListHealthReadings"]
    with pytest.raises(DomainError) as raised:
        authorize(_principal(Role.ADMIN, ("admin", "members:read")), rule)
    assert raised.value.reason == "SCOPE_REQUIRED"
    authorize(_principal(Role.ADMIN, ("health:read",)), rule)
    authorize(_principal(Role.PARTNER, ("steps", "health:read"), member_id="m_1"), rule)


def test_a_partner_principal_reaches_only_its_member() -> None:
    partner = _principal(Role.PARTNER, member_id="m_1")
    assert partner.can_reach_member("m_1")
    assert not partner.can_reach_member("m_2")
    assert not _principal(Role.PARTNER).can_reach_member("m_1")  # a client-credentials partner token
    assert _principal(Role.POS).can_reach_member("m_2")
