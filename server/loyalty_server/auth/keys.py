"""Signing keys: generated at first start in the data dir, rotated on request, published as a JWKS.

Layout: `<data_dir>/signing-keys/` (mode 0700) holds one PKCS#8 PEM per key (`<kid>.pem`, mode 0600)
and `keys.json`, the index (kid, algorithm, created, rotated). Exactly one key signs; a rotated key
keeps verifying for `verify_window_s` (the longest token lifetime), then leaves the JWKS. Replicas
share the directory (a volume); a kid this process does not know yet is looked up on disk again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from loyalty_server.errors import ConfigError

ALGORITHMS = ("EdDSA", "ES256")
_INDEX = "keys.json"
# An unknown kid is looked for on disk at most this often, so a flood of made-up kids costs no I/O.
RELOAD_INTERVAL_S = 1.0

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    algorithm: str  # "EdDSA" | "ES256": the only algorithm tokens with this kid may use
    created_at: dt.datetime
    rotated_at: dt.datetime | None  # when it stopped signing; None while it signs
    private_key: PrivateKey

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    def retire_at(self, verify_window_s: int) -> dt.datetime | None:
        if self.rotated_at is None:
            return None
        return self.rotated_at + dt.timedelta(seconds=verify_window_s)

    def state(self, now: dt.datetime, verify_window_s: int) -> str:
        retire_at = self.retire_at(verify_window_s)
        if retire_at is None:
            return "active"
        return "verify_only" if now < retire_at else "retired"

    def jwk(self) -> dict[str, str]:
        if self.algorithm == "EdDSA":
            fields = OKPAlgorithm.to_jwk(self.public_key, as_dict=True)
        else:
            fields = ECAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {**fields, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def generate_key(algorithm: str, now: dt.datetime) -> SigningKey:
    if algorithm not in ALGORITHMS:
        raise ValueError(algorithm)
    private: PrivateKey = (
        ed25519.Ed25519PrivateKey.generate()
        if algorithm == "EdDSA"
        else ec.generate_private_key(ec.SECP256R1())
    )
    kid = now.strftime("%Y%m%d") + "-" + secrets.token_hex(6)
    return SigningKey(kid=kid, algorithm=algorithm, created_at=now, rotated_at=None, private_key=private)


class KeyStore:
    """The keys of one data dir. Thread-safe for the rare writes; reads are lock-free dict lookups."""

    def __init__(self, directory: Path, *, verify_window_s: int) -> None:
        self.directory = directory
        self.verify_window_s = verify_window_s
        self._keys: dict[str, SigningKey] = {}
        self._lock = threading.Lock()
        self._reloaded_at = 0.0  # time.monotonic() of the last look on disk

    # --- start-up and rotation ---------------------------------------------------------------

    def load_or_create(self, now: dt.datetime, algorithm: str) -> SigningKey:
        """Read the keys; on first start, generate the first one."""
        with self._lock:
            self._prepare_directory()
            self._keys = self._read_all()
            active = self._active()
            if active is None:
                active = generate_key(algorithm, now)
                self._write_key(active)
                self._keys[active.kid] = active
                self._write_index()
            return active

    def rotate(self, now: dt.datetime, algorithm: str) -> tuple[SigningKey, SigningKey | None]:
        """A new signing key; the previous one turns verify-only. Returns (new, previous)."""
        with self._lock:
            self._keys = self._read_all()
            previous = self._active()
            new = generate_key(algorithm, now)
            self._write_key(new)
            if previous is not None:
                previous = replace(previous, rotated_at=now)
                self._keys[previous.kid] = previous
            self._keys[new.kid] = new
            self._write_index()
            return new, previous

    # --- use ------------------------------------------------------------------------------------

    def signing_key(self) -> SigningKey:
        active = self._active()
        if active is None:
            raise RuntimeError("no signing key: load_or_create() was not called")
        return active

    def verification_key(self, kid: str, now: dt.datetime) -> SigningKey | None:
        """The key for `kid` if it may still verify; another replica's new key is read from disk."""
        key = self._keys.get(kid)
        if key is None and _safe_kid(kid) and time.monotonic() - self._reloaded_at >= RELOAD_INTERVAL_S:
            with self._lock:
                self._reloaded_at = time.monotonic()
                self._keys = self._read_all()
            key = self._keys.get(kid)
        if key is None or key.state(now, self.verify_window_s) == "retired":
            return None
        return key

    def published(self, now: dt.datetime) -> list[SigningKey]:
        """Every key that may still verify a token, newest first (the JWKS)."""
        return [k for k in self.all_keys() if k.state(now, self.verify_window_s) != "retired"]

    def all_keys(self) -> list[SigningKey]:
        return sorted(self._keys.values(), key=lambda k: (k.created_at, k.kid), reverse=True)

    # --- files ---------------------------------------------------------------------------------

    def _active(self) -> SigningKey | None:
        signing = [k for k in self._keys.values() if k.rotated_at is None]
        return max(signing, key=lambda k: (k.created_at, k.kid)) if signing else None

    def _prepare_directory(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigError(f"signing keys {self.directory}: cannot create it ({exc.strerror})") from None

    def _read_all(self) -> dict[str, SigningKey]:
        index_path = self.directory / _INDEX
        if not index_path.exists():
            return {}
        try:
            entries = json.loads(index_path.read_text(encoding="utf-8"))
            keys = {}
            for entry in entries:
                pem = (self.directory / f"{entry['kid']}.pem").read_bytes()
                private = serialization.load_pem_private_key(pem, password=None)
                keys[entry["kid"]] = SigningKey(
                    kid=entry["kid"],
                    algorithm=entry["alg"],
                    created_at=dt.datetime.fromisoformat(entry["created_at"]),
                    rotated_at=dt.datetime.fromisoformat(entry["rotated_at"])
                    if entry["rotated_at"]
                    else None,
                    private_key=private,  # type: ignore[arg-type]
                )
            return keys
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"signing keys {self.directory}: unreadable ({exc})") from None

    def _write_key(self, key: SigningKey) -> None:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.directory / f"{key.kid}.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)

    def _write_index(self) -> None:
        entries = [
            {
                "kid": k.kid,
                "alg": k.algorithm,
                "created_at": k.created_at.isoformat(),
                "rotated_at": k.rotated_at.isoformat() if k.rotated_at else None,
            }
            for k in self.all_keys()
        ]
        temporary = self.directory / f".{_INDEX}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(entries, handle, indent=1)
        os.replace(temporary, self.directory / _INDEX)  # readers see the old or the new index, whole


def _safe_kid(kid: str) -> bool:
    """A kid from a token header names a file: letters, digits and '-' only, never a path."""
    return 0 < len(kid) <= 64 and all(c.isalnum() or c == "-" for c in kid)
