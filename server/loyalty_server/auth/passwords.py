"""Member passwords: the minimum policy and scrypt hashes. Plain Python, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from loyalty_server.errors import FieldViolation, invalid_argument

PASSWORD_LENGTH_MIN = 10
PASSWORD_LENGTH_MAX = 128
# scrypt cost: 16 MiB of memory and ~50 ms per hash, the usual interactive-login setting.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32

# Passwords that top every breach list; the length rule already removes the shorter ones.
_BREACHED = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "0123456789",
        "1q2w3e4r5t",
        "qwertyuiop",
        "1qaz2wsx3edc",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou123",
        "qwerty1234",
        "qwerty12345",
        "abc1234567",
        "abcdefghij",
        "aaaaaaaaaa",
        "1111111111",
        "0000000000",
        "letmein123",
        "welcome123",
        "football123",
        "baseball123",
        "princess123",
        "sunshine123",
        "superman123",
        "dragon1234",
        "monkey1234",
        "trustno1234",
        "administrator",
        "changeme123",
    }
)


def check_password_policy(password: str, *, email: str = "", field: str = "password") -> None:
    """Raises INVALID_ARGUMENT (PASSWORD_TOO_WEAK) with the rule the password breaks."""
    problem = _policy_problem(password, email)
    if problem:
        raise invalid_argument("PASSWORD_TOO_WEAK", problem, FieldViolation(field, problem))


def _policy_problem(password: str, email: str) -> str | None:
    if len(password) < PASSWORD_LENGTH_MIN:
        return f"at least {PASSWORD_LENGTH_MIN} characters"
    if len(password) > PASSWORD_LENGTH_MAX:
        return f"at most {PASSWORD_LENGTH_MAX} characters"
    lowered = password.lower()
    if lowered in _BREACHED or len(set(lowered)) <= 2:
        return "a commonly used password; choose another"
    if email and lowered == email.lower():
        return "must not be the e-mail address"
    return None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    return hmac.compare_digest(candidate, _unb64(key))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=64 * 1024 * 1024
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Verified against when the e-mail is unknown, so both answers take the same time.
DUMMY_HASH = hash_password("not-a-real-password-" + secrets.token_hex(8))
