"""Who may call what: one table of method -> allowed roles (and a scope some methods need).

Closed by default: a method missing from the table is refused for everyone. Health and reflection
are open, and so are the token endpoint, revocation and the JWKS, which authenticate the client
from the request itself (or need nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Principal, Role


@dataclass(frozen=True, slots=True)
class AccessRule:
    roles: frozenset[Role] = frozenset()
    scope: str | None = None  # needed in addition to the role, whatever the role
    open: bool = False  # no credentials needed


OPEN = AccessRule(open=True)
OPEN_SERVICES = (
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)

A, P, PA, IN = Role.ADMIN, Role.POS, Role.PARTNER, Role.INTERNAL


def _allow(*roles: Role, scope: str | None = None) -> AccessRule:
    return AccessRule(roles=frozenset(roles), scope=scope)


def _service(name: str, rules: Mapping[str, AccessRule]) -> dict[str, AccessRule]:
    return {f"/loyalty.v1.{name}/{method}": rule for method, rule in rules.items()}


_AUTH = _service(
    "AuthService",
    {
        "CreatePartnerClient": _allow(A),
        "GetPartnerClient": _allow(A),
        "ListPartnerClients": _allow(A),
        "UpdatePartnerClient": _allow(A),
        "RotatePartnerClientSecret": _allow(A),
        "DisablePartnerClient": _allow(A),
        "ValidateAuthorization": _allow(IN),
        "IssueAuthorizationCode": _allow(IN),
        "ExchangeToken": OPEN,  # client credentials in the request
        "RevokeToken": OPEN,  # client credentials in the request
        "GetJwks": OPEN,
        "ListSigningKeys": _allow(A),
        "RotateSigningKey": _allow(A),
        "RegisterMember": _allow(IN),
        "LoginMember": _allow(IN),
        "GetMemberAccount": _allow(A),
        "ResetMemberPassword": _allow(A),
        "LockMemberAccount": _allow(A),
        "UnlockMemberAccount": _allow(A),
        "CreateServiceAccount": _allow(A),
        "GetServiceAccount": _allow(A),
        "ListServiceAccounts": _allow(A),
        "RotateServiceAccountSecret": _allow(A),
        "DisableServiceAccount": _allow(A),
        "ListGrants": _allow(A, IN),
        "DeactivateGrant": _allow(A, IN),
        "ListAuditLogEntries": _allow(A),
    },
)

_ACTIVITY = _service(
    "ActivityService",
    {
        "PostActivities": _allow(PA, IN),
        "SimulateActivities": _allow(PA, IN, A),
        "ListActivities": _allow(PA, IN, A),
        "ListHealthReadings": _allow(PA, IN, A, scope="health:read"),
        "GetPointsTotals": _allow(PA, IN, A),
        "RecordPurchase": _allow(P, IN),
        "GetPurchase": _allow(P, IN, A),
        "RecordReturn": _allow(P, IN),
        "SimulatePurchase": _allow(P, IN, A),
    },
)

_LEDGER = _service(
    "LedgerService",
    {
        "EnrollMember": _allow(P, IN, A),
        "GetMember": _allow(P, IN, A, PA),
        "LookupMember": _allow(P, IN, A),
        "ListMembers": _allow(IN, A),
        "UpdateMember": _allow(P, IN, A),
        "DeactivateMember": _allow(IN, A),
        "EraseMember": _allow(A),
        "GetBalance": _allow(P, IN, A, PA),
        "ListTransactions": _allow(P, IN, A, PA),
        "GetTransaction": _allow(P, IN, A),
        "ListExpiringPoints": _allow(P, IN, A, PA),
        "CreateHold": _allow(P, IN),
        "GetHold": _allow(P, IN, A),
        "CaptureHold": _allow(P, IN),
        "VoidHold": _allow(P, IN),
        "Redeem": _allow(P, IN),
        "ListRewards": _allow(P, IN, A, PA),
        "GetReward": _allow(P, IN, A, PA),
        "RedeemReward": _allow(P, IN),
        "GetCoupon": _allow(P, IN, A),
        "ListCoupons": _allow(P, IN, A, PA),
        "UseCoupon": _allow(P, IN),
        "CancelCoupon": _allow(P, IN, A),
        "ReversePoints": _allow(IN, A),
        "AdjustPoints": _allow(A),
        "TransferPoints": _allow(A),
        "BulkAwardPoints": _allow(IN, A),
        "ListTiers": _allow(P, IN, A, PA),
        "GetMemberTier": _allow(P, IN, A, PA),
        "SetCustomTier": _allow(IN, A),
        "ClearCustomTier": _allow(IN, A),
        "GetProgram": _allow(P, IN, A, PA),
        "ReloadProgram": _allow(A),
    },
)

_SUBSCRIPTION = _service(
    "SubscriptionService",
    {
        "StreamEvents": _allow(IN, A, P, PA),
        "WatchMember": _allow(IN, P, PA),
        "ListEvents": _allow(IN, A, PA),
        "CreateWebhookEndpoint": _allow(A, IN, PA),
        "GetWebhookEndpoint": _allow(A, IN, PA),
        "ListWebhookEndpoints": _allow(A, IN, PA),
        "UpdateWebhookEndpoint": _allow(A, IN, PA),
        "DeleteWebhookEndpoint": _allow(A, IN, PA),
        "RotateWebhookSecret": _allow(A, IN, PA),
        "ListWebhookDeliveries": _allow(A, IN, PA),
        "GetWebhookDelivery": _allow(A, IN, PA),
        "RedeliverWebhookDelivery": _allow(A, IN, PA),
        "ReplayFailedWebhookDeliveries": _allow(A, IN, PA),
    },
)

POLICY: dict[str, AccessRule] = {**_AUTH, **_ACTIVITY, **_LEDGER, **_SUBSCRIPTION}


def rule_for(method: str, extra: Mapping[str, AccessRule] | None = None) -> AccessRule | None:
    """The rule of a full method path ("/pkg.Service/Method"); None means refused."""
    if method.split("/")[1] in OPEN_SERVICES:
        return OPEN
    rule = POLICY.get(method)
    if rule is None and extra:
        rule = extra.get(method)
    return rule


def authorize(principal: Principal, rule: AccessRule) -> None:
    if rule.open:
        return
    if principal.role not in rule.roles:
        raise DomainError(
            ErrorKind.PERMISSION_DENIED,
            "ROLE_REQUIRED",
            f"role {principal.role.value} may not call this method",
        )
    if rule.scope and rule.scope not in principal.scopes:
        raise DomainError(
            ErrorKind.PERMISSION_DENIED,
            "SCOPE_REQUIRED",
            f"this method needs scope {rule.scope}",
            metadata={"scope": rule.scope},
        )


def method_not_allowed(method: str) -> DomainError:
    return DomainError(
        ErrorKind.PERMISSION_DENIED, "METHOD_NOT_ALLOWED", f"{method} is not open to any caller"
    )
