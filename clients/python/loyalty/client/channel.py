"""The client's channel: plaintext or TLS (optionally mutual), with keepalive fit for long streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc

MESSAGE_BYTES_MAX = 4 * 1024 * 1024  # the server's default limit; larger messages fail at once

# Pings every 30 s keep NATs and proxies from dropping an idle event stream, and find a dead peer;
# the server accepts pings every 10 s, so this never counts as abuse.
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", MESSAGE_BYTES_MAX),
    ("grpc.max_send_message_length", MESSAGE_BYTES_MAX),
)


@dataclass(frozen=True, slots=True)
class Tls:
    """TLS to the server. No `ca_file`: the system's roots. `cert_file` and `key_file`: mutual TLS.
    `server_name`: the name the certificate must carry, when it is not the target's host."""

    ca_file: str | Path | None = None
    cert_file: str | Path | None = None
    key_file: str | Path | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        assert (self.cert_file is None) == (self.key_file is None), "mutual TLS needs cert_file and key_file"

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),
            private_key=_read(self.key_file),
            certificate_chain=_read(self.cert_file),
        )

    def options(self) -> tuple[tuple[str, str], ...]:
        return (("grpc.ssl_target_name_override", self.server_name),) if self.server_name else ()


def open_channel(
    target: str,
    tls: Tls | None,
    interceptors: Sequence[grpc.aio.ClientInterceptor],
    extra_options: Sequence[tuple[str, str | int]] = (),
) -> grpc.aio.Channel:
    options: list[tuple[str, str | int]] = [*CHANNEL_OPTIONS, *extra_options]
    if tls is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    options += tls.options()
    return grpc.aio.secure_channel(target, tls.credentials(), options=options, interceptors=interceptors)


def _read(path: str | Path | None) -> bytes | None:
    return Path(path).read_bytes() if path is not None else None
