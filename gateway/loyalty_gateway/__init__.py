"""The optional HTTP/JSON gateway: an ASGI app that calls the gRPC services and holds no business logic."""
