"""Settings: defaults, then a TOML file, then `LOYALTY_*` environment variables, then command-line flags.

Every setting has one name used everywhere: the dataclass field `grpc_address` is the TOML key
`grpc_address`, the variable `LOYALTY_GRPC_ADDRESS` and the flag `--grpc-address`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from loyalty_server.errors import ConfigError

ENV_PREFIX = "LOYALTY_"
DEMO_PROGRAM = Path(__file__).parent / "program" / "demo.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `loyalty serve` can be told. Defaults need nothing: SQLite in the data dir, the demo."""

    # Where state lives. An empty database_url means `sqlite:///<data_dir>/loyalty.db`.
    data_dir: str = "data"
    database_url: str = ""
    program: str = ""  # the default tenant's program file; empty means the bundled demo program
    # Listening addresses. Plaintext is refused on a non-loopback address unless allow_plaintext is set.
    grpc_address: str = "127.0.0.1:50051"
    http_address: str = "127.0.0.1:8080"
    gateway: bool = True
    allow_plaintext: bool = False
    # TLS: a certificate and key turn TLS on; a client CA file makes client certificates mandatory (mTLS).
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    # Runtime limits.
    shutdown_grace_s: float = 10.0
    max_message_bytes: int = 4 * 1024 * 1024
    max_concurrent_streams: int = 1000
    keepalive_time_ms: int = 30_000
    keepalive_timeout_ms: int = 10_000
    # Database.
    db_pool_size: int = 10
    sqlite_busy_timeout_ms: int = 5_000
    # Logging: "info" or "debug" etc.; JSON lines on stderr.
    log_level: str = "info"
    # Observability. The gateway's /metrics shows the server's metrics too; metrics_address serves them
    # on a port of their own (for --no-gateway). Tracing needs the opentelemetry package.
    metrics_address: str = ""  # HOST:PORT; empty: off
    tracing: bool = False  # an OpenTelemetry server span per call
    # Tokens. Lifetimes default to the partner API's: access 30 days, refresh 45 days.
    token_issuer: str = "urn:loyalty-engine"  # noqa: S105 (the JWT iss)
    token_audience: str = "urn:loyalty-engine:api"  # noqa: S105 (the JWT aud)
    access_token_ttl_s: int = 30 * 24 * 3600
    refresh_token_ttl_s: int = 45 * 24 * 3600
    authorization_code_ttl_s: int = 120
    member_session_ttl_s: int = 15 * 60
    signing_algorithm: str = "EdDSA"  # or "ES256"
    # Failed-login throttling: at most this many failures per window, per account and per address.
    login_failures_per_account_max: int = 5
    login_failures_per_address_max: int = 20
    login_failure_window_s: int = 15 * 60
    # Background jobs inside the server (no external cron). Each is safe with several replicas.
    expiry_interval_s: float = 60.0  # expire due lots, release pending ones, send expiring notices
    tier_interval_s: float = 300.0  # evaluate pending tier downgrades and ended custom tiers
    program_refresh_s: float = 5.0  # how soon a program installed on another replica takes effect
    health_purge_interval_s: float = 300.0  # delete raw health readings past their retention
    # Event streams and the outbox.
    event_poll_interval_ms: int = 200  # how soon events written by another process (replica) are seen
    stream_buffer_events: int = 1000  # a stream this far behind ends with RESOURCE_EXHAUSTED
    event_retention_days: int = 30  # older events are deleted; cursors before them have expired
    event_retention_interval_s: float = 3600.0
    # Webhooks. Targets must be https and public unless allowed here (e.g. "127.0.0.0/8" for tests).
    webhook_allow_http: bool = False
    webhook_allowed_networks: str = ""  # comma-separated CIDRs allowed although private or loopback
    webhook_timeout_s: float = 10.0  # one attempt: connect, send, and read the answer
    webhook_concurrency: int = 16  # attempts in flight per process
    webhook_lease_s: float = 60.0  # an attempt in flight on a dead replica is made again after this
    webhook_first_retry_s: float = 30.0  # the first retry's delay; each later one is 3x longer (max 14 h)
    webhook_retry_window_s: int = 3 * 24 * 3600  # retries stop this long after the first attempt
    webhook_disable_after_s: int = 5 * 24 * 3600  # an endpoint failing for this long is disabled
    webhook_poll_interval_s: float = 1.0  # how often due retries are looked for
    # The HTTP gateway (`loyalty serve` runs it beside the gRPC server; `loyalty gateway` alone).
    gateway_call_timeout_s: float = 30.0  # the deadline of each gRPC call the gateway makes
    gateway_body_max_bytes: int = 1024 * 1024  # larger request bodies get 413
    gateway_rate_per_s: float = 50.0  # sustained requests per second per client (429 beyond)
    gateway_rate_burst: int = 200  # requests a client may send at once before the rate applies
    gateway_cors_origins: str = ""  # comma-separated origins allowed by CORS ("*" for any); empty: none
    gateway_https_proxy: bool = False  # reached over https through a proxy: cookies get Secure
    gateway_forwarded_allow_ips: str = ""  # proxies whose X-Forwarded-For/-Proto are trusted
    # `loyalty gateway` alone: the internal service account it calls the login methods as.
    gateway_client_id: str = ""
    gateway_client_secret: str = ""  # never logged; prefer LOYALTY_GATEWAY_CLIENT_SECRET

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir) / 'loyalty.db'}"

    @property
    def resolved_program(self) -> Path:
        return Path(self.program) if self.program else DEMO_PROGRAM

    @property
    def tls_enabled(self) -> bool:
        return bool(self.tls_cert_file or self.tls_key_file)


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]


def load_settings(
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the layers; a value of None in `overrides` means "flag not given"."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get(f"{ENV_PREFIX}CONFIG") or None
    values: dict[str, Any] = {}
    if config_file:
        values.update(_read_toml(Path(config_file)))
    for name in setting_names():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _coerce(name, raw, source=f"{ENV_PREFIX}{name.upper()}")
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _coerce(name, value, source=f"--{name.replace('_', '-')}")
    settings = Settings(**values)
    _validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path}: not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML: {exc}") from None
    known = set(setting_names())
    unknown = sorted(set(document) - known)
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting {unknown[0]!r}")
    return {key: _coerce(key, value, source=f"{path}: {key}") for key, value in document.items()}


def _coerce(name: str, value: Any, *, source: str) -> Any:
    default = getattr(Settings(), name)
    try:
        if isinstance(default, bool):
            return _to_bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        kind = type(default).__name__
        raise ConfigError(f"{source}: expected {kind}, got {value!r}") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def _validate(settings: Settings) -> None:
    for name in ("grpc_address", "http_address"):
        split_address(getattr(settings, name), setting=name)
    if settings.metrics_address:
        split_address(settings.metrics_address, setting="metrics_address")
    if bool(settings.tls_cert_file) != bool(settings.tls_key_file):
        raise ConfigError("tls_cert_file and tls_key_file go together: give both or neither")
    if settings.tls_client_ca_file and not settings.tls_enabled:
        raise ConfigError("tls_client_ca_file (mutual TLS) needs tls_cert_file and tls_key_file")
    positive = (
        "shutdown_grace_s",
        "max_message_bytes",
        "max_concurrent_streams",
        "db_pool_size",
        "access_token_ttl_s",
        "refresh_token_ttl_s",
        "authorization_code_ttl_s",
        "member_session_ttl_s",
        "login_failures_per_account_max",
        "login_failures_per_address_max",
        "login_failure_window_s",
        "event_poll_interval_ms",
        "stream_buffer_events",
        "event_retention_days",
        "event_retention_interval_s",
        "webhook_timeout_s",
        "webhook_concurrency",
        "webhook_lease_s",
        "webhook_first_retry_s",
        "webhook_retry_window_s",
        "webhook_disable_after_s",
        "webhook_poll_interval_s",
        "gateway_call_timeout_s",
        "gateway_body_max_bytes",
        "gateway_rate_per_s",
        "gateway_rate_burst",
    )
    for name in positive:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name}: must be positive, got {getattr(settings, name)}")
    if settings.webhook_timeout_s >= settings.webhook_lease_s:
        raise ConfigError(
            "webhook_lease_s must be longer than webhook_timeout_s (an attempt ends within its lease)"
        )
    if bool(settings.gateway_client_id) != bool(settings.gateway_client_secret):
        raise ConfigError("gateway_client_id and gateway_client_secret go together: give both or neither")
    if settings.signing_algorithm not in ("EdDSA", "ES256"):
        raise ConfigError(f"signing_algorithm: EdDSA or ES256, got {settings.signing_algorithm!r}")


def split_address(address: str, *, setting: str = "address") -> tuple[str, int]:
    """'host:port' or '[v6]:port' -> (host, port); port 0 means "pick a free one"."""
    host, sep, port_text = address.rpartition(":")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(f"{setting}: expected HOST:PORT, got {address!r}")
    return host.strip("[]"), int(port_text)


def replace(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)
