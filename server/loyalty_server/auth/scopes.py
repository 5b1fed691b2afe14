"""Scopes: what partner clients may ask members for, and what each role holds by default."""

from __future__ import annotations

import re

from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.principal import Role

# Scopes a partner client can be registered for, with the consent page's wording.
PARTNER_SCOPES: dict[str, str] = {
    "steps": "Send your activity (steps, exercise, health measurements) to earn points",
    "points:read": "See your points balance, history and rewards",
    "health:read": "Read the health readings you have shared",
}

# Scopes a service account holds when it was created without any.
ROLE_DEFAULT_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"admin", "members:read", "members:write", "points:write"}),
    Role.POS: frozenset({"members:read", "members:write", "points:write"}),
    Role.INTERNAL: frozenset({"members:read", "members:write", "points:write"}),
    Role.PARTNER: frozenset({"steps"}),
}

SCOPES_MAX = 50
_SCOPE = re.compile(r"^[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*)?$")
_SPLIT = re.compile(r"[\s,]+")


def parse_scope(text: str) -> list[str]:
    """'steps points:read' or 'steps,points:read' -> ['steps', 'points:read'], order kept, no repeats."""
    seen: dict[str, None] = {}
    for part in _SPLIT.split(text.strip()):
        if part:
            seen[part] = None
    return list(seen)


def check_scope_names(scopes: list[str], field: str) -> list[str]:
    if len(scopes) > SCOPES_MAX:
        raise invalid_argument(
            "INVALID_SCOPE", f"at most {SCOPES_MAX} scopes", FieldViolation(field, "too many")
        )
    for scope in scopes:
        if not _SCOPE.match(scope):
            raise invalid_argument(
                "INVALID_SCOPE", f"not a scope name: {scope!r}", FieldViolation(field, "like 'points:read'")
            )
    return list(dict.fromkeys(scopes))


def check_partner_scopes(scopes: list[str], field: str) -> list[str]:
    """A partner client's registered scopes: known, at least one."""
    scopes = check_scope_names(scopes, field)
    unknown = [s for s in scopes if s not in PARTNER_SCOPES]
    if unknown or not scopes:
        known = ", ".join(sorted(PARTNER_SCOPES))
        raise invalid_argument(
            "INVALID_SCOPE", f"partner scopes must be among: {known}", FieldViolation(field, known)
        )
    return scopes


def granted_scopes(requested: list[str], allowed: list[str] | frozenset[str]) -> list[str]:
    """The requested scopes if every one is allowed; else INVALID_SCOPE (never a silent narrowing)."""
    if not requested:
        raise DomainError(ErrorKind.INVALID_ARGUMENT, "INVALID_SCOPE", "no scope requested")
    refused = [scope for scope in requested if scope not in allowed]
    if refused:
        raise DomainError(
            ErrorKind.INVALID_ARGUMENT,
            "INVALID_SCOPE",
            f"scope not allowed for this client: {refused[0]}",
        )
    return requested
