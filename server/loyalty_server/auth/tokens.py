"""Access tokens: JWTs signed with the active key (EdDSA or ES256) and checked the RFC 8725 way.

Verification trusts nothing in the header but the kid: the algorithm is the one pinned to that key,
`typ` must be `at+jwt` (so no other JWT passes as an access token), and iss, aud, exp, iat, sub,
scope, client_id and jti must all be present. Expiry is checked against the injected clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

import jwt

from loyalty_server.auth.keys import ALGORITHMS, KeyStore
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.principal import Role

TOKEN_TYPE = "at+jwt"  # noqa: S105 (RFC 9068 media type)
CLOCK_SKEW_S = 60
_REQUIRED = ("iss", "aud", "exp", "iat", "sub", "scope", "client_id", "jti", "tid", "tenant", "role")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    tenant_id: int
    tenant_code: str
    role: Role
    client_id: str
    scopes: tuple[str, ...]
    member_id: str | None = None
    grant_id: str | None = None
    cross_tenant: bool = False
    jti: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: dt.datetime


# Tokens whose signature was checked, by their exact text: a client sends the same token on every call
# for its whole life, and checking a signature is most of what authenticating a call costs. A hit still
# checks the signing key (it may have been retired since) and the times; revocation is the caller's
# check, made on every call. Bounded, least recently used first out.
VERIFIED_TOKENS_MAX = 4096


class TokenIssuer:
    def __init__(self, keys: KeyStore, *, issuer: str, audience: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self._verified: OrderedDict[str, tuple[str, dict[str, object]]] = OrderedDict()

    def issue(self, claims: AccessClaims, *, now: dt.datetime, ttl_s: int) -> IssuedToken:
        key = self.keys.signing_key()
        expires_at = now + dt.timedelta(seconds=ttl_s)
        payload: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": claims.subject,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": claims.jti,
            "scope": " ".join(claims.scopes),
            "client_id": claims.client_id,
            "tid": claims.tenant_id,
            "tenant": claims.tenant_code,
            "role": claims.role.value,
        }
        if claims.member_id:
            payload["mid"] = claims.member_id
        if claims.grant_id:
            payload["gid"] = claims.grant_id
        if claims.cross_tenant:
            payload["xt"] = True
        token = jwt.encode(
            payload, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": TOKEN_TYPE}
        )
        return IssuedToken(
            token=token, expires_at=dt.datetime.fromtimestamp(int(expires_at.timestamp()), dt.UTC)
        )

    def verify(self, token: str, *, now: dt.datetime) -> AccessClaims:
        """The token's claims, or UNAUTHENTICATED (INVALID_TOKEN) without saying which check failed."""
        known = self._verified.get(token)
        if known is None:
            known = self._verify_signature(token, now)
            self._verified[token] = known
            if len(self._verified) > VERIFIED_TOKENS_MAX:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(token)
            if self.keys.verification_key(known[0], now) is None:
                raise invalid_token("unknown signing key")
        _, payload = known
        _check_times(payload, now)
        return _claims_from(payload)

    def _verify_signature(self, token: str, now: dt.datetime) -> tuple[str, dict[str, object]]:
        """(kid, payload) of a token whose header, key, signature, audience and issuer are right."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token("not a JWT") from None
        kid, algorithm = header.get("kid"), header.get("alg")
        if not isinstance(kid, str) or algorithm not in ALGORITHMS or header.get("typ") != TOKEN_TYPE:
            raise invalid_token("unacceptable token header")
        key = self.keys.verification_key(kid, now)
        if key is None or key.algorithm != algorithm:
            raise invalid_token("unknown signing key")
        try:
            payload = jwt.decode(
                token,
                key.public_key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": list(_REQUIRED),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            raise invalid_token("signature or claims invalid") from None
        return kid, payload


def _check_times(payload: dict[str, object], now: dt.datetime) -> None:
    exp, iat = payload["exp"], payload["iat"]
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise invalid_token("exp and iat must be integers")
    moment = now.timestamp()
    if moment >= exp:
        raise invalid_token("token expired")
    if iat > moment + CLOCK_SKEW_S:
        raise invalid_token("token issued in the future")


def _claims_from(payload: dict[str, object]) -> AccessClaims:
    try:
        return AccessClaims(
            subject=str(payload["sub"]),
            tenant_id=int(payload["tid"]),  # type: ignore[call-overload]
            tenant_code=str(payload["tenant"]),
            role=Role(payload["role"]),
            client_id=str(payload["client_id"]),
            scopes=tuple(str(payload["scope"]).split()),
            member_id=str(payload["mid"]) if payload.get("mid") else None,
            grant_id=str(payload["gid"]) if payload.get("gid") else None,
            cross_tenant=payload.get("xt") is True,
            jti=str(payload["jti"]),
        )
    except (KeyError, TypeError, ValueError):
        raise invalid_token("malformed claims") from None


def invalid_token(message: str) -> DomainError:
    return DomainError(ErrorKind.UNAUTHENTICATED, "INVALID_TOKEN", f"invalid access token: {message}")
