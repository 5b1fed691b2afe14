"""The grpc.aio server runtime: services, interceptors, TLS, health, reflection, shutdown."""
