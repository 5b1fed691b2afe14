"""Who is calling: the authenticated identity a call acts as, and the tenant it acts in.

The auth interceptor sets it for every call (from the bearer token); servicers read it with
`current_principal()`. A call's tenant comes from here and nowhere else: never from a request field.
"""

from __future__ import annotations

import contextvars
import enum
from dataclasses import dataclass, field

from loyalty_server.errors import DomainError, ErrorKind


class Role(enum.Enum):
    ADMIN = "admin"  # operators: partner clients, adjustments, program reloads, audit
    POS = "pos"  # point-of-sale systems: enroll, look up, earn on purchases, redeem, returns
    PARTNER = "partner"  # OAuth partner apps: only the member their grant is for
    INTERNAL = "internal"  # the engine's sibling services


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: int
    tenant_code: str
    role: Role
    subject: str  # service account id, partner client id, or "member:<id>" for partner tokens
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str = ""  # the OAuth client (partner app or service account) the token was issued to
    member_id: str | None = None  # partner tokens: the one member this grant reaches
    grant_id: str | None = None  # partner tokens: the grant, for revocation and disconnects
    cross_tenant: bool = False  # admin accounts that may act in another tenant (x-loyalty-tenant)

    def can_reach_member(self, member_id: str) -> bool:
        """A partner token reaches only its own member; other roles reach every member of their tenant."""
        return self.role is not Role.PARTNER or self.member_id == member_id


principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal:
    principal = principal_var.get()
    if principal is None:
        raise DomainError(ErrorKind.UNAUTHENTICATED, "UNAUTHENTICATED", "this call needs credentials")
    return principal
