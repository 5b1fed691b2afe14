"""The authorization request (the /oauth/authorize parameters), checked. Plain Python, no I/O.

The order matters: an unknown client or a redirect URI that is not registered exactly means the
redirect target cannot be trusted, so those are checked first; everything after can be reported to
the redirect URI.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty_server.auth.clients import ACTIVE, PartnerClient
from loyalty_server.auth.deps import unauthorized_client
from loyalty_server.auth.pkce import check_challenge
from loyalty_server.auth.scopes import PARTNER_SCOPES, granted_scopes, parse_scope
from loyalty_server.errors import DomainError, ErrorKind

CHANNELS = frozenset({1, 5, 6})  # the seed's web, mobile, tablet
TRANSACTION_ID_LENGTH_MAX = 64
STATE_LENGTH_MAX = 512


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client_id: str
    response_type: str
    scope: str
    redirect_uri: str
    channel: int
    transaction_id: str = ""
    state: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""


@dataclass(frozen=True, slots=True)
class CheckedAuthorization:
    client: PartnerClient
    scopes: list[str]
    code_challenge: str | None

    @property
    def scope_descriptions(self) -> list[str]:
        return [PARTNER_SCOPES[scope] for scope in self.scopes]


def check_authorization(client: PartnerClient | None, request: AuthorizationRequest) -> CheckedAuthorization:
    if client is None or client.state != ACTIVE:
        raise unauthorized_client("unknown or disabled client_id")
    if request.redirect_uri not in client.redirect_uris:  # exact string match, nothing else
        raise DomainError(
            ErrorKind.INVALID_ARGUMENT,
            "REDIRECT_URI_MISMATCH",
            "redirect_uri is not registered for this client",
        )
    if request.response_type != "code":
        raise _invalid("INVALID_RESPONSE_TYPE", "response_type must be code")
    if request.channel not in CHANNELS:
        raise _invalid("INVALID_CHANNEL", "channel must be 1 (web), 5 (mobile) or 6 (tablet)")
    check_echo_fields(request.transaction_id, request.state)
    scopes = granted_scopes(parse_scope(request.scope), client.scopes)
    challenge = check_challenge(
        request.code_challenge, request.code_challenge_method, public_client=client.is_public
    )
    return CheckedAuthorization(client=client, scopes=scopes, code_challenge=challenge)


def check_echo_fields(transaction_id: str, state: str) -> None:
    if len(transaction_id) > TRANSACTION_ID_LENGTH_MAX:
        raise _invalid("INVALID_REQUEST", f"transaction_id: at most {TRANSACTION_ID_LENGTH_MAX} characters")
    if len(state) > STATE_LENGTH_MAX:
        raise _invalid("INVALID_REQUEST", f"state: at most {STATE_LENGTH_MAX} characters")


def _invalid(reason: str, message: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, message)
