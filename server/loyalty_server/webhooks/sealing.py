"""Webhook signing secrets at rest: sealed with AES-256-GCM, never stored in clear.

The engine must sign with the secret, so it cannot keep only a hash; a database dump alone must
still not reveal it. The key lives in `<data_dir>/webhook-secrets.key` (32 raw bytes, mode 0600),
next to the JWT signing keys, made at first start and shared by every replica through the data dir.

A sealed blob is: version byte (1) + 12-byte random nonce + ciphertext and tag. The endpoint id is
associated data, so a sealed secret copied into another endpoint's row does not open there.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from loyalty_server.errors import ConfigError

KEY_FILE = "webhook-secrets.key"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
TAG_BYTES = 16
SEALED_VERSION = 1
# Binds purpose and format version into every seal, not just the endpoint id.
_AAD_PREFIX = b"loyalty-engine/webhook-secret/v1:"


class SecretBox:
    """Seals and unseals webhook secrets with one key. Its repr never shows the key."""

    def __init__(self, key: bytes) -> None:
        assert len(key) == KEY_BYTES, "a SecretBox key is 32 bytes"
        self._aead = AESGCM(key)

    @classmethod
    def open(cls, data_dir: Path) -> SecretBox:
        """The data dir's key, created on first use. Concurrent first starts agree on one key."""
        path = data_dir / KEY_FILE
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigError(f"webhook secrets key {path}: no directory ({exc.strerror})") from None
        if not path.exists():
            _create_key(path)
        return cls(_read_key(path))

    def seal(self, secret: str, *, endpoint_id: str) -> bytes:
        # Random 96-bit nonces are safe for 2**32 seals per key (NIST SP 800-38D); we seal one per
        # endpoint or rotation, far fewer.
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode("utf-8"), _aad(endpoint_id))
        return bytes([SEALED_VERSION]) + nonce + sealed

    def unseal(self, blob: bytes, *, endpoint_id: str) -> str:
        if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] != SEALED_VERSION:
            raise ValueError("sealed secret is malformed or of an unknown version")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, _aad(endpoint_id))
        except InvalidTag:
            raise ValueError("sealed secret does not open: wrong key or endpoint") from None
        return plain.decode("utf-8")

    def __repr__(self) -> str:
        return "SecretBox(key=<hidden>)"


def _aad(endpoint_id: str) -> bytes:
    return _AAD_PREFIX + endpoint_id.encode("utf-8")


def _create_key(path: Path) -> None:
    """Write the key whole under a temporary name, then link it into place.

    os.link fails if the key already exists, so a concurrent creator never clobbers the winner's key
    (which may already have sealed secrets); the loser just reads it. Readers never see a partial file.
    """
    temporary = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}")
    created = False
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        # Another replica or process won the race: its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as exc:
        raise ConfigError(f"webhook secrets key {path}: cannot create it ({exc.strerror})") from None
    finally:
        if created:
            temporary.unlink(missing_ok=True)


def _read_key(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ConfigError(f"webhook secrets key {path}: cannot read it ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if os.name == "posix" and mode & 0o077:
            raise ConfigError(
                f"webhook secrets key {path}: open to group or others (mode {mode & 0o777:o}); "
                "run chmod 600 on it"
            )
        key = handle.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise ConfigError(
            f"webhook secrets key {path}: must hold exactly {KEY_BYTES} bytes, found "
            f"{'more' if len(key) > KEY_BYTES else len(key)}"
        )
    return key
