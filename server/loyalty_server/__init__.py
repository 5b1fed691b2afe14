"""The loyalty engine's gRPC server."""

__version__ = "0.1.0"
