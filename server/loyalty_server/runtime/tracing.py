"""Optional OpenTelemetry tracing: a server span per call when `tracing` is on.

OpenTelemetry is not a dependency of the engine: the feature exists when the package is installed.
Asking for it without the package is a ConfigError at start, never a silent no-op. The spans go to
the tracer provider given to the server, else OpenTelemetry's global one, which a deployment sets
up as it likes (e.g. `opentelemetry-instrument loyalty serve` with the OTEL_* variables); with
only the API installed and no SDK, spans are made and dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loyalty_server.config import Settings
from loyalty_server.errors import ConfigError

if TYPE_CHECKING:
    from loyalty_server.runtime.otel_spans import RpcTracer

MISSING = (
    "tracing: the opentelemetry package is not installed (pip install opentelemetry-sdk, or turn tracing off)"
)


def build_tracer(settings: Settings, provider: Any | None = None) -> RpcTracer | None:
    """The call tracer the settings ask for: None when tracing is off."""
    if not settings.tracing:
        return None
    try:
        from loyalty_server.runtime.otel_spans import RpcTracer
    except ImportError:
        raise ConfigError(MISSING) from None
    return RpcTracer(provider)
