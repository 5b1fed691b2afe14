"""PKCE (RFC 7636), S256 only: `plain` would hand the verifier to whoever sees the authorization request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from loyalty_server.errors import DomainError, ErrorKind

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def check_challenge(challenge: str, method: str, *, public_client: bool) -> str | None:
    """The challenge to store (None when there is none). Public clients must send one."""
    if not challenge:
        if method:
            raise _invalid("INVALID_REQUEST", "code_challenge_method without code_challenge")
        if public_client:
            raise _invalid("PKCE_REQUIRED", "a public client must use PKCE (code_challenge, S256)")
        return None
    if method != "S256":
        raise _invalid("INVALID_CODE_CHALLENGE_METHOD", "code_challenge_method must be S256")
    if not _CHALLENGE.match(challenge):
        raise _invalid("INVALID_REQUEST", "code_challenge must be 43 base64url characters")
    return challenge


def challenge_for(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_verifier(stored_challenge: str | None, verifier: str) -> None:
    """A code with a challenge needs its verifier; a code without one refuses a verifier (downgrade)."""
    if stored_challenge is None:
        if verifier:
            raise _invalid("PKCE_MISMATCH", "code_verifier sent but the authorization used no PKCE")
        return
    if not verifier or not _VERIFIER.match(verifier):
        raise _invalid("PKCE_MISMATCH", "code_verifier missing or malformed")
    if not hmac.compare_digest(challenge_for(verifier), stored_challenge):
        raise _invalid("PKCE_MISMATCH", "code_verifier does not match the code_challenge")


def _invalid(reason: str, message: str) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, message)
