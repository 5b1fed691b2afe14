"""Transport security: TLS from certificate files, optional mutual TLS, plaintext only on loopback."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import grpc

from loyalty_server.config import Settings, split_address
from loyalty_server.errors import ConfigError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost could resolve anywhere


def check_plaintext_allowed(settings: Settings, address: str, setting: str) -> None:
    host, _ = split_address(address, setting=setting)
    if not settings.tls_enabled and not settings.allow_plaintext and not is_loopback(host):
        raise ConfigError(
            f"{setting} {address}: plaintext on a non-loopback address; "
            "configure tls_cert_file/tls_key_file or set allow_plaintext"
        )


def _read(path: str, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{setting} {path}: cannot read it ({exc.strerror})") from None


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """None means plaintext. With a client CA, a client certificate signed by it is required."""
    if not settings.tls_enabled:
        return None
    key = _read(settings.tls_key_file, "tls_key_file")
    cert = _read(settings.tls_cert_file, "tls_cert_file")
    client_ca = (
        _read(settings.tls_client_ca_file, "tls_client_ca_file") if settings.tls_client_ca_file else None
    )
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )
