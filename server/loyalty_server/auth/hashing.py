"""Random secrets and their stored form.

Client secrets, codes, refresh and session tokens are 256-bit random strings: a fast SHA-256 is
enough to store them (nothing to brute-force), and lookups by hash stay a primary-key read.
Passwords are low-entropy and get scrypt instead (see passwords.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32
SECRET_HINT_LENGTH = 4


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_hint(secret: str) -> str:
    return secret[-SECRET_HINT_LENGTH:]


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    if not secret or not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)
